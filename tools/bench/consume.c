/*
 * consume.c - `sluice-bench consume`: C consumers of one subscription
 * receive N messages, acking each individually (reliable mode), and the
 * run checks that every offset arrived (duplicates counted) and that the
 * subscription has nothing left unacked. With --preload (the default) it
 * first publishes the N messages and times only the consumption.
 * Parsing, sequencing and the report; sink.c consumes, pub.c publishes.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* How long the final check waits for a leftover (unacked) message. */
#define LEFTOVER_WAIT_MS 500

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-bench consume [options]\n"
	    "\n"
	    "C consumers (one connection and thread each) of one subscription\n"
	    "consume N messages; reliable consumers ack each one (sluice_ack).\n"
	    "With --preload the N messages are published first, then the\n"
	    "consumers start from them and only the consumption is timed. At the\n"
	    "end every offset must have arrived (else exit 1) and, reliable, a\n"
	    "fresh consumer must find nothing left unacked.\n"
	    "\n"
	    "options:\n"
	    "  -c, --consumers C      consumers (1)\n"
	    "  -n, --count N          messages (1000000)\n"
	    "  -s, --size S           payload bytes of the preload (100)\n"
	    "      --type TYPE        exclusive | failover | shared (shared)\n"
	    "      --non-reliable     non-reliable subscription (overflow block, so\n"
	    "                         nothing is dropped); it sees only messages\n"
	    "                         published while it exists, so the preload runs\n"
	    "                         after the consumers subscribe and is timed too\n"
	    "  -w, --window W         consumer window (1000)\n"
	    "  -t, --topic T          topic (default: a new one per run)\n"
	    "      --subscription S   subscription (default: a new one per run)\n"
	    "      --preload          publish the N messages first (default)\n"
	    "      --no-preload       consume offsets 0..N-1 of an existing --topic\n"
	    "%s",
	    bench_common_help);
}

typedef struct {
	bench_common    com;
	uint64_t        consumers, count, size, window;
	sluice_sub_type type;
	int             reliable, preload;
	int             sub_given;  /* --subscription: kept at the end */
	char            topic[256];
	char            sub[256];
} args;

static int
parse(args *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "consumers", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 'y' },
		{ "non-reliable", no_argument, NULL, 'N' },
		{ "window", required_argument, NULL, 'w' },
		{ "topic", required_argument, NULL, 't' },
		{ "subscription", required_argument, NULL, 'S' },
		{ "preload", no_argument, NULL, 'P' },
		{ "no-preload", no_argument, NULL, 'Q' }, BENCH_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	const char *topic = NULL, *sub = NULL;
	int opt, bad = 0;
	memset(a, 0, sizeof(*a));
	bench_common_init(&a->com);
	a->consumers = 1;
	a->count = 1000000;
	a->size = 100;
	a->window = 1000;
	a->type = SLUICE_SUB_SHARED;
	a->reliable = 1;
	a->preload = 1;
	while (!bad && (opt = getopt_long(argc, argv, "c:n:s:w:t:u:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			bad = bench_parse_u64("--consumers", optarg, 1, 1024, &a->consumers);
			break;
		case 'n':
			bad = bench_parse_u64("--count", optarg, 1, UINT32_MAX * 64ull, &a->count);
			break;
		case 's':
			bad = bench_parse_u64("--size", optarg, 0, 16u << 20, &a->size);
			break;
		case 'y':
			if (strcmp(optarg, "exclusive") == 0)
				a->type = SLUICE_SUB_EXCLUSIVE;
			else if (strcmp(optarg, "failover") == 0)
				a->type = SLUICE_SUB_FAILOVER;
			else if (strcmp(optarg, "shared") == 0)
				a->type = SLUICE_SUB_SHARED;
			else {
				fprintf(stderr, "sluice-bench: --type: expected exclusive, "
				                "failover or shared, got '%s'\n",
				    optarg);
				bad = 1;
			}
			break;
		case 'N':
			a->reliable = 0;
			break;
		case 'w':
			bad = bench_parse_u64("--window", optarg, 1, 65535, &a->window);
			break;
		case 't':
			topic = optarg;
			break;
		case 'S':
			sub = optarg;
			break;
		case 'P':
			a->preload = 1;
			break;
		case 'Q':
			a->preload = 0;
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			if ((bad = bench_common_opt(&a->com, opt, optarg)) == 0) {
				help(stderr);
				return EXIT_USAGE;
			}
			bad = bad < 0;
		}
	}
	if (bad)
		return EXIT_USAGE;
	const char *why = NULL;
	if (optind < argc)
		why = "unexpected argument";
	else if (topic != NULL && !sluice_topic_name_is_valid(topic))
		why = "--topic: invalid topic name";
	else if (sub != NULL && (*sub == '\0' || strlen(sub) > 255))
		why = "--subscription: 1-255 characters";
	else if (a->type == SLUICE_SUB_EXCLUSIVE && a->consumers > 1)
		why = "an exclusive subscription takes one consumer (use failover or shared)";
	else if (!a->preload && topic == NULL)
		why = "--no-preload needs --topic (a topic with offsets 0..N-1)";
	else if (!a->preload && !a->reliable)
		why = "--non-reliable needs --preload (it sees only new messages)";
	if (why != NULL) {
		fprintf(stderr, "sluice-bench consume: %s\n", why);
		return EXIT_USAGE;
	}
	if (topic != NULL)
		snprintf(a->topic, sizeof(a->topic), "%s", topic);
	else
		bench_unique_name(a->topic, sizeof(a->topic), "consume");
	a->sub_given = sub != NULL;
	if (sub != NULL)
		snprintf(a->sub, sizeof(a->sub), "%s", sub);
	else
		bench_unique_name(a->sub, sizeof(a->sub), "sub");
	return -1;
}

