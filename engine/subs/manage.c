/*
 * manage.c - what an operator does to subscriptions from sluice-admin:
 * create one ahead of its consumers, delete it, move its cursor (reset)
 * or ack part of its backlog unseen (skip). Every change to a cursor is
 * marked dirty and reaches RocksDB with the next cursor flush, exactly
 * like consumer acks.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "sub_impl.h"

static uint64_t
clamp_offset(tlog_topic *t, uint64_t off)
{
	uint64_t first = tlog_topic_first(t), head = tlog_topic_head(t);
	return off < first ? first : off > head ? head : off;
}

sluice_err
subs_create(subs *s, tlog_topic *t, const char *name, Sluice__SubType type,
    Sluice__SubMode mode, uint64_t offset, uint32_t window,
    const subs_policy_update *u, char *detail, size_t dlen)
{
	if (window == 0)
		window = SUB_DEFAULT_WINDOW;
	if (window > SUB_MAX_WINDOW) {
		snprintf(detail, dlen, "window must be 1..%d", SUB_MAX_WINDOW);
		return SLUICE_EINVAL;
	}
	if (!sluice_topic_name_is_valid(name)) {
		snprintf(detail, dlen, "invalid subscription name: use 1-255 characters "
		                       "of [A-Za-z0-9._/-]");
		return SLUICE_EINVAL;
	}
	if (type > SLUICE__SUB_TYPE__SUB_KEY_SHARED) {
		snprintf(detail, dlen, "unknown subscription type %d", (int) type);
		return SLUICE_EINVAL;
	}
	if (mode != SLUICE__SUB_MODE__MODE_RELIABLE) {
		snprintf(detail, dlen, "a non-reliable subscription has no cursor and "
		    "lives only while consumers are attached: subscribe to create it");
		return SLUICE_EINVAL;
	}
	if (subs_find(s, t, name) != NULL) {
		snprintf(detail, dlen, "subscription '%s' already exists on '%s'", name,
		    tlog_topic_name(t));
		return SLUICE_EEXISTS;
	}
	topic_subs *ts = subs_topic_entry(s, t, 1);
	subscription *sub = ts ? subs_sub_alloc(t, name, type, mode, window) : NULL;
	if (sub == NULL)
		return SLUICE_ENOMEM;
	static const subs_policy_update none = { NULL, NULL, NULL };
	sluice_err prv = subs_init_policies(s, sub, u != NULL ? u : &none, detail, dlen);
	if (prv != SLUICE_OK) {
		subs_sub_free(sub);
		return prv;
	}
	sub->cur.floor = sub->read_pos = clamp_offset(t, offset);
	sub->dirty = 1;
	sluice_err rv = subs_write_definition(s, sub);
	if (rv != SLUICE_OK) {
		snprintf(detail, dlen, "cannot store the subscription: %s", sluice_strerror(rv));
		subs_sub_free(sub);
		return rv;
	}
	subs_link(s, ts, sub);
	sl_event(SL_LOG_INFO, "subscription_create",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(t)), SL_STR("subscription", name),
	        SL_STR("dispatcher", sub->ops->name), SL_U64("offset", sub->cur.floor),
	        SL_STR("by", "operator")),
	    "subscription %s on %s created by an operator (%s, from offset %llu)",
	    name, tlog_topic_name(t), sub->ops->name, (unsigned long long) sub->cur.floor);
	return SLUICE_OK;
}

static subscription *
find_or_explain(subs *s, tlog_topic *t, const char *name, char *detail, size_t dlen)
{
	subscription *sub = subs_find(s, t, name);
	if (sub == NULL)
		snprintf(detail, dlen, "no subscription '%s' on topic '%s'", name,
		    tlog_topic_name(t));
	return sub;
}

sluice_err
subs_delete(subs *s, tlog_topic *t, const char *name, char *detail, size_t dlen)
{
	subscription *sub = find_or_explain(s, t, name, detail, dlen);
	if (sub == NULL)
		return SLUICE_ENOSUB;
	if (sub->nconsumers > 0) {
		snprintf(detail, dlen, "subscription '%s' has %zu consumer%s attached; "
		    "they must unsubscribe first", name, sub->nconsumers,
		    sub->nconsumers == 1 ? "" : "s");
		return SLUICE_EINUSE;
	}
	sluice_err rv = subs_destroy_durably(s, sub);
	if (rv != SLUICE_OK)
		snprintf(detail, dlen, "cannot delete it from storage: %s", sluice_strerror(rv));
	return rv;
}

static sluice_err
reliable_only(subscription *sub, const char *what, char *detail, size_t dlen)
{
	if (sub->mode == SLUICE__SUB_MODE__MODE_RELIABLE)
		return SLUICE_OK;
	snprintf(detail, dlen, "cannot %s '%s': a non-reliable subscription has "
	    "no cursor", what, sub->name);
	return SLUICE_ENOTSUPP;
}

static void
release_owner(uint64_t off, void *v, void *arg)
{
	(void) off;
	(void) arg;
	delivery *d = v;
	if (d->owner != NULL)
		d->owner->unacked--;
}

sluice_err
subs_reset(subs *s, tlog_topic *t, const char *name, uint64_t offset,
    char *detail, size_t dlen)
{
	subscription *sub = find_or_explain(s, t, name, detail, dlen);
	if (sub == NULL)
		return SLUICE_ENOSUB;
	sluice_err rv = reliable_only(sub, "reset", detail, dlen);
	if (rv != SLUICE_OK)
		return rv;
	u64map *fresh;
	if ((rv = u64map_alloc(&fresh)) != SLUICE_OK)
		return rv;
	/* In-flight deliveries are forgotten: their acks will be ignored and
	 * the consumers' windows open again at once. */
	u64map_foreach(sub->deliveries, release_owner, NULL);
	delivery_forget_all(sub);
	u64map_free(sub->deliveries);
	sub->deliveries = fresh;
	sub->redeliver.n = 0;
	sub->blocked = 0;
	keyed_reset(sub);
	uint64_t from = sub->cur.floor;
	cursor_reset(&sub->cur, clamp_offset(t, offset));
	sub->read_pos = sub->cur.floor;
	sub->dirty = 1;
	sl_event(SL_LOG_INFO, "cursor_reset",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(t)), SL_STR("subscription", name),
	        SL_U64("from", from), SL_U64("to", sub->cur.floor)),
	    "subscription %s on %s reset from offset %llu to %llu", name,
	    tlog_topic_name(t), (unsigned long long) from,
	    (unsigned long long) sub->cur.floor);
	deliver_pump(s, sub);
	return SLUICE_OK;
}

