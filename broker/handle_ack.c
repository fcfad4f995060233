/*
 * handle_ack.c - individual acks (as ranges), a cumulative ack, nacks.
 * Late, duplicate and unknown acks are ignored and counted.
 */
#include "broker.h"

void
handle_ack(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	const Sluice__Ack *a = req->ack;
	consumer *c = broker_consumer_of(b, s, to, a->consumer_id);
	if (c == NULL) {
		codec_request_free(req);
		return;
	}
	uint32_t applied = 0, ignored = 0, napplied = 0, nignored = 0;
	/* Acks first, then nacks with their delay and reason (the policy's
	 * backoff when no delay is given). */
	sluice_err rv = subs_ack(b->subs, c, (const Sluice__AckRange *const *) a->ranges,
	    a->n_ranges, a->has_cumulative, a->cumulative, NULL, 0, &applied, &ignored);
	if (rv == SLUICE_OK && a->n_nacks > 0) {
		rv = subs_nack(b->subs, c, (const Sluice__AckRange *const *) a->nacks,
		    a->n_nacks, a->nack_delay_ms, a->nack_reason, &napplied, &nignored);
		applied += napplied;
		ignored += nignored;
	}
	if (rv != SLUICE_OK) {
		reply_error(b, to, rv, rv == SLUICE_ENOTSUPP
		        ? "cumulative ack is for exclusive and failover subscriptions" : NULL);
	} else {
		Sluice__AckOk ok = SLUICE__ACK_OK__INIT;
		ok.applied = applied;
		ok.ignored = ignored;
		Sluice__Reply r = SLUICE__REPLY__INIT;
		r.body_case = SLUICE__REPLY__BODY_ACK;
		r.ack = &ok;
		reply_send(b, to, &r);
	}
	codec_request_free(req);
}
