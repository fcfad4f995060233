/*
 * why.c - one sentence on why a subscription is not making progress, with
 * the evidence behind it: the most reported pain with other brokers is a
 * subscription that silently stops delivering. The checks follow the path
 * a message takes: is there anything to deliver, anyone to deliver it to,
 * room in a window, a fetch to answer.
 */
#include <stdio.h>
#include <string.h>

#include "sub_impl.h"

static const char *const why_names[SUBS_WHY_COUNT] = {
	[SUBS_WHY_PROGRESSING] = "progressing",
	[SUBS_WHY_CAUGHT_UP] = "caught_up",
	[SUBS_WHY_NO_CONSUMERS] = "no_consumers",
	[SUBS_WHY_WINDOW_FULL] = "window_full",
	[SUBS_WHY_NOT_DRAINING] = "not_draining",
	[SUBS_WHY_BLOCKED_BY_POLICY] = "blocked_by_policy",
	[SUBS_WHY_RATE_LIMITED] = "rate_limited",
	[SUBS_WHY_BREAKER_OPEN] = "breaker_open",
};

const char *
subs_why_name(subs_why_code code)
{
	return code < SUBS_WHY_COUNT ? why_names[code] : "unknown";
}

/* Can c take another message now? Failover standbys never do. */
static int
has_room(const subscription *sub, const consumer *c)
{
	if (!sub->ops->is_active((subscription *) sub, (consumer *) c))
		return 0;
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		return c->unacked < sub->window;
	return 1;
}

typedef struct {
	uint64_t off;
	delivery *d;
} set_aside_walk;

/* The lowest offset set aside by on_exhausted block (key_shared). */
static void
find_set_aside(uint64_t off, void *v, void *arg)
{
	set_aside_walk *w = arg;
	delivery *d = v;
	if (d->owner == NULL && d->retry_at_ms == UINT64_MAX && (w->d == NULL || off < w->off)) {
		w->off = off;
		w->d = d;
	}
}

