/*
 * deadletter.c - publishes a message that exhausted its redeliveries to
 * its subscription's dead-letter topic, through the normal group commit,
 * with properties naming where it came from. The engine acks the original
 * only once the dead letter is written (subs_dead_letter_done), so a
 * storage failure retries instead of losing it; a crash in between may
 * write it twice (at least once, like every reliable delivery).
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "broker.h"
#include "log.h"

#define DLQ_PROPS 6

static sluice_err
dlq_topic(broker *b, const char *name, tlog_topic **t)
{
	sluice_err rv = tlog_topic_find(b->log, name, t);
	if (rv != SLUICE_ENOTOPIC)
		return rv;
	int64_t age;
	uint64_t bytes;
	config_topic_retention(&b->cfg, name, &age, &bytes, NULL);
	rv = tlog_topic_create(b->log, name, age, bytes, t);
	if (rv == SLUICE_OK)
		sl_event(SL_LOG_INFO, "topic_create",
		    SL_FIELDS(SL_STR("topic", name), SL_STR("by", "dead_letter")),
		    "topic %s created for dead letters", name);
	return rv == SLUICE_EEXISTS ? SLUICE_OK : rv;
}

/* The Publish request of one dead letter, packed and decoded again so the
 * pending publish owns it exactly like a client's. */
static sluice_err
build(const subs_dead_letter *dl, Sluice__Request **out, size_t *len)
{
	Sluice__StoredMessage *sm;
	sluice_err rv = codec_stored_unpack(dl->record, dl->len, &sm);
	if (rv != SLUICE_OK)
		return rv;
	char off[24], att[16], pt[24];
	snprintf(off, sizeof(off), "%llu", (unsigned long long) dl->offset);
	snprintf(att, sizeof(att), "%u", dl->attempts);
	snprintf(pt, sizeof(pt), "%lld", (long long) sm->publish_time_us);
	Sluice__Property extra[DLQ_PROPS];
	const char *kv[DLQ_PROPS][2] = {
		{ "sluice.dlq.topic", dl->topic },
		{ "sluice.dlq.subscription", dl->subscription },
		{ "sluice.dlq.offset", off },
		{ "sluice.dlq.attempts", att },
		{ "sluice.dlq.reason", dl->reason },
		{ "sluice.dlq.publish_time_us", pt },
	};
	size_t np = sm->n_properties + DLQ_PROPS;
	Sluice__Property **props = sl_alloc(np * sizeof(*props));
	if (props == NULL) {
		codec_stored_free(sm);
		return SLUICE_ENOMEM;
	}
	for (size_t i = 0; i < sm->n_properties; i++)
		props[i] = sm->properties[i];
	for (size_t i = 0; i < DLQ_PROPS; i++) {
		sluice__property__init(&extra[i]);
		extra[i].key = (char *) kv[i][0];
		extra[i].value = (char *) kv[i][1];
		props[sm->n_properties + i] = &extra[i];
	}
	Sluice__Message m = SLUICE__MESSAGE__INIT, *mp = &m;
	m.has_key = sm->has_key;
	m.key = sm->key;
	m.payload = sm->payload;
	m.producer_seq = sm->producer_seq;
	m.event_time_us = sm->event_time_us;
	m.n_properties = np;
	m.properties = props;
	Sluice__Publish pub = SLUICE__PUBLISH__INIT;
	pub.topic = (char *) dl->dlq_topic;
	pub.n_messages = 1;
	pub.messages = &mp;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	rq.publish = &pub;
	*len = codec_request_size(&rq);
	uint8_t *buf = sl_alloc(*len ? *len : 1);
	rv = SLUICE_ENOMEM;
	if (buf != NULL) {
		codec_request_pack(&rq, buf);
		rv = codec_request_unpack(buf, *len, out);
	}
	sl_free(buf);
	sl_free(props);
	codec_stored_free(sm);
	return rv;
}

void
broker_dead_letter(void *arg, const subs_dead_letter *dl)
{
	broker *b = arg;
	tlog_topic *t = NULL;
	Sluice__Request *req = NULL;
	size_t len = 0;
	pending_pub *p = NULL;
	sluice_err rv = dlq_topic(b, dl->dlq_topic, &t);
	if (rv == SLUICE_OK)
		rv = build(dl, &req, &len);
	if (rv == SLUICE_OK && (p = sl_alloc(sizeof(*p))) == NULL)
		rv = SLUICE_ENOMEM;
	if (rv != SLUICE_OK) {
		codec_request_free(req);
		/* Answered now: the engine tries again after a while. */
		subs_dead_letter_done(b->subs, dl->sub_uid, dl->offset, rv);
		return;
	}
	p->req = req;
	p->topic = t;
	p->bytes = len;
	p->dead_letter = 1;
	p->dl_sub_uid = dl->sub_uid;
	p->dl_offset = dl->offset;
	commit_enqueue(b, p);
	sl_event(SL_LOG_INFO, "dead_letter",
	    SL_FIELDS(SL_STR("topic", dl->topic), SL_STR("subscription", dl->subscription),
	        SL_U64("offset", dl->offset), SL_U64("attempts", dl->attempts),
	        SL_STR("reason", dl->reason), SL_STR("dead_letter_topic", dl->dlq_topic)),
	    "subscription %s on %s: offset %llu dead-lettered to %s after %u "
	    "attempts (%s)", dl->subscription, dl->topic,
	    (unsigned long long) dl->offset, dl->dlq_topic, dl->attempts, dl->reason);
}
