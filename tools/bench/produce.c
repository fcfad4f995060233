/*
 * produce.c - `sluice-bench produce`: P producers publish N messages of S
 * bytes with client batching; reports msgs/s, MB/s and the publish-ack
 * latency (sluice_publish_async call to callback). Parsing and the report;
 * the publishing itself is pub.c's.
 */
#include <getopt.h>
#include <stdlib.h>

#include "bench.h"

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-bench produce [options]\n"
	    "\n"
	    "P producers (one connection and thread each) publish N messages in\n"
	    "total, asynchronously with client batching, and wait for every ack.\n"
	    "\n"
	    "options:\n"
	    "  -p, --producers P      producers (1)\n"
	    "  -n, --count N          messages in total (1000000)\n"
	    "  -s, --size S           payload bytes (100)\n"
	    "  -w, --window W         in-flight messages per producer (1000)\n"
	    "  -t, --topic T          topic (default: a new one per run)\n"
	    "  -b, --batch MAX_MSGS   messages per batch (1000)\n"
	    "  -l, --linger-ms MS     batch linger; 0 (default): batches form while\n"
	    "                         earlier ones are in flight\n"
	    "%s",
	    bench_common_help);
}

int
bench_produce(int argc, char **argv)
{
	static const struct option longopts[] = { { "producers", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "topic", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "linger-ms", required_argument, NULL, 'l' }, BENCH_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 } };
	bench_common com;
	uint64_t producers = 1, count = 1000000, size = 100, window = 1000, batch = 1000,
	         linger = 0;
	char topic[256];
	const char *topic_arg = NULL;
	int opt, bad = 0;
	bench_common_init(&com);
	while (!bad && (opt = getopt_long(argc, argv, "p:n:s:w:t:b:l:u:h", longopts,
	                    NULL)) != -1) {
		switch (opt) {
		case 'p':
			bad = bench_parse_u64("--producers", optarg, 1, 1024, &producers);
			break;
		case 'n':
			bad = bench_parse_u64("--count", optarg, 1, UINT32_MAX * 64ull, &count);
			break;
		case 's':
			bad = bench_parse_u64("--size", optarg, 0, 16u << 20, &size);
			break;
		case 'w':
			bad = bench_parse_u64("--window", optarg, 1, 1000000, &window);
			break;
		case 't':
			topic_arg = optarg;
			break;
		case 'b':
			bad = bench_parse_u64("--batch", optarg, 1, 100000, &batch);
			break;
		case 'l':
			bad = bench_parse_u64("--linger-ms", optarg, 0, 60000, &linger);
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
	if (bench_check_operands("produce", argc, argv, optind, topic_arg) != 0)
		return EXIT_USAGE;
	if (topic_arg != NULL)
		snprintf(topic, sizeof(topic), "%s", topic_arg);
	else
		bench_unique_name(topic, sizeof(topic), "produce");
	if (producers > count)
		producers = count;

	histogram *lat = histogram_alloc();
	report *r = report_alloc("produce");
	if (lat == NULL || r == NULL) {
		bench_fail("start", SLUICE_ENOMEM);
		return 1;
	}
	pub_cfg cfg = { .url = com.url, .topic = topic, .producers = (uint32_t) producers,
		.count = count, .size = (uint32_t) size, .window = (uint32_t) window,
		.batch = (uint32_t) batch, .linger_ms = (uint32_t) linger, .latency = lat,
		.progress = "produce" };
	pub_result res;
	usage u0, u1;
	usage_take(&u0, com.broker_pid);
	sluice_err rv = pub_run(&cfg, &res);
	usage_take(&u1, com.broker_pid);
	if (rv == SLUICE_OK) {
		double secs = (double) res.elapsed_ns / 1e9;
		if (secs <= 0)
			secs = 1e-9;
		report_str(r, "url", "url", com.url);
		report_str(r, "topic", "topic", topic);
		report_u64(r, "producers", "producers", producers, NULL);
		report_u64(r, "count", "messages", res.acked, NULL);
		report_u64(r, "size", "payload", size, "bytes");
		report_u64(r, "window", "window", window, NULL);
		report_u64(r, "batch", "batch", batch, "msgs");
		report_u64(r, "linger_ms", "linger", linger, "ms");
		report_u64(r, "errors", "errors", res.errors, NULL);
		report_f(r, "elapsed_s", "elapsed", secs, 3, "s");
		report_f(r, "msgs_per_sec", "throughput", (double) res.acked / secs, 0, "msgs/s");
		report_f(r, "mb_per_sec", "payload throughput",
		    (double) res.acked * (double) size / secs / 1e6, 2, "MB/s");
		report_latency(r, "latency", "publish-ack latency", lat);
		usage_report(r, &u0, &u1, res.acked, com.broker_pid);
		report_print(r, com.json, stdout);
	}
	report_free(r);
	histogram_free(lat);
	return rv == SLUICE_OK ? 0 : 1;
}
