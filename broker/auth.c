/*
 * auth.c - the HMAC secret, bearer tokens and the live ACL (auth.h).
 * mbedtls' HMAC lives here alone.
 */
#include "auth.h"

#include <errno.h>
#include <inttypes.h>
#include <mbedtls/md.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "alloc.h"

#define TOKEN_PREFIX "v1."
#define MAX_TOKEN 1024
#define MAX_SECRET (64 * 1024)

static const char *const names[] = {
	[AUTH_OK] = "ok",
	[AUTH_MISSING] = "missing_token",
	[AUTH_MALFORMED] = "malformed_token",
	[AUTH_BAD_SIGNATURE] = "bad_signature",
	[AUTH_EXPIRED] = "expired",
	[AUTH_UNKNOWN_PRINCIPAL] = "unknown_principal",
};

const char *
auth_result_name(auth_result r)
{
	return (unsigned) r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *
auth_result_text(auth_result r)
{
	switch (r) {
	case AUTH_OK:
		return "ok";
	case AUTH_MISSING:
		return "authentication required: a token must be sent in Hello";
	case AUTH_EXPIRED:
		return "token expired";
	default:
		return "invalid token";
	}
}

int
auth_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

int64_t
auth_now_us(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding; out holds 4 * ceil(n / 3) + 1. */
static size_t
b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t) in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t) in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
	return o;
}

static int
b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes n chars of base64url (no padding) into out (cap bytes); the
 * length, or -1 when malformed or too long. */
static long
b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_val(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t) (acc >> bits);
		}
	}
	/* Leftover bits must be zero: one encoding per token. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long) o;
}

static int
hmac(const uint8_t *key, size_t klen, const uint8_t *msg, size_t n,
    uint8_t mac[AUTH_MAC_LEN])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	return md != NULL && mbedtls_md_hmac(md, key, klen, msg, n, mac) == 0 ? 0 : -1;
}

static int
principal_is_valid(const char *p)
{
	size_t n = p != NULL ? strlen(p) : 0;
	if (n == 0 || n >= AUTH_MAX_PRINCIPAL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) p[i] < 0x20 || p[i] == 0x7F)
			return 0;
	return 1;
}

sluice_err
auth_token_sign(const uint8_t *secret, size_t secret_len, const char *principal,
    int64_t expires_us, char **out)
{
	char payload[AUTH_MAX_PRINCIPAL + 32];
	uint8_t mac[AUTH_MAC_LEN];
	if (secret == NULL || secret_len == 0 || !principal_is_valid(principal) ||
	    expires_us <= 0)
		return SLUICE_EINVAL;
	int plen = snprintf(payload, sizeof(payload), "%s\n%" PRId64, principal,
	    expires_us);
	if (hmac(secret, secret_len, (const uint8_t *) payload, (size_t) plen, mac) != 0)
		return SLUICE_EINVAL;
	size_t cap = sizeof(TOKEN_PREFIX) + 4 * ((size_t) plen / 3 + 1) + 1 +
	    4 * (AUTH_MAC_LEN / 3 + 1) + 1;
	char *t = sl_alloc(cap);
	if (t == NULL)
		return SLUICE_ENOMEM;
	size_t o = strlen(TOKEN_PREFIX);
	memcpy(t, TOKEN_PREFIX, o);
	o += b64_encode((const uint8_t *) payload, (size_t) plen, t + o);
	t[o++] = '.';
	b64_encode(mac, sizeof(mac), t + o);
	*out = t;
	return SLUICE_OK;
}

/* "principal\nexpires_us" into its parts; -1 when malformed. */
static int
parse_payload(const uint8_t *p, size_t n, char *principal, int64_t *expires)
{
	const uint8_t *nl = memchr(p, '\n', n);
	char num[24];
	if (nl == NULL)
		return -1;
	size_t plen = (size_t) (nl - p), elen = n - plen - 1;
	if (plen == 0 || plen >= AUTH_MAX_PRINCIPAL || elen == 0 || elen >= sizeof(num))
		return -1;
	memcpy(principal, p, plen);
	principal[plen] = '\0';
	if (strlen(principal) != plen || !principal_is_valid(principal))
		return -1;
	memcpy(num, nl + 1, elen);
	num[elen] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(num, &end, 10);
	if (num[0] < '0' || num[0] > '9' || *end != '\0' || errno == ERANGE || v <= 0)
		return -1;
	*expires = v;
	return 0;
}

