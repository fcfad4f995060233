/*
 * subs.c - the subscription engine: subscriptions and their consumers,
 * acks and cursors, persistence and recovery, wakeups and the watchdog.
 * Delivery itself is in deliver.c; the choice of consumer is the
 * dispatcher's (engine/dispatch/).
 *
 * Persistence: a reliable subscription's definition ("u/<topic id>/<name>")
 * is written when it is created; its cursor ("c/<topic id>/<name>": floor,
 * acked ranges, attempt counts) joins a group-commit batch when the broker
 * calls subs_persist: on a timer (debounced), on clean shutdown, always.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "policy.h"
#include "sub_impl.h"

/* Caps the offsets one ack range may name, so a bogus range costs little. */
#define MAX_ACK_SPAN 65536

static void
meta_key(char *buf, size_t n, char kind, const subscription *sub)
{
	snprintf(buf, n, "%c/%u/%s", kind, tlog_topic_id(sub->topic), sub->name);
}

topic_subs *
subs_topic_entry(subs *s, tlog_topic *t, int create)
{
	topic_subs *ts = strmap_get(s->by_topic, tlog_topic_name(t));
	if (ts != NULL || !create)
		return ts;
	if ((ts = sl_alloc(sizeof(*ts))) == NULL)
		return NULL;
	ts->topic = t;
	if (strmap_put(s->by_topic, tlog_topic_name(t), ts) != SLUICE_OK) {
		sl_free(ts);
		return NULL;
	}
	return ts;
}

void
subs_sub_free(subscription *sub)
{
	if (sub == NULL)
		return;
	delivery_forget_all(sub);
	if (sub->deliveries != NULL)
		u64map_free(sub->deliveries);
	u64heap_fini(&sub->redeliver);
	policy_fini(&sub->policy);
	ratelimit_free(sub);
	keyed_free(sub);
	cursor_fini(&sub->cur);
	sl_free(sub->name);
	sl_free(sub);
}

subscription *
subs_sub_alloc(tlog_topic *t, const char *name, Sluice__SubType type,
    Sluice__SubMode mode, uint32_t window)
{
	subscription *sub = sl_alloc(sizeof(*sub));
	if (sub == NULL)
		return NULL;
	sub->topic = t;
	sub->type = type;
	sub->mode = mode;
	sub->window = window;
	sub->queue_size = window;
	sub->ops = disp_for(mode == SLUICE__SUB_MODE__MODE_RELIABLE, type);
	u64heap_init(&sub->redeliver);
	timeheap_init(&sub->retries);
	policy_defaults(&sub->policy, &sub->limit, &sub->breaker);
	cursor_init(&sub->cur, 0);
	if ((sub->name = sl_strdup(name)) == NULL ||
	    u64map_alloc(&sub->deliveries) != SLUICE_OK) {
		subs_sub_free(sub);
		return NULL;
	}
	return sub;
}

void
subs_link(subs *s, topic_subs *ts, subscription *sub)
{
	sub->uid = ++s->next_uid;
	u64map_put(s->by_uid, sub->uid, sub); /* no memory: it has no timers */
	sub->next = ts->subs;
	ts->subs = sub;
	if (sub->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE)
		ts->nonreliable++;
	s->nsubs++;
}

