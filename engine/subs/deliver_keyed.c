/*
 * deliver_keyed.c - key_shared delivery: messages with the same key go to
 * the same consumer, in offset order; messages without a key go to
 * whichever consumer is being served (round robin over those with room).
 * A key's owner is found on a consistent-hash ring of the consumers
 * (hashring.h), so a consumer that joins or leaves moves only its share
 * of the keys.
 *
 * Reliable mode keeps, per key with anything unsettled (a kstate):
 *  - out: offsets delivered at least once and not yet known to be acked,
 *    ascending. A key may go to consumer c only while every one of them
 *    that is in flight is held by c: a key that moved (its owner joined or
 *    left the ring) waits until the old owner acked or gave up what it
 *    holds, and a message that failed (nack, ack timeout, its consumer
 *    left) goes out again, to the key's current owner, before anything
 *    newer of its key; while it waits out a backoff, or is set aside
 *    (on_exhausted block, a dead letter being written), its key waits.
 *  - held: offsets read from the log but not delivered because their
 *    key's owner had no room or the key was waiting, ascending. Reading
 *    goes on past them, so a full or slow consumer never stalls the keys
 *    of the others; a consumer that can take more gets its held messages
 *    first, per key in offset order.
 * Held offsets are bounded per subscription by max(4 x the sum of the
 * consumers' windows, 10000): past that, reading ahead stops until the
 * owners of the held messages take them (their fetches or acks pump the
 * subscription again). Memory thus follows the windows, not the backlog.
 *
 * Acks, nacks, timeouts and departures are learnt lazily: a key looks at
 * the delivery records (sub->deliveries) of its out offsets whenever it
 * matters, and forgets those that are gone or acked; a periodic sweep
 * keeps keys that are never looked at again from piling up. Offsets that
 * fail land on sub->redeliver (when due, after any backoff): the pump
 * drains it, queueing each under its key (or, without a key, on a heap
 * served to any consumer).
 *
 * Owns sub->keyed. Does not own the delivery records, the cursor or the
 * redelivery heap (subs.c, retry.c), nor the consumer list (the
 * key_shared dispatchers, engine/dispatch/key_shared.c).
 */
#include <string.h>

#include "alloc.h"
#include "deliver_impl.h"
#include "hashring.h"
#include "log.h"

#define KEYED_MIN_HELD 10000
#define KEYED_HELD_PER_WINDOW 4
/* The sweep runs when out offsets exceed twice the delivery records plus
 * this slack: amortized O(1) per delivery. */
#define KEYED_SWEEP_SLACK 1024

typedef struct kcons kcons;
typedef struct kstate kstate;

/* The keys one consumer owns that have something waiting to go out. */
struct kcons {
	consumer *c;          /* NULL: ks->nobody (no consumers at all) */
	kstate *head, *tail;
	kcons *next;          /* ks->members */
};

struct kstate {
	uint64_t hash;        /* of the key's bytes: identifies it */
	uint64_t *out;        /* delivered, maybe unacked; ascending */
	size_t nout, capout;
	uint64_t *held;       /* held[hfirst .. hfirst + nheld): ascending */
	size_t hfirst, nheld, capheld;
	kcons *list;          /* the owner list it waits in; NULL: none */
	kstate *lprev, *lnext;
	kstate *aprev, *anext; /* ks->all */
	uint64_t open_stamp;  /* == ks->stamp: open for the fill under way */
};

typedef struct {
	hashring ring;        /* consumer id -> kcons */
	kcons *members;       /* one per consumer on the ring */
	kcons nobody;         /* waiting keys while there are no consumers */
	u64map *keys;         /* hash -> kstate */
	u64map *tracked;      /* offset -> kstate: every out and held offset */
	kstate *all;
	size_t held, nout;    /* totals over all keys */
	u64heap nokey_due;    /* offsets without a key to deliver again */
	uint64_t stamp;       /* one per fill */
} keyed;

/* One fill of consumer kc->c. */
typedef struct {
	fill f;
	keyed *ks;
	kcons *kc;
	uint64_t expect;
	int found;
	size_t limit;         /* held offsets allowed */
} kfill;

