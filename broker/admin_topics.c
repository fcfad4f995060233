/*
 * admin_topics.c - sluice-admin's topic operations: list, create, delete,
 * stats, peek and configure (the publish rate limit). Peek reads the log
 * only: it changes no delivery state.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "alloc.h"
#include "limit.h"
#include "log.h"
#include "ratelimit.h"

#define PEEK_DEFAULT 10
#define PEEK_MAX 1000

sluice_err
admin_find_topic(admin_call *c, tlog_topic **out)
{
	const char *name = c->req->topic;
	sluice_err rv = tlog_topic_find(c->b->log, name, out);
	if (rv == SLUICE_ENOTOPIC)
		snprintf(c->detail, c->dlen, "no topic '%s'", name);
	return rv;
}

static Sluice__TopicInfo *
topic_info(admin_call *c, tlog_topic *t)
{
	Sluice__TopicInfo *ti = admin_alloc(c->arena, sizeof(*ti));
	if (ti == NULL)
		return NULL;
	sluice__topic_info__init(ti);
	ti->name = (char *) tlog_topic_name(t);
	ti->first_offset = tlog_topic_first(t);
	ti->head_offset = tlog_topic_head(t);
	ti->messages = ti->head_offset - ti->first_offset;
	ti->bytes = tlog_topic_bytes(t);
	ti->publish_rate = tlog_topic_publish_rate(t);
	ti->producers = (uint32_t) producers_count(c->b, t);
	ti->subscriptions = (uint32_t) subs_topic_count(c->b->subs, t);
	tlog_topic_retention(t, &ti->retention_age_ms, &ti->retention_bytes);
	ti->published_total = tlog_topic_published(t);
	ti->published_bytes_total = tlog_topic_published_bytes(t);
	/* The limit always shows, 0 meaning none. */
	Sluice__RateLimit *rl = admin_alloc(c->arena, sizeof(*rl));
	Sluice__U64 *v = admin_alloc(c->arena, 2 * sizeof(*v));
	if (rl != NULL && v != NULL) {
		sluice__rate_limit__init(rl);
		sluice__u64__init(&v[0]);
		sluice__u64__init(&v[1]);
		tlog_topic_publish_limit(t, &v[0].value, &v[1].value);
		rl->msgs_per_sec = &v[0];
		rl->bytes_per_sec = &v[1];
		ti->publish_limit = rl;
	}
	ti->rate_limited = ratelimit_publish_limited(c->b, t);
	return ti;
}

/* Makes res->topics hold exactly one entry. */
static sluice_err
one_topic(admin_call *c, tlog_topic *t)
{
	Sluice__TopicInfo **v = admin_alloc(c->arena, sizeof(*v));
	if (v == NULL || (v[0] = topic_info(c, t)) == NULL)
		return SLUICE_ENOMEM;
	c->res->topics = v;
	c->res->n_topics = 1;
	return SLUICE_OK;
}

typedef struct {
	admin_call *c;
	size_t n, cap;
} list_walk;

static void
add_topic(void *arg, tlog_topic *t)
{
	list_walk *w = arg;
	if (w->n < w->cap && (w->c->res->topics[w->n] = topic_info(w->c, t)) != NULL)
		w->n++;
}

sluice_err
admin_topics_list(admin_call *c)
{
	size_t n = tlog_topic_count(c->b->log);
	list_walk w = { c, 0, n };
	if ((c->res->topics = admin_alloc(c->arena, (n ? n : 1) * sizeof(void *))) == NULL)
		return SLUICE_ENOMEM;
	tlog_topics_foreach(c->b->log, add_topic, &w);
	c->res->n_topics = w.n;
	return SLUICE_OK;
}

