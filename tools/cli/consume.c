/*
 * consume.c - `sluice-cli consume`: attach a consumer to a subscription and
 * print each message, one per line (tab-separated or JSON), acking it only
 * after it is printed and stdout is flushed. Stops after --count messages,
 * after --timeout-ms without a message, or on SIGINT/SIGTERM, closing
 * cleanly (pending acks flushed, consumer detached). For testing failure
 * handling it can nack instead (every message, or a reproducible share of
 * them), and give a new subscription its failure policy. This file owns
 * argument parsing and output formats, nothing of the protocol.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "../tls_opts.h"
#include "units.h"

/* How often the receive loop looks at the signal flag, ms. */
#define POLL_MS 200

typedef struct {
	const char     *topic;
	const char     *sub;
	const char     *url;
	const char     *name;
	sluice_sub_type type;
	sluice_sub_mode mode;
	sluice_start    start;
	uint64_t        start_offset;
	uint64_t        count;      /* 0: no limit */
	uint32_t        window;     /* 0: the library default */
	int32_t         priority;
	int64_t         timeout_ms; /* idle time before exiting 0; -1: none */
	int             json;
	int             nack_all;   /* --nack */
	double          nack_rate;  /* --nack-rate, 0..1; 0: none */
	uint64_t        seed;       /* --seed, else from the clock */
	uint32_t        nack_delay_ms; /* --nack-delay; 0: the backoff */
	const char     *nack_reason;   /* --nack-reason, may be NULL */
	int             nack_opts;  /* --nack-delay or --nack-reason given */
	sluice_failure_policy policy; /* a new subscription's, as given */
	tool_tls        tls;        /* --tls-* */
} consume_args;

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-cli consume TOPIC -s SUB [options]\n"
	    "\n"
	    "Receive messages of TOPIC through subscription SUB (created when\n"
	    "it does not exist) and print one line per message, acking each\n"
	    "after it is printed. Runs until --count messages, --timeout-ms of\n"
	    "silence, or SIGINT/SIGTERM, then closes cleanly (exit 0).\n"
	    "\n"
	    "Output, one line per message:\n"
	    "  OFFSET<TAB>KEY<TAB>PAYLOAD    KEY is empty for a message without\n"
	    "      a key; in KEY and PAYLOAD a backslash is written \\\\, tab\n"
	    "      \\t, newline \\n, carriage return \\r and any other byte\n"
	    "      outside printable ASCII \\xHH.\n"
	    "  --json: one object per line, keys offset, key (null when none),\n"
	    "      payload, attempt, publish_time_us, properties (object);\n"
	    "      bytes that are not valid UTF-8 are written \\u00HH.\n"
	    "\n"
	    "options:\n"
	    "  -s, --subscription SUB  subscription name (required)\n"
	    "  -t, --type TYPE         exclusive (default), failover, shared or\n"
	    "                          key_shared (same key, same consumer)\n"
	    "      --non-reliable      at-most-once, from memory, no acks\n"
	    "      --from WHERE        where a new subscription starts: latest\n"
	    "                          (default), earliest or an offset\n"
	    "  -n, --count N           exit after N messages\n"
	    "  -w, --window N          unacked messages in flight, 1-65535\n"
	    "                          (default 1000)\n"
	    "      --timeout-ms MS     exit 0 after MS ms without a message\n"
	    "      --json              print JSON lines\n"
	    "      --priority N        failover priority (highest is active)\n"
	    "      --name NAME         consumer name shown to operators\n"
	    "  -u, --url URL           broker address (default %s)\n"
	    "      --token T           bearer token (default $SLUICE_TOKEN)\n"
	    TOOL_TLS_HELP
	    "  -h, --help              this text\n"
	    "\n"
	    "failing on purpose (reliable only; to test failure policies):\n"
	    "      --nack              nack every message instead of acking it\n"
	    "      --nack-rate P       nack a share P (0..1) of the messages, ack\n"
	    "                          the others\n"
	    "      --seed N            makes --nack-rate reproducible: whether a\n"
	    "                          delivery is nacked depends only on N, its\n"
	    "                          offset and its attempt (default: the clock;\n"
	    "                          the seed used is printed at the end)\n"
	    "      --nack-delay D      redeliver after D instead of the\n"
	    "                          subscription's backoff (e.g. 250ms, 5s)\n"
	    "      --nack-reason TEXT  why, kept by the broker for dead-lettered\n"
	    "                          and parked messages\n"
	    "  --count counts deliveries, nacked ones too. With --nack or\n"
	    "  --nack-rate a last line on stderr says how many were acked and\n"
	    "  nacked, and --json lines get \"nacked\":true|false.\n"
	    "\n"
	    "a new subscription's failure policy (an existing one keeps its own;\n"
	    "change it with sluice-admin subs configure; unset: the broker's\n"
	    "defaults):\n"
	    "      --ack-timeout D          redeliver what is not acked in D (0: off)\n"
	    "      --backoff KIND           exponential or fixed\n"
	    "      --backoff-base D         first redelivery delay\n"
	    "      --backoff-max D          longest redelivery delay\n"
	    "      --max-redeliveries N     then it is exhausted (0: unlimited)\n"
	    "      --on-exhausted ACTION    dead-letter, block, drop or park\n"
	    "      --dead-letter-topic T    default <topic>.<subscription>.dlq\n"
	    "\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n",
	    SLUICE_DEFAULT_URL);
}

