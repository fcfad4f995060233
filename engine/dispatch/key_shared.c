/*
 * key_shared.c - the key_shared dispatchers: consumers in arrival order,
 * each also placed on the subscription's consistent-hash ring, which maps
 * every key to one of them (deliver_keyed.c keeps the ring and decides
 * which message goes where). Reliable: the consumers that can take more
 * are served round robin, so one that is full or silent is skipped.
 * Non-reliable: a message goes to its key's owner's queue at enqueue time;
 * without a key, round robin over the queues with room.
 */
#include "deliver_impl.h"

static sluice_err
attach(subscription *sub, consumer *c)
{
	sluice_err rv = keyed_attach(sub, c);
	if (rv == SLUICE_OK)
		disp_attach_round_robin(sub, c);
	return rv;
}

static void
detach(subscription *sub, consumer *c)
{
	disp_unlink(sub, c);
	keyed_detach(sub, c);
}

static consumer *
pick_reliable(subscription *sub)
{
	consumer *start = sub->rr != NULL ? sub->rr : sub->consumers;
	consumer *c = start;
	if (c == NULL)
		return NULL;
	do {
		if (disp_can_take(sub, c)) {
			sub->rr = disp_rr_next(sub, c);
			return c;
		}
		c = disp_rr_next(sub, c);
	} while (c != start);
	return NULL;
}

static consumer *
pick_nonreliable(subscription *sub)
{
	for (consumer *c = sub->consumers; c != NULL; c = c->next)
		if (c->nfetch > 0 && c->rlen > 0)
			return c;
	return NULL;
}

/* Messages without a key (keyed_route routes the others). */
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

const disp_ops disp_reliable_key_shared = {
	.name = "reliable-key-shared",
	.attach = attach,
	.detach = detach,
	.pick = pick_reliable,
	.route = NULL,
	.is_active = disp_is_any,
};

const disp_ops disp_nonreliable_key_shared = {
	.name = "non-reliable-key-shared",
	.attach = attach,
	.detach = detach,
	.pick = pick_nonreliable,
	.route = route,
	.is_active = disp_is_any,
};
