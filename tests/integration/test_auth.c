/*
 * test_auth.c - authentication and authorization (docs/security.md)
 * against the real sluiced: a Hello without a token, with an expired or a
 * forged one is refused with SLUICE_EAUTH; a valid token without the
 * permission gets SLUICE_EPERM and stores nothing; with it, publish and
 * consume work; `sluice-admin token create` mints working tokens; SIGHUP
 * reloads the ACL without dropping connections; /metrics wants a token.
 * Tokens are minted here with the broker's own codec (broker/auth.c).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "auth.h"
#include "raw.h"
#include "sluice/sluice.h"
#include "support.h"

TestSuite(auth, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

#define SECRET "test-secret-0123456789-abcdefghij"

static broker_proc bp;
static int mport;
static char cfg_path[700];

static const char acl_v1[] =
    "acl:\n"
    "  - principal: alice\n"
    "    produce: [\"orders.*\"]\n"
    "    consume: [\"orders.*\"]\n"
    "    admin: []\n"
    "  - principal: bob\n"
    "    consume: [\"orders.*\"]\n"
    "  - principal: root\n"
    "    admin: [\"*\"]\n"
    "  - principal: ops\n"
    "    admin: [\"orders.*\"]\n";

static const char acl_v2[] =
    "acl:\n"
    "  - principal: alice\n"
    "    produce: [\"orders.*\"]\n"
    "    consume: [\"orders.*\"]\n"
    "  - principal: bob\n"
    "    produce: [\"orders.*\"]\n"
    "    consume: [\"orders.*\"]\n"
    "  - principal: root\n"
    "    admin: [\"*\"]\n";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

static void
write_config(const char *acl_text)
{
	char secret_path[700], text[4096];
	snprintf(secret_path, sizeof(secret_path), "%s/secret", tmpdir_path());
	write_file(secret_path, SECRET "\n");
	snprintf(text, sizeof(text),
	    "auth:\n  enabled: true\n  secret_file: \"%s\"\n"
	    "  metrics_token_required: true\n%s",
	    secret_path, acl_text);
	write_file(cfg_path, text);
}

static void
start(void)
{
	static char data[600], murl[64];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	snprintf(cfg_path, sizeof(cfg_path), "%s/sluiced.yaml", tmpdir_path());
	write_config(acl_v1);
	mport = free_port();
	cr_assert_gt(mport, 0);
	snprintf(murl, sizeof(murl), "http://127.0.0.1:%d", mport);
	const char *extra[] = { "--config", cfg_path, "--metrics-listen", murl, NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0, "broker did not start");
}

static char *
token_with(const char *secret, const char *who, int64_t expires_us)
{
	char *t = NULL;
	cr_assert_eq(auth_token_sign((const uint8_t *) secret, strlen(secret), who,
	                 expires_us, &t), SLUICE_OK);
	return t;
}

static char *
token(const char *who)
{
	return token_with(SECRET, who, auth_now_us() + 3600ll * 1000000);
}

/* A raw Hello with a token (NULL: none); the reply's status. */
static uint32_t
hello(raw_conn *c, const char *tok, char *error, size_t n)
{
	Sluice__Hello h = SLUICE__HELLO__INIT;
	h.protocol_version = SLUICE_PROTOCOL_VERSION;
	h.client_name = "test_auth";
	h.token = (char *) (tok != NULL ? tok : "");
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = 1;
	rq.body_case = SLUICE__REQUEST__BODY_HELLO;
	rq.hello = &h;
	Sluice__Reply *r = NULL;
	cr_assert_eq(raw_call(c, &rq, &r), 0);
	uint32_t st = r->status;
	if (error != NULL)
		snprintf(error, n, "%s", r->error != NULL ? r->error : "");
	codec_reply_free(r);
	return st;
}

static sluice_err
client_open(sluice_client **c, const char *tok)
{
	sluice_opts *o = NULL;
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, bp.url), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_token(o, tok), SLUICE_OK);
	sluice_err rv = sluice_client_open(c, o);
	sluice_opts_free(o);
	return rv;
}

