/*
 * limit.c - limits against abuse (limit.h): it owns the per-connection
 * facts the limits need (connect time, the principal it is counted under,
 * the topics it publishes to), the per-topic producer and per-principal
 * connection counts, and the refusal counters behind
 * sluice_limit_rejections_total. It does not own sessions (session.c),
 * subscriptions (engine/subs) or topics (engine/log): it asks them.
 */
#include "limit.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "broker.h"
#include "connrate.h"
#include "log.h"
#include "strmap.h"
#include "u64map.h"

/* One connection as the limits see it. */
typedef struct {
	uint64_t connected_ms;  /* loop time of its pipe-add event */
	char *principal;        /* counted under it (owned); NULL: anonymous */
	uint32_t before_hello;  /* requests refused for want of a Hello */
	uint32_t *topics;       /* topic ids it published to (owned) */
	size_t ntopics, cap;
} conn;

/* Connections of one principal. */
typedef struct {
	char *name;             /* owned; the strmap key */
	uint32_t count;
} principal_count;

struct limits {
	u64map *conns;          /* pipe id -> conn */
	u64map *producing;      /* topic id << 32 | pipe id -> (void *) 1 */
	u64map *producers;      /* topic id -> producer count (never 0) */
	strmap *principals;     /* principal -> principal_count */
	uint64_t rejections[LIMIT_COUNT];
};

static const char *const names[LIMIT_COUNT] = {
	[LIMIT_CONNECTIONS] = "max_connections",
	[LIMIT_CONNECTIONS_PRINCIPAL] = "max_connections_per_principal",
	[LIMIT_OUTSTANDING] = "max_outstanding",
	[LIMIT_PRODUCERS] = "max_producers_per_topic",
	[LIMIT_CONSUMERS] = "max_consumers_per_topic",
	[LIMIT_SUBSCRIPTIONS] = "max_subscriptions_per_topic",
	[LIMIT_TOPICS] = "max_topics",
	[LIMIT_IDLE] = "idle_timeout",
	[LIMIT_HANDSHAKE] = "handshake_timeout",
	[LIMIT_BEFORE_HELLO] = "requests_before_hello",
	[LIMIT_CONNECTION_RATE] = "max_connection_rate_per_address",
};

/* Refusals are per connection: a flood of them shares one log budget. */
static int
may_log(broker *b)
{
	return connlog_admit(&b->connlog, broker_now_ms(b));
}

const char *
limit_name(limit_kind k)
{
	return k < LIMIT_COUNT ? names[k] : "unknown";
}

sluice_err
limit_init(broker *b)
{
	limits *l = sl_alloc(sizeof(*l));
	if (l == NULL)
		return SLUICE_ENOMEM;
	memset(l, 0, sizeof(*l));
	b->limits = l;
	if (u64map_alloc(&l->conns) != SLUICE_OK ||
	    u64map_alloc(&l->producing) != SLUICE_OK ||
	    u64map_alloc(&l->producers) != SLUICE_OK ||
	    strmap_alloc(&l->principals) != SLUICE_OK) {
		limit_fini(b);
		return SLUICE_ENOMEM;
	}
	return SLUICE_OK;
}

static void
free_conn(uint64_t key, void *val, void *arg)
{
	conn *c = val;
	(void) key;
	(void) arg;
	sl_free(c->principal);
	sl_free(c->topics);
	sl_free(c);
}

static void
free_principal(void *val, void *arg)
{
	principal_count *p = val;
	(void) arg;
	sl_free(p->name);
	sl_free(p);
}

void
limit_fini(broker *b)
{
	limits *l = b->limits;
	if (l == NULL)
		return;
	if (l->conns != NULL) {
		u64map_foreach(l->conns, free_conn, NULL);
		u64map_free(l->conns);
	}
	if (l->producing != NULL)
		u64map_free(l->producing);
	if (l->producers != NULL)
		u64map_free(l->producers);
	if (l->principals != NULL) {
		strmap_foreach(l->principals, free_principal, NULL);
		strmap_free(l->principals);
	}
	sl_free(l);
	b->limits = NULL;
}

