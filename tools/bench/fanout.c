/*
 * fanout.c - `sluice-bench fanout`: K subscriptions of one topic, each with
 * one consumer (reliable, exclusive, from the earliest offset, subscribed
 * before publishing), and one producer publishing N messages; reports the
 * total deliveries per second (K x N over the time from the first publish
 * to the last first-delivery) and checks that every subscription got every
 * message. Parsing, sequencing and the report; sink.c consumes, pub.c
 * publishes.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-bench fanout [options]\n"
	    "\n"
	    "K subscriptions (one consumer and connection each; reliable,\n"
	    "exclusive, acking every message) receive the N messages that one\n"
	    "producer publishes. Reports deliveries (K x N) per second.\n"
	    "\n"
	    "options:\n"
	    "  -k, --subscriptions K  subscriptions (4)\n"
	    "  -n, --count N          messages published (250000)\n"
	    "  -s, --size S           payload bytes (100)\n"
	    "  -w, --window W         consumer window (1000)\n"
	    "  -t, --topic T          topic (default: a new one per run)\n"
	    "%s",
	    bench_common_help);
}

typedef struct {
	pub_cfg    cfg;
	pub_result res;
	sluice_err rv;
} pub_job;

static void *
pub_thread(void *arg)
{
	pub_job *j = arg;
	j->rv = pub_run(&j->cfg, &j->res);
	return NULL;
}

int
bench_fanout(int argc, char **argv)
{
	static const struct option longopts[] = { { "subscriptions", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "topic", required_argument, NULL, 't' }, BENCH_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	bench_common com;
	uint64_t k = 4, count = 250000, size = 100, window = 1000;
	const char *topic_arg = NULL;
	int opt, bad = 0;
	bench_common_init(&com);
	while (!bad && (opt = getopt_long(argc, argv, "k:n:s:w:t:u:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			bad = bench_parse_u64("--subscriptions", optarg, 1, 1024, &k);
			break;
		case 'n':
			bad = bench_parse_u64("--count", optarg, 1, UINT32_MAX * 64ull, &count);
			break;
		case 's':
			bad = bench_parse_u64("--size", optarg, 0, 16u << 20, &size);
			break;
		case 'w':
			bad = bench_parse_u64("--window", optarg, 1, 65535, &window);
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
	if (bench_check_operands("fanout", argc, argv, optind, topic_arg) != 0)
		return EXIT_USAGE;
	char topic[256];
	if (topic_arg != NULL)
		snprintf(topic, sizeof(topic), "%s", topic_arg);
	else
		bench_unique_name(topic, sizeof(topic), "fanout");

	report *r = report_alloc("fanout");
	sink_group *groups = calloc(k, sizeof(*groups));
	sink **sinks = calloc(k, sizeof(*sinks));
	char (*subs)[256] = calloc(k, sizeof(*subs));
	pub_job job = { .cfg = { .url = com.url, .topic = topic, .producers = 1,
		                .count = count, .size = (uint32_t) size, .window = 1000,
		                .batch = 1000, .linger_ms = 0 } };
	pthread_t pub_thr;
	int pub_started = 0;
	uint64_t base = 0;
	sluice_err rv = SLUICE_OK;
	if (r == NULL || groups == NULL || sinks == NULL || subs == NULL) {
		bench_fail("start", SLUICE_ENOMEM);
		return 1;
	}
	/* A new topic starts at 0; a given one may have messages already:
	 * consumers then start at its head, learnt by one marker message. */
	if (topic_arg != NULL) {
		sluice_client *c = NULL;
		sluice_producer *p = NULL;
		sluice_msg *m = NULL;
		if ((rv = bench_client_open(&c, com.url, "sluice-bench-marker")) == SLUICE_OK &&
		    (rv = sluice_producer_open(&p, c, topic, NULL)) == SLUICE_OK &&
		    (rv = sluice_msg_alloc(&m)) == SLUICE_OK &&
		    (rv = sluice_publish(p, &m, &base)) == SLUICE_OK)
			base++;
		else if (rv != SLUICE_ECONNREFUSED)
			bench_fail("publish marker", rv);
		sluice_msg_free(m);
		sluice_producer_close(p);
		sluice_client_close(c);
		if (rv != SLUICE_OK)
			goto out;
	}
	sink_cfg sc = { .url = com.url, .topic = topic, .type = SLUICE_SUB_EXCLUSIVE,
		.mode = SLUICE_RELIABLE, .window = (uint32_t) window,
		.start = SLUICE_START_OFFSET, .start_offset = base, .timeout_s = com.timeout_s };
	for (uint64_t i = 0; i < k && rv == SLUICE_OK; i++) {
		char name[64];
		snprintf(name, sizeof(name), "sluice-bench-fanout-%llu", (unsigned long long) i);
		bench_unique_name(subs[i], sizeof(subs[i]), name + 13);
		sc.subscription = subs[i];
		if (sink_group_init(&groups[i], base, count) != 0) {
			rv = SLUICE_ENOMEM;
			bench_fail("start", rv);
		} else if ((sinks[i] = sink_start(&sc, &groups[i], name)) == NULL) {
			rv = SLUICE_EIO;
		}
	}
	sink_go();
	/* Every subscription exists before the first publish. */
	if (rv == SLUICE_OK && sink_wait_open((unsigned) k) != 0)
		rv = SLUICE_EIO;
	usage u0, u1;
	usage_take(&u0, com.broker_pid);
	uint64_t t0 = bench_now_ns();
	if (rv == SLUICE_OK) {
		if (pthread_create(&pub_thr, NULL, pub_thread, &job) == 0)
			pub_started = 1;
		else
			rv = SLUICE_EIO;
	}
	progress *pr = rv == SLUICE_OK
	    ? progress_start("fanout", count * k, sink_total_received, NULL)
	    : NULL;
	uint64_t received = 0, dups = 0, missing = 0, t1 = 0;
	for (uint64_t i = 0; i < k; i++) {
		uint64_t n = 0;
		sluice_err srv = sinks[i] != NULL ? sink_join(sinks[i], &n) : SLUICE_OK;
		received += n;
		if (rv == SLUICE_OK && srv != SLUICE_OK)
			rv = srv;
		dups += atomic_load(&groups[i].dups);
		missing += count - atomic_load(&groups[i].distinct);
		if (atomic_load(&groups[i].end_ns) > t1)
			t1 = atomic_load(&groups[i].end_ns);
	}
	progress_stop(pr);
	if (pub_started) {
		pthread_join(pub_thr, NULL);
		if (rv == SLUICE_OK)
			rv = job.rv;
	}
	usage_take(&u1, com.broker_pid);
	/* The subscriptions were this run's own: delete them. */
	for (uint64_t i = 0; i < k && sinks[0] != NULL; i++) {
		uint64_t left = 0;
		sc.subscription = subs[i];
		if (rv == SLUICE_OK && (rv = sink_leftover(&sc, 0, 1, &left)) == SLUICE_OK &&
		    left > 0) {
			fprintf(stderr, "sluice-bench: %s: %llu messages left unacked\n",
			    subs[i], (unsigned long long) left);
			rv = SLUICE_EIO;
		}
	}
	if (rv == SLUICE_OK && missing > 0) {
		fprintf(stderr, "sluice-bench: %llu deliveries never arrived\n",
		    (unsigned long long) missing);
		rv = SLUICE_EIO;
	}
	if (rv == SLUICE_OK) {
		double secs = t1 > t0 ? (double) (t1 - t0) / 1e9 : 1e-9;
		double pub_secs = job.res.elapsed_ns ? (double) job.res.elapsed_ns / 1e9 : 1e-9;
		report_str(r, "url", "url", com.url);
		report_str(r, "topic", "topic", topic);
		report_u64(r, "subscriptions", "subscriptions", k, NULL);
		report_u64(r, "window", "window", window, NULL);
		report_u64(r, "count", "messages published", count, NULL);
		report_u64(r, "size", "payload", size, "bytes");
		report_u64(r, "deliveries", "deliveries", count * k, NULL);
		report_f(r, "elapsed_s", "elapsed", secs, 3, "s");
		report_f(r, "msgs_per_sec", "deliveries throughput", (double) (count * k) / secs,
		    0, "msgs/s");
		report_f(r, "mb_per_sec", "payload throughput",
		    (double) (count * k) * (double) size / secs / 1e6, 2, "MB/s");
		report_f(r, "publish_msgs_per_sec", "publish throughput",
		    (double) count / pub_secs, 0, "msgs/s");
		report_u64(r, "received", "received", received, NULL);
		report_u64(r, "duplicates", "duplicates", dups, NULL);
		report_u64(r, "missing", "missing", missing, NULL);
		usage_report(r, &u0, &u1, count * k, com.broker_pid);
		report_print(r, com.json, stdout);
	}
out:
	for (uint64_t i = 0; i < k; i++)
		sink_group_fini(&groups[i]);
	free(subs);
	free(sinks);
	free(groups);
	report_free(r);
	return rv == SLUICE_OK ? 0 : 1;
}
