/*
 * metrics.c - the Prometheus text exposition (format 0.0.4) of the
 * broker's state, and the health JSON (see metrics.h). It only reads:
 * figures come from the engine (subs_*, tlog_*), the broker's tables and
 * status.c. Serving them is http.c's job.
 *
 * The format wants every sample of a metric right after its HELP and TYPE
 * lines, but the state is walked topic by topic. So one walk appends each
 * sample to its family's own buffer, and the families are joined at the
 * end, in the order of the table below.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "broker.h"
#include "limit.h"
#include "ratelimit.h"
#include "status.h"

/* Metric families, in output order. docs/metrics.md describes each. */
enum {
	F_BUILD_INFO, F_UPTIME, F_HEALTHY, F_LOOP_LAG, F_CONNECTIONS,
	F_CONNECTIONS_TOTAL, F_TOPICS, F_SUBSCRIPTIONS, F_CONSUMERS,
	F_STORAGE_WRITABLE, F_WRITE_STOPPED, F_STALL, F_DELAYED_RATE, F_DISK,
	F_RSS, F_H_PERSIST, F_H_DELIVER, F_H_ACK,
	F_PUB_RATE_LIMITED, F_BREAKER_OPENS, F_LIMIT_REJECTIONS,
	F_AUTH_FAILURES, F_AUTHZ_DENIED, F_LOG_LEFT_OUT,
	F_T_PUBLISHED, F_T_PUBLISHED_BYTES, F_T_HEAD, F_T_FIRST, F_T_STORED,
	F_T_RATE_LIMITED,
	F_S_BACKLOG, F_S_BACKLOG_BYTES, F_S_QUEUE, F_S_UNACKED, F_S_OLDEST,
	F_S_CONSUMERS, F_S_DELIVERED, F_S_ACKED, F_S_NACKED, F_S_REDELIVERED,
	F_S_DROPPED, F_S_IGNORED, F_S_STUCK, F_S_RATE_LIMITED,
	F_S_ACK_TIMEOUTS, F_S_EXHAUSTED, F_S_DEAD_LETTERED, F_S_PARKED,
	F_S_DROPPED_EXHAUSTED, F_S_BLOCKED,
	F_C_OMITTED, F_C_DELIVERED, F_C_ACKED, F_C_UNACKED, F_C_BREAKER_OPEN,
	F_COUNT
};

