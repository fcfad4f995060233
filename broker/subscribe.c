/*
 * subscribe.c - the broker side of the subscription engine: the I/O the
 * engine calls to answer parked fetches, and the link between sessions
 * (connections) and the consumers they own.
 */
#include "alloc.h"
#include "broker.h"
#include "log.h"

static void
io_deliver(void *arg, consumer *c, void *fetch_ctx, const uint8_t *frame, size_t len)
{
	broker *b = arg;
	(void) c;
	reply_send_frame(b, fetch_ctx, frame, len);
	sl_free(fetch_ctx);
	if (b->held != NULL)
		commit_retry_held(b); /* a queue may have room now */
}

static uint64_t
io_request_id(void *arg, void *fetch_ctx)
{
	(void) arg;
	return ((reply_to *) fetch_ctx)->request_id;
}

const subs_io broker_subs_io = {
	.deliver = io_deliver,
	.request_id = io_request_id,
	.dead_letter = broker_dead_letter,
	.arg = NULL, /* set to the broker at start */
};

void
broker_session_gone(broker *b, session *s)
{
	/* Its unacked messages go to the other consumers. */
	for (size_t i = 0; i < s->nconsumers; i++) {
		consumer *c = subs_consumer(b->subs, s->consumers[i]);
		if (c != NULL)
			subs_detach(b->subs, c, 0);
	}
	s->nconsumers = 0;
	if (b->held != NULL)
		commit_retry_held(b);
}

consumer *
broker_consumer_of(broker *b, session *s, const reply_to *to, uint64_t id)
{
	consumer *c = subs_consumer(b->subs, id);
	if (c == NULL || consumer_owner(c) != s) {
		reply_error(b, to, SLUICE_ENOCONSUMER,
		    "no such consumer on this connection");
		return NULL;
	}
	return c;
}
