/*
 * test_consume.c - consuming through libsluice and sluice-cli consume
 * against the real sluiced: order, acks that persist across consumer
 * restarts, handler style, JSON output, and the broker's lease on a frozen
 * consumer.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "raw.h"
#include "sluice/sluice.h"
#include "support.h"

TestSuite(consume, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

static broker_proc bp;

static void
start(const char *const *extra)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, extra), 0);
}

static sluice_client *
client(void)
{
	sluice_opts *o;
	sluice_client *c;
	sluice_opts_alloc(&o);
	sluice_opts_set_url(o, bp.url);
	sluice_err rv = sluice_client_open(&c, o);
	sluice_opts_free(o);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	return c;
}

static void
produce(sluice_client *c, const char *topic, int n)
{
	sluice_producer *p;
	cr_assert_eq(sluice_producer_open(&p, c, topic, NULL), SLUICE_OK);
	for (int i = 0; i < n; i++) {
		char text[32];
		int len = snprintf(text, sizeof(text), "m%d", i);
		sluice_msg *m;
		sluice_msg_alloc(&m);
		sluice_msg_set_payload(m, text, (size_t) len);
		sluice_msg_set_key(m, "k", 1);
		cr_assert_eq(sluice_publish_async(p, &m, NULL, NULL), SLUICE_OK);
	}
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	sluice_producer_close(p);
}

static sluice_consumer *
consumer(sluice_client *c, const char *topic, const char *sub, uint32_t window)
{
	sluice_consumer_opts *co;
	sluice_consumer *k;
	sluice_consumer_opts_alloc(&co);
	sluice_consumer_opts_set_window(co, window);
	sluice_consumer_opts_set_start(co, SLUICE_START_EARLIEST, 0);
	sluice_err rv = sluice_consumer_open(&k, c, topic, sub, co);
	sluice_consumer_opts_free(co);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	return k;
}

Test(consume, library_consumer_receives_in_order_and_acks_persist_across_reopen)
{
	start(NULL);
	sluice_client *c = client();
	produce(c, "lib", 5000);
	sluice_consumer *k = consumer(c, "lib", "s", 100);
	for (uint64_t i = 0; i < 3000; i++) {
		sluice_record *r;
		sluice_err rv = sluice_receive(k, &r, 5000);
		cr_assert_eq(rv, SLUICE_OK, "message %llu: %s", (unsigned long long) i,
		    sluice_strerror(rv));
		cr_assert_eq(sluice_record_offset(r), i);
		size_t len, klen;
		const char *payload = sluice_record_payload(r, &len);
		char want[32];
		snprintf(want, sizeof(want), "m%llu", (unsigned long long) i);
		cr_assert_eq(len, strlen(want));
		cr_assert_eq(memcmp(payload, want, len), 0);
		cr_assert_not_null(sluice_record_key(r, &klen));
		cr_assert_eq(sluice_record_attempt(r), 1);
		cr_assert_eq(sluice_ack(k, i), SLUICE_OK);
		sluice_record_free(r);
	}
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	k = consumer(c, "lib", "s", 100);
	sluice_record *r;
	cr_assert_eq(sluice_receive(k, &r, 5000), SLUICE_OK);
	cr_assert_eq(sluice_record_offset(r), 3000, "acked messages came back");
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert_eq(broker_stop(&bp), 0);
}

static volatile int handled;
static volatile uint64_t last_offset;

static void
on_message(sluice_consumer *k, sluice_record *r, void *arg)
{
	(void) arg;
	uint64_t off = sluice_record_offset(r);
	if (handled > 0 && off != last_offset + 1)
		handled = -100000; /* out of order: fail below */
	last_offset = off;
	sluice_ack(k, off);
	sluice_record_free(r);
	__atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
}

