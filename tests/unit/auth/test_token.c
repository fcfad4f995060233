/*
 * test_token.c - the bearer-token codec (broker/auth.c) and the ACL
 * (broker/acl.c): round trip, expiry, forged and malformed tokens, the
 * constant-time comparison, unknown principals, pattern matching.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "alloc.h"
#include "auth.h"

static const uint8_t secret[] = "0123456789abcdef-test-secret";
#define SLEN (sizeof(secret) - 1)
#define NOW 1700000000000000ll

static acl people;

static void
setup(void)
{
	memset(&people, 0, sizeof(people));
	acl_entry *e = acl_add(&people, "alice");
	cr_assert_not_null(e);
	cr_assert_eq(acl_entry_add(e, ACL_PRODUCE, "orders.*"), 0);
	cr_assert_eq(acl_entry_add(e, ACL_CONSUME, "orders.eu"), 0);
	cr_assert_not_null(acl_add(&people, "root"));
	cr_assert_eq(acl_entry_add(&people.entries[1], ACL_ADMIN, "*"), 0);
}

static void
teardown(void)
{
	acl_free(&people);
}

TestSuite(token, .init = setup, .fini = teardown);

static char *
sign(const char *who, int64_t expires)
{
	char *t = NULL;
	cr_assert_eq(auth_token_sign(secret, SLEN, who, expires, &t), SLUICE_OK);
	return t;
}

Test(token, round_trip_gives_the_principal_and_expiry)
{
	char *t = sign("alice", NOW + 1000000);
	char who[AUTH_MAX_PRINCIPAL];
	int64_t exp = 0;
	cr_assert_eq(strncmp(t, "v1.", 3), 0);
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, t, NOW, who, &exp), AUTH_OK);
	cr_assert_str_eq(who, "alice");
	cr_assert_eq(exp, NOW + 1000000);
	/* Without an ACL only the signature and expiry count. */
	cr_assert_eq(auth_token_verify(secret, SLEN, NULL, t, NOW, who, NULL), AUTH_OK);
	sl_free(t);
}

Test(token, expired_at_and_after_its_expiry)
{
	char *t = sign("alice", NOW);
	char who[AUTH_MAX_PRINCIPAL];
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, t, NOW, who, NULL), AUTH_EXPIRED);
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, t, NOW + 1, who, NULL), AUTH_EXPIRED);
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, t, NOW - 1, who, NULL), AUTH_OK);
	sl_free(t);
}

Test(token, another_secret_or_a_changed_byte_is_a_bad_signature)
{
	static const uint8_t other[] = "another-secret-of-enough-length";
	char *t = sign("alice", NOW + 1000000);
	char who[AUTH_MAX_PRINCIPAL];
	cr_assert_eq(auth_token_verify(other, sizeof(other) - 1, &people, t, NOW, who,
	                 NULL), AUTH_BAD_SIGNATURE);
	/* The last MAC character: flip it to another valid base64url char
	 * whose low bits (the ones that carry data) differ. */
	size_t n = strlen(t);
	char saved = t[n - 2];
	t[n - 2] = saved == 'A' ? 'B' : 'A';
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, t, NOW, who, NULL),
	    AUTH_BAD_SIGNATURE);
	t[n - 2] = saved;
	/* Re-signing another principal's payload with our MAC is caught too. */
	char *u = sign("root", NOW + 1000000);
	char *dot_t = strrchr(t, '.'), *dot_u = strrchr(u, '.');
	char forged[512];
	snprintf(forged, sizeof(forged), "%.*s%s", (int) (dot_u - u), u, dot_t);
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, forged, NOW, who, NULL),
	    AUTH_BAD_SIGNATURE);
	sl_free(t);
	sl_free(u);
}

Test(token, unknown_principal_and_bad_signature_read_the_same)
{
	char *t = sign("mallory", NOW + 1000000);
	char who[AUTH_MAX_PRINCIPAL];
	auth_result r = auth_token_verify(secret, SLEN, &people, t, NOW, who, NULL);
	cr_assert_eq(r, AUTH_UNKNOWN_PRINCIPAL);
	cr_assert_str_eq(auth_result_text(r), auth_result_text(AUTH_BAD_SIGNATURE));
	cr_assert_str_eq(auth_result_text(AUTH_MALFORMED), auth_result_text(AUTH_BAD_SIGNATURE));
	sl_free(t);
}

Test(token, missing_and_malformed)
{
	char who[AUTH_MAX_PRINCIPAL];
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, NULL, NOW, who, NULL), AUTH_MISSING);
	cr_assert_eq(auth_token_verify(secret, SLEN, &people, "", NOW, who, NULL), AUTH_MISSING);
	const char *bad[] = { "v2.abc.def", "v1.", "v1.abc", "v1.!!!.AAAA", "v1.YWxpY2U.AAAA",
		"garbage", "v1..", NULL };
	for (int i = 0; bad[i] != NULL; i++)
		cr_assert_eq(auth_token_verify(secret, SLEN, &people, bad[i], NOW, who, NULL),
		    AUTH_MALFORMED, "%s", bad[i]);
}

Test(token, sign_refuses_bad_principals)
{
	char *t = NULL;
	char longname[200];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_assert_eq(auth_token_sign(secret, SLEN, "", NOW, &t), SLUICE_EINVAL);
	cr_assert_eq(auth_token_sign(secret, SLEN, "a\nb", NOW, &t), SLUICE_EINVAL);
	cr_assert_eq(auth_token_sign(secret, SLEN, longname, NOW, &t), SLUICE_EINVAL);
	cr_assert_eq(auth_token_sign(NULL, 0, "alice", NOW, &t), SLUICE_EINVAL);
	cr_assert_null(t);
}

Test(token, constant_time_compare)
{
	uint8_t a[32], b[32];
	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	cr_assert(auth_ct_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	cr_assert_not(auth_ct_equal(a, b, sizeof(a)));
	b[31] ^= 1;
	b[0] ^= 0x80;
	cr_assert_not(auth_ct_equal(a, b, sizeof(a)));
	cr_assert(auth_ct_equal(a, b, 0));
}

Test(token, acl_patterns_default_deny)
{
	cr_assert(acl_allows(&people, "alice", ACL_PRODUCE, "orders.eu"));
	cr_assert(acl_allows(&people, "alice", ACL_PRODUCE, "orders."));
	cr_assert_not(acl_allows(&people, "alice", ACL_PRODUCE, "order"));
	cr_assert_not(acl_allows(&people, "alice", ACL_PRODUCE, "payments"));
	cr_assert(acl_allows(&people, "alice", ACL_CONSUME, "orders.eu"));
	cr_assert_not(acl_allows(&people, "alice", ACL_CONSUME, "orders.us"));
	cr_assert_not(acl_allows(&people, "alice", ACL_ADMIN, "*"));
	cr_assert(acl_allows(&people, "root", ACL_ADMIN, "*"));
	cr_assert(acl_allows(&people, "root", ACL_ADMIN, "anything"));
	cr_assert_not(acl_allows(&people, "root", ACL_PRODUCE, "anything"));
	cr_assert_not(acl_allows(&people, "nobody", ACL_CONSUME, "orders.eu"));
	acl copy;
	cr_assert_eq(acl_dup(&copy, &people), 0);
	cr_assert(acl_allows(&copy, "alice", ACL_PRODUCE, "orders.x"));
	acl_free(&copy);
}