static const struct {
	const char *name, *type, *help;
} fams[F_COUNT] = {
	[F_BUILD_INFO] = { "sluice_build_info", "gauge",
	    "Always 1; the version label names the running sluiced." },
	[F_UPTIME] = { "sluice_uptime_seconds", "gauge",
	    "Seconds since the broker started serving." },
	[F_HEALTHY] = { "sluice_healthy", "gauge",
	    "1 when every health check passes (GET /health explains a 0)." },
	[F_LOOP_LAG] = { "sluice_loop_lag_seconds", "gauge",
	    "How late the event loop runs its timers." },
	[F_CONNECTIONS] = { "sluice_connections", "gauge",
	    "Client connections open now." },
	[F_CONNECTIONS_TOTAL] = { "sluice_connections_total", "counter",
	    "Client connections accepted since start." },
	[F_TOPICS] = { "sluice_topics", "gauge", "Topics." },
	[F_SUBSCRIPTIONS] = { "sluice_subscriptions", "gauge",
	    "Subscriptions, all topics." },
	[F_CONSUMERS] = { "sluice_consumers", "gauge",
	    "Consumers attached, all subscriptions." },
	[F_STORAGE_WRITABLE] = { "sluice_storage_writable", "gauge",
	    "1 when the last RocksDB write succeeded." },
	[F_WRITE_STOPPED] = { "sluice_storage_write_stopped", "gauge",
	    "1 while RocksDB stops writes (a write stall)." },
	[F_STALL] = { "sluice_storage_write_stall_seconds_total", "counter",
	    "Time RocksDB held writes back (stalls and slowdowns)." },
	[F_DELAYED_RATE] = { "sluice_storage_delayed_write_rate_bytes", "gauge",
	    "RocksDB's write rate limit in bytes/s while it slows writes; 0 otherwise." },
	[F_DISK] = { "sluice_disk_bytes", "gauge",
	    "Size of the RocksDB files (SST and WAL)." },
	[F_RSS] = { "sluice_resident_memory_bytes", "gauge",
	    "Resident memory of the broker process." },
	[F_H_PERSIST] = { "sluice_publish_to_persist_seconds", "histogram",
	    "From reading a publish request to its group commit written (one per request)." },
	[F_H_DELIVER] = { "sluice_publish_to_deliver_seconds", "histogram",
	    "From a message's publish time to its first delivery." },
	[F_H_ACK] = { "sluice_deliver_to_ack_seconds", "histogram",
	    "From a delivery to its ack." },
	[F_PUB_RATE_LIMITED] = { "sluice_publish_rate_limited_total", "counter",
	    "Publishes whose ack a topic's publish rate limit delayed, all topics." },
	[F_BREAKER_OPENS] = { "sluice_consumer_breaker_opens_total", "counter",
	    "Times a consumer's circuit breaker opened, all subscriptions." },
	[F_LIMIT_REJECTIONS] = { "sluice_limit_rejections_total", "counter",
	    "Requests refused and connections closed by a limit against abuse, per limit." },
	[F_AUTH_FAILURES] = { "sluice_auth_failures_total", "counter",
	    "Hellos refused with SLUICE_EAUTH, and /metrics requests refused 401." },
	[F_AUTHZ_DENIED] = { "sluice_authz_denied_total", "counter",
	    "Requests refused with SLUICE_EPERM by the ACL." },
	[F_LOG_LEFT_OUT] = { "sluice_connection_log_lines_left_out_total", "counter",
	    "Per-connection log lines left out past the budget of 50 a second." },
	[F_T_PUBLISHED] = { "sluice_topic_published_messages_total", "counter",
	    "Messages published to the topic since start." },
	[F_T_PUBLISHED_BYTES] = { "sluice_topic_published_bytes_total", "counter",
	    "Bytes (encoded records) published to the topic since start." },
	[F_T_HEAD] = { "sluice_topic_head_offset", "gauge",
	    "The offset the next message will get." },
	[F_T_FIRST] = { "sluice_topic_first_offset", "gauge",
	    "The oldest offset kept." },
	[F_T_STORED] = { "sluice_topic_stored_bytes", "gauge",
	    "Bytes of the messages kept (encoded records)." },
	[F_T_RATE_LIMITED] = { "sluice_topic_publish_rate_limited_total", "counter",
	    "Publishes to the topic whose ack its publish rate limit delayed." },
	[F_S_BACKLOG] = { "sluice_subscription_backlog_messages", "gauge",
	    "Messages not yet acked." },
	[F_S_BACKLOG_BYTES] = { "sluice_subscription_backlog_bytes", "gauge",
	    "Estimate: backlog times the topic's mean stored message size." },
	[F_S_QUEUE] = { "sluice_subscription_queue_messages", "gauge",
	    "Non-reliable: messages waiting in consumer queues; reliable: delivered, unacked." },
	[F_S_UNACKED] = { "sluice_subscription_unacked_messages", "gauge",
	    "Delivered messages waiting for an ack." },
	[F_S_OLDEST] = { "sluice_subscription_oldest_unacked_age_seconds", "gauge",
	    "Age of the oldest unacked delivery; 0 when none." },
	[F_S_CONSUMERS] = { "sluice_subscription_consumers", "gauge",
	    "Consumers attached." },
	[F_S_DELIVERED] = { "sluice_subscription_delivered_total", "counter",
	    "Deliveries since start, redeliveries included." },
	[F_S_ACKED] = { "sluice_subscription_acked_total", "counter",
	    "Acks applied since start." },
	[F_S_NACKED] = { "sluice_subscription_nacked_total", "counter",
	    "Nacks applied since start." },
	[F_S_REDELIVERED] = { "sluice_subscription_redelivered_total", "counter",
	    "Redeliveries since start (after nacks and departed consumers)." },
	[F_S_DROPPED] = { "sluice_subscription_dropped_total", "counter",
	    "Non-reliable: messages dropped by the overflow policy." },
	[F_S_IGNORED] = { "sluice_subscription_ignored_acks_total", "counter",
	    "Acks that matched no unacked delivery." },
	[F_S_STUCK] = { "sluice_subscription_stuck", "gauge",
	    "1 for the reason the subscription is not progressing; 0 for the other reasons." },
	[F_S_ACK_TIMEOUTS] = { "sluice_subscription_ack_timeouts_total", "counter",
	    "Deliveries that were not acked within the ack timeout (each a failed attempt)." },
	[F_S_EXHAUSTED] = { "sluice_subscription_exhausted_total", "counter",
	    "Messages that failed more than max_redeliveries times." },
	[F_S_DEAD_LETTERED] = { "sluice_subscription_dead_lettered_total", "counter",
	    "Exhausted messages written to the dead-letter topic." },
	[F_S_PARKED] = { "sluice_subscription_parked_messages", "gauge",
	    "Exhausted messages parked now (sluice-admin parked list)." },
	[F_S_DROPPED_EXHAUSTED] = { "sluice_subscription_dropped_exhausted_total", "counter",
	    "Exhausted messages dropped by on_exhausted drop." },
	[F_S_BLOCKED] = { "sluice_subscription_blocked", "gauge",
	    "1 while on_exhausted block stops the subscription at a message." },
	[F_S_RATE_LIMITED] = { "sluice_subscription_rate_limited_total", "counter",
	    "Dispatch rounds the subscription's dispatch rate limit cut short." },
	[F_C_OMITTED] = { "sluice_consumer_metrics_omitted", "gauge",
	    "1 when per-consumer series are left out: more consumers than --metrics-max-consumers." },
	[F_C_DELIVERED] = { "sluice_consumer_delivered_total", "counter",
	    "Deliveries to the consumer since it attached." },
	[F_C_ACKED] = { "sluice_consumer_acked_total", "counter",
	    "Acks from the consumer since it attached." },
	[F_C_UNACKED] = { "sluice_consumer_unacked_messages", "gauge",
	    "Messages the consumer holds unacked." },
	[F_C_BREAKER_OPEN] = { "sluice_consumer_breaker_open", "gauge",
	    "1 while the consumer's circuit breaker is open or half-open (its deliveries failed)." },
};

