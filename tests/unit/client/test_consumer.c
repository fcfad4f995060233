/*
 * test_consumer.c - consumer.c and record.c against the fake broker:
 * credit (fetches never ask beyond the window), acks piggybacked and merged
 * into ranges, the ack linger, receive timeouts, handler delivery, broker
 * errors passing through, close and unsubscribe, record accessors,
 * connection loss; nacks with a delay and a reason, and a new
 * subscription's policies in Subscribe (issue #6).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fake_broker.h"
#include "sluice.pb-c.h"
#include "sluice/sluice.h"

static fake_broker *fb;
static sluice_client *cl;

static void
start(const fake_config *cfg)
{
	sluice_opts *o = NULL;
	sluice_err rv = fake_broker_start(&fb, cfg);
	cr_assert_eq(rv, SLUICE_OK, "fake broker: %s", sluice_strerror(rv));
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, fake_broker_url(fb)), SLUICE_OK);
	rv = sluice_client_open(&cl, o);
	sluice_opts_free(o);
	cr_assert_eq(rv, SLUICE_OK, "client open: %s", sluice_strerror(rv));
}

static void
finish(void)
{
	sluice_err rv = sluice_client_close(cl);
	cr_assert_eq(rv, SLUICE_OK, "client close: %s", sluice_strerror(rv));
	fake_broker_stop(fb);
}

static sluice_err
open_consumer(sluice_consumer **k, sluice_sub_type type, sluice_sub_mode mode,
    uint32_t window)
{
	sluice_consumer_opts *co = NULL;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_type(co, type), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_mode(co, mode), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_window(co, window), SLUICE_OK);
	sluice_err rv = sluice_consumer_open(k, cl, "orders", "audit", co);
	sluice_consumer_opts_free(co);
	return rv;
}

static sluice_consumer *
consumer(uint32_t window)
{
	sluice_consumer *k = NULL;
	sluice_err rv = open_consumer(&k, SLUICE_SUB_EXCLUSIVE, SLUICE_RELIABLE,
	    window);
	cr_assert_eq(rv, SLUICE_OK, "consumer open: %s", sluice_strerror(rv));
	return k;
}

static void
sleep_ms(int ms)
{
	nanosleep(&(struct timespec) { ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static sluice_record *
receive(sluice_consumer *k, int ms)
{
	sluice_record *r = NULL;
	sluice_err rv = sluice_receive(k, &r, ms);
	cr_assert_eq(rv, SLUICE_OK, "receive: %s", sluice_err_name(rv));
	cr_assert_not_null(r);
	return r;
}

static int
fetches_at_least(const fake_stats *s, uint32_t n)
{
	return s->fetches >= n;
}

static int
acked_at_least(const fake_stats *s, uint32_t n)
{
	return s->acked >= n;
}

TestSuite(consumer, .timeout = 20);

Test(consumer, window_of_one_sends_no_second_fetch_until_the_ack)
{
	start(NULL);
	fake_broker_produce(fb, 3);
	sluice_consumer *k = consumer(1);
	for (uint64_t i = 0; i < 3; i++) {
		sluice_record *r = receive(k, 2000);
		cr_assert_eq(sluice_record_offset(r), i);
		/* Holding one record: nothing more may be asked for. */
		sleep_ms(50);
		fake_stats s = fake_broker_stats(fb);
		cr_assert_eq(s.fetches, i + 1, "%u fetches while holding %llu",
		    s.fetches, (unsigned long long) i);
		sluice_record *extra = NULL;
		cr_assert_eq(sluice_receive(k, &extra, 0), SLUICE_ETIMEDOUT);
		cr_assert_eq(sluice_ack(k, i), SLUICE_OK);
		sluice_record_free(r);
		/* The ack rides on the next fetch, at once. */
		cr_assert(fake_broker_wait(fb, fetches_at_least, (uint32_t) i + 2, 1000));
		fake_fetch f;
		cr_assert(fake_broker_fetch(fb, (uint32_t) i + 1, &f));
		cr_assert_eq(f.max_records, 1);
		cr_assert_eq(f.ack_ranges, 1, "fetch %llu carried %u ranges",
		    (unsigned long long) i + 1, f.ack_ranges);
		cr_assert_eq(f.acked, 1);
	}
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.credit_violations, 0);
	cr_assert_eq(s.max_unacked, 1);
	cr_assert_eq(s.acks, 0, "acks went alone instead of on fetches");
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, fetches_never_ask_beyond_window_minus_held)
{
	start(NULL);
	fake_broker_produce(fb, 600);
	sluice_consumer *k = consumer(16);
	/* Hold a growing number of records, ack in bursts, out of order. */
	sluice_record *held[16];
	size_t nheld = 0;
	for (int got = 0; got < 600; got++) {
		held[nheld++] = receive(k, 3000);
		if (nheld == 16 || (got % 7) == 3) {
			for (size_t j = nheld; j-- > 0;) {
				cr_assert_eq(sluice_ack(k, sluice_record_offset(held[j])),
				    SLUICE_OK);
				sluice_record_free(held[j]);
			}
			nheld = 0;
		}
	}
	for (size_t j = 0; j < nheld; j++) {
		sluice_ack(k, sluice_record_offset(held[j]));
		sluice_record_free(held[j]);
	}
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.credit_violations, 0, "%u fetches asked too much",
	    s.credit_violations);
	cr_assert_leq(s.max_unacked, 16);
	cr_assert_eq(s.delivered, 600);
	for (uint32_t i = 0; i < s.fetches; i++) {
		fake_fetch f;
		cr_assert(fake_broker_fetch(fb, i, &f));
		cr_assert_gt(f.max_records, 0);
		cr_assert_leq(f.max_records, 16);
		cr_assert_leq(f.max_wait_ms, 5000, "wait must stay under timeouts");
	}
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, acks_merge_into_ranges_and_go_after_a_short_linger)
{
	start(NULL);
	fake_broker_produce(fb, 10);
	sluice_consumer *k = consumer(100);
	sluice_record *r[10];
	for (int i = 0; i < 10; i++)
		r[i] = receive(k, 2000);
	/* Both fetches are now parked at the broker: nothing to ride on. */
	cr_assert(fake_broker_wait(fb, fetches_at_least, 2, 1000));
	sleep_ms(20);
	uint32_t fetches = fake_broker_stats(fb).fetches;
	uint64_t t0 = now_ms();
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(sluice_ack(k, sluice_record_offset(r[i])), SLUICE_OK);
		sluice_record_free(r[i]);
	}
	cr_assert(fake_broker_wait(fb, acked_at_least, 10, 2000));
	uint64_t took = now_ms() - t0;
	fake_stats s = fake_broker_stats(fb);
	cr_assert_leq(took, 200, "acks took %llu ms", (unsigned long long) took);
	cr_assert_eq(s.fetches, fetches, "parked fetches stay parked");
	cr_assert_geq(s.acks, 1);
	cr_assert_leq(s.ack_ranges, 2, "10 adjacent acks in %u ranges",
	    s.ack_ranges);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, flush_acks_waits_for_the_broker)
{
	start(NULL);
	fake_broker_produce(fb, 5);
	sluice_consumer *k = consumer(100);
	for (int i = 0; i < 5; i++) {
		sluice_record *r = receive(k, 2000);
		/* Every other offset: ranges must not merge across holes. */
		if (i % 2 == 0)
			cr_assert_eq(sluice_ack(k, sluice_record_offset(r)), SLUICE_OK);
		sluice_record_free(r);
	}
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.acked, 3, "acked %u", s.acked);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, receive_times_out_when_nothing_comes)
{
	start(NULL);
	sluice_consumer *k = consumer(10);
	sluice_record *r = NULL;
	uint64_t t0 = now_ms();
	sluice_err rv = sluice_receive(k, &r, 150);
	uint64_t took = now_ms() - t0;
	cr_assert_eq(rv, SLUICE_ETIMEDOUT, "got %s", sluice_err_name(rv));
	cr_assert_null(r);
	cr_assert_geq(took, 140);
	cr_assert_leq(took, 1000);
	cr_assert_eq(sluice_receive(k, &r, 0), SLUICE_ETIMEDOUT);
	/* A message that comes later is received. */
	fake_broker_produce(fb, 1);
	r = receive(k, 3000);
	cr_assert_eq(sluice_record_offset(r), 0);
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

typedef struct {
	pthread_mutex_t mu;
	uint64_t        offsets[200];
	atomic_int      n;
	int             acked_ok;
} seen;

static void
on_message(sluice_consumer *k, sluice_record *r, void *arg)
{
	seen *s = arg;
	int i = atomic_load(&s->n);
	if (i < 200)
		s->offsets[i] = sluice_record_offset(r);
	if (sluice_ack(k, sluice_record_offset(r)) != SLUICE_OK)
		s->acked_ok = 0;
	sluice_record_free(r);
	atomic_store(&s->n, i + 1);
}

Test(consumer, handler_gets_every_message_in_order)
{
	start(NULL);
	fake_broker_produce(fb, 150);
	sluice_consumer *k = consumer(8);
	static seen s;
	s.acked_ok = 1;
	cr_assert_eq(sluice_consumer_set_handler(k, on_message, &s), SLUICE_OK);
	sluice_record *r = NULL;
	cr_assert_eq(sluice_receive(k, &r, 0), SLUICE_EINVAL,
	    "receive is refused with a handler");
	for (int i = 0; i < 300 && atomic_load(&s.n) < 150; i++)
		sleep_ms(10);
	cr_assert_eq(atomic_load(&s.n), 150);
	for (int i = 0; i < 150; i++)
		cr_assert_eq(s.offsets[i], (uint64_t) i, "position %d", i);
	cr_assert(s.acked_ok);
	cr_assert_eq(sluice_consumer_set_handler(k, on_message, &s), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(fake_broker_stats(fb).credit_violations, 0);
	finish();
}

Test(consumer, cumulative_ack_on_shared_is_refused)
{
	start(NULL);
	fake_broker_produce(fb, 1);
	sluice_consumer *k = NULL;
	cr_assert_eq(open_consumer(&k, SLUICE_SUB_SHARED, SLUICE_RELIABLE, 10),
	    SLUICE_OK);
	sluice_record *r = receive(k, 2000);
	sluice_err rv = sluice_ack_cumulative(k, sluice_record_offset(r));
	cr_assert_eq(rv, SLUICE_ENOTSUPP, "got %s", sluice_err_name(rv));
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, broker_ack_errors_pass_through_flush)
{
	fake_config cfg = { .ack_status = SLUICE_ENOTSUPP };
	start(&cfg);
	fake_broker_produce(fb, 3);
	sluice_consumer *k = consumer(10);
	for (int i = 0; i < 3; i++)
		sluice_record_free(receive(k, 2000));
	cr_assert_eq(sluice_ack_cumulative(k, 2), SLUICE_OK);
	sluice_err rv = sluice_consumer_flush_acks(k);
	cr_assert_eq(rv, SLUICE_ENOTSUPP, "got %s", sluice_err_name(rv));
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.acks, 1);
	/* Reported once. */
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, cumulative_ack_reaches_the_broker)
{
	start(NULL);
	fake_broker_produce(fb, 4);
	sluice_consumer *k = consumer(4);
	for (int i = 0; i < 4; i++)
		sluice_record_free(receive(k, 2000));
	cr_assert_eq(sluice_ack_cumulative(k, 3), SLUICE_OK);
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	fake_stats s = fake_broker_stats(fb);
	cr_assert(s.has_cumulative);
	cr_assert_eq(s.cumulative, 3);
	cr_assert_eq(s.acked, 4);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, exclusive_busy_passes_through_open)
{
	fake_config cfg = { .subscribe_status = SLUICE_ECONSUMERBUSY };
	start(&cfg);
	sluice_consumer *k = NULL;
	sluice_err rv = open_consumer(&k, SLUICE_SUB_EXCLUSIVE, SLUICE_RELIABLE, 10);
	cr_assert_eq(rv, SLUICE_ECONSUMERBUSY, "got %s", sluice_err_name(rv));
	cr_assert_null(k);
	finish(); /* no consumer left registered */
}

static int
unsubscribed(const fake_stats *s, uint32_t n)
{
	return s->unsubscribes >= n;
}

Test(consumer, close_flushes_acks_and_unsubscribes_without_deleting)
{
	start(NULL);
	fake_broker_produce(fb, 2);
	sluice_consumer *k = consumer(100);
	sluice_record *a = receive(k, 2000);
	sluice_record *b = receive(k, 2000);
	cr_assert_eq(sluice_ack(k, sluice_record_offset(a)), SLUICE_OK);
	/* Close with the ack pending and a record still queued-unacked. */
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.unsubscribes, 1);
	cr_assert_eq(s.deleted, 0);
	cr_assert_eq(s.acked, 1);
	/* Records outlive their consumer. */
	cr_assert_eq(sluice_record_offset(b), 1);
	sluice_record_free(a);
	sluice_record_free(b);
	finish();
}

