/*
 * test_tls_principal.c - with mutual TLS and authentication on, the
 * client certificate's subject CN is the principal of a Hello without a
 * token (issue #7; broker/tls_engine.c, docs/security.md): the ACL then
 * applies to it as to a token's principal (an unlisted CN is refused at
 * Hello with SLUICE_EAUTH); a token, when given, still
 * names the principal; a certificate without a CN, or TLS without client
 * certificates, leaves a token-less Hello refused with SLUICE_EAUTH.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "auth.h"
#include "sluice/sluice.h"
#include "support.h"

TestSuite(tls_principal, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

#define SECRET "test-secret-0123456789-abcdefghij"

/* test-client (the certificate's CN) may produce and consume t.*; x (a
 * token's principal) may only consume; nobody is not listed (refused at
 * Hello, like a token for an unlisted principal). */
static const char acl_text[] =
    "acl:\n"
    "  - principal: test-client\n"
    "    produce: [\"t.*\"]\n"
    "    consume: [\"t.*\"]\n"
    "  - principal: x\n"
    "    consume: [\"t.*\"]\n"
    "  - principal: writer\n"
    "    produce: [\"t.*\"]\n"
    "    consume: [\"t.*\"]\n";

static char dir[256];

static void
sh(const char *cmd)
{
	char quiet[2048];
	snprintf(quiet, sizeof(quiet), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	cr_assert_eq(system(quiet), 0, "failed: %s", cmd);
}

static const char *
path(const char *name)
{
	static char bufs[8][700];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, 700, "%s/%s", dir, name);
	return b;
}

/* A client certificate NAME.pem/NAME.key for subject, signed by ca. */
static void
client_cert(const char *name, const char *subject)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "openssl req -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout %s.key -out %s.csr -subj '%s'",
	    name, name, subject);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "openssl x509 -req -in %s.csr -CA ca.pem "
	    "-CAkey ca.key -CAcreateserial -days 2 -out %s.pem", name, name);
	sh(cmd);
}

/* ca.pem, the broker's server.pem/server.key for 127.0.0.1, and client
 * certificates signed by ca: test-client (CN in the ACL), nobody (CN not
 * listed), nocn (a subject without CN). */
static void
make_certs(void)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_path());
	const char *key = "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s -x509 -days 2 -keyout ca.key -out ca.pem -subj /CN=test-ca", key);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s -keyout server.key -out server.csr -subj /CN=localhost", key);
	sh(cmd);
	sh("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:127.0.0.1\\n' > server.ext");
	sh("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	   "-days 2 -extfile server.ext -out server.pem");
	client_cert("client", "/CN=test-client");
	client_cert("nobody", "/CN=nobody");
	client_cert("nocn", "/O=acme/OU=ops");
}

/* sluiced on tls+tcp:// with authentication on (the ACL above) and, when
 * mutual, client certificates signed by ca.pem required. */
static void
start_broker(broker_proc *bp, int mutual)
{
	char data[600];
	FILE *f = fopen(path("secret"), "w");
	cr_assert_not_null(f);
	fputs(SECRET "\n", f);
	fclose(f);
	cr_assert_not_null(f = fopen(path("sluiced.yaml"), "w"));
	fprintf(f, "auth:\n  enabled: true\n  secret_file: \"%s\"\n%s",
	    path("secret"), acl_text);
	fclose(f);
	snprintf(data, sizeof(data), "%s/data", dir);
	const char *extra[] = { "--config", path("sluiced.yaml"),
		"--metrics-listen", "off", "--tls-cert", path("server.pem"),
		"--tls-key", path("server.key"), mutual ? "--tls-client-ca" : NULL,
		path("ca.pem"), NULL };
	cr_assert_eq(broker_start_tls(bp, data, extra), 0, "sluiced did not start");
}

static char *
token(const char *who)
{
	char *t = NULL;
	cr_assert_eq(auth_token_sign((const uint8_t *) SECRET, strlen(SECRET), who,
	                 auth_now_us() + 3600ll * 1000000, &t), SLUICE_OK);
	return t;
}

/* Opens a client presenting certificate NAME.pem (NULL: none) and tok
 * (NULL: none). */
static sluice_err
open_client(const broker_proc *bp, const char *cert, const char *tok,
    sluice_client **out)
{
	sluice_opts *o = NULL;
	char pem[64], key[64];
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, bp->url), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_connect_timeout(o, 3000), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_ca(o, path("ca.pem")), SLUICE_OK);
	if (cert != NULL) {
		snprintf(pem, sizeof(pem), "%s.pem", cert);
		snprintf(key, sizeof(key), "%s.key", cert);
		cr_assert_eq(sluice_opts_set_tls_cert(o, path(pem), path(key)), SLUICE_OK);
	}
	if (tok != NULL)
		cr_assert_eq(sluice_opts_set_token(o, tok), SLUICE_OK);
	sluice_err rv = sluice_client_open(out, o);
	sluice_opts_free(o);
	return rv;
}