uint64_t
limit_rejections(const broker *b, limit_kind k)
{
	/* Refused on nng's threads, before the loop hears of them. */
	if (k == LIMIT_CONNECTION_RATE)
		return connrate_refused(b->connrate);
	return b->limits != NULL && k < LIMIT_COUNT ? b->limits->rejections[k] : 0;
}

void
limit_count(broker *b, limit_kind k)
{
	if (b->limits != NULL && k < LIMIT_COUNT)
		b->limits->rejections[k]++;
}

/* The connection's record, created on first use (a request may be read
 * before its pipe's add event): NULL only when out of memory. */
static conn *
conn_get(broker *b, uint32_t pipe_id)
{
	if (b->limits == NULL)
		return NULL;
	conn *c = u64map_get(b->limits->conns, pipe_id);
	if (c != NULL)
		return c;
	if ((c = sl_alloc(sizeof(*c))) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->connected_ms = broker_now_ms(b);
	if (u64map_put(b->limits->conns, pipe_id, c) != SLUICE_OK) {
		sl_free(c);
		return NULL;
	}
	return c;
}

/* Closes s's pipe for a limit; its disconnect event logs `reason`. */
static void
close_session(broker *b, session *s, limit_kind k, const char *reason)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	p.id = s->pipe_id;
	s->closing = 1;
	s->close_reason = reason;
	limit_count(b, k);
	nng_pipe_close(p);
}

int
limit_conn_open(broker *b, session *s)
{
	uint32_t max = b->cfg.limits.max_connections;
	if (b->limits == NULL)
		return 0;
	(void) conn_get(b, s->pipe_id);
	if (max == 0 || sessions_count(&b->sessions) <= max)
		return 0;
	if (may_log(b))
		sl_warn("pipe %u: %zu connections, over max_connections %u; closing it",
		    s->pipe_id, sessions_count(&b->sessions), max);
	close_session(b, s, LIMIT_CONNECTIONS, "connection limit (max_connections)");
	return -1;
}

void
limit_conn_close(broker *b, uint32_t pipe_id)
{
	limits *l = b->limits;
	conn *c = l != NULL ? u64map_del(l->conns, pipe_id) : NULL;
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ntopics; i++) {
		uint64_t tid = c->topics[i];
		uintptr_t n = (uintptr_t) u64map_get(l->producers, tid);
		u64map_del(l->producing, tid << 32 | pipe_id);
		if (n <= 1)
			u64map_del(l->producers, tid);
		else
			u64map_put(l->producers, tid, (void *) (n - 1));
	}
	if (c->principal != NULL) {
		principal_count *p = strmap_get(l->principals, c->principal);
		if (p != NULL && --p->count == 0) {
			strmap_del(l->principals, p->name);
			free_principal(p, NULL);
		}
	}
	free_conn(pipe_id, c, NULL);
}

sluice_err
limit_principal_admit(broker *b, session *s, const char *principal,
    char *detail, size_t dlen)
{
	limits *l = b->limits;
	uint32_t max = b->cfg.limits.max_connections_per_principal;
	if (l == NULL)
		return SLUICE_OK;
	conn *c = conn_get(b, s->pipe_id);
	if (c == NULL)
		return SLUICE_ENOMEM;
	if (principal == NULL || *principal == '\0' ||
	    (c->principal != NULL && strcmp(c->principal, principal) == 0))
		return SLUICE_OK;
	if (c->principal != NULL)
		return SLUICE_OK; /* counted under its first principal */
	principal_count *p = strmap_get(l->principals, principal);
	if (max != 0 && p != NULL && p->count >= max) {
		snprintf(detail, dlen, "limit reached: principal '%.64s' already has "
		    "%u connections (max_connections_per_principal %u)", principal,
		    p->count, max);
		if (may_log(b))
			sl_warn("pipe %u: %s", s->pipe_id, detail);
		limit_count(b, LIMIT_CONNECTIONS_PRINCIPAL);
		return SLUICE_ELIMIT;
	}
	if ((c->principal = sl_strdup(principal)) == NULL)
		return SLUICE_ENOMEM;
	if (p == NULL) {
		if ((p = sl_alloc(sizeof(*p))) == NULL ||
		    (p->name = sl_strdup(principal)) == NULL ||
		    strmap_put(l->principals, p->name, p) != SLUICE_OK) {
			if (p != NULL)
				sl_free(p->name);
			sl_free(p);
			sl_free(c->principal);
			c->principal = NULL;
			return SLUICE_ENOMEM;
		}
		p->count = 0;
	}
	p->count++;
	return SLUICE_OK;
}