/* ---- the growable buffer ---- */

void
metrics_buf_init(metrics_buf *mb)
{
	memset(mb, 0, sizeof(*mb));
}

void
metrics_buf_fini(metrics_buf *mb)
{
	sl_free(mb->data);
	memset(mb, 0, sizeof(*mb));
}

static int
reserve(metrics_buf *mb, size_t more)
{
	if (mb->failed)
		return -1;
	if (mb->len + more + 1 <= mb->cap)
		return 0;
	size_t cap = mb->cap ? mb->cap : 1024;
	while (cap < mb->len + more + 1)
		cap *= 2;
	char *p = sl_realloc(mb->data, cap);
	if (p == NULL) {
		mb->failed = 1;
		return -1;
	}
	mb->data = p;
	mb->cap = cap;
	return 0;
}

void
metrics_buf_put(metrics_buf *mb, const char *s, size_t n)
{
	if (reserve(mb, n) != 0)
		return;
	memcpy(mb->data + mb->len, s, n);
	mb->len += n;
	mb->data[mb->len] = '\0';
}

void
metrics_buf_printf(metrics_buf *mb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t) n < sizeof(small)) {
		metrics_buf_put(mb, small, (size_t) n);
		return;
	}
	if (reserve(mb, (size_t) n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(mb->data + mb->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	mb->len += (size_t) n;
}

/* ---- samples ---- */

typedef struct {
	const char *k, *v;
} label;

/* A label value escaped as the format asks: \\, \" and \n. */
static void
put_label_value(metrics_buf *mb, const char *v)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\')
			metrics_buf_put(mb, "\\\\", 2);
		else if (*p == '"')
			metrics_buf_put(mb, "\\\"", 2);
		else if (*p == '\n')
			metrics_buf_put(mb, "\\n", 2);
		else
			metrics_buf_put(mb, p, 1);
	}
}