Test(consumer, unsubscribe_deletes_the_subscription)
{
	start(NULL);
	sluice_consumer *k = consumer(10);
	cr_assert_eq(sluice_consumer_unsubscribe(k), SLUICE_OK);
	cr_assert(fake_broker_wait(fb, unsubscribed, 1, 100));
	cr_assert_eq(fake_broker_stats(fb).deleted, 1);
	finish();
}

Test(consumer, close_with_queued_records_frees_them)
{
	start(NULL);
	fake_broker_produce(fb, 50);
	sluice_consumer *k = consumer(50);
	sluice_record_free(receive(k, 2000));
	sleep_ms(50); /* let the rest arrive and queue */
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, record_accessors_expose_the_stored_message)
{
	start(NULL);
	fake_broker_produce(fb, 2);
	sluice_consumer *k = consumer(10);
	sluice_record *r = receive(k, 2000);
	size_t len = 0;
	const void *p = sluice_record_payload(r, &len);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(p, "m0", 2), 0);
	const void *key = sluice_record_key(r, &len);
	cr_assert_not_null(key);
	cr_assert_eq(len, 2);
	cr_assert_eq(memcmp(key, "k0", 2), 0);
	cr_assert_eq(sluice_record_attempt(r), 1);
	cr_assert_eq(sluice_record_publish_time(r), 1000000);
	cr_assert_eq(sluice_record_event_time(r), 500);
	cr_assert_eq(sluice_record_sequence(r), 1);
	cr_assert_eq(sluice_record_property_count(r), 1);
	cr_assert_str_eq(sluice_record_property(r, "n"), "0");
	cr_assert_null(sluice_record_property(r, "missing"));
	const char *pk, *pv;
	cr_assert_eq(sluice_record_property_at(r, 0, &pk, &pv), SLUICE_OK);
	cr_assert_str_eq(pk, "n");
	cr_assert_str_eq(pv, "0");
	cr_assert_eq(sluice_record_property_at(r, 1, &pk, &pv), SLUICE_EINVAL);
	sluice_record *r1 = receive(k, 2000);
	cr_assert_eq(sluice_record_offset(r1), 1);
	cr_assert_null(sluice_record_key(r1, &len), "odd offsets have no key");
	cr_assert_eq(len, 0);
	/* Freed in reverse order: they share one Deliver. */
	sluice_record_free(r1);
	sluice_record_free(r);
	sluice_record_free(NULL);
	cr_assert(sluice_consumer_is_active(k));
	cr_assert_eq(sluice_consumer_dropped(k), 0);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, nack_asks_for_redelivery)
{
	start(NULL);
	fake_broker_produce(fb, 1);
	sluice_consumer *k = consumer(1);
	sluice_record *r = receive(k, 2000);
	cr_assert_eq(sluice_record_attempt(r), 1);
	cr_assert_eq(sluice_nack(k, 0), SLUICE_OK);
	sluice_record_free(r);
	r = receive(k, 3000);
	cr_assert_eq(sluice_record_offset(r), 0);
	cr_assert_eq(sluice_record_attempt(r), 2);
	cr_assert_eq(sluice_ack(k, 0), SLUICE_OK);
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(fake_broker_stats(fb).credit_violations, 0);
	finish();
}

