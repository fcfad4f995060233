/* test_tokenbucket.c - token buckets: refill by elapsed time, the burst,
 * debts, and no drift however the time is sliced. */
#include <criterion/criterion.h>

#include "tokenbucket.h"

Test(tokenbucket, refills_at_the_rate_from_empty)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 1000, 0, 5000);
	cr_assert_eq(tokenbucket_available(&tb, 5000), 0);
	cr_assert_eq(tokenbucket_available(&tb, 5001), 1);
	cr_assert_eq(tokenbucket_available(&tb, 5250), 250);
	cr_assert(tokenbucket_take(&tb, 250, 5250));
	cr_assert_eq(tokenbucket_available(&tb, 5250), 0);
	cr_assert_not(tokenbucket_take(&tb, 1, 5250));
	cr_assert_eq(tokenbucket_wait_ms(&tb, 10, 5250), 10);
	cr_assert(tokenbucket_take(&tb, 10, 5260));
}

Test(tokenbucket, burst_is_one_seconds_worth)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 500, 0, 0);
	cr_assert_eq(tokenbucket_available(&tb, 60000), 500, "an idle minute still gives one second");
	cr_assert(tokenbucket_take(&tb, 500, 60000));
	cr_assert_not(tokenbucket_take(&tb, 1, 60000));
	/* Initial tokens are capped at the burst too. */
	tokenbucket_init(&tb, 10, 1000, 0);
	cr_assert_eq(tokenbucket_available(&tb, 0), 10);
}

Test(tokenbucket, slow_rates_refill_fractions_exactly)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 3, 0, 0); /* one token every 333.3 ms */
	cr_assert_eq(tokenbucket_available(&tb, 333), 0);
	cr_assert_eq(tokenbucket_available(&tb, 334), 1);
	cr_assert_eq(tokenbucket_wait_ms(&tb, 2, 334), 333);
	cr_assert_eq(tokenbucket_available(&tb, 666), 1);
	cr_assert_eq(tokenbucket_available(&tb, 667), 2);
	cr_assert_eq(tokenbucket_available(&tb, 1000), 3);
}

Test(tokenbucket, many_small_steps_do_not_drift)
{
	/* 7 tokens/s refilled every millisecond for an hour, taking whatever
	 * is there: exactly 7 * 3600 tokens, as one big step would give. */
	tokenbucket tb;
	uint64_t taken = 0;
	tokenbucket_init(&tb, 7, 0, 1);
	for (uint64_t now = 1; now <= 1 + 3600 * 1000; now++) {
		uint64_t a = tokenbucket_available(&tb, now);
		if (a > 0) {
			cr_assert(tokenbucket_take(&tb, a, now));
			taken += a;
		}
	}
	cr_assert_eq(taken, 7 * 3600, "got %llu", (unsigned long long) taken);

	/* Irregular steps at a high rate: same total as the elapsed time. */
	tokenbucket_init(&tb, 1000003, 0, 0);
	taken = 0;
	uint64_t now = 0;
	for (int i = 0; i < 100000; i++) {
		now += (uint64_t) (i % 7 == 0 ? 0 : i % 3 + 1);
		uint64_t a = tokenbucket_available(&tb, now);
		tokenbucket_debit(&tb, a, now);
		taken += a;
	}
	cr_assert_eq(taken, now * 1000003 / 1000, "got %llu in %llu ms",
	    (unsigned long long) taken, (unsigned long long) now);
}

Test(tokenbucket, a_request_above_the_burst_waits_for_a_full_bucket_then_leaves_a_debt)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 100, 0, 0);
	cr_assert_not(tokenbucket_take(&tb, 250, 999));
	cr_assert_eq(tokenbucket_wait_ms(&tb, 250, 999), 1);
	cr_assert(tokenbucket_take(&tb, 250, 1000));
	/* 150 tokens of debt: the next one comes after 1.51 s. */
	cr_assert_eq(tokenbucket_available(&tb, 2500), 0);
	cr_assert_eq(tokenbucket_wait_ms(&tb, 1, 2500), 10);
	cr_assert_eq(tokenbucket_positive_in_ms(&tb, 2500), 1);
	cr_assert(tokenbucket_take(&tb, 1, 2510));
}

Test(tokenbucket, credit_gives_back_unused_tokens_up_to_the_burst)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 100, 100, 0);
	cr_assert(tokenbucket_take(&tb, 60, 0));
	tokenbucket_credit(&tb, 20);
	cr_assert_eq(tokenbucket_available(&tb, 0), 60);
	tokenbucket_credit(&tb, 1000);
	cr_assert_eq(tokenbucket_available(&tb, 0), 100);
}

Test(tokenbucket, rate_zero_is_unlimited_and_rate_changes_keep_the_level)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 0, 0, 0);
	cr_assert(tokenbucket_take(&tb, UINT64_MAX, 0));
	cr_assert_eq(tokenbucket_available(&tb, 0), UINT64_MAX);
	cr_assert_eq(tokenbucket_wait_ms(&tb, 5, 0), 0);

	tokenbucket_init(&tb, 1000, 1000, 0);
	tokenbucket_set_rate(&tb, 10, 0);
	cr_assert_eq(tokenbucket_available(&tb, 0), 10, "capped at the new burst");
	tokenbucket_set_rate(&tb, 2000, 0);
	cr_assert_eq(tokenbucket_available(&tb, 5), 20);
}

Test(tokenbucket, a_clock_that_goes_back_refills_nothing)
{
	tokenbucket tb;
	tokenbucket_init(&tb, 1000, 0, 1000);
	cr_assert_eq(tokenbucket_available(&tb, 1100), 100);
	cr_assert_eq(tokenbucket_available(&tb, 900), 100);
	cr_assert_eq(tokenbucket_available(&tb, 1100), 100, "no time counted twice");
	cr_assert_eq(tokenbucket_available(&tb, 1101), 101);
}

Test(tokenbucket, huge_rates_and_requests_stay_in_range)
{
	tokenbucket tb;
	tokenbucket_init(&tb, UINT64_MAX, UINT64_MAX, 0);
	cr_assert_eq(tokenbucket_available(&tb, 0), TOKENBUCKET_MAX_RATE);
	for (int i = 0; i < 100; i++)
		tokenbucket_debit(&tb, UINT64_MAX, 0);
	cr_assert_eq(tokenbucket_available(&tb, UINT64_MAX / 2), TOKENBUCKET_MAX_RATE);
}
