/*
 * e2e.c - `sluice-bench e2e`: one producer publishes at a fixed rate R
 * while one consumer (reliable, exclusive, starting at the latest offset)
 * receives and acks; each payload carries its INTENDED send time
 * t0 + i/R, and the latency of a message is its receive time minus that.
 * A producer that falls behind schedule (a stall anywhere) therefore adds
 * the stall to every message it delayed: no coordinated omission. Both
 * ends run in this process on CLOCK_MONOTONIC.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MIN_SIZE 16 /* intended send time (8 bytes) + sequence (8 bytes) */

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-bench e2e [options]\n"
	    "\n"
	    "One producer publishes at a fixed rate; one consumer (reliable,\n"
	    "exclusive, window 1000, from the latest offset) receives and acks.\n"
	    "Latency = receive time - intended send time (t0 + i/R), so a stall\n"
	    "counts against every message it delayed.\n"
	    "\n"
	    "options:\n"
	    "  -r, --rate R           messages per second (5000)\n"
	    "  -d, --duration SEC     how long to publish (10)\n"
	    "  -s, --size S           payload bytes, at least 16 (100)\n"
	    "  -w, --window W         consumer window (1000)\n"
	    "  -l, --linger-ms MS     producer batch linger (0: batches form only while\n"
	    "                         earlier ones are in flight)\n"
	    "  -t, --topic T          topic (default: a new one per run)\n"
	    "%s",
	    bench_common_help);
}

typedef struct {
	sluice_consumer *k;
	sink_group       g;         /* by sequence number */
	histogram       *lat;       /* ns; first arrivals only */
	_Atomic uint64_t sent;      /* set when the producer is done */
	atomic_int       done;      /* the producer finished */
	double           timeout_s;
	sluice_err       rv;
	uint64_t         received;
} rx;

static _Atomic uint64_t pub_errors;

static void
on_ack(sluice_producer *p, sluice_err rv, uint64_t offset, void *arg)
{
	(void) p;
	(void) offset;
	(void) arg;
	if (rv != SLUICE_OK)
		atomic_fetch_add(&pub_errors, 1);
}

static uint64_t
get_u64(const unsigned char *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void
put_u64(unsigned char *b, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char) v;
}

static uint64_t
rx_received(void *arg)
{
	return atomic_load(&((rx *) arg)->g.distinct);
}

static void *
rx_main(void *arg)
{
	rx *x = arg;
	uint64_t last = bench_now_ns(), timeout_ns = (uint64_t) (x->timeout_s * 1e9);
	for (;;) {
		if (atomic_load(&x->done) && atomic_load(&x->g.distinct) >= atomic_load(&x->sent))
			break;
		sluice_record *r = NULL;
		sluice_err rv = sluice_receive(x->k, &r, 100);
		uint64_t now = bench_now_ns();
		if (rv == SLUICE_ETIMEDOUT) {
			if (now - last > timeout_ns) {
				fprintf(stderr, "sluice-bench: nothing received for %.1f s\n",
				    x->timeout_s);
				x->rv = rv;
				break;
			}
			continue;
		}
		if (rv != SLUICE_OK) {
			bench_fail("receive", rv);
			x->rv = rv;
			break;
		}
		last = now;
		x->received++;
		size_t len = 0;
		const unsigned char *b = sluice_record_payload(r, &len);
		if (len >= MIN_SIZE) {
			uint64_t intended = get_u64(b), seq = get_u64(b + 8);
			if (seq < x->g.n && !(atomic_load(&x->g.bits[seq / 64]) >> (seq % 64) & 1))
				histogram_record(x->lat, now > intended ? now - intended : 0);
			sink_group_add(&x->g, seq);
		}
		rv = sluice_ack(x->k, sluice_record_offset(r));
		sluice_record_free(r);
		if (rv != SLUICE_OK) {
			bench_fail("ack", rv);
			x->rv = rv;
			break;
		}
	}
	return NULL;
}

