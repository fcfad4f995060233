/*
 * test_admin.c - sluice-admin against the real sluiced: exit codes
 * scripts can trust (0 success, 1 refused, 2 usage, 3 unreachable), topic
 * and subscription operations seen through their JSON output, peek that
 * moves nothing, cursor moves (skip, reset to an offset or a time), the
 * one-line `subs why`, and sluice_admin_call of libsluice itself.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "raw.h"
#include "sluice/admin.h"
#include "sluice/sluice.h"
#include "support.h"

TestSuite(admin, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

static broker_proc bp;
static char out[65536], err[16384];

static void
start(void)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0);
}

/* Runs sluice-admin with the NULL-terminated arguments (and --url of the
 * test's broker when `url`); returns its exit status. */
static int
admin_at(const char *url, ...)
{
	const char *argv[40];
	int i = 0;
	argv[i++] = getenv("SLUICE_ADMIN");
	va_list ap;
	va_start(ap, url);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && i < 36)
		argv[i++] = a;
	va_end(ap);
	if (url != NULL) {
		argv[i++] = "--url";
		argv[i++] = url;
	}
	argv[i] = NULL;
	out[0] = err[0] = '\0';
	return run_capture(argv, out, sizeof(out), err, sizeof(err));
}

#define admin(...) admin_at(bp.url, __VA_ARGS__, NULL)
#define admin_nourl(...) admin_at(NULL, __VA_ARGS__, NULL)

/* The first number after "key": in a JSON document; fails the test when
 * absent. */
static uint64_t
json_u64(const char *doc, const char *key)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(doc, pat);
	cr_assert(p != NULL, "no %s in %s", key, doc);
	return strtoull(p + strlen(pat), NULL, 10);
}

static int
lines(const char *s)
{
	int n = 0;
	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
hello(raw_conn *c)
{
	cr_assert_eq(raw_open(c, bp.url), 0);
	cr_assert_eq(raw_hello(c, SLUICE_PROTOCOL_VERSION), 0);
}

/* Publishes payloads "<prefix>0" .. "<prefix>n-1", one request each. */
static void
publish(raw_conn *c, const char *topic, const char *prefix, int n)
{
	for (int i = 0; i < n; i++) {
		char text[64];
		snprintf(text, sizeof(text), "%s%d", prefix, i);
		cr_assert_eq(raw_publish(c, topic, 1, text, NULL), 0);
	}
}

static uint32_t
subscribe(raw_conn *c, const char *topic, const char *sub, uint32_t window,
    const char *name, uint64_t *id)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.window = window;
	s.start = SLUICE__START_AT__START_EARLIEST;
	s.consumer_name = (char *) name;
	return raw_subscribe_req(c, &s, id);
}

/* ---- exit codes ------------------------------------------------------ */

Test(admin, usage_errors_exit_2_with_a_message)
{
	cr_assert_eq(admin_nourl("topics"), 2);
	cr_assert_eq(admin_nourl("nosuchgroup", "list"), 2);
	cr_assert_eq(admin_nourl("topics", "nosuchcommand"), 2);
	cr_assert_eq(admin_nourl("topics", "create"), 2);
	cr_assert(strstr(err, "missing operand") != NULL, "stderr: %s", err);
	cr_assert_eq(admin_nourl("topics", "create", "bad name"), 2);
	cr_assert(strstr(err, "invalid topic name") != NULL, "stderr: %s", err);
	cr_assert_eq(admin_nourl("topics", "create", "t", "--retention-age", "5"), 2);
	cr_assert(strstr(err, "--retention-age") != NULL, "stderr: %s", err);
	cr_assert_eq(admin_nourl("topics", "create", "t", "--retention-bytes", "lots"), 2);
	cr_assert_eq(admin_nourl("topics", "list", "--bogus"), 2);
	cr_assert(strstr(err, "unknown option '--bogus'") != NULL, "stderr: %s", err);
	cr_assert_eq(admin_nourl("topics", "list", "extra"), 2);
	cr_assert_eq(admin_nourl("topics", "peek", "t", "--count", "0"), 2);
	cr_assert_eq(admin_nourl("subs", "stats", "t"), 2);
	cr_assert_eq(admin_nourl("subs", "reset", "t", "s"), 2);
	cr_assert(strstr(err, "missing --to") != NULL, "stderr: %s", err);
	cr_assert_eq(admin_nourl("subs", "reset", "t", "s", "--to", "yesterday"), 2);
	cr_assert_eq(admin_nourl("subs", "reset", "t", "s", "--to",
	                 "2026-11-22T10:00:00"), 2);
	cr_assert_eq(admin_nourl("subs", "create", "t", "s", "--type", "solo"), 2);
	cr_assert_eq(admin_nourl("subs", "create", "t", "s", "--mode", "maybe"), 2);
	cr_assert_eq(admin_nourl("subs", "skip", "t", "s", "0"), 2);
	cr_assert_eq(admin_nourl("broker", "stats", "--timeout-ms", "0"), 2);

	/* With --json the usage error is also a JSON error object. */
	cr_assert_eq(admin_nourl("subs", "skip", "t", "s", "x", "--json"), 2);
	cr_assert(strstr(out, "{\"error\":{\"code\":\"SLUICE_EINVAL\"") == out,
	    "stdout: %s", out);
	cr_assert_eq(lines(out), 1);
}

