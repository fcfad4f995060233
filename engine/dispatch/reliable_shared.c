/*
 * reliable_shared.c - round robin over the consumers that can take more:
 * a parked fetch and room in their window. A consumer that is full or not
 * fetching is skipped, so it never holds up the others.
 */
#include "sub_impl.h"

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

const disp_ops disp_reliable_shared = {
	.name = "reliable-shared",
	.attach = disp_attach_round_robin,
	.detach = disp_unlink,
	.pick = pick,
	.route = NULL,
	.is_active = disp_is_any,
};
