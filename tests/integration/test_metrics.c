/*
 * test_metrics.c - the HTTP monitoring endpoint of the real sluiced:
 * exact counter values after known traffic (raw protocol client), the
 * exposition format line by line, histograms, /health's JSON, 404/405,
 * the per-consumer limit, and a metrics address already in use.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_get.h"
#include "raw.h"
#include "support.h"

TestSuite(metrics, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

#define REL SLUICE__SUB_MODE__MODE_RELIABLE
#define EXCL SLUICE__SUB_TYPE__SUB_EXCLUSIVE
#define EARLIEST SLUICE__START_AT__START_EARLIEST

static broker_proc bp;
static int mport;

static void
start(const char *max_consumers)
{
	static char data[600], url[64];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	mport = free_port();
	cr_assert_gt(mport, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", mport);
	const char *extra[] = { "--metrics-listen", url, "--metrics-max-consumers",
		max_consumers, NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0, "broker did not start");
}

static void
conn(raw_conn *c)
{
	cr_assert_eq(raw_open(c, bp.url), 0);
	cr_assert_eq(raw_hello(c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
}

/* ---- a strict reader of the exposition format ---- */

typedef struct {
	char series[512]; /* name{labels} exactly as sent */
	char name[128];
	double value;
} sample;

typedef struct {
	char name[128];
	char type[16];
} family;

typedef struct {
	sample *s;
	size_t n;
	family f[128];
	size_t nf;
} expo;

static int
is_name_start(int c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == ':';
}

/* Reads a metric name at *p; returns its length (0: none). */
static size_t
read_name(const char **p, char *out, size_t n)
{
	const char *s = *p;
	size_t len = 0;
	if (!is_name_start((unsigned char) s[0]))
		return 0;
	while (is_name_char((unsigned char) s[len]))
		len++;
	cr_assert_lt(len, n);
	memcpy(out, s, len);
	out[len] = '\0';
	*p = s + len;
	return len;
}

static double
parse_value(const char *v, const char *line)
{
	if (strcmp(v, "+Inf") == 0)
		return INFINITY;
	if (strcmp(v, "-Inf") == 0)
		return -INFINITY;
	if (strcmp(v, "NaN") == 0)
		return NAN;
	char *end;
	double d = strtod(v, &end);
	cr_assert(end != v && *end == '\0', "bad value in: %s", line);
	return d;
}

/* {k="v",...}: label names, quoted values with only \\ \" \n escapes. */
static const char *
parse_labels(const char *p, const char *line)
{
	cr_assert_eq(*p, '{');
	p++;
	while (*p != '}') {
		cr_assert(isalpha((unsigned char) *p) || *p == '_', "label name: %s", line);
		while (isalnum((unsigned char) *p) || *p == '_')
			p++;
		cr_assert(p[0] == '=' && p[1] == '"', "label '=\"': %s", line);
		p += 2;
		while (*p != '"') {
			cr_assert(*p != '\0' && *p != '\n', "unterminated label: %s", line);
			if (*p == '\\') {
				cr_assert(p[1] == '\\' || p[1] == '"' || p[1] == 'n',
				    "bad escape: %s", line);
				p++;
			}
			p++;
		}
		p++;
		if (*p == ',')
			p++;
		else
			cr_assert_eq(*p, '}', "labels: %s", line);
	}
	return p + 1;
}

static family *
family_of(expo *e, const char *name)
{
	for (size_t i = 0; i < e->nf; i++)
		if (strcmp(e->f[i].name, name) == 0)
			return &e->f[i];
	return NULL;
}

/* The sample's family: its name, or a histogram's with a suffix. */
static void
check_family(expo *e, const char *name, const char *line)
{
	cr_assert_gt(e->nf, 0, "sample before any TYPE: %s", line);
	family *f = &e->f[e->nf - 1];
	if (strcmp(f->name, name) == 0)
		return;
	size_t fl = strlen(f->name);
	cr_assert(strcmp(f->type, "histogram") == 0 && strncmp(name, f->name, fl) == 0 &&
	        (strcmp(name + fl, "_bucket") == 0 || strcmp(name + fl, "_sum") == 0 ||
	            strcmp(name + fl, "_count") == 0),
	    "sample outside its family %s: %s", f->name, line);
}

