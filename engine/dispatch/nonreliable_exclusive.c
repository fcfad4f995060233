/*
 * nonreliable_exclusive.c - messages go from memory, as they are
 * committed, to the queue of the one (or, for failover, the active)
 * consumer. Nothing is read back from the log and nothing is acked.
 */
#include "log.h"
#include "sub_impl.h"

/* Failover: logs that `now` became the active consumer instead of `was`. */
static void
log_switch(const subscription *sub, const consumer *was, const consumer *now,
    const char *why)
{
	sl_event(SL_LOG_INFO, "failover_switch",
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(sub->topic)),
	        SL_STR("subscription", sub->name), SL_U64("consumer_id", now->id),
	        SL_STR("consumer", now->name), SL_U64("previous_consumer_id", was->id),
	        SL_STR("reason", why)),
	    "subscription %s on %s: consumer %llu '%s' is now active (%s)", sub->name,
	    tlog_topic_name(sub->topic), (unsigned long long) now->id, now->name, why);
}

static sluice_err
attach(subscription *sub, consumer *c)
{
	consumer *was = sub->consumers;
	sluice_err rv = disp_attach_ranked(sub, c);
	if (rv == SLUICE_OK && was != NULL && sub->consumers != was)
		log_switch(sub, was, sub->consumers, "a consumer of higher priority attached");
	return rv;
}

static void
detach(subscription *sub, consumer *c)
{
	consumer *was = sub->consumers;
	disp_unlink(sub, c);
	if (was == c && sub->consumers != NULL)
		log_switch(sub, was, sub->consumers, "the active consumer left");
}

static consumer *
pick(subscription *sub)
{
	consumer *active = sub->consumers;
	return active != NULL && active->nfetch > 0 && active->rlen > 0 ? active : NULL;
}

static consumer *
route(subscription *sub)
{
	return sub->consumers;
}

const disp_ops disp_nonreliable_exclusive = {
	.name = "non-reliable-exclusive",
	.attach = attach,
	.detach = detach,
	.pick = pick,
	.route = route,
	.is_active = disp_is_first,
};
