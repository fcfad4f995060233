/*
 * test_ratelimit.c - a subscription's dispatch rate limit (ratelimit.c)
 * with a fake clock and a fake timer schedule: what a round may send, the
 * counter of held-back rounds, and when the subscription is woken.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sub_impl.h"

static uint64_t scheduled_at;
static int nscheduled;

void
subs_schedule(subs *s, subscription *sub, uint64_t at_ms)
{
	(void) s;
	(void) sub;
	scheduled_at = at_ms;
	nscheduled++;
}

static subs s;
static subscription sub;

static void
setup(uint64_t msgs, uint64_t bytes)
{
	ratelimit_free(&sub);
	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	sub.limit = (sub_limit) { msgs, bytes };
	scheduled_at = 0;
	nscheduled = 0;
}

static void
teardown(void)
{
	ratelimit_free(&sub);
}

TestSuite(ratelimit, .fini = teardown, .timeout = 10);

Test(ratelimit, no_limit_lets_everything_go_and_keeps_no_state)
{
	setup(0, 0);
	cr_assert_eq(ratelimit_take(&s, &sub, 500, 0, 0), 500);
	cr_assert_null(sub.limiter);
	cr_assert_eq(ratelimit_byte_room(&sub), SIZE_MAX);
	cr_assert_eq(ratelimit_wait_ms(&sub, 0), 0);
	cr_assert_eq(sub.rate_limited, 0);
}

Test(ratelimit, a_new_limiter_starts_at_the_rate_not_with_a_burst)
{
	setup(100, 0);
	cr_assert_eq(ratelimit_take(&s, &sub, 50, 0, 1000), 1);
	cr_assert_eq(sub.rate_limited, 1);
	cr_assert_eq(nscheduled, 0, "it sent one: the next fetch comes back");
	cr_assert_eq(ratelimit_take(&s, &sub, 50, 0, 1005), 0);
	cr_assert_eq(nscheduled, 1);
	cr_assert_eq(scheduled_at, 1010, "one message every 10 ms");
	cr_assert_eq(ratelimit_wait_ms(&sub, 1005), 5);
	cr_assert_eq(ratelimit_take(&s, &sub, 50, 0, 1500), 50);
	cr_assert_eq(sub.rate_limited, 2);
}

Test(ratelimit, unused_messages_are_given_back)
{
	setup(100, 0);
	cr_assert_eq(ratelimit_take(&s, &sub, 1, 0, 0), 1);
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 5000), 100);
	/* Caught up after 3: the other 97 were not used. */
	ratelimit_settle(&sub, 97, 0, 5000);
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 5000), 97);
	cr_assert_eq(sub.rate_limited, 1);
}

Test(ratelimit, the_byte_limit_allows_records_while_positive_and_debits_after)
{
	setup(0, 1000);
	cr_assert_eq(ratelimit_take(&s, &sub, 10, 0, 0), 10);
	cr_assert_eq(ratelimit_byte_room(&sub), 1, "just positive");
	ratelimit_settle(&sub, 9, 400, 0); /* one record of 400 bytes went */
	cr_assert_eq(ratelimit_take(&s, &sub, 10, 0, 100), 0, "400 bytes of debt");
	cr_assert_eq(scheduled_at, 400, "positive again after 400 ms");
	cr_assert_eq(sub.rate_limited, 1);
	cr_assert_eq(ratelimit_take(&s, &sub, 10, 0, 600), 10);
	cr_assert_eq(ratelimit_byte_room(&sub), 201);
	ratelimit_settle(&sub, 0, 250, 600);
	cr_assert_eq(ratelimit_byte_room(&sub), 0);
	cr_assert_eq(ratelimit_wait_ms(&sub, 600), 50);
}

Test(ratelimit, both_limits_hold_the_round_until_both_allow)
{
	setup(10, 100);
	cr_assert_eq(ratelimit_take(&s, &sub, 5, 0, 0), 1);
	ratelimit_settle(&sub, 0, 300, 0);
	/* A message token after 100 ms, the bytes positive after 2.99 s. */
	cr_assert_eq(ratelimit_take(&s, &sub, 5, 0, 100), 0);
	cr_assert_eq(scheduled_at, 2991);
	cr_assert_eq(ratelimit_take(&s, &sub, 5, 0, 2990), 0);
	cr_assert_eq(ratelimit_take(&s, &sub, 5, 0, 2991), 5);
}

Test(ratelimit, changing_or_lifting_the_limit_takes_effect_at_once)
{
	setup(10, 0);
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 0), 1);
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 10000), 10);
	sub.limit.msgs_per_sec = 1000;
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 10000), 0);
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 10050), 50, "at the new rate");
	sub.limit.msgs_per_sec = 0;
	cr_assert_eq(ratelimit_take(&s, &sub, 100, 0, 10050), 100);
	cr_assert_null(sub.limiter, "lifted: the state is freed");
}
