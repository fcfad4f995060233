/*
 * produce.c - `sluice-cli produce`: publish messages from the command line
 * (-m), generated ones (--count/--size) or stdin lines, and print the
 * offset of each, in send order. Publishing is asynchronous so that the
 * library batches; offsets are recorded by the callbacks and printed after
 * each flush. This file owns argument parsing and output, nothing of the
 * protocol.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../tls_opts.h"

/* Messages between flushes: bounds memory for endless stdin. */
#define CHUNK 65536
/* Generated payloads are capped to keep a typo from eating memory. */
#define MAX_SIZE (64u * 1024u * 1024u)
#define DEFAULT_SIZE 100

typedef struct {
	const char  *topic;
	const char  *url;
	const char  *name;
	const char  *key;
	const char **texts;  /* -m values, ntexts of them */
	size_t       ntexts;
	const char **props;  /* "k=v" values, nprops of them */
	size_t       nprops;
	uint64_t     count;  /* generated messages; 0 = not asked */
	size_t       size;   /* bytes per generated message */
	int          has_size;
	int          quiet;
	tool_tls     tls;    /* --tls-* */
} produce_args;

/* One message's fate, written by its callback, read after a flush. */
typedef struct {
	sluice_err rv;
	uint64_t   offset;
} record;

/* Where the next payload comes from. */
typedef struct {
	const produce_args *a;
	size_t              next;    /* index of the next message */
	char               *line;    /* getline buffer */
	size_t              linecap;
	char               *gen;     /* generated payload, a->size bytes */
} source;

static void
help(FILE *f)
{
	fprintf(f,
	    "usage: sluice-cli produce TOPIC [options]\n"
	    "\n"
	    "Publish messages to TOPIC and print the offset of each, one per\n"
	    "line, in send order. Messages come from -m, else --count generated\n"
	    "ones, else the lines of stdin (without their newline).\n"
	    "\n"
	    "options:\n"
	    "  -u, --url URL          broker address (default %s)\n"
	    "      --token T          bearer token (default $SLUICE_TOKEN)\n"
	    "  -m, --message TEXT     a message; repeat for more\n"
	    "  -n, --count N          generate N messages\n"
	    "  -s, --size BYTES       payload size of generated messages (%d)\n"
	    "  -k, --key KEY          key of every message\n"
	    "  -p, --property K=V     property of every message; repeatable\n"
	    "  -q, --quiet            print only the last offset\n"
	    "      --name NAME        client name shown to operators\n"
	    TOOL_TLS_HELP
	    "  -h, --help             this text\n"
	    "\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n",
	    SLUICE_DEFAULT_URL, DEFAULT_SIZE);
}

/* Appends s to a growable array of strings; returns -1 without memory. */
static int
push(const char ***arr, size_t *n, const char *s)
{
	const char **grown = realloc(*arr, (*n + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	grown[(*n)++] = s;
	*arr = grown;
	return 0;
}

/* Fills a from argv; returns -1 to run, or an exit status. */
/* --token, else $SLUICE_TOKEN (the bearer token sent in Hello). */
static const char *produce_token;

static int
parse(int argc, char **argv, produce_args *a)
{
	enum { OPT_NAME = 256, OPT_TOKEN = 950 };
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "message", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "property", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "help", no_argument, NULL, 'h' },
		TOOL_TLS_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":u:m:n:s:k:p:qh", longopts,
	            NULL)) != -1) {
		switch (c) {
		case 'u':
			a->url = optarg;
			break;
		case OPT_TOKEN:
			produce_token = optarg;
			break;
		case 'm':
			if (push(&a->texts, &a->ntexts, optarg) != 0)
				return cli_fail("produce", SLUICE_ENOMEM);
			break;
		case 'n':
			if (cli_parse_u64(optarg, &v) != 0 || v == 0)
				return cli_usage_error("produce", "bad --count '%s'", optarg);
			a->count = v;
			break;
		case 's':
			if (cli_parse_u64(optarg, &v) != 0 || v > MAX_SIZE)
				return cli_usage_error("produce", "bad --size '%s'", optarg);
			a->size = (size_t) v;
			a->has_size = 1;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'p':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				return cli_usage_error("produce", 
				    "--property wants K=V, got '%s'", optarg);
			if (push(&a->props, &a->nprops, optarg) != 0)
				return cli_fail("produce", SLUICE_ENOMEM);
			break;
		case 'q':
			a->quiet = 1;
			break;
		case OPT_NAME:
			a->name = optarg;
			break;
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		case ':':
			return cli_usage_error("produce", "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (tool_tls_opt(&a->tls, c, optarg))
				break;
			return cli_usage_error("produce", "unknown option '%s'", argv[optind - 1]);
		}
	}
	int rv = cli_topic_operand("produce", argc, argv, optind, &a->topic);
	if (rv != CLI_EXIT_OK)
		return rv;
	if (a->ntexts > 0 && a->count > 0)
		return cli_usage_error("produce", "%s", "use either -m or --count");
	if (a->has_size && a->count == 0)
		return cli_usage_error("produce", "%s", "--size needs --count");
	if ((a->tls.cert == NULL) != (a->tls.key == NULL))
		return cli_usage_error("produce", "%s", "--tls-cert and --tls-key go together");
	return -1;
}

