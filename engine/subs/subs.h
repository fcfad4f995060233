/*
 * subs.h - the subscription engine: named subscriptions on topics, their
 * consumers, crash-consistent cursors, and the dispatchers that decide
 * which waiting Fetch gets which messages.
 *
 * The broker owns the network: it parks each consumer's Fetch here as an
 * opaque context, and the engine hands it back through subs_io.deliver
 * with a finished Deliver frame (possibly empty) exactly once.
 *
 * Loop thread only, like the topic log it reads.
 */
#ifndef SL_SUBS_H
#define SL_SUBS_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "tlog.h"

typedef struct subs subs;
typedef struct subscription subscription;
typedef struct consumer consumer;

typedef struct {
	/*
	 * Answers the parked fetch `fetch_ctx` of consumer c with frame (a
	 * complete Reply, request id included) and releases the context.
	 * frame is borrowed for the call.
	 */
	void (*deliver)(void *arg, consumer *c, void *fetch_ctx,
	    const uint8_t *frame, size_t len);
	/* The request id of a parked fetch, for building its reply. */
	uint64_t (*request_id)(void *arg, void *fetch_ctx);
	void *arg;
} subs_io;

typedef struct {
	uint32_t cursor_flush_ms; /* debounce of cursor writes */
} subs_opts;

/* Opens the engine over log l, loading persisted subscriptions. */
sluice_err subs_open(subs **out, tlog *l, const subs_io *io);
/* Frees everything; parked fetches are answered empty first. */
void       subs_close(subs *s);

/*
 * Attaches a consumer described by req to topic t, creating the
 * subscription when it does not exist (reliable ones durably). owner is
 * the broker's session. Errors (with a text in detail): ECONSUMERBUSY,
 * ESUBMISMATCH, EINVAL (bad window or names).
 */
sluice_err subs_attach(subs *s, tlog_topic *t, const Sluice__Subscribe *req,
    void *owner, consumer **out, char *detail, size_t dlen);
/*
 * Detaches c: its unacked messages become available to the others, its
 * parked fetches are answered empty. delete_sub also deletes the
 * subscription and its cursor (refused with EBUSY while other consumers
 * are attached).
 */
sluice_err subs_detach(subs *s, consumer *c, int delete_sub);
consumer  *subs_consumer(subs *s, uint64_t id);
uint64_t   consumer_id(const consumer *c);
void      *consumer_owner(const consumer *c);
uint32_t   consumer_window(const consumer *c);
int        consumer_is_active(const consumer *c);

/*
 * Parks a Fetch for c (at most 2 per consumer; a third is answered at
 * once, empty) until messages are available or deadline_ms passes, and
 * delivers at once what is available. max_records must be at least 1.
 */
void subs_fetch(subs *s, consumer *c, void *fetch_ctx, uint32_t max_records,
    uint64_t deadline_ms);

/* Applies acks, a cumulative ack and nacks; counts what it ignored. */
sluice_err subs_ack(subs *s, consumer *c, const Sluice__AckRange *const *ranges,
    size_t nranges, int has_cumulative, uint64_t cumulative,
    const Sluice__AckRange *const *nacks, size_t nnacks, uint32_t *applied,
    uint32_t *ignored);

/* Non-reliable feed: n messages of t just committed at base. */
void subs_on_commit(subs *s, tlog_topic *t, Sluice__Message *const *msgs,
    size_t n, uint64_t base, int64_t publish_time_us);
/* Runs the reliable dispatchers of t (once per loop turn after commits). */
void subs_wake(subs *s, tlog_topic *t);
/* Answers (empty) every parked fetch whose deadline has passed. */
void subs_expire_fetches(subs *s, uint64_t now_ms);
/* The 500 ms watchdog: dispatches where there is lag and room (a missed
 * wakeup costs at most one tick) and logs subscriptions that stall. */
void subs_watchdog(subs *s, uint64_t now_ms);
/* Adds every changed cursor (or all, with all != 0) to batch b. */
void subs_persist(subs *s, tlog_batch *b, int all);
/* The batch that carried them failed: persist every cursor next time. */
void subs_persist_failed(subs *s);
/* Whether t has non-reliable subscriptions that want its messages. */
int  subs_topic_wants_messages(subs *s, tlog_topic *t);
/* Whether a publish to t must wait: a non-reliable subscription with
 * overflow "block" has no queue room. */
int subs_topic_blocked(subs *s, tlog_topic *t);
/* The lowest ack floor of t's reliable subscriptions, or UINT64_MAX:
 * retention never deletes what a durable subscription has not acked. */
uint64_t subs_topic_min_floor(subs *s, tlog_topic *t);
/* What an operator (and `subs why`) needs to know of one subscription. */
typedef struct {
	const char *dispatcher;   /* e.g. "reliable-shared" */
	size_t consumers;
	uint64_t head;            /* the topic's next offset */
	uint64_t floor;           /* every offset below is acked */
	uint64_t lag;             /* head - floor, messages */
	uint64_t unacked;         /* delivered, not yet acked */
	uint64_t oldest_unacked_ms; /* age of the oldest unacked delivery */
	uint64_t oldest_unacked_offset;
	size_t ack_holes;
	uint64_t redelivered, dropped, ignored_acks;
} subs_stats;

/* SLUICE_ENOTOPIC when t has no subscription of that name. */
sluice_err subs_get_stats(subs *s, tlog_topic *t, const char *name,
    uint64_t now_ms, subs_stats *out);
/* Number of subscriptions. */
size_t subs_count(const subs *s);
#endif