static int
parse_i32(const char *s, int32_t *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || errno != 0 || *end != '\0' || v < INT32_MIN ||
	    v > INT32_MAX)
		return -1;
	*out = (int32_t) v;
	return 0;
}

/* A duration option into milliseconds within uint32_t; 0 or -1. */
static int
parse_ms32(const char *s, uint32_t *out)
{
	int64_t ms;
	if (units_parse_duration_ms(s, &ms) != 0 || ms < 0 || ms > UINT32_MAX)
		return -1;
	*out = (uint32_t) ms;
	return 0;
}

/* The options of a new subscription's failure policy; c is the option,
 * optarg its value. Returns -1 when handled, else a usage error. */
static int
parse_policy(int c, consume_args *a);

/* Checks options that only make sense together. -1 or a usage error. */
static int
check(consume_args *a)
{
	int nacking = a->nack_all || a->nack_rate > 0;
	if (a->nack_opts && !nacking)
		return cli_usage_error("consume", "%s",
		    "--nack-delay and --nack-reason need --nack or --nack-rate");
	if (nacking && a->mode == SLUICE_NON_RELIABLE)
		return cli_usage_error("consume", "%s",
		    "--nack and --nack-rate need a reliable subscription");
	if (a->policy.has_backoff_base && a->policy.has_backoff_max &&
	    a->policy.backoff_max_ms < a->policy.backoff_base_ms)
		return cli_usage_error("consume", "%s",
		    "--backoff-max is below --backoff-base");
	return -1;
}

/* --token, else $SLUICE_TOKEN (the bearer token sent in Hello). */
static const char *consume_token;

enum { OPT_NONREL = 256, OPT_FROM, OPT_TIMEOUT, OPT_JSON, OPT_PRIO, OPT_NAME,
	OPT_NACK, OPT_NACK_RATE, OPT_SEED, OPT_NACK_DELAY, OPT_NACK_REASON,
	OPT_ACK_TIMEOUT, OPT_BACKOFF, OPT_BACKOFF_BASE, OPT_BACKOFF_MAX,
	OPT_MAX_REDELIVERIES, OPT_ON_EXHAUSTED, OPT_DLQ };

