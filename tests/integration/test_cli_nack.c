/*
 * test_cli_nack.c - sluice-cli consume failing on purpose, against the
 * real sluiced: --nack sends every delivery back (it returns with a higher
 * attempt), --nack-rate with a --seed nacks the same deliveries on every
 * run, and the nack options refuse what makes no sense (exit 2).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

TestSuite(cli_nack, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 180);

static broker_proc bp;

#define OUT_MAX (256 * 1024)
static char out[OUT_MAX], err[8192];

static void
start(void)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0);
}

/* Runs sluice-cli with args (NULL-terminated); its exit status. */
static int
cli(const char *const *args)
{
	const char *argv[48];
	int i = 0;
	argv[i++] = getenv("SLUICE_CLI");
	for (; *args != NULL && i < 47; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	out[0] = err[0] = '\0';
	return run_capture(argv, out, sizeof(out), err, sizeof(err));
}

static void
produce(const char *topic, const char *count)
{
	const char *a[] = { "produce", topic, "--url", bp.url, "--count", count,
		"--size", "16", "--quiet", NULL };
	cr_assert_eq(cli(a), 0, "produce: %s", err);
}

/* Lines of s that contain needle (all lines when NULL). */
static int
count_lines(const char *s, const char *needle)
{
	static char line[4096];
	int n = 0;
	while (*s != '\0') {
		const char *end = strchr(s, '\n');
		size_t len = end ? (size_t) (end - s) : strlen(s);
		snprintf(line, sizeof(line), "%.*s", (int) len, s);
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
		s += len + (end != NULL);
	}
	return n;
}

/* The summary line on stderr: received, acked, nacked. */
static void
summary(uint64_t *received, uint64_t *acked, uint64_t *nacked)
{
	const char *p = strstr(err, "sluice-cli: consume: ");
	cr_assert_not_null(p, "no summary on stderr: %s", err);
	cr_assert_eq(sscanf(p, "sluice-cli: consume: %" SCNu64 " received, %" SCNu64
	                       " acked, %" SCNu64 " nacked",
	                 received, acked, nacked),
	    3, "summary: %s", p);
}

Test(cli_nack, nack_sends_every_message_back_with_a_higher_attempt)
{
	start();
	produce("jobs", "2");
	/* Unlimited redeliveries and a short delay, whatever the broker's
	 * defaults (an older broker ignores both). */
	const char *nack[] = { "consume", "jobs", "-s", "w", "--url", bp.url,
		"--from", "earliest", "--json", "--nack", "--nack-delay", "10ms",
		"--nack-reason", "test: always fails", "--max-redeliveries", "0",
		"--count", "6", NULL };
	cr_assert_eq(cli(nack), 0, "stderr: %s", err);
	cr_assert_eq(count_lines(out, NULL), 6, "output: %s", out);
	cr_assert_eq(count_lines(out, "\"nacked\":true"), 6, "output: %s", out);
	cr_assert_eq(count_lines(out, "\"attempt\":1,"), 2, "output: %s", out);
	cr_assert_geq(count_lines(out, "\"attempt\":2,"), 1, "output: %s", out);
	uint64_t rcv, ack, nck;
	summary(&rcv, &ack, &nck);
	cr_assert_eq(rcv, 6);
	cr_assert_eq(ack, 0);
	cr_assert_eq(nck, 6);

	/* Nothing was acked: both come back, as redeliveries, and are acked. */
	const char *take[] = { "consume", "jobs", "-s", "w", "--url", bp.url,
		"--json", "--count", "2", "--timeout-ms", "10000", NULL };
	cr_assert_eq(cli(take), 0, "stderr: %s", err);
	cr_assert_eq(count_lines(out, NULL), 2, "output: %s", out);
	cr_assert_eq(count_lines(out, "\"offset\":0,"), 1, "output: %s", out);
	cr_assert_eq(count_lines(out, "\"offset\":1,"), 1, "output: %s", out);
	cr_assert_eq(count_lines(out, "\"attempt\":1,"), 0, "not redelivered: %s", out);
	cr_assert(strstr(out, "\"nacked\"") == NULL, "acking run: no nacked key: %s",
	    out);
	cr_assert(strstr(err, "nacked") == NULL, "acking run: no summary: %s", err);

	const char *none[] = { "consume", "jobs", "-s", "w", "--url", bp.url,
		"--timeout-ms", "500", NULL };
	cr_assert_eq(cli(none), 0, "stderr: %s", err);
	cr_assert_str_eq(out, "", "acked messages came back");
	cr_assert_eq(broker_stop(&bp), 0);
}

/*
 * One run over its own subscription until all 20 are acked. The delays
 * are short both ways (the nack's own and the new subscription's fixed
 * backoff); the idle timeout still leaves room for a broker that keeps
 * its default backoff.
 */
static void
rate_run(const char *sub, const char *seed, uint64_t *nacked)
{
	const char *a[] = { "consume", "work", "-s", sub, "--url", bp.url, "--from",
		"earliest", "--nack-rate", "0.5", "--seed", seed, "--nack-delay", "10ms",
		"--backoff", "fixed", "--backoff-base", "10ms", "--max-redeliveries", "0",
		"--timeout-ms", "10000", NULL };
	cr_assert_eq(cli(a), 0, "stderr: %s", err);
	uint64_t rcv, ack;
	summary(&rcv, &ack, nacked);
	cr_assert_eq(ack, 20, "each message is acked once: %s", err);
	cr_assert_eq(rcv, ack + *nacked);
	cr_assert_eq((uint64_t) count_lines(out, NULL), rcv, "output: %s", out);
	cr_assert(strstr(err, seed) != NULL, "the seed is printed: %s", err);
}

Test(cli_nack, nack_rate_with_a_seed_nacks_the_same_deliveries_every_run)
{
	start();
	produce("work", "20");
	uint64_t n1, n2;
	rate_run("a", "1", &n1);
	rate_run("b", "1", &n2);
	cr_assert_eq(n1, n2, "seed 1 nacked %" PRIu64 ", then %" PRIu64, n1, n2);
	/* Half of each attempt on average: 20 expected, far from 0 or 100. */
	cr_assert(n1 >= 5 && n1 <= 60, "nacked %" PRIu64, n1);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(cli_nack, nack_options_that_make_no_sense_are_usage_errors)
{
	start();
	static const char *const bad[][3] = {
		{ "--nack-delay", "1s", NULL },       /* without --nack */
		{ "--nack-reason", "x", NULL },
		{ "--nack", "--non-reliable", NULL }, /* nothing to nack */
		{ "--nack-rate", "1.5", NULL },
		{ "--nack-rate", "half", NULL },
		{ "--seed", "-1", NULL },
		{ "--on-exhausted", "retry", NULL },
		{ "--ack-timeout", "30", NULL },      /* no unit */
		{ "--backoff", "linear", NULL },
		{ "-t", "keyshared", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *a[] = { "consume", "t", "-s", "s", "--url", bp.url,
			bad[i][0], bad[i][1], bad[i][2], NULL };
		cr_assert_eq(cli(a), 2, "%s %s: stderr: %s", bad[i][0],
		    bad[i][1] ? bad[i][1] : "", err);
		cr_assert(strstr(err, "sluice-cli: consume: ") != NULL, "%s", err);
	}
	cr_assert_eq(broker_stop(&bp), 0);
}
