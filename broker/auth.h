/*
 * auth.h - authentication (docs/security.md): the broker's HMAC secret,
 * the bearer-token codec and the live ACL, plus the counters metrics.c
 * prints. A token is
 *
 *     v1.<base64url(payload)>.<base64url(HMAC-SHA256(secret, payload))>
 *
 * with payload "principal\nexpires_us" (expiry: microseconds since the
 * epoch). The codec has no broker dependency (unit tested alone); the
 * state is the loop thread's.
 */
#ifndef SL_AUTH_H
#define SL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "sluice/sluice.h"

#define AUTH_MAX_PRINCIPAL 128   /* bytes, with the NUL */
#define AUTH_MIN_SECRET 16       /* bytes a secret file must hold */
#define AUTH_MAC_LEN 32          /* HMAC-SHA256 */

typedef enum {
	AUTH_OK,
	AUTH_MISSING,            /* no token (and no verified certificate) */
	AUTH_MALFORMED,          /* not v1.<payload>.<mac>, or a bad payload */
	AUTH_BAD_SIGNATURE,
	AUTH_EXPIRED,
	AUTH_UNKNOWN_PRINCIPAL,  /* validly signed, but not in the ACL */
} auth_result;

typedef struct {
	int enabled;                 /* auth.enabled */
	int metrics_token_required;  /* auth.metrics_token_required */
	uint8_t *secret;             /* owned; NULL when none is configured */
	size_t secret_len;
	acl acl;                     /* owned live copy */
	uint64_t failures;           /* sluice_auth_failures_total */
	uint64_t denied;             /* sluice_authz_denied_total */
} auth_state;

/* The reason as logged ("bad_signature", ...). */
const char *auth_result_name(auth_result r);
/*
 * The text sent to the client. Bad signatures, malformed tokens and
 * unknown principals share one text, so a client cannot tell them apart.
 */
const char *auth_result_text(auth_result r);

/* Constant-time comparison: 1 when the n bytes are equal. Its running
 * time depends on n only. */
int auth_ct_equal(const void *a, const void *b, size_t n);

/*
 * auth_token_sign makes a token for principal (1..127 bytes, no newline)
 * expiring at expires_us. *out (sl_free) is written on SLUICE_OK.
 * Errors: SLUICE_EINVAL (bad principal, no secret), SLUICE_ENOMEM.
 */
sluice_err auth_token_sign(const uint8_t *secret, size_t secret_len,
    const char *principal, int64_t expires_us, char **out);
/*
 * auth_token_verify checks token against the secret and, when a is not
 * NULL, that its principal is listed in a. The signature check and the
 * principal look-up both run whatever the other's outcome, so a bad
 * signature and an unknown principal take the same time. On AUTH_OK
 * principal (AUTH_MAX_PRINCIPAL bytes) and *expires_us (may be NULL) are
 * written.
 */
auth_result auth_token_verify(const uint8_t *secret, size_t secret_len,
    const acl *a, const char *token, int64_t now_us, char *principal,
    int64_t *expires_us);

/* Reads a secret file (trailing whitespace dropped). 0, or -1 with the
 * reason in why. *out is sl_free'd by the caller. */
int auth_secret_load(const char *path, uint8_t **out, size_t *len, char *why,
    size_t n);
/* Wall clock, microseconds since the epoch. */
int64_t auth_now_us(void);

/* Fills st: loads secret_file (when not NULL) and copies a. 0, or -1 with
 * the reason in why (an enabled st needs a secret). */
int  auth_init(auth_state *st, int enabled, int metrics_token_required,
    const char *secret_file, const acl *a, char *why, size_t n);
/* Replaces st's secret and ACL with these (taken); counters are kept. */
void auth_replace(auth_state *st, uint8_t *secret, size_t secret_len, acl *a);
void auth_fini(auth_state *st);
/* Whether principal may p on topic; always 1 when st is disabled. */
int  auth_allows(const auth_state *st, const char *principal, acl_perm p,
    const char *topic);
#endif