static int
parse_policy(int c, consume_args *a)
{
	sluice_failure_policy *p = &a->policy;
	uint64_t v;
	int k;
	switch (c) {
	case OPT_ACK_TIMEOUT:
		if (parse_ms32(optarg, &p->ack_timeout_ms) != 0)
			return cli_usage_error("consume", "bad --ack-timeout '%s' "
			                       "(e.g. 0, 30s, 5m)", optarg);
		p->has_ack_timeout = 1;
		return -1;
	case OPT_BACKOFF:
		if (units_parse_backoff(optarg, &k) != 0)
			return cli_usage_error("consume", "bad --backoff '%s' "
			                       "(exponential or fixed)", optarg);
		p->backoff = (sluice_backoff) k;
		return -1;
	case OPT_BACKOFF_BASE:
		if (parse_ms32(optarg, &p->backoff_base_ms) != 0)
			return cli_usage_error("consume", "bad --backoff-base '%s' "
			                       "(e.g. 250ms, 1s)", optarg);
		p->has_backoff_base = 1;
		return -1;
	case OPT_BACKOFF_MAX:
		if (parse_ms32(optarg, &p->backoff_max_ms) != 0)
			return cli_usage_error("consume", "bad --backoff-max '%s' "
			                       "(e.g. 30s, 1m)", optarg);
		p->has_backoff_max = 1;
		return -1;
	case OPT_MAX_REDELIVERIES:
		if (cli_parse_u64(optarg, &v) != 0 || v > UINT32_MAX)
			return cli_usage_error("consume", "bad --max-redeliveries "
			                       "'%s'", optarg);
		p->max_redeliveries = (uint32_t) v;
		p->has_max_redeliveries = 1;
		return -1;
	case OPT_ON_EXHAUSTED:
		if (units_parse_on_exhausted(optarg, &k) != 0)
			return cli_usage_error("consume", "bad --on-exhausted '%s' "
			                       "(dead-letter, block, drop or park)",
			    optarg);
		p->on_exhausted = (sluice_on_exhausted) k;
		return -1;
	default: /* OPT_DLQ */
		if (!sluice_topic_name_is_valid(optarg))
			return cli_usage_error("consume", "bad --dead-letter-topic "
			                       "'%s' (1-255 of [A-Za-z0-9._/-])", optarg);
		p->dead_letter_topic = optarg;
		return -1;
	}
}

/* --nack-rate: a share 0..1 ("0.25", "1"). 0 or -1. */
static int
parse_rate(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= 0.0 && v <= 1.0))
		return -1;
	*out = v;
	return 0;
}

