/*
 * conn.c - one admin request of sluice-admin: connect to the broker, send
 * the encoded sluice.Admin through libsluice (sluice_admin_call), decode
 * the sluice.AdminResult, and turn every failure into one message and one
 * exit status. Each invocation is a single request, so the connection
 * lives for that request only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "adm.h"

/* Failures that mean the broker is not there (or no longer is). */
static int
is_unreachable(sluice_err rv, int connecting)
{
	switch (rv) {
	case SLUICE_ECONNREFUSED:
	case SLUICE_ETRANSPORT:
	case SLUICE_ECLOSED:
	case SLUICE_ETIMEDOUT:
		return 1;
	case SLUICE_EIO:
		return connecting;
	default:
		return 0;
	}
}

int
adm_fail(const adm_common *co, const char *what, sluice_err rv,
    const char *detail, int connecting)
{
	const char *text = sluice_strerror(rv);
	int has_detail = detail != NULL && detail[0] != '\0';
	/* Connecting, the detail says where: it reads best first. */
	if (connecting && has_detail)
		fprintf(stderr, "sluice-admin: %s: %s: %s\n", what, detail, text);
	else
		fprintf(stderr, "sluice-admin: %s: %s%s%s\n", what, text,
		    has_detail ? ": " : "", has_detail ? detail : "");
	if (co->json) {
		out_json j;
		out_json_init(&j, stdout);
		out_json_obj_open(&j, NULL);
		out_json_obj_open(&j, "error");
		out_json_str(&j, "code", sluice_err_name(rv));
		out_json_str(&j, "message", text);
		out_json_str(&j, "detail", has_detail ? detail : "");
		out_json_obj_close(&j);
		out_json_obj_close(&j);
		out_json_end(&j);
	}
	return is_unreachable(rv, connecting) ? ADM_EXIT_UNREACHABLE
	                                      : ADM_EXIT_FAIL;
}

static sluice_err
connect_to(const adm_common *co, sluice_client **out)
{
	sluice_opts *o = NULL;
	sluice_err rv = sluice_opts_alloc(&o);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_url(o, co->url);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_name(o, "sluice-admin");
	if (rv == SLUICE_OK)
		rv = tool_tls_apply(&co->tls, o);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_token(o, co->token);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_connect_timeout(o, co->timeout_ms);
	if (rv == SLUICE_OK)
		rv = sluice_opts_set_request_timeout(o, co->timeout_ms);
	if (rv == SLUICE_OK)
		rv = sluice_client_open(out, o);
	sluice_opts_free(o);
	return rv;
}

int
adm_call(const adm_common *co, const char *what, const Sluice__Admin *rq,
    Sluice__AdminResult **out)
{
	sluice_client *c = NULL;
	sluice_err rv = connect_to(co, &c);
	if (rv == SLUICE_EINVAL) {
		/* The only argument open checks is the URL: a usage error. */
		char bad[300];
		snprintf(bad, sizeof(bad), "bad --url '%s' (e.g. %s)%s", co->url,
		    SLUICE_DEFAULT_URL, co->tls.ca != NULL || co->tls.cert != NULL
		        ? ", or a --tls-* file that cannot be used" : "");
		adm_fail(co, what, rv, bad, 0);
		return ADM_EXIT_USAGE;
	}
	if (rv != SLUICE_OK) {
		char where[300];
		snprintf(where, sizeof(where), "cannot reach the broker at %s",
		    co->url);
		return adm_fail(co, what, rv, where, 1);
	}

	size_t len = sluice__admin__get_packed_size(rq);
	uint8_t *buf = malloc(len ? len : 1);
	void *res = NULL;
	size_t res_len = 0;
	char detail[1024];
	if (buf == NULL) {
		rv = SLUICE_ENOMEM;
		detail[0] = '\0';
	} else {
		sluice__admin__pack(rq, buf);
		rv = sluice_admin_call(
		    c, buf, len, &res, &res_len, detail, sizeof(detail));
	}
	free(buf);
	sluice_client_close(c);
	if (rv != SLUICE_OK)
		return adm_fail(co, what, rv, detail, 0);

	Sluice__AdminResult *r =
	    sluice__admin_result__unpack(NULL, res_len, res);
	sluice_admin_result_free(res);
	if (r == NULL)
		return adm_fail(co, what, SLUICE_EPROTO,
		    "the broker's admin result does not decode", 0);
	*out = r;
	return -1;
}

void
adm_result_free(Sluice__AdminResult *r)
{
	if (r != NULL)
		sluice__admin_result__free_unpacked(r, NULL);
}
