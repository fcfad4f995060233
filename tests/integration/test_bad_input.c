/*
 * test_bad_input.c - the real sluiced against bad input: each case gets a
 * clear error (or only its own connection closed), nothing of a refused
 * publish is stored, and the broker keeps serving everyone else.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "raw.h"
#include "support.h"

TestSuite(bad_input, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

static broker_proc bp;

static void
start(const char *const *extra)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, extra), 0, "broker did not start");
}

/* The broker still answers a fresh, well-behaved client, then stops
 * cleanly (exit 0: under the sanitizer build, no leak report either). */
static void
assert_still_serving_then_stop(void)
{
	raw_conn c;
	uint64_t base = 0;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "healthy", 3, "ok", &base), SLUICE_OK);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0, "broker did not exit cleanly");
}

Test(bad_input, malformed_frame_gets_bad_frame_and_the_connection_still_works)
{
	start(NULL);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12 };
	Sluice__Reply *r;
	cr_assert_eq(raw_call_bytes(&c, junk, sizeof(junk), &r), 0);
	cr_assert_eq(r->status, SLUICE_EBADFRAME, "%u: %s", r->status, r->error);
	cr_assert(strstr(r->error, "malformed") != NULL, "error text: %s", r->error);
	codec_reply_free(r);
	/* A truncated publish: a valid frame cut in the middle of a field. */
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	const uint8_t cut[] = { 0x08, 0x07, 0x5a, 0x20, 0x0a, 0x05, 'o', 'r' };
	cr_assert_eq(raw_call_bytes(&c, cut, sizeof(cut), &r), 0);
	cr_assert_eq(r->status, SLUICE_EBADFRAME);
	codec_reply_free(r);
	uint64_t base = 99;
	cr_assert_eq(raw_publish(&c, "t", 1, "x", &base), SLUICE_OK);
	cr_assert_eq(base, 0);
	raw_close(&c);
	assert_still_serving_then_stop();
}

Test(bad_input, unknown_frame_type_is_refused_by_name)
{
	start(NULL);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	const uint8_t future[] = { 0x08, 0x05, 0xa2, 0x01, 0x00 }; /* field 20 */
	Sluice__Reply *r;
	cr_assert_eq(raw_call_bytes(&c, future, sizeof(future), &r), 0);
	cr_assert_eq(r->status, SLUICE_EUNKNOWNFRAME);
	cr_assert_eq(r->request_id, 5, "the reply names the request");
	codec_reply_free(r);
	raw_close(&c);
	assert_still_serving_then_stop();
}

Test(bad_input, wrong_protocol_version_is_refused_and_then_hello_works)
{
	start(NULL);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, 99), SLUICE_EVERSION);
	cr_assert_eq(raw_publish(&c, "t", 1, "x", NULL), SLUICE_ENOHELLO,
	    "a failed handshake admits nothing");
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "t", 1, "x", NULL), SLUICE_OK);
	raw_close(&c);
	assert_still_serving_then_stop();
}

Test(bad_input, publish_before_hello_is_refused)
{
	start(NULL);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_publish(&c, "t", 1, "x", NULL), SLUICE_ENOHELLO);
	raw_close(&c);
	assert_still_serving_then_stop();
}

Test(bad_input, oversize_message_refuses_the_whole_frame_and_stores_nothing)
{
	const char *extra[] = { "--max-message-bytes", "1024", NULL };
	start(extra);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);

	static char big[2000];
	memset(big, 'b', sizeof(big) - 1);
	Sluice__Message small = SLUICE__MESSAGE__INIT, large = SLUICE__MESSAGE__INIT;
	small.payload.data = (uint8_t *) "small";
	small.payload.len = 5;
	large.payload.data = (uint8_t *) big;
	large.payload.len = sizeof(big) - 1;
	Sluice__Message *ptrs[] = { &small, &large, &small };
	Sluice__Publish p = SLUICE__PUBLISH__INIT;
	p.topic = (char *) "sized";
	p.n_messages = 3;
	p.messages = ptrs;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 3;
	req.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	req.publish = &p;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(&c, &req, &r), 0);
	cr_assert_eq(r->status, SLUICE_ETOOBIG);
	cr_assert_eq(r->failed_index, 1, "the reply names the message at fault");
	cr_assert(strstr(r->error, "1024") != NULL, "error names the limit: %s", r->error);
	codec_reply_free(r);

	uint64_t base = 99;
	cr_assert_eq(raw_publish(&c, "sized", 1, "after", &base), SLUICE_OK);
	cr_assert_eq(base, 0, "nothing of the refused frame was stored");
	raw_close(&c);
	assert_still_serving_then_stop();
}