enum { K_WAIT, K_DUE, K_HELD, K_OPEN };

/* ---- state ------------------------------------------------------------ */

static keyed *
keyed_get(subscription *sub)
{
	keyed *ks = sub->keyed;
	if (ks != NULL)
		return ks;
	if ((ks = sl_alloc(sizeof(*ks))) == NULL)
		return NULL;
	hashring_init(&ks->ring);
	u64heap_init(&ks->nokey_due);
	if (u64map_alloc(&ks->keys) != SLUICE_OK || u64map_alloc(&ks->tracked) != SLUICE_OK) {
		u64map_free(ks->keys);
		sl_free(ks);
		return NULL;
	}
	sub->keyed = ks;
	return ks;
}

static kcons *
kcons_of(keyed *ks, const consumer *c)
{
	for (kcons *kc = ks->members; kc != NULL; kc = kc->next)
		if (kc->c == c)
			return kc;
	return NULL;
}

static void
list_append(kcons *kc, kstate *k)
{
	k->list = kc;
	k->lnext = NULL;
	k->lprev = kc->tail;
	if (kc->tail != NULL)
		kc->tail->lnext = k;
	else
		kc->head = k;
	kc->tail = k;
}

static void
unlink_key(kstate *k)
{
	kcons *kc = k->list;
	if (kc == NULL)
		return;
	if (k->lprev != NULL)
		k->lprev->lnext = k->lnext;
	else
		kc->head = k->lnext;
	if (k->lnext != NULL)
		k->lnext->lprev = k->lprev;
	else
		kc->tail = k->lprev;
	k->list = NULL;
	k->lprev = k->lnext = NULL;
}

/* The consumer list of k's owner (ks->nobody when the ring is empty). */
static kcons *
owner_list(keyed *ks, const kstate *k)
{
	kcons *kc = hashring_lookup(&ks->ring, k->hash);
	return kc != NULL ? kc : &ks->nobody;
}

/* k has something to deliver: its owner looks at it when it has room. */
static void
link_key(keyed *ks, kstate *k)
{
	if (k->list == NULL)
		list_append(owner_list(ks, k), k);
}

/* The ring changed: every waiting key goes to its (new) owner's list. */
static void
rebucket(keyed *ks)
{
	kstate *chain = NULL, **tail = &chain;
	for (kcons *kc = ks->members;; kc = kc->next) {
		kcons *l = kc != NULL ? kc : &ks->nobody;
		*tail = l->head;
		if (l->tail != NULL)
			tail = &l->tail->lnext;
		l->head = l->tail = NULL;
		if (kc == NULL)
			break;
	}
	for (kstate *k = chain, *next; k != NULL; k = next) {
		next = k->lnext;
		k->list = NULL;
		list_append(owner_list(ks, k), k);
	}
}

static kstate *
key_get(keyed *ks, uint64_t hash)
{
	kstate *k = u64map_get(ks->keys, hash);
	if (k != NULL)
		return k;
	if ((k = sl_alloc(sizeof(*k))) == NULL)
		return NULL;
	k->hash = hash;
	if (u64map_put(ks->keys, hash, k) != SLUICE_OK) {
		sl_free(k);
		return NULL;
	}
	k->anext = ks->all;
	if (ks->all != NULL)
		ks->all->aprev = k;
	ks->all = k;
	return k;
}

static void
key_free(keyed *ks, kstate *k)
{
	unlink_key(k);
	for (size_t i = 0; i < k->nout; i++)
		u64map_del(ks->tracked, k->out[i]);
	for (size_t i = 0; i < k->nheld; i++)
		u64map_del(ks->tracked, k->held[k->hfirst + i]);
	ks->nout -= k->nout;
	ks->held -= k->nheld;
	u64map_del(ks->keys, k->hash);
	if (k->aprev != NULL)
		k->aprev->anext = k->anext;
	else
		ks->all = k->anext;
	if (k->anext != NULL)
		k->anext->aprev = k->aprev;
	sl_free(k->out);
	sl_free(k->held);
	sl_free(k);
}

