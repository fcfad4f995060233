/*
 * test_tls.c - TLS on the client listener (issue #7): the real sluiced on
 * tls+tcp:// with certificates made at test time by the openssl CLI, and
 * libsluice (and sluice-cli) dialing it with the right CA, a wrong CA, a
 * wrong server name, no TLS at all, and with or without a client
 * certificate when the broker asks for one (mutual TLS).
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
#include <time.h>
#include <unistd.h>

#include "sluice/sluice.h"
#include "support.h"

TestSuite(tls, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

static char dir[256];

/* Runs a shell command line in dir quietly; asserts it succeeded. */
static void
sh(const char *cmd)
{
	char quiet[2048];
	snprintf(quiet, sizeof(quiet), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
	cr_assert_eq(system(quiet), 0, "failed: %s", cmd);
}

/* A CA (ca.pem), a second unrelated one (otherca.pem), the broker's
 * certificate signed by ca for 127.0.0.1 and localhost (server.pem,
 * server.key) and a client certificate signed by ca (client.pem,
 * client.key), as docs/security.md makes them. */
static void
make_certs(void)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_path());
	const char *key = "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "%s -x509 -days 2 -keyout ca.key -out ca.pem -subj /CN=test-ca", key);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s -x509 -days 2 -keyout otherca.key -out otherca.pem -subj /CN=other-ca", key);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s -keyout server.key -out server.csr -subj /CN=localhost", key);
	sh(cmd);
	sh("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:127.0.0.1\\n' > server.ext");
	sh("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	   "-days 2 -extfile server.ext -out server.pem");
	snprintf(cmd, sizeof(cmd), "%s -keyout client.key -out client.csr -subj /CN=test-client", key);
	sh(cmd);
	sh("openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	   "-days 2 -out client.pem");
	/* A client certificate from the other CA. */
	snprintf(cmd, sizeof(cmd), "%s -keyout stranger.key -out stranger.csr -subj /CN=stranger", key);
	sh(cmd);
	sh("openssl x509 -req -in stranger.csr -CA otherca.pem -CAkey otherca.key "
	   "-CAcreateserial -days 2 -out stranger.pem");
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

static int
port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/*
 * Starts sluiced on tls+tcp://127.0.0.1:PORT with server.pem/server.key
 * (and client certificates signed by ca.pem required when mutual). Not
 * broker_start: that one listens on tcp:// and waits for its own port.
 */
/* --metrics-listen for the next start_tls_broker ("" : off), and
 * whether it gets --tls-client-crl crl.pem. */
static char metrics_url[64];
static int with_crl;

static void
start_tls_broker(broker_proc *bp, int mutual)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", dir);
	const char *extra[] = { "--metrics-listen",
		metrics_url[0] != '\0' ? metrics_url : "off", "--tls-cert",
		path("server.pem"), "--tls-key", path("server.key"),
		mutual ? "--tls-client-ca" : NULL, path("ca.pem"),
		with_crl ? "--tls-client-crl" : NULL, path("crl.pem"), NULL };
	cr_assert_eq(broker_start_tls(bp, data, extra), 0, "sluiced did not start");
}

typedef struct {
	const char *url;
	const char *ca;          /* file name in dir, or NULL */
	const char *server_name; /* or NULL */
	int client_cert;         /* 1: present client.pem, 2: stranger.pem,
	                          * 3: client2.pem */
} dial;

static long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Opens a client as d says; returns the open's result (and how long it
 * took in *ms). */
static sluice_err
open_client(const dial *d, sluice_client **out, long *ms)
{
	sluice_opts *o = NULL;
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, d->url), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_connect_timeout(o, 3000), SLUICE_OK);
	if (d->ca != NULL)
		cr_assert_eq(sluice_opts_set_tls_ca(o, path(d->ca)), SLUICE_OK);
	if (d->server_name != NULL)
		cr_assert_eq(sluice_opts_set_tls_server_name(o, d->server_name), SLUICE_OK);
	if (d->client_cert) {
		static const char *const names[] = { NULL, "client", "stranger", "client2" };
		char pem[32], key[32];
		snprintf(pem, sizeof(pem), "%s.pem", names[d->client_cert]);
		snprintf(key, sizeof(key), "%s.key", names[d->client_cert]);
		cr_assert_eq(sluice_opts_set_tls_cert(o, path(pem), path(key)), SLUICE_OK);
	}
	long t0 = now_ms();
	sluice_err rv = sluice_client_open(out, o);
	if (ms != NULL)
		*ms = now_ms() - t0;
	sluice_opts_free(o);
	return rv;
}

