/*
 * deliver.c - turns a dispatcher's choice into a Deliver frame: for
 * reliable subscriptions, redeliveries first and then new messages read
 * from the log at the subscription's read position; for non-reliable ones,
 * the consumer's in-memory queue. Frames are built from stored bytes
 * (codec_deliver), never decoding a message.
 */
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "deliver_impl.h"

/* Hands parked fetch i of c back to the broker with the built frame. */
static void
answer(subs *s, consumer *c, int i)
{
	parked_fetch f = c->fetch[i];
	memmove(&c->fetch[i], &c->fetch[i + 1], (size_t) (c->nfetch - i - 1) * sizeof(f));
	c->nfetch--;
	const uint8_t *frame;
	size_t len;
	int active = c->sub->ops->is_active(c->sub, c);
	uint64_t rid = s->io.request_id(s->io.arg, f.ctx);
	if (codec_deliver_finish(&s->frame, rid, active, c->dropped, &frame, &len) != SLUICE_OK) {
		/* Out of memory for the frame: answer with nothing rather
		 * than leave the client waiting. */
		codec_deliver_reset(&s->frame);
		if (codec_deliver_finish(&s->frame, rid, active, c->dropped, &frame, &len) != SLUICE_OK)
			return;
	}
	s->io.deliver(s->io.arg, c, f.ctx, frame, len);
}

void
deliver_answer_empty(subs *s, consumer *c, int i)
{
	codec_deliver_reset(&s->frame);
	answer(s, c, i);
}

static int
full(const fill *f)
{
	return f->want == 0 || f->bytes >= SUB_MAX_FRAME_BYTES ||
	    f->bytes >= f->byte_room || f->rv != SLUICE_OK;
}

/* Records that c now holds off, and adds it to the frame. */
static void
give(fill *f, uint64_t off, delivery *d, const void *val, size_t len)
{
	if ((f->rv = codec_deliver_add(&f->s->frame, off, d->attempt + 1, val, len)) != SLUICE_OK)
		return;
	if (d->attempt > 0) {
		f->sub->redelivered++;
	} else {
		int64_t pt = codec_stored_publish_time(val, len);
		if (pt > 0 && f->now_us > pt)
			lathist_observe(&f->s->publish_to_deliver, (uint64_t) (f->now_us - pt));
	}
	d->attempt++;
	d->owner = f->c;
	d->delivered_ms = f->s->now_ms;
	d->retry_at_ms = 0;
	delivery_sent(f->s, f->sub, d);
	f->c->unacked++;
	f->c->delivered++;
	f->sub->delivered++;
	f->s->delivered_total++;
	f->want--;
	f->bytes += len;
}

static int
add_new(void *arg, uint64_t off, const void *val, size_t len)
{
	fill *f = arg;
	subscription *sub = f->sub;
	sub->read_pos = off + 1;
	if (cursor_is_acked(&sub->cur, off))
		return 0; /* acked before a restart */
	delivery *d = u64map_get(sub->deliveries, off);
	if (d == NULL) {
		if ((d = delivery_new(sub, off)) == NULL) {
			sub->read_pos = off; /* try again later */
			f->rv = SLUICE_ENOMEM;
			return 1;
		}
	} else if (d->owner != NULL || d->retry_at_ms != 0) {
		/* Held (cannot happen: read_pos only moves forward), or failed
		 * before a restart and waiting out its backoff: its retry
		 * timer puts it on the redelivery heap. */
		return 0;
	}
	give(f, off, d, val, len);
	return full(f);
}

static int
add_redelivery(void *arg, uint64_t off, const void *val, size_t len)
{
	fill *f = arg;
	if (off != f->expect)
		return 1; /* deleted by retention meanwhile */
	delivery *d = u64map_get(f->sub->deliveries, off);
	if (d != NULL && d->owner == NULL)
		give(f, off, d, val, len);
	return 1;
}

