/*
 * handle_subscribe.c - attaches a consumer to a subscription (creating the
 * subscription, and the topic when auto-create is on).
 */
#include <stdio.h>

#include "broker.h"
#include "log.h"

void
handle_subscribe(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	const Sluice__Subscribe *sr = req->subscribe;
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
		rv = tlog_topic_create(b->log, sr->topic, 0, 0, &t);
		if (rv == SLUICE_EEXISTS)
			rv = SLUICE_OK;
	} else if (rv == SLUICE_ENOTOPIC) {
		snprintf(detail, sizeof(detail), "no such topic '%s' (auto-create is off)",
		    sr->topic);
	}
	if (rv == SLUICE_OK)
		rv = subs_attach(b->subs, t, sr, s, &c, detail, sizeof(detail));
	if (rv == SLUICE_OK && (rv = session_add_consumer(s, consumer_id(c))) != SLUICE_OK)
		subs_detach(b->subs, c, 0);
	if (rv != SLUICE_OK) {
		reply_error(b, to, rv, detail[0] ? detail : NULL);
		codec_request_free(req);
		return;
	}
	sl_info("pipe %u: consumer %llu '%s' on %s/%s", s->pipe_id,
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