static void
explain_reliable(subs *s, subscription *sub, uint64_t now_ms, subs_why *w)
{
	tlog_topic *t = sub->topic;
	uint64_t head = tlog_topic_head(t);
	uint64_t lag = head > sub->cur.floor ? head - sub->cur.floor : 0;
	uint64_t acked_above = cursor_acked_count(&sub->cur);
	uint64_t unacked = 0;
	w->backlog = lag > acked_above ? lag - acked_above : 0;
	for (consumer *c = sub->consumers; c != NULL; c = c->next)
		unacked += c->unacked;

	if (sub->blocked) {
		delivery *b = u64map_get(sub->deliveries, sub->blocked_offset);
		w->code = SUBS_WHY_BLOCKED_BY_POLICY;
		w->offset = sub->blocked_offset;
		snprintf(w->sentence, sizeof(w->sentence), "blocked by its failure "
		    "policy (on_exhausted block): offset %llu failed %u deliveries "
		    "(last: %s); nothing after it is delivered until it is skipped, "
		    "the subscription reset, or the policy changed; %llu message%s wait",
		    (unsigned long long) sub->blocked_offset, b ? b->attempt : 0,
		    b && b->reason ? b->reason : "?", (unsigned long long) w->backlog,
		    w->backlog == 1 ? "" : "s");
		return;
	}
	if (w->backlog == 0) {
		w->code = SUBS_WHY_CAUGHT_UP;
		snprintf(w->sentence, sizeof(w->sentence), "caught up: nothing to "
		    "deliver, every message before offset %llu is acked",
		    (unsigned long long) head);
		return;
	}
	if (sub->nconsumers == 0) {
		w->code = SUBS_WHY_NO_CONSUMERS;
		snprintf(w->sentence, sizeof(w->sentence), "no consumers: %llu "
		    "message%s wait from offset %llu and nobody is attached",
		    (unsigned long long) w->backlog, w->backlog == 1 ? "" : "s",
		    (unsigned long long) cursor_next_unacked(&sub->cur, sub->cur.floor));
		return;
	}
	int undelivered = sub->read_pos < head || sub->redeliver.n > 0;
	consumer *roomy = NULL, *open = NULL;
	for (consumer *c = sub->consumers; c != NULL && roomy == NULL; c = c->next) {
		if (!has_room(sub, c))
			continue;
		if (breaker_is_open(c, now_ms)) {
			if (open == NULL)
				open = c;
			continue;
		}
		roomy = c;
	}
	uint64_t wait = ratelimit_wait_ms(sub, now_ms);
	if (undelivered && wait > 0) {
		w->code = SUBS_WHY_RATE_LIMITED;
		w->age_ms = wait;
		snprintf(w->sentence, sizeof(w->sentence), "rate limited: the "
		    "subscription's dispatch limit (%llu msgs/s, %llu bytes/s) holds "
		    "messages back for %llu ms more; %llu message%s wait",
		    (unsigned long long) sub->limit.msgs_per_sec,
		    (unsigned long long) sub->limit.bytes_per_sec,
		    (unsigned long long) wait, (unsigned long long) w->backlog,
		    w->backlog == 1 ? "" : "s");
		return;
	}
	if (undelivered && roomy == NULL && open != NULL) {
		w->code = SUBS_WHY_BREAKER_OPEN;
		w->consumer_id = open->id;
		w->consumer_name = open->name;
		snprintf(w->sentence, sizeof(w->sentence), "circuit breaker open: "
		    "consumer '%s' (id %llu) failed its last %u deliveries and gets "
		    "nothing new until its cool-down ends; no other consumer has room; "
		    "%llu message%s wait", open->name, (unsigned long long) open->id,
		    sub->breaker.failures, (unsigned long long) w->backlog,
		    w->backlog == 1 ? "" : "s");
		return;
	}
	uint64_t off;
	delivery *d = subs_oldest_unacked(sub, &off);

	if (undelivered && roomy == NULL && d != NULL) {
		w->code = SUBS_WHY_WINDOW_FULL;
		w->consumer_id = d->owner->id;
		w->consumer_name = d->owner->name;
		w->offset = off;
		w->age_ms = now_ms > d->delivered_ms ? now_ms - d->delivered_ms : 0;
		snprintf(w->sentence, sizeof(w->sentence), "every consumer's window is "
		    "full (%u unacked each): consumer '%s' (id %llu) has held offset "
		    "%llu unacked for %llu ms; %llu message%s wait",
		    sub->window, d->owner->name, (unsigned long long) d->owner->id,
		    (unsigned long long) off, (unsigned long long) w->age_ms,
		    (unsigned long long) w->backlog, w->backlog == 1 ? "" : "s");
		return;
	}
	if (undelivered && roomy != NULL && roomy->nfetch == 0) {
		w->code = SUBS_WHY_NOT_DRAINING;
		w->consumer_id = roomy->id;
		w->consumer_name = roomy->name;
		w->age_ms = roomy->last_fetch_ms && now_ms > roomy->last_fetch_ms
		    ? now_ms - roomy->last_fetch_ms : 0;
		snprintf(w->sentence, sizeof(w->sentence), "consumer '%s' (id %llu) has "
		    "room for %u more but has not asked for messages for %llu ms: its "
		    "connection is not draining; %llu message%s wait",
		    roomy->name, (unsigned long long) roomy->id,
		    sub->window - roomy->unacked, (unsigned long long) w->age_ms,
		    (unsigned long long) w->backlog, w->backlog == 1 ? "" : "s");
		return;
	}
	if (sub->type == SLUICE__SUB_TYPE__SUB_KEY_SHARED &&
	    sub->policy.on_exhausted == SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK) {
		set_aside_walk sa = { 0, NULL };
		u64map_foreach(sub->deliveries, find_set_aside, &sa);
		if (sa.d != NULL) {
			w->code = SUBS_WHY_BLOCKED_BY_POLICY;
			w->offset = sa.off;
			snprintf(w->sentence, sizeof(w->sentence), "a key is blocked by the "
			    "failure policy (on_exhausted block): offset %llu failed %u "
			    "deliveries (last: %s); later messages of its key wait, other "
			    "keys are delivered; %llu message%s not yet acked",
			    (unsigned long long) sa.off, sa.d->attempt,
			    sa.d->reason ? sa.d->reason : "?", (unsigned long long) w->backlog,
			    w->backlog == 1 ? "" : "s");
			return;
		}
	}
	w->code = SUBS_WHY_PROGRESSING;
	if (d != NULL) {
		w->consumer_id = d->owner->id;
		w->consumer_name = d->owner->name;
		w->offset = off;
		w->age_ms = now_ms > d->delivered_ms ? now_ms - d->delivered_ms : 0;
		snprintf(w->sentence, sizeof(w->sentence), "progressing: %llu unacked "
		    "in flight, %llu message%s not yet acked; the oldest, offset %llu, "
		    "is with consumer '%s' for %llu ms", (unsigned long long) unacked,
		    (unsigned long long) w->backlog, w->backlog == 1 ? "" : "s",
		    (unsigned long long) off, d->owner->name,
		    (unsigned long long) w->age_ms);
	} else {
		snprintf(w->sentence, sizeof(w->sentence), "progressing: %llu "
		    "message%s to deliver", (unsigned long long) w->backlog,
		    w->backlog == 1 ? "" : "s");
	}
	(void) s;
}

