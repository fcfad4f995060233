/*
 * admin_subs.c - sluice-admin's subscription and consumer operations:
 * list, stats, create, delete, reset, skip, why, and consumers list.
 * Cursor changes are flushed in the next loop turn's group commit.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "limit.h"
#include "log.h"

static Sluice__SubInfo *
sub_info(admin_call *c, tlog_topic *t, const char *name)
{
	broker *b = c->b;
	subs_stats st;
	subs_why why;
	uint64_t now = broker_now_ms(b);
	if (subs_get_stats(b->subs, t, name, now, &st) != SLUICE_OK ||
	    subs_explain(b->subs, t, name, now, &why) != SLUICE_OK)
		return NULL;
	Sluice__SubInfo *si = admin_alloc(c->arena, sizeof(*si));
	if (si == NULL)
		return NULL;
	sluice__sub_info__init(si);
	si->topic = (char *) tlog_topic_name(t);
	si->name = admin_strdup(c->arena, name);
	si->type = st.type;
	si->mode = st.mode;
	si->window = st.window;
	si->consumers = (uint32_t) st.consumers;
	si->backlog = st.backlog;
	uint64_t kept = tlog_topic_head(t) - tlog_topic_first(t);
	si->backlog_bytes = kept ? (uint64_t) ((double) st.backlog *
	    ((double) tlog_topic_bytes(t) / (double) kept)) : 0;
	si->unacked = st.mode == SLUICE__SUB_MODE__MODE_RELIABLE ? st.unacked : st.queued;
	si->oldest_unacked_age_ms = st.oldest_unacked_ms;
	si->oldest_unacked_offset = st.oldest_unacked_offset;
	si->floor = st.floor;
	si->ack_holes = (uint32_t) st.ack_holes;
	si->head = st.head;
	si->dispatch_rate = st.dispatch_rate;
	si->ack_rate = st.ack_rate;
	si->delivered = st.delivered;
	si->acked = st.acked;
	si->redelivered = st.redelivered;
	si->dropped = st.dropped;
	si->nacked = st.nacked;
	si->dispatcher = (char *) st.dispatcher;
	si->stuck_reason = why.code == SUBS_WHY_PROGRESSING || why.code == SUBS_WHY_CAUGHT_UP
	    ? "" : (char *) subs_why_name(why.code);
	si->ack_timeouts = st.ack_timeouts;
	si->exhausted = st.exhausted;
	si->dead_lettered = st.dead_lettered;
	si->parked = st.parked;
	si->rate_limited = st.rate_limited;
	si->blocked = st.blocked;
	si->blocked_offset = st.blocked_offset;
	si->dropped_exhausted = st.dropped_exhausted;
	subs_policy_wire *w = admin_alloc(c->arena, sizeof(*w));
	if (w != NULL && subs_get_policies(b->subs, t, name, w) == SLUICE_OK) {
		if (w->policy.dead_letter_topic != NULL)
			w->policy.dead_letter_topic = admin_strdup(c->arena, w->policy.dead_letter_topic);
		si->policy = &w->policy;
		si->dispatch_limit = &w->limit;
		si->breaker = &w->breaker;
	}
	return si;
}

static sluice_err
one_sub(admin_call *c, tlog_topic *t, const char *name)
{
	Sluice__SubInfo **v = admin_alloc(c->arena, sizeof(*v));
	if (v == NULL || (v[0] = sub_info(c, t, name)) == NULL)
		return SLUICE_ENOMEM;
	c->res->subs = v;
	c->res->n_subs = 1;
	return SLUICE_OK;
}

typedef struct {
	admin_call *c;
	tlog_topic *t;
	size_t cap;
} list_walk;

static void
add_sub(void *arg, const char *name)
{
	list_walk *w = arg;
	Sluice__AdminResult *res = w->c->res;
	if (res->n_subs < w->cap && (res->subs[res->n_subs] = sub_info(w->c, w->t, name)) != NULL)
		res->n_subs++;
}

sluice_err
admin_subs_list(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = admin_find_topic(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	size_t n = subs_topic_count(c->b->subs, t);
	list_walk w = { c, t, n };
	if ((c->res->subs = admin_alloc(c->arena, (n ? n : 1) * sizeof(void *))) == NULL)
		return SLUICE_ENOMEM;
	subs_list(c->b->subs, t, add_sub, &w);
	return SLUICE_OK;
}

/* The topic, and the subscription checked to exist. */
static sluice_err
find_sub(admin_call *c, tlog_topic **t)
{
	sluice_err rv = admin_find_topic(c, t);
	if (rv != SLUICE_OK)
		return rv;
	subs_stats st;
	rv = subs_get_stats(c->b->subs, *t, c->req->subscription, 0, &st);
	if (rv == SLUICE_ENOSUB)
		snprintf(c->detail, c->dlen, "no subscription '%s' on topic '%s'",
		    c->req->subscription, c->req->topic);
	return rv;
}