/*
 * Gives the next payload: 1 with data and len set, 0 at the end, or -1 on a
 * read error.
 */
static int
next_payload(source *s, const void **data, size_t *len)
{
	const produce_args *a = s->a;
	if (a->ntexts > 0) {
		if (s->next >= a->ntexts)
			return 0;
		*data = a->texts[s->next];
		*len = strlen(a->texts[s->next]);
	} else if (a->count > 0) {
		if (s->next >= a->count)
			return 0;
		*data = s->gen;
		*len = a->size;
	} else {
		errno = 0;
		ssize_t n = getline(&s->line, &s->linecap, stdin);
		if (n < 0)
			return errno != 0 && !feof(stdin) ? -1 : 0;
		if (n > 0 && s->line[n - 1] == '\n')
			n--;
		*data = s->line;
		*len = (size_t) n;
	}
	s->next++;
	return 1;
}

static sluice_err
build(const produce_args *a, const void *data, size_t len, sluice_msg **out)
{
	sluice_msg *m = NULL;
	sluice_err rv = sluice_msg_alloc(&m);
	if (rv == SLUICE_OK)
		rv = sluice_msg_set_payload(m, data, len);
	if (rv == SLUICE_OK && a->key != NULL)
		rv = sluice_msg_set_key(m, a->key, strlen(a->key));
	for (size_t i = 0; rv == SLUICE_OK && i < a->nprops; i++) {
		const char *eq = strchr(a->props[i], '=');
		size_t klen = (size_t) (eq - a->props[i]);
		char k[256];
		if (klen >= sizeof(k)) {
			rv = SLUICE_EINVAL;
			break;
		}
		memcpy(k, a->props[i], klen);
		k[klen] = '\0';
		rv = sluice_msg_add_property(m, k, eq + 1);
	}
	if (rv != SLUICE_OK) {
		sluice_msg_free(m);
		return rv;
	}
	*out = m;
	return SLUICE_OK;
}

static void
on_published(sluice_producer *p, sluice_err rv, uint64_t offset, void *arg)
{
	(void) p;
	record *r = arg;
	r->rv = rv;
	r->offset = offset;
}

/* Failed messages named one by one; the rest are only counted. */
#define MAX_FAIL_LINES 5

/* What printing has seen so far, across chunks. */
typedef struct {
	uint64_t last;      /* offset of the last stored message */
	int      have_last;
	size_t   nfailed;   /* messages that were not stored */
} tally;

/*
 * Prints the records of one flushed chunk; first is the number of the
 * first message (0-based) for error texts. Returns the first error.
 */
static sluice_err
print_chunk(const produce_args *a, const record *recs, size_t n,
    size_t first, tally *t)
{
	sluice_err first_err = SLUICE_OK;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].rv != SLUICE_OK) {
			if (t->nfailed++ < MAX_FAIL_LINES)
				fprintf(stderr, "sluice-cli: message %zu: %s\n",
				    first + i + 1, sluice_strerror(recs[i].rv));
			if (first_err == SLUICE_OK)
				first_err = recs[i].rv;
			continue;
		}
		t->last = recs[i].offset;
		t->have_last = 1;
		if (!a->quiet)
			printf("%" PRIu64 "\n", recs[i].offset);
	}
	if (!a->quiet)
		fflush(stdout);
	return first_err;
}

