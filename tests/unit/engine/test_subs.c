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

static const subs_io io = { .deliver = fake_deliver, .request_id = fake_request_id };
static char dir[600];

static void
open_all(tlog **l, subs **s)
{
	snprintf(dir, sizeof(dir), "%s/db", tmpdir_path());
	cr_assert_eq(tlog_open(l, dir), SLUICE_OK);
	cr_assert_eq(subs_open(s, *l, &io), SLUICE_OK);
	subs_set_clock(*s, 0); /* the tests count time from 0 */
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
	cr_assert_eq(subs_get_stats(s, t, "nope", 0, &st), SLUICE_ENOSUB);
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

/* ---- operator actions (manage.c) and why (why.c) ---- */

static void
persist_all(tlog *l, subs *s)
{
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	subs_persist(s, b, 1);
	tlog_batch_seal(b);
	cr_assert_eq(tlog_batch_write(b, 1), SLUICE_OK);
	tlog_batch_done(b, SLUICE_OK);
	tlog_batch_free(b);
}

Test(subs_engine, created_subscription_starts_where_asked_and_survives_reopen)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	char detail[256] = "";
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	publish(l, s, t, 20);
	cr_assert_eq(subs_create(s, t, "s", SLUICE__SUB_TYPE__SUB_SHARED,
	    SLUICE__SUB_MODE__MODE_RELIABLE, 12, 0, NULL, detail, sizeof(detail)), SLUICE_OK, "%s", detail);
	cr_assert_eq(subs_create(s, t, "s", SLUICE__SUB_TYPE__SUB_SHARED,
	    SLUICE__SUB_MODE__MODE_RELIABLE, 0, 0, NULL, detail, sizeof(detail)), SLUICE_EEXISTS);
	cr_assert_eq(subs_create(s, t, "nr", SLUICE__SUB_TYPE__SUB_SHARED,
	    SLUICE__SUB_MODE__MODE_NON_RELIABLE, 0, 0, NULL, detail, sizeof(detail)), SLUICE_EINVAL);
	cr_assert(strstr(detail, "non-reliable") != NULL, "%s", detail);
	subs_stats st;
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_eq(st.floor, 12);
	cr_assert_eq(st.backlog, 8);
	persist_all(l, s);
	subs_close(s);
	tlog_close(l);

	open_all(&l, &s);
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_eq(st.floor, 12);
	ngot = 0;
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	req.topic = (char *) "t";
	req.subscription = (char *) "s";
	req.type = SLUICE__SUB_TYPE__SUB_SHARED;
	req.consumer_name = (char *) "unit";
	consumer *c;
	cr_assert_eq(subs_attach(s, t, &req, NULL, &c, detail, sizeof(detail)), SLUICE_OK);
	subs_fetch(s, c, NULL, 100, 1000);
	cr_assert_eq(ngot, 8);
	cr_assert_eq(got[0], 12, "delivery starts at the created position");
	cr_assert_eq(subs_delete(s, t, "s", detail, sizeof(detail)), SLUICE_EINUSE);
	cr_assert_eq(subs_detach(s, c, 0), SLUICE_OK);
	cr_assert_eq(subs_delete(s, t, "s", detail, sizeof(detail)), SLUICE_OK);
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_ENOSUB);
	subs_close(s);
	tlog_close(l);

	open_all(&l, &s);
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_ENOSUB, "deleted durably");
	subs_close(s);
	tlog_close(l);
}

Test(subs_engine, reset_and_skip_move_the_cursor_and_consumers_follow)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	char detail[256] = "";
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	publish(l, s, t, 50);
	ngot = 0;
	consumer *c = attach(s, t, SLUICE__SUB_TYPE__SUB_EXCLUSIVE, 5);
	subs_fetch(s, c, NULL, 100, 1000);
	cr_assert_eq(ngot, 5);
	cr_assert_eq(ack(s, c, 0, 4), 5);
	/* Skip 10 from the floor (5): offsets 5..14 count as acked, including
	 * what the consumer holds unacked. */
	uint64_t skipped;
	cr_assert_eq(subs_skip(s, t, "s", 10, &skipped, detail, sizeof(detail)), SLUICE_OK);
	cr_assert_eq(skipped, 10);
	subs_stats st;
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_eq(st.floor, 15);
	cr_assert_eq(st.backlog, 35);
	/* Reset back to 2: 2..49 are to be delivered again, in order. */
	cr_assert_eq(subs_reset(s, t, "s", 2, detail, sizeof(detail)), SLUICE_OK);
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_eq(st.floor, 2);
	cr_assert_eq(st.backlog, 48);
	ngot = 0;
	subs_fetch(s, c, NULL, 100, 1000);
	cr_assert_geq(ngot, 1);
	cr_assert_eq(got[0], 2, "after the reset delivery restarts at its offset");
	/* Skipping past the end stops at the head. */
	cr_assert_eq(subs_skip(s, t, "s", 1000, &skipped, detail, sizeof(detail)), SLUICE_OK);
	cr_assert_eq(skipped, 48);
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_eq(st.backlog, 0);
	cr_assert_eq(subs_reset(s, t, "nope", 0, detail, sizeof(detail)), SLUICE_ENOSUB);
	subs_close(s);
	tlog_close(l);
}

