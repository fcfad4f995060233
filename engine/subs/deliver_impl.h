/*
 * deliver_impl.h - what deliver.c shares with deliver_keyed.c (key_shared
 * delivery) and with the key_shared dispatchers: the state of one fetch
 * being filled, the steps that fill it, and key_shared's membership and
 * routing hooks. Loop thread only; nothing outside engine/subs and
 * engine/dispatch includes it.
 */
#ifndef SL_DELIVER_IMPL_H
#define SL_DELIVER_IMPL_H

#include "sub_impl.h"

/* One fetch of consumer c being filled (s->frame holds the records). */
typedef struct {
	subs *s;
	subscription *sub;
	consumer *c;
	size_t want;
	size_t bytes;
	size_t byte_room; /* the dispatch rate limit's bytes (SIZE_MAX: none) */
	uint64_t expect; /* redelivery: the offset asked for */
	int64_t now_us;  /* wall clock, for publish-to-deliver latency */
	sluice_err rv;
} fill;

/*
 * deliver_fill_begin starts filling c's first parked fetch: f->want is
 * bounded by the fetch, the window room, a half-open breaker and the
 * dispatch rate limit; s->frame is emptied. 0 when nothing may go out now
 * (the limit then has the subscription scheduled for its refill).
 */
int  deliver_fill_begin(fill *f, subs *s, subscription *sub, consumer *c);
/* Ends the fill: settles the rate limit and answers the fetch when it got
 * records (1), else leaves it parked (0). */
int  deliver_fill_end(fill *f);
/* Whether f can take no more (count, bytes, rate limit or an error). */
int  deliver_full(const fill *f);
/* Adds stored record (off, val, len) to the frame and records that f->c
 * holds it now (d: its delivery record, attempt counted here). */
void deliver_give(fill *f, uint64_t off, delivery *d, const void *val, size_t len);

/*
 * key_shared membership (deliver_keyed.c), called by the key_shared
 * dispatchers: keyed_attach puts c on sub's hash ring (SLUICE_ENOMEM
 * leaves everything unchanged), keyed_detach takes it off. Keys that move
 * wait for their in-flight messages at the old owner (reliable mode).
 */
sluice_err keyed_attach(subscription *sub, consumer *c);
void       keyed_detach(subscription *sub, consumer *c);
/* Non-reliable key_shared: the consumer whose queue takes m (its key's
 * owner; without a key, round robin over queues with room); NULL when
 * there are no consumers. */
consumer  *keyed_route(subscription *sub, const nr_msg *m);
#endif