/* One line: name[suffix]{k="v",...} value */
static void
sample(metrics_buf *mb, int f, const char *suffix, const label *ls, size_t n,
    const char *value)
{
	metrics_buf_printf(mb, "%s%s", fams[f].name, suffix);
	for (size_t i = 0; i < n; i++) {
		metrics_buf_printf(mb, "%s%s=\"", i == 0 ? "{" : ",", ls[i].k);
		put_label_value(mb, ls[i].v);
		metrics_buf_put(mb, "\"", 1);
	}
	metrics_buf_printf(mb, "%s %s\n", n > 0 ? "}" : "", value);
}

static void
sample_u64(metrics_buf *mb, int f, const label *ls, size_t n, uint64_t v)
{
	char val[24];
	snprintf(val, sizeof(val), "%llu", (unsigned long long) v);
	sample(mb, f, "", ls, n, val);
}

/* Microseconds as decimal seconds, exactly (no floating point). */
static void
fmt_seconds(char *out, size_t n, uint64_t us)
{
	snprintf(out, n, "%llu.%06llu", (unsigned long long) (us / 1000000),
	    (unsigned long long) (us % 1000000));
}

static void
sample_seconds(metrics_buf *mb, int f, const label *ls, size_t n, uint64_t us)
{
	char val[32];
	fmt_seconds(val, sizeof(val), us);
	sample(mb, f, "", ls, n, val);
}

/* A bucket bound in seconds without trailing zeros: 0.00025, 2.5, 10. */
static void
fmt_bound(char *out, size_t n, uint64_t us)
{
	fmt_seconds(out, n, us);
	size_t len = strlen(out);
	while (len > 0 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 0 && out[len - 1] == '.')
		out[--len] = '\0';
}

/* Buckets are cumulative on output: each counts everything at or below
 * its bound; +Inf and _count are the total. */
static void
histogram(metrics_buf *mb, int f, const lathist *h)
{
	static const lathist empty;
	char le[32], val[32];
	uint64_t cum = 0;
	if (h == NULL)
		h = &empty;
	for (size_t i = 0; i < LATHIST_NBUCKETS; i++) {
		cum += h->counts[i];
		fmt_bound(le, sizeof(le), lathist_bounds_us[i]);
		snprintf(val, sizeof(val), "%llu", (unsigned long long) cum);
		sample(mb, f, "_bucket", &(label) { "le", le }, 1, val);
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long) h->count);
	sample(mb, f, "_bucket", &(label) { "le", "+Inf" }, 1, val);
	fmt_seconds(val, sizeof(val), h->sum_us);
	sample(mb, f, "_sum", NULL, 0, val);
	snprintf(val, sizeof(val), "%llu", (unsigned long long) h->count);
	sample(mb, f, "_count", NULL, 0, val);
}

/* ---- the walk ---- */

typedef struct {
	broker *b;
	metrics_buf fam[F_COUNT];
	uint64_t now_ms;
	int per_consumer;          /* emit the sluice_consumer_* series */
	tlog_topic *topic;         /* being walked */
	double mean_bytes;         /* its mean stored message size */
	const char *sub;           /* subscription being walked */
} walk;

