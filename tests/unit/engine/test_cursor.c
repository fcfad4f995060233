/* test_cursor.c - ack floor and acked ranges. */
#include <criterion/criterion.h>

#include "cursor.h"

static void
ack(cursor *c, uint64_t off, int want_fresh)
{
	int fresh;
	cr_assert_eq(cursor_ack(c, off, &fresh), SLUICE_OK);
	cr_assert_eq(fresh, want_fresh, "offset %llu", (unsigned long long) off);
}

Test(cursor, in_order_acks_move_the_floor_and_keep_no_ranges)
{
	cursor c;
	cursor_init(&c, 10);
	for (uint64_t i = 10; i < 1000; i++)
		ack(&c, i, 1);
	cr_assert_eq(c.floor, 1000);
	cr_assert_eq(cursor_holes(&c), 0);
	ack(&c, 5, 0);
	ack(&c, 999, 0);
	cursor_fini(&c);
}

Test(cursor, holes_are_ranges_and_fill_into_the_floor)
{
	cursor c;
	cursor_init(&c, 0);
	ack(&c, 2, 1);
	ack(&c, 3, 1);
	ack(&c, 7, 1);
	ack(&c, 5, 1);
	ack(&c, 3, 0);
	cr_assert_eq(c.floor, 0);
	cr_assert_eq(cursor_holes(&c), 3); /* [2,4) [5,6) [7,8) */
	cr_assert(cursor_is_acked(&c, 2));
	cr_assert_not(cursor_is_acked(&c, 4));
	cr_assert_eq(cursor_next_unacked(&c, 2), 4);
	cr_assert_eq(cursor_next_unacked(&c, 4), 4);
	ack(&c, 6, 1); /* joins [5,6) and [7,8) */
	cr_assert_eq(cursor_holes(&c), 2);
	ack(&c, 4, 1); /* joins [2,4) and [5,8) */
	cr_assert_eq(cursor_holes(&c), 1);
	ack(&c, 0, 1);
	ack(&c, 1, 1); /* everything up to 8 */
	cr_assert_eq(c.floor, 8);
	cr_assert_eq(cursor_holes(&c), 0);
	cursor_fini(&c);
}

Test(cursor, memory_follows_holes_not_acks)
{
	cursor c;
	cursor_init(&c, 0);
	/* Every other offset acked: 50,000 holes... */
	for (uint64_t i = 1; i < 100000; i += 2)
		ack(&c, i, 1);
	cr_assert_eq(cursor_holes(&c), 50000);
	/* ...filled in reverse: it all collapses into the floor. */
	for (uint64_t i = 99998;; i -= 2) {
		ack(&c, i, 1);
		if (i == 0)
			break;
	}
	cr_assert_eq(c.floor, 100000);
	cr_assert_eq(cursor_holes(&c), 0);
	cursor_fini(&c);
}

Test(cursor, ack_below_is_cumulative)
{
	cursor c;
	cursor_init(&c, 0);
	ack(&c, 20, 1);
	ack(&c, 30, 1);
	cursor_ack_below(&c, 21);
	cr_assert_eq(c.floor, 21);
	cr_assert_eq(cursor_holes(&c), 1);
	cursor_ack_below(&c, 5); /* never moves back */
	cr_assert_eq(c.floor, 21);
	cursor_ack_below(&c, 30);
	cr_assert_eq(c.floor, 31, "the range at 30 folds in");
	cursor_fini(&c);
}
