/*
 * dispatch.h - the dispatcher interface. Each dispatcher (reliable/
 * non-reliable x exclusive/shared; key_shared, both modes in one file) is
 * behind disp_ops,
 * as nng gives each protocol one file behind an ops table. Failover is
 * exclusive with standbys, in the exclusive files.
 */
#ifndef SL_DISPATCH_H
#define SL_DISPATCH_H

#include "codec.h"
#include "sluice/sluice.h"

typedef struct subscription subscription;
typedef struct consumer consumer;

typedef struct disp_ops {
	const char *name;
	/* Admits c into sub's consumer list (SLUICE_ECONSUMERBUSY when an
	 * exclusive subscription already has one). */
	sluice_err (*attach)(subscription *sub, consumer *c);
	/* Unlinks c from the list. */
	void (*detach)(subscription *sub, consumer *c);
	/* The consumer that should be served next: it has a parked fetch and
	 * room. NULL when none may receive now. */
	consumer *(*pick)(subscription *sub);
	/* Non-reliable: the consumer whose queue takes the next message;
	 * NULL when there is none. Reliable dispatchers leave it NULL. */
	consumer *(*route)(subscription *sub);
	/* Whether c may receive at all (failover: only the active one). */
	int (*is_active)(const subscription *sub, const consumer *c);
} disp_ops;

extern const disp_ops disp_reliable_exclusive;
extern const disp_ops disp_reliable_shared;
extern const disp_ops disp_nonreliable_exclusive;
extern const disp_ops disp_nonreliable_shared;
extern const disp_ops disp_reliable_key_shared;
extern const disp_ops disp_nonreliable_key_shared;

/* Shared helpers of the dispatchers (dispatch.c). */
/* The dispatcher of a subscription of type in the given mode. */
const disp_ops *disp_for(int reliable, Sluice__SubType type);
/* Inserts c in failover order: priority high to low, then attach order. */
void disp_insert_ordered(subscription *sub, consumer *c);
void disp_unlink(subscription *sub, consumer *c);
/* The next consumer after c in round-robin order (wrapping). */
consumer *disp_rr_next(subscription *sub, consumer *c);
/* Reliable: has a parked fetch, window room and a breaker that lets it
 * receive. */
int disp_can_take(const subscription *sub, const consumer *c);
/* attach for exclusive/failover: one consumer (exclusive) or a ranked
 * list (failover); for the round-robin types: arrival order. */
sluice_err disp_attach_ranked(subscription *sub, consumer *c);
sluice_err disp_attach_round_robin(subscription *sub, consumer *c);
/* is_active: the head of the ranked list; every consumer. */
int disp_is_first(const subscription *sub, const consumer *c);
int disp_is_any(const subscription *sub, const consumer *c);
#endif
