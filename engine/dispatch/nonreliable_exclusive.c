/*
 * nonreliable_exclusive.c - messages go from memory, as they are
 * committed, to the queue of the one (or, for failover, the active)
 * consumer. Nothing is read back from the log and nothing is acked.
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
	return active != NULL && active->nfetch > 0 && active->rlen > 0 ? active : NULL;
}

static consumer *
route(subscription *sub)
{
	return sub->consumers;
}

static int
is_active(const subscription *sub, const consumer *c)
{
	return sub->consumers == c;
}

const disp_ops disp_nonreliable_exclusive = {
	.name = "non-reliable-exclusive",
	.attach = attach,
	.detach = detach,
	.pick = pick,
	.route = route,
	.is_active = is_active,
};
