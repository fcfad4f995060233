/*
 * retry.c - what happens to a delivery after it goes out: its ack deadline,
 * its failure (nack or timeout), the backoff before it goes out again, and
 * past max_redeliveries the subscription's on_exhausted action. Also the
 * engine's timers: one heap of (due, subscription) entries that the broker
 * drives with a single libuv timer, so retries and deadlines fire within
 * a loop turn of their time, at O(log n) per message.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "policy.h"
#include "sub_impl.h"

/* ---- the deadline heap: unacked deliveries by deadline ---------------- */

static void
dl_set(subscription *sub, size_t i, delivery *d)
{
	sub->deadlines[i] = d;
	d->dl_index = (uint32_t) i + 1;
}

static void
dl_up(subscription *sub, size_t i)
{
	delivery *d = sub->deadlines[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (sub->deadlines[p]->deadline_ms <= d->deadline_ms)
			break;
		dl_set(sub, i, sub->deadlines[p]);
		i = p;
	}
	dl_set(sub, i, d);
}

static void
dl_down(subscription *sub, size_t i)
{
	delivery *d = sub->deadlines[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = d->deadline_ms;
		if (l < sub->ndeadlines && sub->deadlines[l]->deadline_ms < best) {
			m = l;
			best = sub->deadlines[l]->deadline_ms;
		}
		if (r < sub->ndeadlines && sub->deadlines[r]->deadline_ms < best)
			m = r;
		if (m == i)
			break;
		dl_set(sub, i, sub->deadlines[m]);
		i = m;
	}
	dl_set(sub, i, d);
}

static void
dl_remove(subscription *sub, delivery *d)
{
	if (d->dl_index == 0)
		return;
	size_t i = d->dl_index - 1;
	d->dl_index = 0;
	delivery *last = sub->deadlines[--sub->ndeadlines];
	if (i == sub->ndeadlines)
		return;
	dl_set(sub, i, last);
	dl_up(sub, i);
	dl_down(sub, last->dl_index - 1);
}

