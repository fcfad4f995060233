/*
 * histogram.c - the log-bucketed histogram of sluice-bench: bucket layout,
 * recording, merging and percentiles. It owns nothing but its counters; it
 * knows nothing of time units or threads (see histogram.h).
 *
 * Layout: buckets 0..255 count the values 0..255 exactly. From 256 on,
 * the values [2^k, 2^(k+1)) (k = 8..63) fall into 128 buckets of width
 * 2^(k-7): bucket 256 + (k-8)*128 + (v >> (k-7)) - 128.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

#define EXACT (2 * HISTOGRAM_SUB) /* values counted one per bucket */
#define SUB_BITS 7                /* log2(HISTOGRAM_SUB) */
#define NBUCKETS (EXACT + (64 - 8) * HISTOGRAM_SUB)

struct histogram {
	uint64_t n;    /* values recorded */
	uint64_t min;  /* exact, valid when n > 0 */
	uint64_t max;  /* exact, valid when n > 0 */
	double   sum;  /* of all values, for the mean */
	uint64_t b[NBUCKETS];
};

histogram *
histogram_alloc(void)
{
	histogram *h = malloc(sizeof(*h));
	if (h != NULL)
		histogram_reset(h);
	return h;
}

void
histogram_free(histogram *h)
{
	free(h);
}

void
histogram_reset(histogram *h)
{
	memset(h, 0, sizeof(*h));
}

uint32_t
histogram_bucket(uint64_t v)
{
	if (v < EXACT)
		return (uint32_t) v;
	uint32_t k = 63u - (uint32_t) __builtin_clzll(v); /* 8..63 */
	uint32_t sub = (uint32_t) (v >> (k - SUB_BITS)) - HISTOGRAM_SUB;
	return EXACT + (k - 8) * HISTOGRAM_SUB + sub;
}

void
histogram_bucket_range(uint32_t b, uint64_t *lo, uint64_t *hi)
{
	if (b < EXACT) {
		*lo = *hi = b;
		return;
	}
	uint32_t k = (b - EXACT) / HISTOGRAM_SUB + 8;
	uint64_t sub = (b - EXACT) % HISTOGRAM_SUB;
	uint32_t shift = k - SUB_BITS;
	*lo = (HISTOGRAM_SUB + sub) << shift;
	*hi = *lo + ((UINT64_C(1) << shift) - 1);
}

void
histogram_record(histogram *h, uint64_t v)
{
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (h->n == 0 || v > h->max)
		h->max = v;
	h->n++;
	h->sum += (double) v;
	h->b[histogram_bucket(v)]++;
}

void
histogram_merge(histogram *dst, const histogram *src)
{
	if (src->n == 0)
		return;
	if (dst->n == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->n == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->n += src->n;
	dst->sum += src->sum;
	for (uint32_t i = 0; i < NBUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t
histogram_count(const histogram *h)
{
	return h->n;
}

uint64_t
histogram_min(const histogram *h)
{
	return h->n ? h->min : 0;
}

uint64_t
histogram_max(const histogram *h)
{
	return h->n ? h->max : 0;
}

double
histogram_mean(const histogram *h)
{
	return h->n ? h->sum / (double) h->n : 0.0;
}

uint64_t
histogram_percentile(const histogram *h, double p)
{
	if (h->n == 0)
		return 0;
	if (p <= 0.0)
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* The rank of the value wanted, 1-based. The epsilon keeps 99.9% of
	 * 1000 values at rank 999 although 99.9 is not exact in binary. */
	double r = ceil(p / 100.0 * (double) h->n - 1e-9);
	uint64_t rank = r < 1.0 ? 1 : (uint64_t) r;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < NBUCKETS; i++) {
		seen += h->b[i];
		if (seen < rank)
			continue;
		uint64_t lo, hi;
		histogram_bucket_range(i, &lo, &hi);
		uint64_t mid = lo + (hi - lo) / 2;
		if (mid < h->min)
			mid = h->min;
		if (mid > h->max)
			mid = h->max;
		return mid;
	}
	return h->max;
}
