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
#include "lathist.h"
#include "tlog.h"

typedef struct subs subs;
typedef struct subscription subscription;
typedef struct consumer consumer;

/* A message that exhausted its redeliveries, to publish to dlq_topic. */
typedef struct {
	uint64_t sub_uid;         /* give it back to subs_dead_letter_done */
	const char *topic, *subscription;
	uint64_t offset;
	const char *dlq_topic;
	const uint8_t *record;    /* the encoded StoredMessage, borrowed */
	size_t len;
	uint32_t attempts;
	const char *reason;       /* the last failure */
} subs_dead_letter;

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
	/* Publishes a dead letter (copy what you keep); answer later with
	 * subs_dead_letter_done. NULL: dead letters wait and are retried. */
	void (*dead_letter)(void *arg, const subs_dead_letter *dl);
	void *arg;
} subs_io;

typedef struct {
	uint32_t cursor_flush_ms; /* debounce of cursor writes */
} subs_opts;

/* The policies a request sets (any NULL: keep, or the defaults). */
typedef struct {
	const Sluice__FailurePolicy *policy;
	const Sluice__RateLimit *limit;
	const Sluice__BreakerPolicy *breaker;
} subs_policy_update;

/* A subscription's policies in wire form, every field set; the struct owns
 * what the protos point to (valid until the subscription changes). */
typedef struct {
	Sluice__FailurePolicy policy;
	Sluice__RateLimit limit;
	Sluice__BreakerPolicy breaker;
	Sluice__U32 u32[8];
	Sluice__U64 u64[2];
} subs_policy_wire;

/* Opens the engine over log l, loading persisted subscriptions. */
sluice_err subs_open(subs **out, tlog *l, const subs_io *io);
/* The engine's clock is the caller's loop time in ms (subs_open starts it
 * at CLOCK_MONOTONIC ms, which is libuv's uv_now). Tests set their own. */
void       subs_set_clock(subs *s, uint64_t now_ms);
/* Frees everything; parked fetches are answered empty first. */
void       subs_close(subs *s);
/* The broker's configured defaults for new subscriptions' policies
 * (applied over the engine's). SLUICE_EINVAL with detail when invalid. */
sluice_err subs_set_policy_defaults(subs *s, const subs_policy_update *u,
    char *detail, size_t dlen);

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
/* The name of the topic the consumer's subscription reads (authz). */
const char *consumer_topic_name(const consumer *c);
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
/* Nacks with a delay instead of the backoff (0: the backoff) and a reason
 * kept with the message (may be NULL); subs_ack's nacks use neither. */
sluice_err subs_nack(subs *s, consumer *c, const Sluice__AckRange *const *nacks,
    size_t nnacks, uint32_t delay_ms, const char *reason, uint32_t *applied,
    uint32_t *ignored);

/* Non-reliable feed: n messages of t just committed at base. */
void subs_on_commit(subs *s, tlog_topic *t, Sluice__Message *const *msgs,
    size_t n, uint64_t base, int64_t publish_time_us);
/* Runs the reliable dispatchers of t (once per loop turn after commits). */
void subs_wake(subs *s, tlog_topic *t);
/* The dead letter of (sub_uid, offset) was written (rv OK: it is acked)
 * or failed (it is tried again later). */
void subs_dead_letter_done(subs *s, uint64_t sub_uid, uint64_t offset, sluice_err rv);
/* Timers: when subs_run_due next has work (UINT64_MAX: none), and running
 * what is due: ack timeouts, retries after backoff, refills. */
uint64_t subs_next_due_ms(subs *s);
void     subs_run_due(subs *s, uint64_t now_ms);
/* Whether failures changed attempt counts since the last subs_persist:
 * the broker then persists cursors in the next batch. */
int      subs_flush_wanted(const subs *s);
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
	Sluice__SubType type;
	Sluice__SubMode mode;
	uint32_t window;
	size_t consumers;
	uint64_t head;            /* the topic's next offset */
	uint64_t floor;           /* every offset below is acked */
	uint64_t lag;             /* head - floor, messages */
	uint64_t backlog;         /* lag minus what is acked above the floor */
	uint64_t unacked;         /* delivered, not yet acked */
	uint64_t oldest_unacked_ms; /* age of the oldest unacked delivery */
	uint64_t oldest_unacked_offset;
	size_t ack_holes;
	uint64_t delivered, acked, nacked; /* since the broker started */
	uint64_t redelivered, dropped, ignored_acks;
	uint64_t queued;          /* non-reliable: messages waiting in queues */
	double dispatch_rate, ack_rate; /* per second, ~10 s average */
	/* Failure policy (#6): */
	uint64_t ack_timeouts, exhausted, dead_lettered, parked, rate_limited;
	uint64_t dropped_exhausted;
	int blocked;              /* on_exhausted block: stopped at blocked_offset */
	uint64_t blocked_offset;
} subs_stats;

/* The policies of a subscription in wire form. SLUICE_ENOSUB. */
sluice_err subs_get_policies(subs *s, tlog_topic *t, const char *name,
    subs_policy_wire *out);
/* Changes a subscription's policies (unset fields keep their value),
 * durably. Unblocks a subscription blocked by on_exhausted block when the
 * action changes: the message is delivered again under the new policy. */
sluice_err subs_configure(subs *s, tlog_topic *t, const char *name,
    const subs_policy_update *u, char *detail, size_t dlen);

/* Parked messages (on_exhausted park). fn gets each decoded record (it is
 * freed after the call); return non-zero to stop. */
sluice_err subs_parked_list(subs *s, tlog_topic *t, const char *name,
    uint64_t from, size_t max, int (*fn)(void *arg, const Sluice__ParkedInfo *p),
    void *arg);
