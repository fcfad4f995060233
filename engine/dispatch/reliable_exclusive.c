/*
 * reliable_exclusive.c - one consumer receives everything, in offset order
 * (redeliveries first). Type exclusive refuses a second consumer; type
 * failover keeps the others as standbys ordered by priority, then by
 * arrival: when the active one leaves, the next takes over and first gets
 * what the old one left unacked.
 */
#include "sub_impl.h"

static consumer *
pick(subscription *sub)
{
	consumer *active = sub->consumers;
	return active != NULL && disp_can_take(sub, active) ? active : NULL;
}

const disp_ops disp_reliable_exclusive = {
	.name = "reliable-exclusive",
	.attach = disp_attach_ranked,
	.detach = disp_unlink,
	.pick = pick,
	.route = NULL,
	.is_active = disp_is_first,
};