static void
unlink_sub(subs *s, subscription *sub)
{
	u64map_del(s->by_uid, sub->uid);
	topic_subs *ts = subs_topic_entry(s, sub->topic, 0);
	if (ts == NULL)
		return;
	for (subscription **pp = &ts->subs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	if (sub->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE)
		ts->nonreliable--;
	s->nsubs--;
}

static subscription *
find_sub(topic_subs *ts, const char *name)
{
	for (subscription *sub = ts ? ts->subs : NULL; sub != NULL; sub = sub->next)
		if (strcmp(sub->name, name) == 0)
			return sub;
	return NULL;
}

subscription *
subs_find(subs *s, tlog_topic *t, const char *name)
{
	return find_sub(subs_topic_entry(s, t, 0), name);
}

/* ---- persistence ----------------------------------------------------- */

sluice_err
subs_write_definition(subs *s, subscription *sub)
{
	Sluice__SubscriptionMeta m = SLUICE__SUBSCRIPTION_META__INIT;
	m.name = sub->name;
	m.topic = (char *) tlog_topic_name(sub->topic);
	m.type = sub->type;
	m.mode = sub->mode;
	m.window = sub->window;
	m.created_us = sl_now_us();
	policy_wire w;
	policy_to_wire(&sub->policy, &sub->limit, &sub->breaker, &w);
	m.policy = &w.policy;
	m.dispatch_limit = &w.limit;
	m.breaker = &w.breaker;
	uint8_t buf[1200];
	size_t n = codec_sub_meta_size(&m);
	if (n > sizeof(buf))
		return SLUICE_EINVAL;
	codec_sub_meta_pack(&m, buf);
	char key[300];
	meta_key(key, sizeof(key), 'u', sub);
	return tlog_meta_write_sync(s->log, key, strlen(key), buf, n);
}

typedef struct {
	Sluice__Attempt *items;
	Sluice__Attempt **ptrs;
	size_t n;
	uint64_t now_ms;
	int64_t now_us;
} attempt_list;

static void
collect_attempt(uint64_t off, void *v, void *arg)
{
	attempt_list *a = arg;
	delivery *d = v;
	if (d->attempt == 0)
		return;
	a->items[a->n] = (Sluice__Attempt) SLUICE__ATTEMPT__INIT;
	a->items[a->n].offset = off;
	a->items[a->n].count = d->attempt;
	a->items[a->n].last_reason = d->reason ? d->reason : (char *) "";
	/* Retry times go to disk as wall-clock time: the loop's clock
	 * restarts with the process. */
	if (d->retry_at_ms != 0 && d->retry_at_ms != UINT64_MAX && d->retry_at_ms > a->now_ms)
		a->items[a->n].retry_at_us = a->now_us +
		    (int64_t) (d->retry_at_ms - a->now_ms) * 1000;
	a->ptrs[a->n] = &a->items[a->n];
	a->n++;
}

/* Encodes sub's cursor into a fresh buffer (caller frees). */
static sluice_err
encode_cursor(subs *s, subscription *sub, uint8_t **out, size_t *len)
{
	size_t nd = u64map_count(sub->deliveries), nr = sub->cur.n;
	Sluice__AckRange *ranges = sl_alloc((nr ? nr : 1) * sizeof(*ranges));
	Sluice__AckRange **rptrs = sl_alloc((nr ? nr : 1) * sizeof(*rptrs));
	attempt_list a = { sl_alloc((nd ? nd : 1) * sizeof(Sluice__Attempt)),
		sl_alloc((nd ? nd : 1) * sizeof(Sluice__Attempt *)), 0, s->now_ms,
		sl_now_us() };
	sluice_err rv = SLUICE_ENOMEM;
	if (ranges == NULL || rptrs == NULL || a.items == NULL || a.ptrs == NULL)
		goto done;
	for (size_t i = 0; i < nr; i++) {
		ranges[i] = (Sluice__AckRange) SLUICE__ACK_RANGE__INIT;
		ranges[i].first = sub->cur.ranges[i].lo;
		ranges[i].last = sub->cur.ranges[i].hi - 1;
		rptrs[i] = &ranges[i];
	}
	u64map_foreach(sub->deliveries, collect_attempt, &a);
	Sluice__Cursor c = SLUICE__CURSOR__INIT;
	c.floor = sub->cur.floor;
	c.n_acked = nr;
	c.acked = rptrs;
	c.n_attempts = a.n;
	c.attempts = a.ptrs;
	*len = codec_cursor_size(&c);
	if ((*out = sl_alloc(*len ? *len : 1)) == NULL)
		goto done;
	codec_cursor_pack(&c, *out);
	rv = SLUICE_OK;
done:
	sl_free(ranges);
	sl_free(rptrs);
	sl_free(a.items);
	sl_free(a.ptrs);
	return rv;
}

typedef struct {
	subs *s;
	tlog_batch *b;
	int all;
} persist_walk;

static void
persist_topic(void *val, void *arg)
{
	persist_walk *w = arg;
	topic_subs *ts = val;
	for (subscription *sub = ts->subs; sub != NULL; sub = sub->next) {
		if (sub->mode != SLUICE__SUB_MODE__MODE_RELIABLE || (!sub->dirty && !w->all))
			continue;
		uint8_t *buf;
		size_t len;
		if (encode_cursor(w->s, sub, &buf, &len) != SLUICE_OK) {
			sl_warn("subscription %s: no memory to persist its cursor", sub->name);
			continue;
		}
		char key[300];
		meta_key(key, sizeof(key), 'c', sub);
		tlog_batch_put_meta(w->b, key, strlen(key), buf, len);
		sl_free(buf);
		sub->dirty = 0;
	}
}

void
subs_persist(subs *s, tlog_batch *b, int all)
{
	persist_walk w = { s, b, all };
	strmap_foreach(s->by_topic, persist_topic, &w);
	s->flush_now = 0;
}

static void
redirty_topic(void *val, void *arg)
{
	(void) arg;
	topic_subs *ts = val;
	for (subscription *sub = ts->subs; sub != NULL; sub = sub->next)
		if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
			sub->dirty = 1;
}

void
subs_persist_failed(subs *s)
{
	strmap_foreach(s->by_topic, redirty_topic, NULL);
}

static sluice_err
load_definition(void *arg, const void *k, size_t klen, const void *v, size_t vlen)
{
	subs *s = arg;
	(void) k;
	(void) klen;
	Sluice__SubscriptionMeta *m;
	if (codec_sub_meta_unpack(v, vlen, &m) != SLUICE_OK)
		return SLUICE_ECORRUPT;
	tlog_topic *t;
	sluice_err rv = tlog_topic_find(s->log, m->topic, &t);
	if (rv == SLUICE_OK) {
		topic_subs *ts = subs_topic_entry(s, t, 1);
		subscription *sub = subs_sub_alloc(t, m->name, m->type, m->mode, m->window);
		policy_update u = { m->policy, m->dispatch_limit, m->breaker };
		char detail[256];
		if (ts == NULL || sub == NULL) {
			subs_sub_free(sub);
			rv = SLUICE_ENOMEM;
		} else if (policy_apply(&sub->policy, &sub->limit, &sub->breaker, &u,
		               m->topic, m->name, detail, sizeof(detail)) != SLUICE_OK &&
		    policy_apply(&sub->policy, &sub->limit, &sub->breaker,
		        &(policy_update) { NULL, NULL, NULL }, m->topic, m->name,
		        detail, sizeof(detail)) != SLUICE_OK) {
			subs_sub_free(sub);
			rv = SLUICE_ENOMEM;
		} else {
			subs_link(s, ts, sub);
		}
	} else {
		sl_warn("subscription %s: its topic %s is gone; ignored", m->name, m->topic);
		rv = SLUICE_OK;
	}
	codec_sub_meta_free(m);
	return rv;
}

typedef struct {
	unsigned id;
	const char *name;
	subscription *found;
} key_query;

static void
match_topic(void *val, void *arg)
{
	topic_subs *ts = val;
	key_query *q = arg;
	if (q->found == NULL && tlog_topic_id(ts->topic) == q->id)
		q->found = find_sub(ts, q->name);
}

/* The subscription a "c/<topic id>/<name>" key names; start-up only. */
static subscription *
sub_by_key(subs *s, const char *key)
{
	unsigned id;
	int pos = 0;
	if (sscanf(key, "c/%u/%n", &id, &pos) != 1 || pos == 0)
		return NULL;
	key_query q = { id, key + pos, NULL };
	strmap_foreach(s->by_topic, match_topic, &q);
	return q.found;
}

static sluice_err
load_cursor(void *arg, const void *k, size_t klen, const void *v, size_t vlen)
{
	subs *s = arg;
	char key[300];
	if (klen >= sizeof(key))
		return SLUICE_OK;
	memcpy(key, k, klen);
	key[klen] = '\0';
	subscription *sub = sub_by_key(s, key);
	if (sub == NULL)
		return SLUICE_OK; /* a cursor without its definition: stale */
	Sluice__Cursor *c;
	if (codec_cursor_unpack(v, vlen, &c) != SLUICE_OK)
		return SLUICE_ECORRUPT;
	sluice_err rv = SLUICE_OK;
	sub->cur.floor = c->floor;
	for (size_t i = 0; i < c->n_acked && rv == SLUICE_OK; i++) {
		for (uint64_t off = c->acked[i]->first;
		     off <= c->acked[i]->last && rv == SLUICE_OK; off++) {
			int fresh;
			rv = cursor_ack(&sub->cur, off, &fresh);
		}
	}
	/* Attempt counts survive restarts: a message delivered before the
	 * crash counts that delivery when it goes out again. */
	int64_t now_us = sl_now_us();
	for (size_t i = 0; i < c->n_attempts && rv == SLUICE_OK; i++) {
		const Sluice__Attempt *a = c->attempts[i];
		delivery *d = delivery_new(sub, a->offset);
		if (d == NULL) {
			rv = SLUICE_ENOMEM;
			break;
		}
		d->attempt = a->count;
		if (a->last_reason != NULL && a->last_reason[0] != '\0')
			d->reason = sl_strdup(a->last_reason);
		/* A backoff still running at the crash runs out its time. */
		if (a->retry_at_us > now_us) {
			d->retry_at_ms = s->now_ms + (uint64_t) (a->retry_at_us - now_us) / 1000;
			if (timeheap_push(&sub->retries, d->retry_at_ms, a->offset) == SLUICE_OK)
				subs_schedule(s, sub, d->retry_at_ms);
			else
				d->retry_at_ms = 0;
		}
	}
	sub->read_pos = sub->cur.floor;
	codec_cursor_free(c);
	return rv;
}

/* Counts parked messages per subscription ("p/<topic id>/<name>|<hex>"). */
static sluice_err
count_parked(void *arg, const void *k, size_t klen, const void *v, size_t vlen)
{
	(void) v;
	(void) vlen;
	subs *s = arg;
	char key[700];
	if (klen >= sizeof(key))
		return SLUICE_OK;
	memcpy(key, k, klen);
	key[klen] = '\0';
	char *bar = strrchr(key, '|');
	unsigned id;
	int pos = 0;
	if (bar == NULL || sscanf(key, "p/%u/%n", &id, &pos) != 1 || pos == 0)
		return SLUICE_OK;
	*bar = '\0';
	key_query q = { id, key + pos, NULL };
	strmap_foreach(s->by_topic, match_topic, &q);
	if (q.found != NULL)
		q.found->parked_now++;
	return SLUICE_OK;
}

static void
free_topic_subs(void *val, void *arg)
{
	(void) arg;
	topic_subs *ts = val;
	while (ts->subs != NULL) {
		subscription *next = ts->subs->next;
		subs_sub_free(ts->subs);
		ts->subs = next;
	}
	sl_free(ts);
}

sluice_err
subs_open(subs **out, tlog *l, const subs_io *io)
{
	subs *s = sl_alloc(sizeof(*s));
	sluice_err rv = SLUICE_ENOMEM;
	if (s == NULL)
		return rv;
	s->log = l;
	s->io = *io;
	s->next_consumer_id = 1;
	/* The loop's clock (uv_now) is CLOCK_MONOTONIC in ms too: retry
	 * times loaded now line up with the broker's timers. */
	s->now_ms = sl_mono_ns() / 1000000;
	timeheap_init(&s->timers);
	policy_defaults(&s->def_policy, &s->def_limit, &s->def_breaker);
	codec_deliver_init(&s->frame);
	if (strmap_alloc(&s->by_topic) != SLUICE_OK || u64map_alloc(&s->consumers) != SLUICE_OK ||
	    u64map_alloc(&s->by_uid) != SLUICE_OK)
		goto fail;
	if ((rv = tlog_meta_scan(l, "u/", load_definition, s)) != SLUICE_OK ||
	    (rv = tlog_meta_scan(l, "c/", load_cursor, s)) != SLUICE_OK ||
	    (rv = tlog_meta_scan(l, "p/", count_parked, s)) != SLUICE_OK)
		goto fail;
	if (s->nsubs > 0)
		sl_info("%zu subscriptions recovered", s->nsubs);
	*out = s;
	return SLUICE_OK;
fail:
	subs_close(s);
	return rv;
}

static void
detach_any(uint64_t id, void *val, void *arg)
{
	(void) id;
	consumer **first = arg;
	if (*first == NULL)
		*first = val;
}

void
subs_close(subs *s)
{
	if (s == NULL)
		return;
	if (s->consumers != NULL) {
		consumer *c;
		/* Detach one at a time: detaching changes the map. */
		while (c = NULL, u64map_foreach(s->consumers, detach_any, &c), c != NULL)
			subs_detach(s, c, 0);
		u64map_free(s->consumers);
	}
	if (s->by_topic != NULL) {
		strmap_foreach(s->by_topic, free_topic_subs, NULL);
		strmap_free(s->by_topic);
	}
	if (s->by_uid != NULL)
		u64map_free(s->by_uid);
	timeheap_fini(&s->timers);
	policy_fini(&s->def_policy);
	codec_deliver_fini(&s->frame);
	sl_free(s);
}

/* ---- consumers ------------------------------------------------------- */

uint64_t
consumer_id(const consumer *c)
{
	return c->id;
}

void *
consumer_owner(const consumer *c)
{
	return c->owner;
}

const char *
consumer_topic_name(const consumer *c)
{
	return tlog_topic_name(c->sub->topic);
}

uint32_t
consumer_window(const consumer *c)
{
	return c->sub->window;
}

int
consumer_is_active(const consumer *c)
{
	return c->sub->ops->is_active(c->sub, c);
}

consumer *
subs_consumer(subs *s, uint64_t id)
{
	return u64map_get(s->consumers, id);
}

static sluice_err
start_position(subscription *sub, const Sluice__Subscribe *req)
{
	uint64_t first = tlog_topic_first(sub->topic), head = tlog_topic_head(sub->topic);
	uint64_t at = head;
	if (req->start == SLUICE__START_AT__START_EARLIEST)
		at = first;
	else if (req->start == SLUICE__START_AT__START_OFFSET)
		at = req->start_offset < first ? first
		    : req->start_offset > head ? head : req->start_offset;
	sub->cur.floor = at;
	sub->read_pos = at;
	sub->dirty = 1;
	return SLUICE_OK;
}

/* A new subscription's policies: the broker's defaults, then the request's. */
sluice_err
subs_init_policies(subs *s, subscription *sub, const policy_update *u,
    char *detail, size_t dlen)
{
	policy_fini(&sub->policy);
	sub->policy = s->def_policy;
	sub->policy.dead_letter_topic = NULL; /* per subscription unless given */
	if (s->def_policy.dead_letter_topic != NULL &&
	    (sub->policy.dead_letter_topic = sl_strdup(s->def_policy.dead_letter_topic)) == NULL)
		return SLUICE_ENOMEM;
	sub->limit = s->def_limit;
	sub->breaker = s->def_breaker;
	return policy_apply(&sub->policy, &sub->limit, &sub->breaker, u,
	    tlog_topic_name(sub->topic), sub->name, detail, dlen);
}

static sluice_err
create_sub(subs *s, topic_subs *ts, tlog_topic *t, const Sluice__Subscribe *req,
    uint32_t window, subscription **out, char *detail, size_t dlen)
{
	subscription *sub = subs_sub_alloc(t, req->subscription, req->type, req->mode, window);
	if (sub == NULL)
		return SLUICE_ENOMEM;
	policy_update u = { req->policy, req->dispatch_limit, req->breaker };
	sluice_err prv = subs_init_policies(s, sub, &u, detail, dlen);
	if (prv != SLUICE_OK) {
		subs_sub_free(sub);
		return prv;
	}
	sub->overflow = req->overflow;
	if (req->queue_size > 0)
		sub->queue_size = req->queue_size > SUB_MAX_WINDOW ? SUB_MAX_WINDOW : req->queue_size;
	sluice_err rv = SLUICE_OK;
	if (req->mode == SLUICE__SUB_MODE__MODE_RELIABLE) {
		start_position(sub, req);
		if ((rv = subs_write_definition(s, sub)) != SLUICE_OK) {
			subs_sub_free(sub);
			return rv;
		}
		sl_info("subscription %s on %s created (%s, from offset %llu)", sub->name,
		    tlog_topic_name(t), sub->ops->name, (unsigned long long) sub->cur.floor);
	}
	subs_link(s, ts, sub);
	*out = sub;
	return SLUICE_OK;
}

static void
destroy_sub(subs *s, subscription *sub)
{
	unlink_sub(s, sub);
	subs_sub_free(sub);
}

sluice_err
subs_destroy_durably(subs *s, subscription *sub)
{
	char key[300];
	sluice_err rv;
	meta_key(key, sizeof(key), 'u', sub);
	rv = tlog_meta_write_sync(s->log, key, strlen(key), NULL, 0);
	meta_key(key, sizeof(key), 'c', sub);
	if (rv == SLUICE_OK)
		rv = tlog_meta_write_sync(s->log, key, strlen(key), NULL, 0);
	if (rv != SLUICE_OK)
		return rv; /* still defined on disk: keep it in memory too */
	sl_event(SL_LOG_INFO, "subscription_delete",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(sub->topic)),
	        SL_STR("subscription", sub->name)),
	    "subscription %s on %s deleted", sub->name, tlog_topic_name(sub->topic));
	destroy_sub(s, sub);
	return SLUICE_OK;
}