Test(admin, help_exits_0_and_documents_the_exit_codes)
{
	cr_assert_eq(admin_nourl("--help"), 0);
	cr_assert(strstr(out, "subs reset TOPIC SUB --to P") != NULL, "%s", out);
	cr_assert(strstr(out, "3 cannot reach") != NULL, "%s", out);
	cr_assert_eq(admin_nourl("subs", "--help"), 0);
	cr_assert(strstr(out, "why") != NULL, "%s", out);
	cr_assert_eq(admin_nourl("subs", "reset", "--help"), 0);
	cr_assert(strstr(out, "RFC 3339") != NULL, "%s", out);
	cr_assert(strstr(out, "2 usage error") != NULL, "%s", out);
	cr_assert_eq(admin_nourl("topics", "peek", "--help"), 0);
	cr_assert(strstr(out, "--json") != NULL, "%s", out);
}

Test(admin, an_unreachable_broker_exits_3)
{
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	cr_assert_eq(admin_at(url, "broker", "health", NULL), 3, "stderr: %s", err);
	cr_assert(strstr(err, "cannot reach the broker") != NULL, "stderr: %s", err);
	cr_assert_eq(admin_at(url, "topics", "list", "--json", NULL), 3);
	cr_assert(strstr(out, "\"code\":\"SLUICE_ECONNREFUSED\"") != NULL,
	    "stdout: %s", out);
	cr_assert_eq(admin_at("nonsense://x", "topics", "list", NULL), 2,
	    "stderr: %s", err);
}