static void
on_consumer(void *arg, const subs_consumer_info *ci)
{
	walk *w = arg;
	char id[24];
	snprintf(id, sizeof(id), "%llu", (unsigned long long) ci->id);
	const char *name = ci->name != NULL && ci->name[0] != '\0' ? ci->name : id;
	/* consumer_id keeps two consumers of the same name apart. */
	label ls[] = { { "topic", tlog_topic_name(w->topic) },
		{ "subscription", w->sub }, { "consumer", name },
		{ "consumer_id", id } };
	sample_u64(&w->fam[F_C_DELIVERED], F_C_DELIVERED, ls, 4, ci->delivered);
	sample_u64(&w->fam[F_C_ACKED], F_C_ACKED, ls, 4, ci->acked);
	sample_u64(&w->fam[F_C_UNACKED], F_C_UNACKED, ls, 4, ci->unacked);
	sample_u64(&w->fam[F_C_BREAKER_OPEN], F_C_BREAKER_OPEN, ls, 4,
	    ci->breaker != NULL && strcmp(ci->breaker, "closed") != 0);
}

static void
stuck(walk *w, const label *ls, subs_why_code now)
{
	for (int c = 0; c < SUBS_WHY_COUNT; c++) {
		if (c == SUBS_WHY_PROGRESSING || c == SUBS_WHY_CAUGHT_UP)
			continue;
		label l3[] = { ls[0], ls[1], { "reason", subs_why_name(c) } };
		sample(&w->fam[F_S_STUCK], F_S_STUCK, "", l3, 3,
		    (subs_why_code) c == now ? "1" : "0");
	}
}

