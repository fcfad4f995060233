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
#endif