sluice_err
subs_attach(subs *s, tlog_topic *t, const Sluice__Subscribe *req, void *owner,
    consumer **out, char *detail, size_t dlen)
{
	uint32_t window = req->window ? req->window : SUB_DEFAULT_WINDOW;
	if (!sluice_topic_name_is_valid(req->subscription)) {
		snprintf(detail, dlen, "invalid subscription name: use 1-255 characters "
		                       "of [A-Za-z0-9._/-]");
		return SLUICE_EINVAL;
	}
	if (window > SUB_MAX_WINDOW || req->type > SLUICE__SUB_TYPE__SUB_KEY_SHARED ||
	    req->mode > SLUICE__SUB_MODE__MODE_NON_RELIABLE ||
	    req->overflow > SLUICE__OVERFLOW__OVERFLOW_BLOCK) {
		snprintf(detail, dlen, "window must be 1..65535 and type, mode and overflow known");
		return SLUICE_EINVAL;
	}
	topic_subs *ts = subs_topic_entry(s, t, 1);
	if (ts == NULL)
		return SLUICE_ENOMEM;
	subscription *sub = find_sub(ts, req->subscription);
	int created = 0;
	sluice_err rv;
	if (sub != NULL && (sub->type != req->type || sub->mode != req->mode)) {
		snprintf(detail, dlen, "subscription '%s' exists as %s; asked for another "
		    "type or mode", sub->name, sub->ops->name);
		return SLUICE_ESUBMISMATCH;
	}
	if (sub == NULL) {
		if ((rv = create_sub(s, ts, t, req, window, &sub, detail, dlen)) != SLUICE_OK)
			return rv;
		created = 1;
	}
	consumer *c = sl_alloc(sizeof(*c));
	if (c == NULL || (c->name = sl_strdup(req->consumer_name)) == NULL) {
		sl_free(c);
		rv = SLUICE_ENOMEM;
		goto fail;
	}
	c->id = s->next_consumer_id++;
	c->seq = s->next_seq++;
	c->sub = sub;
	c->owner = owner;
	c->priority = req->priority;
	c->last_fetch_ms = s->now_ms; /* idle counts from the attach */
	if ((rv = sub->ops->attach(sub, c)) != SLUICE_OK) {
		snprintf(detail, dlen, "subscription '%s' is exclusive and already has a "
		    "consumer", sub->name);
		goto fail_consumer;
	}
	if ((rv = u64map_put(s->consumers, c->id, c)) != SLUICE_OK) {
		sub->ops->detach(sub, c);
		goto fail_consumer;
	}
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		tlog_topic_want_tail(s->log, t, 1);
	*out = c;
	return SLUICE_OK;
fail_consumer:
	sl_free(c->name);
	sl_free(c);
fail:
	if (created && sub->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE)
		destroy_sub(s, sub);
	return rv;
}

