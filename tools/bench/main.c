/*
 * main.c - sluice-bench: load generator and latency meter for sluiced, in
 * the style of `nats bench` and `pulsar-perf`. This file only picks the
 * mode; each mode is one file (produce.c, consume.c, e2e.c, fanout.c).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-bench MODE [options]\n"
	    "\n"
	    "modes:\n"
	    "  produce   P producers publish N messages; msgs/s, MB/s, ack latency\n"
	    "  consume   C consumers of one subscription consume N messages,\n"
	    "            acking each; msgs/s, and a check that none is missing\n"
	    "  e2e       one producer at a fixed rate, one consumer; end-to-end\n"
	    "            latency percentiles (no coordinated omission)\n"
	    "  fanout    one producer, K subscriptions; deliveries/s\n"
	    "\n"
	    "`sluice-bench MODE --help` lists the options of a mode.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return EXIT_USAGE;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "-h") == 0 || strcmp(mode, "--help") == 0) {
		help(stdout);
		return 0;
	}
	/* The mode parses argv[1..] with getopt: argv[0] becomes the mode. */
	if (strcmp(mode, "produce") == 0)
		return bench_produce(argc - 1, argv + 1);
	if (strcmp(mode, "consume") == 0)
		return bench_consume(argc - 1, argv + 1);
	if (strcmp(mode, "e2e") == 0)
		return bench_e2e(argc - 1, argv + 1);
	if (strcmp(mode, "fanout") == 0)
		return bench_fanout(argc - 1, argv + 1);
	fprintf(stderr, "sluice-bench: unknown mode '%s'\n\n", mode);
	help(stderr);
	return EXIT_USAGE;
}