static void
on_subscription(void *arg, const char *name)
{
	walk *w = arg;
	subs *s = w->b->subs;
	subs_stats st;
	subs_why why;
	if (subs_get_stats(s, w->topic, name, w->now_ms, &st) != SLUICE_OK)
		return;
	label ls[] = { { "topic", tlog_topic_name(w->topic) },
		{ "subscription", name } };
	int reliable = st.mode == SLUICE__SUB_MODE__MODE_RELIABLE;
	struct {
		int f;
		uint64_t v;
	} vals[] = {
		{ F_S_BACKLOG, st.backlog },
		{ F_S_BACKLOG_BYTES, (uint64_t) ((double) st.backlog * w->mean_bytes) },
		{ F_S_QUEUE, reliable ? st.unacked : st.queued },
		{ F_S_UNACKED, st.unacked },
		{ F_S_CONSUMERS, st.consumers },
		{ F_S_DELIVERED, st.delivered },
		{ F_S_ACKED, st.acked },
		{ F_S_NACKED, st.nacked },
		{ F_S_REDELIVERED, st.redelivered },
		{ F_S_DROPPED, st.dropped },
		{ F_S_IGNORED, st.ignored_acks },
		{ F_S_RATE_LIMITED, st.rate_limited },
		{ F_S_ACK_TIMEOUTS, st.ack_timeouts },
		{ F_S_EXHAUSTED, st.exhausted },
		{ F_S_DEAD_LETTERED, st.dead_lettered },
		{ F_S_PARKED, st.parked },
		{ F_S_DROPPED_EXHAUSTED, st.dropped_exhausted },
		{ F_S_BLOCKED, (uint64_t) st.blocked },
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		sample_u64(&w->fam[vals[i].f], vals[i].f, ls, 2, vals[i].v);
	sample_seconds(&w->fam[F_S_OLDEST], F_S_OLDEST, ls, 2,
	    st.unacked > 0 ? st.oldest_unacked_ms * 1000 : 0);
	if (subs_explain(s, w->topic, name, w->now_ms, &why) == SLUICE_OK)
		stuck(w, ls, why.code);
	if (w->per_consumer) {
		w->sub = name;
		(void) subs_consumers(s, w->topic, name, on_consumer, w);
	}
}

static void
on_topic(void *arg, tlog_topic *t)
{
	walk *w = arg;
	label ls[] = { { "topic", tlog_topic_name(t) } };
	uint64_t head = tlog_topic_head(t), first = tlog_topic_first(t);
	uint64_t bytes = tlog_topic_bytes(t);
	sample_u64(&w->fam[F_T_PUBLISHED], F_T_PUBLISHED, ls, 1,
	    tlog_topic_published(t));
	sample_u64(&w->fam[F_T_PUBLISHED_BYTES], F_T_PUBLISHED_BYTES, ls, 1,
	    tlog_topic_published_bytes(t));
	sample_u64(&w->fam[F_T_HEAD], F_T_HEAD, ls, 1, head);
	sample_u64(&w->fam[F_T_FIRST], F_T_FIRST, ls, 1, first);
	sample_u64(&w->fam[F_T_STORED], F_T_STORED, ls, 1, bytes);
	sample_u64(&w->fam[F_T_RATE_LIMITED], F_T_RATE_LIMITED, ls, 1,
	    ratelimit_publish_limited(w->b, t));
	w->topic = t;
	w->mean_bytes = head > first ? (double) bytes / (double) (head - first) : 0;
	if (w->b->subs != NULL)
		subs_list(w->b->subs, t, on_subscription, w);
}

static void
count_consumers(session *s, void *arg)
{
	*(uint64_t *) arg += s->nconsumers;
}

static void
broker_wide(walk *w, uint64_t consumers)
{
	broker *b = w->b;
	metrics_buf *f = w->fam;
	Sluice__BrokerStats bs;
	Sluice__BrokerHealth h;
	status_problems probs;
	tlog_storage st = { 0 };

	status_broker_stats(b, &bs);
	status_health(b, &h, &probs);
	if (b->log != NULL)
		tlog_storage_stats(b->log, &st);
	sample(&f[F_BUILD_INFO], F_BUILD_INFO, "", &(label) { "version", bs.version },
	    1, "1");
	sample_seconds(&f[F_UPTIME], F_UPTIME, NULL, 0, bs.uptime_ms * 1000);
	sample_u64(&f[F_HEALTHY], F_HEALTHY, NULL, 0, h.healthy ? 1 : 0);
	sample_seconds(&f[F_LOOP_LAG], F_LOOP_LAG, NULL, 0, h.loop_lag_ms * 1000);
	sample_u64(&f[F_CONNECTIONS], F_CONNECTIONS, NULL, 0, bs.connections);
	sample_u64(&f[F_CONNECTIONS_TOTAL], F_CONNECTIONS_TOTAL, NULL, 0,
	    b->sessions.connections_total);
	sample_u64(&f[F_TOPICS], F_TOPICS, NULL, 0, bs.topics);
	sample_u64(&f[F_SUBSCRIPTIONS], F_SUBSCRIPTIONS, NULL, 0, bs.subscriptions);
	sample_u64(&f[F_CONSUMERS], F_CONSUMERS, NULL, 0, consumers);
	sample_u64(&f[F_STORAGE_WRITABLE], F_STORAGE_WRITABLE, NULL, 0,
	    st.storage_writable ? 1 : 0);
	sample_u64(&f[F_WRITE_STOPPED], F_WRITE_STOPPED, NULL, 0,
	    st.write_stopped ? 1 : 0);
	sample_seconds(&f[F_STALL], F_STALL, NULL, 0, st.stall_micros);
	sample_u64(&f[F_DELAYED_RATE], F_DELAYED_RATE, NULL, 0, st.delayed_write_rate);
	sample_u64(&f[F_DISK], F_DISK, NULL, 0, bs.disk_bytes);
	sample_u64(&f[F_RSS], F_RSS, NULL, 0, bs.rss_bytes);
	sample_u64(&f[F_C_OMITTED], F_C_OMITTED, NULL, 0, w->per_consumer ? 0 : 1);
	sample_u64(&f[F_PUB_RATE_LIMITED], F_PUB_RATE_LIMITED, NULL, 0, b->pub_rate_limited);
	sample_u64(&f[F_BREAKER_OPENS], F_BREAKER_OPENS, NULL, 0,
	    b->subs != NULL ? subs_breaker_opens_total(b->subs) : 0);
	for (int k = 0; k < LIMIT_COUNT; k++)
		sample_u64(&f[F_LIMIT_REJECTIONS], F_LIMIT_REJECTIONS,
		    &(label) { "limit", limit_name((limit_kind) k) }, 1,
		    limit_rejections(b, (limit_kind) k));
	sample_u64(&f[F_AUTH_FAILURES], F_AUTH_FAILURES, NULL, 0, b->auth.failures);
	sample_u64(&f[F_AUTHZ_DENIED], F_AUTHZ_DENIED, NULL, 0, b->auth.denied);
	sample_u64(&f[F_LOG_LEFT_OUT], F_LOG_LEFT_OUT, NULL, 0, b->connlog.left_out_total);

	subs_latency lat = { 0 };
	if (b->subs != NULL)
		subs_get_latency(b->subs, &lat);
	histogram(&f[F_H_PERSIST], F_H_PERSIST, &b->publish_to_persist);
	histogram(&f[F_H_DELIVER], F_H_DELIVER, lat.publish_to_deliver);
	histogram(&f[F_H_ACK], F_H_ACK, lat.deliver_to_ack);
}

static int
is_consumer_family(int f)
{
	return f == F_C_DELIVERED || f == F_C_ACKED || f == F_C_UNACKED ||
	    f == F_C_BREAKER_OPEN;
}

sluice_err
metrics_render(broker *b, metrics_buf *out)
{
	walk w;
	uint64_t consumers = 0;

	memset(&w, 0, sizeof(w));
	w.b = b;
	w.now_ms = broker_now_ms(b);
	sessions_foreach(&b->sessions, count_consumers, &consumers);
	/* Per-consumer series can outnumber everything else: past the
	 * limit they are left out, so a scrape stays cheap. */
	w.per_consumer = consumers <= b->cfg.metrics_max_consumers;
	for (int f = 0; f < F_COUNT; f++)
		metrics_buf_init(&w.fam[f]);

	broker_wide(&w, consumers);
	if (b->log != NULL)
		tlog_topics_foreach(b->log, on_topic, &w);

	int failed = 0;
	for (int f = 0; f < F_COUNT; f++) {
		if (is_consumer_family(f) && !w.per_consumer)
			continue;
		metrics_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name,
		    fams[f].help, fams[f].name, fams[f].type);
		metrics_buf_put(out, w.fam[f].data ? w.fam[f].data : "", w.fam[f].len);
		failed |= w.fam[f].failed;
		metrics_buf_fini(&w.fam[f]);
	}
	return failed || out->failed ? SLUICE_ENOMEM : SLUICE_OK;
}

