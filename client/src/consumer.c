/*
 * consumer.c - consuming one subscription: Subscribe, credit-based
 * fetching (two Fetch long polls at most), the local receive queue,
 * batched acks (piggybacked on fetches, else a separate Ack after a short
 * linger), handler delivery on a library thread, and Unsubscribe on close.
 * Requests travel on the client's transport (client.c); records and their
 * shared storage are record.c's.
 *
 * Credit: `held` counts the records this consumer holds against its window:
 * reliable, every offset received and not yet acked or nacked by the app
 * (queued or handed out); non-reliable, the records still queued. A fetch
 * asks for at most window - held - (what the other outstanding fetch asked
 * for), so the broker can never send more than the window and the local
 * queue is bounded by it. A fetch that goes out while the other slot is
 * idle asks for half of the room, so that the other one can long-poll too.
 *
 * Threading: `mu` guards everything below it in the struct. Transport
 * callbacks and the two timers run on nng threads; they only update state,
 * wake waiters and submit requests (client_submit never blocks). The
 * message handler runs on its own thread (nng_thread_create), never on an
 * nng thread, so a slow handler delays only its own consumer.
 */
#include <string.h>

#include "alloc.h"
#include "client_impl.h"
#include "log.h"
#include "record.h"

#define NFETCH 2
/* Long poll: well below any sane request timeout (default 30 s). */
#define FETCH_WAIT_MS 1000
/* Acks wait this long for a fetch to ride on before going alone. */
#define ACK_LINGER_MS 5
/* With no fetch out (a full window being worked on), a keepalive fetch
 * (max_records 0) goes this often, well inside the broker's lease. */
#define KEEPALIVE_MS 5000
/* Pending ack ranges that trigger an Ack request at once. */
#define ACK_FLUSH_RANGES 256
/* Pending ack ranges at which sluice_ack waits for the Ack in flight. */
#define ACK_MAX_RANGES 4096
/* An empty Deliver faster than this means the broker did not park the
 * fetch; that slot then rests BACKOFF_MS, so a misbehaving broker cannot
 * make us spin. */
#define QUICK_EMPTY_MS (FETCH_WAIT_MS / 4)
#define BACKOFF_MS 20
#define MAX_SUB_NAME 255

typedef struct {
	uint64_t first, last; /* inclusive */
} range;

/* Sorted, disjoint, non-adjacent ranges of offsets. */
typedef struct {
	range *v;
	size_t n, cap;
} range_set;

/*
 * Pending nacks that share one delay and one reason: an Ack request
 * carries one of these (Ack.nack_delay_ms and nack_reason apply to all its
 * nacks), so each other combination waits for an Ack of its own.
 */
typedef struct {
	range_set r;
	uint32_t  delay_ms; /* 0: the subscription's backoff */
	char     *reason;   /* owned; NULL: none */
} nack_group;

/* Sorted distinct offsets v[lo..hi); removing the first one is O(1). */
typedef struct {
	uint64_t *v;
	size_t    lo, hi, cap;
} offset_set;

typedef struct {
	client_req       req; /* first: the client hands this back */
	sluice_consumer *k;
	int              busy;       /* submitted, done not yet run */
	uint32_t         asked;      /* max_records while busy */
	nng_time         sent;       /* when submitted, ms */
	nng_time         not_before; /* backoff: no fetch before, ms */
	uint64_t         seq;        /* send order of the one in flight */
	/* Records that arrived before those of an earlier-sent fetch:
	 * held back so the queue keeps the broker's order. */
	sluice_record   *stash;
	sluice_record   *stash_tail;
	uint64_t         stash_seq;  /* seq of the first stashed reply */
} fetch;

/* A request the consumer waits on or keeps one of: Ack, (Un)Subscribe. */
typedef struct {
	client_req       req;
	sluice_consumer *k;
	int              busy;
	sluice_err       rv;     /* transport error or the broker's status */
	uint64_t         id;     /* SubscribeOk */
	uint32_t         window; /* SubscribeOk */
	int              active; /* SubscribeOk */
	int              has_sub; /* the reply carried a SubscribeOk */
} ctl;

struct sluice_consumer {
	sluice_client  *c;
	int             reliable;
	sluice_sub_type type;

	nng_mtx    *mu;
	nng_cv     *cv;         /* broadcast on any change of state below */
	nng_aio    *linger_aio; /* ack linger timer; freed by close only */
	nng_aio    *backoff_aio;
	nng_aio    *keepalive_aio; /* lease renewal timer; freed by close only */
	nng_thread *thr;        /* handler thread, NULL without handler */

	/* Guarded by mu. */
	uint64_t      id;        /* consumer_id from SubscribeOk */
	uint32_t      window;    /* the window in force, >= 1 */
	uint32_t      min_fetch; /* fetch at once from this much room */
	fetch         f[NFETCH];
	ctl           ack;       /* Ack requests, one at a time */
	ctl           ctl;       /* Subscribe, Unsubscribe */
	sluice_record *qhead;    /* local queue, delivery order */
	sluice_record *qtail;
	uint32_t      queued;
	uint32_t      stashed;   /* records in fetch stashes */
	uint64_t      next_seq;  /* fetch send order */
	offset_set    out;       /* reliable: held offsets */
	range_set     acks;      /* pending acks */
	nack_group   *nacks;     /* pending nacks, oldest group first */
	size_t        n_nacks;   /* groups in use */
	size_t        nacks_cap;
	size_t        nack_ranges; /* ranges over all groups */
	int           has_cum;   /* pending cumulative ack */
	uint64_t      cum;
	sluice_err    err;       /* fatal: no more fetching */
	sluice_err    ack_err;   /* first Ack failure since the last flush */
	int           active;
	uint64_t      dropped;
	int           linger_armed;
	int           backoff_armed;
	int           stopping;  /* close began: no new fetches */
	int           received;  /* sluice_receive was used */
	sluice_message_cb handler;
	void         *handler_arg;
};