/* Publishes `text` to topic and reads it back from the start. */
static void
publish_and_consume(sluice_client *c, const char *topic, const char *text)
{
	sluice_producer *p = NULL;
	sluice_msg *m = NULL;
	uint64_t off = 99;
	cr_assert_eq(sluice_producer_open(&p, c, topic, NULL), SLUICE_OK);
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, text, strlen(text)), SLUICE_OK);
	sluice_err rv = sluice_publish(p, &m, &off);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	sluice_msg_free(m);
	cr_assert_eq(off, 0);
	sluice_producer_close(p);

	sluice_consumer_opts *co = NULL;
	sluice_consumer *k = NULL;
	sluice_record *r = NULL;
	size_t len = 0;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_start(co, SLUICE_START_EARLIEST, 0), SLUICE_OK);
	cr_assert_eq(sluice_consumer_open(&k, c, topic, "audit", co), SLUICE_OK);
	sluice_consumer_opts_free(co);
	rv = sluice_receive(k, &r, 5000);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	const char *got = sluice_record_payload(r, &len);
	cr_assert_eq(len, strlen(text));
	cr_assert_eq(memcmp(got, text, len), 0);
	cr_assert_eq(sluice_ack(k, sluice_record_offset(r)), SLUICE_OK);
	sluice_record_free(r);
	sluice_consumer_close(k);
}

/* The broker still serves a good client after refusing bad ones. */
static void
assert_still_serving(const broker_proc *bp, const char *topic, int client_cert)
{
	sluice_client *c = NULL;
	dial d = { bp->url, "ca.pem", NULL, client_cert };
	sluice_err rv = open_client(&d, &c, NULL);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	publish_and_consume(c, topic, "still here");
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
}

/* A refused open: an error, not SLUICE_OK, well within the timeout. */
static void
assert_refused(const dial *d, sluice_err want)
{
	sluice_client *c = NULL;
	long ms = 0;
	sluice_err rv = open_client(d, &c, &ms);
	cr_assert_eq(rv, want, "got %s, want %s", sluice_err_name(rv), sluice_err_name(want));
	cr_assert_lt(ms, 3000, "took %ld ms", ms);
}

/* A port where the kernel completes TCP connections (the backlog) that
 * nothing ever reads or answers: a black hole that accepts. */
static int
silent_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
	    listen(fd, 8) == 0 && getsockname(fd, (struct sockaddr *) &sa, &len) == 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

Test(tls, a_server_that_accepts_and_never_answers_times_out_within_the_connect_timeout)
{
	char url[64];
	int port, fd;
	long ms = 0;
	sluice_client *c = NULL;
	make_certs();
	fd = silent_listener(&port);
	/* TLS: the handshake never finishes; plain: the SP negotiation. */
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%d", port);
	dial d = { url, "ca.pem", NULL, 0 };
	cr_assert_eq(open_client(&d, &c, &ms), SLUICE_ETIMEDOUT);
	cr_assert(ms >= 2900 && ms < 4500, "took %ld ms for a 3000 ms timeout", ms);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	dial p = { url, NULL, NULL, 0 };
	cr_assert_eq(open_client(&p, &c, &ms), SLUICE_ETIMEDOUT);
	cr_assert(ms >= 2900 && ms < 4500, "took %ld ms for a 3000 ms timeout", ms);
	close(fd);
}

Test(tls, connects_publishes_and_consumes_with_the_right_ca)
{
	broker_proc bp;
	make_certs();
	start_tls_broker(&bp, 0);
	sluice_client *c = NULL;
	/* The server name defaults to the URL's host, 127.0.0.1. */
	dial d = { bp.url, "ca.pem", NULL, 0 };
	sluice_err rv = open_client(&d, &c, NULL);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	publish_and_consume(c, "orders", "over tls");
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);

	/* By name: localhost is in the certificate too. */
	char url[64];
	snprintf(url, sizeof(url), "tls+tcp://localhost:%d", bp.port);
	dial byname = { url, "ca.pem", NULL, 0 };
	rv = open_client(&byname, &c, NULL);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* GET path over https with the openssl CLI (with the client certificate
 * when cert): the response's status line, or "" when the handshake
 * failed. */
static void
https_get(int port, const char *pathname, int cert, char *status, size_t n)
{
	char cmd[2048], line[256];
	snprintf(cmd, sizeof(cmd),
	    "printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' | "
	    "openssl s_client -connect 127.0.0.1:%d -servername localhost "
	    "-CAfile %s -verify_return_error -quiet %s%s%s%s 2>/dev/null",
	    pathname, port, path("ca.pem"), cert ? "-cert " : "",
	    cert ? path("client.pem") : "", cert ? " -key " : "",
	    cert ? path("client.key") : "");
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	status[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL)
		if (status[0] == '\0' && strncmp(line, "HTTP/", 5) == 0)
			snprintf(status, n, "%s", line);
	pclose(f);
}

