/*
 * handle_fetch.c - a consumer's long poll: piggybacked acks are applied
 * first, then the fetch is parked with the engine, which answers it when
 * messages are available or its wait runs out.
 */
#include "alloc.h"
#include "broker.h"

/* A fetch waits at most this long, well inside any client timeout. */
#define MAX_WAIT_MS 30000

void
handle_fetch(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	const Sluice__Fetch *f = req->fetch;
	consumer *c = broker_consumer_of(b, s, to, f->consumer_id);
	if (c == NULL) {
		codec_request_free(req);
		return;
	}
	if (f->n_acks > 0) {
		uint32_t applied, ignored;
		subs_ack(b->subs, c, (const Sluice__AckRange *const *) f->acks,
		    f->n_acks, 0, 0, NULL, 0, &applied, &ignored);
	}
	if (f->max_records == 0) {
		/* A keepalive: acks only, renewing the lease; answered now. */
		Sluice__Deliver d = SLUICE__DELIVER__INIT;
		d.active = consumer_is_active(c);
		Sluice__Reply r = SLUICE__REPLY__INIT;
		r.body_case = SLUICE__REPLY__BODY_DELIVER;
		r.deliver = &d;
		reply_send(b, to, &r);
		codec_request_free(req);
		return;
	}
	reply_to *ctx = sl_alloc(sizeof(*ctx));
	if (ctx == NULL) {
		reply_error(b, to, SLUICE_ENOMEM, NULL);
		codec_request_free(req);
		return;
	}
	*ctx = *to;
	uint32_t wait = f->max_wait_ms > MAX_WAIT_MS ? MAX_WAIT_MS : f->max_wait_ms;
	subs_fetch(b->subs, c, ctx, f->max_records, broker_now_ms(b) + wait);
	codec_request_free(req);
}
