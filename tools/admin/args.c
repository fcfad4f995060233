/*
 * args.c - the command line of one sluice-admin command: the options
 * every command shares (--url, --json, --timeout-ms, --help), the
 * command's own options, its operands, its --help text and usage errors.
 * Values are only collected here; each command checks its own.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "units.h"

/* getopt_long's return values for the command's own options. */
#define OPT_BASE 1000
#define MAX_OPTS 32

enum { OPT_URL = 'u', OPT_HELP = 'h', OPT_JSON = 500, OPT_TIMEOUT, OPT_TOKEN };

static void
help(const adm_cmd *cmd)
{
	printf("usage: sluice-admin %s %s%s%s [--url URL] [--json] "
	       "[--timeout-ms MS]\n\n%s",
	    cmd->group, cmd->name, cmd->synopsis[0] ? " " : "", cmd->synopsis,
	    cmd->help);
	printf("\ncommon options:\n"
	       "  -u, --url URL        broker address (default %s)\n"
	       "      --json           print one JSON object on stdout, errors "
	       "too\n"
	       "      --timeout-ms MS  bound on connecting and on the request "
	       "(default %d)\n"
	       "      --token T        bearer token (default $SLUICE_TOKEN)\n"
	       TOOL_TLS_HELP
	       "  -h, --help           this text\n"
	       "\n"
	       "Exit status: 0 success, 1 the operation failed (the broker "
	       "refused it,\nor it is unhealthy), 2 usage error, 3 cannot reach "
	       "the broker.\n",
	    SLUICE_DEFAULT_URL, ADM_DEFAULT_TIMEOUT_MS);
}

int
adm_usage(const adm_cmd *cmd, const adm_common *co, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr,
	    "sluice-admin: %s %s: %s\nRun 'sluice-admin %s %s --help' for "
	    "usage.\n",
	    cmd->group, cmd->name, msg, cmd->group, cmd->name);
	if (co->json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_obj_open(&j, "error");
		out_json_str(&j, "code", sluice_err_name(SLUICE_EINVAL));
		out_json_str(&j, "message", msg);
		out_json_obj_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	}
	return ADM_EXIT_USAGE;
}

int
adm_check_name(const adm_cmd *cmd, const adm_common *co, const char *what,
    const char *name)
{
	if (sluice_topic_name_is_valid(name))
		return -1;
	return adm_usage(cmd, co,
	    "invalid %s name '%s' (1-255 of [A-Za-z0-9._/-])", what, name);
}

/* --json is known before parsing, so usage errors found on the way are
 * reported in JSON as well. "--" ends the options. */
static int
wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			return 1;
	}
	return 0;
}

int
adm_args(const adm_cmd *cmd, int argc, char **argv, const adm_opt *opts,
    adm_common *co, const char **ops, int min, int max, int *nops)
{
	static const struct option tls_lo[] = { TOOL_TLS_LONGOPTS };
	struct option lo[MAX_OPTS + 6 + 4];
	int n = 0;
	co->url = SLUICE_DEFAULT_URL;
	co->timeout_ms = ADM_DEFAULT_TIMEOUT_MS;
	co->tls = (tool_tls) { NULL, NULL, NULL, NULL };
	co->json = wants_json(argc, argv);
	co->token = getenv("SLUICE_TOKEN");
	for (; opts != NULL && opts[n].name != NULL && n < MAX_OPTS; n++)
		lo[n] = (struct option) { opts[n].name,
			opts[n].has_arg ? required_argument : no_argument, NULL,
			OPT_BASE + n };
	lo[n++] = (struct option) { "url", required_argument, NULL, OPT_URL };
	lo[n++] = (struct option) { "json", no_argument, NULL, OPT_JSON };
	lo[n++] = (struct option) { "timeout-ms", required_argument, NULL,
		OPT_TIMEOUT };
	lo[n++] = (struct option) { "token", required_argument, NULL, OPT_TOKEN };
	lo[n++] = (struct option) { "help", no_argument, NULL, OPT_HELP };
	for (size_t i = 0; i < sizeof(tls_lo) / sizeof(tls_lo[0]); i++)
		lo[n++] = tls_lo[i];
	lo[n] = (struct option) { NULL, 0, NULL, 0 };

	uint64_t v;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":u:h", lo, NULL)) != -1) {
		if (c >= OPT_BASE) {
			*opts[c - OPT_BASE].value = optarg ? optarg : "1";
			continue;
		}
		switch (c) {
		case OPT_URL:
			co->url = optarg;
			break;
		case OPT_JSON:
			co->json = 1;
			break;
		case OPT_TOKEN:
			co->token = optarg;
			break;
		case OPT_TIMEOUT:
			if (units_parse_u64(optarg, &v) != 0 || v == 0 ||
			    v > 3600000)
				return adm_usage(cmd, co,
				    "bad --timeout-ms '%s' (1-3600000)", optarg);
			co->timeout_ms = (int) v;
			break;
		case OPT_HELP:
			help(cmd);
			return ADM_EXIT_OK;
		case ':':
			return adm_usage(cmd, co, "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (tool_tls_opt(&co->tls, c, optarg))
				break;
			return adm_usage(cmd, co, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if ((co->tls.cert == NULL) != (co->tls.key == NULL))
		return adm_usage(cmd, co, "--tls-cert and --tls-key go together");
	int k = argc - optind;
	if (k < min)
		return adm_usage(cmd, co, "missing operand (usage: %s %s %s)",
		    cmd->group, cmd->name, cmd->synopsis);
	if (k > max)
		return adm_usage(cmd, co, "unexpected operand '%s'",
		    argv[optind + max]);
	for (int i = 0; i < k; i++)
		ops[i] = argv[optind + i];
	*nops = k;
	return -1;
}