/* ---- offset and range sets ------------------------------------------ */

static size_t
set_count(const offset_set *s)
{
	return s->hi - s->lo;
}

/* First index in [lo, hi) whose offset is >= x. */
static size_t
set_find(const offset_set *s, uint64_t x)
{
	size_t lo = s->lo, hi = s->hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static sluice_err
set_insert(offset_set *s, uint64_t x)
{
	size_t i = s->hi;
	if (s->hi > s->lo && x <= s->v[s->hi - 1]) {
		i = set_find(s, x);
		if (s->v[i] == x)
			return SLUICE_OK; /* redelivered while held */
	}
	if (s->hi == s->cap) {
		if (s->lo > 0) {
			/* Slide down rather than grow: held <= window. */
			memmove(s->v, s->v + s->lo,
			    (s->hi - s->lo) * sizeof(*s->v));
			i -= s->lo;
			s->hi -= s->lo;
			s->lo = 0;
		} else {
			size_t cap = s->cap ? 2 * s->cap : 64;
			uint64_t *v = sl_realloc(s->v, cap * sizeof(*v));
			if (v == NULL)
				return SLUICE_ENOMEM;
			s->v = v;
			s->cap = cap;
		}
	}
	memmove(s->v + i + 1, s->v + i, (s->hi - i) * sizeof(*s->v));
	s->v[i] = x;
	s->hi++;
	return SLUICE_OK;
}

/* Removes x; returns 1 when it was held. */
static int
set_remove(offset_set *s, uint64_t x)
{
	size_t i = set_find(s, x);
	if (i == s->hi || s->v[i] != x)
		return 0;
	if (i == s->lo) {
		s->lo++;
	} else {
		memmove(s->v + i, s->v + i + 1, (s->hi - i - 1) * sizeof(*s->v));
		s->hi--;
	}
	if (s->lo == s->hi)
		s->lo = s->hi = 0;
	return 1;
}

/* Removes every offset <= x. */
static void
set_remove_upto(offset_set *s, uint64_t x)
{
	s->lo = x == UINT64_MAX ? s->hi : set_find(s, x + 1);
	if (s->lo == s->hi)
		s->lo = s->hi = 0;
}

/* Adds x, merging with adjacent ranges. */
static sluice_err
ranges_add(range_set *s, uint64_t x)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) { /* first range with last >= x */
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].last < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo;
	if (i < s->n && s->v[i].first <= x)
		return SLUICE_OK;
	int prev = i > 0 && s->v[i - 1].last + 1 == x;
	int next = i < s->n && s->v[i].first == x + 1;
	if (prev && next) {
		s->v[i - 1].last = s->v[i].last;
		memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(range));
		s->n--;
	} else if (prev) {
		s->v[i - 1].last = x;
	} else if (next) {
		s->v[i].first = x;
	} else {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			range *v = sl_realloc(s->v, cap * sizeof(*v));
			if (v == NULL)
				return SLUICE_ENOMEM;
			s->v = v;
			s->cap = cap;
		}
		memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(range));
		s->v[i].first = s->v[i].last = x;
		s->n++;
	}
	return SLUICE_OK;
}

/*
 * Wire form of a range set: one allocation holding the pointer array and
 * the ranges it points at. *out is NULL for an empty set.
 */
static sluice_err
ranges_pb(const range_set *s, Sluice__AckRange ***out)
{
	*out = NULL;
	if (s->n == 0)
		return SLUICE_OK;
	Sluice__AckRange **pp =
	    sl_alloc(s->n * (sizeof(*pp) + sizeof(Sluice__AckRange)));
	if (pp == NULL)
		return SLUICE_ENOMEM;
	Sluice__AckRange *items = (Sluice__AckRange *) (pp + s->n);
	for (size_t i = 0; i < s->n; i++) {
		Sluice__AckRange init = SLUICE__ACK_RANGE__INIT;
		items[i] = init;
		items[i].first = s->v[i].first;
		items[i].last = s->v[i].last;
		pp[i] = &items[i];
	}
	*out = pp;
	return SLUICE_OK;
}

/* ---- fetching and acking (mu held) ---------------------------------- */

static void fetch_done(client_req *r, sluice_err rv, const Sluice__Reply *reply);
static void ack_done(client_req *r, sluice_err rv, const Sluice__Reply *reply);

static uint32_t
held(const sluice_consumer *k)
{
	return k->reliable ? (uint32_t) set_count(&k->out)
	                   : k->queued + k->stashed;
}

/* Room for a fetch on the slot whose other slot is o. */
static uint32_t
room(const sluice_consumer *k, const fetch *o)
{
	uint64_t used = (uint64_t) held(k) + (o->busy ? o->asked : 0);
	return used >= k->window ? 0 : (uint32_t) (k->window - used);
}

static int
acks_pending(const sluice_consumer *k)
{
	return k->acks.n > 0 || k->n_nacks > 0 || k->has_cum;
}

