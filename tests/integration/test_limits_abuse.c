/*
 * test_limits_abuse.c - limits against abuse (issue #7) against the real
 * sluiced: each limit triggers with SLUICE_ELIMIT and a detail naming it,
 * or closes the connection, and is counted in
 * sluice_limit_rejections_total{limit}; and a well-behaved producer keeps
 * at least half its throughput while other connections flood the broker
 * (connections opening and closing, oversize frames, requests without
 * Hello).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "alloc.h"
#include "auth.h"
#include "http_get.h"
#include "raw.h"
#include "sluice/sluice.h"
#include "support.h"

TestSuite(limits_abuse, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

static broker_proc bp;
static int mport;

/* Starts sluiced with flags (NULL-terminated) and metrics on a free port. */
static void
start(const char *const *flags)
{
	static char murl[64];
	static const char *extra[32];
	char data[600];
	int n = 0;
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	mport = free_port();
	cr_assert_gt(mport, 0);
	snprintf(murl, sizeof(murl), "http://127.0.0.1:%d", mport);
	extra[n++] = "--metrics-listen";
	extra[n++] = murl;
	for (size_t i = 0; flags != NULL && flags[i] != NULL && n < 31; i++)
		extra[n++] = flags[i];
	extra[n] = NULL;
	cr_assert_eq(broker_start(&bp, data, extra), 0);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The value of the series named (with its labels and a trailing space)
 * at the start of a line, or -1 when absent. */
static long
metric(const char *series)
{
	http_reply h;
	char line[160];
	long v = -1;
	snprintf(line, sizeof(line), "\n%s", series);
	cr_assert_eq(http_request(mport, "GET", "/metrics", &h), 0);
	const char *p = strstr(h.body, line);
	if (p != NULL)
		v = strtol(p + strlen(line), NULL, 10);
	http_reply_free(&h);
	return v;
}

/* sluice_limit_rejections_total{limit="name"}, or -1 when absent. */
static long
rejections(const char *name)
{
	char series[128];
	snprintf(series, sizeof(series), "sluice_limit_rejections_total{limit=\"%s\"} ", name);
	return metric(series);
}

static void
wait_rejections(const char *name, long min)
{
	for (int i = 0; i < 300 && rejections(name) < min; i++)
		usleep(10000);
	cr_assert_geq(rejections(name), min, "%s", name);
}

/* Waits (3 s at most) until the broker has n connections open. */
static void
wait_connections(int n)
{
	char want[64];
	int found = 0;
	snprintf(want, sizeof(want), "\nsluice_connections %d\n", n);
	for (int i = 0; i < 300 && !found; i++) {
		http_reply h;
		cr_assert_eq(http_request(mport, "GET", "/metrics", &h), 0);
		found = strstr(h.body, want) != NULL;
		http_reply_free(&h);
		if (!found)
			usleep(10000);
	}
	cr_assert(found, "the broker never had %d connections", n);
}

/* A connection whose closing we can see: nng's pipe events count it, and
 * no redial happens within a test. */
typedef struct {
	raw_conn c;
	atomic_int adds, rems;
} watched;

static void
on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	watched *w = arg;
	(void) p;
	if (ev == NNG_PIPE_EV_ADD_POST)
		w->adds++;
	else if (ev == NNG_PIPE_EV_REM_POST)
		w->rems++;
}

