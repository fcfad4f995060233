/*
 * test_producer.c - producer.c against the fake broker: batching, offsets
 * per message, sequence numbers, the window, local size refusal, broker
 * errors, timeouts and connection loss.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "fake_broker.h"
#include "sluice/sluice.h"

#define N_MAX 2000

static fake_broker *fb;
static sluice_client *cl;

/* Per-message outcomes, indexed like the messages published. */
typedef struct {
	atomic_int calls;
	sluice_err rv;
	uint64_t   offset;
} outcome;

static outcome out[N_MAX];

static void
record_cb(sluice_producer *p, sluice_err rv, uint64_t offset, void *arg)
{
	(void) p;
	outcome *o = arg;
	o->rv = rv;
	o->offset = offset;
	atomic_fetch_add(&o->calls, 1);
}

static void
start(const fake_config *cfg, int request_timeout_ms)
{
	sluice_opts *o = NULL;
	sluice_err rv = fake_broker_start(&fb, cfg);
	cr_assert_eq(rv, SLUICE_OK, "fake broker: %s", sluice_strerror(rv));
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, fake_broker_url(fb)), SLUICE_OK);
	if (request_timeout_ms > 0)
		sluice_opts_set_request_timeout(o, request_timeout_ms);
	rv = sluice_client_open(&cl, o);
	sluice_opts_free(o);
	cr_assert_eq(rv, SLUICE_OK, "client open: %s", sluice_strerror(rv));
}

static void
finish(void)
{
	cr_assert_eq(sluice_client_close(cl), SLUICE_OK);
	fake_broker_stop(fb);
}

static sluice_producer *
producer(uint32_t batch_msgs, uint32_t linger_ms, uint32_t window, int block)
{
	sluice_producer_opts *po = NULL;
	sluice_producer *p = NULL;
	cr_assert_eq(sluice_producer_opts_alloc(&po), SLUICE_OK);
	cr_assert_eq(sluice_producer_opts_set_batch(
	                 po, batch_msgs, 256 * 1024, linger_ms),
	    SLUICE_OK);
	cr_assert_eq(sluice_producer_opts_set_window(po, window), SLUICE_OK);
	cr_assert_eq(sluice_producer_opts_set_block(po, block), SLUICE_OK);
	sluice_err rv = sluice_producer_open(&p, cl, "orders", po);
	sluice_producer_opts_free(po);
	cr_assert_eq(rv, SLUICE_OK, "producer open: %s", sluice_strerror(rv));
	return p;
}

static sluice_msg *
text_msg(const char *fmt, int i)
{
	char buf[64];
	sluice_msg *m = NULL;
	snprintf(buf, sizeof(buf), fmt, i);
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, buf, strlen(buf)), SLUICE_OK);
	return m;
}

static sluice_err
publish_n(sluice_producer *p, int n)
{
	for (int i = 0; i < n; i++) {
		sluice_msg *m = text_msg("m%d", i);
		sluice_err rv = sluice_publish_async(p, &m, record_cb, &out[i]);
		if (rv != SLUICE_OK) {
			sluice_msg_free(m);
			return rv;
		}
		cr_assert_null(m, "publish_async must take the message");
	}
	return SLUICE_OK;
}

TestSuite(producer, .timeout = 20);

