/*
 * bench.h - what the files of sluice-bench share: the options every mode
 * takes, the clock, argument parsing, the report (human and JSON), the
 * progress line, CPU and memory accounting, the publishing engine (pub.c)
 * and the consuming engine (sink.c). sluice-bench uses the public libsluice
 * API only.
 */
#ifndef SLUICE_BENCH_H
#define SLUICE_BENCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <sluice/sluice.h>

#include "histogram.h"
#include "../tls_opts.h"

#define EXIT_USAGE 2

/* Options every mode takes. */
typedef struct {
	const char *url;
	int         json;       /* --json: one JSON object on stdout */
	int         broker_pid; /* --broker-pid: account its CPU and RSS; 0 none */
	double      timeout_s;  /* --timeout: fail after this long without progress */
} bench_common;

/* ---- bench.c: clock, parsing, client ------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);
/* Sleeps until the CLOCK_MONOTONIC time t (ns). */
void bench_sleep_until(uint64_t t);
/* Strict number parsing: the whole string, within [min, max]. 0 on success,
 * -1 with a usage message on stderr naming opt. */
int bench_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
    uint64_t *out);
int bench_parse_double(const char *opt, const char *s, double min, double max,
    double *out);
/* A topic or subscription name unique to this run: "bench.<what>.<pid>.<sec>". */
void bench_unique_name(char *buf, size_t n, const char *what);
/* Connects to url; prints the error and returns it on failure. */
sluice_err bench_client_open(sluice_client **out, const char *url, const char *name);
/* Prints "sluice-bench: what: error text" on stderr. */
void bench_fail(const char *what, sluice_err rv);

/* ---- report.c: the results ----------------------------------------- */

typedef struct report report;

/* A report for mode; NULL when out of memory (the caller exits 1). */
report *report_alloc(const char *mode);
void report_free(report *r);
/* Fields in print order. key: the JSON name; label: the human one (NULL:
 * JSON only); unit: appended to the human value (may be NULL). */
void report_str(report *r, const char *key, const char *label, const char *v);
void report_u64(report *r, const char *key, const char *label, uint64_t v,
    const char *unit);
void report_f(report *r, const char *key, const char *label, double v, int prec,
    const char *unit);
/* A histogram of nanoseconds as <prefix>_{p50,p90,p99,p999,max,mean}_us. */
void report_latency(report *r, const char *prefix, const char *label,
    const histogram *h);
/* Prints the human summary, or the JSON object with --json. */
void report_print(const report *r, int json, FILE *f);

/* CPU and memory before and after the timed part. */
typedef struct {
	double client_cpu_s; /* this process, user + system */
	double broker_cpu_s; /* -1 when unknown */
} usage;

void usage_take(usage *u, int broker_pid);
/* Adds client_cpu_s, client_cpu_s_per_million and, with a broker pid,
 * broker_cpu_s, broker_cpu_s_per_million, broker_rss_kib, broker_hwm_kib. */
void usage_report(report *r, const usage *before, const usage *after,
    uint64_t msgs, int broker_pid);

/* ---- progress.c: the progress line on stderr (only on a TTY) ------- */

typedef uint64_t (*progress_fn)(void *arg);
typedef struct progress progress;

/* Starts printing "what: done/total, rate" twice a second when stderr is
 * a terminal; NULL (and nothing printed) otherwise. */
progress *progress_start(const char *what, uint64_t total, progress_fn fn, void *arg);
/* Stops and clears the line; accepts NULL. */
void progress_stop(progress *p);

/* ---- pub.c: publishing N messages with P producers ----------------- */

typedef struct {
	const char *url;
	const char *topic;
	uint32_t    producers; /* one client, producer and thread each */
	uint64_t    count;     /* in total */
	uint32_t    size;      /* payload bytes */
	uint32_t    window;    /* producer in-flight window */
	uint32_t    batch;     /* max messages per batch */
	uint32_t    linger_ms;
	histogram  *latency;   /* publish-ack latency, ns; NULL: not measured */
	const char *progress;  /* progress label; NULL: none */
} pub_cfg;

