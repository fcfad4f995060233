/*
 * tail.h - the newest records of one topic, kept in memory as their stored
 * bytes, so that deliveries to consumers that keep up (and every
 * subscription of a fan-out) read no RocksDB iterator. A ring of
 * consecutive offsets, bounded per topic and, through the shared budget,
 * per broker; when the budget is spent the ring simply stops growing and
 * reads fall back to RocksDB. Loop thread only.
 */
#ifndef SL_TAIL_H
#define SL_TAIL_H

#include <stddef.h>
#include <stdint.h>

#define TAIL_MAX_RECORDS 8192
#define TAIL_MAX_BYTES (4u << 20)     /* per topic */
#define TAIL_BUDGET_BYTES (64u << 20) /* all topics together */

typedef struct {
	uint32_t len;
	uint8_t *bytes;
} tail_rec;

typedef struct {
	tail_rec *ring;     /* TAIL_MAX_RECORDS slots, allocated on first use */
	size_t head, n;     /* index of the oldest record, number of records */
	uint64_t first;     /* offset of the oldest record */
	size_t bytes;
} tail;

void tail_fini(tail *t, size_t *budget_used);
/* Appends the record for offset off (which must be first + n, else the
 * ring restarts at off); evicts the oldest to stay within bounds. */
void tail_append(tail *t, uint64_t off, const void *bytes, size_t len,
    size_t *budget_used);
/* Drops records at offsets >= off (a group commit that failed). */
void tail_truncate(tail *t, uint64_t off, size_t *budget_used);
/* The record at off, or NULL when the ring does not hold it. */
const tail_rec *tail_get(const tail *t, uint64_t off);
#endif