Test(consume, handler_style_delivers_every_message_in_order)
{
	start(NULL);
	sluice_client *c = client();
	produce(c, "h", 2000);
	sluice_consumer *k = consumer(c, "h", "s", 50);
	cr_assert_eq(sluice_consumer_set_handler(k, on_message, NULL), SLUICE_OK);
	for (int i = 0; i < 500 && handled < 2000; i++)
		usleep(10000);
	cr_assert_eq(handled, 2000, "handled %d", handled);
	sluice_record *r;
	cr_assert_eq(sluice_receive(k, &r, 0), SLUICE_EINVAL, "receive is off with a handler");
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(consume, cli_consume_prints_json_lines_and_resumes_after_what_it_acked)
{
	start(NULL);
	sluice_client *c = client();
	produce(c, "cli", 10);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	const char *cli = getenv("SLUICE_CLI");
	char out[8192], err[4096];
	const char *a[] = { cli, "consume", "cli", "-s", "s", "--from", "earliest", "--count",
		"4", "--json", "--url", bp.url, NULL };
	cr_assert_eq(run_capture(a, out, sizeof(out), err, sizeof(err)), 0, "stderr: %s", err);
	int lines = 0;
	for (char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, 4, "output: %s", out);
	cr_assert(strstr(out, "\"offset\":0") != NULL, "output: %s", out);
	cr_assert(strstr(out, "\"payload\":\"m3\"") != NULL, "output: %s", out);
	cr_assert(strstr(out, "\"offset\":4") == NULL, "one message too many: %s", out);
	cr_assert_eq(run_capture(a, out, sizeof(out), err, sizeof(err)), 0, "stderr: %s", err);
	cr_assert(strstr(out, "\"offset\":4") != NULL, "did not resume at 4: %s", out);
	cr_assert(strstr(out, "\"offset\":3") == NULL, "an acked message came back: %s", out);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(consume, a_frozen_consumer_loses_its_lease_and_its_messages_move_on)
{
	const char *extra[] = { "--consumer-lease-ms", "1000", NULL };
	start(extra);
	raw_conn p;
	cr_assert_eq(raw_open(&p, bp.url), 0);
	cr_assert_eq(raw_hello(&p, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&p, "frz", 10, "x", NULL), SLUICE_OK);
	raw_close(&p);
	int pfd[2];
	cr_assert_eq(pipe(pfd), 0);
	pid_t child = fork();
	if (child == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(getenv("HOLD_CONSUMER"), "hold_consumer", bp.url, "frz", "s", "5", "5",
		    (char *) NULL);
		_exit(127);
	}
	close(pfd[1]);
	char ready[8] = { 0 };
	cr_assert_eq(read(pfd[0], ready, 6), 6);
	kill(child, SIGSTOP); /* frozen: its socket stays open */

	raw_conn s;
	uint64_t id;
	cr_assert_eq(raw_open(&s, bp.url), 0);
	cr_assert_eq(raw_hello(&s, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_subscribe(&s, "frz", "s", SLUICE__SUB_TYPE__SUB_FAILOVER,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 5, SLUICE__START_AT__START_EARLIEST, &id),
	    SLUICE_OK);
	size_t got = 0;
	for (int i = 0; i < 20 && got == 0; i++) {
		Sluice__Reply *r;
		cr_assert_eq(raw_fetch(&s, id, 5, 500, NULL, 0, &r), 0);
		got = r->deliver->n_records;
		if (got > 0) {
			cr_assert_eq(r->deliver->records[0]->offset, 0);
			cr_assert_eq(r->deliver->records[0]->attempt, 2);
		}
		codec_reply_free(r);
	}
	cr_assert_eq(got, 5, "the frozen consumer's messages were not redelivered");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	raw_close(&s);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(consume, a_busy_consumer_keeps_its_lease_with_keepalives, .timeout = 60)
{
	/* The library sends a keepalive every 5 s while no fetch is out; a
	 * lease of 6.5 s would expire during this 8 s pause without them. */
	const char *extra[] = { "--consumer-lease-ms", "6500", NULL };
	start(extra);
	sluice_client *c = client();
	produce(c, "busy", 2);
	sluice_consumer *k = consumer(c, "busy", "s", 1);
	sluice_record *r;
	cr_assert_eq(sluice_receive(k, &r, 5000), SLUICE_OK);
	cr_assert_eq(sluice_record_offset(r), 0);
	sleep(8); /* window full: no fetch goes out, only keepalives */
	cr_assert_eq(sluice_ack(k, 0), SLUICE_OK);
	sluice_record_free(r);
	sluice_err rv = sluice_receive(k, &r, 5000);
	cr_assert_eq(rv, SLUICE_OK, "after the pause: %s", sluice_strerror(rv));
	cr_assert_eq(sluice_record_offset(r), 1);
	cr_assert_eq(sluice_record_attempt(r), 1, "the connection was never lost");
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(sluice_client_close(c), SLUICE_OK);
	cr_assert_eq(broker_stop(&bp), 0);
}