sluice_err
admin_topic_create(admin_call *c)
{
	const Sluice__Admin *a = c->req;
	tlog_topic *t;
	if (a->retention_age_ms < 0) {
		snprintf(c->detail, c->dlen, "retention age must not be negative");
		return SLUICE_EINVAL;
	}
	const Sluice__RateLimit *pl = a->publish_limit;
	uint64_t rate_msgs = pl != NULL && pl->msgs_per_sec ? pl->msgs_per_sec->value : 0;
	uint64_t rate_bytes = pl != NULL && pl->bytes_per_sec ? pl->bytes_per_sec->value : 0;
	sluice_err rv = tlog_topic_find(c->b->log, a->topic, &t);
	if (rv == SLUICE_ENOTOPIC && sluice_topic_name_is_valid(a->topic) &&
	    limit_topic_admit(c->b, a->topic, c->detail, c->dlen) != SLUICE_OK)
		return SLUICE_ELIMIT;
	rv = tlog_topic_create_limited(c->b->log, a->topic,
	    a->retention_age_ms, a->retention_bytes, rate_msgs, rate_bytes, &t);
	if (rv == SLUICE_EEXISTS) {
		snprintf(c->detail, c->dlen, "topic '%s' already exists", a->topic);
		return rv;
	}
	if (rv == SLUICE_EBADTOPIC) {
		snprintf(c->detail, c->dlen, "invalid topic name '%.64s': use 1-255 "
		    "characters of [A-Za-z0-9._/-]", a->topic);
		return rv;
	}
	if (rv != SLUICE_OK) {
		snprintf(c->detail, c->dlen, "cannot create topic '%s': %s", a->topic,
		    sluice_strerror(rv));
		return rv;
	}
	sl_event(SL_LOG_INFO, "topic_create",
	    SL_FIELDS(SL_STR("topic", a->topic), SL_I64("retention_age_ms", a->retention_age_ms),
	        SL_U64("retention_bytes", a->retention_bytes), SL_STR("by", "operator")),
	    "topic %s created by an operator", a->topic);
	return one_topic(c, t);
}

/* A publish to t still waiting for its write (or held by "block")? */
static int
publishes_in_flight(const broker *b, const tlog_topic *t)
{
	const pending_pub *lists[] = { b->pending, b->committing, b->held };
	for (size_t i = 0; i < 3; i++)
		for (const pending_pub *p = lists[i]; p != NULL; p = p->next)
			if (p->topic == t)
				return 1;
	return 0;
}

typedef struct {
	const char **names;
	size_t n, cap;
} name_list;

static void
add_name(void *arg, const char *name)
{
	name_list *l = arg;
	if (l->n < l->cap)
		l->names[l->n++] = name;
}

