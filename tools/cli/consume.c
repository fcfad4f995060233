/*
 * consume.c - `sluice-cli consume`: attach a consumer to a subscription and
 * print each message, one per line (tab-separated or JSON), acking it only
 * after it is printed and stdout is flushed. Stops after --count messages,
 * after --timeout-ms without a message, or on SIGINT/SIGTERM, closing
 * cleanly (pending acks flushed, consumer detached). This file owns
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

#include "cli.h"

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
	    "  -t, --type TYPE         exclusive (default), failover or shared\n"
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
	    "  -h, --help              this text\n"
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

/* Fills a from argv; returns -1 to run, or an exit status. */
static int
parse(int argc, char **argv, consume_args *a)
{
	enum { OPT_NONREL = 256, OPT_FROM, OPT_TIMEOUT, OPT_JSON, OPT_PRIO,
		OPT_NAME };
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

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
			else
				return cli_usage_error("consume", "bad --type '%s' (exclusive, "
				                   "failover or shared)",
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
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		case ':':
			return cli_usage_error("consume", "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			return cli_usage_error("consume", "unknown option '%s'", argv[optind - 1]);
		}
	}
	int rv = cli_topic_operand("consume", argc, argv, optind, &a->topic);
	if (rv != CLI_EXIT_OK)
		return rv;
	if (a->sub == NULL || a->sub[0] == '\0')
		return cli_usage_error("consume", "%s", "missing -s SUBSCRIPTION");
	return -1;
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

/*
 * Length of the valid UTF-8 sequence starting at p (n bytes left), or 0:
 * no overlongs, no surrogates, nothing above U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* A JSON string; bytes that are not UTF-8 become \u00HH. */
static void
put_json(FILE *f, const unsigned char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char ch = p[i];
		size_t len = utf8_len(p + i, n - i);
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

static void
print_record(const consume_args *a, const sluice_record *r)
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
	fputs("}}\n", stdout);
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
	if (rv != SLUICE_OK) {
		sluice_consumer_opts_free(co);
		return rv;
	}
	*out = co;
	return SLUICE_OK;
}

/* Receives, prints and acks until done; returns an exit status. */
static int
loop(const consume_args *a, sluice_consumer *k)
{
	uint64_t n = 0;
	int64_t idle_ms = 0;
	while (!stop_signal && (a->count == 0 || n < a->count)) {
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
		print_record(a, r);
		/* Ack only what surely left this process. */
		if (fflush(stdout) != 0 || ferror(stdout)) {
			sluice_record_free(r);
			return cli_fail("consume: write stdout", SLUICE_EIO);
		}
		rv = sluice_ack(k, sluice_record_offset(r));
		sluice_record_free(r);
		if (rv != SLUICE_OK)
			return cli_fail("consume: ack", rv);
		n++;
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
	status = loop(a, k);
	/* Flushes the acks of what was printed and detaches. */
	rv = sluice_consumer_close(k);
	k = NULL;
	if (rv != SLUICE_OK && status == CLI_EXIT_OK)
		status = cli_fail("consume: close", rv);
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