Test(admin, an_unknown_topic_exits_1_with_a_clear_message)
{
	start();
	cr_assert_eq(admin("topics", "stats", "nosuch"), 1);
	cr_assert(strstr(err, "sluice-admin: topics stats nosuch: no such topic") ==
	        err, "stderr: %s", err);
	cr_assert_eq(admin("topics", "stats", "nosuch", "--json"), 1);
	cr_assert(strstr(out, "{\"error\":{\"code\":\"SLUICE_ENOTOPIC\"") == out,
	    "stdout: %s", out);
	cr_assert_eq(admin("subs", "list", "nosuch"), 1);
	cr_assert_eq(admin("subs", "why", "nosuch", "s"), 1);

	/* Likewise an unknown subscription of a known topic. */
	cr_assert_eq(admin("topics", "create", "t"), 0);
	cr_assert_eq(admin("subs", "stats", "t", "nosub", "--json"), 1);
	cr_assert(strstr(out, "{\"error\":{\"code\":\"SLUICE_ENOSUB\"") == out,
	    "stdout: %s", out);
	cr_assert(strstr(err, "no such subscription") != NULL, "stderr: %s", err);
	cr_assert_eq(admin("subs", "skip", "t", "nosub", "1"), 1);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ---- broker ---------------------------------------------------------- */

Test(admin, broker_health_and_stats)
{
	start();
	cr_assert_eq(admin("broker", "health"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "healthy:") != NULL, "%s", out);
	cr_assert_eq(admin("broker", "health", "--json"), 0);
	cr_assert(strstr(out, "{\"health\":{\"healthy\":true") == out, "%s", out);
	cr_assert_eq(lines(out), 1);

	cr_assert_eq(admin("broker", "stats", "--json"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "{\"broker\":{") == out, "%s", out);
	cr_assert(json_u64(out, "uptime_ms") < 600000);
	/* Our own connection counts. */
	cr_assert_geq(json_u64(out, "connections"), 1, "%s", out);
	cr_assert_eq(admin("broker", "stats"), 0);
	cr_assert(strstr(out, "uptime_ms:") != NULL, "%s", out);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ---- topics ---------------------------------------------------------- */

Test(admin, a_created_topic_is_listed_with_its_retention)
{
	start();
	cr_assert_eq(admin("topics", "create", "orders", "--retention-age", "7d",
	                 "--retention-bytes", "100MiB"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "created topic orders") != NULL, "%s", out);
	cr_assert_eq(admin("topics", "create", "plain", "--json"), 0);
	cr_assert(strstr(out, "{\"topic\":{\"name\":\"plain\"") == out, "%s", out);

	cr_assert_eq(admin("topics", "list", "--json"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "{\"topics\":[") == out, "%s", out);
	const char *o = strstr(out, "{\"name\":\"orders\"");
	cr_assert(o != NULL, "%s", out);
	cr_assert_eq(json_u64(o, "retention_age_ms"), 604800000);
	cr_assert_eq(json_u64(o, "retention_bytes"), 104857600);
	cr_assert(strstr(out, "\"name\":\"plain\"") != NULL, "%s", out);

	cr_assert_eq(admin("topics", "list"), 0);
	cr_assert(strncmp(out, "NAME ", 5) == 0, "%s", out);
	cr_assert(strstr(out, "\norders ") != NULL, "%s", out);
	cr_assert(strstr(out, "7d, 100 MiB") != NULL, "%s", out);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(admin, topic_stats_count_published_messages)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "m", 10);
	cr_assert_eq(admin("topics", "stats", "t", "--json"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "{\"topic\":{\"name\":\"t\"") == out, "%s", out);
	cr_assert_eq(json_u64(out, "head_offset"), 10, "%s", out);
	cr_assert_eq(json_u64(out, "messages"), 10, "%s", out);
	cr_assert_eq(json_u64(out, "first_offset"), 0, "%s", out);
	cr_assert_gt(json_u64(out, "bytes"), 0, "%s", out);
	cr_assert_eq(admin("topics", "stats", "t"), 0);
	cr_assert(strstr(out, "head_offset:") != NULL, "%s", out);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(admin, peek_shows_messages_and_moves_no_subscription)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "m", 10);
	/* A subscription that exists before the peek must not move. */
	uint64_t id;
	cr_assert_eq(subscribe(&c, "t", "before", 10, "k", &id), 0);
	cr_assert_eq(raw_unsubscribe(&c, id, 0), 0);

	cr_assert_eq(admin("topics", "peek", "t", "--count", "3"), 0, "stderr: %s", err);
	cr_assert_eq(lines(out), 4, "%s", out); /* header + 3 */
	cr_assert(strstr(out, "OFFSET") == out, "%s", out);
	for (int i = 0; i < 3; i++) {
		char row[32];
		snprintf(row, sizeof(row), "  m%d\n", i);
		cr_assert(strstr(out, row) != NULL, "no %s in %s", row, out);
	}
	cr_assert(strstr(out, "m3") == NULL, "%s", out);

	cr_assert_eq(admin("topics", "peek", "t", "--from", "8", "--count", "5",
	                 "--json"), 0);
	cr_assert(strstr(out, "{\"records\":[{\"offset\":8,") == out, "%s", out);
	cr_assert(strstr(out, "\"payload\":\"m8\"") != NULL, "%s", out);
	cr_assert(strstr(out, "{\"offset\":9,") != NULL, "%s", out);
	cr_assert(strstr(out, "\"offset\":10") == NULL, "%s", out);
	cr_assert(strstr(out, "\"key\":null") != NULL, "%s", out);

	/* Delivery is untouched: a new consumer still starts at offset 0,
	 * as its first delivery, and the old subscription's floor is 0. */
	cr_assert_eq(subscribe(&c, "t", "after", 10, "k", &id), 0);
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(&c, id, 1, 1000, NULL, 0, &r), 0);
	cr_assert_eq(r->status, 0);
	cr_assert_eq(r->deliver->n_records, 1);
	cr_assert_eq(r->deliver->records[0]->offset, 0);
	cr_assert_eq(r->deliver->records[0]->attempt, 1);
	codec_reply_free(r);
	cr_assert_eq(admin("subs", "stats", "t", "before", "--json"), 0);
	cr_assert_eq(json_u64(out, "floor"), 0, "%s", out);
	cr_assert_eq(json_u64(out, "delivered"), 0, "%s", out);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(admin, a_topic_with_subscriptions_is_deleted_only_with_force)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "m", 3);
	raw_close(&c);
	cr_assert_eq(admin("subs", "create", "t", "s"), 0, "stderr: %s", err);

	cr_assert_eq(admin("topics", "delete", "t"), 1);
	cr_assert(strstr(err, "sluice-admin: topics delete t: ") == err, "%s", err);
	cr_assert(strstr(err, "force") != NULL, "stderr: %s", err);
	cr_assert_eq(admin("topics", "stats", "t"), 0);

	cr_assert_eq(admin("topics", "delete", "t", "--force", "--json"), 0,
	    "stderr: %s", err);
	cr_assert(strstr(out, "{\"deleted\":{\"topic\":\"t\"") == out, "%s", out);
	cr_assert_eq(json_u64(out, "affected"), 1, "%s", out);
	cr_assert_eq(admin("topics", "stats", "t"), 1);
	cr_assert(strstr(err, "no such topic") != NULL, "stderr: %s", err);

	/* Without subscriptions no --force is needed. */
	cr_assert_eq(admin("topics", "create", "u"), 0);
	cr_assert_eq(admin("topics", "delete", "u"), 0, "stderr: %s", err);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ---- subscriptions ---------------------------------------------------- */