static void
key_free_if_idle(keyed *ks, kstate *k)
{
	if (k->nout == 0 && k->nheld == 0 && k->list == NULL)
		key_free(ks, k);
}

/* Adds off to k's out offsets, in order (a no-op when it is there). */
static sluice_err
out_insert(keyed *ks, kstate *k, uint64_t off)
{
	size_t at = k->nout;
	while (at > 0 && k->out[at - 1] > off)
		at--;
	if (at > 0 && k->out[at - 1] == off)
		return SLUICE_OK;
	if (k->nout == k->capout) {
		size_t cap = k->capout ? k->capout * 2 : 4;
		uint64_t *v = sl_realloc(k->out, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		k->out = v;
		k->capout = cap;
	}
	if (u64map_put(ks->tracked, off, k) != SLUICE_OK)
		return SLUICE_ENOMEM;
	memmove(&k->out[at + 1], &k->out[at], (k->nout - at) * sizeof(*k->out));
	k->out[at] = off;
	k->nout++;
	ks->nout++;
	return SLUICE_OK;
}

/* Holds off back under k (offsets arrive in ascending order). */
static sluice_err
held_push(keyed *ks, kstate *k, uint64_t off)
{
	if (k->hfirst + k->nheld == k->capheld) {
		if (k->hfirst > 0) {
			memmove(k->held, k->held + k->hfirst, k->nheld * sizeof(*k->held));
			k->hfirst = 0;
		} else {
			size_t cap = k->capheld ? k->capheld * 2 : 4;
			uint64_t *v = sl_realloc(k->held, cap * sizeof(*v));
			if (v == NULL)
				return SLUICE_ENOMEM;
			k->held = v;
			k->capheld = cap;
		}
	}
	if (u64map_put(ks->tracked, off, k) != SLUICE_OK)
		return SLUICE_ENOMEM;
	k->held[k->hfirst + k->nheld++] = off;
	ks->held++;
	link_key(ks, k);
	return SLUICE_OK;
}

static void
held_drop_first(keyed *ks, kstate *k)
{
	k->hfirst++;
	k->nheld--;
	ks->held--;
	if (k->nheld == 0)
		k->hfirst = 0;
}

/*
 * What key k may do for consumer c (its owner; NULL: nobody) now:
 * K_WAIT (something of it is in flight at another consumer, or its
 * oldest failed message waits out a backoff or is set aside), K_DUE
 * (*off failed and goes out again first), K_HELD (*off is its oldest held
 * message), K_OPEN (nothing waits: a new message may go at once). Forgets
 * out offsets that are acked or gone. *keep: k still has something to
 * deliver (held, or failed and due) and must stay in its owner's list.
 */
static int
key_state(keyed *ks, subscription *sub, kstate *k, const consumer *c, uint64_t *off,
    int *keep)
{
	int elsewhere = 0, idle = 0, ready = 0, any_ready = 0;
	uint64_t first_idle = 0;
	size_t w = 0;
	for (size_t i = 0; i < k->nout; i++) {
		uint64_t o = k->out[i];
		delivery *d = u64map_get(sub->deliveries, o);
		if (d == NULL || cursor_is_acked(&sub->cur, o)) {
			u64map_del(ks->tracked, o); /* settled */
			ks->nout--;
			continue;
		}
		k->out[w++] = o;
		if (d->owner != NULL) {
			elsewhere |= d->owner != c;
			continue;
		}
		/* retry_at_ms 0: due now; else waiting out a backoff, or set
		 * aside (UINT64_MAX: on_exhausted block, a dead letter). */
		int r = d->retry_at_ms == 0;
		any_ready |= r;
		if (!idle) {
			idle = 1;
			ready = r;
			first_idle = o;
		}
	}
	k->nout = w;
	*keep = k->nheld > 0 || any_ready;
	if (elsewhere || (idle && !ready))
		return K_WAIT;
	if (idle) {
		*off = first_idle;
		return K_DUE;
	}
	if (k->nheld > 0) {
		*off = k->held[k->hfirst];
		return K_HELD;
	}
	return K_OPEN;
}

/* ---- sending ------------------------------------------------------------ */

static int
give_one(void *arg, uint64_t off, const void *val, size_t len)
{
	kfill *kf = arg;
	subscription *sub = kf->f.sub;
	if (off != kf->expect)
		return 1;
	kf->found = 1;
	delivery *d = u64map_get(sub->deliveries, off);
	if (d == NULL && (d = delivery_new(sub, off)) == NULL) {
		kf->f.rv = SLUICE_ENOMEM;
		return 1;
	}
	deliver_give(&kf->f, off, d, val, len);
	return 1;
}

/* Sends off (held back, or failed and due) to the consumer being filled:
 * 1 when it went out or is gone from the log for good, 0 when it could
 * not go now (the fill then stops). */
static int
send_offset(kfill *kf, uint64_t off)
{
	subscription *sub = kf->f.sub;
	kf->expect = off;
	kf->found = 0;
	sluice_err rv = tlog_read_raw(kf->f.s->log, sub->topic, off, 1, give_one, kf);
	if (rv != SLUICE_OK) {
		sl_error("subscription %s: read failed: %s", sub->name, sluice_strerror(rv));
		kf->f.rv = rv;
		return 0;
	}
	if (!kf->found) {
		/* Retention took it (it never takes what is above an ack
		 * floor, so only after a reset): nothing to deliver. */
		delivery_forget(sub, off);
		return 1;
	}
	return kf->f.rv == SLUICE_OK;
}

/*
 * key_state for the fill under way, remembering for the rest of the fill
 * a key found with nothing in the way (K_HELD, K_OPEN): what this fill
 * then sends of it goes to the same consumer, so it stays that way, and a
 * key with many messages in flight is not walked once per message.
 */
static int
key_next(kfill *kf, kstate *k, uint64_t *off, int *keep)
{
	if (k->open_stamp == kf->ks->stamp) {
		*keep = k->nheld > 0;
		if (k->nheld == 0)
			return K_OPEN;
		*off = k->held[k->hfirst];
		return K_HELD;
	}
	int st = key_state(kf->ks, kf->f.sub, k, kf->f.c, off, keep);
	if (st == K_HELD || st == K_OPEN)
		k->open_stamp = kf->ks->stamp;
	return st;
}

/* Delivers what k has waiting, in order, while the fill has room. */
static void
serve_key(kfill *kf, kstate *k)
{
	keyed *ks = kf->ks;
	subscription *sub = kf->f.sub;
	int keep = 1;
	while (!deliver_full(&kf->f)) {
		uint64_t off;
		int st = key_next(kf, k, &off, &keep);
		if (st == K_DUE) {
			if (!send_offset(kf, off))
				break;
			k->open_stamp = 0; /* what comes next needs a fresh look */
			continue;
		}
		if (st != K_HELD) {
			if (!keep)
				unlink_key(k);
			break;
		}
		if (cursor_is_acked(&sub->cur, off)) {
			held_drop_first(ks, k);
			u64map_del(ks->tracked, off);
			continue;
		}
		if (out_insert(ks, k, off) != SLUICE_OK) {
			kf->f.rv = SLUICE_ENOMEM; /* it stays first of its key */
			break;
		}
		held_drop_first(ks, k);
		if (!send_offset(kf, off))
			break;
	}
	key_free_if_idle(ks, k);
}

/* No-key messages that failed and are due: any consumer takes them. */
static void
serve_nokey(kfill *kf)
{
	keyed *ks = kf->ks;
	subscription *sub = kf->f.sub;
	while (!deliver_full(&kf->f) && ks->nokey_due.n > 0) {
		uint64_t off = u64heap_peek(&ks->nokey_due);
		delivery *d = u64map_get(sub->deliveries, off);
		if (d == NULL || d->owner != NULL || d->retry_at_ms != 0 ||
		    cursor_is_acked(&sub->cur, off)) {
			u64heap_pop(&ks->nokey_due); /* settled or sent meanwhile */
			continue;
		}
		if (!send_offset(kf, off))
			break;
		u64heap_pop(&ks->nokey_due);
	}
}

/* ---- reading ahead -------------------------------------------------------- */

/* Whether a new message of k may go at once to the consumer being
 * filled: it owns k and nothing of k waits or is in flight elsewhere. */
static int
key_open_for(kfill *kf, kstate *k)
{
	int keep;
	uint64_t off;
	if (k->list != NULL || owner_list(kf->ks, k) != kf->kc)
		return 0;
	return key_next(kf, k, &off, &keep) == K_OPEN;
}

static int
give_new(kfill *kf, uint64_t off, delivery *d, const void *val, size_t len)
{
	subscription *sub = kf->f.sub;
	if (d == NULL && (d = delivery_new(sub, off)) == NULL) {
		sub->read_pos = off; /* try again later */
		kf->f.rv = SLUICE_ENOMEM;
		return 1;
	}
	deliver_give(&kf->f, off, d, val, len);
	return deliver_full(&kf->f);
}

static int
read_new(void *arg, uint64_t off, const void *val, size_t len)
{
	kfill *kf = arg;
	keyed *ks = kf->ks;
	subscription *sub = kf->f.sub;
	sub->read_pos = off + 1;
	if (cursor_is_acked(&sub->cur, off))
		return 0; /* acked before a restart */
	delivery *d = u64map_get(sub->deliveries, off);
	kstate *known = u64map_get(ks->tracked, off);
	if (known != NULL) {
		/* Read again after a rewind (no memory to queue a departed
		 * consumer's messages): what is due waits under its key. */
		if (d != NULL && d->owner == NULL && d->retry_at_ms == 0)
			link_key(ks, known);
		return 0;
	}
	/* A record that exists is in flight (read again after a reset), or
	 * failed before a restart and waits for its retry timer. */
	int ready = d == NULL || (d->owner == NULL && d->retry_at_ms == 0);
	const uint8_t *key;
	size_t klen;
	if (!codec_stored_key(val, len, &key, &klen))
		return ready ? give_new(kf, off, d, val, len) : 0;
	kstate *k = key_get(ks, hashring_hash(key, klen));
	if (k == NULL)
		goto nomem;
	if (!ready) {
		/* Not ours to send, but its place in the key's order counts. */
		if (out_insert(ks, k, off) != SLUICE_OK)
			goto nomem;
		return 0;
	}
	if (key_open_for(kf, k)) {
		if (out_insert(ks, k, off) != SLUICE_OK)
			goto nomem;
		return give_new(kf, off, d, val, len);
	}
	if (held_push(ks, k, off) != SLUICE_OK)
		goto nomem;
	return ks->held >= kf->limit;
nomem:
	if (k != NULL)
		key_free_if_idle(ks, k);
	sub->read_pos = off; /* try again later */
	kf->f.rv = SLUICE_ENOMEM;
	return 1;
}

static void
read_ahead(kfill *kf)
{
	subs *s = kf->f.s;
	subscription *sub = kf->f.sub;
	uint64_t first = tlog_topic_first(sub->topic);
	if (sub->read_pos < first)
		sub->read_pos = first; /* retention went past it */
	sub->read_pos = cursor_next_unacked(&sub->cur, sub->read_pos);
	if (deliver_full(&kf->f) || kf->ks->held >= kf->limit ||
	    sub->read_pos >= tlog_topic_head(sub->topic))
		return;
	sluice_err rv = tlog_read_raw(s->log, sub->topic, sub->read_pos, SIZE_MAX, read_new, kf);
	if (rv != SLUICE_OK)
		sl_error("subscription %s: read failed: %s", sub->name, sluice_strerror(rv));
}

/* ---- the pump --------------------------------------------------------------- */

typedef struct {
	uint64_t expect;
	uint64_t hash;
	int has, found;
} key_probe;

static int
probe_key(void *arg, uint64_t off, const void *val, size_t len)
{
	key_probe *p = arg;
	if (off == p->expect) {
		const uint8_t *key;
		size_t klen;
		p->found = 1;
		/* The key points into val, valid for this call only: hash now. */
		if ((p->has = codec_stored_key(val, len, &key, &klen)))
			p->hash = hashring_hash(key, klen);
	}
	return 1;
}

/* The key of the message at off: 1 with *hash, 0 without a key, -1 when
 * it is not in the log (or cannot be read). */
static int
key_of(subs *s, subscription *sub, uint64_t off, uint64_t *hash)
{
	key_probe p = { off, 0, 0, 0 };
	if (tlog_read_raw(s->log, sub->topic, off, 1, probe_key, &p) != SLUICE_OK || !p.found)
		return -1;
	*hash = p.hash;
	return p.has;
}

/* Offsets that failed and are due again: each waits under its key. */
static void
drain_redeliveries(subs *s, subscription *sub, keyed *ks)
{
	while (sub->redeliver.n > 0) {
		uint64_t off = u64heap_pop(&sub->redeliver), hash;
		delivery *d = u64map_get(sub->deliveries, off);
		if (d == NULL || d->owner != NULL || d->retry_at_ms != 0 ||
		    cursor_is_acked(&sub->cur, off))
			continue; /* acked, sent or set aside since it was queued */
		kstate *k = u64map_get(ks->tracked, off);
		if (k != NULL) {
			link_key(ks, k);
			continue;
		}
		if (off >= sub->read_pos)
			continue; /* never read since a reset: read in its turn */
		int has = key_of(s, sub, off, &hash);
		if (has == 0) {
			if (u64heap_push(&ks->nokey_due, off) == SLUICE_OK)
				continue;
		} else if (has > 0 && (k = key_get(ks, hash)) != NULL) {
			if (out_insert(ks, k, off) == SLUICE_OK) {
				link_key(ks, k);
				continue;
			}
			key_free_if_idle(ks, k);
		} else if (has < 0) {
			continue; /* gone from the log */
		}
		/* No memory: read it again from the floor later. */
		if (sub->read_pos > sub->cur.floor)
			sub->read_pos = sub->cur.floor;
	}
}

/* Forgets settled out offsets of keys nobody looked at lately. */
static void
maybe_sweep(subscription *sub, keyed *ks)
{
	if (ks->nout <= 2 * u64map_count(sub->deliveries) + KEYED_SWEEP_SLACK)
		return;
	for (kstate *k = ks->all, *next; k != NULL; k = next) {
		next = k->anext;
		uint64_t off;
		int keep;
		key_state(ks, sub, k, NULL, &off, &keep);
		if (keep)
			link_key(ks, k);
		else
			unlink_key(k);
		key_free_if_idle(ks, k);
	}
}

static size_t
held_limit(const subscription *sub)
{
	size_t n = KEYED_HELD_PER_WINDOW * sub->nconsumers * (size_t) sub->window;
	return n > KEYED_MIN_HELD ? n : KEYED_MIN_HELD;
}

void
deliver_pump_keyed(subs *s, subscription *sub)
{
	keyed *ks = keyed_get(sub);
	if (ks == NULL)
		return; /* no memory: the watchdog pumps again */
	drain_redeliveries(s, sub, ks);
	maybe_sweep(sub, ks);
	/* Each consumer that can take more is filled in turn: failed
	 * no-key messages, then its keys' waiting messages, then new ones.
	 * One that gets nothing leaves its fetch parked and the turn passes
	 * on; the pump ends when a whole round gave nothing. */
	size_t idle = 0;
	consumer *c;
	while (idle < sub->nconsumers && (c = sub->ops->pick(sub)) != NULL) {
		kfill kf = { .ks = ks, .kc = kcons_of(ks, c), .limit = held_limit(sub) };
		if (kf.kc == NULL)
			return; /* not on the ring (cannot happen) */
		if (!deliver_fill_begin(&kf.f, s, sub, c))
			return;
		ks->stamp++;
		serve_nokey(&kf);
		for (kstate *k = kf.kc->head, *next; k != NULL && !deliver_full(&kf.f); k = next) {
			next = k->lnext;
			serve_key(&kf, k);
		}
		read_ahead(&kf);
		idle = deliver_fill_end(&kf.f) ? 0 : idle + 1;
	}
}

/* ---- membership, blocking, reset --------------------------------------------- */

sluice_err
keyed_attach(subscription *sub, consumer *c)
{
	keyed *ks = keyed_get(sub);
	kcons *kc = sl_alloc(sizeof(*kc));
	if (ks == NULL || kc == NULL) {
		sl_free(kc);
		return SLUICE_ENOMEM;
	}
	kc->c = c;
	if (hashring_add(&ks->ring, c->id, kc) != SLUICE_OK) {
		sl_free(kc);
		return SLUICE_ENOMEM;
	}
	kc->next = ks->members;
	ks->members = kc;
	rebucket(ks);
	return SLUICE_OK;
}

void
keyed_detach(subscription *sub, consumer *c)
{
	keyed *ks = sub->keyed;
	if (ks == NULL)
		return;
	for (kcons **pp = &ks->members; *pp != NULL; pp = &(*pp)->next) {
		kcons *kc = *pp;
		if (kc->c != c)
			continue;
		hashring_remove(&ks->ring, c->id);
		/* Its waiting keys go to the new owners, via nobody's list. */
		if (kc->head != NULL) {
			if (ks->nobody.tail != NULL)
				ks->nobody.tail->lnext = kc->head;
			else
				ks->nobody.head = kc->head;
			kc->head->lprev = ks->nobody.tail;
			ks->nobody.tail = kc->tail;
			for (kstate *k = kc->head; k != NULL; k = k->lnext)
				k->list = &ks->nobody;
		}
		*pp = kc->next;
		sl_free(kc);
		rebucket(ks);
		return;
	}
}

consumer *
keyed_route(subscription *sub, const nr_msg *m)
{
	keyed *ks = sub->keyed;
	const uint8_t *key;
	size_t klen;
	if (ks == NULL || !codec_stored_key(m->bytes, m->len, &key, &klen))
		return sub->ops->route(sub);
	kcons *kc = hashring_lookup(&ks->ring, hashring_hash(key, klen));
	return kc != NULL ? kc->c : NULL;
}

void
keyed_block(subs *s, subscription *sub, uint64_t offset)
{
	/* The record stays set aside (retry_at_ms UINT64_MAX) until an
	 * operator skips or resets: as the oldest unsettled offset of its
	 * key, it keeps the key waiting (key_state), and nothing else. Make
	 * sure its key knows it. */
	keyed *ks = keyed_get(sub);
	uint64_t hash;
	if (ks == NULL || u64map_get(ks->tracked, offset) != NULL)
		return;
	if (key_of(s, sub, offset, &hash) <= 0)
		return; /* no key: it holds back nothing else */
	kstate *k = key_get(ks, hash);
	if (k != NULL && out_insert(ks, k, offset) != SLUICE_OK)
		key_free_if_idle(ks, k);
}

/* Forgets every key; the ring and the members stay. */
static void
forget_keys(keyed *ks)
{
	while (ks->all != NULL)
		key_free(ks, ks->all);
	ks->nokey_due.n = 0;
}

void
keyed_reset(subscription *sub)
{
	keyed *ks = sub->keyed;
	if (ks == NULL)
		return;
	/* The cursor or the records moved under us (operator reset or
	 * skip): rebuild from the floor. Reading again from there finds
	 * each unacked message in order: in flight ones take their place in
	 * their key's order, the others are sent or held back anew. */
	forget_keys(ks);
	sub->read_pos = sub->cur.floor;
}

void
keyed_free(subscription *sub)
{
	keyed *ks = sub->keyed;
	if (ks == NULL)
		return;
	forget_keys(ks);
	while (ks->members != NULL) {
		kcons *next = ks->members->next;
		sl_free(ks->members);
		ks->members = next;
	}
	hashring_fini(&ks->ring);
	u64heap_fini(&ks->nokey_due);
	u64map_free(ks->keys);
	u64map_free(ks->tracked);
	sl_free(ks);
	sub->keyed = NULL;
}
