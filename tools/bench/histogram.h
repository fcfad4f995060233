/*
 * histogram.h - a log-bucketed latency histogram (HDR-style) for
 * sluice-bench.
 *
 * Values are unsigned 64-bit integers (sluice-bench records nanoseconds).
 * Values below 256 are counted exactly; above, every power of two
 * [2^k, 2^(k+1)) is split into HISTOGRAM_SUB (128) buckets of equal width
 * 2^(k-7). A percentile is reported as the middle of its bucket, clamped to
 * the exact minimum and maximum, so it is within half a bucket width of a
 * value of the right rank: a relative error of at most 1/256 (0.39%),
 * comfortably under 1%. Memory is fixed (about 60 KiB) whatever is recorded.
 *
 * Not thread-safe: one writer at a time (callers lock, or keep one per
 * thread and merge).
 */
#ifndef SLUICE_BENCH_HISTOGRAM_H
#define SLUICE_BENCH_HISTOGRAM_H

#include <stdint.h>

/* Sub-buckets per power of two. */
#define HISTOGRAM_SUB 128

typedef struct histogram histogram;

/* histogram_alloc creates an empty histogram; NULL when out of memory. */
histogram *histogram_alloc(void);
/* histogram_free frees h; accepts NULL. */
void histogram_free(histogram *h);
/* histogram_reset forgets every recorded value. */
void histogram_reset(histogram *h);
/* histogram_record counts one occurrence of v. */
void histogram_record(histogram *h, uint64_t v);
/* histogram_merge adds every value counted in src to dst. */
void histogram_merge(histogram *dst, const histogram *src);

/* Number of values recorded. */
uint64_t histogram_count(const histogram *h);
/* Exact smallest and largest values; 0 when empty. */
uint64_t histogram_min(const histogram *h);
uint64_t histogram_max(const histogram *h);
/* Exact mean; 0 when empty. */
double histogram_mean(const histogram *h);
/*
 * histogram_percentile returns the value at percentile p (0..100): the
 * smallest recorded value v such that at least p% of the values are <= v,
 * within the bucket error stated above. p = 100 gives the exact maximum,
 * p = 0 the exact minimum. 0 when empty.
 */
uint64_t histogram_percentile(const histogram *h, double p);

/* The bucket index of v and the range [lo, hi] of values it counts:
 * exposed for the unit test. */
uint32_t histogram_bucket(uint64_t v);
void histogram_bucket_range(uint32_t b, uint64_t *lo, uint64_t *hi);

#endif