Test(tls, metrics_over_https_require_the_client_certificate_with_mutual_tls)
{
	broker_proc bp;
	char status[256];
	make_certs();
	int mport = free_port();
	cr_assert_gt(mport, 0);
	snprintf(metrics_url, sizeof(metrics_url), "https://127.0.0.1:%d", mport);
	start_tls_broker(&bp, 1);
	for (int i = 0; i < 300 && !port_open(mport); i++)
		usleep(10000);
	https_get(mport, "/health", 1, status, sizeof(status));
	cr_assert(strncmp(status, "HTTP/1.1 200", 12) == 0, "got '%s'", status);
	https_get(mport, "/metrics", 1, status, sizeof(status));
	cr_assert(strncmp(status, "HTTP/1.1 200", 12) == 0, "got '%s'", status);
	/* No certificate: no handshake, no answer. */
	https_get(mport, "/health", 0, status, sizeof(status));
	cr_assert_str_eq(status, "");
	metrics_url[0] = '\0';
	cr_assert_eq(broker_stop(&bp), 0);
}

/* ca revokes client.pem in crl.pem, and signs client2.pem (not revoked),
 * with the openssl CLI's CA database as docs/security.md shows. */
static void
make_crl(void)
{
	sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	   "-keyout client2.key -out client2.csr -subj /CN=test-client-2");
	sh("openssl x509 -req -in client2.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	   "-days 2 -out client2.pem");
	sh("touch index.txt && echo 1000 > crlnumber && printf '[ca]\\ndefault_ca=d\\n"
	   "[d]\\ndatabase=index.txt\\ncrlnumber=crlnumber\\ndefault_md=sha256\\n"
	   "default_crl_days=2\\n' > ca.cnf");
	sh("openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -revoke client.pem");
	sh("openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl -out crl.pem");
}

Test(tls, a_client_certificate_the_crl_revokes_is_refused)
{
	broker_proc bp;
	make_certs();
	make_crl();
	with_crl = 1;
	start_tls_broker(&bp, 1);
	with_crl = 0;
	dial revoked = { bp.url, "ca.pem", NULL, 1 };
	assert_refused(&revoked, SLUICE_ETRANSPORT);
	/* Another certificate from the same CA is served. */
	assert_still_serving(&bp, "orders", 3);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, the_broker_refuses_to_start_with_a_stale_crl)
{
	make_certs();
	make_crl();
	/* mbedtls fails every certificate against a CRL past its next
	 * update: starting would shut every client out. */
	sh("openssl ca -config ca.cnf -keyfile ca.key -cert ca.pem -gencrl "
	   "-crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z -out old.pem");
	char port[16], url[64], data[600], out[4096], err[4096];
	snprintf(port, sizeof(port), "%d", free_port());
	snprintf(url, sizeof(url), "tls+tcp://127.0.0.1:%s", port);
	snprintf(data, sizeof(data), "%s/data", dir);
	const char *argv[] = { getenv("SLUICED"), "--listen", url, "--data", data,
		"--metrics-listen", "off", "--tls-cert", path("server.pem"), "--tls-key",
		path("server.key"), "--tls-client-ca", path("ca.pem"), "--tls-client-crl",
		path("old.pem"), NULL };
	int st = run_capture(argv, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 1, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(err, "next update date has passed"), "%s", err);
}

Test(tls, without_the_crl_the_same_certificate_is_served)
{
	broker_proc bp;
	make_certs();
	make_crl();
	start_tls_broker(&bp, 1);
	assert_still_serving(&bp, "orders", 1);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, a_wrong_ca_fails_with_a_transport_error)
{
	broker_proc bp;
	make_certs();
	start_tls_broker(&bp, 0);
	dial d = { bp.url, "otherca.pem", NULL, 0 };
	assert_refused(&d, SLUICE_ETRANSPORT);
	assert_still_serving(&bp, "orders", 0);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, a_wrong_server_name_fails)
{
	broker_proc bp;
	make_certs();
	start_tls_broker(&bp, 0);
	dial d = { bp.url, "ca.pem", "broker.example.com", 0 };
	assert_refused(&d, SLUICE_ETRANSPORT);
	assert_still_serving(&bp, "orders", 0);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, plain_tcp_to_a_tls_listener_fails_and_the_broker_keeps_serving)
{
	broker_proc bp;
	make_certs();
	start_tls_broker(&bp, 0);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", bp.port);
	for (int i = 0; i < 3; i++) {
		sluice_client *c = NULL;
		dial d = { url, NULL, NULL, 0 };
		long ms = 0;
		sluice_err rv = open_client(&d, &c, &ms);
		cr_assert_neq(rv, SLUICE_OK);
		cr_assert_lt(ms, 3000, "took %ld ms", ms);
	}
	assert_still_serving(&bp, "orders", 0);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, mutual_tls_refuses_a_client_without_a_certificate_from_its_ca)
{
	broker_proc bp;
	make_certs();
	start_tls_broker(&bp, 1);
	dial d = { bp.url, "ca.pem", NULL, 0 };
	assert_refused(&d, SLUICE_ETRANSPORT);
	dial stranger = { bp.url, "ca.pem", NULL, 2 };
	assert_refused(&stranger, SLUICE_ETRANSPORT);

	sluice_client *c = NULL;
	dial with = { bp.url, "ca.pem", NULL, 1 };
	sluice_err rv = open_client(&with, &c, NULL);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	publish_and_consume(c, "orders", "mutual");
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, the_broker_refuses_a_tls_url_without_a_certificate)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_path());
	const char *argv[] = { getenv("SLUICED"), "--listen", "tls+tcp://127.0.0.1:1",
		"--data", path("data"), "--metrics-listen", "off", NULL };
	char out[256], err[1024];
	int st = run_capture(argv, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 2, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(err, "--tls-cert"), "%s", err);
}