static void
fill_redeliveries(fill *f)
{
	subscription *sub = f->sub;
	tlog *l = f->s->log;
	while (!full(f) && sub->redeliver.n > 0) {
		uint64_t off = u64heap_pop(&sub->redeliver);
		delivery *d = u64map_get(sub->deliveries, off);
		if (d == NULL || d->owner != NULL || d->retry_at_ms != 0 ||
		    cursor_is_acked(&sub->cur, off))
			continue; /* acked, handed out or set aside since queued */
		f->expect = off;
		sluice_err rv = tlog_read_raw(l, sub->topic, off, 1, add_redelivery, f);
		if (rv == SLUICE_OK && d->owner == NULL) {
			/* Gone from the log (retention): nothing to redeliver. */
			delivery_forget(sub, off);
		}
	}
}

int
deliver_fill_begin(fill *f, subs *s, subscription *sub, consumer *c)
{
	size_t room = sub->window - c->unacked;
	*f = (fill) { .s = s, .sub = sub, .c = c, .want = c->fetch[0].max_records,
		.now_us = sl_now_us() };
	if (f->want > room)
		f->want = room;
	/* A half-open breaker lets one probe go; the rate limit clamps
	 * the round (none may go: the sub is scheduled for the refill,
	 * and the fetch stays parked). */
	size_t bmax, allowed;
	if (!breaker_allows(s, c, s->now_ms, &bmax))
		return 0;
	if (f->want > bmax)
		f->want = bmax;
	if ((allowed = ratelimit_take(s, sub, f->want, 0, s->now_ms)) == 0)
		return 0;
	f->want = allowed;
	f->byte_room = ratelimit_byte_room(sub);
	codec_deliver_reset(&s->frame);
	return 1;
}

int
deliver_fill_end(fill *f)
{
	ratelimit_settle(f->sub, f->want, f->bytes, f->s->now_ms);
	if (f->s->frame.nrecords == 0)
		return 0;
	answer(f->s, f->c, 0);
	return 1;
}

int
deliver_full(const fill *f)
{
	return full(f);
}

void
deliver_give(fill *f, uint64_t off, delivery *d, const void *val, size_t len)
{
	give(f, off, d, val, len);
}

static void
pump_reliable(subs *s, subscription *sub)
{
	/* on_exhausted block: nothing goes out past the poisoned message
	 * until an operator or a policy change moves it. */
	if (sub->blocked)
		return;
	consumer *c;
	while ((c = sub->ops->pick(sub)) != NULL) {
		fill f;
		if (!deliver_fill_begin(&f, s, sub, c))
			return;
		fill_redeliveries(&f);
		uint64_t first = tlog_topic_first(sub->topic);
		if (sub->read_pos < first)
			sub->read_pos = first; /* retention went past it */
		sub->read_pos = cursor_next_unacked(&sub->cur, sub->read_pos);
		if (!full(&f) && sub->read_pos < tlog_topic_head(sub->topic)) {
			sluice_err rv = tlog_read_raw(s->log, sub->topic, sub->read_pos,
			    SIZE_MAX, add_new, &f);
			if (rv != SLUICE_OK)
				sl_error("subscription %s: read failed: %s", sub->name,
				    sluice_strerror(rv));
		}
		if (!deliver_fill_end(&f))
			return; /* caught up: the fetch stays parked */
	}
}

static void
nr_release(nr_msg *m)
{
	if (m != NULL && --m->refs == 0)
		sl_free(m);
}

static nr_msg *
ring_pop(consumer *c)
{
	nr_msg *m = c->ring[c->rhead];
	c->rhead = (c->rhead + 1) % c->rcap;
	c->rlen--;
	return m;
}

void
deliver_release_ring(consumer *c)
{
	while (c->rlen > 0)
		nr_release(ring_pop(c));
	sl_free(c->ring);
	c->ring = NULL;
	c->rcap = 0;
}

/* Doubles c's ring, keeping its order: only block overshoots the bound. */
static sluice_err
ring_grow(consumer *c, size_t cap)
{
	nr_msg **r = sl_alloc(cap * sizeof(*r));
	if (r == NULL)
		return SLUICE_ENOMEM;
	for (size_t i = 0; i < c->rlen; i++)
		r[i] = c->ring[(c->rhead + i) % c->rcap];
	sl_free(c->ring);
	c->ring = r;
	c->rhead = 0;
	c->rcap = cap;
	return SLUICE_OK;
}

