/*
 * bench.c - helpers every sluice-bench mode uses: the monotonic clock,
 * strict number parsing, unique names, connecting, error printing and the
 * common options. No protocol, no output format (report.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

const char bench_common_help[] =
    "common options:\n"
    "  -u, --url URL          broker address (default " SLUICE_DEFAULT_URL ")\n"
    "      --token T          bearer token (default $SLUICE_TOKEN)\n"
    "      --json             print one JSON object with every figure\n"
    "      --broker-pid PID   also report the broker's CPU time (from\n"
    "                         /proc/PID/stat, over the timed part) and RSS\n"
    "      --timeout SEC      fail after SEC seconds without progress (60)\n"
    TOOL_TLS_HELP
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 success, 1 failure (message on stderr), 2 usage error.\n"
    "A progress line is written to stderr only when it is a terminal.\n"
    "JSON fields are listed in docs/PERFORMANCE.md.\n";

/* --tls-*: for every connection of the run. */
static tool_tls bench_tls;

uint64_t
bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void
bench_sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t) (t / 1000000000u),
		.tv_nsec = (long) (t % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int
bench_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
    uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		fprintf(stderr,
		    "sluice-bench: %s: expected a whole number from %" PRIu64
		    " to %" PRIu64 ", got '%s'\n",
		    opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

int
bench_parse_double(const char *opt, const char *s, double min, double max,
    double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < min ||
	    v > max) {
		fprintf(stderr,
		    "sluice-bench: %s: expected a number from %g to %g, got '%s'\n",
		    opt, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

void
bench_unique_name(char *buf, size_t n, const char *what)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, n, "bench.%s.%ld.%lld.%03ld", what, (long) getpid(),
	    (long long) ts.tv_sec, ts.tv_nsec / 1000000);
}

void
bench_fail(const char *what, sluice_err rv)
{
	fprintf(stderr, "sluice-bench: %s: %s (%s)\n", what, sluice_strerror(rv),
	    sluice_err_name(rv));
}

/* --token, else $SLUICE_TOKEN (the bearer token sent in Hello). */
static const char *bench_token;

sluice_err
bench_client_open(sluice_client **out, const char *url, const char *name)
{
	sluice_opts *o = NULL;
	sluice_err rv;
	if ((rv = sluice_opts_alloc(&o)) == SLUICE_OK &&
	    (rv = sluice_opts_set_url(o, url)) == SLUICE_OK &&
	    (rv = sluice_opts_set_name(o, name)) == SLUICE_OK &&
	    (rv = sluice_opts_set_token(o, bench_token ? bench_token
	                                               : getenv("SLUICE_TOKEN"))) == SLUICE_OK &&
	    (rv = tool_tls_apply(&bench_tls, o)) == SLUICE_OK)
		rv = sluice_client_open(out, o);
	sluice_opts_free(o);
	if (rv != SLUICE_OK) {
		char what[600];
		snprintf(what, sizeof(what), "connect to %s", url);
		bench_fail(what, rv);
	}
	return rv;
}

void
bench_common_init(bench_common *c)
{
	c->url = SLUICE_DEFAULT_URL;
	c->json = 0;
	c->broker_pid = 0;
	c->timeout_s = 60;
}

int
bench_common_opt(bench_common *c, int opt, const char *arg)
{
	uint64_t v;
	switch (opt) {
	case 'u':
		c->url = arg;
		return 1;
	case 'j':
		c->json = 1;
		return 1;
	case 'B':
		if (bench_parse_u64("--broker-pid", arg, 1, INT32_MAX, &v) != 0)
			return -1;
		c->broker_pid = (int) v;
		return 1;
	case 'T':
		if (bench_parse_double("--timeout", arg, 0.1, 86400, &c->timeout_s) != 0)
			return -1;
		return 1;
	case 950: /* --token */
		bench_token = arg;
		return 1;
	default:
		return tool_tls_opt(&bench_tls, opt, arg);
	}
}

int
bench_check_operands(const char *mode, int argc, char **argv, int optind,
    const char *topic)
{
	if (optind < argc) {
		fprintf(stderr, "sluice-bench %s: unexpected argument '%s'\n", mode, argv[optind]);
		return EXIT_USAGE;
	}
	if ((bench_tls.cert == NULL) != (bench_tls.key == NULL)) {
		fprintf(stderr, "sluice-bench %s: --tls-cert and --tls-key go together\n", mode);
		return EXIT_USAGE;
	}
	if (topic != NULL && !sluice_topic_name_is_valid(topic)) {
		fprintf(stderr, "sluice-bench %s: --topic: invalid topic name '%s'\n", mode, topic);
		return EXIT_USAGE;
	}
	return 0;
}