typedef struct {
	consumer *c;
	subscription *sub;
	sluice_err rv;
} orphan_walk;

static void
orphan(uint64_t off, void *v, void *arg)
{
	orphan_walk *w = arg;
	delivery *d = v;
	if (d->owner != w->c)
		return;
	d->owner = NULL;
	if (u64heap_push(&w->sub->redeliver, off) != SLUICE_OK)
		w->rv = SLUICE_ENOMEM;
}

/* Gives back every message c holds unacked, to be delivered again. */
static void
release_deliveries(subscription *sub, consumer *c)
{
	orphan_walk w = { c, sub, SLUICE_OK };
	if (c->unacked == 0)
		return;
	u64map_foreach(sub->deliveries, orphan, &w);
	if (w.rv != SLUICE_OK) {
		/* No memory to queue them: rewind instead, which redelivers
		 * from the floor, skipping what is acked. Nothing is lost. */
		sub->read_pos = sub->cur.floor;
	}
	c->unacked = 0;
}

sluice_err
subs_detach(subs *s, consumer *c, int delete_sub)
{
	subscription *sub = c->sub;
	if (delete_sub && sub->nconsumers > 1)
		return SLUICE_EBUSY;
	while (c->nfetch > 0)
		deliver_answer_empty(s, c, 0);
	release_deliveries(sub, c);
	deliver_release_ring(c);
	sub->ops->detach(sub, c);
	u64map_del(s->consumers, c->id);
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		tlog_topic_want_tail(s->log, sub->topic, 0);
	breaker_free(c);
	sl_free(c->name);
	sl_free(c);

	if (sub->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE) {
		if (sub->nconsumers == 0)
			destroy_sub(s, sub);
		return SLUICE_OK;
	}
	if (delete_sub)
		return subs_destroy_durably(s, sub);
	deliver_pump(s, sub); /* the others take what c left */
	return SLUICE_OK;
}