Test(producer, batching_sends_many_messages_in_few_frames)
{
	start(NULL, 0);
	sluice_producer *p = producer(1000, 50, 1000, 1);
	sluice_err rv = publish_n(p, 500);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	rv = sluice_producer_flush(p);
	cr_assert_eq(rv, SLUICE_OK, "flush: %s", sluice_strerror(rv));
	cr_expect_eq(fake_broker_messages(fb), 500);
	cr_expect_leq(fake_broker_frames(fb), 5,
	    "500 messages took %u frames", fake_broker_frames(fb));
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, offsets_are_reported_per_message_in_publish_order)
{
	fake_config cfg = { .first_offset = 1000 };
	start(&cfg, 0);
	sluice_producer *p = producer(7, 1, 1000, 1);
	sluice_err rv = publish_n(p, 100);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	cr_expect_geq(fake_broker_frames(fb), 15, "7 per batch at most");
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(atomic_load(&out[i].calls), 1,
		    "message %d completed %d times", i,
		    atomic_load(&out[i].calls));
		cr_assert_eq(out[i].rv, SLUICE_OK, "message %d: %s", i,
		    sluice_strerror(out[i].rv));
		cr_assert_eq(out[i].offset, 1000u + (uint64_t) i,
		    "message %d got offset %llu", i,
		    (unsigned long long) out[i].offset);
		char want[16];
		snprintf(want, sizeof(want), "m%d", i);
		cr_assert_str_eq(fake_broker_payload(fb, (uint32_t) i), want);
	}
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, sequence_numbers_count_from_one_unless_set)
{
	start(NULL, 0);
	sluice_producer *p = producer(1000, 1, 1000, 1);
	for (int i = 0; i < 3; i++) {
		sluice_msg *m = text_msg("s%d", i);
		if (i == 1)
			cr_assert_eq(sluice_msg_set_sequence(m, 77), SLUICE_OK);
		cr_assert_eq(sluice_publish_async(p, &m, NULL, NULL), SLUICE_OK);
	}
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	cr_assert_eq(fake_broker_messages(fb), 3);
	cr_expect_eq(fake_broker_seq(fb, 0), 1);
	cr_expect_eq(fake_broker_seq(fb, 1), 77);
	cr_expect_eq(fake_broker_seq(fb, 2), 2);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, sync_publish_returns_the_offset)
{
	fake_config cfg = { .first_offset = 42 };
	start(&cfg, 0);
	sluice_producer *p = producer(1000, 1000, 1000, 1);
	for (int i = 0; i < 3; i++) {
		uint64_t off = 0;
		sluice_msg *m = text_msg("x%d", i);
		sluice_err rv = sluice_publish(p, &m, &off);
		cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
		cr_assert_null(m);
		/* A linger of 1 s would show as a slow test, not a hang:
		 * sluice_publish must send at once. */
		cr_assert_eq(off, 42u + (uint64_t) i);
	}
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, full_window_returns_ewouldblock_when_not_blocking)
{
	fake_config cfg = { .hold = 1 };
	start(&cfg, 0);
	sluice_producer *p = producer(1, 0, 5, 0);
	cr_assert_eq(publish_n(p, 5), SLUICE_OK);
	sluice_msg *m = text_msg("extra%d", 0);
	sluice_err rv = sluice_publish_async(p, &m, NULL, NULL);
	cr_assert_eq(rv, SLUICE_EWOULDBLOCK, "got %s", sluice_err_name(rv));
	cr_assert_not_null(m, "a refused message stays with the caller");
	fake_broker_release(fb);
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	rv = sluice_publish_async(p, &m, NULL, NULL);
	cr_assert_eq(rv, SLUICE_OK, "window free again: %s", sluice_strerror(rv));
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

typedef struct {
	sluice_producer *p;
	atomic_int       done;
	sluice_err       rv;
} blocker;

static void *
publish_one(void *arg)
{
	blocker *b = arg;
	sluice_msg *m = text_msg("late%d", 0);
	b->rv = sluice_publish_async(b->p, &m, NULL, NULL);
	sluice_msg_free(m);
	atomic_store(&b->done, 1);
	return NULL;
}

Test(producer, full_window_blocks_until_acks_arrive)
{
	fake_config cfg = { .hold = 1 };
	start(&cfg, 0);
	sluice_producer *p = producer(1000, 1, 3, 1);
	cr_assert_eq(publish_n(p, 3), SLUICE_OK);
	blocker b = { .p = p };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, publish_one, &b), 0);
	nanosleep(&(struct timespec) { 0, 200 * 1000000L }, NULL);
	cr_assert_eq(atomic_load(&b.done), 0, "publish returned with a full window");
	fake_broker_release(fb);
	pthread_join(t, NULL);
	cr_assert_eq(b.rv, SLUICE_OK, "%s", sluice_strerror(b.rv));
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	cr_assert_eq(fake_broker_messages(fb), 4);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, oversized_message_is_refused_locally)
{
	fake_config cfg = { .max_message_bytes = 100 };
	start(&cfg, 0);
	cr_assert_eq(sluice_client_max_message_bytes(cl), 100);
	sluice_producer *p = producer(1000, 1, 1000, 1);
	char big[101];
	memset(big, 'b', sizeof(big));
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, big, 101), SLUICE_OK);
	sluice_err rv = sluice_publish_async(p, &m, record_cb, &out[0]);
	cr_assert_eq(rv, SLUICE_ETOOBIG, "got %s", sluice_err_name(rv));
	cr_assert_not_null(m);
	/* Exactly at the limit is fine: key and payload both count. */
	cr_assert_eq(sluice_msg_set_payload(m, big, 90), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_key(m, big, 10), SLUICE_OK);
	cr_assert_eq(sluice_msg_size(m), 100);
	rv = sluice_publish_async(p, &m, record_cb, &out[0]);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	cr_assert_eq(fake_broker_frames(fb), 1);
	cr_assert_eq(atomic_load(&out[0].calls), 1);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, batches_stay_under_the_broker_frame_limit)
{
	fake_config cfg = { .max_frame_bytes = 4096 };
	start(&cfg, 0);
	sluice_producer *p = producer(1000, 20, 1000, 1);
	char kb[1000];
	memset(kb, 'k', sizeof(kb));
	for (int i = 0; i < 20; i++) {
		sluice_msg *m = NULL;
		cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
		cr_assert_eq(sluice_msg_set_payload(m, kb, sizeof(kb)), SLUICE_OK);
		cr_assert_eq(sluice_publish_async(p, &m, NULL, NULL), SLUICE_OK);
	}
	sluice_err rv = sluice_producer_flush(p);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_expect_eq(fake_broker_messages(fb), 20);
	cr_expect_leq(fake_broker_max_frame(fb), 4096, "frame of %zu bytes",
	    fake_broker_max_frame(fb));
	cr_expect_geq(fake_broker_frames(fb), 5);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, broker_error_reaches_every_message_of_the_batch)
{
	fake_config cfg = { .publish_status = SLUICE_ESTORAGE };
	start(&cfg, 0);
	sluice_producer *p = producer(1000, 50, 1000, 1);
	cr_assert_eq(publish_n(p, 10), SLUICE_OK);
	sluice_err rv = sluice_producer_flush(p);
	cr_assert_eq(rv, SLUICE_ESTORAGE, "flush: %s", sluice_err_name(rv));
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(atomic_load(&out[i].calls), 1);
		cr_assert_eq(out[i].rv, SLUICE_ESTORAGE, "message %d: %s", i,
		    sluice_err_name(out[i].rv));
		cr_assert_eq(out[i].offset, 0);
	}
	rv = sluice_producer_flush(p);
	cr_assert_eq(rv, SLUICE_OK, "errors are reported once: %s",
	    sluice_err_name(rv));
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, unanswered_request_times_out)
{
	fake_config cfg = { .hold = 1 };
	start(&cfg, 300);
	sluice_producer *p = producer(1000, 1, 1000, 1);
	cr_assert_eq(publish_n(p, 3), SLUICE_OK);
	sluice_err rv = sluice_producer_flush(p);
	cr_assert_eq(rv, SLUICE_ETIMEDOUT, "flush: %s", sluice_err_name(rv));
	for (int i = 0; i < 3; i++)
		cr_assert_eq(out[i].rv, SLUICE_ETIMEDOUT);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	fake_broker_release(fb);
	/*
	 * Let the released reply reach the client before it closes: nng
	 * 1.5's nng_close can hang when the reply to a timed-out request
	 * arrives during the shutdown (a few runs in a hundred under load;
	 * an nng race, not what this test is about, noted for a fix).
	 */
	usleep(100000);
	finish();
}