Test(bad_input, invalid_topic_names_and_empty_publishes_are_refused)
{
	start(NULL);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = '\0';
	cr_assert_eq(raw_publish(&c, "", 1, "x", NULL), SLUICE_EBADTOPIC);
	cr_assert_eq(raw_publish(&c, "with space", 1, "x", NULL), SLUICE_EBADTOPIC);
	cr_assert_eq(raw_publish(&c, "semi;colon", 1, "x", NULL), SLUICE_EBADTOPIC);
	cr_assert_eq(raw_publish(&c, longname, 1, "x", NULL), SLUICE_EBADTOPIC);
	cr_assert_eq(raw_publish(&c, "fine", 0, "x", NULL), SLUICE_EEMPTY);
	raw_close(&c);
	assert_still_serving_then_stop();
}

Test(bad_input, unknown_topic_is_refused_when_auto_create_is_off)
{
	const char *extra[] = { "--auto-create-topics", "off", NULL };
	start(extra);
	raw_conn c;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "nobody-made-me", 1, "x", NULL), SLUICE_ENOTOPIC);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

static int
tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	/* SP header of a req0 peer (protocol 0x30). */
	const uint8_t hdr[8] = { 0, 'S', 'P', 0, 0x00, 0x30, 0, 0 };
	cr_assert_eq(write(fd, hdr, sizeof(hdr)), 8);
	return fd;
}

Test(bad_input, client_vanishing_mid_frame_disturbs_nobody)
{
	start(NULL);
	for (int i = 0; i < 20; i++) {
		int fd = tcp_connect(bp.port);
		/* Announce 100,000 bytes, send 100, vanish. */
		uint8_t frame[8 + 100] = { 0, 0, 0, 0, 0, 0x01, 0x86, 0xa0 };
		memset(frame + 8, 0x0a, 100);
		cr_assert_eq(write(fd, frame, sizeof(frame)), (ssize_t) sizeof(frame));
		close(fd);
	}
	assert_still_serving_then_stop();
}

Test(bad_input, frame_over_the_size_limit_closes_only_its_connection)
{
	const char *extra[] = { "--max-message-bytes", "1024", NULL };
	start(extra);
	raw_conn ok;
	cr_assert_eq(raw_open(&ok, bp.url), 0);
	cr_assert_eq(raw_hello(&ok, SLUICE_PROTOCOL_VERSION), SLUICE_OK);

	int fd = tcp_connect(bp.port);
	/* Announce 64 MiB: the broker must refuse before buffering it. */
	uint8_t frame[8] = { 0, 0, 0, 0, 0x04, 0, 0, 0 };
	cr_assert_eq(write(fd, frame, sizeof(frame)), 8);
	uint8_t buf[64];
	ssize_t n = 0;
	for (int i = 0; i < 50; i++) {
		n = read(fd, buf, sizeof(buf)); /* the 8-byte SP header, then EOF */
		if (n <= 0)
			break;
	}
	cr_assert_leq(n, 0, "the broker closed the oversized connection");
	close(fd);

	uint64_t base;
	cr_assert_eq(raw_publish(&ok, "t", 2, "x", &base), SLUICE_OK,
	    "other connections are unaffected");
	raw_close(&ok);
	assert_still_serving_then_stop();
}

Test(bad_input, second_broker_on_the_same_data_dir_is_refused_clearly)
{
	start(NULL);
	const char *exe = getenv("SLUICED");
	char url[64], err[4096];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", free_port());
	const char *argv[] = { exe, "--listen", url, "--data", bp.data, NULL };
	int st = run_capture(argv, NULL, 0, err, sizeof(err));
	cr_assert_eq(st, 1, "exit status %d", st);
	cr_assert(strstr(err, "in use by another broker") != NULL, "stderr: %s", err);
	assert_still_serving_then_stop();
}

Test(bad_input, bad_flags_are_usage_errors_with_exit_code_2)
{
	const char *exe = getenv("SLUICED");
	char err[4096], out[8192];
	const char *a1[] = { exe, "--fsync", "sometimes", NULL };
	cr_assert_eq(run_capture(a1, NULL, 0, err, sizeof(err)), 2);
	cr_assert(strstr(err, "never, interval or always") != NULL, "stderr: %s", err);
	const char *a2[] = { exe, "--help", NULL };
	cr_assert_eq(run_capture(a2, out, sizeof(out), NULL, 0), 0);
	cr_assert(strstr(out, "--fsync") != NULL);
}