Test(tls, sluice_cli_takes_the_tls_options)
{
	broker_proc bp;
	make_certs();
	start_tls_broker(&bp, 1);
	const char *cli = getenv("SLUICE_CLI");
	cr_assert_not_null(cli);
	char out[1024], err[2048];
	const char *good[] = { cli, "produce", "orders", "-u", bp.url, "--tls-ca",
		path("ca.pem"), "--tls-cert", path("client.pem"), "--tls-key",
		path("client.key"), "-m", "hello", NULL };
	int st = run_capture(good, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert_str_eq(out, "0\n");
	const char *nocert[] = { cli, "produce", "orders", "-u", bp.url, "--tls-ca",
		path("ca.pem"), "-m", "hello", NULL };
	st = run_capture(nocert, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 1, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(err, "client certificate"), "%s", err);
	const char *half[] = { cli, "produce", "orders", "-u", bp.url, "--tls-cert",
		path("client.pem"), "-m", "hello", NULL };
	st = run_capture(half, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 2, "exit %d: %s", st, err);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(tls, the_tls_options_check_their_arguments)
{
	sluice_opts *o = NULL;
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_ca(NULL, "ca.pem"), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_tls_ca(o, "ca.pem"), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_ca(o, NULL), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_cert(o, "c.pem", NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_tls_cert(o, NULL, "c.key"), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_tls_cert(o, "c.pem", "c.key"), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_cert(o, NULL, NULL), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_server_name(o, "broker.internal"), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_tls_server_name(o, ""), SLUICE_OK);
	sluice_opts_free(o);
}

Test(tls, an_unreadable_ca_file_is_einval)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_path());
	sluice_client *c = NULL;
	dial d = { "tls+tcp://127.0.0.1:1", "missing.pem", NULL, 0 };
	cr_assert_eq(open_client(&d, &c, NULL), SLUICE_EINVAL);
}

Test(tls, the_config_file_tls_section_is_read_and_printed)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_path());
	FILE *f = fopen(path("c.yaml"), "w");
	cr_assert_not_null(f);
	fprintf(f, "listen: tls+tcp://127.0.0.1:6650\ntls:\n  cert: s.pem\n"
	           "  key: s.key\n  client_ca: ca.pem\n  client_crl: crl.pem\n");
	fclose(f);
	const char *argv[] = { getenv("SLUICED"), "--config", path("c.yaml"),
		"--print-config", NULL };
	char out[8192], err[1024];
	int st = run_capture(argv, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(out, "tls:\n  cert: \"s.pem\"\n  key: \"s.key\"\n"
	                                "  client_ca: \"ca.pem\"\n  client_crl: \"crl.pem\"\n"),
	    "%s", out);
	/* A CRL without client certificates to check is a mistake. */
	const char *nocrl[] = { getenv("SLUICED"), "--listen", "tls+tcp://127.0.0.1:6650",
		"--tls-cert", "s.pem", "--tls-key", "s.key", "--tls-client-crl", "crl.pem",
		"--print-config", NULL };
	st = run_capture(nocrl, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 2, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(err, "needs --tls-client-ca"), "%s", err);
	/* A flag wins over the file; a lone key is refused. */
	f = fopen(path("bad.yaml"), "w");
	cr_assert_not_null(f);
	fprintf(f, "listen: tls+tcp://127.0.0.1:6650\ntls:\n  key: s.key\n");
	fclose(f);
	const char *bad[] = { getenv("SLUICED"), "--config", path("bad.yaml"),
		"--print-config", NULL };
	st = run_capture(bad, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 2, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(err, "go together"), "%s", err);
	const char *fixed[] = { getenv("SLUICED"), "--config", path("bad.yaml"),
		"--tls-cert", "other.pem", "--print-config", NULL };
	st = run_capture(fixed, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(st, 0, "exit %d: %s", st, err);
	cr_assert_not_null(strstr(out, "  cert: \"other.pem\"\n"), "%s", out);
}
