/*
 * reliable_exclusive.c - one consumer receives everything, in offset order
 * (redeliveries first). Type exclusive refuses a second consumer; type
 * failover keeps the others as standbys ordered by priority, then by
 * arrival: when the active one leaves, the next takes over and first gets
 * what the old one left unacked.
 */
#include "sub_impl.h"

static sluice_err
attach(subscription *sub, consumer *c)
{
	if (sub->type == SLUICE__SUB_TYPE__SUB_EXCLUSIVE && sub->nconsumers > 0)
		return SLUICE_ECONSUMERBUSY;
	disp_insert_ordered(sub, c);
	return SLUICE_OK;
}

static void
detach(subscription *sub, consumer *c)
{
	disp_unlink(sub, c);
}

static consumer *
pick(subscription *sub)
{
	consumer *active = sub->consumers;
	return active != NULL && disp_can_take(sub, active) ? active : NULL;
}

static int
is_active(const subscription *sub, const consumer *c)
{
	return sub->consumers == c;
}

const disp_ops disp_reliable_exclusive = {
	.name = "reliable-exclusive",
	.attach = attach,
	.detach = detach,
	.pick = pick,
	.route = NULL,
	.is_active = is_active,
};
