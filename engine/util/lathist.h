/*
 * lathist.h - a latency histogram with fixed, Prometheus-style buckets
 * (cumulative on output, not here). Observing is two compares per bucket
 * at worst and no allocation, so it can sit on the delivery and ack paths.
 * Single-threaded: loop thread only.
 */
#ifndef SL_LATHIST_H
#define SL_LATHIST_H

#include <stddef.h>
#include <stdint.h>

#define LATHIST_NBUCKETS 16

typedef struct {
	uint64_t counts[LATHIST_NBUCKETS + 1]; /* last: above every bound */
	uint64_t count;
	uint64_t sum_us;
} lathist;

/* Upper bounds in microseconds, ascending; LATHIST_NBUCKETS of them. */
extern const uint64_t lathist_bounds_us[LATHIST_NBUCKETS];

void lathist_observe(lathist *h, uint64_t us);
#endif