static void
parse_line(expo *e, char *line)
{
	char name[128];
	const char *p = line;
	cr_assert_neq(line[0], '\0', "empty line in the exposition");
	if (line[0] == '#') {
		int help = strncmp(line, "# HELP ", 7) == 0;
		cr_assert(help || strncmp(line, "# TYPE ", 7) == 0, "comment: %s", line);
		p += 7;
		cr_assert_gt(read_name(&p, name, sizeof(name)), 0, "name: %s", line);
		cr_assert_eq(*p, ' ', "%s", line);
		if (help)
			return;
		p++;
		cr_assert(strcmp(p, "counter") == 0 || strcmp(p, "gauge") == 0 ||
		        strcmp(p, "histogram") == 0, "type: %s", line);
		cr_assert_null(family_of(e, name), "TYPE twice: %s", line);
		cr_assert_lt(e->nf, sizeof(e->f) / sizeof(e->f[0]));
		snprintf(e->f[e->nf].name, sizeof(e->f[0].name), "%s", name);
		snprintf(e->f[e->nf].type, sizeof(e->f[0].type), "%s", p);
		e->nf++;
		return;
	}
	cr_assert_gt(read_name(&p, name, sizeof(name)), 0, "name: %s", line);
	check_family(e, name, line);
	if (*p == '{')
		p = parse_labels(p, line);
	cr_assert_eq(*p, ' ', "no value: %s", line);
	sample *s = &e->s[e->n++];
	snprintf(s->series, sizeof(s->series), "%.*s", (int) (p - line), line);
	snprintf(s->name, sizeof(s->name), "%s", name);
	for (size_t i = 0; i + 1 < e->n; i++)
		cr_assert_str_neq(e->s[i].series, s->series, "duplicate series");
	s->value = parse_value(p + 1, line);
}

static double
value_or(const expo *e, const char *series, double dflt)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->s[i].series, series) == 0)
			return e->s[i].value;
	return dflt;
}

static double
value(const expo *e, const char *series)
{
	double v = value_or(e, series, NAN);
	cr_assert(!isnan(v), "no series %s", series);
	return v;
}

static size_t
count_named(const expo *e, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < e->n; i++)
		n += strcmp(e->s[i].name, name) == 0;
	return n;
}

/* Buckets ascend by le, counts never fall, +Inf comes last and equals
 * _count. Returns _count. */
static double
check_histogram(const expo *e, const char *name)
{
	char bucket[160], count[160];
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	snprintf(count, sizeof(count), "%s_count", name);
	double last_le = -1, last = 0;
	size_t nb = 0;
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->s[i].name, bucket) != 0)
			continue;
		const char *le = strstr(e->s[i].series, "le=\"");
		cr_assert_not_null(le, "%s", e->s[i].series);
		char lebuf[32];
		snprintf(lebuf, sizeof(lebuf), "%.*s", (int) strcspn(le + 4, "\""), le + 4);
		double bound = parse_value(lebuf, e->s[i].series);
		cr_assert_gt(bound, last_le, "le not ascending: %s", e->s[i].series);
		cr_assert_geq(e->s[i].value, last, "not cumulative: %s", e->s[i].series);
		last_le = bound;
		last = e->s[i].value;
		nb++;
	}
	cr_assert_gt(nb, 1, "%s: no buckets", name);
	cr_assert(isinf(last_le), "%s: last bucket is not +Inf", name);
	cr_assert_eq(last, value(e, count), "%s: +Inf bucket != _count", name);
	char sum[160];
	snprintf(sum, sizeof(sum), "%s_sum", name);
	cr_assert_geq(value(e, sum), 0);
	return last;
}

