/*
 * test_histogram.c - the sluice-bench histogram: bucket layout (contiguous,
 * every value in its own bucket's range, width at most 1/128 of the value)
 * and percentiles within 1% of the exact ones on known distributions
 * (uniform, exponential, log-uniform over nine decades, bimodal, constant).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "histogram.h"

TestSuite(histogram, .timeout = 30);

#define N 200000

static const double pcts[] = { 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Uniform in (0, 1]. */
static double
unit(void)
{
	return ((double) (rng() >> 11) + 1.0) / 9007199254740992.0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
	return x < y ? -1 : x > y;
}

/* Records v[0..n) and checks every percentile in pcts against the exact
 * value of the same rank: relative error at most 1%. Returns the worst. */
static double
check(uint64_t *v, size_t n, const char *what)
{
	histogram *h = histogram_alloc();
	cr_assert_not_null(h);
	for (size_t i = 0; i < n; i++)
		histogram_record(h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	cr_assert_eq(histogram_count(h), n);
	cr_assert_eq(histogram_min(h), v[0], "%s: min", what);
	cr_assert_eq(histogram_max(h), v[n - 1], "%s: max", what);
	double worst = 0;
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		double r = ceil(pcts[i] / 100.0 * (double) n - 1e-9);
		size_t rank = r < 1 ? 1 : (size_t) r;
		uint64_t exact = v[rank - 1];
		uint64_t got = histogram_percentile(h, pcts[i]);
		double err = exact == 0 ? (double) got
		                        : fabs((double) got - (double) exact) / (double) exact;
		if (err > worst)
			worst = err;
		cr_assert_leq(err, 0.01, "%s: p%g = %llu, exact %llu (error %.3f%%)", what,
		    pcts[i], (unsigned long long) got, (unsigned long long) exact,
		    err * 100);
	}
	histogram_free(h);
	return worst;
}

Test(histogram, every_value_lies_in_its_bucket_and_buckets_are_at_most_1_in_128_wide)
{
	for (int i = 0; i < 1000000; i++) {
		/* Spread over all magnitudes: a random value shifted right by a
		 * random amount. */
		uint64_t v = rng() >> (rng() % 64);
		uint64_t lo, hi;
		histogram_bucket_range(histogram_bucket(v), &lo, &hi);
		cr_assert(lo <= v && v <= hi, "v %llu not in [%llu, %llu]",
		    (unsigned long long) v, (unsigned long long) lo,
		    (unsigned long long) hi);
		cr_assert_leq((double) (hi - lo + 1), (double) lo / 128.0 + 1.0);
	}
	uint64_t lo, hi;
	histogram_bucket_range(histogram_bucket(UINT64_MAX), &lo, &hi);
	cr_assert_eq(hi, UINT64_MAX);
}

Test(histogram, buckets_are_contiguous_and_increasing)
{
	uint64_t prev_hi = 0;
	uint32_t last = histogram_bucket(UINT64_MAX);
	for (uint32_t b = 0; b <= last; b++) {
		uint64_t lo, hi;
		histogram_bucket_range(b, &lo, &hi);
		if (b > 0)
			cr_assert_eq(lo, prev_hi + 1, "bucket %u", b);
		cr_assert_eq(histogram_bucket(lo), b);
		cr_assert_eq(histogram_bucket(hi), b);
		prev_hi = hi;
	}
	cr_assert_eq(prev_hi, UINT64_MAX);
}

Test(histogram, small_values_are_exact)
{
	uint64_t *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++)
		v[i] = rng() % 256;
	cr_assert_eq(check(v, N, "small"), 0.0);
	free(v);
}

Test(histogram, uniform_percentiles_are_within_1_percent)
{
	uint64_t *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++)
		v[i] = 1000 + rng() % 10000000; /* 1 us .. 10 ms in ns */
	check(v, N, "uniform");
	free(v);
}

Test(histogram, exponential_percentiles_are_within_1_percent)
{
	uint64_t *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++)
		v[i] = 20000 + (uint64_t) (-log(unit()) * 50000.0); /* mean 70 us */
	check(v, N, "exponential");
	free(v);
}

Test(histogram, log_uniform_over_nine_decades_is_within_1_percent)
{
	uint64_t *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++)
		v[i] = (uint64_t) pow(10.0, 1.0 + 9.0 * unit()); /* 10 ns .. 10 s */
	check(v, N, "log-uniform");
	free(v);
}

Test(histogram, bimodal_tail_is_within_1_percent)
{
	uint64_t *v = malloc(N * sizeof(*v));
	for (size_t i = 0; i < N; i++)
		v[i] = (rng() % 100 == 0) ? 3000000 + rng() % 1000000 : 40000 + rng() % 20000;
	check(v, N, "bimodal");
	free(v);
}

Test(histogram, a_constant_is_reported_exactly)
{
	histogram *h = histogram_alloc();
	for (int i = 0; i < 1000; i++)
		histogram_record(h, 123457);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		cr_assert_eq(histogram_percentile(h, pcts[i]), 123457);
	cr_assert_float_eq(histogram_mean(h), 123457.0, 1e-6);
	histogram_free(h);
}

Test(histogram, merge_equals_recording_everything_in_one)
{
	histogram *a = histogram_alloc(), *b = histogram_alloc(), *all = histogram_alloc();
	for (int i = 0; i < 50000; i++) {
		uint64_t x = rng() % 5000000, y = 1000000 + rng() % 9000000;
		histogram_record(a, x);
		histogram_record(b, y);
		histogram_record(all, x);
		histogram_record(all, y);
	}
	histogram_merge(a, b);
	cr_assert_eq(histogram_count(a), histogram_count(all));
	cr_assert_eq(histogram_min(a), histogram_min(all));
	cr_assert_eq(histogram_max(a), histogram_max(all));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		cr_assert_eq(histogram_percentile(a, pcts[i]), histogram_percentile(all, pcts[i]));
	histogram_free(a);
	histogram_free(b);
	histogram_free(all);
}

Test(histogram, empty_reports_zero)
{
	histogram *h = histogram_alloc();
	cr_assert_eq(histogram_count(h), 0);
	cr_assert_eq(histogram_percentile(h, 50), 0);
	cr_assert_eq(histogram_max(h), 0);
	cr_assert_float_eq(histogram_mean(h), 0.0, 1e-12);
	histogram_free(h);
}