void
subs_fetch(subs *s, consumer *c, void *fetch_ctx, uint32_t max_records,
    uint64_t deadline_ms)
{
	if (max_records > c->sub->window)
		max_records = c->sub->window;
	c->last_fetch_ms = s->now_ms;
	c->fetch[c->nfetch++] = (parked_fetch) { fetch_ctx, max_records, deadline_ms };
	if (c->nfetch > SUB_MAX_FETCHES) {
		deliver_answer_empty(s, c, c->nfetch - 1);
		return;
	}
	deliver_pump(s, c->sub);
}

/* ---- acks -------------------------------------------------------------- */

static void
ack_one(subs *s, subscription *sub, uint64_t off, uint32_t *applied,
    uint32_t *ignored, uint64_t now_ms, lathist *lat)
{
	int fresh = 0;
	delivery *d = u64map_get(sub->deliveries, off);
	if (d == NULL || cursor_is_acked(&sub->cur, off)) {
		(*ignored)++; /* late, duplicate, or never delivered */
		sub->ignored_acks++;
		return;
	}
	if (cursor_ack(&sub->cur, off, &fresh) != SLUICE_OK)
		return; /* no memory: the message stays unacked, so it comes again */
	if (d->owner != NULL) {
		d->owner->unacked--;
		d->owner->acked++;
		breaker_on_result(s, d->owner, 1, now_ms);
		if (d->delivered_ms != 0 && now_ms >= d->delivered_ms)
			lathist_observe(lat, (now_ms - d->delivered_ms) * 1000);
	}
	if (sub->blocked && sub->blocked_offset == off)
		sub->blocked = 0;
	delivery_forget(sub, off);
	sub->acked++;
	sub->dirty = 1;
	(*applied)++;
}

static void
nack_one(subs *s, subscription *sub, consumer *c, uint64_t off, uint32_t delay_ms,
    const char *reason, uint32_t *applied, uint32_t *ignored)
{
	delivery *d = u64map_get(sub->deliveries, off);
	if (d == NULL || d->owner != c) {
		(*ignored)++;
		sub->ignored_acks++;
		return;
	}
	d->owner = NULL;
	c->unacked--;
	c->nacked++;
	sub->nacked++;
	(*applied)++;
	breaker_on_result(s, c, 0, s->now_ms);
	delivery_failed(s, sub, d, delay_ms, reason != NULL && reason[0] ? reason : "nack");
}

typedef struct {
	uint64_t below;
	uint64_t *offs;
	size_t n, cap;
} below_walk;

static void
collect_below(uint64_t off, void *v, void *arg)
{
	(void) v;
	below_walk *w = arg;
	if (off < w->below && w->n < w->cap)
		w->offs[w->n++] = off;
}

static void
ack_cumulative(subscription *sub, uint64_t upto, uint32_t *applied)
{
	below_walk w = { upto + 1, NULL, 0, u64map_count(sub->deliveries) };
	if (w.cap > 0 && (w.offs = sl_alloc(w.cap * sizeof(uint64_t))) != NULL) {
		u64map_foreach(sub->deliveries, collect_below, &w);
		for (size_t i = 0; i < w.n; i++) {
			delivery *d = u64map_get(sub->deliveries, w.offs[i]);
			if (d->owner != NULL) {
				d->owner->unacked--;
				d->owner->acked++;
			}
			delivery_forget(sub, w.offs[i]);
		}
		sl_free(w.offs);
	}
	if (upto + 1 > sub->cur.floor) {
		*applied += (uint32_t) (upto + 1 - sub->cur.floor);
		sub->acked += upto + 1 - sub->cur.floor;
		cursor_ack_below(&sub->cur, upto + 1);
		sub->dirty = 1;
	}
	if (sub->read_pos < upto + 1)
		sub->read_pos = upto + 1;
}

