/*
 * test_crash.c - the durability promise under kill -9: several producers
 * publish in batches through libsluice to the real sluiced; the broker is
 * killed with SIGKILL mid-stream and restarted. Every acknowledged message
 * must be stored at its acknowledged offset, in order per producer, with
 * offsets gapless and no message stored twice.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/sluice.h"
#include "support.h"
#include "tlog.h"

TestSuite(crash, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 240);

#define PRODUCERS 4
#define PER_PRODUCER 25000
#define PAYLOAD 100

/* offset + 1 of each acked message; 0 = not acked */
static _Atomic uint64_t acked[PRODUCERS][PER_PRODUCER];
static atomic_long acked_total;
static atomic_int published_total;

typedef struct {
	int id;
	const char *url;
	sluice_err last;
} producer_arg;

static void
on_ack(sluice_producer *p, sluice_err rv, uint64_t offset, void *arg)
{
	(void) p;
	uintptr_t idx = (uintptr_t) arg;
	if (rv != SLUICE_OK)
		return;
	atomic_store(&acked[idx / PER_PRODUCER][idx % PER_PRODUCER], offset + 1);
	atomic_fetch_add(&acked_total, 1);
}

static void *
produce(void *argp)
{
	producer_arg *a = argp;
	sluice_opts *o;
	sluice_client *c = NULL;
	sluice_producer *p = NULL;
	sluice_opts_alloc(&o);
	sluice_opts_set_url(o, a->url);
	sluice_opts_set_request_timeout(o, 5000);
	a->last = sluice_client_open(&c, o);
	sluice_opts_free(o);
	if (a->last != SLUICE_OK)
		return NULL;
	if ((a->last = sluice_producer_open(&p, c, "crash", NULL)) != SLUICE_OK) {
		sluice_client_close(c);
		return NULL;
	}
	for (int seq = 0; seq < PER_PRODUCER; seq++) {
		char payload[PAYLOAD];
		memset(payload, '.', sizeof(payload));
		snprintf(payload, sizeof(payload), "%d:%d:", a->id, seq);
		sluice_msg *m;
		sluice_msg_alloc(&m);
		sluice_msg_set_payload(m, payload, sizeof(payload));
		sluice_err rv = sluice_publish_async(p, &m,
		    on_ack, (void *) (uintptr_t) (a->id * PER_PRODUCER + seq));
		sluice_msg_free(m);
		if (rv != SLUICE_OK) {
			a->last = rv;
			break;
		}
		atomic_fetch_add(&published_total, 1);
	}
	sluice_producer_close(p);
	sluice_client_close(c);
	return NULL;
}

typedef struct {
	uint64_t expect_offset;
	int last_seq[PRODUCERS];
	long stored;
	int bad;
	char why[256];
} verifier;

static int
verify_one(void *arg, uint64_t off, const Sluice__StoredMessage *m)
{
	verifier *v = arg;
	int id = -1, seq = -1;
	char text[32];
	snprintf(text, sizeof(text), "%.*s", (int) (m->payload.len < 31 ? m->payload.len : 31),
	    (const char *) m->payload.data);
	if (off != v->expect_offset) {
		snprintf(v->why, sizeof(v->why), "gap: offset %llu after %llu",
		    (unsigned long long) off, (unsigned long long) v->expect_offset);
		v->bad = 1;
		return 1;
	}
	v->expect_offset++;
	if (sscanf(text, "%d:%d:", &id, &seq) != 2 || id < 0 || id >= PRODUCERS ||
	    seq < 0 || seq >= PER_PRODUCER) {
		return 0; /* the message published after the restart */
	}
	if (seq <= v->last_seq[id]) {
		snprintf(v->why, sizeof(v->why), "producer %d: seq %d after %d at offset %llu "
		    "(reordered or duplicated)", id, seq, v->last_seq[id], (unsigned long long) off);
		v->bad = 1;
		return 1;
	}
	v->last_seq[id] = seq;
	uint64_t a = atomic_load(&acked[id][seq]);
	if (a != 0 && a - 1 != off) {
		snprintf(v->why, sizeof(v->why), "producer %d seq %d acked at %llu, stored at %llu",
		    id, seq, (unsigned long long) (a - 1), (unsigned long long) off);
		v->bad = 1;
		return 1;
	}
	if (a != 0)
		v->stored++;
	return 0;
}

static void
crash_and_verify(const char *fsync_mode)
{
	broker_proc bp;
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *extra[] = { "--fsync", fsync_mode, "--log-level", "warn", NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);

	pthread_t th[PRODUCERS];
	producer_arg args[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++) {
		args[i] = (producer_arg) { .id = i, .url = bp.url };
		pthread_create(&th[i], NULL, produce, &args[i]);
	}
	/* Kill the broker while the producers are still publishing. */
	for (int i = 0; i < 60000 && atomic_load(&acked_total) < 40000; i++)
		usleep(500);
	long before_kill = atomic_load(&acked_total);
	broker_kill9(&bp);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	long acked_n = atomic_load(&acked_total);
	cr_assert_geq(before_kill, 40000, "only %ld acked before the kill", before_kill);
	cr_assert_lt(acked_n, PRODUCERS * PER_PRODUCER,
	    "the kill should interrupt the producers (acked %ld)", acked_n);

	/* The restarted broker continues the offsets after what it stored. */
	cr_assert_eq(broker_restart(&bp), 0);
	sluice_opts *o;
	sluice_client *c;
	sluice_producer *p;
	sluice_msg *m;
	uint64_t after = 0;
	sluice_opts_alloc(&o);
	sluice_opts_set_url(o, bp.url);
	cr_assert_eq(sluice_client_open(&c, o), SLUICE_OK);
	sluice_opts_free(o);
	cr_assert_eq(sluice_producer_open(&p, c, "crash", NULL), SLUICE_OK);
	sluice_msg_alloc(&m);
	sluice_msg_set_payload(m, "after-restart", 13);
	cr_assert_eq(sluice_publish(p, &m, &after), SLUICE_OK);
	sluice_msg_free(m);
	sluice_producer_close(p);
	sluice_client_close(c);
	cr_assert_eq(broker_stop(&bp), 0, "clean stop after restart");

	tlog *l;
	tlog_topic *t;
	cr_assert_eq(tlog_open(&l, data), SLUICE_OK);
	cr_assert_eq(tlog_topic_find(l, "crash", &t), SLUICE_OK);
	cr_assert_eq(tlog_topic_head(t), after + 1, "the post-restart message is last");
	verifier v = { .expect_offset = 0 };
	for (int i = 0; i < PRODUCERS; i++)
		v.last_seq[i] = -1;
	sluice_err rv = tlog_read(l, t, 0, SIZE_MAX, verify_one, &v);
	cr_assert_eq(rv, SLUICE_OK, "%s", sluice_strerror(rv));
	cr_assert_not(v.bad, "%s", v.why);
	cr_assert_eq(v.expect_offset, after + 1);
	cr_assert_eq(v.stored, acked_n, "acked %ld, found %ld of them", acked_n, v.stored);
	tlog_close(l);
}

Test(crash, kill9_loses_no_acked_message_with_fsync_interval)
{
	crash_and_verify("interval");
}

Test(crash, kill9_loses_no_acked_message_with_fsync_always)
{
	crash_and_verify("always");
}