Test(subs_engine, why_names_the_reason_and_its_evidence)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	char detail[256] = "";
	subs_why w;
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	cr_assert_eq(subs_create(s, t, "s", SLUICE__SUB_TYPE__SUB_EXCLUSIVE,
	    SLUICE__SUB_MODE__MODE_RELIABLE, 0, 0, NULL, detail, sizeof(detail)), SLUICE_OK);
	cr_assert_eq(subs_explain(s, t, "s", 0, &w), SLUICE_OK);
	cr_assert_eq(w.code, SUBS_WHY_CAUGHT_UP, "%s", w.sentence);
	publish(l, s, t, 3);
	cr_assert_eq(subs_explain(s, t, "s", 0, &w), SLUICE_OK);
	cr_assert_eq(w.code, SUBS_WHY_NO_CONSUMERS, "%s", w.sentence);
	cr_assert_eq(w.backlog, 3);
	cr_assert_str_eq(subs_why_name(w.code), "no_consumers");
	/* The window is the subscription's: recreate it with a window of 1. */
	cr_assert_eq(subs_delete(s, t, "s", detail, sizeof(detail)), SLUICE_OK);
	ngot = 0;
	consumer *c = attach(s, t, SLUICE__SUB_TYPE__SUB_EXCLUSIVE, 1);
	cr_assert_eq(subs_explain(s, t, "s", 0, &w), SLUICE_OK);
	cr_assert_eq(w.code, SUBS_WHY_NOT_DRAINING, "attached but never fetched: %s", w.sentence);
	subs_fetch(s, c, NULL, 1, 1000);
	cr_assert_eq(ngot, 1);
	cr_assert_eq(subs_explain(s, t, "s", 7000, &w), SLUICE_OK);
	cr_assert_eq(w.code, SUBS_WHY_WINDOW_FULL, "%s", w.sentence);
	cr_assert_eq(w.offset, 0);
	cr_assert_eq(w.age_ms, 7000);
	cr_assert_str_eq(w.consumer_name, "unit");
	cr_assert(strstr(w.sentence, "offset 0") != NULL, "%s", w.sentence);
	cr_assert_eq(ack(s, c, 0, 0), 1);
	cr_assert_eq(ack(s, c, 1, 1), 0, "offset 1 not delivered yet: nothing to ack");
	subs_close(s);
	tlog_close(l);
}

Test(subs_engine, offset_at_time_finds_the_first_message_at_or_after)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s);
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	Sluice__Message m = SLUICE__MESSAGE__INIT, *ptrs[] = { &m, &m };
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	for (int64_t i = 0; i < 10; i++) {
		uint64_t base;
		/* offsets 2i, 2i+1 published at time 1000 + 100 i */
		cr_assert_eq(tlog_batch_append(b, t, ptrs, 2, 1000 + 100 * i, &base), SLUICE_OK);
		tlog_batch_seal(b);
		cr_assert_eq(tlog_batch_write(b, 0), SLUICE_OK);
		tlog_batch_done(b, SLUICE_OK);
	}
	tlog_batch_free(b);
	uint64_t off;
	cr_assert_eq(tlog_offset_at_time(l, t, 0, &off), SLUICE_OK);
	cr_assert_eq(off, 0);
	cr_assert_eq(tlog_offset_at_time(l, t, 1000, &off), SLUICE_OK);
	cr_assert_eq(off, 0);
	cr_assert_eq(tlog_offset_at_time(l, t, 1001, &off), SLUICE_OK);
	cr_assert_eq(off, 2);
	cr_assert_eq(tlog_offset_at_time(l, t, 1500, &off), SLUICE_OK);
	cr_assert_eq(off, 10);
	cr_assert_eq(tlog_offset_at_time(l, t, 1900, &off), SLUICE_OK);
	cr_assert_eq(off, 18);
	cr_assert_eq(tlog_offset_at_time(l, t, 5000, &off), SLUICE_OK);
	cr_assert_eq(off, 20, "after the newest: the head");
	cr_assert_eq(tlog_topic_published(t), 20);
	subs_close(s);
	tlog_close(l);
}
