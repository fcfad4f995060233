/*
 * fake_broker.h - a broker stand-in for client unit tests: a raw rep0
 * socket on an ipc path in a fresh temp dir, served by one thread,
 * answering Hello, Publish, Subscribe, Fetch, Ack and Unsubscribe with real
 * protobuf replies as configured, and recording what it received so tests
 * can check batching, order, sequence numbers, credit and acks.
 *
 * Its subscription model: one topic of messages added with
 * fake_broker_produce (independent of Publish), one consumer, a window of
 * unacked messages, fetches answered with min(max_records, window -
 * unacked, available) records or parked (two at most, like sluiced) until
 * records arrive, acks free room, or max_wait_ms passes.
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
	uint32_t subscribe_status;  /* Reply.status of Subscribe (0) */
	uint32_t fetch_status;      /* Reply.status of every Fetch (0) */
	uint32_t ack_status;        /* Reply.status of every Ack (0) */
	uint32_t window;            /* window in force; 0: the one asked */
	int      no_park;           /* answer empty fetches at once */
	int      inactive;          /* Deliver.active = false */
	uint64_t dropped;           /* Deliver.dropped */
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

/* ---- subscriptions ---- */

/*
 * Appends n messages to the fake topic. Message at offset o has payload
 * "m<o>", key "k<o>" when o is even (none when odd), property "n" = "<o>",
 * publish time 1000000 + o, event time 500 + o, sequence o + 1.
 */
void fake_broker_produce(fake_broker *fb, uint32_t n);

/* What one Fetch carried, in arrival order. */
typedef struct {
	uint32_t max_records;
	uint32_t max_wait_ms;
	uint32_t ack_ranges;  /* piggybacked ranges */
	uint32_t acked;       /* offsets those ranges cover */
	uint32_t unacked;     /* broker-side unacked after applying them */
	uint32_t parked;      /* max_records of fetches parked at arrival */
} fake_fetch;

/* Totals over all requests seen. */
typedef struct {
	uint32_t subscribes;
	uint32_t fetches;
	uint32_t acks;            /* Ack requests */
	uint32_t ack_ranges;      /* ranges in Ack requests */
	uint32_t acked;           /* offsets acked, by Fetch or Ack */
	uint32_t nacked;
	int      has_cumulative;  /* some Ack carried a cumulative ack */
	uint64_t cumulative;      /* the last one */
	uint32_t unsubscribes;
	int      deleted;         /* the last Unsubscribe deleted */
	uint32_t credit_violations; /* fetches asking beyond the window */
	uint32_t max_unacked;     /* most unacked at any time */
	uint32_t delivered;       /* records sent */
	uint32_t sub_window;      /* window asked in the last Subscribe */
	int      sub_mode;        /* mode asked in the last Subscribe */
	int      sub_type;
} fake_stats;

fake_stats fake_broker_stats(fake_broker *fb);
/* The i-th fetch; returns 0 when there is none. */
int fake_broker_fetch(fake_broker *fb, uint32_t i, fake_fetch *out);
/* Waits up to ms until pred(stats, arg) holds; returns 1 when it did. */
int fake_broker_wait(fake_broker *fb, int (*pred)(const fake_stats *, uint32_t),
    uint32_t arg, int ms);
/*
 * The last Subscribe as received (policy, dispatch_limit, breaker...), a
 * copy for the caller to free with sluice__subscribe__free_unpacked(s,
 * NULL); NULL before any. Declared opaque here: include sluice.pb-c.h to
 * look inside.
 */
struct Sluice__Subscribe;
struct Sluice__Subscribe *fake_broker_last_subscribe(fake_broker *fb);

/* One Ack request that carried nacks. */
#define FAKE_MAX_NACKS 64
typedef struct {
	uint64_t first;      /* first offset of its first nack range */
	uint32_t offsets;    /* offsets its nack ranges cover */
	uint32_t delay_ms;   /* Ack.nack_delay_ms */
	char     reason[64]; /* Ack.nack_reason, truncated */
} fake_nack;
/* Returns how many Acks carried nacks; copies the i-th to out (may be
 * NULL) when there is one. */
uint32_t fake_broker_nacks(fake_broker *fb, uint32_t i, fake_nack *out);

/* Closes the socket now (on the serving thread, so not while it holds
 * publishes): the client sees its connection drop. */
void fake_broker_drop(fake_broker *fb);
#endif