sluice_err
limit_producer_admit(broker *b, session *s, tlog_topic *t, char *detail,
    size_t dlen)
{
	limits *l = b->limits;
	if (l == NULL)
		return SLUICE_OK;
	uint64_t tid = tlog_topic_id(t);
	uint64_t key = tid << 32 | s->pipe_id;
	if (u64map_get(l->producing, key) != NULL)
		return SLUICE_OK; /* already one of its producers */
	uint32_t max = b->cfg.limits.max_producers_per_topic;
	uintptr_t n = (uintptr_t) u64map_get(l->producers, tid);
	if (max != 0 && n >= max) {
		snprintf(detail, dlen, "limit reached: topic '%s' already has %u "
		    "producers (max_producers_per_topic %u)", tlog_topic_name(t),
		    (unsigned) n, max);
		limit_count(b, LIMIT_PRODUCERS);
		return SLUICE_ELIMIT;
	}
	conn *c = conn_get(b, s->pipe_id);
	if (c == NULL)
		return SLUICE_ENOMEM;
	if (c->ntopics == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		uint32_t *nt = sl_realloc(c->topics, cap * sizeof(*nt));
		if (nt == NULL)
			return SLUICE_ENOMEM;
		c->topics = nt;
		c->cap = cap;
	}
	if (u64map_put(l->producing, key, (void *) 1) != SLUICE_OK)
		return SLUICE_ENOMEM;
	if (u64map_put(l->producers, tid, (void *) (n + 1)) != SLUICE_OK) {
		u64map_del(l->producing, key);
		return SLUICE_ENOMEM;
	}
	c->topics[c->ntopics++] = (uint32_t) tid;
	return SLUICE_OK;
}

typedef struct {
	broker *b;
	tlog_topic *t;
	size_t consumers;
} consumer_walk;

static void
add_consumers(void *arg, const char *name)
{
	consumer_walk *w = arg;
	subs_stats st;
	if (subs_get_stats(w->b->subs, w->t, name, broker_now_ms(w->b), &st) == SLUICE_OK)
		w->consumers += st.consumers;
}

sluice_err
limit_subscription_admit(broker *b, tlog_topic *t, const char *subscription,
    char *detail, size_t dlen)
{
	uint32_t max_subs = b->cfg.limits.max_subscriptions_per_topic;
	subs_stats st;
	if (b->subs == NULL || max_subs == 0 ||
	    subs_get_stats(b->subs, t, subscription, broker_now_ms(b), &st) != SLUICE_ENOSUB)
		return SLUICE_OK;
	size_t n = subs_topic_count(b->subs, t);
	if (n < max_subs)
		return SLUICE_OK;
	snprintf(detail, dlen, "limit reached: topic '%s' already has %zu "
	    "subscriptions (max_subscriptions_per_topic %u)", tlog_topic_name(t), n,
	    max_subs);
	limit_count(b, LIMIT_SUBSCRIPTIONS);
	return SLUICE_ELIMIT;
}

sluice_err
limit_subscribe_admit(broker *b, tlog_topic *t, const char *subscription,
    char *detail, size_t dlen)
{
	const char *topic = tlog_topic_name(t);
	uint32_t max_cons = b->cfg.limits.max_consumers_per_topic;
	sluice_err rv;
	if (b->subs == NULL)
		return SLUICE_OK;
	if ((rv = limit_subscription_admit(b, t, subscription, detail, dlen)) != SLUICE_OK)
		return rv;
	if (max_cons != 0) {
		consumer_walk w = { b, t, 0 };
		subs_list(b->subs, t, add_consumers, &w);
		if (w.consumers >= max_cons) {
			snprintf(detail, dlen, "limit reached: topic '%s' already has %zu "
			    "consumers (max_consumers_per_topic %u)", topic, w.consumers,
			    max_cons);
			limit_count(b, LIMIT_CONSUMERS);
			return SLUICE_ELIMIT;
		}
	}
	return SLUICE_OK;
}