Test(admin, subscription_backlog_moves_with_skip_and_reset)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "m", 10);
	cr_assert_eq(admin("subs", "create", "t", "s", "--from", "earliest",
	                 "--json"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "{\"subscription\":{\"topic\":\"t\",\"name\":\"s\"") ==
	        out, "%s", out);
	cr_assert(strstr(out, "\"type\":\"exclusive\",\"mode\":\"reliable\"") != NULL,
	    "%s", out);

	cr_assert_eq(admin("subs", "stats", "t", "s", "--json"), 0, "stderr: %s", err);
	cr_assert_eq(json_u64(out, "backlog"), 10, "%s", out);
	cr_assert_eq(json_u64(out, "floor"), 0, "%s", out);
	cr_assert_eq(json_u64(out, "head"), 10, "%s", out);

	cr_assert_eq(admin("subs", "skip", "t", "s", "3", "--json"), 0, "stderr: %s", err);
	cr_assert_eq(json_u64(out, "floor"), 3, "%s", out);
	cr_assert_eq(json_u64(out, "backlog"), 7, "%s", out);
	cr_assert_eq(json_u64(out, "affected"), 3, "%s", out);
	cr_assert_eq(admin("subs", "stats", "t", "s", "--json"), 0);
	cr_assert_eq(json_u64(out, "backlog"), 7, "%s", out);

	cr_assert_eq(admin("subs", "reset", "t", "s", "--to", "earliest"), 0,
	    "stderr: %s", err);
	cr_assert(strstr(out, "floor 0, backlog 10") != NULL, "%s", out);
	cr_assert_eq(admin("subs", "reset", "t", "s", "--to", "6", "--json"), 0);
	cr_assert_eq(json_u64(out, "floor"), 6, "%s", out);
	cr_assert_eq(admin("subs", "reset", "t", "s", "--to", "latest", "--json"), 0);
	cr_assert_eq(json_u64(out, "backlog"), 0, "%s", out);

	/* A consumer attached afterwards starts at the moved cursor. */
	cr_assert_eq(admin("subs", "reset", "t", "s", "--to", "4"), 0);
	uint64_t id;
	cr_assert_eq(subscribe(&c, "t", "s", 10, "k", &id), 0);
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(&c, id, 1, 1000, NULL, 0, &r), 0);
	cr_assert_eq(r->deliver->n_records, 1);
	cr_assert_eq(r->deliver->records[0]->offset, 4);
	codec_reply_free(r);

	cr_assert_eq(admin("subs", "list", "t"), 0);
	cr_assert(strstr(out, "NAME") == out && strstr(out, "\ns ") != NULL, "%s", out);
	cr_assert_eq(admin("subs", "list", "t", "--json"), 0);
	cr_assert(strstr(out, "{\"subscriptions\":[{\"topic\":\"t\",\"name\":\"s\"") ==
	        out, "%s", out);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* RFC 3339 for `us` in the +02:00 zone, with microseconds. */