Test(consumer, non_reliable_sends_no_acks_and_asks_for_local_room)
{
	fake_config cfg = { .dropped = 7 };
	start(&cfg);
	fake_broker_produce(fb, 30);
	sluice_consumer *k = NULL;
	cr_assert_eq(open_consumer(&k, SLUICE_SUB_EXCLUSIVE, SLUICE_NON_RELIABLE, 4),
	    SLUICE_OK);
	for (uint64_t i = 0; i < 30; i++) {
		sluice_record *r = receive(k, 2000);
		cr_assert_eq(sluice_record_offset(r), i);
		cr_assert_eq(sluice_ack(k, i), SLUICE_OK, "a no-op, but OK");
		sluice_record_free(r);
	}
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.sub_mode, SLUICE_NON_RELIABLE);
	cr_assert_eq(s.acks, 0);
	for (uint32_t i = 0; i < s.fetches; i++) {
		fake_fetch f;
		cr_assert(fake_broker_fetch(fb, i, &f));
		cr_assert_eq(f.ack_ranges, 0);
		cr_assert_leq(f.max_records, 4);
	}
	cr_assert_eq(sluice_consumer_dropped(k), 7);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, standby_consumer_reports_inactive_without_spinning)
{
	fake_config cfg = { .inactive = 1, .no_park = 1 };
	start(&cfg);
	sluice_consumer *k = NULL;
	cr_assert_eq(open_consumer(&k, SLUICE_SUB_FAILOVER, SLUICE_RELIABLE, 10),
	    SLUICE_OK);
	sleep_ms(300);
	cr_assert_not(sluice_consumer_is_active(k));
	/* Answered empty at once: fetches back off instead of spinning. */
	uint32_t n = fake_broker_stats(fb).fetches;
	cr_assert_leq(n, 60, "%u fetches in 300 ms", n);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, lost_connection_ends_receive_with_eclosed_after_the_queue)
{
	start(NULL);
	fake_broker_produce(fb, 2);
	sluice_consumer *k = consumer(10);
	sluice_record *r = receive(k, 2000);
	sleep_ms(50);
	fake_broker_drop(fb);
	/* What already arrived is still delivered. */
	sluice_record *r1 = receive(k, 2000);
	cr_assert_eq(sluice_record_offset(r1), 1);
	sluice_record *none = NULL;
	sluice_err rv = sluice_receive(k, &none, 3000);
	cr_assert_eq(rv, SLUICE_ECLOSED, "got %s", sluice_err_name(rv));
	sluice_record_free(r);
	sluice_record_free(r1);
	rv = sluice_consumer_close(k);
	cr_assert_eq(rv, SLUICE_ECLOSED, "got %s", sluice_err_name(rv));
	finish();
}