/* GET /metrics, checked line by line. */
static void
scrape(expo *e)
{
	http_reply r;
	char ct[128];
	cr_assert_eq(http_request(mport, "GET", "/metrics", &r), 0, "GET /metrics");
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(http_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_assert_eq(strncmp(ct, "text/plain; version=0.0.4", 25), 0, "%s", ct);
	cr_assert_gt(r.body_len, 0);
	cr_assert_eq(r.body[r.body_len - 1], '\n', "the text must end with a newline");
	memset(e, 0, sizeof(*e));
	size_t lines = 0;
	for (size_t i = 0; i < r.body_len; i++)
		lines += r.body[i] == '\n';
	e->s = calloc(lines, sizeof(sample));
	char *save = NULL;
	for (char *line = strtok_r(r.body, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		parse_line(e, line);
	/* strtok_r skips empty lines: they would show as a line count gap. */
	cr_assert_eq(e->n + 2 * e->nf, lines, "blank or stray lines");
	http_reply_free(&r);
}

static void
expo_free(expo *e)
{
	free(e->s);
	e->s = NULL;
}

/* ---- traffic ---- */

#define CONSUMER_NAME "worker \"a\"\\b\nc"
#define CONSUMER_LABEL "worker \\\"a\\\"\\\\b\\nc" /* as escaped in a label */

static uint64_t
subscribe(raw_conn *c, const char *topic, const char *sub, const char *name)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	uint64_t id = 0;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.type = EXCL;
	s.mode = REL;
	s.window = 100;
	s.start = EARLIEST;
	s.consumer_name = (char *) name;
	cr_assert_eq(raw_subscribe_req(c, &s, &id), SLUICE_OK);
	return id;
}

/* Fetches until n records arrived; returns their offsets in offs. */
static void
fetch_n(raw_conn *c, uint64_t id, size_t n, uint64_t *offs)
{
	size_t got = 0;
	for (int tries = 0; got < n && tries < 50; tries++) {
		Sluice__Reply *r;
		cr_assert_eq(raw_fetch(c, id, (uint32_t) (n - got), 200, NULL, 0, &r), 0);
		cr_assert_eq(r->status, 0, "fetch: %s", r->error);
		for (size_t i = 0; i < r->deliver->n_records; i++)
			offs[got++] = r->deliver->records[i]->offset;
		codec_reply_free(r);
	}
	cr_assert_eq(got, n);
}

#define SUB "{topic=\"orders\",subscription=\"audit\"}"

Test(metrics, counters_match_what_was_published_delivered_and_acked)
{
	start("100");
	raw_conn c;
	conn(&c);
	cr_assert_eq(raw_publish(&c, "orders", 4, "msg", NULL), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "orders", 6, "msg", NULL), SLUICE_OK);
	uint64_t id = subscribe(&c, "orders", "audit", CONSUMER_NAME);
	uint64_t offs[6];
	fetch_n(&c, id, 6, offs);
	uint32_t applied = 0, ignored = 0;
	cr_assert_eq(raw_ack(&c, id, offs, 4, 0, &applied, &ignored), SLUICE_OK);
	cr_assert_eq(applied, 4);

	expo e;
	scrape(&e);
	cr_assert_eq(value(&e, "sluice_topic_published_messages_total{topic=\"orders\"}"), 10);
	cr_assert_gt(value(&e, "sluice_topic_published_bytes_total{topic=\"orders\"}"), 0);
	cr_assert_eq(value(&e, "sluice_topic_head_offset{topic=\"orders\"}"), 10);
	cr_assert_eq(value(&e, "sluice_topic_first_offset{topic=\"orders\"}"), 0);
	cr_assert_gt(value(&e, "sluice_topic_stored_bytes{topic=\"orders\"}"), 0);
	cr_assert_eq(value(&e, "sluice_subscription_delivered_total" SUB), 6);
	cr_assert_eq(value(&e, "sluice_subscription_acked_total" SUB), 4);
	cr_assert_eq(value(&e, "sluice_subscription_unacked_messages" SUB), 2);
	cr_assert_eq(value(&e, "sluice_subscription_queue_messages" SUB), 2);
	cr_assert_eq(value(&e, "sluice_subscription_backlog_messages" SUB), 6);
	cr_assert_gt(value(&e, "sluice_subscription_backlog_bytes" SUB), 0);
	cr_assert_eq(value(&e, "sluice_subscription_consumers" SUB), 1);
	cr_assert_eq(value(&e, "sluice_subscription_nacked_total" SUB), 0);
	cr_assert_eq(value(&e, "sluice_subscription_redelivered_total" SUB), 0);
	cr_assert_eq(value(&e, "sluice_subscription_dropped_total" SUB), 0);
	cr_assert_eq(value(&e, "sluice_subscription_ignored_acks_total" SUB), 0);
	char cs[512];
	const char *kinds[] = { "delivered_total", "acked_total", "unacked_messages" };
	const double want[] = { 6, 4, 2 };
	for (int i = 0; i < 3; i++) {
		snprintf(cs, sizeof(cs), "sluice_consumer_%s{topic=\"orders\",subscription="
		         "\"audit\",consumer=\"" CONSUMER_LABEL "\",consumer_id=\"%llu\"}",
		    kinds[i], (unsigned long long) id);
		cr_assert_eq(value(&e, cs), want[i], "%s", cs);
	}
	cr_assert_eq(value(&e, "sluice_consumer_metrics_omitted"), 0);
	cr_assert_eq(value(&e, "sluice_consumers"), 1);
	cr_assert_eq(value(&e, "sluice_topics"), 1);
	cr_assert_eq(value(&e, "sluice_subscriptions"), 1);
	cr_assert_eq(value(&e, "sluice_connections"), 1);
	cr_assert_geq(value(&e, "sluice_connections_total"), 1);
	cr_assert_eq(value(&e, "sluice_healthy"), 1);
	/* One observation per publish request. */
	cr_assert_eq(value(&e, "sluice_publish_to_persist_seconds_count"), 2);
	expo_free(&e);

	/* The consumer leaves with a backlog: stuck, for lack of consumers. */
	cr_assert_eq(raw_unsubscribe(&c, id, 0), SLUICE_OK);
	scrape(&e);
	cr_assert_eq(value(&e, "sluice_subscription_backlog_messages" SUB), 6);
	cr_assert_eq(value(&e, "sluice_subscription_consumers" SUB), 0);
	cr_assert_eq(value(&e, "sluice_subscription_unacked_messages" SUB), 0);
	cr_assert_eq(value(&e, "sluice_subscription_stuck{topic=\"orders\","
	                       "subscription=\"audit\",reason=\"no_consumers\"}"), 1);
	cr_assert_eq(value(&e, "sluice_subscription_stuck{topic=\"orders\","
	                       "subscription=\"audit\",reason=\"window_full\"}"), 0);
	cr_assert_eq(value(&e, "sluice_subscription_stuck{topic=\"orders\","
	                       "subscription=\"audit\",reason=\"not_draining\"}"), 0);
	cr_assert_eq(count_named(&e, "sluice_consumer_delivered_total"), 0);
	cr_assert_eq(value(&e, "sluice_consumers"), 0);
	expo_free(&e);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(metrics, every_line_parses_and_histograms_are_cumulative)
{
	start("100");
	raw_conn c;
	conn(&c);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(raw_publish(&c, "a.b/c-d_e", 3, "payload", NULL), SLUICE_OK);
	uint64_t id = subscribe(&c, "a.b/c-d_e", "s1", "plain");
	uint64_t offs[15];
	fetch_n(&c, id, 15, offs);
	cr_assert_eq(raw_ack(&c, id, offs, 15, 0, NULL, NULL), SLUICE_OK);

	expo e;
	scrape(&e);
	const char *hist[] = { "sluice_publish_to_persist_seconds",
		"sluice_publish_to_deliver_seconds", "sluice_deliver_to_ack_seconds" };
	for (int i = 0; i < 3; i++) {
		family *f = family_of(&e, hist[i]);
		cr_assert_not_null(f, "%s missing", hist[i]);
		cr_assert_str_eq(f->type, "histogram");
		cr_assert_gt(check_histogram(&e, hist[i]), 0, "%s is empty", hist[i]);
	}
	cr_assert_eq(value(&e, "sluice_publish_to_persist_seconds_count"), 5);
	/* Counters are named *_total; each family has its HELP and TYPE. */
	for (size_t i = 0; i < e.nf; i++) {
		cr_assert_eq(strncmp(e.f[i].name, "sluice_", 7), 0, "%s", e.f[i].name);
		size_t l = strlen(e.f[i].name);
		if (strcmp(e.f[i].type, "counter") == 0)
			cr_assert_str_eq(e.f[i].name + l - 6, "_total");
	}
	cr_assert_eq(value(&e, "sluice_subscription_acked_total{topic=\"a.b/c-d_e\","
	                       "subscription=\"s1\"}"), 15);
	cr_assert_eq(value(&e, "sluice_subscription_backlog_messages{topic="
	                       "\"a.b/c-d_e\",subscription=\"s1\"}"), 0);
	cr_assert_gt(value(&e, "sluice_uptime_seconds"), 0);
	cr_assert_gt(value(&e, "sluice_resident_memory_bytes"), 0);
	cr_assert_gt(value(&e, "sluice_disk_bytes"), 0);
	cr_assert_eq(value(&e, "sluice_storage_writable"), 1);
	cr_assert_eq(value(&e, "sluice_storage_write_stopped"), 0);
	expo_free(&e);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ---- /health: a small JSON validator ---- */

static const char *json_value(const char *p);

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	cr_assert_eq(*p, '"');
	for (p++; *p != '"'; p++) {
		cr_assert((unsigned char) *p >= 0x20, "control character in a string");
		if (*p == '\\') {
			p++;
			cr_assert(strchr("\"\\/bfnrtu", *p) != NULL && *p != '\0');
		}
	}
	return p + 1;
}

static const char *
json_seq(const char *p, char close, int object)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = ws(json_string(ws(p)));
			cr_assert_eq(*p, ':');
			p++;
		}
		p = ws(json_value(ws(p)));
		if (*p == close)
			return p + 1;
		cr_assert_eq(*p, ',', "JSON: expected ',' at: %s", p);
		p++;
	}
}