sluice_err
admin_sub_stats(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = find_sub(c, &t);
	return rv != SLUICE_OK ? rv : one_sub(c, t, c->req->subscription);
}

/* Where a position points in t. */
static sluice_err
resolve(admin_call *c, tlog_topic *t, const Sluice__Position *p, uint64_t *off)
{
	if (p == NULL || p->kind == SLUICE__POSITION__KIND__LATEST) {
		*off = tlog_topic_head(t);
		return SLUICE_OK;
	}
	switch (p->kind) {
	case SLUICE__POSITION__KIND__EARLIEST:
		*off = tlog_topic_first(t);
		return SLUICE_OK;
	case SLUICE__POSITION__KIND__OFFSET:
		if (p->offset > tlog_topic_head(t)) {
			snprintf(c->detail, c->dlen, "offset %llu is past the head of '%s' "
			    "(%llu)", (unsigned long long) p->offset, tlog_topic_name(t),
			    (unsigned long long) tlog_topic_head(t));
			return SLUICE_EINVAL;
		}
		*off = p->offset < tlog_topic_first(t) ? tlog_topic_first(t) : p->offset;
		return SLUICE_OK;
	case SLUICE__POSITION__KIND__TIME: {
		sluice_err rv = tlog_offset_at_time(c->b->log, t, p->time_us, off);
		if (rv != SLUICE_OK)
			snprintf(c->detail, c->dlen, "cannot search '%s' by time: %s",
			    tlog_topic_name(t), sluice_strerror(rv));
		return rv;
	}
	default:
		snprintf(c->detail, c->dlen, "unknown position kind %d", (int) p->kind);
		return SLUICE_EINVAL;
	}
}

sluice_err
admin_sub_create(admin_call *c)
{
	tlog_topic *t;
	uint64_t off;
	sluice_err rv = admin_find_topic(c, &t);
	if (rv != SLUICE_OK || (rv = resolve(c, t, c->req->position, &off)) != SLUICE_OK)
		return rv;
	rv = limit_subscription_admit(c->b, t, c->req->subscription, c->detail, c->dlen);
	if (rv != SLUICE_OK)
		return rv;
	subs_policy_update u = { c->req->policy, c->req->dispatch_limit, c->req->breaker };
	rv = subs_create(c->b->subs, t, c->req->subscription, c->req->type,
	    c->req->mode, off, c->req->window ? c->req->window : c->b->cfg.sub_window,
	    &u, c->detail, c->dlen);
	if (rv != SLUICE_OK)
		return rv;
	c->b->cursors_due = 1;
	return one_sub(c, t, c->req->subscription);
}