/* Fills a from argv; returns -1 to run, or an exit status. */
static int
parse(int argc, char **argv, consume_args *a)
{
	static const struct option longopts[] = {
		{ "subscription", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "non-reliable", no_argument, NULL, OPT_NONREL },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "count", required_argument, NULL, 'n' },
		{ "window", required_argument, NULL, 'w' },
		{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "priority", required_argument, NULL, OPT_PRIO },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 950 /* --token */ },
		{ "help", no_argument, NULL, 'h' },
		{ "nack", no_argument, NULL, OPT_NACK },
		{ "nack-rate", required_argument, NULL, OPT_NACK_RATE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "nack-delay", required_argument, NULL, OPT_NACK_DELAY },
		{ "nack-reason", required_argument, NULL, OPT_NACK_REASON },
		{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
		{ "backoff", required_argument, NULL, OPT_BACKOFF },
		{ "backoff-base", required_argument, NULL, OPT_BACKOFF_BASE },
		{ "backoff-max", required_argument, NULL, OPT_BACKOFF_MAX },
		{ "max-redeliveries", required_argument, NULL,
		    OPT_MAX_REDELIVERIES },
		{ "on-exhausted", required_argument, NULL, OPT_ON_EXHAUSTED },
		{ "dead-letter-topic", required_argument, NULL, OPT_DLQ },
		TOOL_TLS_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, prv;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:t:n:w:u:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 's':
			a->sub = optarg;
			break;
		case 't':
			if (strcmp(optarg, "exclusive") == 0)
				a->type = SLUICE_SUB_EXCLUSIVE;
			else if (strcmp(optarg, "failover") == 0)
				a->type = SLUICE_SUB_FAILOVER;
			else if (strcmp(optarg, "shared") == 0)
				a->type = SLUICE_SUB_SHARED;
			else if (strcmp(optarg, "key_shared") == 0 ||
			    strcmp(optarg, "key-shared") == 0)
				a->type = SLUICE_SUB_KEY_SHARED;
			else
				return cli_usage_error("consume", "bad --type '%s' (exclusive, "
				                   "failover, shared or key_shared)",
				    optarg);
			break;
		case OPT_NONREL:
			a->mode = SLUICE_NON_RELIABLE;
			break;
		case OPT_FROM:
			if (strcmp(optarg, "latest") == 0) {
				a->start = SLUICE_START_LATEST;
			} else if (strcmp(optarg, "earliest") == 0) {
				a->start = SLUICE_START_EARLIEST;
			} else if (cli_parse_u64(optarg, &v) == 0) {
				a->start = SLUICE_START_OFFSET;
				a->start_offset = v;
			} else {
				return cli_usage_error("consume", "bad --from '%s' (earliest, "
				                   "latest or an offset)",
				    optarg);
			}
			break;
		case 'n':
			if (cli_parse_u64(optarg, &v) != 0 || v == 0)
				return cli_usage_error("consume", "bad --count '%s'", optarg);
			a->count = v;
			break;
		case 'w':
			if (cli_parse_u64(optarg, &v) != 0 || v == 0 || v > 65535)
				return cli_usage_error("consume", "bad --window '%s' (1-65535)",
				    optarg);
			a->window = (uint32_t) v;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_u64(optarg, &v) != 0 || v > INT32_MAX)
				return cli_usage_error("consume", "bad --timeout-ms '%s'", optarg);
			a->timeout_ms = (int64_t) v;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_PRIO:
			if (parse_i32(optarg, &a->priority) != 0)
				return cli_usage_error("consume", "bad --priority '%s'", optarg);
			break;
		case OPT_NAME:
			a->name = optarg;
			break;
		case 'u':
			a->url = optarg;
			break;
		case 950:
			consume_token = optarg;
			break;
		case OPT_NACK:
			a->nack_all = 1;
			break;
		case OPT_NACK_RATE:
			if (parse_rate(optarg, &a->nack_rate) != 0)
				return cli_usage_error("consume", "bad --nack-rate '%s' "
				                       "(a share from 0 to 1, e.g. 0.25)",
				    optarg);
			break;
		case OPT_SEED:
			if (cli_parse_u64(optarg, &a->seed) != 0)
				return cli_usage_error("consume", "bad --seed '%s'", optarg);
			break;
		case OPT_NACK_DELAY:
			if (parse_ms32(optarg, &a->nack_delay_ms) != 0)
				return cli_usage_error("consume", "bad --nack-delay '%s' "
				                       "(e.g. 0, 250ms, 5s)", optarg);
			a->nack_opts = 1;
			break;
		case OPT_NACK_REASON:
			if (strlen(optarg) > SLUICE_NACK_REASON_MAX)
				return cli_usage_error("consume", "%s", "--nack-reason is "
				                       "longer than 1024 bytes");
			a->nack_reason = optarg;
			a->nack_opts = 1;
			break;
		case OPT_ACK_TIMEOUT:
		case OPT_BACKOFF:
		case OPT_BACKOFF_BASE:
		case OPT_BACKOFF_MAX:
		case OPT_MAX_REDELIVERIES:
		case OPT_ON_EXHAUSTED:
		case OPT_DLQ:
			if ((prv = parse_policy(c, a)) >= 0)
				return prv;
			break;
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		case ':':
			return cli_usage_error("consume", "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (tool_tls_opt(&a->tls, c, optarg))
				break;
			return cli_usage_error("consume", "unknown option '%s'", argv[optind - 1]);
		}
	}
	int rv = cli_topic_operand("consume", argc, argv, optind, &a->topic);
	if (rv != CLI_EXIT_OK)
		return rv;
	if ((a->tls.cert == NULL) != (a->tls.key == NULL))
		return cli_usage_error("consume", "%s", "--tls-cert and --tls-key go together");
	if (a->sub == NULL || a->sub[0] == '\0')
		return cli_usage_error("consume", "%s", "missing -s SUBSCRIPTION");
	return check(a);
}

/* ---- output ----------------------------------------------------------- */

/* Tab-separated form: one line, so tabs and newlines are escaped. */
static void
put_text(FILE *f, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = p[i];
		if (ch == '\\')
			fputs("\\\\", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\r')
			fputs("\\r", f);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
}


/* A JSON string; bytes that are not UTF-8 become \u00HH. */
static void
put_json(FILE *f, const unsigned char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char ch = p[i];
		size_t len = units_utf8_len(p + i, n - i);
		if (len > 1) {
			fwrite(p + i, 1, len, f);
			i += len;
			continue;
		}
		i++;
		switch (ch) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (len == 0 || ch < 0x20 || ch == 0x7f)
				fprintf(f, "\\u%04x", ch);
			else
				fputc(ch, f);
		}
	}
	fputc('"', f);
}

