/*
 * timeheap.h - a min-heap of (due time, id) pairs: the engine's timers.
 * Entries are never removed early: whoever pops one checks that its id
 * still means something (a deleted subscription's entries are skipped),
 * so scheduling and cancelling cost O(log n) and nothing at all.
 */
#ifndef SL_TIMEHEAP_H
#define SL_TIMEHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

typedef struct {
	uint64_t due;
	uint64_t id;
} timeheap_entry;

typedef struct {
	timeheap_entry *v;
	size_t n, cap;
} timeheap;

void       timeheap_init(timeheap *h);
void       timeheap_fini(timeheap *h);
sluice_err timeheap_push(timeheap *h, uint64_t due, uint64_t id);
/* The earliest entry; h must not be empty. */
timeheap_entry timeheap_top(const timeheap *h);
timeheap_entry timeheap_pop(timeheap *h);
#endif