sluice_err
subs_ack(subs *s, consumer *c, const Sluice__AckRange *const *ranges,
    size_t nranges, int has_cumulative, uint64_t cumulative,
    const Sluice__AckRange *const *nacks, size_t nnacks, uint32_t *applied,
    uint32_t *ignored)
{
	subscription *sub = c->sub;
	*applied = *ignored = 0;
	if (sub->mode != SLUICE__SUB_MODE__MODE_RELIABLE)
		return SLUICE_OK; /* nothing to ack in at-most-once delivery */
	if (has_cumulative && sub->type >= SLUICE__SUB_TYPE__SUB_SHARED) /* shared, key_shared */
		return SLUICE_ENOTSUPP;
	for (size_t i = 0; i < nranges; i++) {
		uint64_t first = ranges[i]->first, last = ranges[i]->last;
		if (last < first || last - first >= MAX_ACK_SPAN) {
			(*ignored)++;
			continue;
		}
		for (uint64_t off = first; off <= last; off++)
			ack_one(s, sub, off, applied, ignored, s->now_ms, &s->deliver_to_ack);
	}
	if (has_cumulative)
		ack_cumulative(sub, cumulative, applied);
	for (size_t i = 0; i < nnacks; i++) {
		uint64_t first = nacks[i]->first, last = nacks[i]->last;
		if (last < first || last - first >= MAX_ACK_SPAN) {
			(*ignored)++;
			continue;
		}
		for (uint64_t off = first; off <= last; off++)
			nack_one(s, sub, c, off, 0, NULL, applied, ignored);
	}
	deliver_pump(s, sub);
	return SLUICE_OK;
}

sluice_err
subs_nack(subs *s, consumer *c, const Sluice__AckRange *const *nacks,
    size_t nnacks, uint32_t delay_ms, const char *reason, uint32_t *applied,
    uint32_t *ignored)
{
	subscription *sub = c->sub;
	*applied = *ignored = 0;
	if (sub->mode != SLUICE__SUB_MODE__MODE_RELIABLE)
		return SLUICE_OK;
	for (size_t i = 0; i < nnacks; i++) {
		uint64_t first = nacks[i]->first, last = nacks[i]->last;
		if (last < first || last - first >= MAX_ACK_SPAN) {
			(*ignored)++;
			continue;
		}
		for (uint64_t off = first; off <= last; off++)
			nack_one(s, sub, c, off, delay_ms, reason, applied, ignored);
	}
	deliver_pump(s, sub);
	return SLUICE_OK;
}

void
subs_set_clock(subs *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
}

int
subs_flush_wanted(const subs *s)
{
	return s->flush_now;
}

sluice_err
subs_set_policy_defaults(subs *s, const subs_policy_update *u, char *detail,
    size_t dlen)
{
	sub_policy p = s->def_policy;
	p.dead_letter_topic = NULL;
	sub_limit l = s->def_limit;
	sub_breaker b = s->def_breaker;
	/* A placeholder name checks the rest; the real default dead-letter
	 * topic is per subscription. */
	sluice_err rv = policy_apply(&p, &l, &b, u, "t", "s", detail, dlen);
	if (rv != SLUICE_OK)
		return rv;
	int named = u->policy != NULL && u->policy->dead_letter_topic != NULL &&
	    u->policy->dead_letter_topic[0] != '\0';
	if (!named) {
		policy_fini(&p);
		p.dead_letter_topic = s->def_policy.dead_letter_topic;
		s->def_policy.dead_letter_topic = NULL;
	}
	policy_fini(&s->def_policy);
	s->def_policy = p;
	s->def_limit = l;
	s->def_breaker = b;
	return SLUICE_OK;
}

sluice_err
subs_get_policies(subs *s, tlog_topic *t, const char *name, subs_policy_wire *out)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL)
		return SLUICE_ENOSUB;
	policy_to_wire(&sub->policy, &sub->limit, &sub->breaker, out);
	return SLUICE_OK;
}

static void
unblock_one(uint64_t off, void *v, void *arg)
{
	delivery *d = v;
	if (d->owner == NULL && d->retry_at_ms == UINT64_MAX) {
		d->retry_at_ms = 0;
		u64heap_push(&((subscription *) arg)->redeliver, off);
	}
}

sluice_err
subs_configure(subs *s, tlog_topic *t, const char *name,
    const subs_policy_update *u, char *detail, size_t dlen)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL) {
		snprintf(detail, dlen, "no subscription '%s' on topic '%s'", name,
		    tlog_topic_name(t));
		return SLUICE_ENOSUB;
	}
	sub_policy old = sub->policy;
	sub_limit old_l = sub->limit;
	sub_breaker old_b = sub->breaker;
	char *old_dlq = old.dead_letter_topic ? sl_strdup(old.dead_letter_topic) : NULL;
	sluice_err rv = policy_apply(&sub->policy, &sub->limit, &sub->breaker, u,
	    tlog_topic_name(t), name, detail, dlen);
	if (rv != SLUICE_OK) {
		sl_free(old_dlq);
		return rv;
	}
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE &&
	    (rv = subs_write_definition(s, sub)) != SLUICE_OK) {
		/* Not stored: keep running with what is stored. */
		policy_fini(&sub->policy);
		sub->policy = old;
		sub->policy.dead_letter_topic = old_dlq;
		sub->limit = old_l;
		sub->breaker = old_b;
		snprintf(detail, dlen, "cannot store the policy: %s", sluice_strerror(rv));
		return rv;
	}
	sl_free(old_dlq);
	if (old.on_exhausted == SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK &&
	    sub->policy.on_exhausted != SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK) {
		/* Blocked under the old policy (the subscription, or with
		 * key_shared their keys): they go out again under the new. */
		sub->blocked = 0;
		u64map_foreach(sub->deliveries, unblock_one, sub);
	}
	sl_event(SL_LOG_INFO, "subscription_configure",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(t)), SL_STR("subscription", name),
	        SL_U64("ack_timeout_ms", sub->policy.ack_timeout_ms),
	        SL_U64("max_redeliveries", sub->policy.max_redeliveries),
	        SL_STR("on_exhausted", policy_exhausted_name(sub->policy.on_exhausted)),
	        SL_U64("dispatch_msgs_per_sec", sub->limit.msgs_per_sec)),
	    "subscription %s on %s: policy changed", name, tlog_topic_name(t));
	deliver_pump(s, sub);
	return SLUICE_OK;
}

