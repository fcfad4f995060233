/*
 * reliable_shared.c - round robin over the consumers that can take more:
 * a parked fetch and room in their window. A consumer that is full or not
 * fetching is skipped, so it never holds up the others.
 */
#include "sub_impl.h"

static sluice_err
attach(subscription *sub, consumer *c)
{
	/* Arrival order: round robin needs no ranking. */
	c->priority = 0;
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

static int
is_active(const subscription *sub, const consumer *c)
{
	(void) sub;
	(void) c;
	return 1;
}

const disp_ops disp_reliable_shared = {
	.name = "reliable-shared",
	.attach = attach,
	.detach = detach,
	.pick = pick,
	.route = NULL,
	.is_active = is_active,
};