/* Marks the consumer failed (first error wins) and wakes everyone. */
static void
fail_locked(sluice_consumer *k, sluice_err rv)
{
	if (k->err == SLUICE_OK && !k->stopping) {
		k->err = rv;
		sl_debug("sluice: consumer %llu stops: %s",
		    (unsigned long long) k->id, sluice_strerror(rv));
	}
	nng_cv_wake(k->cv);
}

static void
fetch_send(sluice_consumer *k, fetch *f, uint32_t ask)
{
	Sluice__AckRange **acks = NULL;
	sluice_err rv = ranges_pb(&k->acks, &acks);
	if (rv != SLUICE_OK) {
		fail_locked(k, rv);
		return;
	}
	Sluice__Fetch fm = SLUICE__FETCH__INIT;
	fm.consumer_id = k->id;
	fm.max_records = ask;
	fm.max_wait_ms = FETCH_WAIT_MS;
	fm.n_acks = acks != NULL ? k->acks.n : 0;
	fm.acks = acks;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = f->req.id = client_next_id(k->c);
	rq.body_case = SLUICE__REQUEST__BODY_FETCH;
	rq.fetch = &fm;
	rv = client_encode(&rq, &f->req.msg);
	sl_free(acks);
	if (rv == SLUICE_OK &&
	    (rv = client_submit(k->c, &f->req)) != SLUICE_OK) {
		nng_msg_free(f->req.msg);
		f->req.msg = NULL;
	}
	if (rv != SLUICE_OK) {
		fail_locked(k, rv);
		return;
	}
	f->busy = 1;
	f->asked = ask;
	f->sent = nng_clock();
	f->seq = ++k->next_seq;
	k->acks.n = 0; /* they travel with this fetch */
}

/* Drops the oldest nack group (just sent). */
static void
nacks_pop(sluice_consumer *k)
{
	nack_group *g = &k->nacks[0];
	k->nack_ranges -= g->r.n;
	sl_free(g->r.v);
	sl_free(g->reason);
	k->n_nacks--;
	memmove(k->nacks, k->nacks + 1, k->n_nacks * sizeof(*k->nacks));
}

/*
 * Sends every pending ack and cumulative ack, and the oldest group of
 * nacks, in one Ack request. Later nack groups follow, one per Ack, as
 * each reply comes back (ack_done pumps).
 */
static void
ack_send(sluice_consumer *k)
{
	if (k->ack.busy || !acks_pending(k))
		return;
	static const nack_group none = { { NULL, 0, 0 }, 0, NULL };
	const nack_group *g = k->n_nacks > 0 ? &k->nacks[0] : &none;
	Sluice__AckRange **acks = NULL, **nacks = NULL;
	sluice_err rv = ranges_pb(&k->acks, &acks);
	if (rv == SLUICE_OK)
		rv = ranges_pb(&g->r, &nacks);
	Sluice__Ack am = SLUICE__ACK__INIT;
	am.consumer_id = k->id;
	am.n_ranges = acks != NULL ? k->acks.n : 0;
	am.ranges = acks;
	am.has_cumulative = k->has_cum;
	am.cumulative = k->cum;
	am.n_nacks = nacks != NULL ? g->r.n : 0;
	am.nacks = nacks;
	am.nack_delay_ms = g->delay_ms;
	am.nack_reason = g->reason != NULL ? g->reason : (char *) "";
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = k->ack.req.id = client_next_id(k->c);
	rq.body_case = SLUICE__REQUEST__BODY_ACK;
	rq.ack = &am;
	if (rv == SLUICE_OK)
		rv = client_encode(&rq, &k->ack.req.msg);
	sl_free(acks);
	sl_free(nacks);
	if (rv == SLUICE_OK &&
	    (rv = client_submit(k->c, &k->ack.req)) != SLUICE_OK) {
		nng_msg_free(k->ack.req.msg);
		k->ack.req.msg = NULL;
	}
	if (rv != SLUICE_OK) {
		if (k->ack_err == SLUICE_OK)
			k->ack_err = rv;
		fail_locked(k, rv);
		return;
	}
	k->ack.busy = 1;
	k->acks.n = 0;
	if (k->n_nacks > 0)
		nacks_pop(k);
	k->has_cum = 0;
}

static void
linger_arm(sluice_consumer *k)
{
	if (k->linger_armed)
		return;
	k->linger_armed = 1;
	nng_sleep_aio(ACK_LINGER_MS, k->linger_aio);
}

/*
 * Sends what should go now: fetches for the room there is, acks when no
 * fetch can carry them. eager (the linger timer fired): any room is worth
 * a fetch and leftover acks go alone. Otherwise a fetch goes out at once
 * only for a worthwhile room (min_fetch), and small rooms and lone acks
 * wait ACK_LINGER_MS for more acks to gather.
 */