sluice_err
limit_topic_admit(broker *b, const char *topic, char *detail, size_t dlen)
{
	uint32_t max = b->cfg.limits.max_topics;
	if (b->log == NULL)
		return SLUICE_OK;
	size_t n = tlog_topic_count(b->log);
	if (max == 0 || n < max)
		return SLUICE_OK;
	snprintf(detail, dlen, "limit reached: cannot create topic '%.64s': the "
	    "broker has %zu topics (max_topics %u)", topic, n, max);
	limit_count(b, LIMIT_TOPICS);
	return SLUICE_ELIMIT;
}

int
limit_before_hello(broker *b, session *s)
{
	conn *c = conn_get(b, s->pipe_id);
	if (c == NULL || ++c->before_hello <= LIMIT_MAX_BEFORE_HELLO)
		return 0;
	if (may_log(b))
		sl_warn("pipe %u: more than %u requests without Hello; closing it",
		    s->pipe_id, LIMIT_MAX_BEFORE_HELLO);
	close_session(b, s, LIMIT_BEFORE_HELLO, "requests without Hello");
	return -1;
}

typedef struct {
	broker *b;
	uint64_t now;
	uint32_t *hs, *idle;    /* pipes past the handshake deadline / idle */
	size_t nhs, nidle, cap;
} timeout_walk;

static void
find_timeouts(uint64_t key, void *val, void *arg)
{
	timeout_walk *w = arg;
	conn *c = val;
	session *s = sessions_find(&w->b->sessions, (uint32_t) key);
	uint32_t hs = w->b->cfg.limits.handshake_timeout_ms;
	uint32_t idle = w->b->cfg.limits.idle_timeout_ms;
	if (s == NULL || s->closing)
		return;
	if (!s->hello_done && hs != 0 && w->now - c->connected_ms >= hs) {
		if (w->nhs < w->cap)
			w->hs[w->nhs++] = (uint32_t) key;
		return;
	}
	uint64_t last = s->last_request_ms > c->connected_ms ? s->last_request_ms
	                                                     : c->connected_ms;
	/* A connection the broker owes a reply (a parked fetch, a held
	 * publish) is waiting for us, not idle. */
	if (idle != 0 && s->outstanding == 0 && w->now - last >= idle &&
	    w->nidle < w->cap)
		w->idle[w->nidle++] = (uint32_t) key;
}

void
limit_check_timeouts(broker *b)
{
	limits *l = b->limits;
	if (l == NULL || (b->cfg.limits.handshake_timeout_ms == 0 &&
	                     b->cfg.limits.idle_timeout_ms == 0))
		return;
	size_t n = u64map_count(l->conns);
	timeout_walk w = { b, broker_now_ms(b), NULL, NULL, 0, 0, n };
	if (n == 0)
		return;
	w.hs = sl_alloc(n * sizeof(uint32_t));
	w.idle = sl_alloc(n * sizeof(uint32_t));
	if (w.hs == NULL || w.idle == NULL)
		w.cap = 0;
	u64map_foreach(l->conns, find_timeouts, &w);
	/* Closing only queues pipe events: the map is not changed here. */
	for (size_t i = 0; i < w.nhs; i++) {
		session *s = sessions_find(&b->sessions, w.hs[i]);
		if (may_log(b))
			sl_warn("pipe %u: no successful Hello within %u ms "
			        "(handshake_timeout_ms); closing it", w.hs[i],
			    b->cfg.limits.handshake_timeout_ms);
		close_session(b, s, LIMIT_HANDSHAKE, "handshake timeout");
	}
	for (size_t i = 0; i < w.nidle; i++) {
		session *s = sessions_find(&b->sessions, w.idle[i]);
		if (may_log(b))
			sl_info("pipe %u: no request for %u ms (idle_timeout_ms); closing it",
			    w.idle[i], b->cfg.limits.idle_timeout_ms);
		close_session(b, s, LIMIT_IDLE, "idle timeout");
	}
	sl_free(w.hs);
	sl_free(w.idle);
}