/* ---- feeding and waking ---------------------------------------------- */

int
subs_topic_wants_messages(subs *s, tlog_topic *t)
{
	topic_subs *ts = subs_topic_entry(s, t, 0);
	return ts != NULL && ts->nonreliable > 0;
}

static nr_msg *
nr_encode(const Sluice__Message *m, uint64_t offset, int64_t publish_time_us)
{
	Sluice__StoredMessage sm = SLUICE__STORED_MESSAGE__INIT;
	sm.publish_time_us = publish_time_us;
	sm.has_key = m->has_key;
	sm.key = m->key;
	sm.n_properties = m->n_properties;
	sm.properties = m->properties;
	sm.payload = m->payload;
	sm.producer_seq = m->producer_seq;
	sm.event_time_us = m->event_time_us;
	size_t len = codec_stored_size(&sm);
	nr_msg *nm = sl_alloc(sizeof(*nm) + len);
	if (nm == NULL)
		return NULL;
	nm->offset = offset;
	nm->len = codec_stored_pack(&sm, nm->bytes);
	return nm;
}

void
subs_on_commit(subs *s, tlog_topic *t, Sluice__Message *const *msgs, size_t n,
    uint64_t base, int64_t publish_time_us)
{
	topic_subs *ts = subs_topic_entry(s, t, 0);
	if (ts == NULL || ts->nonreliable == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		nr_msg *m = nr_encode(msgs[i], base + i, publish_time_us);
		if (m == NULL) {
			sl_warn("topic %s: no memory for non-reliable delivery", tlog_topic_name(t));
			continue;
		}
		for (subscription *sub = ts->subs; sub != NULL; sub = sub->next)
			if (sub->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE)
				deliver_enqueue_nr(s, sub, m);
		if (m->refs == 0)
			sl_free(m);
	}
	for (subscription *sub = ts->subs; sub != NULL; sub = sub->next)
		if (sub->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE)
			deliver_pump(s, sub);
}

void
subs_wake(subs *s, tlog_topic *t)
{
	topic_subs *ts = subs_topic_entry(s, t, 0);
	for (subscription *sub = ts ? ts->subs : NULL; sub != NULL; sub = sub->next)
		if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE && sub->nconsumers > 0)
			deliver_pump(s, sub);
}

typedef struct {
	subs *s;
	uint64_t now_ms;
} expiry_walk;

static void
expire_consumer(uint64_t id, void *val, void *arg)
{
	(void) id;
	expiry_walk *w = arg;
	consumer *c = val;
	for (int i = 0; i < c->nfetch;) {
		if (c->fetch[i].deadline_ms <= w->now_ms)
			deliver_answer_empty(w->s, c, i);
		else
			i++;
	}
}

void
subs_expire_fetches(subs *s, uint64_t now_ms)
{
	expiry_walk w = { s, now_ms };
	s->now_ms = now_ms;
	u64map_foreach(s->consumers, expire_consumer, &w);
}

typedef struct {
	uint64_t off;
	delivery *d;
} oldest_walk;

static void
find_oldest(uint64_t off, void *v, void *arg)
{
	oldest_walk *w = arg;
	delivery *d = v;
	if (d->owner != NULL && (w->d == NULL || off < w->off)) {
		w->off = off;
		w->d = d;
	}
}

delivery *
subs_oldest_unacked(subscription *sub, uint64_t *offset)
{
	oldest_walk w = { 0, NULL };
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		u64map_foreach(sub->deliveries, find_oldest, &w);
	*offset = w.off;
	return w.d;
}

/* Rates move once a second; the watchdog ticks them. */
static void
tick_rates(subscription *sub, uint64_t now_ms)
{
	rate_tick(&sub->dispatch_rate, sub->delivered, now_ms);
	rate_tick(&sub->ack_rate, sub->acked, now_ms);
	for (consumer *c = sub->consumers; c != NULL; c = c->next)
		rate_tick(&c->ack_rate, c->acked, now_ms);
}

static void
watch_topic(void *val, void *arg)
{
	topic_subs *ts = val;
	subs *s = arg;
	for (subscription *sub = ts->subs; sub != NULL; sub = sub->next) {
		if (s->now_ms - s->last_rate_ms >= 1000)
			tick_rates(sub, s->now_ms);
		if (sub->mode != SLUICE__SUB_MODE__MODE_RELIABLE || sub->nconsumers == 0)
			continue;
		uint64_t head = tlog_topic_head(sub->topic);
		int lag = sub->read_pos < head || sub->redeliver.n > 0;
		if (!lag) {
			sub->stalled = 0;
			continue;
		}
		deliver_pump(s, sub);
		int room = 0;
		for (consumer *c = sub->consumers; c != NULL; c = c->next)
			room |= c->unacked < sub->window;
		if (!room && !sub->stalled) {
			oldest_walk w = { 0, NULL };
			u64map_foreach(sub->deliveries, find_oldest, &w);
			/* A full window is normal for a moment (window 1 is full
			 * all the time): only a long-held one is a stall. */
			if (w.d == NULL || s->now_ms - w.d->delivered_ms < SUB_STALL_MS)
				continue;
			if (w.d != NULL)
				sl_warn("subscription %s on %s stalled: %llu behind, every "
				        "consumer's window is full; oldest unacked offset %llu "
				        "held by consumer %llu (%s) for %llu ms",
				    sub->name, tlog_topic_name(sub->topic),
				    (unsigned long long) (head - sub->cur.floor),
				    (unsigned long long) w.off, (unsigned long long) w.d->owner->id,
				    w.d->owner->name, (unsigned long long) (s->now_ms - w.d->delivered_ms));
		}
		sub->stalled = !room;
	}
}