Test(consumer, client_close_is_refused_while_a_consumer_is_open)
{
	start(NULL);
	sluice_consumer *k = consumer(10);
	cr_assert_eq(sluice_client_close(cl), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, bad_arguments_are_einval)
{
	start(NULL);
	sluice_consumer *k = NULL;
	cr_assert_eq(sluice_consumer_open(&k, cl, "bad topic", "s", NULL),
	    SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_open(&k, cl, "t", "", NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_open(NULL, cl, "t", "s", NULL), SLUICE_EINVAL);
	sluice_consumer_opts *co = NULL;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_window(co, 0), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_opts_set_window(co, 65536), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_opts_set_type(co, (sluice_sub_type) 9),
	    SLUICE_EINVAL);
	sluice_consumer_opts_free(co);
	cr_assert_eq(sluice_receive(NULL, NULL, 0), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_close(NULL), SLUICE_EINVAL);
	/* Defaults when opts is NULL: exclusive, reliable, window 1000. */
	cr_assert_eq(sluice_consumer_open(&k, cl, "t", "s", NULL), SLUICE_OK);
	fake_stats s = fake_broker_stats(fb);
	cr_assert_eq(s.sub_window, 1000);
	cr_assert_eq(s.sub_type, SLUICE_SUB_EXCLUSIVE);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

/* ---- issue #6: nack delay and reason, subscription policies ---------- */

static int
nacked_at_least(const fake_stats *s, uint32_t n)
{
	return s->nacked >= n;
}

/* Offsets nacked with this delay and reason, over every Ack seen. */
static uint32_t
nacked_with(uint32_t delay_ms, const char *reason)
{
	uint32_t n = fake_broker_nacks(fb, 0, NULL), total = 0;
	cr_assert_leq(n, FAKE_MAX_NACKS);
	for (uint32_t i = 0; i < n; i++) {
		fake_nack fn;
		fake_broker_nacks(fb, i, &fn);
		if (fn.delay_ms == delay_ms && strcmp(fn.reason, reason) == 0)
			total += fn.offsets;
	}
	return total;
}

Test(consumer, nack_ex_sends_its_delay_and_reason_in_the_ack)
{
	start(NULL);
	fake_broker_produce(fb, 4);
	sluice_consumer *k = consumer(4);
	for (int i = 0; i < 4; i++)
		sluice_record_free(receive(k, 2000));
	cr_assert_eq(sluice_nack_ex(k, 0, 250, "bad json"), SLUICE_OK);
	cr_assert_eq(sluice_nack_ex(k, 1, 250, "bad json"), SLUICE_OK);
	cr_assert_eq(sluice_nack_ex(k, 2, 0, "db down"), SLUICE_OK);
	cr_assert_eq(sluice_nack(k, 3), SLUICE_OK);
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	cr_assert(fake_broker_wait(fb, nacked_at_least, 4, 3000));
	/* One Ack per (delay, reason): they never share a request. */
	cr_assert_eq(nacked_with(250, "bad json"), 2);
	cr_assert_eq(nacked_with(0, "db down"), 1);
	cr_assert_eq(nacked_with(0, ""), 1, "plain sluice_nack: no delay, no reason");
	cr_assert_geq(fake_broker_nacks(fb, 0, NULL), 3);
	/* The nacked messages come back (the fake ignores the delay). */
	for (int i = 0; i < 4; i++) {
		sluice_record *r = receive(k, 3000);
		cr_assert_eq(sluice_record_attempt(r), 2);
		cr_assert_eq(sluice_ack(k, sluice_record_offset(r)), SLUICE_OK);
		sluice_record_free(r);
	}
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(fake_broker_stats(fb).credit_violations, 0);
	finish();
}

Test(consumer, nack_ex_refuses_a_reason_over_the_limit_and_keeps_the_credit)
{
	start(NULL);
	fake_broker_produce(fb, 1);
	sluice_consumer *k = consumer(1);
	sluice_record *r = receive(k, 2000);
	char big[SLUICE_NACK_REASON_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(sluice_nack_ex(k, 0, 0, big), SLUICE_EINVAL);
	cr_assert_eq(sluice_nack_ex(NULL, 0, 0, NULL), SLUICE_EINVAL);
	big[SLUICE_NACK_REASON_MAX] = '\0'; /* exactly the limit: fine */
	cr_assert_eq(sluice_nack_ex(k, 0, 10, big), SLUICE_OK);
	cr_assert(fake_broker_wait(fb, nacked_at_least, 1, 3000));
	fake_nack fn;
	cr_assert_eq(fake_broker_nacks(fb, 0, &fn), 1);
	cr_assert_eq(fn.delay_ms, 10);
	cr_assert_eq(fn.first, 0);
	cr_assert_eq(strlen(fn.reason), sizeof(fn.reason) - 1, "truncated by the fake only");
	sluice_record_free(r);
	sluice_record_free(receive(k, 3000));
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	cr_assert_eq(fake_broker_stats(fb).credit_violations, 0);
	finish();
}

Test(consumer, nack_ex_on_non_reliable_does_nothing)
{
	start(NULL);
	fake_broker_produce(fb, 1);
	sluice_consumer *k = NULL;
	cr_assert_eq(open_consumer(&k, SLUICE_SUB_SHARED, SLUICE_NON_RELIABLE, 10),
	    SLUICE_OK);
	sluice_record *r = receive(k, 2000);
	cr_assert_eq(sluice_nack_ex(k, sluice_record_offset(r), 5, "x"), SLUICE_OK);
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_flush_acks(k), SLUICE_OK);
	cr_assert_eq(fake_broker_nacks(fb, 0, NULL), 0);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, key_shared_goes_on_the_wire_and_refuses_cumulative_acks)
{
	start(NULL);
	fake_broker_produce(fb, 1);
	sluice_consumer *k = NULL;
	cr_assert_eq(open_consumer(&k, SLUICE_SUB_KEY_SHARED, SLUICE_RELIABLE, 10),
	    SLUICE_OK);
	cr_assert_eq(fake_broker_stats(fb).sub_type, SLUICE__SUB_TYPE__SUB_KEY_SHARED);
	sluice_record *r = receive(k, 2000);
	sluice_err rv = sluice_ack_cumulative(k, sluice_record_offset(r));
	cr_assert_eq(rv, SLUICE_ENOTSUPP, "got %s", sluice_err_name(rv));
	cr_assert_eq(sluice_ack(k, sluice_record_offset(r)), SLUICE_OK);
	sluice_record_free(r);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, without_policy_options_subscribe_leaves_the_policies_unset)
{
	start(NULL);
	sluice_consumer *k = consumer(10);
	Sluice__Subscribe *s = fake_broker_last_subscribe(fb);
	cr_assert_not_null(s);
	cr_assert_null(s->policy);
	cr_assert_null(s->dispatch_limit);
	cr_assert_null(s->breaker);
	sluice__subscribe__free_unpacked(s, NULL);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, policy_options_fill_subscribe_and_only_what_was_set)
{
	start(NULL);
	sluice_consumer_opts *co = NULL;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	char dlq[] = "orders.failed";
	sluice_failure_policy p = SLUICE_FAILURE_POLICY_INIT;
	p.has_ack_timeout = 1;
	p.ack_timeout_ms = 0; /* off: a set zero is sent */
	p.backoff = SLUICE_BACKOFF_FIXED;
	p.has_backoff_base = 1;
	p.backoff_base_ms = 250;
	p.has_max_redeliveries = 1;
	p.max_redeliveries = 3;
	p.on_exhausted = SLUICE_EXHAUSTED_PARK;
	p.dead_letter_topic = dlq;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	dlq[0] = 'X'; /* copied: the caller's buffer is not kept */
	cr_assert_eq(sluice_consumer_opts_set_dispatch_limit(co, 100, 0), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_breaker(co, 4, 500, 8000), SLUICE_OK);
	sluice_consumer *k = NULL;
	sluice_err rv = sluice_consumer_open(&k, cl, "orders", "audit", co);
	sluice_consumer_opts_free(co);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));

	Sluice__Subscribe *s = fake_broker_last_subscribe(fb);
	cr_assert_not_null(s);
	const Sluice__FailurePolicy *fp = s->policy;
	cr_assert_not_null(fp);
	cr_assert_not_null(fp->ack_timeout_ms);
	cr_assert_eq(fp->ack_timeout_ms->value, 0);
	cr_assert_eq(fp->backoff, SLUICE__BACKOFF_KIND__BACKOFF_FIXED);
	cr_assert_not_null(fp->backoff_base_ms);
	cr_assert_eq(fp->backoff_base_ms->value, 250);
	cr_assert_null(fp->backoff_max_ms, "not set: the broker's default");
	cr_assert_null(fp->backoff_jitter_pct);
	cr_assert_not_null(fp->max_redeliveries);
	cr_assert_eq(fp->max_redeliveries->value, 3);
	cr_assert_eq(fp->on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK);
	cr_assert_str_eq(fp->dead_letter_topic, "orders.failed");
	cr_assert_not_null(s->dispatch_limit);
	cr_assert_eq(s->dispatch_limit->msgs_per_sec->value, 100);
	cr_assert_eq(s->dispatch_limit->bytes_per_sec->value, 0);
	cr_assert_not_null(s->breaker);
	cr_assert_eq(s->breaker->failures->value, 4);
	cr_assert_eq(s->breaker->cooldown_ms->value, 500);
	cr_assert_eq(s->breaker->cooldown_max_ms->value, 8000);
	sluice__subscribe__free_unpacked(s, NULL);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}

Test(consumer, a_policy_with_only_an_enum_set_is_still_sent)
{
	start(NULL);
	sluice_consumer_opts *co = NULL;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	sluice_failure_policy p = SLUICE_FAILURE_POLICY_INIT;
	p.on_exhausted = SLUICE_EXHAUSTED_DROP;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	sluice_consumer *k = NULL;
	cr_assert_eq(sluice_consumer_open(&k, cl, "orders", "audit", co), SLUICE_OK);
	sluice_consumer_opts_free(co);
	Sluice__Subscribe *s = fake_broker_last_subscribe(fb);
	cr_assert_not_null(s->policy);
	cr_assert_eq(s->policy->on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_DROP);
	cr_assert_eq(s->policy->backoff, SLUICE__BACKOFF_KIND__BACKOFF_UNSET);
	cr_assert_null(s->policy->ack_timeout_ms);
	cr_assert_str_eq(s->policy->dead_letter_topic, "");
	cr_assert_null(s->breaker);
	sluice__subscribe__free_unpacked(s, NULL);
	cr_assert_eq(sluice_consumer_close(k), SLUICE_OK);
	finish();
}
