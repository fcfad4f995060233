/*
 * raw.h - a bare protocol client for integration tests: sends hand-made
 * frames over a real nng req0 socket and decodes the broker's replies, so
 * tests can send what libsluice never would (bad frames, wrong versions).
 */
#ifndef SL_TEST_RAW_H
#define SL_TEST_RAW_H

#include <nng/nng.h>

#include "codec.h"

typedef struct {
	nng_socket sock;
} raw_conn;

/* Dials url; returns 0 or an nng error. */
int raw_open(raw_conn *c, const char *url);
void raw_close(raw_conn *c);
/* Sends bytes as one frame and waits (5 s) for the reply; *out is the
 * decoded reply (codec_reply_free it). Returns 0 or an nng error. */
int raw_call_bytes(raw_conn *c, const void *buf, size_t len, Sluice__Reply **out);
int raw_call(raw_conn *c, const Sluice__Request *req, Sluice__Reply **out);
/* Sends Hello with the given version; returns the reply status. */
uint32_t raw_hello(raw_conn *c, uint32_t version);
/* Publishes n messages of payload `text` to topic; returns the status and
 * the base offset. */
uint32_t raw_publish(raw_conn *c, const char *topic, size_t n, const char *text,
    uint64_t *base);


#ifndef SL_TEST_RAW_SUBS
#define SL_TEST_RAW_SUBS
/* Subscribes; returns the status; *id gets the consumer id. */
uint32_t raw_subscribe(raw_conn *c, const char *topic, const char *sub,
    Sluice__SubType type, Sluice__SubMode mode, uint32_t window,
    Sluice__StartAt start, uint64_t *id);
/* Same with every Subscribe field given. */
uint32_t raw_subscribe_req(raw_conn *c, const Sluice__Subscribe *s, uint64_t *id);
/* Fetches with piggybacked acks (offsets, n of them); *out is the reply. */
int raw_fetch(raw_conn *c, uint64_t id, uint32_t max, uint32_t wait_ms,
    const uint64_t *acks, size_t nacks, Sluice__Reply **out);
/* Acks offsets individually (nack != 0: nacks them); returns the status,
 * and applied/ignored counts when not NULL. */
uint32_t raw_ack(raw_conn *c, uint64_t id, const uint64_t *offs, size_t n,
    int nack, uint32_t *applied, uint32_t *ignored);
uint32_t raw_ack_cumulative(raw_conn *c, uint64_t id, uint64_t upto);
uint32_t raw_unsubscribe(raw_conn *c, uint64_t id, int delete_sub);
#endif
#endif