static const char *
json_value(const char *p)
{
	if (*p == '{')
		return json_seq(p, '}', 1);
	if (*p == '[')
		return json_seq(p, ']', 0);
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (strncmp(p, "null", 4) == 0)
		return p + 4;
	char *end;
	(void) strtod(p, &end);
	cr_assert(end != p, "JSON: bad value at: %s", p);
	return end;
}

Test(metrics, health_is_json_and_other_paths_and_methods_are_refused)
{
	start("100");
	http_reply r;
	char ct[128];
	cr_assert_eq(http_request(mport, "GET", "/health", &r), 0);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(http_header(&r, "Content-Type", ct, sizeof(ct)));
	cr_assert_str_eq(ct, "application/json");
	cr_assert_eq(*ws(json_value(ws(r.body))), '\0', "trailing bytes: %s", r.body);
	cr_assert_not_null(strstr(r.body, "\"healthy\":true"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"storage_writable\":true"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"listener_up\":true"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"loop_lag_ms\":"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"problems\":[]"), "%s", r.body);
	http_reply_free(&r);

	cr_assert_eq(http_request(mport, "GET", "/nope", &r), 0);
	cr_assert_eq(r.status, 404);
	http_reply_free(&r);
	cr_assert_eq(http_request(mport, "GET", "/metrics/x", &r), 0);
	cr_assert_eq(r.status, 404);
	http_reply_free(&r);
	cr_assert_eq(http_request(mport, "POST", "/metrics", &r), 0);
	cr_assert_eq(r.status, 405);
	http_reply_free(&r);
	cr_assert_eq(http_request(mport, "DELETE", "/health", &r), 0);
	cr_assert_eq(r.status, 405);
	http_reply_free(&r);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(metrics, per_consumer_series_are_omitted_past_the_limit)
{
	start("1");
	raw_conn c1, c2;
	conn(&c1);
	conn(&c2);
	cr_assert_eq(raw_publish(&c1, "t", 2, "x", NULL), SLUICE_OK);
	(void) subscribe(&c1, "t", "one", "c1");
	expo e;
	scrape(&e);
	cr_assert_eq(value(&e, "sluice_consumer_metrics_omitted"), 0);
	cr_assert_eq(count_named(&e, "sluice_consumer_delivered_total"), 1);
	expo_free(&e);

	(void) subscribe(&c2, "t", "two", "c2");
	scrape(&e);
	cr_assert_eq(value(&e, "sluice_consumers"), 2);
	cr_assert_eq(value(&e, "sluice_consumer_metrics_omitted"), 1);
	cr_assert_null(family_of(&e, "sluice_consumer_delivered_total"));
	cr_assert_eq(count_named(&e, "sluice_consumer_delivered_total"), 0);
	cr_assert_eq(count_named(&e, "sluice_consumer_unacked_messages"), 0);
	/* Per-subscription series stay. */
	cr_assert_eq(value(&e, "sluice_subscription_consumers{topic=\"t\","
	                       "subscription=\"two\"}"), 1);
	expo_free(&e);
	raw_close(&c1);
	raw_close(&c2);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(metrics, a_metrics_address_in_use_stops_the_broker_from_starting)
{
	/* Hold a port. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof(sa);
	cr_assert_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);

	char url[64], murl[64], data[600], err[4096];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	snprintf(murl, sizeof(murl), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *argv[] = { getenv("SLUICED"), "--listen", url, "--data", data,
		"--metrics-listen", murl, NULL };
	cr_assert_not_null(argv[0]);
	int st = run_capture(argv, NULL, 0, err, sizeof(err));
	cr_assert_eq(st, 1, "exit status %d; stderr: %s", st, err);
	cr_assert_not_null(strstr(err, "cannot serve metrics on"), "%s", err);
	cr_assert_not_null(strstr(err, murl), "%s", err);
	close(fd);
}