void
subs_watchdog(subs *s, uint64_t now_ms)
{
	s->now_ms = now_ms;
	strmap_foreach(s->by_topic, watch_topic, s);
	if (now_ms - s->last_rate_ms >= 1000)
		s->last_rate_ms = now_ms;
}

size_t
subs_count(const subs *s)
{
	return s->nsubs;
}


int
subs_topic_blocked(subs *s, tlog_topic *t)
{
	topic_subs *ts = subs_topic_entry(s, t, 0);
	if (ts == NULL || ts->nonreliable == 0)
		return 0;
	for (subscription *sub = ts->subs; sub != NULL; sub = sub->next)
		if (deliver_is_blocked(sub))
			return 1;
	return 0;
}

uint64_t
subs_topic_min_floor(subs *s, tlog_topic *t)
{
	uint64_t floor = UINT64_MAX;
	topic_subs *ts = subs_topic_entry(s, t, 0);
	for (subscription *sub = ts ? ts->subs : NULL; sub != NULL; sub = sub->next)
		if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE && sub->cur.floor < floor)
			floor = sub->cur.floor;
	return floor;
}

static uint64_t
queued_nr(const subscription *sub)
{
	uint64_t n = 0;
	for (consumer *c = sub->consumers; c != NULL; c = c->next)
		n += c->rlen;
	return n;
}

sluice_err
subs_get_stats(subs *s, tlog_topic *t, const char *name, uint64_t now_ms,
    subs_stats *out)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL)
		return SLUICE_ENOSUB;
	memset(out, 0, sizeof(*out));
	out->dispatcher = sub->ops->name;
	out->type = sub->type;
	out->mode = sub->mode;
	out->window = sub->window;
	out->consumers = sub->nconsumers;
	out->head = tlog_topic_head(t);
	out->delivered = sub->delivered;
	out->acked = sub->acked;
	out->nacked = sub->nacked;
	out->redelivered = sub->redelivered;
	out->dropped = sub->dropped;
	out->ignored_acks = sub->ignored_acks;
	out->dispatch_rate = sub->dispatch_rate.per_sec;
	out->ack_rate = sub->ack_rate.per_sec;
	out->ack_timeouts = sub->ack_timeouts;
	out->exhausted = sub->exhausted;
	out->dead_lettered = sub->dead_lettered;
	out->parked = sub->parked_now;
	out->rate_limited = sub->rate_limited;
	out->dropped_exhausted = sub->dropped_exhausted;
	out->blocked = sub->blocked;
	out->blocked_offset = sub->blocked_offset;
	if (sub->mode != SLUICE__SUB_MODE__MODE_RELIABLE) {
		out->queued = queued_nr(sub);
		out->backlog = out->queued;
		return SLUICE_OK;
	}
	out->floor = sub->cur.floor;
	out->lag = out->head > out->floor ? out->head - out->floor : 0;
	uint64_t acked_above = cursor_acked_count(&sub->cur);
	out->backlog = out->lag > acked_above ? out->lag - acked_above : 0;
	out->ack_holes = cursor_holes(&sub->cur);
	for (consumer *c = sub->consumers; c != NULL; c = c->next)
		out->unacked += c->unacked;
	uint64_t off;
	delivery *d = subs_oldest_unacked(sub, &off);
	if (d != NULL) {
		out->oldest_unacked_offset = off;
		out->oldest_unacked_ms = now_ms > d->delivered_ms ? now_ms - d->delivered_ms : 0;
	}
	return SLUICE_OK;
}

void
subs_list(subs *s, tlog_topic *t, void (*fn)(void *arg, const char *name),
    void *arg)
{
	topic_subs *ts = subs_topic_entry(s, t, 0);
	for (subscription *sub = ts ? ts->subs : NULL; sub != NULL; sub = sub->next)
		fn(arg, sub->name);
}

void
subs_topic_gone(subs *s, tlog_topic *t)
{
	topic_subs *ts = subs_topic_entry(s, t, 0);
	if (ts == NULL || ts->subs != NULL)
		return;
	strmap_del(s->by_topic, tlog_topic_name(t));
	sl_free(ts);
}

size_t
subs_topic_count(subs *s, tlog_topic *t)
{
	size_t n = 0;
	topic_subs *ts = subs_topic_entry(s, t, 0);
	for (subscription *sub = ts ? ts->subs : NULL; sub != NULL; sub = sub->next)
		n++;
	return n;
}

sluice_err
subs_consumers(subs *s, tlog_topic *t, const char *name,
    void (*fn)(void *arg, const subs_consumer_info *ci), void *arg)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL)
		return SLUICE_ENOSUB;
	for (consumer *c = sub->consumers; c != NULL; c = c->next) {
		subs_consumer_info ci = {
			.id = c->id,
			.name = c->name,
			.owner = c->owner,
			.active = sub->ops->is_active(sub, c),
			.window = sub->window,
			.unacked = sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE
			    ? c->unacked : (uint32_t) c->rlen,
			.delivered = c->delivered,
			.acked = c->acked,
			.ack_rate = c->ack_rate.per_sec,
			.parked_fetches = (uint32_t) c->nfetch,
			.last_fetch_ms = c->last_fetch_ms,
		};
		breaker_describe(c, s->now_ms, &ci.breaker, &ci.breaker_open_ms,
		    &ci.recent_failures);
		ci.nacked = c->nacked;
		ci.ack_timeouts = c->ack_timeouts;
		fn(arg, &ci);
	}
	return SLUICE_OK;
}

void
subs_get_latency(const subs *s, subs_latency *out)
{
	out->publish_to_deliver = &s->publish_to_deliver;
	out->deliver_to_ack = &s->deliver_to_ack;
}

uint64_t
subs_delivered_total(const subs *s)
{
	return s->delivered_total;
}