static void
pump(sluice_consumer *k, int eager)
{
	if (k->stopping || k->err != SLUICE_OK)
		return;
	/*
	 * Nacks and cumulative acks cannot ride on a fetch, but the room
	 * they freed is already counted: they must reach the broker before
	 * any fetch that uses it, or that fetch would ask beyond the
	 * broker's view of the window. Requests leave in submission order.
	 */
	if (k->n_nacks > 0 || k->has_cum) {
		ack_send(k);
		if (k->err != SLUICE_OK || k->n_nacks > 0 || k->has_cum)
			return; /* an Ack is in flight: ack_done pumps again */
	}
	nng_time now = nng_clock();
	int small = 0;
	for (int i = 0; i < NFETCH; i++) {
		fetch *f = &k->f[i], *o = &k->f[1 - i];
		if (f->busy)
			continue;
		if (f->not_before > now) {
			if (!k->backoff_armed) {
				k->backoff_armed = 1;
				nng_sleep_aio((nng_duration) (f->not_before - now),
				    k->backoff_aio);
			}
			continue;
		}
		uint32_t r = room(k, o);
		if (r == 0)
			continue;
		if (!eager && r < k->min_fetch) {
			small = 1;
			continue;
		}
		uint32_t ask = !o->busy && r >= 2 ? r - r / 2 : r;
		fetch_send(k, f, ask);
		if (k->err != SLUICE_OK)
			return;
	}
	if (acks_pending(k)) {
		/* An Ack in flight defers these to its reply (ack_done). */
		if (eager || k->acks.n >= ACK_FLUSH_RANGES)
			ack_send(k);
		else
			linger_arm(k);
	} else if (small) {
		linger_arm(k);
	}
}

static void
linger_cb(void *arg)
{
	sluice_consumer *k = arg;
	if (nng_aio_result(k->linger_aio) != 0)
		return; /* stopped by close */
	nng_mtx_lock(k->mu);
	k->linger_armed = 0;
	pump(k, 1);
	nng_mtx_unlock(k->mu);
}

/* Keeps the broker's lease alive while no fetch is out; re-arms itself. */
static void
keepalive_cb(void *arg)
{
	sluice_consumer *k = arg;
	if (nng_aio_result(k->keepalive_aio) != 0)
		return; /* stopped by close */
	nng_mtx_lock(k->mu);
	if (!k->stopping && k->err == SLUICE_OK) {
		if (!k->f[0].busy && !k->f[1].busy)
			fetch_send(k, &k->f[0], 0);
		nng_sleep_aio(KEEPALIVE_MS, k->keepalive_aio);
	}
	nng_mtx_unlock(k->mu);
}

static void
backoff_cb(void *arg)
{
	sluice_consumer *k = arg;
	if (nng_aio_result(k->backoff_aio) != 0)
		return;
	nng_mtx_lock(k->mu);
	k->backoff_armed = 0;
	pump(k, 0);
	nng_mtx_unlock(k->mu);
}

/* ---- transport callbacks (nng threads) ------------------------------ */

/* Counts the records of a list and returns its last one. */
static sluice_record *
list_last(sluice_record *first, uint32_t *n)
{
	sluice_record *last = first;
	for (*n = 1; last->next != NULL; (*n)++)
		last = last->next;
	return last;
}

/*
 * Takes the records of one Deliver for fetch f: they join f's stash, then
 * every stash that no earlier-sent fetch still waits ahead of moves to the
 * queue, oldest first. The broker answers fetches in the order it got
 * them, but their replies complete on different nng threads. mu held.
 */
static void
arrive(sluice_consumer *k, fetch *f, sluice_record *first)
{
	if (first != NULL) {
		uint32_t n;
		sluice_record *last = list_last(first, &n);
		for (sluice_record *r = first; r != NULL; r = r->next) {
			if (k->reliable &&
			    set_insert(&k->out, r->pb->offset) != SLUICE_OK)
				fail_locked(k, SLUICE_ENOMEM);
		}
		if (f->stash == NULL) {
			f->stash = first;
			f->stash_seq = f->seq;
		} else {
			f->stash_tail->next = first;
		}
		f->stash_tail = last;
		k->stashed += n;
	}
	for (;;) {
		fetch *s = NULL;
		for (int i = 0; i < NFETCH; i++) {
			if (k->f[i].stash != NULL &&
			    (s == NULL || k->f[i].stash_seq < s->stash_seq))
				s = &k->f[i];
		}
		if (s == NULL)
			return;
		for (int i = 0; i < NFETCH; i++) {
			if (k->f[i].busy && k->f[i].seq < s->stash_seq)
				return; /* its reply comes first */
		}
		uint32_t n;
		list_last(s->stash, &n);
		if (k->qtail != NULL)
			k->qtail->next = s->stash;
		else
			k->qhead = s->stash;
		k->qtail = s->stash_tail;
		k->queued += n;
		k->stashed -= n;
		s->stash = s->stash_tail = NULL;
	}
}

static void
fetch_done(client_req *req, sluice_err rv, const Sluice__Reply *reply)
{
	fetch *f = (fetch *) req;
	sluice_consumer *k = f->k;
	/* Submitted with take_reply: ours, kept by the records. */
	Sluice__Reply *own = (Sluice__Reply *) reply;
	sluice_record *first = NULL;
	int active = 0;
	uint64_t dropped = 0;

	if (rv == SLUICE_OK) {
		if (reply->status != SLUICE_OK) {
			rv = (sluice_err) reply->status;
			sl_debug("sluice: fetch refused: %s (%s)",
			    sluice_strerror(rv), reply->error);
		} else if (reply->body_case != SLUICE__REPLY__BODY_DELIVER) {
			rv = SLUICE_EPROTO;
		} else {
			active = reply->deliver->active;
			dropped = reply->deliver->dropped;
			if (reply->deliver->n_records > 0 &&
			    (rv = record_batch_make(own, &first)) == SLUICE_OK)
				own = NULL;
		}
	}
	nng_mtx_lock(k->mu);
	f->busy = 0;
	f->asked = 0;
	if (rv == SLUICE_OK) {
		k->active = active;
		k->dropped = dropped;
		nng_time now = nng_clock();
		if (first == NULL && now - f->sent < QUICK_EMPTY_MS)
			f->not_before = now + BACKOFF_MS;
	} else {
		fail_locked(k, rv);
	}
	/* Even after a failure: earlier records may wait for this one. */
	arrive(k, f, rv == SLUICE_OK ? first : NULL);
	nng_cv_wake(k->cv);
	pump(k, 0);
	nng_mtx_unlock(k->mu);
	codec_reply_free(own);
}