static void
put_json_str(FILE *f, const char *s)
{
	put_json(f, (const unsigned char *) s, strlen(s));
}

/* Whether --nack or --nack-rate is in force. */
static int
nacking(const consume_args *a)
{
	return a->nack_all || a->nack_rate > 0;
}

static void
print_record(const consume_args *a, const sluice_record *r, int nacked)
{
	size_t plen, klen;
	const unsigned char *payload = sluice_record_payload(r, &plen);
	const unsigned char *key = sluice_record_key(r, &klen);
	if (!a->json) {
		printf("%" PRIu64 "\t", sluice_record_offset(r));
		if (key != NULL)
			put_text(stdout, key, klen);
		fputc('\t', stdout);
		put_text(stdout, payload, plen);
		fputc('\n', stdout);
		return;
	}
	printf("{\"offset\":%" PRIu64 ",\"key\":", sluice_record_offset(r));
	if (key != NULL)
		put_json(stdout, key, klen);
	else
		fputs("null", stdout);
	fputs(",\"payload\":", stdout);
	put_json(stdout, payload, plen);
	printf(",\"attempt\":%" PRIu32 ",\"publish_time_us\":%" PRId64
	       ",\"properties\":{",
	    sluice_record_attempt(r), sluice_record_publish_time(r));
	size_t np = sluice_record_property_count(r);
	for (size_t i = 0; i < np; i++) {
		const char *k, *v;
		if (sluice_record_property_at(r, i, &k, &v) != SLUICE_OK)
			continue;
		if (i > 0)
			fputc(',', stdout);
		put_json_str(stdout, k);
		fputc(':', stdout);
		put_json_str(stdout, v);
	}
	fputc('}', stdout);
	if (nacking(a))
		printf(",\"nacked\":%s", nacked ? "true" : "false");
	fputs("}\n", stdout);
}

/* splitmix64's finaliser: a well-mixed 64-bit value of x. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Whether to nack this delivery. With --nack-rate the draw depends only on
 * the seed, the offset and the attempt, not on the order in which
 * deliveries arrive, so runs with one seed nack the same deliveries.
 */
static int
should_nack(const consume_args *a, const sluice_record *r)
{
	if (a->nack_all)
		return 1;
	if (a->nack_rate <= 0)
		return 0;
	uint64_t h = mix(a->seed ^ mix(sluice_record_offset(r) ^
	                                mix(sluice_record_attempt(r))));
	double u = (double) (h >> 11) * (1.0 / 9007199254740992.0); /* [0,1) */
	return u < a->nack_rate;
}

/* ---- the run -------------------------------------------------------- */

static sluice_err
make_opts(const consume_args *a, sluice_consumer_opts **out)
{
	sluice_consumer_opts *co = NULL;
	sluice_err rv = sluice_consumer_opts_alloc(&co);
	if (rv == SLUICE_OK)
		rv = sluice_consumer_opts_set_type(co, a->type);
	if (rv == SLUICE_OK)
		rv = sluice_consumer_opts_set_mode(co, a->mode);
	if (rv == SLUICE_OK)
		rv = sluice_consumer_opts_set_start(co, a->start, a->start_offset);
	if (rv == SLUICE_OK && a->window > 0)
		rv = sluice_consumer_opts_set_window(co, a->window);
	if (rv == SLUICE_OK)
		rv = sluice_consumer_opts_set_priority(co, a->priority);
	if (rv == SLUICE_OK)
		rv = sluice_consumer_opts_set_name(co, a->name ? a->name : "sluice-cli");
	if (rv == SLUICE_OK)
		rv = sluice_consumer_opts_set_failure_policy(co, &a->policy);
	if (rv != SLUICE_OK) {
		sluice_consumer_opts_free(co);
		return rv;
	}
	*out = co;
	return SLUICE_OK;
}

/* Receives, prints and acks (or nacks) until done; returns an exit
 * status. *nacked counts the nacks, *n the messages received. */
