/*
 * admin_token.c - `token create`: a bearer token for a principal, signed
 * with the broker's secret (auth.h). The caller needs admin on "*" when
 * authentication is on (checked before, in loop.c).
 */
#include <stdio.h>

#include "admin.h"
#include "alloc.h"
#include "log.h"

#define DEFAULT_TTL_MS (24ull * 3600 * 1000)
#define MAX_TTL_MS (366ull * 24 * 3600 * 1000)

sluice_err
admin_token_create(admin_call *c)
{
	const auth_state *st = &c->b->auth;
	const char *who = c->req->principal;
	uint64_t ttl = c->req->ttl_ms != 0 ? c->req->ttl_ms : DEFAULT_TTL_MS;
	char *tok = NULL;
	if (st->secret == NULL) {
		snprintf(c->detail, c->dlen, "no token secret is configured "
		    "(auth.secret_file or --auth-secret-file)");
		return SLUICE_EINVAL;
	}
	if (who == NULL || who[0] == '\0') {
		snprintf(c->detail, c->dlen, "a principal is required");
		return SLUICE_EINVAL;
	}
	if (ttl > MAX_TTL_MS) {
		snprintf(c->detail, c->dlen, "ttl %llu ms is longer than 366 days",
		    (unsigned long long) ttl);
		return SLUICE_EINVAL;
	}
	int64_t expires = auth_now_us() + (int64_t) ttl * 1000;
	sluice_err rv = auth_token_sign(st->secret, st->secret_len, who, expires, &tok);
	if (rv == SLUICE_EINVAL) {
		snprintf(c->detail, c->dlen, "'%s' is not a principal name (1..127 "
		    "bytes, no control characters)", who);
		return rv;
	}
	if (rv != SLUICE_OK)
		return rv;
	c->res->token = admin_strdup(c->arena, tok);
	sl_free(tok);
	if (c->res->token == NULL)
		return SLUICE_ENOMEM;
	c->res->token_expires_us = expires;
	if (acl_find(&st->acl, who) == NULL)
		sl_warn("token created for '%s', who is not in the acl: it will be "
		        "refused until the acl lists it", who);
	sl_event(SL_LOG_INFO, "token_created",
	    SL_FIELDS(SL_STR("principal", who), SL_U64("ttl_ms", ttl)),
	    "token created for '%s' (ttl %llu ms)", who, (unsigned long long) ttl);
	return SLUICE_OK;
}
