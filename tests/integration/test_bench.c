/*
 * test_bench.c - sluice-bench against the real sluiced: every mode runs
 * briefly with small numbers and --json, exits 0, and reports the expected
 * fields with sane values (no timing asserts); usage errors exit 2 and a
 * missing broker exits 1 with a message; nothing is written to stderr
 * when it is not a terminal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

TestSuite(bench, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

static broker_proc bp;
static char out[16384], err[16384];

static void
start(void)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0);
}

static void
stop(void)
{
	cr_assert_eq(broker_stop(&bp), 0, "the broker did not stop cleanly");
}

/* Runs sluice-bench with args (NULL-terminated); returns its exit status. */
static int
bench(const char *const *args)
{
	const char *argv[64];
	int i = 0;
	argv[i++] = getenv("SLUICE_BENCH");
	cr_assert_not_null(argv[0], "SLUICE_BENCH is not set");
	for (; *args != NULL && i < 63; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	out[0] = err[0] = '\0';
	return run_capture(argv, out, sizeof(out), err, sizeof(err));
}

/* The number after "key": in the JSON object of out; fails when absent. */
static double
num(const char *key)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(out, pat);
	cr_assert_not_null(p, "no field %s in %s", key, out);
	char *end;
	double v = strtod(p + strlen(pat), &end);
	cr_assert_neq(end, p + strlen(pat), "field %s is not a number in %s", key, out);
	return v;
}

static void
has_str(const char *key, const char *value)
{
	char pat[300];
	snprintf(pat, sizeof(pat), "\"%s\": \"%s\"", key, value);
	cr_assert_not_null(strstr(out, pat), "no %s in %s", pat, out);
}

/* One JSON object on one line, nothing on stderr (not a terminal). */
static void
json_ok(int status)
{
	cr_assert_eq(status, 0, "exit %d, stderr: %s", status, err);
	cr_assert_str_empty(err, "stderr: %s", err);
	size_t n = strlen(out);
	cr_assert(n > 2 && out[0] == '{' && out[n - 2] == '}' && out[n - 1] == '\n',
	    "not one JSON object: %s", out);
	cr_assert_eq(strchr(out, '\n'), out + n - 1, "several lines: %s", out);
}

static void
latency_sane(void)
{
	double p50 = num("latency_p50_us"), p90 = num("latency_p90_us"),
	       p99 = num("latency_p99_us"), p999 = num("latency_p999_us"),
	       max = num("latency_max_us");
	cr_assert(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max,
	    "percentiles out of order: %s", out);
	cr_assert_gt(num("latency_mean_us"), 0);
	cr_assert_gt(num("latency_samples"), 0);
}

Test(bench, produce_reports_throughput_latency_and_broker_usage)
{
	start();
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int) bp.pid);
	const char *a[] = { "produce", "--url", bp.url, "--producers", "2", "--count", "20000",
		"--size", "64", "--batch", "500", "--linger-ms", "2", "--broker-pid", pid,
		"--json", NULL };
	json_ok(bench(a));
	has_str("mode", "produce");
	cr_assert_eq(num("count"), 20000);
	cr_assert_eq(num("producers"), 2);
	cr_assert_eq(num("size"), 64);
	cr_assert_eq(num("errors"), 0);
	cr_assert_gt(num("msgs_per_sec"), 0);
	cr_assert_gt(num("mb_per_sec"), 0);
	cr_assert_gt(num("elapsed_s"), 0);
	cr_assert_eq(num("latency_samples"), 20000);
	latency_sane();
	cr_assert_geq(num("client_cpu_s"), 0);
	cr_assert_geq(num("broker_cpu_s"), 0);
	cr_assert_gt(num("broker_rss_kib"), 0);
	cr_assert_geq(num("broker_hwm_kib"), num("broker_rss_kib"));
	stop();
}

Test(bench, produce_human_summary_names_the_figures)
{
	start();
	const char *a[] = { "produce", "--url", bp.url, "--count", "2000", NULL };
	cr_assert_eq(bench(a), 0, "stderr: %s", err);
	cr_assert_not_null(strstr(out, "throughput"), "%s", out);
	cr_assert_not_null(strstr(out, "msgs/s"), "%s", out);
	cr_assert_not_null(strstr(out, "p99.9"), "%s", out);
	stop();
}