/* Publishes one message synchronously: the topic's head is then known. */
static sluice_err
marker(const args *a, uint64_t *offset)
{
	sluice_client *c = NULL;
	sluice_producer *p = NULL;
	sluice_msg *m = NULL;
	sluice_err rv;
	if ((rv = bench_client_open(&c, a->com.url, "sluice-bench-marker")) != SLUICE_OK)
		return rv;
	if ((rv = sluice_producer_open(&p, c, a->topic, NULL)) == SLUICE_OK &&
	    (rv = sluice_msg_alloc(&m)) == SLUICE_OK)
		rv = sluice_publish(p, &m, offset);
	if (rv != SLUICE_OK)
		bench_fail("publish marker", rv);
	sluice_msg_free(m);
	sluice_producer_close(p);
	sluice_client_close(c);
	return rv;
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

static const char *
type_name(sluice_sub_type t)
{
	return t == SLUICE_SUB_EXCLUSIVE ? "exclusive"
	    : t == SLUICE_SUB_FAILOVER   ? "failover"
	                                 : "shared";
}

int
bench_consume(int argc, char **argv)
{
	args a;
	int code = parse(&a, argc, argv);
	if (code >= 0)
		return code;
	report *r = report_alloc("consume");
	sink **sinks = calloc(a.consumers, sizeof(*sinks));
	sink_group g = { 0 };
	pub_job job = { .cfg = { .url = a.com.url, .topic = a.topic, .producers = 1,
		                .count = a.count, .size = (uint32_t) a.size, .window = 1000,
		                .batch = 1000, .linger_ms = 0 } };
	pthread_t pub_thr;
	int pub_started = 0;
	uint64_t base = 0;
	sluice_err rv = SLUICE_OK;
	if (r == NULL || sinks == NULL) {
		bench_fail("start", SLUICE_ENOMEM);
		return 1;
	}
	sink_cfg sc = { .url = a.com.url, .topic = a.topic, .subscription = a.sub,
		.type = a.type, .mode = a.reliable ? SLUICE_RELIABLE : SLUICE_NON_RELIABLE,
		.window = (uint32_t) a.window, .start = SLUICE_START_EARLIEST,
		.timeout_s = a.com.timeout_s };

	/* Where the N messages are: preloaded now, after a marker (non-reliable),
	 * or offsets 0..N-1 of an existing topic. */
	if (a.preload && a.reliable) {
		job.cfg.progress = "preload";
		if ((rv = pub_run(&job.cfg, &job.res)) != SLUICE_OK)
			goto out;
		base = job.res.min_offset;
		sc.start = SLUICE_START_OFFSET;
		sc.start_offset = base;
	} else if (a.preload) {
		if ((rv = marker(&a, &base)) != SLUICE_OK)
			goto out;
		base++;
		sc.start = SLUICE_START_LATEST;
	}
	if (sink_group_init(&g, base, a.count) != 0) {
		rv = SLUICE_ENOMEM;
		bench_fail("start", rv);
		goto out;
	}
	for (uint64_t i = 0; i < a.consumers; i++) {
		char name[64];
		snprintf(name, sizeof(name), "sluice-bench-consumer-%llu", (unsigned long long) i);
		if ((sinks[i] = sink_start(&sc, &g, name)) == NULL) {
			rv = SLUICE_EIO;
			break;
		}
	}

	usage u0, u1;
	usage_take(&u0, a.com.broker_pid);
	uint64_t t0 = bench_now_ns();
	sink_go();
	progress *pr = NULL;
	if (rv == SLUICE_OK && !a.reliable) {
		/* Non-reliable: publish only once every consumer is subscribed. */
		if (sink_wait_open((unsigned) a.consumers) == 0 &&
		    pthread_create(&pub_thr, NULL, pub_thread, &job) == 0)
			pub_started = 1;
		else
			rv = SLUICE_EIO;
	}
	if (rv == SLUICE_OK)
		pr = progress_start("consume", a.count, sink_total_received, NULL);
	uint64_t received = 0;
	for (uint64_t i = 0; i < a.consumers; i++) {
		uint64_t n = 0;
		sluice_err srv = sinks[i] != NULL ? sink_join(sinks[i], &n) : SLUICE_OK;
		received += n;
		if (rv == SLUICE_OK && srv != SLUICE_OK)
			rv = srv;
	}
	progress_stop(pr);
	if (pub_started) {
		pthread_join(pub_thr, NULL);
		if (rv == SLUICE_OK)
			rv = job.rv;
	}
	uint64_t t1 = atomic_load(&g.end_ns);
	usage_take(&u1, a.com.broker_pid);
	if (t1 == 0)
		t1 = bench_now_ns();
	uint64_t missing = a.count - atomic_load(&g.distinct), left = 0;
	if (rv == SLUICE_OK && a.reliable) {
		sc.start = SLUICE_START_EARLIEST;
		rv = sink_leftover(&sc, LEFTOVER_WAIT_MS, !a.sub_given, &left);
	}

	double secs = (double) (t1 - t0) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	report_str(r, "url", "url", a.com.url);
	report_str(r, "topic", "topic", a.topic);
	report_str(r, "subscription", "subscription", a.sub);
	report_str(r, "type", "type", type_name(a.type));
	report_str(r, "delivery", "delivery", a.reliable ? "reliable" : "non-reliable");
	report_u64(r, "consumers", "consumers", a.consumers, NULL);
	report_u64(r, "window", "window", a.window, NULL);
	report_u64(r, "count", "messages", a.count, NULL);
	report_u64(r, "size", "payload", a.size, "bytes");
	if (a.preload && a.reliable)
		report_f(r, "preload_msgs_per_sec", "preload throughput",
		    (double) job.res.acked * 1e9 / (double) (job.res.elapsed_ns ? job.res.elapsed_ns : 1),
		    0, "msgs/s");
	report_f(r, "elapsed_s", "elapsed", secs, 3, "s");
	report_f(r, "msgs_per_sec", "throughput", (double) a.count / secs, 0, "msgs/s");
	report_f(r, "mb_per_sec", "payload throughput",
	    (double) a.count * (double) a.size / secs / 1e6, 2, "MB/s");
	report_u64(r, "received", "received", received, NULL);
	report_u64(r, "duplicates", "duplicates", atomic_load(&g.dups), NULL);
	report_u64(r, "missing", "missing", missing, NULL);
	report_u64(r, "unacked_left", "left unacked", left, NULL);
	usage_report(r, &u0, &u1, a.count, a.com.broker_pid);
	if (rv == SLUICE_OK || missing > 0)
		report_print(r, a.com.json, stdout);
	if (rv == SLUICE_OK && missing > 0) {
		fprintf(stderr, "sluice-bench: %llu of %llu offsets never arrived\n",
		    (unsigned long long) missing, (unsigned long long) a.count);
		rv = SLUICE_EIO;
	}
	if (rv == SLUICE_OK && left > 0) {
		fprintf(stderr, "sluice-bench: %llu messages were left unacked\n",
		    (unsigned long long) left);
		rv = SLUICE_EIO;
	}
out:
	sink_group_fini(&g);
	free(sinks);
	report_free(r);
	return rv == SLUICE_OK ? 0 : 1;
}
