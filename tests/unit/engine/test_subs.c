/*
 * test_subs.c - the subscription engine over a real topic log in a temp
 * dir, with the broker's network replaced by a fake subs_io that decodes
 * each Deliver frame.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "subs.h"
#include "support.h"

TestSuite(subs_engine, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 30);

static uint64_t got[4096];
static uint32_t got_attempt[4096];
static size_t ngot, nframes;

static void
fake_deliver(void *arg, consumer *c, void *ctx, const uint8_t *frame, size_t len)
{
	(void) arg;
	(void) c;
	(void) ctx;
	Sluice__Reply *r;
	cr_assert_eq(codec_reply_unpack(frame, len, &r), SLUICE_OK);
	for (size_t i = 0; i < r->deliver->n_records; i++) {
		got_attempt[ngot] = r->deliver->records[i]->attempt;
		got[ngot++] = r->deliver->records[i]->offset;
	}
	nframes++;
	codec_reply_free(r);
}

static uint64_t
fake_request_id(void *arg, void *ctx)
{
	(void) arg;
	(void) ctx;
	return 1;
}

static const subs_io io = { fake_deliver, fake_request_id, NULL };
static char dir[600];

static void
open_all(tlog **l, subs **s)
{
	snprintf(dir, sizeof(dir), "%s/db", tmpdir_path());
	cr_assert_eq(tlog_open(l, dir), SLUICE_OK);
	cr_assert_eq(subs_open(s, *l, &io), SLUICE_OK);
}

static void
publish(tlog *l, subs *s, tlog_topic *t, size_t n)
{
	Sluice__Message m = SLUICE__MESSAGE__INIT, *ptrs[64];
	m.payload.data = (uint8_t *) "x";
	m.payload.len = 1;
	for (size_t i = 0; i < 64; i++)
		ptrs[i] = &m;
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	while (n > 0) {
		size_t k = n > 64 ? 64 : n;
		uint64_t base;
		cr_assert_eq(tlog_batch_append(b, t, ptrs, k, 1, &base), SLUICE_OK);
		tlog_batch_seal(b);
		cr_assert_eq(tlog_batch_write(b, 0), SLUICE_OK);
		tlog_batch_done(b, SLUICE_OK);
		subs_on_commit(s, t, ptrs, k, base, 1);
		subs_wake(s, t);
		n -= k;
	}
	tlog_batch_free(b);
}

static consumer *
attach(subs *s, tlog_topic *t, Sluice__SubType type, uint32_t window)
{
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	req.topic = (char *) "t";
	req.subscription = (char *) "s";
	req.type = type;
	req.window = window;
	req.start = SLUICE__START_AT__START_EARLIEST;
	req.consumer_name = (char *) "unit";
	consumer *c = NULL;
	char detail[256];
	sluice_err rv = subs_attach(s, t, &req, NULL, &c, detail, sizeof(detail));
	cr_assert_eq(rv, SLUICE_OK, "%s", detail);
	return c;
}

static uint32_t
ack(subs *s, consumer *c, uint64_t first, uint64_t last)
{
	Sluice__AckRange r = SLUICE__ACK_RANGE__INIT;
	const Sluice__AckRange *rp[] = { &r };
	r.first = first;
	r.last = last;
	uint32_t applied, ignored;
	cr_assert_eq(subs_ack(s, c, rp, 1, 0, 0, NULL, 0, &applied, &ignored), SLUICE_OK);
	return applied;
}

Test(subs_engine, lag_and_oldest_unacked_follow_deliveries_and_acks)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	publish(l, s, t, 100);
	consumer *c = attach(s, t, SLUICE__SUB_TYPE__SUB_EXCLUSIVE, 10);
	subs_fetch(s, c, NULL, 100, 1000);
	cr_assert_eq(ngot, 10, "the window bounds one fetch");
	subs_stats st;
	cr_assert_eq(subs_get_stats(s, t, "s", 500, &st), SLUICE_OK);
	cr_assert_eq(st.lag, 100);
	cr_assert_eq(st.unacked, 10);
	cr_assert_eq(st.oldest_unacked_offset, 0);
	cr_assert_eq(st.oldest_unacked_ms, 500);
	cr_assert_eq(ack(s, c, 0, 4), 5);
	cr_assert_eq(ack(s, c, 7, 7), 1);
	cr_assert_eq(subs_get_stats(s, t, "s", 600, &st), SLUICE_OK);
	cr_assert_eq(st.floor, 5);
	cr_assert_eq(st.lag, 95);
	cr_assert_eq(st.ack_holes, 1);
	cr_assert_eq(st.unacked, 4);
	cr_assert_eq(st.oldest_unacked_offset, 5);
	cr_assert_eq(subs_get_stats(s, t, "nope", 0, &st), SLUICE_ENOTOPIC);
	subs_close(s);
	tlog_close(l);
}

Test(subs_engine, cursor_and_attempts_survive_a_reopen)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	publish(l, s, t, 20);
	consumer *c = attach(s, t, SLUICE__SUB_TYPE__SUB_SHARED, 20);
	subs_fetch(s, c, NULL, 20, 1000);
	cr_assert_eq(ngot, 20);
	ack(s, c, 0, 9);
	ack(s, c, 15, 15);
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	subs_persist(s, b, 0);
	tlog_batch_seal(b);
	cr_assert_eq(tlog_batch_write(b, 1), SLUICE_OK);
	tlog_batch_done(b, SLUICE_OK);
	tlog_batch_free(b);
	subs_close(s);
	tlog_close(l);

	ngot = 0;
	open_all(&l, &s);
	cr_assert_eq(subs_count(s), 1);
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	c = attach(s, t, SLUICE__SUB_TYPE__SUB_SHARED, 20);
	subs_fetch(s, c, NULL, 20, 1000);
	cr_assert_eq(ngot, 9, "10..19 without the acked 15");
	for (size_t i = 0; i < ngot; i++) {
		cr_assert_neq(got[i], 15);
		cr_assert_eq(got_attempt[i], 2, "the attempt before the restart counts");
	}
	subs_close(s);
	tlog_close(l);
}

Test(subs_engine, a_failed_cursor_write_is_written_again_by_the_next_flush)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	publish(l, s, t, 10);
	consumer *c = attach(s, t, SLUICE__SUB_TYPE__SUB_EXCLUSIVE, 10);
	subs_fetch(s, c, NULL, 10, 1000);
	ack(s, c, 0, 5);
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	subs_persist(s, b, 0);
	tlog_batch_seal(b);
	tlog_batch_done(b, SLUICE_ESTORAGE); /* as if the write had failed */
	subs_persist_failed(s);
	subs_persist(s, b, 0);                /* the next debounced flush */
	tlog_batch_seal(b);
	cr_assert_eq(tlog_batch_write(b, 1), SLUICE_OK);
	tlog_batch_done(b, SLUICE_OK);
	tlog_batch_free(b);
	/* Reopen without a clean close of the engine's cursors. */
	subs_close(s);
	tlog_close(l);
	ngot = 0;
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	subs_stats st;
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_eq(st.floor, 6, "the acks of the failed write were lost");
	subs_close(s);
	tlog_close(l);
}