static void
ack_done(client_req *req, sluice_err rv, const Sluice__Reply *reply)
{
	ctl *a = (ctl *) req;
	sluice_consumer *k = a->k;
	if (rv == SLUICE_OK && reply->status != SLUICE_OK) {
		rv = (sluice_err) reply->status;
		sl_debug("sluice: ack refused: %s (%s)", sluice_strerror(rv),
		    reply->error);
	}
	nng_mtx_lock(k->mu);
	a->busy = 0;
	if (rv != SLUICE_OK && k->ack_err == SLUICE_OK)
		k->ack_err = rv;
	nng_cv_wake(k->cv);
	pump(k, 0);
	nng_mtx_unlock(k->mu);
}

static void
ctl_done(client_req *req, sluice_err rv, const Sluice__Reply *reply)
{
	ctl *x = (ctl *) req;
	sluice_consumer *k = x->k;
	if (rv == SLUICE_OK && reply->status != SLUICE_OK) {
		rv = (sluice_err) reply->status;
		sl_debug("sluice: subscription request refused: %s (%s)",
		    sluice_strerror(rv), reply->error);
	}
	nng_mtx_lock(k->mu);
	x->has_sub = rv == SLUICE_OK &&
	    reply->body_case == SLUICE__REPLY__BODY_SUBSCRIBE;
	if (x->has_sub) {
		x->id = reply->subscribe->consumer_id;
		x->window = reply->subscribe->window;
		x->active = reply->subscribe->active;
	}
	x->rv = rv;
	x->busy = 0;
	nng_cv_wake(k->cv);
	nng_mtx_unlock(k->mu);
}

/* Sends rq on the ctl request and waits for its reply. mu not held. */
static sluice_err
ctl_run(sluice_consumer *k, Sluice__Request *rq)
{
	rq->request_id = k->ctl.req.id = client_next_id(k->c);
	sluice_err rv = client_encode(rq, &k->ctl.req.msg);
	if (rv != SLUICE_OK)
		return rv;
	nng_mtx_lock(k->mu);
	k->ctl.busy = 1;
	if ((rv = client_submit(k->c, &k->ctl.req)) != SLUICE_OK) {
		nng_msg_free(k->ctl.req.msg);
		k->ctl.req.msg = NULL;
		k->ctl.busy = 0;
	}
	while (k->ctl.busy)
		nng_cv_wait(k->cv);
	if (rv == SLUICE_OK)
		rv = k->ctl.rv;
	nng_mtx_unlock(k->mu);
	return rv;
}

/* ---- open and close -------------------------------------------------- */

static void
consumer_free(sluice_consumer *k)
{
	/* Waits for running timer callbacks; none starts after this. */
	if (k->linger_aio != NULL)
		nng_aio_free(k->linger_aio);
	if (k->backoff_aio != NULL)
		nng_aio_free(k->backoff_aio);
	if (k->keepalive_aio != NULL)
		nng_aio_free(k->keepalive_aio);
	sluice_record *lists[1 + NFETCH] = { k->qhead, k->f[0].stash,
		k->f[1].stash };
	for (int i = 0; i < 1 + NFETCH; i++) {
		sluice_record *r = lists[i];
		while (r != NULL) {
			sluice_record *next = r->next;
			sluice_record_free(r);
			r = next;
		}
	}
	sl_free(k->out.v);
	sl_free(k->acks.v);
	while (k->n_nacks > 0)
		nacks_pop(k);
	sl_free(k->nacks);
	if (k->cv != NULL)
		nng_cv_free(k->cv);
	if (k->mu != NULL)
		nng_mtx_free(k->mu);
	sl_free(k);
}

/* Storage of a Subscribe's policy messages (on the caller's stack). */
typedef struct {
	Sluice__FailurePolicy fp;
	Sluice__RateLimit     rl;
	Sluice__BreakerPolicy bp;
	Sluice__U32           ack_timeout, base, max, jitter, redeliveries;
	Sluice__U32           failures, cooldown, cooldown_max;
	Sluice__U64           msgs, bytes;
} policy_wire;

/* Points w at a U32 wrapper holding v when set, else leaves it NULL. */
static void
u32_set(Sluice__U32 **slot, Sluice__U32 *w, int set, uint32_t v)
{
	if (!set)
		return;
	sluice__u32__init(w);
	w->value = v;
	*slot = w;
}

/*
 * Fills s->policy, dispatch_limit and breaker from the options, storage
 * in w. A message goes only when something in it is set: unset means the
 * broker's defaults.
 */