sluice_err
admin_topic_delete(admin_call *c)
{
	broker *b = c->b;
	tlog_topic *t;
	sluice_err rv = admin_find_topic(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	size_t nsubs = subs_topic_count(b->subs, t);
	name_list subs = { admin_alloc(c->arena, (nsubs ? nsubs : 1) * sizeof(char *)), 0, nsubs };
	if (subs.names == NULL)
		return SLUICE_ENOMEM;
	subs_list(b->subs, t, add_name, &subs);
	if (subs.n > 0 && !c->req->force) {
		snprintf(c->detail, c->dlen, "topic '%s' has %zu subscription%s "
		    "(first: '%s'): delete them first or use --force", c->req->topic,
		    subs.n, subs.n == 1 ? "" : "s", subs.names[0]);
		return SLUICE_EINUSE;
	}
	/* Check everything before deleting anything. */
	for (size_t i = 0; i < subs.n; i++) {
		subs_stats st;
		if (subs_get_stats(b->subs, t, subs.names[i], broker_now_ms(b), &st) ==
		        SLUICE_OK && st.consumers > 0) {
			snprintf(c->detail, c->dlen, "subscription '%s' of topic '%s' has "
			    "consumers attached; they must unsubscribe first",
			    subs.names[i], c->req->topic);
			return SLUICE_EINUSE;
		}
	}
	if (publishes_in_flight(b, t) || b->write_in_flight) {
		snprintf(c->detail, c->dlen, "publishes to '%s' are being written; "
		    "retry in a moment", c->req->topic);
		return SLUICE_EBUSY;
	}
	/* Names point into the subscriptions: copy before deleting them. */
	for (size_t i = 0; i < subs.n; i++) {
		char name[300];
		snprintf(name, sizeof(name), "%s", subs.names[i]);
		subs.names[i] = NULL;
		if ((rv = subs_delete(b->subs, t, name, c->detail, c->dlen)) != SLUICE_OK)
			return rv;
	}
	subs_topic_gone(b->subs, t);
	producers_forget_topic(b, t);
	ratelimit_publish_forget(b, t);
	char name[300];
	snprintf(name, sizeof(name), "%s", tlog_topic_name(t));
	if ((rv = tlog_topic_delete(b->log, t)) != SLUICE_OK) {
		snprintf(c->detail, c->dlen, "cannot delete topic '%s': %s", name,
		    sluice_strerror(rv));
		return rv;
	}
	c->res->affected = subs.n;
	return SLUICE_OK;
}

sluice_err
admin_topic_configure(admin_call *c)
{
	broker *b = c->b;
	tlog_topic *t;
	sluice_err rv = admin_find_topic(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	uint64_t msgs, bytes;
	tlog_topic_publish_limit(t, &msgs, &bytes);
	const Sluice__RateLimit *pl = c->req->publish_limit;
	if (pl != NULL && pl->msgs_per_sec != NULL)
		msgs = pl->msgs_per_sec->value;
	if (pl != NULL && pl->bytes_per_sec != NULL)
		bytes = pl->bytes_per_sec->value;
	if ((rv = tlog_topic_set_publish_limit(b->log, t, msgs, bytes)) != SLUICE_OK) {
		snprintf(c->detail, c->dlen, "cannot store the limit of topic '%s': %s",
		    c->req->topic, sluice_strerror(rv));
		return rv;
	}
	sl_event(SL_LOG_INFO, "topic_configure",
	    SL_FIELDS(SL_STR("topic", c->req->topic), SL_U64("publish_rate_msgs", msgs),
	        SL_U64("publish_rate_bytes", bytes), SL_STR("by", "operator")),
	    "topic %s: publish limit %llu msgs/s, %llu bytes/s (0: none)",
	    c->req->topic, (unsigned long long) msgs, (unsigned long long) bytes);
	/* A raised or lifted limit lets held publishes go at once. */
	if (b->held != NULL)
		commit_retry_held(b);
	return one_topic(c, t);
}

sluice_err
admin_topic_stats(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = admin_find_topic(c, &t);
	return rv != SLUICE_OK ? rv : one_topic(c, t);
}

typedef struct {
	admin_call *c;
	size_t max;
	sluice_err rv;
} peek_walk;

static int
peek_one(void *arg, uint64_t off, const void *val, size_t len)
{
	peek_walk *w = arg;
	admin_arena *a = w->c->arena;
	Sluice__AdminResult *res = w->c->res;
	Sluice__StoredMessage *m;
	if ((w->rv = codec_stored_unpack(val, len, &m)) != SLUICE_OK) {
		snprintf(w->c->detail, w->c->dlen, "offset %llu: corrupt record",
		    (unsigned long long) off);
		w->rv = SLUICE_ECORRUPT;
		return 1;
	}
	if (a->nstored == a->capstored) {
		size_t cap = a->capstored ? a->capstored * 2 : 16;
		Sluice__StoredMessage **s = sl_realloc(a->stored, cap * sizeof(*s));
		if (s == NULL) {
			codec_stored_free(m);
			w->rv = SLUICE_ENOMEM;
			return 1;
		}
		a->stored = s;
		a->capstored = cap;
	}
	a->stored[a->nstored++] = m;
	Sluice__Record *r = admin_alloc(a, sizeof(*r));
	if (r == NULL) {
		w->rv = SLUICE_ENOMEM;
		return 1;
	}
	sluice__record__init(r);
	r->offset = off;
	r->message = m;
	res->records[res->n_records++] = r;
	return res->n_records >= w->max;
}

sluice_err
admin_topic_peek(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = admin_find_topic(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	uint64_t max = c->req->count ? c->req->count : PEEK_DEFAULT;
	if (max > PEEK_MAX)
		max = PEEK_MAX;
	uint64_t from = c->req->has_from ? c->req->from_offset : tlog_topic_first(t);
	if ((c->res->records = admin_alloc(c->arena, max * sizeof(void *))) == NULL)
		return SLUICE_ENOMEM;
	peek_walk w = { c, max, SLUICE_OK };
	if (from < tlog_topic_head(t))
		rv = tlog_read_raw(c->b->log, t, from, max, peek_one, &w);
	return rv != SLUICE_OK ? rv : w.rv;
}
