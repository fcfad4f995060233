/*
 * status.h - the broker's health and headline figures, as the admin
 * handler (`sluice-admin broker health|stats`) and the HTTP endpoints
 * (/health, /metrics) report them. Also owns the loop-lag timer that
 * health is judged by. Loop thread only, like all broker state.
 */
#ifndef SL_STATUS_H
#define SL_STATUS_H

#include <stdint.h>
#include <uv.h>

#include "codec.h"
#include "rate.h"

struct broker;

/* The lag timer's period, and the lag above which the loop counts as
 * stalled (health then says so). */
#define STATUS_LAG_TICK_MS 100
#define STATUS_LAG_LIMIT_MS 1000

/* What status_start/status_stop keep; a field of struct broker. */
typedef struct {
	uv_timer_t lag_timer;   /* every STATUS_LAG_TICK_MS */
	int running;            /* lag_timer initialized and not closed */
	uint64_t next_due_ns;   /* uv_hrtime() when the next tick is due */
	uint64_t lag_ms;        /* how late the last tick ran */
	uint64_t started_ms;    /* loop time (uv_now) when serving began */
	int listener_up;        /* set once the nng listener is listening */
	unsigned ticks;
	rate delivery_rate;     /* deliveries/s, all subscriptions */
} status_state;

/* Storage for the problem texts of status_health: no allocation, and
 * nothing to free. */
#define STATUS_MAX_PROBLEMS 4
#define STATUS_PROBLEM_LEN 160
typedef struct {
	char text[STATUS_MAX_PROBLEMS][STATUS_PROBLEM_LEN];
	char *ptrs[STATUS_MAX_PROBLEMS];
} status_problems;

/*
 * status_start records the start time, marks the listener up and starts
 * the lag timer. Call it once the nng listener listens (start_handles).
 * status_stop closes the timer (the loop must run once more to finish
 * the close). Loop thread.
 */
void status_start(struct broker *b);
void status_stop(struct broker *b);

/*
 * status_loop_lag_ms is how late the loop runs its timers, in ms: the
 * lateness of the last lag tick, or of the pending one if it is overdue
 * already. Loop thread.
 */
uint64_t status_loop_lag_ms(struct broker *b);

/*
 * status_health fills *out (initialized here: the caller passes bare
 * storage) with the broker's health:
 *   storage_writable  the last RocksDB write succeeded and RocksDB is not
 *                     stopping writes (a write stall);
 *   listener_up       the nng listener started and the broker is RUNNING
 *                     (false while draining for shutdown);
 *   loop_lag_ms       status_loop_lag_ms();
 *   healthy           all of the above, with loop_lag_ms below
 *                     STATUS_LAG_LIMIT_MS;
 *   problems          one sentence per failed check, empty when healthy.
 * The problem strings live in *buf: out->problems points into it, so
 * *out is valid as long as *buf is. Nothing is allocated; do not pass
 * *out to protobuf-c's free functions. Loop thread.
 */
void status_health(struct broker *b, Sluice__BrokerHealth *out,
    status_problems *buf);

/*
 * status_broker_stats fills *out (initialized here) with: version,
 * uptime_ms, connections (open now), topics, subscriptions,
 * published_total and delivered_total (messages since start, all topics;
 * deliveries include redeliveries), publish_rate and delivery_rate
 * (per second, ~10 s average), disk_bytes (RocksDB SST + WAL) and
 * rss_bytes (the process's resident memory). version points to a static
 * string: nothing to free. Loop thread.
 */
void status_broker_stats(struct broker *b, Sluice__BrokerStats *out);

/* The process's resident set size in bytes (from /proc/self/statm);
 * 0 when it cannot be read. Any thread. */
uint64_t status_rss_bytes(void);
#endif