static sluice_err
publish(sluice_client *c, const char *topic, const char *text)
{
	sluice_producer *p = NULL;
	sluice_msg *m = NULL;
	uint64_t off = 0;
	sluice_err rv = sluice_producer_open(&p, c, topic, NULL);
	if (rv != SLUICE_OK)
		return rv;
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, text, strlen(text)), SLUICE_OK);
	rv = sluice_publish(p, &m, &off);
	sluice_msg_free(m);
	sluice_producer_close(p);
	return rv;
}

/* Reads text back from topic's start. */
static void
consume(sluice_client *c, const char *topic, const char *text)
{
	sluice_consumer_opts *co = NULL;
	sluice_consumer *k = NULL;
	sluice_record *r = NULL;
	size_t len = 0;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_start(co, SLUICE_START_EARLIEST, 0), SLUICE_OK);
	sluice_err rv = sluice_consumer_open(&k, c, topic, "audit", co);
	sluice_consumer_opts_free(co);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	rv = sluice_receive(k, &r, 5000);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	const char *got = sluice_record_payload(r, &len);
	cr_assert_eq(len, strlen(text));
	cr_assert_eq(memcmp(got, text, len), 0);
	cr_assert_eq(sluice_ack(k, sluice_record_offset(r)), SLUICE_OK);
	sluice_record_free(r);
	sluice_consumer_close(k);
}

static int
log_has(const broker_proc *bp, const char *what)
{
	static char log[65536];
	broker_log_read(bp, log, sizeof(log));
	return strstr(log, what) != NULL;
}

Test(tls_principal, the_certificate_cn_is_the_principal_without_a_token)
{
	broker_proc bp;
	sluice_client *c = NULL;
	make_certs();
	start_broker(&bp, 1);
	sluice_err rv = open_client(&bp, "client", NULL, &c);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	rv = publish(c, "t.orders", "by certificate");
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	consume(c, "t.orders", "by certificate");
	/* The ACL applies to test-client: nothing outside t.*. */
	cr_assert_eq(publish(c, "payments", "no"), SLUICE_EPERM);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert(log_has(&bp, "as 'test-client'"));
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls_principal, a_cn_the_acl_does_not_list_is_refused_at_hello)
{
	broker_proc bp;
	sluice_client *c = NULL;
	make_certs();
	start_broker(&bp, 1);
	/* As a validly signed token for an unlisted principal: EAUTH, no
	 * connection to be denied request by request. */
	sluice_err rv = open_client(&bp, "nobody", NULL, &c);
	cr_assert_eq(rv, SLUICE_EAUTH, "%s", sluice_strerror(rv));
	cr_assert_null(c);
	cr_assert(log_has(&bp, "authentication failed"));
	cr_assert(log_has(&bp, "unknown_principal"));
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls_principal, a_token_names_the_principal_over_mutual_tls)
{
	broker_proc bp;
	sluice_client *c = NULL;
	make_certs();
	start_broker(&bp, 1);
	/* x may not produce, though the certificate's test-client may. */
	char *tx = token("x");
	sluice_err rv = open_client(&bp, "client", tx, &c);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(publish(c, "t.orders", "as x"), SLUICE_EPERM);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert(log_has(&bp, "as 'x'"));
	sl_free(tx);

	/* And the other way round: nobody's certificate, writer's token. */
	char *tw = token("writer");
	rv = open_client(&bp, "nobody", tw, &c);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(publish(c, "t.orders", "as writer"), SLUICE_OK);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	sl_free(tw);

	/* A bad token is refused: no falling back to the certificate. */
	rv = open_client(&bp, "client", "v1.forged.token", &c);
	cr_assert_eq(rv, SLUICE_EAUTH, "%s", sluice_err_name(rv));
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls_principal, no_cn_or_no_client_certificate_still_needs_a_token)
{
	broker_proc bp;
	sluice_client *c = NULL;
	make_certs();
	start_broker(&bp, 1);
	sluice_err rv = open_client(&bp, "nocn", NULL, &c);
	cr_assert_eq(rv, SLUICE_EAUTH, "%s", sluice_err_name(rv));
	cr_assert_eq(broker_stop(&bp), 0);

	/* TLS without --tls-client-ca: a certificate is not asked for. */
	start_broker(&bp, 0);
	rv = open_client(&bp, "client", NULL, &c);
	cr_assert_eq(rv, SLUICE_EAUTH, "%s", sluice_err_name(rv));
	rv = open_client(&bp, NULL, NULL, &c);
	cr_assert_eq(rv, SLUICE_EAUTH, "%s", sluice_err_name(rv));
	char *tw = token("writer");
	rv = open_client(&bp, NULL, tw, &c);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(publish(c, "t.orders", "tls, token"), SLUICE_OK);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	sl_free(tw);
	cr_assert_eq(broker_stop(&bp), 0);
}