static void
rfc3339_plus2(int64_t us, char *buf, size_t n)
{
	time_t s = (time_t) (us / 1000000) + 7200;
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%06lld+02:00", (long long) (us % 1000000));
}

static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

Test(admin, reset_to_a_time_finds_the_first_message_at_or_after_it)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "early", 5);
	usleep(100000);
	char when[64];
	rfc3339_plus2(now_us(), when, sizeof(when));
	usleep(100000);
	publish(&c, "t", "late", 5);
	raw_close(&c);

	cr_assert_eq(admin("subs", "create", "t", "s", "--from", "earliest"), 0);
	cr_assert_eq(admin("subs", "reset", "t", "s", "--to", when, "--json"), 0,
	    "stderr: %s", err);
	cr_assert_eq(json_u64(out, "floor"), 5, "%s: %s", when, out);
	cr_assert_eq(json_u64(out, "backlog"), 5, "%s: %s", when, out);

	/* A new subscription can start at a time too. */
	cr_assert_eq(admin("subs", "create", "t", "s2", "--from", when, "--json"), 0,
	    "stderr: %s", err);
	cr_assert_eq(json_u64(out, "floor"), 5, "%s: %s", when, out);

	/* Before everything: offset 0; after everything: the head. */
	cr_assert_eq(admin("subs", "reset", "t", "s", "--to",
	                 "2000-01-01T00:00:00Z", "--json"), 0);
	cr_assert_eq(json_u64(out, "floor"), 0, "%s", out);
	cr_assert_eq(admin("subs", "reset", "t", "s", "--to",
	                 "2999-01-01T00:00:00.5Z", "--json"), 0);
	cr_assert_eq(json_u64(out, "floor"), 10, "%s", out);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(admin, why_explains_in_one_line)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "m", 3);
	/* The window belongs to the subscription and is set by its first
	 * consumer (subs create would give it the broker's default): attach
	 * one with window 1, then detach it, keeping the subscription. */
	uint64_t id;
	cr_assert_eq(subscribe(&c, "t", "s", 1, "slow-1", &id), 0);
	cr_assert_eq(raw_unsubscribe(&c, id, 0), 0);

	cr_assert_eq(admin("subs", "why", "t", "s", "--json"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "{\"why\":{\"code\":\"no_consumers\"") == out, "%s", out);
	cr_assert_eq(admin("subs", "why", "t", "s"), 0);
	cr_assert_eq(lines(out), 1, "%s", out);
	cr_assert(strstr(out, "no consumers") != NULL, "%s", out);

	/* A consumer with window 1 that holds offset 0 unacked. */
	cr_assert_eq(subscribe(&c, "t", "s", 1, "slow-1", &id), 0);
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(&c, id, 1, 1000, NULL, 0, &r), 0);
	cr_assert_eq(r->deliver->n_records, 1);
	cr_assert_eq(r->deliver->records[0]->offset, 0);
	codec_reply_free(r);
	cr_assert_eq(admin("subs", "why", "t", "s", "--json"), 0);
	cr_assert(strstr(out, "{\"why\":{\"code\":\"window_full\"") == out, "%s", out);
	cr_assert(strstr(out, "\"consumer_name\":\"slow-1\"") != NULL, "%s", out);
	cr_assert_eq(json_u64(out, "consumer_id"), id, "%s", out);
	cr_assert_eq(json_u64(out, "offset"), 0, "%s", out);
	cr_assert_eq(admin("subs", "why", "t", "s"), 0);
	cr_assert_eq(lines(out), 1, "%s", out);
	cr_assert(strstr(out, "slow-1") != NULL && strstr(out, "offset 0") != NULL,
	    "%s", out);

	/* Each fetch acks the offset held and gets the next; once all three
	 * are acked the subscription is caught up. */
	for (uint64_t off = 0; off < 3; off++) {
		cr_assert_eq(raw_fetch(&c, id, 1, off < 2 ? 1000 : 50, &off, 1, &r), 0);
		cr_assert_eq(r->status, 0);
		size_t n = r->deliver != NULL ? r->deliver->n_records : 0;
		cr_assert_eq(n, off < 2 ? 1 : 0, "after acking %llu", (unsigned long long) off);
		if (n > 0)
			cr_assert_eq(r->deliver->records[0]->offset, off + 1);
		codec_reply_free(r);
	}
	cr_assert_eq(admin("subs", "why", "t", "s", "--json"), 0);
	cr_assert(strstr(out, "{\"why\":{\"code\":\"caught_up\"") == out, "%s", out);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(admin, consumers_list_shows_a_connected_consumer)
{
	start();
	raw_conn c;
	hello(&c);
	publish(&c, "t", "m", 2);
	uint64_t id;
	cr_assert_eq(subscribe(&c, "t", "s", 5, "probe-1", &id), 0);
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(&c, id, 1, 1000, NULL, 0, &r), 0);
	codec_reply_free(r);

	cr_assert_eq(admin("consumers", "list", "t", "s", "--json"), 0,
	    "stderr: %s", err);
	cr_assert(strstr(out, "{\"consumers\":[{\"id\":") == out, "%s", out);
	cr_assert_eq(json_u64(out, "id"), id, "%s", out);
	cr_assert(strstr(out, "\"name\":\"probe-1\"") != NULL, "%s", out);
	cr_assert_eq(json_u64(out, "window_size"), 5, "%s", out);
	cr_assert_eq(json_u64(out, "unacked"), 1, "%s", out);
	cr_assert_eq(admin("consumers", "list", "t", "s"), 0);
	cr_assert(strstr(out, "probe-1") != NULL && strstr(out, "1/5") != NULL,
	    "%s", out);

	/* A subscription without consumers lists none, and deleting one
	 * with a consumer attached is refused. */
	cr_assert_eq(admin("subs", "delete", "t", "s"), 1);
	raw_close(&c);
	cr_assert_eq(admin("subs", "create", "t", "idle"), 0);
	cr_assert_eq(admin("consumers", "list", "t", "idle", "--json"), 0);
	cr_assert_str_eq(out, "{\"consumers\":[]}\n");
	cr_assert_eq(admin("subs", "delete", "t", "idle", "--json"), 0, "stderr: %s", err);
	cr_assert(strstr(out, "{\"deleted\":{\"topic\":\"t\",\"subscription\":\"idle\"") ==
	        out, "%s", out);
	cr_assert_eq(admin("subs", "stats", "t", "idle"), 1);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ---- libsluice ------------------------------------------------------- */