static sluice_err
dl_push(subscription *sub, delivery *d)
{
	if (sub->ndeadlines == sub->capdeadlines) {
		size_t cap = sub->capdeadlines ? sub->capdeadlines * 2 : 64;
		delivery **v = sl_realloc(sub->deadlines, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		sub->deadlines = v;
		sub->capdeadlines = cap;
	}
	sub->deadlines[sub->ndeadlines] = d;
	dl_up(sub, sub->ndeadlines++);
	return SLUICE_OK;
}

/* ---- delivery records ------------------------------------------------- */

delivery *
delivery_new(subscription *sub, uint64_t off)
{
	delivery *d = sl_alloc(sizeof(*d));
	if (d == NULL)
		return NULL;
	d->offset = off;
	if (u64map_put(sub->deliveries, off, d) != SLUICE_OK) {
		sl_free(d);
		return NULL;
	}
	return d;
}

static void
free_record(subscription *sub, delivery *d)
{
	dl_remove(sub, d);
	sl_free(d->reason);
	sl_free(d);
}

void
delivery_forget(subscription *sub, uint64_t off)
{
	delivery *d = u64map_del(sub->deliveries, off);
	if (d != NULL)
		free_record(sub, d);
}

static void
free_one(uint64_t off, void *v, void *arg)
{
	(void) off;
	delivery *d = v;
	(void) arg;
	d->dl_index = 0; /* the heap goes as a whole */
	sl_free(d->reason);
	sl_free(d);
}

void
delivery_forget_all(subscription *sub)
{
	if (sub->deliveries != NULL)
		u64map_foreach(sub->deliveries, free_one, NULL);
	sl_free(sub->deadlines);
	sub->deadlines = NULL;
	sub->ndeadlines = sub->capdeadlines = 0;
	timeheap_fini(&sub->retries);
}

void
delivery_sent(subs *s, subscription *sub, delivery *d)
{
	if (sub->policy.ack_timeout_ms == 0)
		return;
	dl_remove(sub, d);
	d->deadline_ms = d->delivered_ms + sub->policy.ack_timeout_ms;
	if (dl_push(sub, d) == SLUICE_OK)
		subs_schedule(s, sub, d->deadline_ms);
	/* Out of memory: this delivery has no deadline; a nack, an ack or
	 * its consumer leaving still settles it. */
}

void
delivery_acked(subscription *sub, delivery *d)
{
	dl_remove(sub, d);
}

void
delivery_ack_offset(subscription *sub, uint64_t off)
{
	int fresh;
	if (cursor_ack(&sub->cur, off, &fresh) != SLUICE_OK)
		return; /* no memory: it stays unacked and comes again later */
	delivery_forget(sub, off);
	sub->dirty = 1;
	if (sub->blocked && sub->blocked_offset == off)
		sub->blocked = 0;
}

/* ---- failures and what follows them ------------------------------------ */

#define PARK_KEY_MAX 600

int
subs_park_key(char *buf, size_t n, const subscription *sub, uint64_t off)
{
	/* '|' cannot occur in a subscription name: no prefix collisions. */
	return snprintf(buf, n, "p/%u/%s|%016llx", tlog_topic_id(sub->topic),
	    sub->name, (unsigned long long) off);
}

typedef struct {
	uint8_t *copy;
	size_t len;
	uint64_t expect;
	int found;
} record_copy;

static int
copy_record(void *arg, uint64_t off, const void *val, size_t len)
{
	record_copy *r = arg;
	if (off != r->expect)
		return 1;
	if ((r->copy = sl_alloc(len ? len : 1)) != NULL) {
		memcpy(r->copy, val, len);
		r->len = len;
		r->found = 1;
	}
	return 1;
}

/* The stored record of off (caller frees), or NULL when retention took it. */
static uint8_t *
read_record(subs *s, subscription *sub, uint64_t off, size_t *len)
{
	record_copy r = { NULL, 0, off, 0 };
	tlog_read_raw(s->log, sub->topic, off, 1, copy_record, &r);
	*len = r.len;
	return r.found ? r.copy : NULL;
}

static sluice_err
park(subs *s, subscription *sub, delivery *d)
{
	size_t len;
	uint8_t *rec = read_record(s, sub, d->offset, &len);
	Sluice__StoredMessage *m = NULL;
	if (rec != NULL && codec_stored_unpack(rec, len, &m) != SLUICE_OK)
		m = NULL;
	Sluice__ParkedInfo pi = SLUICE__PARKED_INFO__INIT;
	pi.offset = d->offset;
	pi.attempts = d->attempt;
	pi.reason = d->reason ? d->reason : (char *) "";
	pi.parked_us = sl_now_us();
	pi.message = m;
	size_t n = codec_parked_size(&pi);
	uint8_t *buf = sl_alloc(n ? n : 1);
	sluice_err rv = SLUICE_ENOMEM;
	if (buf != NULL) {
		codec_parked_pack(&pi, buf);
		char key[PARK_KEY_MAX];
		subs_park_key(key, sizeof(key), sub, d->offset);
		rv = tlog_meta_write_sync(s->log, key, strlen(key), buf, n);
	}
	sl_free(buf);
	if (m != NULL)
		codec_stored_free(m);
	sl_free(rec);
	return rv;
}

static void
exhausted(subs *s, subscription *sub, delivery *d)
{
	uint64_t off = d->offset;
	const char *topic = tlog_topic_name(sub->topic);
	sub->exhausted++;
	sl_event(SL_LOG_WARN, "redeliveries_exhausted",
	    SL_FIELDS(SL_STR("topic", topic), SL_STR("subscription", sub->name),
	        SL_U64("offset", off), SL_U64("attempts", d->attempt),
	        SL_STR("reason", d->reason), SL_STR("action",
	            policy_exhausted_name(sub->policy.on_exhausted))),
	    "subscription %s on %s: offset %llu failed %u deliveries (%s): %s",
	    sub->name, topic, (unsigned long long) off, d->attempt,
	    d->reason ? d->reason : "?", policy_exhausted_name(sub->policy.on_exhausted));
	switch (sub->policy.on_exhausted) {
	case SLUICE__ON_EXHAUSTED__EXHAUSTED_DROP:
		sub->dropped_exhausted++;
		delivery_ack_offset(sub, off);
		return;
	case SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK:
		if (park(s, sub, d) == SLUICE_OK) {
			sub->parked_now++;
			delivery_ack_offset(sub, off);
			return;
		}
		break; /* could not store it: retry later rather than lose it */
	case SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK:
		d->retry_at_ms = UINT64_MAX;
		if (sub->type == SLUICE__SUB_TYPE__SUB_KEY_SHARED) {
			keyed_block(s, sub, off);
		} else if (!sub->blocked || off < sub->blocked_offset) {
			sub->blocked = 1;
			sub->blocked_offset = off;
		}
		return;
	default: {
		size_t len;
		uint8_t *rec = read_record(s, sub, off, &len);
		if (rec == NULL) {
			/* Retention deleted it meanwhile: nothing left to send. */
			delivery_ack_offset(sub, off);
			return;
		}
		if (s->io.dead_letter == NULL) {
			sl_free(rec);
			break;
		}
		subs_dead_letter dl = { sub->uid, topic, sub->name, off,
			sub->policy.dead_letter_topic, rec, len, d->attempt,
			d->reason ? d->reason : "" };
		d->retry_at_ms = UINT64_MAX; /* set aside until the write is done */
		s->io.dead_letter(s->io.arg, &dl);
		sl_free(rec);
		return;
	}
	}
	/* The action failed: try the whole thing again after a while. */
	d->retry_at_ms = s->now_ms + sub->policy.backoff_max_ms;
	if (timeheap_push(&sub->retries, d->retry_at_ms, off) == SLUICE_OK)
		subs_schedule(s, sub, d->retry_at_ms);
}

void
delivery_failed(subs *s, subscription *sub, delivery *d, uint32_t delay_ms,
    const char *reason)
{
	dl_remove(sub, d);
	if (reason != NULL && reason[0] != '\0') {
		char *r = sl_strdup(reason);
		if (r != NULL) {
			sl_free(d->reason);
			d->reason = r;
		}
	}
	s->flush_now = 1; /* attempt counts survive a crash */
	sub->dirty = 1;
	if (sub->policy.max_redeliveries != 0 && d->attempt > sub->policy.max_redeliveries) {
		exhausted(s, sub, d);
		return;
	}
	uint64_t delay = delay_ms ? delay_ms : policy_backoff_ms(&sub->policy, d->attempt);
	if (delay == 0 || timeheap_push(&sub->retries, s->now_ms + delay, d->offset) != SLUICE_OK) {
		d->retry_at_ms = 0;
		if (u64heap_push(&sub->redeliver, d->offset) != SLUICE_OK)
			sub->read_pos = sub->cur.floor < sub->read_pos ? sub->cur.floor : sub->read_pos;
		return;
	}
	d->retry_at_ms = s->now_ms + delay;
	subs_schedule(s, sub, d->retry_at_ms);
}

void
subs_dead_letter_done(subs *s, uint64_t sub_uid, uint64_t offset, sluice_err rv)
{
	subscription *sub = u64map_get(s->by_uid, sub_uid);
	if (sub == NULL)
		return; /* deleted meanwhile */
	delivery *d = u64map_get(sub->deliveries, offset);
	if (d == NULL || d->retry_at_ms != UINT64_MAX)
		return; /* reset or skipped meanwhile */
	if (rv == SLUICE_OK) {
		sub->dead_lettered++;
		delivery_ack_offset(sub, offset);
		deliver_pump(s, sub);
		return;
	}
	sl_warn("subscription %s: dead letter of offset %llu not written (%s); "
	        "trying again later", sub->name, (unsigned long long) offset,
	    sluice_strerror(rv));
	d->retry_at_ms = s->now_ms + sub->policy.backoff_max_ms;
	if (timeheap_push(&sub->retries, d->retry_at_ms, offset) == SLUICE_OK)
		subs_schedule(s, sub, d->retry_at_ms);
}

/* ---- timers ------------------------------------------------------------ */

void
subs_schedule(subs *s, subscription *sub, uint64_t at_ms)
{
	if (sub->scheduled_ms != 0 && sub->scheduled_ms <= at_ms)
		return; /* an earlier wake will look again */
	if (timeheap_push(&s->timers, at_ms, sub->uid) == SLUICE_OK)
		sub->scheduled_ms = at_ms;
}

uint64_t
subs_next_due_ms(subs *s)
{
	while (s->timers.n > 0) {
		timeheap_entry e = timeheap_top(&s->timers);
		subscription *sub = u64map_get(s->by_uid, e.id);
		if (sub != NULL && sub->scheduled_ms == e.due)
			return e.due;
		timeheap_pop(&s->timers); /* superseded or deleted */
	}
	return UINT64_MAX;
}

static void
timeout_one(subs *s, subscription *sub, delivery *d)
{
	consumer *c = d->owner;
	dl_remove(sub, d);
	if (c == NULL)
		return;
	d->owner = NULL;
	c->unacked--;
	c->ack_timeouts++;
	sub->ack_timeouts++;
	breaker_on_result(s, c, 0, s->now_ms);
	delivery_failed(s, sub, d, 0, "ack timeout");
}

static void
run_sub(subs *s, subscription *sub, uint64_t now)
{
	while (sub->ndeadlines > 0 && sub->deadlines[0]->deadline_ms <= now)
		timeout_one(s, sub, sub->deadlines[0]);
	while (sub->retries.n > 0 && timeheap_top(&sub->retries).due <= now) {
		timeheap_entry e = timeheap_pop(&sub->retries);
		delivery *d = u64map_get(sub->deliveries, e.id);
		if (d == NULL || d->owner != NULL || d->retry_at_ms != e.due)
			continue; /* acked, reset or rescheduled since */
		d->retry_at_ms = 0;
		if (u64heap_push(&sub->redeliver, e.id) != SLUICE_OK)
			sub->read_pos = sub->cur.floor;
	}
	deliver_pump(s, sub);
	uint64_t next = UINT64_MAX;
	if (sub->ndeadlines > 0)
		next = sub->deadlines[0]->deadline_ms;
	if (sub->retries.n > 0 && timeheap_top(&sub->retries).due < next)
		next = timeheap_top(&sub->retries).due;
	if (next != UINT64_MAX)
		subs_schedule(s, sub, next);
}

void
subs_run_due(subs *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	while (s->timers.n > 0 && timeheap_top(&s->timers).due <= now_ms) {
		timeheap_entry e = timeheap_pop(&s->timers);
		subscription *sub = u64map_get(s->by_uid, e.id);
		if (sub == NULL || sub->scheduled_ms != e.due)
			continue;
		sub->scheduled_ms = 0;
		run_sub(s, sub, now_ms);
	}
}
