/*
 * sub_impl.h - the structures shared by the subscription engine (subs.c,
 * deliver.c) and its dispatchers (engine/dispatch/). Nothing outside the
 * engine includes it.
 */
#ifndef SL_SUB_IMPL_H
#define SL_SUB_IMPL_H

#include "cursor.h"
#include "dispatch.h"
#include "lathist.h"
#include "rate.h"
#include "timeheap.h"
#include "strmap.h"
#include "subs.h"
#include "u64heap.h"
#include "u64map.h"

#define SUB_MAX_FETCHES 2
#define SUB_DEFAULT_WINDOW 1000
#define SUB_MAX_WINDOW 65535
/* The watchdog reports a subscription whose every window has been full
 * with its oldest delivery unacked this long. */
#define SUB_STALL_MS 5000
/* Bytes of records per Deliver frame, beyond which a fetch gets the rest
 * on its next round. */
#define SUB_MAX_FRAME_BYTES (1u << 20)

/* A subscription's failure policy with every default applied (policy.c
 * resolves the proto's unset fields). */
typedef struct {
	uint32_t ack_timeout_ms;     /* 0: off */
	Sluice__BackoffKind backoff; /* EXPONENTIAL or FIXED */
	uint32_t backoff_base_ms, backoff_max_ms;
	uint32_t jitter_pct;         /* 0..100 */
	uint32_t max_redeliveries;   /* 0: unlimited */
	Sluice__OnExhausted on_exhausted; /* never UNSET */
	char *dead_letter_topic;     /* owned; never NULL once resolved */
} sub_policy;

typedef struct {
	uint64_t msgs_per_sec, bytes_per_sec; /* 0: no limit */
} sub_limit;

typedef struct {
	uint32_t failures;           /* 0: breaker off */
	uint32_t cooldown_ms, cooldown_max_ms;
} sub_breaker;

/* A message kept in memory for non-reliable delivery: its stored bytes,
 * shared by every consumer queue that holds it. */
typedef struct nr_msg {
	uint32_t refs;
	uint64_t offset;
	size_t len;
	uint8_t bytes[]; /* an encoded StoredMessage */
} nr_msg;

/* Delivery state of one offset of a reliable subscription. */
typedef struct {
	consumer *owner;       /* who holds it unacked; NULL: to redeliver */
	uint32_t attempt;      /* deliveries so far */
	uint64_t delivered_ms; /* when it last went out */
	uint64_t offset;
	uint64_t deadline_ms;  /* ack timeout: when it fails unless acked */
	uint32_t dl_index;     /* its place in sub's deadline heap + 1; 0: none */
	uint64_t retry_at_ms;  /* failed, waiting: not to be delivered before;
	                        * UINT64_MAX: set aside (blocked, dead-lettering) */
	char *reason;          /* owned: the last failure ("ack timeout", a
	                        * nack's reason), for dead letters and parking */
} delivery;

typedef struct {
	void *ctx;             /* the broker's, returned through subs_io */
	uint32_t max_records;
	uint64_t deadline_ms;
} parked_fetch;

struct consumer {
	uint64_t id;
	subscription *sub;
	void *owner;           /* broker session */
	char *name;
	int32_t priority;
	uint64_t seq;          /* attach order: failover ties go to the earliest */
	consumer *next;        /* sub's list, ordered by the dispatcher */
	uint32_t unacked;      /* reliable: deliveries it holds */
	parked_fetch fetch[SUB_MAX_FETCHES + 1]; /* +1: room to refuse a third */
	int nfetch;
	/* Non-reliable queue: a ring of at most sub->queue_size. */
	nr_msg **ring;
	size_t rhead, rlen;
	size_t rcap;           /* ring slots: queue_size, more under block */
	uint64_t dropped;      /* non-reliable: dropped for this consumer */
	uint64_t delivered, acked;
	uint64_t last_fetch_ms; /* loop time of its last fetch */
	rate ack_rate;
	uint64_t nacked, ack_timeouts;
	void *breaker;         /* circuit breaker state (breaker.c); NULL: closed */
};