sluice_err
admin_sub_delete(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = admin_find_topic(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	rv = subs_delete(c->b->subs, t, c->req->subscription, c->detail, c->dlen);
	if (rv == SLUICE_OK)
		c->res->affected = 1;
	return rv;
}

sluice_err
admin_sub_reset(admin_call *c)
{
	tlog_topic *t;
	uint64_t off;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK || (rv = resolve(c, t, c->req->position, &off)) != SLUICE_OK)
		return rv;
	rv = subs_reset(c->b->subs, t, c->req->subscription, off, c->detail, c->dlen);
	if (rv != SLUICE_OK)
		return rv;
	c->b->cursors_due = 1;
	return one_sub(c, t, c->req->subscription);
}

sluice_err
admin_sub_skip(admin_call *c)
{
	tlog_topic *t;
	uint64_t skipped;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	rv = subs_skip(c->b->subs, t, c->req->subscription, c->req->count, &skipped,
	    c->detail, c->dlen);
	if (rv != SLUICE_OK)
		return rv;
	c->b->cursors_due = 1;
	c->res->affected = skipped;
	return one_sub(c, t, c->req->subscription);
}

sluice_err
admin_sub_why(admin_call *c)
{
	tlog_topic *t;
	subs_why w;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	if ((rv = subs_explain(c->b->subs, t, c->req->subscription,
	         broker_now_ms(c->b), &w)) != SLUICE_OK)
		return rv;
	Sluice__Why *y = admin_alloc(c->arena, sizeof(*y));
	if (y == NULL)
		return SLUICE_ENOMEM;
	sluice__why__init(y);
	y->code = (char *) subs_why_name(w.code);
	y->sentence = admin_strdup(c->arena, w.sentence);
	y->consumer_id = w.consumer_id;
	y->consumer_name = admin_strdup(c->arena, w.consumer_name ? w.consumer_name : "");
	y->offset = w.offset;
	y->age_ms = w.age_ms;
	y->backlog = w.backlog;
	y->consumers = (uint32_t) w.consumers;
	c->res->why = y;
	return SLUICE_OK;
}

/* "ip:port" (or the ipc path) of a connection, for operators. */
static const char *
peer_of(admin_arena *a, uint32_t pipe_id)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	nng_sockaddr sa;
	char buf[160] = "?";
	p.id = pipe_id;
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0) {
		char ip[INET6_ADDRSTRLEN] = "";
		switch (sa.s_family) {
		case NNG_AF_INET:
			inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip));
			snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(sa.s_in.sa_port));
			break;
		case NNG_AF_INET6:
			inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip));
			snprintf(buf, sizeof(buf), "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
			break;
		case NNG_AF_IPC:
			snprintf(buf, sizeof(buf), "ipc://%s", sa.s_ipc.sa_path);
			break;
		default:
			break;
		}
	}
	return admin_strdup(a, buf);
}

typedef struct {
	admin_call *c;
	size_t cap;
	uint64_t now;
} consumer_walk;

static void
add_consumer(void *arg, const subs_consumer_info *ci)
{
	consumer_walk *w = arg;
	Sluice__AdminResult *res = w->c->res;
	if (res->n_consumers >= w->cap)
		return;
	Sluice__ConsumerInfo *x = admin_alloc(w->c->arena, sizeof(*x));
	if (x == NULL)
		return;
	sluice__consumer_info__init(x);
	const session *s = ci->owner;
	x->id = ci->id;
	x->name = admin_strdup(w->c->arena, ci->name ? ci->name : "");
	x->peer = (char *) peer_of(w->c->arena, s->pipe_id);
	x->active = ci->active;
	x->window_used = ci->unacked;
	x->window_size = ci->window;
	x->unacked = ci->unacked;
	x->ack_rate = ci->ack_rate;
	uint64_t last = ci->last_fetch_ms > s->last_request_ms ? ci->last_fetch_ms
	                                                       : s->last_request_ms;
	x->idle_ms = w->now > last ? w->now - last : 0;
	x->parked_fetches = ci->parked_fetches;
	x->breaker = (char *) (ci->breaker != NULL ? ci->breaker : "closed");
	x->breaker_open_ms = ci->breaker_open_ms;
	x->recent_failures = ci->recent_failures;
	x->nacked = ci->nacked;
	x->ack_timeouts = ci->ack_timeouts;
	res->consumers[res->n_consumers++] = x;
}