static void
policy_pb(const sluice_consumer_opts *co, policy_wire *w, Sluice__Subscribe *s)
{
	const sluice_failure_policy *p = &co->policy;
	sluice__failure_policy__init(&w->fp);
	u32_set(&w->fp.ack_timeout_ms, &w->ack_timeout, p->has_ack_timeout,
	    p->ack_timeout_ms);
	w->fp.backoff = (Sluice__BackoffKind) p->backoff;
	u32_set(&w->fp.backoff_base_ms, &w->base, p->has_backoff_base,
	    p->backoff_base_ms);
	u32_set(&w->fp.backoff_max_ms, &w->max, p->has_backoff_max,
	    p->backoff_max_ms);
	u32_set(&w->fp.backoff_jitter_pct, &w->jitter, p->has_backoff_jitter,
	    p->backoff_jitter_pct);
	u32_set(&w->fp.max_redeliveries, &w->redeliveries,
	    p->has_max_redeliveries, p->max_redeliveries);
	w->fp.on_exhausted = (Sluice__OnExhausted) p->on_exhausted;
	w->fp.dead_letter_topic = co->dlq != NULL ? co->dlq : (char *) "";
	if (p->has_ack_timeout || p->backoff != SLUICE_BACKOFF_DEFAULT ||
	    p->has_backoff_base || p->has_backoff_max || p->has_backoff_jitter ||
	    p->has_max_redeliveries ||
	    p->on_exhausted != SLUICE_EXHAUSTED_DEFAULT || co->dlq != NULL)
		s->policy = &w->fp;
	if (co->has_limit) {
		sluice__rate_limit__init(&w->rl);
		sluice__u64__init(&w->msgs);
		sluice__u64__init(&w->bytes);
		w->msgs.value = co->limit_msgs;
		w->bytes.value = co->limit_bytes;
		w->rl.msgs_per_sec = &w->msgs;
		w->rl.bytes_per_sec = &w->bytes;
		s->dispatch_limit = &w->rl;
	}
	if (co->has_breaker) {
		sluice__breaker_policy__init(&w->bp);
		u32_set(&w->bp.failures, &w->failures, 1, co->breaker_failures);
		u32_set(&w->bp.cooldown_ms, &w->cooldown, 1,
		    co->breaker_cooldown_ms);
		u32_set(&w->bp.cooldown_max_ms, &w->cooldown_max, 1,
		    co->breaker_cooldown_max_ms);
		s->breaker = &w->bp;
	}
}

static sluice_err
subscribe(sluice_consumer *k, const char *topic, const char *sub,
    const sluice_consumer_opts *co)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.type = (Sluice__SubType) co->type;
	s.mode = (Sluice__SubMode) co->mode;
	s.window = co->window;
	s.start = (Sluice__StartAt) co->start;
	s.start_offset = co->start_offset;
	s.consumer_name = co->name;
	s.priority = co->priority;
	/* Unset: the broker applies its configured default. */
	s.has_overflow = co->overflow != SLUICE_OVERFLOW_DEFAULT;
	s.overflow = s.has_overflow ? (Sluice__Overflow) co->overflow
	                            : SLUICE__OVERFLOW__OVERFLOW_DROP_NEWEST;
	s.queue_size = co->queue_size;
	policy_wire pw;
	policy_pb(co, &pw, &s);
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.body_case = SLUICE__REQUEST__BODY_SUBSCRIBE;
	rq.subscribe = &s;
	sluice_err rv = ctl_run(k, &rq);
	if (rv == SLUICE_OK && !k->ctl.has_sub)
		rv = SLUICE_EPROTO;
	if (rv != SLUICE_OK)
		return rv;
	k->id = k->ctl.id;
	k->window = k->ctl.window ? k->ctl.window : co->window ? co->window : 1000;
	k->active = k->ctl.active;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_open(sluice_consumer **out, sluice_client *c,
    const char *topic, const char *subscription, const sluice_consumer_opts *co)
{
	sluice_consumer_opts defaults = { .type = SLUICE_SUB_EXCLUSIVE,
		.mode = SLUICE_RELIABLE, .window = 1000,
		.start = SLUICE_START_LATEST, .name = (char *) "libsluice",
		.overflow = SLUICE_OVERFLOW_DEFAULT };
	sluice_err rv;

	if (out == NULL || c == NULL || !sluice_topic_name_is_valid(topic) ||
	    subscription == NULL || *subscription == '\0' ||
	    strlen(subscription) > MAX_SUB_NAME)
		return SLUICE_EINVAL;
	if (co == NULL)
		co = &defaults;
	sluice_consumer *k = sl_alloc(sizeof(*k));
	if (k == NULL)
		return SLUICE_ENOMEM;
	k->c = c;
	k->reliable = co->mode == SLUICE_RELIABLE;
	k->type = co->type;
	for (int i = 0; i < NFETCH; i++) {
		k->f[i].k = k;
		k->f[i].req.done = fetch_done;
		k->f[i].req.take_reply = 1;
	}
	k->ack.k = k;
	k->ack.req.done = ack_done;
	k->ctl.k = k;
	k->ctl.req.done = ctl_done;
	if ((rv = sl_err_from_nng(nng_mtx_alloc(&k->mu))) != SLUICE_OK ||
	    (rv = sl_err_from_nng(nng_cv_alloc(&k->cv, k->mu))) != SLUICE_OK ||
	    (rv = sl_err_from_nng(nng_aio_alloc(&k->linger_aio, linger_cb, k))) !=
	        SLUICE_OK ||
	    (rv = sl_err_from_nng(
	         nng_aio_alloc(&k->backoff_aio, backoff_cb, k))) != SLUICE_OK ||
	    (rv = sl_err_from_nng(
	         nng_aio_alloc(&k->keepalive_aio, keepalive_cb, k))) != SLUICE_OK)
		goto fail;
	/* Last: a failure after it would leave a consumer at the broker. */
	if ((rv = subscribe(k, topic, subscription, co)) != SLUICE_OK)
		goto fail;
	k->min_fetch = k->window / 4 > 0 ? k->window / 4 : 1;
	client_consumer_add(c);
	nng_mtx_lock(k->mu);
	pump(k, 0);
	nng_sleep_aio(KEEPALIVE_MS, k->keepalive_aio);
	nng_mtx_unlock(k->mu);
	*out = k;
	return SLUICE_OK;

fail:
	consumer_free(k);
	return rv;
}

