/*
 * test_units.c - the text forms of sluice-admin (tools/admin/units.c):
 * RFC 3339 times (offsets, fractions, leap days, the edges of the year
 * range, what RFC 3339 forbids), durations, sizes, positions, percentages,
 * the subscription kind names and the failure policy names; formatting
 * parses back to the same value.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "units.h"

TestSuite(units, .timeout = 30);

#define S 1000000LL /* microseconds per second */

static int64_t
t3339(const char *s)
{
	int64_t us = 42;
	cr_assert_eq(units_parse_rfc3339(s, &us), 0, "refused: %s", s);
	return us;
}

static void
bad3339(const char *s)
{
	int64_t us = 42;
	cr_assert_eq(units_parse_rfc3339(s, &us), -1, "accepted: %s", s);
	cr_assert_eq(us, 42, "written on failure: %s", s);
}

Test(units, rfc3339_utc_times_are_microseconds_since_the_epoch)
{
	cr_assert_eq(t3339("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(t3339("2026-11-22T10:00:00Z"), 1795341600 * S);
	cr_assert_eq(t3339("2000-02-29T12:34:56Z"), 951827696 * S);
	cr_assert_eq(t3339("9999-12-31T23:59:59Z"), 253402300799 * S);
	cr_assert_eq(t3339("0000-01-01T00:00:00Z"), -719528LL * 86400 * S);
	cr_assert_eq(t3339("1969-12-31T23:59:59Z"), -1 * S);
}

Test(units, rfc3339_offsets_are_converted_to_utc)
{
	int64_t utc = t3339("2026-11-22T10:00:00Z");
	cr_assert_eq(t3339("2026-11-22T12:00:00+02:00"), utc);
	cr_assert_eq(t3339("2026-11-22T04:30:00-05:30"), utc);
	cr_assert_eq(t3339("2026-11-22T10:00:00+00:00"), utc);
	cr_assert_eq(t3339("2026-11-22T10:00:00-00:00"), utc);
	/* Across midnight and the year. */
	cr_assert_eq(t3339("2027-01-01T01:00:00+02:00"),
	    t3339("2026-12-31T23:00:00Z"));
}

Test(units, rfc3339_fractions_keep_microseconds_and_drop_the_rest)
{
	int64_t base = t3339("2026-11-22T10:00:00Z");
	cr_assert_eq(t3339("2026-11-22T10:00:00.25Z"), base + 250000);
	cr_assert_eq(t3339("2026-11-22T10:00:00.000001Z"), base + 1);
	cr_assert_eq(t3339("2026-11-22T10:00:00.1234567Z"), base + 123456);
	cr_assert_eq(t3339("2026-11-22T12:00:00.5+02:00"), base + 500000);
	cr_assert_eq(t3339("1969-12-31T23:59:59.5Z"), -500000);
}

Test(units, rfc3339_accepts_lowercase_and_a_space_separator)
{
	int64_t base = t3339("2026-11-22T10:00:00Z");
	cr_assert_eq(t3339("2026-11-22t10:00:00z"), base);
	cr_assert_eq(t3339("2026-11-22 10:00:00Z"), base);
	/* A leap second is the next minute's second 0. */
	cr_assert_eq(t3339("2016-12-31T23:59:60Z"), t3339("2017-01-01T00:00:00Z"));
}

Test(units, rfc3339_refuses_what_is_not_a_full_date_time)
{
	bad3339("");
	bad3339("2026-11-22");
	bad3339("2026-11-22T10:00:00");      /* no offset */
	bad3339("2026-11-22T10:00Z");        /* no seconds */
	bad3339("2026-11-22T10:00:00.Z");    /* empty fraction */
	bad3339("2026-11-22T10:00:00+2:00");
	bad3339("2026-11-22T10:00:00+0200");
	bad3339("2026-11-22T10:00:00+24:00");
	bad3339("2026-11-22T10:00:00Zjunk");
	bad3339("2026-13-01T00:00:00Z");
	bad3339("2026-00-01T00:00:00Z");
	bad3339("2026-04-31T00:00:00Z");
	bad3339("2023-02-29T00:00:00Z");     /* not a leap year */
	bad3339("2100-02-29T00:00:00Z");     /* centuries are not */
	bad3339("2026-11-22T24:00:00Z");
	bad3339("2026-11-22T10:60:00Z");
	bad3339("2026-11-22T10:00:61Z");
	bad3339("26-11-22T10:00:00Z");
	bad3339("+2026-11-22T10:00:00Z");
	bad3339("2026/11/22T10:00:00Z");
	cr_assert_eq(t3339("2000-02-29T00:00:00Z") + 86400 * S,
	    t3339("2000-03-01T00:00:00Z"));
}

Test(units, rfc3339_formatting_parses_back_to_the_same_time)
{
	char buf[64];
	units_format_rfc3339(1795341600 * S + 250000, 3, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22T10:00:00.250Z");
	units_format_rfc3339(-500000, 6, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1969-12-31T23:59:59.500000Z");
	units_format_rfc3339(0, 0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");

	/* Every day from 1600 to 2400 at a varying time of day. */
	for (int64_t us = -11676096000LL * S; us < 13569465600LL * S;
	     us += 86400 * S + 3723 * S + 123457) {
		units_format_rfc3339(us, 6, buf, sizeof(buf));
		cr_assert_eq(t3339(buf), us, "%s", buf);
	}
}

Test(units, durations_take_units_from_milliseconds_to_weeks)
{
	static const struct {
		const char *s;
		int64_t     ms;
	} ok[] = {
		{ "0", 0 }, { "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 },
		{ "2h", 7200000 }, { "7d", 604800000 }, { "1w", 604800000 },
		{ "1h30m", 5400000 }, { "1d12h", 129600000 }, { "2H", 7200000 },
		{ "90s", 90000 }, { "0s", 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ms = -1;
		cr_assert_eq(units_parse_duration_ms(ok[i].s, &ms), 0, "%s", ok[i].s);
		cr_assert_eq(ms, ok[i].ms, "%s: %lld", ok[i].s, (long long) ms);
	}
	static const char *const bad[] = { "", "5", "5x", "m", "-5s", "5 s",
		"1.5h", "s5", "5s5", "999999999999999999d", "106751991168d" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms = -1;
		cr_assert_eq(units_parse_duration_ms(bad[i], &ms), -1, "%s", bad[i]);
		cr_assert_eq(ms, -1);
	}
}

Test(units, durations_format_to_a_form_that_parses_back)
{
	char buf[64];
	units_format_duration_ms(604800000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "7d");
	units_format_duration_ms(5400000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1h30m");
	units_format_duration_ms(1250, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1s250ms");
	units_format_duration_ms(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "0");
	units_format_duration_ms(-60000, buf, sizeof(buf));
	cr_assert_str_eq(buf, "-1m");
	for (int64_t ms = 1; ms < INT64_MAX / 3; ms = ms * 3 + 7) {
		int64_t back = -1;
		units_format_duration_ms(ms, buf, sizeof(buf));
		cr_assert_eq(units_parse_duration_ms(buf, &back), 0, "%s", buf);
		cr_assert_eq(back, ms, "%s", buf);
	}
}

Test(units, sizes_take_decimal_and_binary_units)
{
	static const struct {
		const char *s;
		uint64_t    bytes;
	} ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "10B", 10 }, { "1KB", 1000 },
		{ "1KiB", 1024 }, { "10k", 10240 }, { "100MiB", 104857600 },
		{ "100mib", 104857600 }, { "100 MiB", 104857600 },
		{ "1.5GB", 1500000000 }, { "1.5KiB", 1536 }, { "2T", 2ULL << 40 },
		{ "3TB", 3000000000000ULL }, { "0.000001KiB", 0 },
		{ "16777215TiB", 16777215ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t b = 7;
		cr_assert_eq(units_parse_size(ok[i].s, &b), 0, "%s", ok[i].s);
		cr_assert_eq(b, ok[i].bytes, "%s: %llu", ok[i].s,
		    (unsigned long long) b);
	}
	static const char *const bad[] = { "", "MiB", "-1", "1 ", "1.5", "1.5B",
		"1.1234567MiB", "1.MiB", "1PiB", "1XB", "16777216TiB",
		"18446744073709551616", "1  MiB" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b = 7;
		cr_assert_eq(units_parse_size(bad[i], &b), -1, "%s", bad[i]);
		cr_assert_eq(b, 7);
	}
}

Test(units, sizes_format_in_binary_units)
{
	char buf[32];
	units_format_size(512, buf, sizeof(buf));
	cr_assert_str_eq(buf, "512 B");
	units_format_size(1024, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1 KiB");
	units_format_size(1536, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1.5 KiB");
	units_format_size(104857600, buf, sizeof(buf));
	cr_assert_str_eq(buf, "100 MiB");
	units_format_size(UINT64_MAX, buf, sizeof(buf));
	cr_assert_str_eq(buf, "16.0 EiB");
}

Test(units, positions_are_earliest_latest_an_offset_or_a_time)
{
	units_pos p;
	cr_assert_eq(units_parse_position("earliest", &p), 0);
	cr_assert_eq(p.kind, UNITS_POS_EARLIEST);
	cr_assert_eq(units_parse_position("latest", &p), 0);
	cr_assert_eq(p.kind, UNITS_POS_LATEST);
	cr_assert_eq(units_parse_position("42", &p), 0);
	cr_assert_eq(p.kind, UNITS_POS_OFFSET);
	cr_assert_eq(p.offset, 42);
	cr_assert_eq(units_parse_position("2026-11-22T12:00:00+02:00", &p), 0);
	cr_assert_eq(p.kind, UNITS_POS_TIME);
	cr_assert_eq(p.time_us, 1795341600 * S);
	static const char *const bad[] = { "", "-1", "soon", "Earliest", "4 2",
		"2026-11-22" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(units_parse_position(bad[i], &p), -1, "%s", bad[i]);
}

Test(units, subscription_kinds_by_name_match_the_proto_values)
{
	int v;
	cr_assert_eq(units_parse_sub_type("exclusive", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(units_parse_sub_type("failover", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(units_parse_sub_type("shared", &v), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(units_parse_sub_type("Shared", &v), -1);
	cr_assert_eq(units_parse_sub_mode("reliable", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(units_parse_sub_mode("non-reliable", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(units_parse_sub_mode("nonreliable", &v), -1);
	cr_assert_str_eq(units_sub_type_name(2), "shared");
	cr_assert_str_eq(units_sub_mode_name(1), "non-reliable");
	cr_assert_str_eq(units_sub_type_name(7), "unknown");
}

Test(units, key_shared_and_failure_policy_names_match_the_proto_values)
{
	int v;
	cr_assert_eq(units_parse_sub_type("key_shared", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(units_parse_sub_type("key-shared", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(units_parse_sub_type("keyshared", &v), -1);
	cr_assert_str_eq(units_sub_type_name(3), "key_shared");
	cr_assert_str_eq(units_sub_type_name(4), "unknown");

	cr_assert_eq(units_parse_backoff("exponential", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(units_parse_backoff("fixed", &v), 0);
	cr_assert_eq(v, 2);
	v = 9;
	cr_assert_eq(units_parse_backoff("unset", &v), -1);
	cr_assert_eq(units_parse_backoff("Fixed", &v), -1);
	cr_assert_eq(units_parse_backoff(NULL, &v), -1);
	cr_assert_eq(v, 9, "written on failure");
	cr_assert_str_eq(units_backoff_name(1), "exponential");
	cr_assert_str_eq(units_backoff_name(0), "unset");
	cr_assert_str_eq(units_backoff_name(3), "unknown");

	static const char *const ex[] = { "dead_letter", "block", "drop", "park" };
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(units_parse_on_exhausted(ex[i], &v), 0, "%s", ex[i]);
		cr_assert_eq(v, i + 1);
		cr_assert_str_eq(units_on_exhausted_name(i + 1), ex[i]);
	}
	cr_assert_eq(units_parse_on_exhausted("dead-letter", &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(units_parse_on_exhausted("unset", &v), -1);
	cr_assert_eq(units_parse_on_exhausted("retry", &v), -1);
	cr_assert_eq(units_parse_on_exhausted(
	                 "a-name-far-longer-than-any-action-name", &v),
	    -1);
	cr_assert_str_eq(units_on_exhausted_name(0), "unset");
	cr_assert_str_eq(units_on_exhausted_name(5), "unknown");
}

Test(units, percentages_are_0_to_100_with_an_optional_sign)
{
	uint32_t p = 77;
	cr_assert_eq(units_parse_percent("0", &p), 0);
	cr_assert_eq(p, 0);
	cr_assert_eq(units_parse_percent("10", &p), 0);
	cr_assert_eq(p, 10);
	cr_assert_eq(units_parse_percent("100%", &p), 0);
	cr_assert_eq(p, 100);
	p = 77;
	static const char *const bad[] = { "", "%", "101", "-1", "1.5", "10 %",
		"10%%", "1000000", NULL };
	for (int i = 0; bad[i] != NULL; i++)
		cr_assert_eq(units_parse_percent(bad[i], &p), -1, "%s", bad[i]);
	cr_assert_eq(units_parse_percent(NULL, &p), -1);
	cr_assert_eq(p, 77, "written on failure");
}

Test(units, counts_are_plain_decimals)
{
	uint64_t v = 9;
	cr_assert_eq(units_parse_u64("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(units_parse_u64("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(units_parse_u64("18446744073709551616", &v), -1);
	cr_assert_eq(units_parse_u64("+1", &v), -1);
	cr_assert_eq(units_parse_u64(" 1", &v), -1);
	cr_assert_eq(units_parse_u64("1k", &v), -1);
	cr_assert_eq(units_parse_u64("", &v), -1);
}