sluice_err
admin_consumers_list(admin_call *c)
{
	tlog_topic *t;
	subs_stats st;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	subs_get_stats(c->b->subs, t, c->req->subscription, 0, &st);
	consumer_walk w = { c, st.consumers, broker_now_ms(c->b) };
	if ((c->res->consumers = admin_alloc(c->arena,
	         (st.consumers ? st.consumers : 1) * sizeof(void *))) == NULL)
		return SLUICE_ENOMEM;
	return subs_consumers(c->b->subs, t, c->req->subscription, add_consumer, &w);
}

sluice_err
admin_sub_configure(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	subs_policy_update u = { c->req->policy, c->req->dispatch_limit, c->req->breaker };
	rv = subs_configure(c->b->subs, t, c->req->subscription, &u, c->detail, c->dlen);
	if (rv != SLUICE_OK)
		return rv;
	return one_sub(c, t, c->req->subscription);
}

typedef struct {
	admin_call *c;
	size_t cap;
} parked_walk;

static int
add_parked(void *arg, const Sluice__ParkedInfo *p)
{
	parked_walk *w = arg;
	Sluice__AdminResult *res = w->c->res;
	if (res->n_parked >= w->cap)
		return 1;
	/* p is freed after this call: keep a decoded copy (through its
	 * encoding, the simplest deep copy) that the arena frees. */
	size_t n = codec_parked_size(p);
	uint8_t *buf = admin_alloc(w->c->arena, n ? n : 1);
	Sluice__ParkedInfo *copy;
	if (buf == NULL)
		return 1;
	codec_parked_pack(p, buf);
	if (codec_parked_unpack(buf, n, &copy) != SLUICE_OK)
		return 1;
	if (admin_keep_parked(w->c->arena, copy) != 0) {
		codec_parked_free(copy);
		return 1;
	}
	res->parked[res->n_parked++] = copy;
	return 0;
}

sluice_err
admin_parked_list(admin_call *c)
{
	tlog_topic *t;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	uint64_t max = c->req->count ? c->req->count : 100;
	if (max > 1000)
		max = 1000;
	if ((c->res->parked = admin_alloc(c->arena, max * sizeof(void *))) == NULL)
		return SLUICE_ENOMEM;
	parked_walk w = { c, max };
	rv = subs_parked_list(c->b->subs, t, c->req->subscription,
	    c->req->has_from ? c->req->from_offset : 0, max, add_parked, &w);
	if (rv != SLUICE_OK)
		snprintf(c->detail, c->dlen, "cannot list parked messages: %s",
		    sluice_strerror(rv));
	return rv;
}

sluice_err
admin_parked_replay(admin_call *c)
{
	tlog_topic *t;
	uint64_t done, missing;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	rv = subs_parked_replay(c->b->subs, t, c->req->subscription, c->req->offsets,
	    c->req->n_offsets, &done, &missing, c->detail, c->dlen);
	c->res->affected = done;
	if (rv == SLUICE_OK)
		c->b->cursors_due = 1;
	return rv != SLUICE_OK ? rv : one_sub(c, t, c->req->subscription);
}

sluice_err
admin_parked_drop(admin_call *c)
{
	tlog_topic *t;
	uint64_t done;
	sluice_err rv = find_sub(c, &t);
	if (rv != SLUICE_OK)
		return rv;
	rv = subs_parked_drop(c->b->subs, t, c->req->subscription, c->req->offsets,
	    c->req->n_offsets, &done, c->detail, c->dlen);
	c->res->affected = done;
	return rv != SLUICE_OK ? rv : one_sub(c, t, c->req->subscription);
}