static void
explain_nonreliable(subscription *sub, uint64_t now_ms, subs_why *w)
{
	uint64_t queued = 0;
	consumer *stuck = NULL;
	for (consumer *c = sub->consumers; c != NULL; c = c->next) {
		queued += c->rlen;
		if (c->rlen > 0 && c->nfetch == 0 && stuck == NULL)
			stuck = c;
	}
	w->backlog = queued;
	if (sub->nconsumers == 0) {
		w->code = SUBS_WHY_NO_CONSUMERS;
		snprintf(w->sentence, sizeof(w->sentence), "no consumers: messages "
		    "published now are not kept for this non-reliable subscription");
	} else if (queued == 0) {
		w->code = SUBS_WHY_CAUGHT_UP;
		snprintf(w->sentence, sizeof(w->sentence), "caught up: every consumer's "
		    "queue is empty (%llu dropped so far)", (unsigned long long) sub->dropped);
	} else if (stuck != NULL) {
		w->code = SUBS_WHY_NOT_DRAINING;
		w->consumer_id = stuck->id;
		w->consumer_name = stuck->name;
		w->age_ms = stuck->last_fetch_ms && now_ms > stuck->last_fetch_ms
		    ? now_ms - stuck->last_fetch_ms : 0;
		snprintf(w->sentence, sizeof(w->sentence), "consumer '%s' (id %llu) has "
		    "%zu queued but has not asked for messages for %llu ms: its "
		    "connection is not draining (%llu dropped so far)", stuck->name,
		    (unsigned long long) stuck->id, stuck->rlen,
		    (unsigned long long) w->age_ms, (unsigned long long) sub->dropped);
	} else {
		w->code = SUBS_WHY_PROGRESSING;
		snprintf(w->sentence, sizeof(w->sentence), "progressing: %llu queued "
		    "(%llu dropped so far)", (unsigned long long) queued,
		    (unsigned long long) sub->dropped);
	}
}

sluice_err
subs_explain(subs *s, tlog_topic *t, const char *name, uint64_t now_ms,
    subs_why *out)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL)
		return SLUICE_ENOSUB;
	memset(out, 0, sizeof(*out));
	out->consumers = sub->nconsumers;
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		explain_reliable(s, sub, now_ms, out);
	else
		explain_nonreliable(sub, now_ms, out);
	return SLUICE_OK;
}
