/*
 * test_backpressure.c - producers that publish faster than the broker
 * writes: the broker stops reading until its writes catch up (bounded
 * memory), every acknowledged message is stored, nothing is dropped.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sluice/sluice.h"
#include "support.h"
#include "tlog.h"

TestSuite(backpressure, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 180);

#define PRODUCERS 3
#define PER_PRODUCER 40000
#define PAYLOAD 1024

static atomic_long acked;
static atomic_int done_producers;
static const char *url;

static void
on_ack(sluice_producer *p, sluice_err rv, uint64_t off, void *arg)
{
	(void) p;
	(void) off;
	(void) arg;
	if (rv == SLUICE_OK)
		atomic_fetch_add(&acked, 1);
}

static void *
flood(void *arg)
{
	(void) arg;
	sluice_opts *o;
	sluice_client *c;
	sluice_producer *p;
	sluice_producer_opts *po;
	sluice_opts_alloc(&o);
	sluice_opts_set_url(o, url);
	cr_assert_eq(sluice_client_open(&c, o), SLUICE_OK);
	sluice_opts_free(o);
	sluice_producer_opts_alloc(&po);
	sluice_producer_opts_set_window(po, 20000);
	cr_assert_eq(sluice_producer_open(&p, c, "flood", po), SLUICE_OK);
	sluice_producer_opts_free(po);
	static char payload[PAYLOAD];
	memset(payload, 'f', sizeof(payload));
	for (int i = 0; i < PER_PRODUCER; i++) {
		sluice_msg *m;
		sluice_msg_alloc(&m);
		sluice_msg_set_payload(m, payload, sizeof(payload));
		cr_assert_eq(sluice_publish_async(p, &m, on_ack, NULL), SLUICE_OK);
	}
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	sluice_producer_close(p);
	sluice_client_close(c);
	atomic_fetch_add(&done_producers, 1);
	return NULL;
}

Test(backpressure, fast_producers_are_slowed_not_dropped_and_memory_stays_bounded)
{
	broker_proc bp;
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *extra[] = { "--max-pending-bytes", "1048576", "--log-level", "debug", NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	url = bp.url;
	pthread_t th[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++)
		pthread_create(&th[i], NULL, flood, NULL);
	long max_rss = 0;
	while (atomic_load(&done_producers) < PRODUCERS) {
		long rss = broker_rss_kib(&bp);
		if (rss > max_rss)
			max_rss = rss;
		usleep(20000);
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(atomic_load(&acked), PRODUCERS * PER_PRODUCER);
	/* 120 MB went through; the broker keeps far less than that.
	 * AddressSanitizer's shadow memory and quarantine add their own. */
#ifdef __SANITIZE_ADDRESS__
	long bound_kib = 1024 * 1024;
#else
	long bound_kib = 256 * 1024;
#endif
	cr_log_info("broker RSS peaked at %ld KiB", max_rss);
	cr_assert_lt(max_rss, bound_kib, "broker RSS peaked at %ld KiB", max_rss);
	cr_assert_eq(broker_stop(&bp), 0);
	static char log[1 << 20];
	broker_log_read(&bp, log, sizeof(log));
	cr_assert(strstr(log, "backpressure: reading paused") != NULL,
	    "the broker never had to push back");

	tlog *l;
	tlog_topic *t;
	cr_assert_eq(tlog_open(&l, data), SLUICE_OK);
	cr_assert_eq(tlog_topic_find(l, "flood", &t), SLUICE_OK);
	cr_assert_eq(tlog_topic_head(t), PRODUCERS * PER_PRODUCER);
	tlog_close(l);
}