/* Publishes every message of the source; returns an exit status. */
static int
publish_all(const produce_args *a, sluice_producer *p, record *recs,
    size_t chunk)
{
	source src = { a, 0, NULL, 0, NULL };
	int status = CLI_EXIT_OK;
	size_t k = 0, base = 0;
	tally t = { 0, 0, 0 };

	if (a->count > 0) {
		if ((src.gen = malloc(a->size ? a->size : 1)) == NULL)
			return cli_fail("produce", SLUICE_ENOMEM);
		for (size_t i = 0; i < a->size; i++)
			src.gen[i] = "0123456789abcdef"[i % 16];
	}
	for (;;) {
		const void *data;
		size_t len;
		int more = next_payload(&src, &data, &len);
		if (more < 0) {
			status = cli_fail("read stdin", SLUICE_EIO);
			break;
		}
		if (more > 0) {
			sluice_msg *m = NULL;
			recs[k].rv = SLUICE_OK;
			sluice_err rv = build(a, data, len, &m);
			if (rv == SLUICE_OK)
				rv = sluice_publish_async(p, &m, on_published,
				    &recs[k]);
			sluice_msg_free(m);
			if (rv != SLUICE_OK) {
				char what[64];
				snprintf(what, sizeof(what), "message %zu",
				    base + k + 1);
				status = cli_fail(what, rv);
				more = 0; /* report what was sent, then stop */
			} else {
				k++;
			}
		}
		if (more == 0 || k == chunk) {
			/* Errors reach the records too; flush only waits. */
			(void) sluice_producer_flush(p);
			if (print_chunk(a, recs, k, base, &t) != SLUICE_OK)
				status = CLI_EXIT_FAIL;
			base += k;
			k = 0;
		}
		if (more == 0)
			break;
	}
	if (a->quiet && t.have_last) {
		printf("%" PRIu64 "\n", t.last);
		fflush(stdout);
	}
	if (t.nfailed > MAX_FAIL_LINES)
		fprintf(stderr, "sluice-cli: %zu messages in all were not stored\n",
		    t.nfailed);
	free(src.line);
	free(src.gen);
	return status;
}

static int
run(const produce_args *a)
{
	sluice_opts *o = NULL;
	sluice_client *c = NULL;
	sluice_producer *p = NULL;
	char what[300];
	int status = CLI_EXIT_FAIL;
	/* Interactive input: answer each line as it is typed. */
	size_t chunk = (a->ntexts == 0 && a->count == 0 && isatty(0)) ? 1 : CHUNK;
	record *recs = calloc(chunk, sizeof(*recs));

	sluice_err rv = recs != NULL ? sluice_opts_alloc(&o) : SLUICE_ENOMEM;
	if (rv == SLUICE_OK && a->url != NULL)
		rv = sluice_opts_set_url(o, a->url);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_name(o, a->name ? a->name : "sluice-cli");
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_token(o, produce_token ? produce_token
		                                            : getenv("SLUICE_TOKEN"));
	if (rv == SLUICE_OK)
		rv = tool_tls_apply(&a->tls, o);
	if (rv != SLUICE_OK) {
		cli_fail("produce", rv);
		goto out;
	}
	if ((rv = sluice_client_open(&c, o)) != SLUICE_OK) {
		snprintf(what, sizeof(what), "connect to %s",
		    a->url ? a->url : SLUICE_DEFAULT_URL);
		cli_fail(what, rv);
		goto out;
	}
	if ((rv = sluice_producer_open(&p, c, a->topic, NULL)) != SLUICE_OK) {
		snprintf(what, sizeof(what), "topic %s", a->topic);
		cli_fail(what, rv);
		goto out;
	}
	status = publish_all(a, p, recs, chunk);
out:
	sluice_producer_close(p);
	sluice_client_close(c);
	sluice_opts_free(o);
	free(recs);
	return status;
}

int
cli_produce(int argc, char **argv)
{
	produce_args a = { 0 };
	a.size = DEFAULT_SIZE;
	int status = parse(argc, argv, &a);
	if (status < 0)
		status = run(&a);
	free(a.texts);
	free(a.props);
	return status;
}
