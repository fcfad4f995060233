/*
 * test_breaker.c - the per-consumer circuit breaker's state machine,
 * driven with a fake clock. breaker.c is built into this test alone, with
 * fakes for what it calls in the rest of the engine (the timer schedule,
 * topic names).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sub_impl.h"

static uint64_t scheduled_at;
static int nscheduled;

/* Fake of retry.c's timer schedule: remembers the last request. */
void
subs_schedule(subs *s, subscription *sub, uint64_t at_ms)
{
	(void) s;
	(void) sub;
	scheduled_at = at_ms;
	nscheduled++;
}

const char *
tlog_topic_name(const tlog_topic *t)
{
	(void) t;
	return "orders";
}

static subs s;
static subscription sub;
static consumer c;

static void
setup(uint32_t failures, uint32_t cooldown_ms, uint32_t cooldown_max_ms)
{
	breaker_free(&c);
	memset(&s, 0, sizeof(s));
	memset(&sub, 0, sizeof(sub));
	memset(&c, 0, sizeof(c));
	sub.name = (char *) "audit";
	sub.breaker = (sub_breaker) { failures, cooldown_ms, cooldown_max_ms };
	c.sub = &sub;
	c.id = 7;
	c.name = (char *) "worker-a";
	scheduled_at = 0;
	nscheduled = 0;
}

static void
teardown(void)
{
	breaker_free(&c);
}

TestSuite(breaker, .fini = teardown, .timeout = 10);

/* Whether c may receive at now; *max gets the clamp. */
static int
allows(uint64_t now, size_t *max)
{
	size_t m;
	int ok = breaker_allows(&s, &c, now, &m);
	if (max != NULL)
		*max = m;
	return ok;
}

static void
fail_n(int n, uint64_t now)
{
	for (int i = 0; i < n; i++)
		breaker_on_result(&s, &c, 0, now);
}

Test(breaker, opens_after_k_consecutive_failures_and_a_success_resets_the_count)
{
	setup(3, 1000, 60000);
	size_t max;
	fail_n(2, 100);
	breaker_on_result(&s, &c, 1, 100);
	fail_n(2, 100);
	cr_assert(allows(100, &max), "2 failures since the success: still closed");
	cr_assert_eq(max, SIZE_MAX);
	breaker_on_result(&s, &c, 0, 150);
	cr_assert_not(allows(150, NULL), "3 in a row: open");
	cr_assert_not(breaker_admits(&c), "the dispatchers skip it too");
	cr_assert_eq(s.breaker_opens, 1);
	cr_assert_eq(nscheduled, 1);
	cr_assert_eq(scheduled_at, 1150, "the sub is woken when the cool-down ends");
	cr_assert(breaker_is_open(&c, 1149));
}

Test(breaker, a_healthy_consumer_keeps_no_state)
{
	setup(3, 1000, 60000);
	for (int i = 0; i < 100; i++)
		breaker_on_result(&s, &c, 1, (uint64_t) i);
	cr_assert_null(c.breaker);
	breaker_on_result(&s, &c, 0, 100);
	cr_assert_not_null(c.breaker);
	breaker_on_result(&s, &c, 1, 101);
	cr_assert_null(c.breaker, "a success while closed forgets the failures");
}

Test(breaker, half_open_after_the_cooldown_lets_exactly_one_probe_and_success_closes)
{
	setup(2, 1000, 60000);
	size_t max;
	fail_n(2, 0);
	cr_assert_not(allows(999, NULL));
	cr_assert(allows(1000, &max), "cool-down over: half-open");
	cr_assert_eq(max, 1, "one probe");
	cr_assert(allows(1000, &max), "asking again before it went out changes nothing");
	cr_assert_eq(max, 1);
	c.delivered++; /* the probe goes out */
	cr_assert_not(allows(1001, NULL), "nothing more until the probe's result");
	cr_assert(breaker_is_open(&c, 1001));
	breaker_on_result(&s, &c, 1, 1500);
	cr_assert(allows(1500, &max), "the probe succeeded: closed");
	cr_assert_eq(max, SIZE_MAX);
	cr_assert_not(breaker_is_open(&c, 1500));

	/* The cool-down was reset: the next open lasts the base again. */
	fail_n(2, 2000);
	cr_assert_eq(scheduled_at, 3000);
	cr_assert_eq(s.breaker_opens, 2);
}

