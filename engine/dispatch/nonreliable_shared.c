/*
 * nonreliable_shared.c - each message goes to the next consumer, round
 * robin, preferring one whose queue has room; when every queue is full the
 * round-robin target's overflow strategy decides (drop newest, drop
 * oldest). Delivery from the queues follows each consumer's own fetches.
 */
#include "sub_impl.h"

static consumer *
pick(subscription *sub)
{
	for (consumer *c = sub->consumers; c != NULL; c = c->next)
		if (c->nfetch > 0 && c->rlen > 0)
			return c;
	return NULL;
}

static consumer *
route(subscription *sub)
{
	consumer *start = sub->rr != NULL ? sub->rr : sub->consumers;
	consumer *c = start;
	if (c == NULL)
		return NULL;
	do {
		if (c->rlen < sub->queue_size) {
			sub->rr = disp_rr_next(sub, c);
			return c;
		}
		c = disp_rr_next(sub, c);
	} while (c != start);
	sub->rr = disp_rr_next(sub, start);
	return start; /* all full: the overflow strategy of this one applies */
}

const disp_ops disp_nonreliable_shared = {
	.name = "non-reliable-shared",
	.attach = disp_attach_round_robin,
	.detach = disp_unlink,
	.pick = pick,
	.route = route,
	.is_active = disp_is_any,
};