/* Sends pending acks and waits for them. mu held. */
static void
acks_drain(sluice_consumer *k)
{
	while (k->ack.busy)
		nng_cv_wait(k->cv);
	if (k->err == SLUICE_OK && acks_pending(k)) {
		ack_send(k);
		while (k->ack.busy)
			nng_cv_wait(k->cv);
	}
}

static sluice_err
consumer_end(sluice_consumer *k, int delete_sub)
{
	if (k == NULL)
		return SLUICE_EINVAL;
	nng_mtx_lock(k->mu);
	k->stopping = 1;
	nng_cv_wake(k->cv);
	nng_mtx_unlock(k->mu);
	if (k->thr != NULL)
		nng_thread_destroy(k->thr); /* joins the handler thread */

	nng_mtx_lock(k->mu);
	acks_drain(k);
	sluice_err rv = k->ack_err;
	int send_unsub = client_status(k->c) == SLUICE_OK;
	nng_mtx_unlock(k->mu);

	if (send_unsub) {
		Sluice__Unsubscribe u = SLUICE__UNSUBSCRIBE__INIT;
		u.consumer_id = k->id;
		u.delete_subscription = delete_sub != 0;
		Sluice__Request rq = SLUICE__REQUEST__INIT;
		rq.body_case = SLUICE__REQUEST__BODY_UNSUBSCRIBE;
		rq.unsubscribe = &u;
		sluice_err urv = ctl_run(k, &rq);
		if (rv == SLUICE_OK)
			rv = urv;
	} else if (rv == SLUICE_OK) {
		rv = SLUICE_ECLOSED;
	}

	/*
	 * Fetches still parked at the broker: the consumer is detached, so
	 * whatever they would bring goes to others. Abort outside mu, as
	 * fetch_done may run inside client_abort.
	 */
	for (int i = 0; i < NFETCH; i++) {
		nng_mtx_lock(k->mu);
		int busy = k->f[i].busy;
		nng_mtx_unlock(k->mu);
		if (busy)
			client_abort(k->c, &k->f[i].req);
	}
	nng_mtx_lock(k->mu);
	while (k->f[0].busy || k->f[1].busy || k->ack.busy)
		nng_cv_wait(k->cv);
	nng_mtx_unlock(k->mu);

	client_consumer_remove(k->c);
	consumer_free(k);
	return rv;
}

sluice_err
sluice_consumer_close(sluice_consumer *k)
{
	return consumer_end(k, 0);
}

sluice_err
sluice_consumer_unsubscribe(sluice_consumer *k)
{
	return consumer_end(k, 1);
}

/* ---- delivery to the application ------------------------------------ */

/* Takes the head of the queue (not empty). mu held. */
static sluice_record *
pop(sluice_consumer *k)
{
	sluice_record *r = k->qhead;
	if ((k->qhead = r->next) == NULL)
		k->qtail = NULL;
	r->next = NULL;
	k->queued--;
	/* Non-reliable room opens as the app takes records. */
	if (!k->reliable)
		pump(k, 0);
	return r;
}

sluice_err
sluice_receive(sluice_consumer *k, sluice_record **out, int timeout_ms)
{
	if (k == NULL || out == NULL)
		return SLUICE_EINVAL;
	nng_time deadline = nng_clock() + (nng_time) (timeout_ms > 0 ? timeout_ms : 0);
	sluice_err rv = SLUICE_OK;
	nng_mtx_lock(k->mu);
	if (k->handler != NULL) {
		nng_mtx_unlock(k->mu);
		return SLUICE_EINVAL;
	}
	k->received = 1;
	while (k->qhead == NULL) {
		if (k->err != SLUICE_OK || k->stopping) {
			rv = k->err != SLUICE_OK ? k->err : SLUICE_ECLOSED;
			break;
		}
		if (timeout_ms == 0) {
			rv = SLUICE_ETIMEDOUT;
			break;
		}
		if (timeout_ms < 0)
			nng_cv_wait(k->cv);
		else if (nng_cv_until(k->cv, deadline) == NNG_ETIMEDOUT &&
		    k->qhead == NULL) {
			rv = SLUICE_ETIMEDOUT;
			break;
		}
	}
	if (rv == SLUICE_OK)
		*out = pop(k);
	nng_mtx_unlock(k->mu);
	return rv;
}

/* The handler thread: delivers queued records in order until close. */
static void
handler_main(void *arg)
{
	sluice_consumer *k = arg;
	nng_mtx_lock(k->mu);
	for (;;) {
		while (!k->stopping && k->qhead == NULL)
			nng_cv_wait(k->cv);
		if (k->stopping)
			break;
		sluice_record *r = pop(k);
		nng_mtx_unlock(k->mu);
		k->handler(k, r, k->handler_arg);
		nng_mtx_lock(k->mu);
	}
	nng_mtx_unlock(k->mu);
}