struct subscription {
	char *name;
	tlog_topic *topic;
	Sluice__SubType type;
	Sluice__SubMode mode;
	Sluice__Overflow overflow;
	uint32_t window;       /* unacked per consumer */
	uint32_t queue_size;   /* non-reliable ring size */
	const disp_ops *ops;
	subscription *next;    /* topic's list */
	consumer *consumers;   /* ordered by ops (failover: active first) */
	size_t nconsumers;
	consumer *rr;          /* shared: where the round robin resumes */

	/* Reliable only: */
	cursor cur;
	uint64_t read_pos;     /* next offset never delivered */
	u64map *deliveries;    /* offset -> delivery */
	u64heap redeliver;     /* offsets to deliver again, lowest first */
	int dirty;             /* cursor changed since it was last persisted */
	int stalled;           /* watchdog saw lag and no room last tick */

	uint64_t dropped, ignored_acks, redelivered;
	uint64_t delivered, acked, nacked;
	rate dispatch_rate, ack_rate;

	/* Failure policy (policy.c, retry.c): */
	uint64_t uid;          /* process-unique: names it in s->timers */
	sub_policy policy;
	sub_limit limit;       /* dispatch rate (ratelimit) */
	sub_breaker breaker;   /* per-consumer circuit breaker policy */
	delivery **deadlines;  /* min-heap on deadline_ms of unacked deliveries
	                        * (indexed: an ack removes its entry) */
	size_t ndeadlines, capdeadlines;
	timeheap retries;      /* (retry_at, offset): failed, waiting out a backoff */
	uint64_t scheduled_ms; /* earliest entry this sub has in s->timers; 0 none */
	int blocked;           /* on_exhausted block: stopped at blocked_offset */
	uint64_t blocked_offset;
	uint64_t ack_timeouts, exhausted, dead_lettered, parked_now, dropped_exhausted;
	uint64_t rate_limited;
	void *keyed;           /* key_shared state (deliver_keyed.c); NULL otherwise */
	void *limiter;         /* dispatch rate limiter state; NULL when no limit */
};

/* Per topic: its subscriptions. */
typedef struct {
	tlog_topic *topic;
	subscription *subs;
	size_t nonreliable;    /* subscriptions in non-reliable mode */
} topic_subs;

struct subs {
	tlog *log;
	subs_io io;
	strmap *by_topic;      /* topic name -> topic_subs */
	u64map *consumers;     /* id -> consumer */
	uint64_t next_consumer_id, next_seq;
	size_t nsubs;
	codec_deliver frame;   /* reused for every Deliver */
	uint64_t now_ms;       /* loop time of the last call that knew it */
	uint64_t delivered_total;
	uint64_t last_rate_ms; /* when rates were last ticked */
	lathist publish_to_deliver, deliver_to_ack;
	uint64_t next_uid;
	u64map *by_uid;        /* uid -> subscription, for timers */
	timeheap timers;       /* (due, sub uid): the earliest due of each sub */
	uint64_t breaker_opens; /* consumer circuit breakers opened (breaker.c) */
	int flush_now;         /* a failure changed attempt counts: persist
	                        * cursors in the next batch, not at the timer */
	sub_policy def_policy; /* the broker's defaults for new subscriptions */
	sub_limit def_limit;
	sub_breaker def_breaker;
};

/* The metadata key of a parked message of sub. */
int subs_park_key(char *buf, size_t n, const subscription *sub, uint64_t off);

/* ---- deliveries and failures (retry.c) ---- */
/* A new delivery record for off (attempt 0); NULL when out of memory. */
delivery *delivery_new(subscription *sub, uint64_t off);
/* Removes off's record (acked, skipped, dropped) with its timers. */
void      delivery_forget(subscription *sub, uint64_t off);
/* Frees every record (subscription freed or reset). */
void      delivery_forget_all(subscription *sub);
/* d just went out to its owner: arm its ack deadline. */
void      delivery_sent(subs *s, subscription *sub, delivery *d);
/* d was acked: disarm its deadline (the caller then forgets it). */
void      delivery_acked(subscription *sub, delivery *d);
/*
 * d failed (nack or ack timeout; its owner already released): counts it,
 * then retries it after delay_ms (or the backoff when delay_ms is 0), or,
 * past max_redeliveries, applies on_exhausted. reason is copied.
 */
void      delivery_failed(subs *s, subscription *sub, delivery *d,
    uint32_t delay_ms, const char *reason);
/* Acks off in the cursor and forgets its record. */
void      delivery_ack_offset(subscription *sub, uint64_t off);

