/*
 * handle_publish.c - validates a Publish and queues it for the next group
 * commit. A publish is all-or-nothing: one bad message refuses the frame,
 * naming the message at fault, and nothing of it is stored.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "admin.h"
#include "broker.h"
#include "limit.h"
#include "log.h"
#include "ratelimit.h"

static sluice_err
validate(broker *b, const Sluice__Publish *p, uint32_t *bad, char *detail,
    size_t dlen)
{
	if (!sluice_topic_name_is_valid(p->topic)) {
		snprintf(detail, dlen, "invalid topic name '%.64s%s': use 1-255 "
		                       "characters of [A-Za-z0-9._/-]",
		    p->topic, strlen(p->topic) > 64 ? "..." : "");
		return SLUICE_EBADTOPIC;
	}
	if (p->n_messages == 0) {
		snprintf(detail, dlen, "publish to '%s' carries no messages", p->topic);
		return SLUICE_EEMPTY;
	}
	for (size_t i = 0; i < p->n_messages; i++) {
		uint64_t n = codec_message_bytes(p->messages[i]);
		if (n > b->cfg.max_message_bytes) {
			*bad = (uint32_t) i;
			snprintf(detail, dlen, "message %zu is %llu bytes; the "
			                       "limit is %llu", i, (unsigned long long) n,
			    (unsigned long long) b->cfg.max_message_bytes);
			return SLUICE_ETOOBIG;
		}
	}
	return SLUICE_OK;
}

/* Auto-create: the topic gets the retention and publish rate limit of
 * its policy (config). */
static sluice_err
create_topic(broker *b, const char *name, tlog_topic **t)
{
	int64_t age_ms;
	uint64_t bytes, rate_msgs, rate_bytes;
	const char *policy;
	config_topic_retention(&b->cfg, name, &age_ms, &bytes, &policy);
	config_topic_publish_rate(&b->cfg, name, &rate_msgs, &rate_bytes);
	sluice_err rv = tlog_topic_create_limited(b->log, name, age_ms, bytes,
	    rate_msgs, rate_bytes, t);
	if (rv == SLUICE_OK)
		sl_event(SL_LOG_INFO, "topic_create",
		    SL_FIELDS(SL_STR("topic", name), SL_STR("policy", policy),
		        SL_I64("retention_age_ms", age_ms),
		        SL_U64("retention_bytes", bytes),
		        SL_U64("publish_rate_msgs", rate_msgs),
		        SL_U64("publish_rate_bytes", rate_bytes)),
		    "topic %s created on first publish (retention %lld ms, %llu "
		    "bytes; policy %s)", name, (long long) age_ms,
		    (unsigned long long) bytes, policy != NULL ? policy : "defaults");
	return rv == SLUICE_EEXISTS ? SLUICE_OK : rv;
}

static sluice_err
find_topic(broker *b, const char *name, tlog_topic **t, char *detail, size_t dlen)
{
	sluice_err rv = tlog_topic_find(b->log, name, t);
	if (rv == SLUICE_ENOTOPIC && b->cfg.auto_create_topics &&
	    (rv = limit_topic_admit(b, name, detail, dlen)) == SLUICE_OK)
		rv = create_topic(b, name, t);
	if (rv == SLUICE_ELIMIT)
		return rv;
	if (rv == SLUICE_ENOTOPIC)
		snprintf(detail, dlen, "no such topic '%s' (auto-create is off)", name);
	else if (rv != SLUICE_OK)
		snprintf(detail, dlen, "cannot create topic '%s': %s", name,
		    sluice_strerror(rv));
	return rv;
}

void
handle_publish(broker *b, session *s, const reply_to *to, Sluice__Request *req,
    size_t frame_bytes)
{
	char detail[256];
	uint32_t bad = 0;
	tlog_topic *t = NULL;
	sluice_err rv = validate(b, req->publish, &bad, detail, sizeof(detail));
	if (rv == SLUICE_OK)
		rv = find_topic(b, req->publish->topic, &t, detail, sizeof(detail));
	if (rv == SLUICE_OK)
		rv = limit_producer_admit(b, s, t, detail, sizeof(detail));
	if (rv != SLUICE_OK) {
		sl_debug("pipe %u: publish refused: %s", s->pipe_id, detail);
		Sluice__Reply r = SLUICE__REPLY__INIT;
		r.status = (uint32_t) rv;
		r.error = detail;
		r.failed_index = bad;
		reply_send(b, to, &r);
		codec_request_free(req);
		return;
	}
	producers_note(b, t, s->pipe_id);
	pending_pub *p = sl_alloc(sizeof(*p));
	if (p == NULL) {
		reply_error(b, to, SLUICE_ENOMEM, NULL);
		codec_request_free(req);
		return;
	}
	p->to = *to;
	p->req = req;
	p->topic = t;
	p->bytes = frame_bytes;
	if (commit_must_hold(b, t) || !ratelimit_publish_admit(b, p))
		commit_hold(b, p);
	else
		commit_enqueue(b, p);
}