static sluice_err
open_consumer(sluice_consumer **k, sluice_client *c, const char *topic,
    const char *sub, uint32_t window)
{
	sluice_consumer_opts *co = NULL;
	sluice_err rv;
	if ((rv = sluice_consumer_opts_alloc(&co)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_type(co, SLUICE_SUB_EXCLUSIVE)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_window(co, window)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_start(co, SLUICE_START_LATEST, 0)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_name(co, "sluice-bench-e2e")) == SLUICE_OK)
		rv = sluice_consumer_open(k, c, topic, sub, co);
	sluice_consumer_opts_free(co);
	if (rv != SLUICE_OK)
		bench_fail("open consumer", rv);
	return rv;
}

static sluice_err
open_producer(sluice_producer **p, sluice_client *c, const char *topic, uint32_t linger)
{
	sluice_producer_opts *po = NULL;
	sluice_err rv;
	if ((rv = sluice_producer_opts_alloc(&po)) == SLUICE_OK &&
	    (rv = sluice_producer_opts_set_batch(po, 1000, 256 * 1024, linger)) == SLUICE_OK &&
	    (rv = sluice_producer_opts_set_window(po, 1000)) == SLUICE_OK)
		rv = sluice_producer_open(p, c, topic, po);
	sluice_producer_opts_free(po);
	if (rv != SLUICE_OK)
		bench_fail("open producer", rv);
	return rv;
}

/* Publishes on schedule; returns how many were sent and the worst lag. */
static sluice_err
run_schedule(sluice_producer *p, double rate, uint64_t n, size_t size, uint64_t *sent,
    uint64_t *max_lag)
{
	unsigned char *payload = calloc(1, size);
	if (payload == NULL)
		return SLUICE_ENOMEM;
	sluice_err rv = SLUICE_OK;
	uint64_t t0 = bench_now_ns() + 10000000; /* 10 ms to settle */
	*max_lag = 0;
	for (*sent = 0; *sent < n; (*sent)++) {
		uint64_t intended = t0 + (uint64_t) ((double) *sent * 1e9 / rate);
		uint64_t now = bench_now_ns();
		if (now < intended)
			bench_sleep_until(intended);
		else if (now - intended > *max_lag)
			*max_lag = now - intended;
		put_u64(payload, intended);
		put_u64(payload + 8, *sent);
		sluice_msg *m = NULL;
		if ((rv = sluice_msg_alloc(&m)) == SLUICE_OK &&
		    (rv = sluice_msg_set_payload(m, payload, size)) == SLUICE_OK)
			rv = sluice_publish_async(p, &m, on_ack, NULL);
		sluice_msg_free(m);
		if (rv != SLUICE_OK) {
			bench_fail("publish", rv);
			break;
		}
	}
	free(payload);
	sluice_err frv = sluice_producer_flush(p);
	if (rv == SLUICE_OK && frv != SLUICE_OK) {
		bench_fail("publish", frv);
		rv = frv;
	}
	return rv;
}