int
deliver_is_blocked(const subscription *sub)
{
	if (sub->mode != SLUICE__SUB_MODE__MODE_NON_RELIABLE ||
	    sub->overflow != SLUICE__OVERFLOW__OVERFLOW_BLOCK || sub->consumers == NULL)
		return 0;
	if (sub->type == SLUICE__SUB_TYPE__SUB_KEY_SHARED) {
		/* Any key may be next, and it must go to its owner. */
		for (const consumer *c = sub->consumers; c != NULL; c = c->next)
			if (c->rlen >= sub->queue_size)
				return 1;
		return 0;
	}
	if (sub->type != SLUICE__SUB_TYPE__SUB_SHARED)
		return sub->consumers->rlen >= sub->queue_size;
	for (const consumer *c = sub->consumers; c != NULL; c = c->next)
		if (c->rlen < sub->queue_size)
			return 0;
	return 1;
}

static void
pump_nonreliable(subs *s, subscription *sub)
{
	consumer *c;
	int64_t now_us = sl_now_us();
	while ((c = sub->ops->pick(sub)) != NULL) {
		size_t n = c->fetch[0].max_records, bytes = 0;
		if (n > c->rlen)
			n = c->rlen;
		/* The rate limit clamps the round; none may go: the sub is
		 * scheduled for the refill and the queue keeps filling (its
		 * overflow policy applies). */
		if ((n = ratelimit_take(s, sub, n, 0, s->now_ms)) == 0)
			return;
		size_t byte_room = ratelimit_byte_room(sub);
		codec_deliver_reset(&s->frame);
		while (n > 0 && c->rlen > 0 && bytes < SUB_MAX_FRAME_BYTES &&
		    bytes < byte_room) {
			nr_msg *m = ring_pop(c);
			if (codec_deliver_add(&s->frame, m->offset, 1, m->bytes, m->len) == SLUICE_OK) {
				int64_t pt = codec_stored_publish_time(m->bytes, m->len);
				if (pt > 0 && now_us > pt)
					lathist_observe(&s->publish_to_deliver, (uint64_t) (now_us - pt));
				c->delivered++;
				sub->delivered++;
				s->delivered_total++;
				bytes += m->len;
				n--;
			}
			nr_release(m);
		}
		ratelimit_settle(sub, n, bytes, s->now_ms);
		answer(s, c, 0);
	}
}

void
deliver_pump(subs *s, subscription *sub)
{
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE &&
	    sub->type == SLUICE__SUB_TYPE__SUB_KEY_SHARED)
		deliver_pump_keyed(s, sub);
	else if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		pump_reliable(s, sub);
	else
		pump_nonreliable(s, sub);
}

sluice_err
deliver_enqueue_nr(subs *s, subscription *sub, nr_msg *m)
{
	(void) s;
	consumer *c = sub->type == SLUICE__SUB_TYPE__SUB_KEY_SHARED ? keyed_route(sub, m)
	                                                          : sub->ops->route(sub);
	if (c == NULL)
		return SLUICE_OK;
	if (c->ring == NULL && ring_grow(c, sub->queue_size) != SLUICE_OK)
		return SLUICE_ENOMEM;
	if (c->rlen >= sub->queue_size) {
		switch (sub->overflow) {
		case SLUICE__OVERFLOW__OVERFLOW_BLOCK:
			/* The broker holds publishes while the queue is full, so
			 * only the rest of one frame gets here: keep it, over
			 * the bound, rather than drop what block promised. */
			if (c->rlen == c->rcap && ring_grow(c, c->rcap * 2) != SLUICE_OK)
				return SLUICE_ENOMEM;
			break;
		case SLUICE__OVERFLOW__OVERFLOW_DROP_OLDEST:
			c->dropped++;
			sub->dropped++;
			nr_release(ring_pop(c));
			break;
		default: /* drop newest */
			c->dropped++;
			sub->dropped++;
			return SLUICE_OK;
		}
	}
	c->ring[(c->rhead + c->rlen) % c->rcap] = m;
	c->rlen++;
	m->refs++;
	return SLUICE_OK;
}