static void
consume_ok(const char *type, const char *consumers, int reliable)
{
	const char *a[] = { "consume", "--url", bp.url, "--count", "20000", "--type", type,
		"--consumers", consumers, "--window", "500", "--json",
		reliable ? NULL : "--non-reliable", NULL };
	json_ok(bench(a));
	has_str("mode", "consume");
	has_str("type", type);
	has_str("delivery", reliable ? "reliable" : "non-reliable");
	cr_assert_eq(num("count"), 20000);
	cr_assert_eq(num("missing"), 0);
	cr_assert_eq(num("unacked_left"), 0);
	cr_assert_geq(num("received"), 20000);
	cr_assert_geq(num("duplicates"), 0);
	cr_assert_gt(num("msgs_per_sec"), 0);
	if (reliable)
		cr_assert_gt(num("preload_msgs_per_sec"), 0);
}

Test(bench, consume_shared_with_two_consumers_gets_every_offset)
{
	start();
	consume_ok("shared", "2", 1);
	stop();
}

Test(bench, consume_exclusive_and_failover_get_every_offset)
{
	start();
	consume_ok("exclusive", "1", 1);
	consume_ok("failover", "2", 1);
	stop();
}

Test(bench, consume_non_reliable_gets_every_offset)
{
	start();
	consume_ok("shared", "2", 0);
	stop();
}

Test(bench, e2e_reports_latency_percentiles)
{
	start();
	const char *a[] = { "e2e", "--url", bp.url, "--rate", "2000", "--duration", "1",
		"--size", "32", "--json", NULL };
	json_ok(bench(a));
	has_str("mode", "e2e");
	cr_assert_eq(num("sent"), 2000);
	cr_assert_eq(num("received"), 2000);
	cr_assert_eq(num("latency_samples"), 2000);
	cr_assert_eq(num("rate"), 2000);
	cr_assert_geq(num("max_send_lag_us"), 0);
	latency_sane();
	stop();
}

Test(bench, fanout_delivers_every_message_to_every_subscription)
{
	start();
	const char *a[] = { "fanout", "--url", bp.url, "--subscriptions", "3", "--count",
		"5000", "--json", NULL };
	json_ok(bench(a));
	has_str("mode", "fanout");
	cr_assert_eq(num("subscriptions"), 3);
	cr_assert_eq(num("deliveries"), 15000);
	cr_assert_eq(num("missing"), 0);
	cr_assert_geq(num("received"), 15000);
	cr_assert_gt(num("msgs_per_sec"), 0);
	cr_assert_gt(num("publish_msgs_per_sec"), 0);
	stop();
}

Test(bench, usage_errors_exit_2_and_a_missing_broker_exits_1)
{
	const char *nomode[] = { NULL };
	cr_assert_eq(bench(nomode), 2);
	const char *badmode[] = { "bogus", NULL };
	cr_assert_eq(bench(badmode), 2);
	const char *badcount[] = { "produce", "--count", "12x", NULL };
	cr_assert_eq(bench(badcount), 2);
	cr_assert_not_null(strstr(err, "--count"), "%s", err);
	const char *badtype[] = { "consume", "--type", "fancy", NULL };
	cr_assert_eq(bench(badtype), 2);
	const char *excl[] = { "consume", "--type", "exclusive", "--consumers", "2", NULL };
	cr_assert_eq(bench(excl), 2);
	const char *badopt[] = { "fanout", "--frobnicate", NULL };
	cr_assert_eq(bench(badopt), 2);
	const char *help[] = { "e2e", "--help", NULL };
	cr_assert_eq(bench(help), 0);
	cr_assert_not_null(strstr(out, "--rate"), "%s", out);

	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	const char *nobroker[] = { "produce", "--url", url, "--count", "10", NULL };
	cr_assert_eq(bench(nobroker), 1);
	cr_assert_not_null(strstr(err, "connect"), "%s", err);
}
