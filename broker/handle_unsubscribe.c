/*
 * handle_unsubscribe.c - detaches a consumer; with delete_subscription the
 * subscription and its cursor go too (refused while others are attached).
 */
#include "broker.h"
#include "log.h"

void
handle_unsubscribe(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	const Sluice__Unsubscribe *u = req->unsubscribe;
	consumer *c = broker_consumer_of(b, s, to, u->consumer_id);
	if (c == NULL) {
		codec_request_free(req);
		return;
	}
	uint64_t id = consumer_id(c);
	sluice_err rv = subs_detach(b->subs, c, u->delete_subscription);
	if (rv == SLUICE_OK) {
		session_remove_consumer(s, id);
		sl_event(SL_LOG_INFO, "unsubscribe",
		    SL_FIELDS(SL_U64("pipe", s->pipe_id), SL_U64("consumer_id", id),
		        SL_BOOL("deleted", u->delete_subscription)),
		    "pipe %u: consumer %llu unsubscribed%s", s->pipe_id,
		    (unsigned long long) id,
		    u->delete_subscription ? " and deleted its subscription" : "");
	}
	if (b->held != NULL)
		commit_retry_held(b);
	reply_error(b, to, rv, rv == SLUICE_EBUSY
	        ? "other consumers are attached: the subscription stays" : NULL);
	codec_request_free(req);
}