auth_result
auth_token_verify(const uint8_t *secret, size_t secret_len, const acl *a,
    const char *token, int64_t now_us, char *principal, int64_t *expires_us)
{
	uint8_t payload[AUTH_MAX_PRINCIPAL + 32], given[AUTH_MAC_LEN + 3];
	uint8_t mac[AUTH_MAC_LEN];
	char who[AUTH_MAX_PRINCIPAL] = "";
	int64_t exp = 0;
	size_t n = token != NULL ? strnlen(token, MAX_TOKEN + 1) : 0;

	if (n == 0)
		return AUTH_MISSING;
	if (n > MAX_TOKEN || strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return AUTH_MALFORMED;
	const char *p = token + strlen(TOKEN_PREFIX);
	const char *dot = strchr(p, '.');
	if (dot == NULL)
		return AUTH_MALFORMED;
	long plen = b64_decode(p, (size_t) (dot - p), payload, sizeof(payload));
	long mlen = b64_decode(dot + 1, strlen(dot + 1), given, sizeof(given));
	if (plen <= 0 || mlen != AUTH_MAC_LEN || secret == NULL)
		return AUTH_MALFORMED;
	/* From here every step runs, whatever the earlier ones found. */
	int sig_ok = hmac(secret, secret_len, payload, (size_t) plen, mac) == 0;
	sig_ok &= auth_ct_equal(mac, given, AUTH_MAC_LEN);
	int parsed = parse_payload(payload, (size_t) plen, who, &exp) == 0;
	int known = a == NULL || acl_find(a, who) != NULL;
	if (!sig_ok)
		return AUTH_BAD_SIGNATURE;
	if (!parsed)
		return AUTH_MALFORMED;
	if (exp <= now_us)
		return AUTH_EXPIRED;
	if (!known)
		return AUTH_UNKNOWN_PRINCIPAL;
	memcpy(principal, who, sizeof(who));
	if (expires_us != NULL)
		*expires_us = exp;
	return AUTH_OK;
}

int
auth_secret_load(const char *path, uint8_t **out, size_t *len, char *why, size_t wn)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, wn, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = sl_alloc(MAX_SECRET + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(why, wn, "out of memory");
		return -1;
	}
	size_t n = fread(buf, 1, MAX_SECRET + 1, f);
	int err = ferror(f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	                    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (err || n > MAX_SECRET || n < AUTH_MIN_SECRET) {
		snprintf(why, wn, "%s: %s", path, err ? "read error"
		        : n > MAX_SECRET ? "the secret is larger than 64KiB"
		                         : "the secret must be at least 16 bytes");
		sl_free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

int
auth_init(auth_state *st, int enabled, int metrics_token_required,
    const char *secret_file, const acl *a, char *why, size_t n)
{
	memset(st, 0, sizeof(*st));
	st->enabled = enabled;
	st->metrics_token_required = metrics_token_required;
	if (secret_file != NULL &&
	    auth_secret_load(secret_file, &st->secret, &st->secret_len, why, n) != 0)
		return -1;
	if (enabled && st->secret == NULL) {
		snprintf(why, n, "auth is enabled but no secret file is given "
		                 "(auth.secret_file or --auth-secret-file)");
		return -1;
	}
	if (a != NULL && acl_dup(&st->acl, a) != 0) {
		snprintf(why, n, "out of memory");
		auth_fini(st);
		return -1;
	}
	return 0;
}

void
auth_replace(auth_state *st, uint8_t *secret, size_t secret_len, acl *a)
{
	if (secret != NULL) {
		if (st->secret != NULL)
			memset(st->secret, 0, st->secret_len);
		sl_free(st->secret);
		st->secret = secret;
		st->secret_len = secret_len;
	}
	acl_free(&st->acl);
	st->acl = *a;
	memset(a, 0, sizeof(*a));
}

void
auth_fini(auth_state *st)
{
	if (st->secret != NULL)
		memset(st->secret, 0, st->secret_len);
	sl_free(st->secret);
	st->secret = NULL;
	st->secret_len = 0;
	acl_free(&st->acl);
}

int
auth_allows(const auth_state *st, const char *principal, acl_perm p,
    const char *topic)
{
	return !st->enabled || acl_allows(&st->acl, principal, p, topic);
}