static int
watched_open_sock(watched *w, int raw)
{
	int rv;
	atomic_init(&w->adds, 0);
	atomic_init(&w->rems, 0);
	if ((rv = raw ? nng_req0_open_raw(&w->c.sock) : nng_req0_open(&w->c.sock)) != 0)
		return rv;
	if (!raw)
		nng_socket_set_ms(w->c.sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(w->c.sock, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(w->c.sock, NNG_OPT_SENDTIMEO, 5000);
	nng_socket_set_size(w->c.sock, NNG_OPT_RECVMAXSZ, 0);
	nng_socket_set_ms(w->c.sock, NNG_OPT_RECONNMINT, 60000);
	nng_socket_set_ms(w->c.sock, NNG_OPT_RECONNMAXT, 60000);
	nng_pipe_notify(w->c.sock, NNG_PIPE_EV_ADD_POST, on_pipe, w);
	nng_pipe_notify(w->c.sock, NNG_PIPE_EV_REM_POST, on_pipe, w);
	if ((rv = nng_dial(w->c.sock, bp.url, NULL, 0)) != 0)
		nng_close(w->c.sock);
	return rv;
}

static void
watched_open(watched *w)
{
	cr_assert_eq(watched_open_sock(w, 0), 0);
}

/* Whether the broker closed w within ms. */
static int
closed_within(watched *w, int ms)
{
	for (int i = 0; i < ms / 10 && w->rems == 0; i++)
		usleep(10000);
	return w->rems > 0;
}

/* Publishes one message; returns the status, the error text in err. */
static uint32_t
publish(raw_conn *c, const char *topic, char *err, size_t n)
{
	Sluice__Message m = SLUICE__MESSAGE__INIT;
	Sluice__Message *mp = &m;
	m.payload.data = (uint8_t *) "x";
	m.payload.len = 1;
	Sluice__Publish p = SLUICE__PUBLISH__INIT;
	p.topic = (char *) topic;
	p.n_messages = 1;
	p.messages = &mp;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 2;
	req.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	req.publish = &p;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &req, &r), 0);
	uint32_t st = r->status;
	snprintf(err, n, "%s", r->error != NULL ? r->error : "");
	codec_reply_free(r);
	return st;
}

static uint32_t
subscribe(raw_conn *c, const char *topic, const char *sub, char *err, size_t n)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.type = SLUICE__SUB_TYPE__SUB_SHARED;
	s.window = 10;
	s.consumer_name = (char *) "abuse";
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 3;
	req.body_case = SLUICE__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = &s;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &req, &r), 0);
	uint32_t st = r->status;
	snprintf(err, n, "%s", r->error != NULL ? r->error : "");
	codec_reply_free(r);
	return st;
}