Test(admin, admin_call_checks_its_input_and_returns_the_brokers_detail)
{
	start();
	sluice_opts *o;
	sluice_client *c;
	sluice_opts_alloc(&o);
	sluice_opts_set_url(o, bp.url);
	cr_assert_eq(sluice_client_open(&c, o), SLUICE_OK);
	sluice_opts_free(o);

	void *res = NULL;
	size_t len = 0;
	char detail[256] = "x";
	/* Not an encoded Admin: refused before it reaches the broker. */
	const uint8_t junk[] = { 0xff, 0xff, 0xff };
	cr_assert_eq(sluice_admin_call(c, junk, sizeof(junk), &res, &len, detail,
	                 sizeof(detail)), SLUICE_EINVAL);
	cr_assert_null(res);
	cr_assert_str_empty(detail);

	/* op = ADMIN_TOPIC_STATS (field 1 = 6), topic = "zz" (field 2). */
	const uint8_t stats[] = { 0x08, 6, 0x12, 2, 'z', 'z' };
	sluice_err rv = sluice_admin_call(c, stats, sizeof(stats), &res, &len,
	    detail, sizeof(detail));
	cr_assert_eq(rv, SLUICE_ENOTOPIC, "%s", sluice_strerror(rv));
	cr_assert_null(res);
	cr_assert(strstr(detail, "zz") != NULL, "detail: %s", detail);
	/* A short buffer gets a truncated, terminated text. */
	char tiny[4];
	sluice_admin_call(c, stats, sizeof(stats), &res, &len, tiny, sizeof(tiny));
	cr_assert_eq(strlen(tiny), 3);

	/* op = ADMIN_BROKER_HEALTH: a result to decode and free. */
	const uint8_t health[] = { 0x08, 1 };
	cr_assert_eq(sluice_admin_call(c, health, sizeof(health), &res, &len,
	                 NULL, 0), SLUICE_OK);
	cr_assert_not_null(res);
	cr_assert_gt(len, 0);
	sluice_admin_result_free(res);
	cr_assert_eq(sluice_admin_call(NULL, health, sizeof(health), &res, &len,
	                 NULL, 0), SLUICE_EINVAL);
	sluice_client_close(c);
	cr_assert_eq(broker_stop(&bp), 0);
}
