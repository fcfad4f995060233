/*
 * cursor.h - a reliable subscription's ack state: the ack floor (every
 * offset below it is acked) and the acked ranges above it. Ranges keep
 * memory proportional to the number of holes, not to the number of acks.
 */
#ifndef SL_CURSOR_H
#define SL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

typedef struct {
	uint64_t lo, hi; /* acked offsets lo .. hi-1 */
} cursor_range;

typedef struct {
	uint64_t floor;          /* every offset < floor is acked */
	cursor_range *ranges;    /* sorted, disjoint, not touching, lo > floor */
	size_t n, cap;
} cursor;

void cursor_init(cursor *c, uint64_t floor);
void cursor_fini(cursor *c);
int  cursor_is_acked(const cursor *c, uint64_t off);
/* Acks off: *fresh = 1 when it was not acked before. */
sluice_err cursor_ack(cursor *c, uint64_t off, int *fresh);
/* Acks every offset below end (a cumulative ack, a skip). */
void cursor_ack_below(cursor *c, uint64_t end);
/* The first offset >= from that is not acked. */
uint64_t cursor_next_unacked(const cursor *c, uint64_t from);
/* Number of ack holes: ranges of unacked offsets between acked ones. */
size_t cursor_holes(const cursor *c);
/* Offsets acked above the floor (the sum of the ranges). */
uint64_t cursor_acked_count(const cursor *c);
/* Makes off unacked again (a parked message replayed). */
sluice_err cursor_unack(cursor *c, uint64_t off);
/* Forgets every ack and puts the floor at floor (an operator's reset). */
void cursor_reset(cursor *c, uint64_t floor);
#endif