/* Replays (delivers again, attempts from zero) or drops the parked offsets
 * given (n == 0: all). *done counts them; an offset that retention removed
 * from the log cannot be replayed and stays parked (*missing counts it). */
sluice_err subs_parked_replay(subs *s, tlog_topic *t, const char *name,
    const uint64_t *offs, size_t n, uint64_t *done, uint64_t *missing,
    char *detail, size_t dlen);
sluice_err subs_parked_drop(subs *s, tlog_topic *t, const char *name,
    const uint64_t *offs, size_t n, uint64_t *done, char *detail, size_t dlen);

/* SLUICE_ENOSUB when t has no subscription of that name. */
sluice_err subs_get_stats(subs *s, tlog_topic *t, const char *name,
    uint64_t now_ms, subs_stats *out);

/* Calls fn with the name of each subscription of t (in no set order). */
void subs_list(subs *s, tlog_topic *t, void (*fn)(void *arg, const char *name),
    void *arg);
/* t is about to be deleted and has no subscriptions left: forget it. */
void subs_topic_gone(subs *s, tlog_topic *t);
/* Subscriptions of t. */
size_t subs_topic_count(subs *s, tlog_topic *t);

/* One consumer as `consumers list` shows it. */
typedef struct {
	uint64_t id;
	const char *name;
	void *owner;              /* the broker's session */
	int active;
	uint32_t window;
	uint32_t unacked;
	uint64_t delivered, acked;
	double ack_rate;
	uint32_t parked_fetches;
	uint64_t last_fetch_ms;   /* loop time of its last fetch; 0: never */
	const char *breaker;      /* "closed", "open" or "half_open" (static) */
	uint64_t breaker_open_ms; /* open: ms until the probe may go */
	uint32_t recent_failures; /* consecutive failed deliveries */
	uint64_t nacked, ack_timeouts; /* since it attached */
} subs_consumer_info;

/* Calls fn for each consumer of subscription name on t. SLUICE_ENOSUB. */
sluice_err subs_consumers(subs *s, tlog_topic *t, const char *name,
    void (*fn)(void *arg, const subs_consumer_info *ci), void *arg);

/*
 * Operator actions (manage.c). Each returns SLUICE_ENOSUB for an unknown
 * subscription and leaves a reason in detail on other errors. Cursor
 * changes reach RocksDB with the next cursor flush (or clean stop).
 */
/* A reliable subscription without consumers, starting at offset (clamped
 * to the topic's kept range), with window (0: the default). SLUICE_EEXISTS
 * when it exists. */
sluice_err subs_create(subs *s, tlog_topic *t, const char *name,
    Sluice__SubType type, Sluice__SubMode mode, uint64_t offset,
    uint32_t window, const subs_policy_update *u, char *detail, size_t dlen);
/* Deletes a subscription and its cursor; SLUICE_EINUSE while consumers
 * are attached. */
sluice_err subs_delete(subs *s, tlog_topic *t, const char *name,
    char *detail, size_t dlen);
/* Moves the cursor: everything below offset counts as acked, everything
 * at or above it as never delivered (unacked deliveries are forgotten:
 * their acks will be ignored). Attached consumers continue from there. */
sluice_err subs_reset(subs *s, tlog_topic *t, const char *name,
    uint64_t offset, char *detail, size_t dlen);
/* Acks the next n unacked messages from the floor up; *skipped says how
 * many there were. */
sluice_err subs_skip(subs *s, tlog_topic *t, const char *name, uint64_t n,
    uint64_t *skipped, char *detail, size_t dlen);

/* Why a subscription is not progressing (why.c). */
typedef enum {
	SUBS_WHY_PROGRESSING,   /* delivering; nothing in the way */
	SUBS_WHY_CAUGHT_UP,     /* nothing to deliver */
	SUBS_WHY_NO_CONSUMERS,  /* a backlog and nobody attached */
	SUBS_WHY_WINDOW_FULL,   /* every consumer holds a full window */
	SUBS_WHY_NOT_DRAINING,  /* consumers have room but are not fetching */
	SUBS_WHY_BLOCKED_BY_POLICY, /* on_exhausted block stopped it */
	SUBS_WHY_RATE_LIMITED,  /* its dispatch rate limit holds messages back */
	SUBS_WHY_BREAKER_OPEN,  /* every consumer with room has an open breaker */
	SUBS_WHY_COUNT
} subs_why_code;

typedef struct {
	subs_why_code code;
	uint64_t consumer_id;     /* window_full/not_draining: the one to look at */
	const char *consumer_name; /* borrowed until the next engine call */
	uint64_t offset;          /* window_full: the oldest unacked offset */
	uint64_t age_ms;          /* ... unacked this long; not_draining: idle */
	uint64_t backlog;
	size_t consumers;
	char sentence[320];       /* one line for humans */
} subs_why;

/* Stable snake_case names of the codes ("window_full"...). */
const char *subs_why_name(subs_why_code code);
sluice_err subs_explain(subs *s, tlog_topic *t, const char *name,
    uint64_t now_ms, subs_why *out);

/* Broker-wide latency histograms kept by the engine. */
typedef struct {
	const lathist *publish_to_deliver; /* first deliveries only */
	const lathist *deliver_to_ack;
} subs_latency;
void subs_get_latency(const subs *s, subs_latency *out);
/* Deliveries since start (all subscriptions, redeliveries included). */
uint64_t subs_delivered_total(const subs *s);
/* Consumer circuit breakers opened since start (all subscriptions). */
uint64_t subs_breaker_opens_total(const subs *s);

/* Number of subscriptions. */
size_t subs_count(const subs *s);
#endif