typedef struct {
	uint64_t   elapsed_ns;  /* first publish to last ack */
	uint64_t   acked;       /* messages stored */
	uint64_t   errors;      /* messages that failed */
	sluice_err first_err;   /* SLUICE_OK when none */
	uint64_t   min_offset;  /* smallest offset acked (UINT64_MAX: none) */
	uint64_t   max_offset;
} pub_result;

/* pub_run publishes cfg->count messages and waits for every ack. Returns
 * SLUICE_OK when all were stored; otherwise the first error (also printed). */
sluice_err pub_run(const pub_cfg *cfg, pub_result *res);

/* ---- sink.c: consuming and checking offsets ------------------------ */

/*
 * A sink group expects the offsets [base, base + n) and records which
 * arrived (a bitmap): the first arrival of an offset counts as distinct,
 * later ones as duplicates, offsets outside the range as extra. Several
 * consumer threads may feed one group.
 */
typedef struct {
	uint64_t            base, n;
	_Atomic uint64_t   *bits;     /* n bits */
	_Atomic uint64_t    distinct;
	_Atomic uint64_t    dups;
	_Atomic uint64_t    extra;
	_Atomic uint64_t    end_ns;   /* when distinct reached n; 0 before */
} sink_group;

int sink_group_init(sink_group *g, uint64_t base, uint64_t n);
void sink_group_fini(sink_group *g);
/* Counts offset; returns 1 when it completed the group. */
int sink_group_add(sink_group *g, uint64_t offset);

/* What a consumer thread needs. */
typedef struct {
	const char     *url;
	const char     *topic;
	const char     *subscription;
	sluice_sub_type type;
	sluice_sub_mode mode;
	uint32_t        window;
	sluice_start    start;
	uint64_t        start_offset;
	double          timeout_s;  /* fail after this long without progress */
} sink_cfg;

typedef struct sink sink;

/*
 * sink_start connects (synchronously) and starts a thread that, once
 * sink_go is called, opens the consumer, receives, acks each record
 * (reliable) and feeds g until g is complete, then flushes its acks and
 * closes. NULL on failure (printed).
 */
sink *sink_start(const sink_cfg *cfg, sink_group *g, const char *name);
/* Lets every started sink open its consumer. */
void sink_go(void);
/* Waits until n sinks have their consumer open; -1 when one failed. */
int sink_wait_open(unsigned n);
/* Waits for the thread; returns its error (SLUICE_OK) and frees s. */
sluice_err sink_join(sink *s, uint64_t *received);
/* Records received by every sink so far (for progress). */
uint64_t sink_total_received(void *unused);

/*
 * sink_leftover opens one more consumer on the subscription and counts
 * what it receives within wait_ms: messages delivered but never acked.
 * With del, deletes the subscription afterwards.
 */
sluice_err sink_leftover(const sink_cfg *cfg, int wait_ms, int del, uint64_t *left);

/* ---- the modes ----------------------------------------------------- */

int bench_produce(int argc, char **argv);
int bench_consume(int argc, char **argv);
int bench_e2e(int argc, char **argv);
int bench_fanout(int argc, char **argv);

/*
 * Common option handling for the modes' getopt_long loops: returns 1 when
 * opt was one of the common ones (and stores it), 0 when not, -1 on a bad
 * value (message printed).
 */
#define BENCH_COMMON_LONGOPTS                                               \
	{ "url", required_argument, NULL, 'u' },                            \
	    { "json", no_argument, NULL, 'j' },                             \
	    { "broker-pid", required_argument, NULL, 'B' },                 \
	    { "timeout", required_argument, NULL, 'T' },                    \
	    { "help", no_argument, NULL, 'h' },                             \
	    { "token", required_argument, NULL, 950 }, TOOL_TLS_LONGOPTS
void bench_common_init(bench_common *c);
int bench_common_opt(bench_common *c, int opt, const char *arg);
/* After getopt: no operands left and a valid --topic (or none). Returns 0,
 * or prints why and returns EXIT_USAGE. */
int bench_check_operands(const char *mode, int argc, char **argv, int optind,
    const char *topic);
/* The text describing the common options, for each mode's --help. */
extern const char bench_common_help[];

#endif
