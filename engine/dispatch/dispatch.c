/* dispatch.c - what the dispatchers share: list order, round robin. */
#include "sub_impl.h"

const disp_ops *
disp_for(int reliable, Sluice__SubType type)
{
	int shared = type == SLUICE__SUB_TYPE__SUB_SHARED;
	if (type == SLUICE__SUB_TYPE__SUB_KEY_SHARED)
		return reliable ? &disp_reliable_key_shared : &disp_nonreliable_key_shared;
	if (reliable)
		return shared ? &disp_reliable_shared : &disp_reliable_exclusive;
	return shared ? &disp_nonreliable_shared : &disp_nonreliable_exclusive;
}

void
disp_insert_ordered(subscription *sub, consumer *c)
{
	consumer **pp = &sub->consumers;
	while (*pp != NULL && ((*pp)->priority > c->priority ||
	                          ((*pp)->priority == c->priority && (*pp)->seq < c->seq)))
		pp = &(*pp)->next;
	c->next = *pp;
	*pp = c;
	sub->nconsumers++;
}

void
disp_unlink(subscription *sub, consumer *c)
{
	for (consumer **pp = &sub->consumers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			sub->nconsumers--;
			break;
		}
	}
	if (sub->rr == c)
		sub->rr = c->next;
	c->next = NULL;
}

consumer *
disp_rr_next(subscription *sub, consumer *c)
{
	if (c == NULL || c->next == NULL)
		return sub->consumers;
	return c->next;
}

int
disp_can_take(const subscription *sub, const consumer *c)
{
	/* Last, so a breaker turns half-open only for a consumer that can
	 * take its probe. */
	return c->nfetch > 0 && c->unacked < sub->window && breaker_admits(c);
}

sluice_err
disp_attach_ranked(subscription *sub, consumer *c)
{
	if (sub->type == SLUICE__SUB_TYPE__SUB_EXCLUSIVE && sub->nconsumers > 0)
		return SLUICE_ECONSUMERBUSY;
	disp_insert_ordered(sub, c);
	return SLUICE_OK;
}

sluice_err
disp_attach_round_robin(subscription *sub, consumer *c)
{
	c->priority = 0; /* no ranking: arrival order */
	disp_insert_ordered(sub, c);
	return SLUICE_OK;
}

int
disp_is_first(const subscription *sub, const consumer *c)
{
	return sub->consumers == c;
}

int
disp_is_any(const subscription *sub, const consumer *c)
{
	(void) sub;
	(void) c;
	return 1;
}
