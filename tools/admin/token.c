/*
 * token.c - `sluice-admin token create`: asks the broker to sign a bearer
 * token for a principal (ADMIN_TOKEN_CREATE). The broker holds the secret;
 * with authentication on, the caller needs admin permission on "*".
 */
#include <inttypes.h>
#include <stdio.h>

#include "adm.h"
#include "units.h"

static int
create(const adm_cmd *cmd, int argc, char **argv)
{
	adm_common co;
	const char *ops[1], *principal = NULL, *ttl = NULL;
	int nops, rv;
	const adm_opt opts[] = {
		{ "principal", 1, &principal },
		{ "ttl", 1, &ttl },
		{ NULL, 0, NULL },
	};
	if ((rv = adm_args(cmd, argc, argv, opts, &co, ops, 0, 0, &nops)) >= 0)
		return rv;
	if (principal == NULL || principal[0] == '\0')
		return adm_usage(cmd, &co, "--principal NAME is required");
	int64_t ttl_ms = 0;
	if (ttl != NULL && (units_parse_duration_ms(ttl, &ttl_ms) != 0 || ttl_ms <= 0))
		return adm_usage(cmd, &co, "bad --ttl '%s' (e.g. 30m, 12h, 7d)", ttl);
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	rq.op = SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE;
	rq.principal = (char *) principal;
	rq.ttl_ms = (uint64_t) ttl_ms;
	Sluice__AdminResult *r;
	if ((rv = adm_call(&co, "token create", &rq, &r)) >= 0)
		return rv;
	if (r->token == NULL || r->token[0] == '\0') {
		rv = adm_fail(&co, "token create", SLUICE_EPROTO,
		    "the reply has no token", 0);
	} else if (co.json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_str(&j, "token", r->token);
		out_json_i64(&j, "expires_us", r->token_expires_us);
		out_json_obj_close(&j);
		out_json_end(&j);
		rv = ADM_EXIT_OK;
	} else {
		char when[64];
		units_format_rfc3339(r->token_expires_us, 0, when, sizeof(when));
		printf("%s\n", r->token);
		fprintf(stderr, "sluice-admin: token for '%s' expires %s\n",
		    principal, when);
		rv = ADM_EXIT_OK;
	}
	adm_result_free(r);
	return rv;
}

const adm_cmd adm_token_cmds[] = {
	{ "token", "create", "--principal NAME [--ttl DURATION]",
	    "mint a bearer token signed by the broker",
	    "Asks the broker to sign a bearer token for principal NAME, valid\n"
	    "for --ttl (default 24h; at most 366d). Prints the token on stdout\n"
	    "(its expiry on stderr); --json prints {\"token\", \"expires_us\"}.\n"
	    "Clients send it in Hello: --token T or $SLUICE_TOKEN in the tools,\n"
	    "sluice_opts_set_token() in libsluice. With authentication on, the\n"
	    "caller needs admin permission on \"*\" (docs/security.md).\n"
	    "\n"
	    "  --principal NAME  who the token names (must be in the broker's acl)\n"
	    "  --ttl DURATION    how long it is valid: 30m, 12h, 7d\n",
	    create },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};
