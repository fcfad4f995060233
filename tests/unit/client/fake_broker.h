/*
 * fake_broker.h - a broker stand-in for client unit tests: a rep0 socket on
 * an ipc path in a fresh temp dir, served by one thread, answering Hello
 * and Publish with real protobuf replies as configured, and recording what
 * it received so tests can check batching, order and sequence numbers.
 */
#ifndef FAKE_BROKER_H
#define FAKE_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

/* Zero fields take the defaults given. */
typedef struct {
	uint32_t hello_status;      /* Reply.status of Hello (0) */
	uint32_t protocol_version;  /* in HelloOk (SLUICE_PROTOCOL_VERSION) */
	uint64_t max_message_bytes; /* 1 MiB */
	uint64_t max_frame_bytes;   /* 8 MiB */
	uint32_t max_outstanding;   /* 32 */
	uint32_t publish_status;    /* Reply.status of every Publish (0) */
	uint64_t first_offset;      /* base_offset of the first batch (0) */
	int      hold;              /* hold Publish replies until released */
	int      drop_on_publish;   /* close the socket on the first Publish */
} fake_config;

/* What the fake saw: one entry per message, in arrival order. */
#define FAKE_MAX_MSGS 20000

typedef struct fake_broker fake_broker;

/* Starts the fake; url (an ipc:// address) is valid until stop. */
sluice_err  fake_broker_start(fake_broker **out, const fake_config *cfg);
const char *fake_broker_url(const fake_broker *fb);
/* Lets held Publish replies go (and stops holding). */
void        fake_broker_release(fake_broker *fb);
/* Stops serving, closes the socket, removes the temp dir, frees fb. */
void        fake_broker_stop(fake_broker *fb);

/* Counters and records; all read under the fake's lock. */
uint32_t fake_broker_frames(fake_broker *fb);     /* Publish requests */
uint32_t fake_broker_messages(fake_broker *fb);   /* messages in them */
size_t   fake_broker_max_frame(fake_broker *fb);  /* biggest, bytes */
uint32_t fake_broker_hellos(fake_broker *fb);
/* Sequence number and payload (NUL-terminated copy, <= 63 bytes) of the
 * i-th message received; 0/NULL when out of range. */
uint64_t    fake_broker_seq(fake_broker *fb, uint32_t i);
const char *fake_broker_payload(fake_broker *fb, uint32_t i);
/* Waits up to ms for n Publish frames; returns 1 when reached. */
int fake_broker_wait_frames(fake_broker *fb, uint32_t n, int ms);
#endif
