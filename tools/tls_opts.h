/*
 * tls_opts.h - the TLS options every tool takes (sluice-cli, sluice-admin,
 * sluice-bench): --tls-ca FILE, --tls-cert FILE, --tls-key FILE and
 * --tls-server-name NAME, for tls+tcp:// URLs (docs/security.md). Header
 * only: each tool adds TOOL_TLS_LONGOPTS to its getopt_long table, hands
 * the option codes to tool_tls_opt and calls tool_tls_apply on its
 * sluice_opts before sluice_client_open.
 */
#ifndef SL_TOOL_TLS_OPTS_H
#define SL_TOOL_TLS_OPTS_H

#include <getopt.h>

#include "sluice/sluice.h"

/* getopt_long codes; no tool uses 900..903 for anything else. */
enum { TOOL_OPT_TLS_CA = 900, TOOL_OPT_TLS_CERT, TOOL_OPT_TLS_KEY,
	TOOL_OPT_TLS_SERVER_NAME };

#define TOOL_TLS_LONGOPTS                                                   \
	{ "tls-ca", required_argument, NULL, TOOL_OPT_TLS_CA },             \
	    { "tls-cert", required_argument, NULL, TOOL_OPT_TLS_CERT },     \
	    { "tls-key", required_argument, NULL, TOOL_OPT_TLS_KEY },       \
	    { "tls-server-name", required_argument, NULL,                   \
		    TOOL_OPT_TLS_SERVER_NAME }

#define TOOL_TLS_HELP                                                       \
	"      --tls-ca FILE      tls+tcp://: CA (PEM) that signed the broker's\n" \
	"                         certificate; without it, it is not verified\n"  \
	"      --tls-cert FILE    client certificate (PEM), for mutual TLS;\n"    \
	"      --tls-key FILE     and its private key (PEM): give both\n"         \
	"      --tls-server-name NAME  name the broker's certificate must\n"      \
	"                         carry (default: the URL's host)\n"

/* The values given; NULL when absent. Borrowed from argv. */
typedef struct {
	const char *ca, *cert, *key, *server_name;
} tool_tls;

/* Stores opt when it is a TLS option: returns 1, else 0. */
static inline int
tool_tls_opt(tool_tls *t, int opt, const char *arg)
{
	switch (opt) {
	case TOOL_OPT_TLS_CA:
		t->ca = arg;
		return 1;
	case TOOL_OPT_TLS_CERT:
		t->cert = arg;
		return 1;
	case TOOL_OPT_TLS_KEY:
		t->key = arg;
		return 1;
	case TOOL_OPT_TLS_SERVER_NAME:
		t->server_name = arg;
		return 1;
	default:
		return 0;
	}
}

/* Sets the given options on o. SLUICE_EINVAL when only one of --tls-cert
 * and --tls-key is given. */
static inline sluice_err
tool_tls_apply(const tool_tls *t, sluice_opts *o)
{
	sluice_err rv = SLUICE_OK;
	if ((t->cert == NULL) != (t->key == NULL))
		return SLUICE_EINVAL;
	if (t->ca != NULL)
		rv = sluice_opts_set_tls_ca(o, t->ca);
	if (rv == SLUICE_OK && t->cert != NULL)
		rv = sluice_opts_set_tls_cert(o, t->cert, t->key);
	if (rv == SLUICE_OK && t->server_name != NULL)
		rv = sluice_opts_set_tls_server_name(o, t->server_name);
	return rv;
}
#endif