sluice_err
subs_skip(subs *s, tlog_topic *t, const char *name, uint64_t n,
    uint64_t *skipped, char *detail, size_t dlen)
{
	subscription *sub = find_or_explain(s, t, name, detail, dlen);
	*skipped = 0;
	if (sub == NULL)
		return SLUICE_ENOSUB;
	sluice_err rv = reliable_only(sub, "skip messages of", detail, dlen);
	if (rv != SLUICE_OK)
		return rv;
	uint64_t head = tlog_topic_head(t);
	uint64_t off = cursor_next_unacked(&sub->cur, sub->cur.floor);
	while (*skipped < n && off < head) {
		delivery *d = u64map_get(sub->deliveries, off);
		int fresh;
		if ((rv = cursor_ack(&sub->cur, off, &fresh)) != SLUICE_OK)
			break;
		if (d != NULL) {
			if (d->owner != NULL)
				d->owner->unacked--;
			delivery_forget(sub, off);
		}
		if (sub->blocked && sub->blocked_offset == off)
			sub->blocked = 0;
		(*skipped)++;
		off = cursor_next_unacked(&sub->cur, off + 1);
	}
	if (sub->read_pos < sub->cur.floor)
		sub->read_pos = sub->cur.floor;
	keyed_reset(sub);
	sub->dirty = 1;
	sl_event(SL_LOG_INFO, "cursor_skip",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(t)), SL_STR("subscription", name),
	        SL_U64("skipped", *skipped), SL_U64("floor", sub->cur.floor)),
	    "subscription %s on %s: %llu messages skipped by an operator; floor "
	    "now %llu", name, tlog_topic_name(t), (unsigned long long) *skipped,
	    (unsigned long long) sub->cur.floor);
	deliver_pump(s, sub);
	return rv;
}
