/*
 * test_policy.c - failure-policy resolution and the backoff schedule
 * (engine/subs/policy.c), the engine's timer heap (util/timeheap.c), and
 * making a parked offset unacked again (cursor_unack).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cursor.h"
#include "policy.h"
#include "timeheap.h"

TestSuite(policy_unit, .timeout = 30);

static sub_policy p;
static sub_limit l;
static sub_breaker b;

static void
fresh(void)
{
	policy_defaults(&p, &l, &b);
	const policy_update none = { NULL, NULL, NULL };
	char d[256];
	cr_assert_eq(policy_apply(&p, &l, &b, &none, "orders", "billing", d, sizeof(d)),
	    SLUICE_OK, "%s", d);
}

Test(policy_unit, defaults_match_the_documentation)
{
	fresh();
	cr_assert_eq(p.ack_timeout_ms, 30000);
	cr_assert_eq(p.backoff, SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL);
	cr_assert_eq(p.backoff_base_ms, 1000);
	cr_assert_eq(p.backoff_max_ms, 60000);
	cr_assert_eq(p.max_redeliveries, 5);
	cr_assert_eq(p.on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER);
	cr_assert_str_eq(p.dead_letter_topic, "orders.billing.dlq");
	cr_assert_eq(b.failures, 5);
	cr_assert_eq(l.msgs_per_sec, 0);
	policy_fini(&p);
}

Test(policy_unit, exponential_backoff_doubles_and_caps_fixed_stays)
{
	fresh();
	cr_assert_eq(policy_backoff_ms(&p, 1), 1000);
	cr_assert_eq(policy_backoff_ms(&p, 2), 2000);
	cr_assert_eq(policy_backoff_ms(&p, 4), 8000);
	cr_assert_eq(policy_backoff_ms(&p, 7), 60000, "capped at max");
	cr_assert_eq(policy_backoff_ms(&p, 1000), 60000, "no overflow on many attempts");
	p.backoff = SLUICE__BACKOFF_KIND__BACKOFF_FIXED;
	cr_assert_eq(policy_backoff_ms(&p, 5), 1000);
	p.jitter_pct = 10;
	for (int i = 0; i < 1000; i++) {
		uint64_t d = policy_backoff_ms(&p, 3);
		cr_assert(d >= 900 && d <= 1100, "jittered delay %llu", (unsigned long long) d);
	}
	policy_fini(&p);
}

Test(policy_unit, unset_fields_keep_values_and_bad_ones_change_nothing)
{
	fresh();
	Sluice__U32 v = SLUICE__U32__INIT;
	Sluice__FailurePolicy fp = SLUICE__FAILURE_POLICY__INIT;
	v.value = 0;
	fp.max_redeliveries = &v; /* 0 = unlimited, a real value */
	fp.on_exhausted = SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK;
	policy_update u = { &fp, NULL, NULL };
	char d[256];
	cr_assert_eq(policy_apply(&p, &l, &b, &u, "orders", "billing", d, sizeof(d)), SLUICE_OK);
	cr_assert_eq(p.max_redeliveries, 0);
	cr_assert_eq(p.on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK);
	cr_assert_eq(p.ack_timeout_ms, 30000, "unset: kept");

	Sluice__U32 j = SLUICE__U32__INIT;
	Sluice__FailurePolicy bad = SLUICE__FAILURE_POLICY__INIT;
	j.value = 101;
	bad.backoff_jitter_pct = &j;
	u.policy = &bad;
	cr_assert_eq(policy_apply(&p, &l, &b, &u, "orders", "billing", d, sizeof(d)), SLUICE_EINVAL);
	cr_assert(strstr(d, "jitter") != NULL, "%s", d);
	Sluice__U32 lo = SLUICE__U32__INIT;
	Sluice__FailurePolicy inv = SLUICE__FAILURE_POLICY__INIT;
	lo.value = 10;
	inv.backoff_max_ms = &lo; /* below the base (1000) */
	u.policy = &inv;
	cr_assert_eq(policy_apply(&p, &l, &b, &u, "orders", "billing", d, sizeof(d)), SLUICE_EINVAL);
	Sluice__FailurePolicy self = SLUICE__FAILURE_POLICY__INIT;
	self.dead_letter_topic = (char *) "orders";
	u.policy = &self;
	cr_assert_eq(policy_apply(&p, &l, &b, &u, "orders", "billing", d, sizeof(d)), SLUICE_EINVAL,
	    "dead letters into the topic itself would loop");
	cr_assert_eq(p.on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK, "unchanged by failures");
	cr_assert_eq(p.backoff_max_ms, 60000);

	policy_wire w;
	policy_to_wire(&p, &l, &b, &w);
	cr_assert_eq(w.policy.max_redeliveries->value, 0);
	cr_assert_eq(w.policy.on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK);
	cr_assert_str_eq(w.policy.dead_letter_topic, "orders.billing.dlq");
	policy_fini(&p);
}

Test(policy_unit, timeheap_pops_in_due_order)
{
	timeheap h;
	timeheap_init(&h);
	uint64_t dues[] = { 50, 10, 40, 10, 30, 20, 60, 0 };
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(timeheap_push(&h, dues[i], i), SLUICE_OK);
	uint64_t last = 0;
	for (size_t i = 0; i < 8; i++) {
		timeheap_entry e = timeheap_pop(&h);
		cr_assert_geq(e.due, last);
		cr_assert_eq(dues[e.id], e.due);
		last = e.due;
	}
	cr_assert_eq(h.n, 0);
	timeheap_fini(&h);
}

Test(policy_unit, cursor_unack_reopens_an_offset_below_or_above_the_floor)
{
	cursor c;
	cursor_init(&c, 0);
	int fresh_ack;
	for (uint64_t o = 0; o < 10; o++)
		cr_assert_eq(cursor_ack(&c, o, &fresh_ack), SLUICE_OK);
	cr_assert_eq(cursor_ack(&c, 15, &fresh_ack), SLUICE_OK);
	cr_assert_eq(c.floor, 10);
	cr_assert_eq(cursor_unack(&c, 4), SLUICE_OK);
	cr_assert_eq(c.floor, 4);
	cr_assert(!cursor_is_acked(&c, 4));
	for (uint64_t o = 5; o < 10; o++)
		cr_assert(cursor_is_acked(&c, o), "offset %llu stays acked", (unsigned long long) o);
	cr_assert(!cursor_is_acked(&c, 10));
	cr_assert(cursor_is_acked(&c, 15));
	cr_assert_eq(cursor_unack(&c, 15), SLUICE_OK);
	cr_assert(!cursor_is_acked(&c, 15));
	cr_assert_eq(cursor_ack(&c, 4, &fresh_ack), SLUICE_OK);
	cr_assert_eq(c.floor, 10, "acking it again closes the gap");
	cursor_fini(&c);
}