Test(breaker, a_failed_probe_reopens_with_a_doubled_cooldown_up_to_the_cap)
{
	setup(1, 1000, 3000);
	size_t max;
	breaker_on_result(&s, &c, 0, 0);
	cr_assert_eq(scheduled_at, 1000);
	cr_assert(allows(1000, &max));
	c.delivered++;
	breaker_on_result(&s, &c, 0, 1100);
	cr_assert_eq(scheduled_at, 3100, "doubled: 2000 ms");
	cr_assert_not(allows(3099, NULL));
	cr_assert(allows(3100, &max));
	c.delivered++;
	breaker_on_result(&s, &c, 0, 3200);
	cr_assert_eq(scheduled_at, 6200, "4000 ms capped at 3000");
	cr_assert(allows(6200, &max));
	c.delivered++;
	breaker_on_result(&s, &c, 0, 6300);
	cr_assert_eq(scheduled_at, 9300, "stays at the cap");
	cr_assert_eq(s.breaker_opens, 4);
}

Test(breaker, results_while_open_do_not_change_the_cooldown)
{
	setup(2, 1000, 60000);
	fail_n(2, 0);
	fail_n(5, 500);               /* what it held before opening fails too */
	breaker_on_result(&s, &c, 1, 600); /* a late ack of an old delivery */
	cr_assert_not(allows(999, NULL));
	cr_assert(allows(1000, NULL));
	cr_assert_eq(s.breaker_opens, 1);
}

Test(breaker, describe_reports_the_state_time_left_and_failures)
{
	setup(3, 1000, 60000);
	const char *st;
	uint64_t left;
	uint32_t fails;
	breaker_describe(&c, 0, &st, &left, &fails);
	cr_assert_str_eq(st, "closed");
	cr_assert_eq(left, 0);
	cr_assert_eq(fails, 0);
	fail_n(2, 0);
	breaker_describe(&c, 0, &st, &left, &fails);
	cr_assert_str_eq(st, "closed");
	cr_assert_eq(fails, 2);
	fail_n(1, 100);
	breaker_describe(&c, 400, &st, &left, &fails);
	cr_assert_str_eq(st, "open");
	cr_assert_eq(left, 700);
	cr_assert_eq(fails, 3);
	breaker_describe(&c, 1100, &st, &left, &fails);
	cr_assert_str_eq(st, "half_open", "past its cool-down it waits for the probe");
	cr_assert_eq(left, 0);
}

Test(breaker, zero_failures_turns_it_off_and_closes_an_open_one)
{
	setup(0, 1000, 60000);
	fail_n(100, 0);
	cr_assert(allows(0, NULL));
	cr_assert_null(c.breaker);

	setup(2, 1000, 60000);
	fail_n(2, 0);
	cr_assert_not(allows(10, NULL));
	sub.breaker.failures = 0; /* an operator turned it off */
	cr_assert(breaker_admits(&c));
	cr_assert(allows(10, NULL));
	cr_assert_null(c.breaker);
	cr_assert_not(breaker_is_open(&c, 10));
}

Test(breaker, admits_uses_the_engines_loop_time)
{
	setup(1, 500, 60000);
	s.now_ms = 1000;
	breaker_on_result(&s, &c, 0, 1000);
	cr_assert_not(breaker_admits(&c));
	s.now_ms = 1499;
	cr_assert_not(breaker_admits(&c));
	s.now_ms = 1500;
	cr_assert(breaker_admits(&c), "half-open: the probe may go");
	c.delivered++;
	cr_assert_not(breaker_admits(&c));
}