/* ---- timers (retry.c) ----
 * Asks for sub's due work (retries, ack deadlines, a rate-limit refill, a
 * breaker's cool-down end) to run at or after at_ms: the broker's libuv
 * timer fires at subs_next_due_ms, and subs_run_due then pumps sub. */
void subs_schedule(subs *s, subscription *sub, uint64_t at_ms);

/* ---- hooks between the engine and its parts ----
 * Circuit breaker (breaker.c): the outcome of each delivery of c, and
 * whether c may get new messages now (at most `*max` of them: 1 while
 * half-open). */
void breaker_on_result(subs *s, consumer *c, int ok, uint64_t now_ms);
int  breaker_allows(subs *s, consumer *c, uint64_t now_ms, size_t *max);
void breaker_free(consumer *c);
/* disp_can_take's check: whether c's breaker lets it receive now (the
 * engine's loop time); half-open counts as yes until the probe is out. */
int  breaker_admits(const consumer *c);
/* For `subs why`: whether c receives nothing now because of its breaker
 * (open, or half-open with the probe out). */
int  breaker_is_open(const consumer *c, uint64_t now_ms);
/* For admin and metrics: "closed", "open" or "half_open", ms until the
 * probe while open, and the consecutive failures counted. */
void breaker_describe(const consumer *c, uint64_t now_ms, const char **state,
    uint64_t *open_ms_left, uint32_t *recent_failures);
/* Dispatch rate limit (ratelimit.c): how many of n messages / bytes may go
 * out now; schedules sub's next pump when the bucket is empty. */
size_t ratelimit_take(subs *s, subscription *sub, size_t n, size_t bytes,
    uint64_t now_ms);
void   ratelimit_free(subscription *sub);
/* ratelimit_take reserves the messages it allows; after the fill,
 * ratelimit_settle gives back those not sent and debits the bytes sent.
 * ratelimit_byte_room: bytes a fill may send now (SIZE_MAX: no byte
 * limit); a record goes while the bytes so far are below it. */
void   ratelimit_settle(subscription *sub, size_t unused, size_t bytes,
    uint64_t now_ms);
size_t ratelimit_byte_room(const subscription *sub);
/* For `subs why`: ms until the limit lets a message go (0: now or no
 * limit). */
uint64_t ratelimit_wait_ms(const subscription *sub, uint64_t now_ms);
/* key_shared (deliver_keyed.c): delivery for SUB_KEY_SHARED subscriptions,
 * and the key of a blocked offset (on_exhausted block) to hold back. */
void deliver_pump_keyed(subs *s, subscription *sub);
void keyed_block(subs *s, subscription *sub, uint64_t offset);
void keyed_free(subscription *sub);
/* An operator reset or skip: forget held-back and blocked keys. */
void keyed_reset(subscription *sub);

/* subs.c, shared with manage.c and why.c */
topic_subs   *subs_topic_entry(subs *s, tlog_topic *t, int create);
subscription *subs_find(subs *s, tlog_topic *t, const char *name);
/* Writes a new reliable subscription's definition durably. */
sluice_err    subs_write_definition(subs *s, subscription *sub);
subscription *subs_sub_alloc(tlog_topic *t, const char *name,
    Sluice__SubType type, Sluice__SubMode mode, uint32_t window);
void          subs_sub_free(subscription *sub);
void          subs_link(subs *s, topic_subs *ts, subscription *sub);
/* A new subscription's policies: the broker's defaults, then u's. */
sluice_err    subs_init_policies(subs *s, subscription *sub,
    const subs_policy_update *u, char *detail, size_t dlen);
/* Removes the definition and cursor from RocksDB and frees sub. */
sluice_err    subs_destroy_durably(subs *s, subscription *sub);
/* The delivery holding the oldest unacked offset, or NULL. */
delivery     *subs_oldest_unacked(subscription *sub, uint64_t *offset);

/* deliver.c */
void deliver_pump(subs *s, subscription *sub);
void deliver_answer_empty(subs *s, consumer *c, int i);
void deliver_release_ring(consumer *c);
/* Non-reliable block: whether a publish to this sub must wait. */
int deliver_is_blocked(const subscription *sub);
sluice_err deliver_enqueue_nr(subs *s, subscription *sub, nr_msg *m);
#endif