/* ---- health JSON ---- */

static void
put_json_string(metrics_buf *mb, const char *s)
{
	metrics_buf_put(mb, "\"", 1);
	for (const unsigned char *p = (const unsigned char *) s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			metrics_buf_printf(mb, "\\%c", *p);
		else if (*p < 0x20)
			metrics_buf_printf(mb, "\\u%04x", *p);
		else
			metrics_buf_put(mb, (const char *) p, 1);
	}
	metrics_buf_put(mb, "\"", 1);
}

sluice_err
metrics_render_health(broker *b, metrics_buf *out, int *healthy)
{
	Sluice__BrokerHealth h;
	status_problems probs;
	status_health(b, &h, &probs);
	metrics_buf_printf(out, "{\"healthy\":%s,\"storage_writable\":%s,"
	                        "\"listener_up\":%s,\"loop_lag_ms\":%llu,\"problems\":[",
	    h.healthy ? "true" : "false", h.storage_writable ? "true" : "false",
	    h.listener_up ? "true" : "false", (unsigned long long) h.loop_lag_ms);
	for (size_t i = 0; i < h.n_problems; i++) {
		if (i > 0)
			metrics_buf_put(out, ",", 1);
		put_json_string(out, h.problems[i]);
	}
	metrics_buf_put(out, "]}\n", 3);
	*healthy = h.healthy;
	return out->failed ? SLUICE_ENOMEM : SLUICE_OK;
}
