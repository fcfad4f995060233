/*
 * u64heap.h - a binary min-heap of u64 (offsets waiting for redelivery,
 * lowest first so redelivery keeps offset order). Not thread-safe.
 */
#ifndef SL_U64HEAP_H
#define SL_U64HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

typedef struct {
	uint64_t *v;
	size_t n, cap;
} u64heap;

void       u64heap_init(u64heap *h);
void       u64heap_fini(u64heap *h);
sluice_err u64heap_push(u64heap *h, uint64_t x);
uint64_t   u64heap_pop(u64heap *h);  /* h must not be empty */
uint64_t   u64heap_peek(const u64heap *h);
#endif
