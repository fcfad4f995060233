/*
 * parked.c - messages set aside by on_exhausted=park: each is a metadata
 * record "p/<topic id>/<subscription>|<offset hex>" holding its reason, its
 * attempts and a copy of the message. Parking acks the offset, so delivery
 * goes on past it; replay makes it unacked again (attempts from zero) and
 * delivers it from the log; drop deletes the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "sub_impl.h"

typedef struct {
	uint64_t from;
	size_t max, n;
	int (*fn)(void *arg, const Sluice__ParkedInfo *p);
	void *arg;
	sluice_err rv;
} list_walk;

static sluice_err
visit(void *arg, const void *k, size_t klen, const void *v, size_t vlen)
{
	(void) k;
	(void) klen;
	list_walk *w = arg;
	if (w->n >= w->max)
		return SLUICE_OK;
	Sluice__ParkedInfo *p;
	if (codec_parked_unpack(v, vlen, &p) != SLUICE_OK)
		return SLUICE_ECORRUPT;
	if (p->offset >= w->from) {
		w->n++;
		w->fn(w->arg, p);
	}
	codec_parked_free(p);
	return SLUICE_OK;
}

static subscription *
reliable_sub(subs *s, tlog_topic *t, const char *name, char *detail, size_t dlen,
    sluice_err *rv)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL) {
		snprintf(detail, dlen, "no subscription '%s' on topic '%s'", name,
		    tlog_topic_name(t));
		*rv = SLUICE_ENOSUB;
	} else if (sub->mode != SLUICE__SUB_MODE__MODE_RELIABLE) {
		snprintf(detail, dlen, "'%s' is non-reliable: it parks nothing", name);
		*rv = SLUICE_ENOTSUPP;
		sub = NULL;
	}
	return sub;
}

static void
prefix_of(char *buf, size_t n, const subscription *sub)
{
	snprintf(buf, n, "p/%u/%s|", tlog_topic_id(sub->topic), sub->name);
}

sluice_err
subs_parked_list(subs *s, tlog_topic *t, const char *name, uint64_t from,
    size_t max, int (*fn)(void *arg, const Sluice__ParkedInfo *p), void *arg)
{
	char detail[256], prefix[600];
	sluice_err rv = SLUICE_OK;
	subscription *sub = reliable_sub(s, t, name, detail, sizeof(detail), &rv);
	if (sub == NULL)
		return rv;
	prefix_of(prefix, sizeof(prefix), sub);
	list_walk w = { from, max, 0, fn, arg, SLUICE_OK };
	return tlog_meta_scan(s->log, prefix, visit, &w);
}

/* Offsets of every parked record of sub (caller frees). */
typedef struct {
	uint64_t *v;
	size_t n, cap;
} offsets;

static sluice_err
collect(void *arg, const void *k, size_t klen, const void *v, size_t vlen)
{
	(void) v;
	(void) vlen;
	offsets *o = arg;
	const char *bar = memchr(k, '|', klen);
	if (bar == NULL)
		return SLUICE_OK;
	char hex[17] = "";
	size_t hl = klen - (size_t) (bar + 1 - (const char *) k);
	if (hl == 0 || hl > 16)
		return SLUICE_OK;
	memcpy(hex, bar + 1, hl);
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		uint64_t *nv = sl_realloc(o->v, cap * sizeof(*nv));
		if (nv == NULL)
			return SLUICE_ENOMEM;
		o->v = nv;
		o->cap = cap;
	}
	o->v[o->n++] = strtoull(hex, NULL, 16);
	return SLUICE_OK;
}

/* The offsets to act on: the given ones, or every parked one. */
static sluice_err
targets(subs *s, subscription *sub, const uint64_t *offs, size_t n, offsets *out)
{
	*out = (offsets) { NULL, 0, 0 };
	if (n > 0) {
		if ((out->v = sl_alloc(n * sizeof(uint64_t))) == NULL)
			return SLUICE_ENOMEM;
		memcpy(out->v, offs, n * sizeof(uint64_t));
		out->n = out->cap = n;
		return SLUICE_OK;
	}
	char prefix[600];
	prefix_of(prefix, sizeof(prefix), sub);
	return tlog_meta_scan(s->log, prefix, collect, out);
}

/* Is off parked? (Its record exists.) */
typedef struct {
	int found;
} probe;