Test(producer, lost_connection_fails_in_flight_messages_with_eclosed)
{
	fake_config cfg = { .drop_on_publish = 1 };
	/* A long request timeout: only pipe-loss detection can pass this. */
	start(&cfg, 15000);
	sluice_producer *p = producer(1000, 1, 1000, 1);
	/* The first publish makes the broker drop the connection; the client
	 * may notice before the later ones are submitted. Either way each
	 * message hears ECLOSED: refused at once, or through its callback. */
	sluice_err submit[4];
	for (int i = 0; i < 4; i++) {
		sluice_msg *m = text_msg("m%d", i);
		submit[i] = sluice_publish_async(p, &m, record_cb, &out[i]);
		if (submit[i] != SLUICE_OK)
			sluice_msg_free(m);
	}
	cr_assert_eq(submit[0], SLUICE_OK);
	sluice_err rv = sluice_producer_flush(p);
	cr_assert_eq(rv, SLUICE_ECLOSED, "flush: %s", sluice_err_name(rv));
	for (int i = 0; i < 4; i++) {
		if (submit[i] == SLUICE_OK)
			cr_assert_eq(out[i].rv, SLUICE_ECLOSED, "message %d", i);
		else
			cr_assert_eq(submit[i], SLUICE_ECLOSED, "message %d: %s", i,
			    sluice_err_name(submit[i]));
	}
	sluice_msg *m = text_msg("after%d", 0);
	rv = sluice_publish_async(p, &m, NULL, NULL);
	cr_assert_eq(rv, SLUICE_ECLOSED, "got %s", sluice_err_name(rv));
	sluice_msg_free(m);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}

Test(producer, close_sends_what_is_batched)
{
	start(NULL, 0);
	sluice_producer *p = producer(1000, 10000, 1000, 1);
	cr_assert_eq(publish_n(p, 5), SLUICE_OK);
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(atomic_load(&out[i].calls), 1, "message %d", i);
	cr_assert_eq(fake_broker_messages(fb), 5);
	finish();
}

Test(producer, bad_arguments_are_einval)
{
	start(NULL, 0);
	sluice_producer *p = NULL;
	cr_assert_eq(sluice_producer_open(&p, cl, "bad topic", NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_producer_open(&p, cl, "", NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_producer_open(&p, cl, "ok", NULL), SLUICE_OK);
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_publish_async(p, &m, NULL, NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_publish_async(p, NULL, NULL, NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_client_close(cl), SLUICE_EINVAL,
	    "a client with open producers must refuse to close");
	cr_assert_eq(sluice_producer_close(p), SLUICE_OK);
	finish();
}