/* Raw GET /metrics with an optional bearer token: the status code. */
static int
metrics_status(const char *tok, char *body, size_t n)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) mport) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	char req[2048];
	int len = snprintf(req, sizeof(req),
	    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
	    "%s%s%s\r\n", tok ? "Authorization: Bearer " : "", tok ? tok : "",
	    tok ? "\r\n" : "");
	cr_assert_eq(write(fd, req, (size_t) len), len);
	size_t got = 0;
	ssize_t k;
	while (got + 1 < n && (k = read(fd, body + got, n - 1 - got)) > 0)
		got += (size_t) k;
	body[got] = '\0';
	close(fd);
	int status = 0;
	sscanf(body, "HTTP/1.%*d %d", &status);
	return status;
}

/* The value of an unlabelled sample in a metrics page. */
static unsigned long long
sample(const char *page, const char *name)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\n%s ", name);
	const char *p = strstr(page, pat);
	cr_assert_not_null(p, "no %s in the metrics", name);
	return strtoull(p + strlen(pat), NULL, 10);
}

Test(auth, bad_or_missing_tokens_get_eauth_and_a_closed_connection)
{
	start();
	raw_conn c;
	char error[256], error2[256];
	sluice_client *cl = NULL;

	/* Nothing but Hello before the handshake, as without auth. */
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_publish(&c, "orders.a", 1, "x", NULL), SLUICE_ENOHELLO);
	cr_assert_eq(hello(&c, NULL, error, sizeof(error)), SLUICE_EAUTH);
	raw_close(&c);
	cr_assert_eq(client_open(&cl, NULL), SLUICE_EAUTH);

	/* Expired. */
	char *t = token_with(SECRET, "alice", auth_now_us() - 1000);
	cr_assert_eq(client_open(&cl, t), SLUICE_EAUTH);
	sl_free(t);

	/* Forged: signed with another secret. Same text as an unknown
	 * principal (validly signed). */
	t = token_with("some-other-secret-of-the-attacker", "alice",
	    auth_now_us() + 3600ll * 1000000);
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(hello(&c, t, error, sizeof(error)), SLUICE_EAUTH);
	/* The connection is closed after the reply: later requests fail. */
	usleep(800 * 1000);
	cr_assert_neq(raw_publish(&c, "orders.a", 1, "x", NULL), SLUICE_OK);
	raw_close(&c);
	sl_free(t);
	t = token("mallory");
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(hello(&c, t, error2, sizeof(error2)), SLUICE_EAUTH);
	cr_assert_str_eq(error, error2);
	raw_close(&c);
	sl_free(t);

	/* Logged and counted; /metrics needs an admin token. */
	char page[65536], log[65536];
	cr_assert_eq(metrics_status(NULL, page, sizeof(page)), 401);
	t = token("alice");
	cr_assert_eq(metrics_status(t, page, sizeof(page)), 401);
	sl_free(t);
	t = token("root");
	cr_assert_eq(metrics_status(t, page, sizeof(page)), 200);
	sl_free(t);
	cr_assert_geq(sample(page, "sluice_auth_failures_total"), 5);
	broker_log_read(&bp, log, sizeof(log));
	cr_assert_not_null(strstr(log, "authentication failed"), "%s", log);
	cr_assert_not_null(strstr(log, "bad_signature"), "%s", log);
	cr_assert_not_null(strstr(log, "expired"), "%s", log);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(auth, permissions_are_checked_per_request)
{
	start();
	raw_conn bob, alice;
	char error[256];
	uint64_t id = 0, base = 0;
	char *tb = token("bob"), *ta = token("alice");

	/* bob may consume orders.* but not produce. */
	cr_assert_eq(raw_open(&bob, bp.url), 0);
	cr_assert_eq(hello(&bob, tb, error, sizeof(error)), SLUICE_OK, "%s", error);
	cr_assert_eq(raw_publish(&bob, "orders.a", 1, "denied", NULL), SLUICE_EPERM);
	cr_assert_eq(raw_subscribe(&bob, "payments", "s", SLUICE__SUB_TYPE__SUB_EXCLUSIVE,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 10,
	                 SLUICE__START_AT__START_EARLIEST, &id), SLUICE_EPERM);

	/* alice may produce; what she reads from the start is hers alone. */
	cr_assert_eq(raw_open(&alice, bp.url), 0);
	cr_assert_eq(hello(&alice, ta, error, sizeof(error)), SLUICE_OK, "%s", error);
	cr_assert_eq(raw_publish(&alice, "orders.a", 1, "mine", &base), SLUICE_OK);
	cr_assert_eq(raw_publish(&alice, "payments", 1, "no", NULL), SLUICE_EPERM);
	cr_assert_eq(raw_subscribe(&alice, "orders.a", "s", SLUICE__SUB_TYPE__SUB_EXCLUSIVE,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 10,
	                 SLUICE__START_AT__START_EARLIEST, &id), SLUICE_OK);
	Sluice__Reply *r = NULL;
	cr_assert_eq(raw_fetch(&alice, id, 10, 2000, NULL, 0, &r), 0);
	cr_assert_eq(r->status, SLUICE_OK);
	cr_assert_eq(r->deliver->n_records, 1);
	codec_reply_free(r);
	raw_close(&alice);

	/* Admin needs admin: on the topic named, and on "*" broker-wide. */
	sluice_client *cl = NULL;
	cr_assert_eq(client_open(&cl, tb), SLUICE_OK);
	raw_close(&bob);

	char page[65536];
	char *tr = token("root");
	cr_assert_eq(metrics_status(tr, page, sizeof(page)), 200);
	cr_assert_geq(sample(page, "sluice_authz_denied_total"), 3);
	sluice_client_close(cl);
	sl_free(tb);
	sl_free(ta);
	sl_free(tr);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* An admin request as the raw connection's principal: its status. */
static uint32_t
admin_call(raw_conn *c, Sluice__AdminOp op, const char *topic)
{
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = op;
	a.topic = (char *) topic;
	if (op == SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE) {
		a.principal = (char *) "root";
		a.ttl_ms = 60000;
	}
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = 7;
	rq.body_case = SLUICE__REQUEST__BODY_ADMIN;
	rq.admin = &a;
	Sluice__Reply *r = NULL;
	cr_assert_eq(raw_call(c, &rq, &r), 0);
	uint32_t st = r->status;
	codec_reply_free(r);
	return st;
}

Test(auth, admin_on_a_prefix_cannot_reach_broker_wide_operations)
{
	start();
	raw_conn ops;
	char error[256];
	char *to = token("ops");
	cr_assert_eq(raw_open(&ops, bp.url), 0);
	cr_assert_eq(hello(&ops, to, error, sizeof(error)), SLUICE_OK, "%s", error);
	/* Its own topics: yes. */
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE, "orders.x"), SLUICE_OK);
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_TOPIC_STATS, "orders.x"), SLUICE_OK);
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE, "payments"), SLUICE_EPERM);
	/* Broker-wide operations need admin on "*", whatever topic the request
	 * names: minting a token for root would make ops root. */
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE, "orders.x"), SLUICE_EPERM);
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE, NULL), SLUICE_EPERM);
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_TOPICS_LIST, "orders.x"), SLUICE_EPERM);
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_BROKER_STATS, "orders.x"), SLUICE_EPERM);
	cr_assert_eq(admin_call(&ops, SLUICE__ADMIN_OP__ADMIN_BROKER_HEALTH, "orders.x"), SLUICE_EPERM);
	raw_close(&ops);
	sl_free(to);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(auth, libsluice_publishes_and_consumes_with_a_valid_token)
{
	start();
	char *t = token("alice");
	sluice_client *c = NULL;
	sluice_producer *p = NULL;
	sluice_consumer *k = NULL;
	sluice_consumer_opts *co = NULL;
	sluice_msg *m = NULL;
	sluice_record *rec = NULL;
	cr_assert_eq(client_open(&c, t), SLUICE_OK);
	cr_assert_eq(sluice_producer_open(&p, c, "orders.lib", NULL), SLUICE_OK);
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, "hello", 5), SLUICE_OK);
	cr_assert_eq(sluice_publish(p, &m, NULL), SLUICE_OK);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_start(co, SLUICE_START_EARLIEST, 0), SLUICE_OK);
	cr_assert_eq(sluice_consumer_open(&k, c, "orders.lib", "s", co), SLUICE_OK);
	cr_assert_eq(sluice_receive(k, &rec, 5000), SLUICE_OK);
	size_t len = 0;
	const void *pl = sluice_record_payload(rec, &len);
	cr_assert_eq(len, 5);
	cr_assert_eq(memcmp(pl, "hello", 5), 0);
	cr_assert_eq(sluice_ack(k, sluice_record_offset(rec)), SLUICE_OK);
	sluice_record_free(rec);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	sluice_consumer_opts_free(co);
	/* Denied: the consumer is refused with EPERM. */
	cr_assert_eq(sluice_consumer_open(&k, c, "payments", "s", NULL), SLUICE_EPERM);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	sl_free(t);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(auth, token_create_via_sluice_admin)
{
	start();
	char out[8192], err[8192];
	char *root = token("root"), *alice = token("alice");
	const char *argv[] = { getenv("SLUICE_ADMIN"), "token", "create", "--principal",
		"alice", "--ttl", "1h", "--json", "--url", bp.url, "--token", root, NULL };
	cr_assert_eq(run_capture(argv, out, sizeof(out), err, sizeof(err)), 0, "%s%s", out, err);
	char *p = strstr(out, "\"token\":\"");
	cr_assert_not_null(p, "%s", out);
	p += strlen("\"token\":\"");
	char *end = strchr(p, '"');
	cr_assert_not_null(end);
	*end = '\0';
	cr_assert_not_null(strstr(end + 1, "\"expires_us\":"), "%s", end + 1);
	/* The minted token works. */
	sluice_client *c = NULL;
	cr_assert_eq(client_open(&c, p), SLUICE_OK);
	sluice_client_close(c);

	/* alice lacks admin: refused, from $SLUICE_TOKEN too. */
	setenv("SLUICE_TOKEN", alice, 1);
	const char *argv2[] = { getenv("SLUICE_ADMIN"), "token", "create", "--principal",
		"alice", "--url", bp.url, NULL };
	cr_assert_eq(run_capture(argv2, out, sizeof(out), err, sizeof(err)), 1, "%s%s", out, err);
	cr_assert_not_null(strstr(err, "admin"), "%s", err);
	unsetenv("SLUICE_TOKEN");
	sl_free(root);
	sl_free(alice);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(auth, sighup_reloads_the_acl_and_keeps_connections)
{
	start();
	raw_conn bob;
	char error[256];
	char *tb = token("bob");
	cr_assert_eq(raw_open(&bob, bp.url), 0);
	cr_assert_eq(hello(&bob, tb, error, sizeof(error)), SLUICE_OK, "%s", error);
	cr_assert_eq(raw_publish(&bob, "orders.h", 1, "x", NULL), SLUICE_EPERM);
	write_config(acl_v2);
	cr_assert_eq(kill(bp.pid, SIGHUP), 0);
	uint32_t st = SLUICE_EPERM;
	for (int i = 0; i < 50 && st == SLUICE_EPERM; i++) {
		usleep(100 * 1000);
		st = raw_publish(&bob, "orders.h", 1, "x", NULL);
	}
	cr_assert_eq(st, SLUICE_OK, "the publish was not allowed after SIGHUP");
	raw_close(&bob);
	char log[65536];
	broker_log_read(&bp, log, sizeof(log));
	cr_assert_not_null(strstr(log, "reloaded auth and acl"), "%s", log);
	sl_free(tb);
	cr_assert_eq(broker_stop(&bp), 0);
}