static void
connect_hello(raw_conn *c)
{
	cr_assert_eq(raw_open(c, bp.url), 0);
	cr_assert_eq(raw_hello(c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
}

static void
log_contains(const char *text)
{
	static char log[1 << 20];
	broker_log_read(&bp, log, sizeof(log));
	cr_assert(strstr(log, text) != NULL, "log lacks '%s':\n%s", text, log);
}

Test(limits_abuse, a_connection_past_max_connections_is_closed_at_once)
{
	start((const char *[]) { "--max-connections", "3", NULL });
	watched w[5];
	for (int i = 0; i < 3; i++) {
		watched_open(&w[i]);
		cr_assert_eq(raw_hello(&w[i].c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	}
	watched_open(&w[3]);
	cr_assert(closed_within(&w[3], 3000), "the 4th connection stayed open");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(w[i].rems, 0, "connection %d was closed", i);
	wait_rejections("max_connections", 1);
	log_contains("max_connections");
	/* Room again once one leaves. */
	raw_close(&w[0].c);
	wait_connections(2);
	watched_open(&w[4]);
	cr_assert_eq(raw_hello(&w[4].c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert(!closed_within(&w[4], 300));
	for (int i = 1; i < 5; i++)
		if (i != 3)
			raw_close(&w[i].c);
	raw_close(&w[3].c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, new_connections_past_the_rate_per_address_are_closed_at_once)
{
	start((const char *[]) { "--max-connection-rate-per-address", "5", NULL });
	enum { N = 12 };
	watched w[N];
	int refused = 0, admitted = -1;
	for (int i = 0; i < N; i++)
		watched_open(&w[i]);
	usleep(500000);
	for (int i = 0; i < N; i++)
		if (w[i].rems > 0)
			refused++;
		else if (admitted < 0)
			admitted = i;
	/* A burst of 5 (the rate), refilled at 5 a second. */
	cr_assert_geq(refused, N - 5 - 2, "only %d of %d connections refused", refused, N);
	cr_assert_leq(refused, N - 5, "%d of %d connections refused", refused, N);
	wait_rejections("max_connection_rate_per_address", refused);
	log_contains("over max_connection_rate_per_address");
	/* The connections let in are served. */
	cr_assert_geq(admitted, 0);
	cr_assert_eq(raw_hello(&w[admitted].c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	/* A second later the address may connect again. */
	usleep(1100000);
	watched late;
	watched_open(&late);
	cr_assert_eq(raw_hello(&late.c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert(!closed_within(&late, 300));
	raw_close(&late.c);
	for (int i = 0; i < N; i++)
		raw_close(&w[i].c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, a_principal_past_its_connection_limit_gets_elimit_and_a_close)
{
	static char cfg[700];
	char secret[700], text[2048];
	snprintf(secret, sizeof(secret), "%s/secret", tmpdir_path());
	snprintf(cfg, sizeof(cfg), "%s/sluiced.yaml", tmpdir_path());
	FILE *f = fopen(secret, "w");
	cr_assert_not_null(f);
	fputs("limits-test-secret-0123456789-abcdef\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "auth:\n  enabled: true\n  secret_file: \"%s\"\n"
	    "acl:\n  - principal: alice\n    produce: [\"*\"]\n", secret);
	cr_assert_not_null(f = fopen(cfg, "w"));
	fputs(text, f);
	fclose(f);
	start((const char *[]) { "--config", cfg, "--max-connections-per-principal", "2",
	    NULL });
	const char *key = "limits-test-secret-0123456789-abcdef";
	char *tok = NULL;
	cr_assert_eq(auth_token_sign((const uint8_t *) key, strlen(key), "alice",
	                 auth_now_us() + 3600ll * 1000000, &tok), SLUICE_OK);
	watched w[3];
	for (int i = 0; i < 3; i++) {
		watched_open(&w[i]);
		Sluice__Hello h = SLUICE__HELLO__INIT;
		h.protocol_version = SLUICE_PROTOCOL_VERSION;
		h.client_name = (char *) "alice-app";
		h.token = tok;
		Sluice__Request rq = SLUICE__REQUEST__INIT;
		rq.request_id = 1;
		rq.body_case = SLUICE__REQUEST__BODY_HELLO;
		rq.hello = &h;
		Sluice__Reply *r;
		cr_assert_eq(raw_call(&w[i].c, &rq, &r), 0);
		if (i < 2) {
			cr_assert_eq(r->status, SLUICE_OK, "%s", r->error);
		} else {
			cr_assert_eq(r->status, SLUICE_ELIMIT);
			cr_assert(strstr(r->error, "max_connections_per_principal 2") != NULL,
			    "%s", r->error);
		}
		codec_reply_free(r);
	}
	cr_assert(closed_within(&w[2], 3000), "the 3rd connection stayed open");
	cr_assert_eq(w[0].rems + w[1].rems, 0);
	cr_assert_eq(rejections("max_connections_per_principal"), 1);
	sl_free(tok);
	for (int i = 0; i < 3; i++)
		raw_close(&w[i].c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, producers_per_topic_past_the_limit_get_elimit)
{
	start((const char *[]) { "--max-producers-per-topic", "2", NULL });
	raw_conn c[3];
	char err[256];
	for (int i = 0; i < 3; i++)
		connect_hello(&c[i]);
	cr_assert_eq(publish(&c[0], "p", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(publish(&c[1], "p", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(publish(&c[2], "p", err, sizeof(err)), SLUICE_ELIMIT);
	cr_assert(strstr(err, "max_producers_per_topic 2") != NULL, "%s", err);
	/* Existing producers go on; another topic is another count. */
	cr_assert_eq(publish(&c[0], "p", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(publish(&c[2], "q", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(rejections("max_producers_per_topic"), 1);
	raw_close(&c[0]);
	usleep(300000);
	cr_assert_eq(publish(&c[2], "p", err, sizeof(err)), SLUICE_OK, "%s", err);
	raw_close(&c[1]);
	raw_close(&c[2]);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, consumers_per_topic_past_the_limit_get_elimit)
{
	start((const char *[]) { "--max-consumers-per-topic", "2", NULL });
	raw_conn c;
	char err[256];
	connect_hello(&c);
	cr_assert_eq(subscribe(&c, "t", "s1", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(subscribe(&c, "t", "s1", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(subscribe(&c, "t", "s2", err, sizeof(err)), SLUICE_ELIMIT);
	cr_assert(strstr(err, "max_consumers_per_topic 2") != NULL, "%s", err);
	cr_assert_eq(subscribe(&c, "u", "s1", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(rejections("max_consumers_per_topic"), 1);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* An admin create (topic, or subscription when sub is set): the reply's
 * status, its error text in err. */
static uint32_t
admin_create(raw_conn *c, Sluice__AdminOp op, const char *topic, const char *sub,
    char *err, size_t n)
{
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = op;
	a.topic = (char *) topic;
	a.subscription = (char *) sub;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 9;
	req.body_case = SLUICE__REQUEST__BODY_ADMIN;
	req.admin = &a;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &req, &r), 0);
	uint32_t st = r->status;
	snprintf(err, n, "%s", r->error != NULL ? r->error : "");
	codec_reply_free(r);
	return st;
}

Test(limits_abuse, subscriptions_per_topic_past_the_limit_get_elimit)
{
	start((const char *[]) { "--max-subscriptions-per-topic", "2", NULL });
	raw_conn c;
	char err[256];
	connect_hello(&c);
	cr_assert_eq(subscribe(&c, "t", "s1", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(subscribe(&c, "t", "s2", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(subscribe(&c, "t", "s3", err, sizeof(err)), SLUICE_ELIMIT);
	cr_assert(strstr(err, "max_subscriptions_per_topic 2") != NULL, "%s", err);
	/* Another consumer of an existing subscription is not a new one. */
	cr_assert_eq(subscribe(&c, "t", "s1", err, sizeof(err)), SLUICE_OK, "%s", err);
	/* sluice-admin subs create is held to the same limit. */
	cr_assert_eq(admin_create(&c, SLUICE__ADMIN_OP__ADMIN_SUB_CREATE, "t", "s4",
	                 err, sizeof(err)), SLUICE_ELIMIT, "%s", err);
	cr_assert(strstr(err, "max_subscriptions_per_topic 2") != NULL, "%s", err);
	cr_assert_eq(rejections("max_subscriptions_per_topic"), 2);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, topics_past_max_topics_are_refused_everywhere)
{
	start((const char *[]) { "--max-topics", "2", NULL });
	raw_conn c;
	char err[256];
	connect_hello(&c);
	cr_assert_eq(publish(&c, "a", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(subscribe(&c, "b", "s", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(publish(&c, "c", err, sizeof(err)), SLUICE_ELIMIT);
	cr_assert(strstr(err, "max_topics 2") != NULL, "%s", err);
	cr_assert_eq(subscribe(&c, "c", "s", err, sizeof(err)), SLUICE_ELIMIT);
	cr_assert(strstr(err, "max_topics 2") != NULL, "%s", err);
	cr_assert_eq(admin_create(&c, SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE, "c", NULL,
	                 err, sizeof(err)), SLUICE_ELIMIT);
	cr_assert(strstr(err, "max_topics 2") != NULL, "%s", err);
	/* Existing topics are served. */
	cr_assert_eq(publish(&c, "a", err, sizeof(err)), SLUICE_OK, "%s", err);
	cr_assert_eq(rejections("max_topics"), 3);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, an_idle_connection_is_closed_and_a_busy_one_is_not)
{
	start((const char *[]) { "--idle-timeout-ms", "600", "--watchdog-ms", "50", NULL });
	watched idle, busy;
	char err[256];
	watched_open(&idle);
	watched_open(&busy);
	cr_assert_eq(raw_hello(&idle.c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_hello(&busy.c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	for (int i = 0; i < 10; i++) {
		usleep(150000);
		cr_assert_eq(publish(&busy.c, "busy", err, sizeof(err)), SLUICE_OK, "%s", err);
	}
	cr_assert(closed_within(&idle, 1000), "the idle connection stayed open");
	cr_assert_eq(busy.rems, 0);
	wait_rejections("idle_timeout", 1);
	log_contains("idle timeout");
	raw_close(&idle.c);
	raw_close(&busy.c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, a_connection_without_hello_is_closed_at_the_deadline)
{
	start((const char *[]) { "--handshake-timeout-ms", "500", "--watchdog-ms", "50", NULL });
	watched silent, nohello, ok;
	char err[256];
	watched_open(&silent);
	watched_open(&nohello);
	watched_open(&ok);
	cr_assert_eq(raw_hello(&ok.c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	/* Requests without Hello are answered but do not count. */
	cr_assert_eq(publish(&nohello.c, "t", err, sizeof(err)), SLUICE_ENOHELLO);
	cr_assert(closed_within(&silent, 2000), "the silent connection stayed open");
	/* More than a few requests without Hello close it at once. */
	watched chatty;
	watched_open(&chatty);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(publish(&chatty.c, "t", err, sizeof(err)), SLUICE_ENOHELLO);
	nng_socket_set_ms(chatty.c.sock, NNG_OPT_RECVTIMEO, 300);
	Sluice__Reply *r;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = 5;
	rq.body_case = SLUICE__REQUEST__BODY_FETCH;
	Sluice__Fetch fe = SLUICE__FETCH__INIT;
	rq.fetch = &fe;
	cr_assert_neq(raw_call(&chatty.c, &rq, &r), 0, "the 9th request was answered");
	cr_assert(closed_within(&chatty, 1000));
	cr_assert_eq(rejections("requests_before_hello"), 1);
	raw_close(&chatty.c);
	cr_assert(closed_within(&nohello, 1000), "the connection without Hello stayed open");
	cr_assert_eq(ok.rems, 0);
	cr_assert_eq(publish(&ok.c, "t", err, sizeof(err)), SLUICE_OK, "%s", err);
	wait_rejections("handshake_timeout", 2);
	log_contains("handshake timeout");
	raw_close(&silent.c);
	raw_close(&nohello.c);
	raw_close(&ok.c);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* Sends req on a raw req0 socket with backtrace id (no waiting). */
static void
raw_send(nng_socket s, uint32_t id, const Sluice__Request *req)
{
	nng_msg *m;
	size_t len = codec_request_size(req);
	cr_assert_eq(nng_msg_alloc(&m, len), 0);
	codec_request_pack(req, nng_msg_body(m));
	cr_assert_eq(nng_msg_header_append_u32(m, 0x80000000u | id), 0);
	cr_assert_eq(nng_sendmsg(s, m, 0), 0);
}

static Sluice__Reply *
raw_recv(nng_socket s)
{
	nng_msg *m;
	Sluice__Reply *r;
	cr_assert_eq(nng_recvmsg(s, &m, 0), 0);
	cr_assert_eq(codec_reply_unpack(nng_msg_body(m), nng_msg_len(m), &r), SLUICE_OK);
	nng_msg_free(m);
	return r;
}

Test(limits_abuse, too_many_outstanding_requests_close_the_connection)
{
	start((const char *[]) { "--max-outstanding", "2", NULL });
	watched w;
	cr_assert_eq(watched_open_sock(&w, 1), 0);
	Sluice__Hello h = SLUICE__HELLO__INIT;
	h.protocol_version = SLUICE_PROTOCOL_VERSION;
	h.client_name = (char *) "greedy";
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 1;
	req.body_case = SLUICE__REQUEST__BODY_HELLO;
	req.hello = &h;
	raw_send(w.c.sock, 1, &req);
	Sluice__Reply *r = raw_recv(w.c.sock);
	cr_assert_eq(r->status, SLUICE_OK);
	codec_reply_free(r);
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) "empty";
	s.subscription = (char *) "s";
	s.window = 10;
	req = (Sluice__Request) SLUICE__REQUEST__INIT;
	req.request_id = 2;
	req.body_case = SLUICE__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = &s;
	raw_send(w.c.sock, 2, &req);
	r = raw_recv(w.c.sock);
	cr_assert_eq(r->status, SLUICE_OK, "%s", r->error);
	uint64_t id = r->subscribe->consumer_id;
	codec_reply_free(r);
	/* Fetches on an empty topic wait: the third is one too many. */
	Sluice__Fetch f = SLUICE__FETCH__INIT;
	f.consumer_id = id;
	f.max_records = 10;
	f.max_wait_ms = 5000;
	for (uint32_t i = 0; i < 3; i++) {
		req = (Sluice__Request) SLUICE__REQUEST__INIT;
		req.request_id = 3 + i;
		req.body_case = SLUICE__REQUEST__BODY_FETCH;
		req.fetch = &f;
		raw_send(w.c.sock, 3 + i, &req);
	}
	cr_assert(closed_within(&w, 3000), "the connection stayed open");
	wait_rejections("max_outstanding", 1);
	log_contains("too many outstanding requests");
	nng_close(w.c.sock);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits_abuse, an_oversize_frame_closes_only_its_connection)
{
	start((const char *[]) { "--max-message-bytes", "1KiB", NULL });
	watched bad;
	raw_conn good;
	char err[256];
	connect_hello(&good);
	watched_open(&bad);
	cr_assert_eq(raw_hello(&bad.c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	/* Past max_message_bytes + 1 MiB: nng drops it before decoding. */
	size_t len = (2u << 20) + 100;
	char *big = calloc(1, len);
	cr_assert_eq(nng_send(bad.c.sock, big, len, 0), 0);
	free(big);
	cr_assert(closed_within(&bad, 3000), "the connection stayed open");
	cr_assert_eq(publish(&good, "t", err, sizeof(err)), SLUICE_OK, "%s", err);
	raw_close(&bad.c);
	raw_close(&good);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ---- a well-behaved producer during a flood ---- */

/* The flood comes from another process (flooder.c) at idle priority:
 * real flooders run elsewhere, and on a 2-core machine the flood's client
 * side (its nng threads included) would otherwise take the cores the
 * broker and the good producer need. What it makes the broker do still
 * runs at the broker's priority. */
typedef struct {
	pid_t pid;
	FILE *out;
} flood;

static long flood_ops;

static void
flood_start(flood *f)
{
	int fds[2];
	char port[16], line[64];
	cr_assert_eq(pipe(fds), 0);
	snprintf(port, sizeof(port), "%d", bp.port);
	f->pid = fork();
	cr_assert_geq(f->pid, 0);
	if (f->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(getenv("FLOODER"), "flooder", bp.url, port, (char *) NULL);
		_exit(127);
	}
	child_track(f->pid);
	close(fds[1]);
	f->out = fdopen(fds[0], "r");
	cr_assert_not_null(f->out);
	cr_assert_not_null(fgets(line, sizeof(line), f->out), "the flooder did not start");
	cr_assert_str_eq(line, "flooding\n");
	usleep(200000);
}

static void
flood_stop(flood *f)
{
	char line[64];
	int status;
	kill(f->pid, SIGTERM);
	cr_assert_not_null(fgets(line, sizeof(line), f->out), "the flooder died");
	flood_ops += strtol(line, NULL, 10);
	fclose(f->out);
	cr_assert_eq(waitpid(f->pid, &status, 0), f->pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Messages per second the producer gets acknowledged over secs. */
static double
produce_rate(raw_conn *c, double secs)
{
	double t0 = now_s(), t;
	long n = 0;
	while ((t = now_s()) - t0 < secs) {
		uint64_t base;
		cr_assert_eq(raw_publish(c, "good", 50, "a well-behaved message", &base),
		    SLUICE_OK);
		n += 50;
	}
	return (double) n / (t - t0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

/* Alone/flooded measurement pairs: an odd count, for a true median. */
#define ROUNDS 5

Test(limits_abuse, a_well_behaved_producer_keeps_half_its_throughput_during_a_flood)
{
	double t0 = now_s();
	start((const char *[]) { "--max-message-bytes", "64KiB", "--fsync", "never", NULL });
	raw_conn good;
	connect_hello(&good);
	(void) produce_rate(&good, 0.3); /* warm up */
	/* Alone and flooded in turns, so that whatever else the machine does
	 * weighs on both; the medians are compared. */
	double ra[ROUNDS], rl[ROUNDS];
	flood f;
	for (int i = 0; i < ROUNDS; i++) {
		ra[i] = produce_rate(&good, 0.7);
		flood_start(&f);
		rl[i] = produce_rate(&good, 0.7);
		flood_stop(&f);
	}
	qsort(ra, ROUNDS, sizeof(ra[0]), cmp_double);
	qsort(rl, ROUNDS, sizeof(rl[0]), cmp_double);
	double alone = ra[ROUNDS / 2], loaded = rl[ROUNDS / 2];
	fprintf(stderr, "alone %.0f msg/s, during the flood %.0f msg/s (%ld flood operations)\n",
	    alone, loaded, flood_ops);
	cr_assert_gt(flood_ops, 100);
	cr_assert_geq(loaded, 0.5 * alone, "alone %.0f msg/s, flooded %.0f msg/s",
	    alone, loaded);
	/* The flood's thousands of connections did not each write log lines:
	 * past 50 a second they are left out, counted and summarized. */
	double secs = now_s() - t0;
	static char log[1 << 20];
	broker_log_read(&bp, log, sizeof(log));
	long lines = 0;
	for (const char *p = log; (p = strstr(p, " connected from ")) != NULL; p++)
		lines++;
	cr_assert_leq(lines, (long) (50 * secs) + 50, "%ld connect lines in %.1f s",
	    lines, secs);
	cr_assert(strstr(log, "connection log lines left out") != NULL);
	cr_assert_gt(metric("sluice_connection_log_lines_left_out_total "), 0);
	raw_close(&good);
	cr_assert_eq(broker_stop(&bp), 0);
}
