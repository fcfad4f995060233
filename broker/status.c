/*
 * status.c - the broker's health checks and headline figures (see
 * status.h), and the timer that measures loop lag. It reads the engine
 * and the broker's tables; it changes nothing but its own status_state.
 * Rendering for HTTP is metrics.c's job, serving it http.c's.
 */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "broker.h"

/* Rates are ticked every this many lag ticks (once a second). */
#define RATE_EVERY_TICKS (1000 / STATUS_LAG_TICK_MS)

static void
sum_rate(void *arg, tlog_topic *t)
{
	*(double *) arg += tlog_topic_publish_rate(t);
}

/* Messages published to all topics since start. */
static uint64_t
published_total(broker *b)
{
	return b->log != NULL ? tlog_published_total(b->log) : 0;
}

/*
 * A repeating timer measures how late it runs: a loop turn that blocks
 * (a long callback, a slow synchronous write) delays every timer, so the
 * lateness of this one is the lag every client request sees.
 */
static void
on_lag_tick(uv_timer_t *h)
{
	broker *b = h->data;
	status_state *st = &b->status;
	uint64_t now = uv_hrtime();
	st->lag_ms = now > st->next_due_ns ? (now - st->next_due_ns) / 1000000 : 0;
	st->next_due_ns = now + (uint64_t) STATUS_LAG_TICK_MS * 1000000;
	/* The topics' publish rates are ticked by the watchdog; the
	 * delivery rate has no other home. */
	if (++st->ticks % RATE_EVERY_TICKS == 0 && b->subs != NULL)
		rate_tick(&st->delivery_rate, subs_delivered_total(b->subs),
		    uv_now(&b->loop));
}

void
status_start(broker *b)
{
	status_state *st = &b->status;
	st->started_ms = uv_now(&b->loop);
	st->listener_up = 1;
	st->next_due_ns = uv_hrtime() + (uint64_t) STATUS_LAG_TICK_MS * 1000000;
	uv_timer_init(&b->loop, &st->lag_timer);
	st->lag_timer.data = b;
	uv_timer_start(&st->lag_timer, on_lag_tick, STATUS_LAG_TICK_MS,
	    STATUS_LAG_TICK_MS);
	st->running = 1;
}

void
status_stop(broker *b)
{
	status_state *st = &b->status;
	st->listener_up = 0;
	if (st->running) {
		uv_close((uv_handle_t *) &st->lag_timer, NULL);
		st->running = 0;
	}
}

uint64_t
status_loop_lag_ms(broker *b)
{
	status_state *st = &b->status;
	uint64_t now = uv_hrtime();
	uint64_t overdue = 0;
	/* A tick that should have run already counts too: its lateness is
	 * what the loop costs right now. */
	if (st->running && now > st->next_due_ns)
		overdue = (now - st->next_due_ns) / 1000000;
	return overdue > st->lag_ms ? overdue : st->lag_ms;
}

static void __attribute__((format(printf, 3, 4)))
problem(status_problems *buf, size_t *n, const char *fmt, ...)
{
	va_list ap;
	if (*n == STATUS_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf->text[*n], STATUS_PROBLEM_LEN, fmt, ap);
	va_end(ap);
	buf->ptrs[*n] = buf->text[*n];
	(*n)++;
}

void
status_health(broker *b, Sluice__BrokerHealth *out, status_problems *buf)
{
	Sluice__BrokerHealth h = SLUICE__BROKER_HEALTH__INIT;
	tlog_storage st = { 0 };
	size_t n = 0;

	if (b->log != NULL)
		tlog_storage_stats(b->log, &st);
	h.storage_writable = st.storage_writable && !st.write_stopped;
	h.listener_up = b->status.listener_up && b->state == BROKER_RUNNING;
	h.loop_lag_ms = status_loop_lag_ms(b);

	if (!st.storage_writable)
		problem(buf, &n, "storage: the last write to RocksDB failed");
	if (st.write_stopped)
		problem(buf, &n, "storage: RocksDB is stopping writes (write stall)");
	if (!h.listener_up)
		problem(buf, &n, "listener: %s", b->state == BROKER_RUNNING
		        ? "not listening for clients"
		        : "closed, the broker is shutting down");
	if (h.loop_lag_ms >= STATUS_LAG_LIMIT_MS)
		problem(buf, &n, "event loop: timers run %llu ms late (limit %d ms)",
		    (unsigned long long) h.loop_lag_ms, STATUS_LAG_LIMIT_MS);
	h.healthy = n == 0;
	h.n_problems = n;
	h.problems = n > 0 ? buf->ptrs : NULL;
	*out = h;
}

uint64_t
status_rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL)
		return 0;
	int got = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	long page = sysconf(_SC_PAGESIZE);
	if (got != 2 || page <= 0)
		return 0;
	return (uint64_t) resident * (uint64_t) page;
}

void
status_broker_stats(broker *b, Sluice__BrokerStats *out)
{
	Sluice__BrokerStats s = SLUICE__BROKER_STATS__INIT;
	tlog_storage st = { 0 };

	s.version = (char *) SLUICE_VERSION;
	if (b->status.started_ms != 0)
		s.uptime_ms = uv_now(&b->loop) - b->status.started_ms;
	s.connections = (uint32_t) sessions_count(&b->sessions);
	if (b->log != NULL) {
		s.topics = (uint32_t) tlog_topic_count(b->log);
		tlog_storage_stats(b->log, &st);
	}
	if (b->subs != NULL) {
		s.subscriptions = (uint32_t) subs_count(b->subs);
		s.delivered_total = subs_delivered_total(b->subs);
	}
	s.published_total = published_total(b);
	if (b->log != NULL)
		tlog_topics_foreach(b->log, sum_rate, &s.publish_rate);
	s.delivery_rate = b->status.delivery_rate.per_sec;
	s.disk_bytes = st.disk_bytes;
	s.rss_bytes = status_rss_bytes();
	*out = s;
}