int
bench_e2e(int argc, char **argv)
{
	static const struct option longopts[] = { { "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "linger-ms", required_argument, NULL, 'l' },
		{ "topic", required_argument, NULL, 't' }, BENCH_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	bench_common com;
	double rate = 5000, duration = 10;
	uint64_t size = 100, window = 1000, linger = 0;
	const char *topic_arg = NULL;
	int opt, bad = 0;
	bench_common_init(&com);
	while (!bad && (opt = getopt_long(argc, argv, "r:d:s:w:l:t:u:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			bad = bench_parse_double("--rate", optarg, 1, 10e6, &rate);
			break;
		case 'd':
			bad = bench_parse_double("--duration", optarg, 0.01, 86400, &duration);
			break;
		case 's':
			bad = bench_parse_u64("--size", optarg, MIN_SIZE, 16u << 20, &size);
			break;
		case 'w':
			bad = bench_parse_u64("--window", optarg, 1, 65535, &window);
			break;
		case 'l':
			bad = bench_parse_u64("--linger-ms", optarg, 0, 60000, &linger);
			break;
		case 't':
			topic_arg = optarg;
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			if ((bad = bench_common_opt(&com, opt, optarg)) == 0) {
				help(stderr);
				return EXIT_USAGE;
			}
			bad = bad < 0;
		}
	}
	if (bad)
		return EXIT_USAGE;
	if (bench_check_operands("e2e", argc, argv, optind, topic_arg) != 0)
		return EXIT_USAGE;
	uint64_t n = (uint64_t) (rate * duration + 0.5);
	if (n == 0)
		n = 1;
	char topic[256], sub[256];
	if (topic_arg != NULL)
		snprintf(topic, sizeof(topic), "%s", topic_arg);
	else
		bench_unique_name(topic, sizeof(topic), "e2e");
	bench_unique_name(sub, sizeof(sub), "sub");

	rx x = { .timeout_s = com.timeout_s };
	report *r = report_alloc("e2e");
	sluice_client *cc = NULL, *pc = NULL;
	sluice_producer *p = NULL;
	pthread_t thr;
	int started = 0;
	uint64_t sent = 0, max_lag = 0;
	usage u0, u1;
	sluice_err rv;
	x.lat = histogram_alloc();
	if (r == NULL || x.lat == NULL || sink_group_init(&x.g, 0, n) != 0) {
		rv = SLUICE_ENOMEM;
		bench_fail("start", rv);
		goto out;
	}
	if ((rv = bench_client_open(&cc, com.url, "sluice-bench-e2e-consumer")) != SLUICE_OK ||
	    (rv = bench_client_open(&pc, com.url, "sluice-bench-e2e-producer")) != SLUICE_OK ||
	    (rv = open_consumer(&x.k, cc, topic, sub, (uint32_t) window)) != SLUICE_OK ||
	    (rv = open_producer(&p, pc, topic, (uint32_t) linger)) != SLUICE_OK)
		goto out;
	if (pthread_create(&thr, NULL, rx_main, &x) != 0) {
		rv = SLUICE_EIO;
		fprintf(stderr, "sluice-bench: cannot start the consumer thread\n");
		goto out;
	}
	started = 1;
	usage_take(&u0, com.broker_pid);
	progress *pr = progress_start("e2e", n, rx_received, &x);
	rv = run_schedule(p, rate, n, (size_t) size, &sent, &max_lag);
	atomic_store(&x.sent, sent);
	atomic_store(&x.done, 1);
	pthread_join(thr, NULL);
	started = 0;
	progress_stop(pr);
	usage_take(&u1, com.broker_pid);
	if (rv == SLUICE_OK)
		rv = x.rv;
	if (rv == SLUICE_OK && atomic_load(&pub_errors) > 0) {
		fprintf(stderr, "sluice-bench: %llu publishes failed\n",
		    (unsigned long long) atomic_load(&pub_errors));
		rv = SLUICE_EIO;
	}
	if (rv == SLUICE_OK) {
		report_str(r, "url", "url", com.url);
		report_str(r, "topic", "topic", topic);
		report_f(r, "rate", "target rate", rate, 0, "msgs/s");
		report_f(r, "duration_s", "duration", duration, 2, "s");
		report_u64(r, "size", "payload", size, "bytes");
		report_u64(r, "sent", "sent", sent, NULL);
		report_u64(r, "received", "received", x.received, NULL);
		report_u64(r, "duplicates", "duplicates", atomic_load(&x.g.dups), NULL);
		report_f(r, "max_send_lag_us", "worst send lag", (double) max_lag / 1e3, 1, "us");
		report_latency(r, "latency", "end-to-end latency", x.lat);
		usage_report(r, &u0, &u1, sent, com.broker_pid);
		report_print(r, com.json, stdout);
	}
out:
	if (started) {
		atomic_store(&x.done, 1);
		pthread_join(thr, NULL);
	}
	sluice_producer_close(p);
	/* The subscription was this run's own: delete it (this frees x.k
	 * whatever the result). */
	if (x.k != NULL)
		sluice_consumer_unsubscribe(x.k);
	sluice_client_close(pc);
	sluice_client_close(cc);
	sink_group_fini(&x.g);
	histogram_free(x.lat);
	report_free(r);
	return rv == SLUICE_OK ? 0 : 1;
}
