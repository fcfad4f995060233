/*
 * nonreliable_exclusive.c - messages go from memory, as they are
 * committed, to the queue of the one (or, for failover, the active)
 * consumer. Nothing is read back from the log and nothing is acked.
 */
#include "sub_impl.h"

static consumer *
pick(subscription *sub)
{
	consumer *active = sub->consumers;
	return active != NULL && active->nfetch > 0 && active->rlen > 0 ? active : NULL;
}

static consumer *
route(subscription *sub)
{
	return sub->consumers;
}

const disp_ops disp_nonreliable_exclusive = {
	.name = "non-reliable-exclusive",
	.attach = disp_attach_ranked,
	.detach = disp_unlink,
	.pick = pick,
	.route = route,
	.is_active = disp_is_first,
};