static sluice_err
found(void *arg, const void *k, size_t klen, const void *v, size_t vlen)
{
	(void) k;
	(void) klen;
	(void) v;
	(void) vlen;
	((probe *) arg)->found = 1;
	return SLUICE_OK;
}

static int
is_parked(subs *s, subscription *sub, uint64_t off)
{
	char key[600];
	subs_park_key(key, sizeof(key), sub, off);
	probe p = { 0 };
	tlog_meta_scan(s->log, key, found, &p);
	return p.found;
}

static int
in_log(subscription *sub, uint64_t off)
{
	return off >= tlog_topic_first(sub->topic) && off < tlog_topic_head(sub->topic);
}

sluice_err
subs_parked_replay(subs *s, tlog_topic *t, const char *name, const uint64_t *offs,
    size_t n, uint64_t *done, uint64_t *missing, char *detail, size_t dlen)
{
	sluice_err rv = SLUICE_OK;
	*done = *missing = 0;
	subscription *sub = reliable_sub(s, t, name, detail, dlen, &rv);
	if (sub == NULL)
		return rv;
	offsets o;
	if ((rv = targets(s, sub, offs, n, &o)) != SLUICE_OK)
		goto out;
	for (size_t i = 0; i < o.n; i++) {
		uint64_t off = o.v[i];
		if (!is_parked(s, sub, off))
			continue;
		if (!in_log(sub, off)) {
			(*missing)++; /* retention took it: the copy stays parked */
			continue;
		}
		delivery *d = u64map_get(sub->deliveries, off);
		if (d == NULL && (d = delivery_new(sub, off)) == NULL) {
			rv = SLUICE_ENOMEM;
			break;
		}
		if ((rv = cursor_unack(&sub->cur, off)) != SLUICE_OK ||
		    (rv = u64heap_push(&sub->redeliver, off)) != SLUICE_OK) {
			delivery_forget(sub, off);
			break;
		}
		char key[600];
		subs_park_key(key, sizeof(key), sub, off);
		if ((rv = tlog_meta_write_sync(s->log, key, strlen(key), NULL, 0)) != SLUICE_OK) {
			cursor_ack(&sub->cur, off, &(int) { 0 });
			delivery_forget(sub, off);
			break;
		}
		d->attempt = 0; /* a fresh start under the policy */
		if (sub->parked_now > 0)
			sub->parked_now--;
		sub->dirty = 1;
		s->flush_now = 1;
		(*done)++;
	}
	if (rv != SLUICE_OK)
		snprintf(detail, dlen, "replay stopped: %s", sluice_strerror(rv));
	sl_event(SL_LOG_INFO, "parked_replay",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(t)), SL_STR("subscription", name),
	        SL_U64("replayed", *done), SL_U64("missing", *missing)),
	    "subscription %s on %s: %llu parked messages replayed (%llu gone from "
	    "the log)", name, tlog_topic_name(t), (unsigned long long) *done,
	    (unsigned long long) *missing);
	deliver_pump(s, sub);
out:
	sl_free(o.v);
	return rv;
}

sluice_err
subs_parked_drop(subs *s, tlog_topic *t, const char *name, const uint64_t *offs,
    size_t n, uint64_t *done, char *detail, size_t dlen)
{
	sluice_err rv = SLUICE_OK;
	*done = 0;
	subscription *sub = reliable_sub(s, t, name, detail, dlen, &rv);
	if (sub == NULL)
		return rv;
	offsets o;
	if ((rv = targets(s, sub, offs, n, &o)) != SLUICE_OK)
		goto out;
	for (size_t i = 0; i < o.n; i++) {
		if (!is_parked(s, sub, o.v[i]))
			continue;
		char key[600];
		subs_park_key(key, sizeof(key), sub, o.v[i]);
		if ((rv = tlog_meta_write_sync(s->log, key, strlen(key), NULL, 0)) != SLUICE_OK)
			break;
		if (sub->parked_now > 0)
			sub->parked_now--;
		(*done)++;
	}
	if (rv != SLUICE_OK)
		snprintf(detail, dlen, "drop stopped: %s", sluice_strerror(rv));
	sl_event(SL_LOG_INFO, "parked_drop",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(t)), SL_STR("subscription", name),
	        SL_U64("dropped", *done)),
	    "subscription %s on %s: %llu parked messages dropped", name,
	    tlog_topic_name(t), (unsigned long long) *done);
out:
	sl_free(o.v);
	return rv;
}