sluice_err
sluice_consumer_set_handler(sluice_consumer *k, sluice_message_cb cb, void *arg)
{
	if (k == NULL || cb == NULL)
		return SLUICE_EINVAL;
	nng_mtx_lock(k->mu);
	if (k->handler != NULL || k->received || k->stopping) {
		nng_mtx_unlock(k->mu);
		return SLUICE_EINVAL;
	}
	k->handler = cb;
	k->handler_arg = arg;
	nng_mtx_unlock(k->mu);
	/* k->thr is written here only; close reads it after this returns. */
	sluice_err rv = sl_err_from_nng(nng_thread_create(&k->thr, handler_main, k));
	if (rv != SLUICE_OK) {
		nng_mtx_lock(k->mu);
		k->handler = NULL;
		k->thr = NULL;
		nng_mtx_unlock(k->mu);
	}
	return rv;
}

/* ---- acks ----------------------------------------------------------- */

/*
 * Common start of the ack calls: takes mu (held on return, whatever the
 * result) and returns the consumer's fatal error, if any.
 */
static sluice_err
ack_begin(sluice_consumer *k)
{
	nng_mtx_lock(k->mu);
	/* Bounded: with this many ranges waiting, wait for the Ack out. */
	while (k->err == SLUICE_OK && k->ack.busy &&
	    k->acks.n + k->nack_ranges + k->n_nacks >= ACK_MAX_RANGES)
		nng_cv_wait(k->cv);
	return k->err;
}

sluice_err
sluice_ack(sluice_consumer *k, uint64_t offset)
{
	if (k == NULL)
		return SLUICE_EINVAL;
	if (!k->reliable)
		return SLUICE_OK; /* nothing to ack: at-most-once */
	sluice_err rv = ack_begin(k);
	if (rv == SLUICE_OK) {
		set_remove(&k->out, offset);
		rv = ranges_add(&k->acks, offset);
		pump(k, 0);
	}
	nng_mtx_unlock(k->mu);
	return rv;
}

sluice_err
sluice_ack_cumulative(sluice_consumer *k, uint64_t offset)
{
	if (k == NULL)
		return SLUICE_EINVAL;
	if (!k->reliable)
		return SLUICE_OK;
	if (k->type == SLUICE_SUB_SHARED || k->type == SLUICE_SUB_KEY_SHARED)
		return SLUICE_ENOTSUPP;
	sluice_err rv = ack_begin(k);
	if (rv == SLUICE_OK) {
		set_remove_upto(&k->out, offset);
		if (!k->has_cum || offset > k->cum)
			k->cum = offset;
		k->has_cum = 1;
		pump(k, 0);
	}
	nng_mtx_unlock(k->mu);
	return rv;
}

static int
same_reason(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The pending group for delay and reason, appended when new. mu held. */
static sluice_err
nack_group_get(sluice_consumer *k, uint32_t delay_ms, const char *reason,
    nack_group **out)
{
	for (size_t i = 0; i < k->n_nacks; i++) {
		nack_group *g = &k->nacks[i];
		if (g->delay_ms == delay_ms && same_reason(g->reason, reason)) {
			*out = g;
			return SLUICE_OK;
		}
	}
	if (k->n_nacks == k->nacks_cap) {
		size_t cap = k->nacks_cap ? 2 * k->nacks_cap : 4;
		nack_group *v = sl_realloc(k->nacks, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		k->nacks = v;
		k->nacks_cap = cap;
	}
	nack_group *g = &k->nacks[k->n_nacks];
	memset(g, 0, sizeof(*g));
	g->delay_ms = delay_ms;
	if (reason != NULL && (g->reason = sl_strdup(reason)) == NULL)
		return SLUICE_ENOMEM;
	k->n_nacks++;
	*out = g;
	return SLUICE_OK;
}

sluice_err
sluice_nack_ex(sluice_consumer *k, uint64_t offset, uint32_t delay_ms,
    const char *reason)
{
	if (reason != NULL && reason[0] == '\0')
		reason = NULL;
	if (k == NULL ||
	    (reason != NULL && strlen(reason) > SLUICE_NACK_REASON_MAX))
		return SLUICE_EINVAL;
	if (!k->reliable)
		return SLUICE_OK;
	sluice_err rv = ack_begin(k);
	nack_group *g = NULL;
	if (rv == SLUICE_OK)
		rv = nack_group_get(k, delay_ms, reason, &g);
	if (rv == SLUICE_OK) {
		size_t before = g->r.n;
		rv = ranges_add(&g->r, offset);
		k->nack_ranges += g->r.n - before;
	}
	if (rv == SLUICE_OK) {
		/* Only a recorded nack frees the credit it held. */
		set_remove(&k->out, offset);
		pump(k, 0);
	}
	nng_mtx_unlock(k->mu);
	return rv;
}

sluice_err
sluice_nack(sluice_consumer *k, uint64_t offset)
{
	return sluice_nack_ex(k, offset, 0, NULL);
}

sluice_err
sluice_consumer_flush_acks(sluice_consumer *k)
{
	if (k == NULL)
		return SLUICE_EINVAL;
	nng_mtx_lock(k->mu);
	acks_drain(k);
	sluice_err rv = k->ack_err != SLUICE_OK ? k->ack_err : k->err;
	k->ack_err = SLUICE_OK;
	nng_mtx_unlock(k->mu);
	return rv;
}

int
sluice_consumer_is_active(const sluice_consumer *k)
{
	if (k == NULL)
		return 0;
	nng_mtx_lock(k->mu);
	int v = k->active;
	nng_mtx_unlock(k->mu);
	return v;
}

uint64_t
sluice_consumer_dropped(const sluice_consumer *k)
{
	if (k == NULL)
		return 0;
	nng_mtx_lock(k->mu);
	uint64_t v = k->dropped;
	nng_mtx_unlock(k->mu);
	return v;
}