static int
loop(const consume_args *a, sluice_consumer *k, uint64_t *nacked,
    uint64_t *received)
{
	uint64_t *n = received;
	int64_t idle_ms = 0;
	while (!stop_signal && (a->count == 0 || *n < a->count)) {
		sluice_record *r = NULL;
		sluice_err rv = sluice_receive(k, &r, POLL_MS);
		if (rv == SLUICE_ETIMEDOUT) {
			idle_ms += POLL_MS;
			if (a->timeout_ms >= 0 && idle_ms >= a->timeout_ms)
				break;
			continue;
		}
		if (rv != SLUICE_OK)
			return cli_fail("consume", rv);
		idle_ms = 0;
		int nack = should_nack(a, r);
		print_record(a, r, nack);
		/* Ack only what surely left this process. */
		if (fflush(stdout) != 0 || ferror(stdout)) {
			sluice_record_free(r);
			return cli_fail("consume: write stdout", SLUICE_EIO);
		}
		if (nack)
			rv = sluice_nack_ex(k, sluice_record_offset(r),
			    a->nack_delay_ms, a->nack_reason);
		else
			rv = sluice_ack(k, sluice_record_offset(r));
		sluice_record_free(r);
		if (rv != SLUICE_OK)
			return cli_fail(nack ? "consume: nack" : "consume: ack", rv);
		*nacked += (uint64_t) nack;
		(*n)++;
	}
	return CLI_EXIT_OK;
}

static int
run(const consume_args *a)
{
	sluice_opts *o = NULL;
	sluice_client *c = NULL;
	sluice_consumer_opts *co = NULL;
	sluice_consumer *k = NULL;
	char what[300];
	int status = CLI_EXIT_FAIL;

	sluice_err rv = sluice_opts_alloc(&o);
	if (rv == SLUICE_OK && a->url != NULL)
		rv = sluice_opts_set_url(o, a->url);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_name(o, a->name ? a->name : "sluice-cli");
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_token(o, consume_token ? consume_token
		                                            : getenv("SLUICE_TOKEN"));
	if (rv == SLUICE_OK)
		rv = tool_tls_apply(&a->tls, o);
	if (rv == SLUICE_OK)
		rv = make_opts(a, &co);
	if (rv != SLUICE_OK) {
		cli_fail("consume", rv);
		goto out;
	}
	if ((rv = sluice_client_open(&c, o)) != SLUICE_OK) {
		snprintf(what, sizeof(what), "consume: connect to %s",
		    a->url ? a->url : SLUICE_DEFAULT_URL);
		cli_fail(what, rv);
		goto out;
	}
	rv = sluice_consumer_open(&k, c, a->topic, a->sub, co);
	if (rv != SLUICE_OK) {
		snprintf(what, sizeof(what), "consume: subscribe %s to %s",
		    a->sub, a->topic);
		cli_fail(what, rv);
		goto out;
	}
	uint64_t received = 0, nacked = 0;
	status = loop(a, k, &nacked, &received);
	/* Flushes the acks of what was printed and detaches. */
	rv = sluice_consumer_close(k);
	k = NULL;
	if (rv != SLUICE_OK && status == CLI_EXIT_OK)
		status = cli_fail("consume: close", rv);
	if (nacking(a)) {
		fprintf(stderr,
		    "sluice-cli: consume: %" PRIu64 " received, %" PRIu64
		    " acked, %" PRIu64 " nacked",
		    received, received - nacked, nacked);
		/* The seed redoes a --nack-rate run; --nack draws nothing. */
		if (!a->nack_all)
			fprintf(stderr, " (seed %" PRIu64 ")", a->seed);
		fputc('\n', stderr);
	}
out:
	sluice_consumer_close(k);
	sluice_client_close(c);
	sluice_consumer_opts_free(co);
	sluice_opts_free(o);
	return status;
}

int
cli_consume(int argc, char **argv)
{
	consume_args a = { 0 };
	a.type = SLUICE_SUB_EXCLUSIVE;
	a.mode = SLUICE_RELIABLE;
	a.start = SLUICE_START_LATEST;
	a.timeout_ms = -1;
	/* Overwritten by --seed; printed at the end so a run can be redone. */
	a.seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
	int status = parse(argc, argv, &a);
	if (status >= 0)
		return status;

	/* No SA_RESTART: the flag is seen within POLL_MS. A closed stdout
	 * is a write error to report, not a silent death. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run(&a);
}
