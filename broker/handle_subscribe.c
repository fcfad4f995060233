/*
 * handle_subscribe.c - attaches a consumer to a subscription (creating the
 * subscription, and the topic when auto-create is on).
 */
#include <stdio.h>

#include "broker.h"
#include "limit.h"
#include "log.h"

/* Auto-create: the topic gets the retention of its policy (config). */
static sluice_err
create_topic(broker *b, const char *name, tlog_topic **t)
{
	int64_t age_ms;
	uint64_t bytes;
	const char *policy;
	config_topic_retention(&b->cfg, name, &age_ms, &bytes, &policy);
	sluice_err rv = tlog_topic_create(b->log, name, age_ms, bytes, t);
	if (rv == SLUICE_OK)
		sl_event(SL_LOG_INFO, "topic_create",
		    SL_FIELDS(SL_STR("topic", name), SL_STR("policy", policy),
		        SL_I64("retention_age_ms", age_ms),
		        SL_U64("retention_bytes", bytes)),
		    "topic %s created on subscribe (retention %lld ms, %llu bytes; "
		    "policy %s)", name, (long long) age_ms, (unsigned long long) bytes,
		    policy != NULL ? policy : "defaults");
	return rv == SLUICE_EEXISTS ? SLUICE_OK : rv;
}

/* subscriptions.defaults (config) fill what the request leaves unset:
 * window 0, queue_size 0, and an overflow the client did not choose. A
 * non-zero overflow was chosen even without has_overflow (older clients
 * never set it; proto3 only omits the zero value). */
static void
apply_defaults(const broker_config *cfg, Sluice__Subscribe *sr)
{
	if (sr->window == 0)
		sr->window = cfg->sub_window;
	if (sr->queue_size == 0)
		sr->queue_size = cfg->sub_queue_size;
	if (!sr->has_overflow && sr->overflow == SLUICE__OVERFLOW__OVERFLOW_DROP_NEWEST)
		sr->overflow = (Sluice__Overflow) cfg->sub_overflow;
}

static const char *
type_name(Sluice__SubType t)
{
	return t == SLUICE__SUB_TYPE__SUB_FAILOVER     ? "failover"
	    : t == SLUICE__SUB_TYPE__SUB_SHARED        ? "shared"
	    : t == SLUICE__SUB_TYPE__SUB_KEY_SHARED    ? "key_shared"
	                                               : "exclusive";
}

void
handle_subscribe(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	Sluice__Subscribe *sr = req->subscribe;
	char detail[256] = "";
	tlog_topic *t;
	consumer *c = NULL;
	sluice_err rv;
	if (!sluice_topic_name_is_valid(sr->topic)) {
		rv = SLUICE_EBADTOPIC;
		snprintf(detail, sizeof(detail), "invalid topic name: use 1-255 "
		                                 "characters of [A-Za-z0-9._/-]");
	} else if ((rv = tlog_topic_find(b->log, sr->topic, &t)) == SLUICE_ENOTOPIC &&
	    b->cfg.auto_create_topics) {
		rv = limit_topic_admit(b, sr->topic, detail, sizeof(detail));
		if (rv == SLUICE_OK)
			rv = create_topic(b, sr->topic, &t);
	} else if (rv == SLUICE_ENOTOPIC) {
		snprintf(detail, sizeof(detail), "no such topic '%s' (auto-create is off)",
		    sr->topic);
	}
	if (rv == SLUICE_OK)
		rv = limit_subscribe_admit(b, t, sr->subscription, detail, sizeof(detail));
	if (rv == SLUICE_OK) {
		apply_defaults(&b->cfg, sr);
		rv = subs_attach(b->subs, t, sr, s, &c, detail, sizeof(detail));
	}
	if (rv == SLUICE_OK && (rv = session_add_consumer(s, consumer_id(c))) != SLUICE_OK)
		subs_detach(b->subs, c, 0);
	if (rv != SLUICE_OK) {
		reply_error(b, to, rv, detail[0] ? detail : NULL);
		codec_request_free(req);
		return;
	}
	sl_event(SL_LOG_INFO, "subscribe",
	    SL_FIELDS(SL_U64("pipe", s->pipe_id), SL_U64("consumer_id", consumer_id(c)),
	        SL_STR("consumer", sr->consumer_name), SL_STR("topic", sr->topic),
	        SL_STR("subscription", sr->subscription),
	        SL_STR("type", type_name(sr->type)),
	        SL_STR("mode", sr->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE
	                ? "non_reliable" : "reliable"),
	        SL_U64("window", consumer_window(c)),
	        SL_BOOL("active", consumer_is_active(c))),
	    "pipe %u: consumer %llu '%s' on %s/%s", s->pipe_id,
	    (unsigned long long) consumer_id(c), sr->consumer_name, sr->topic,
	    sr->subscription);
	Sluice__SubscribeOk ok = SLUICE__SUBSCRIBE_OK__INIT;
	ok.consumer_id = consumer_id(c);
	ok.head = tlog_topic_head(t);
	ok.active = consumer_is_active(c);
	ok.window = consumer_window(c);
	Sluice__Reply r = SLUICE__REPLY__INIT;
	r.body_case = SLUICE__REPLY__BODY_SUBSCRIBE;
	r.subscribe = &ok;
	reply_send(b, to, &r);
	codec_request_free(req);
}
