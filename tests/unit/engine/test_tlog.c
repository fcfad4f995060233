/* test_tlog.c - the topic log: append, read, reopen, group commit, retention. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support.h"
#include "tlog.h"

TestSuite(tlog, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 30);

static char dbdir[600];

static tlog *
open_log(void)
{
	snprintf(dbdir, sizeof(dbdir), "%s/db", tmpdir_path());
	tlog *l = NULL;
	sluice_err rv = tlog_open(&l, dbdir);
	cr_assert_eq(rv, SLUICE_OK, "open: %s", sluice_strerror(rv));
	return l;
}

/* n messages with payload "<prefix>-<i>", key "k<i % 3>" on even i. */
typedef struct {
	Sluice__Message msgs[64];
	Sluice__Message *ptrs[64];
	char payloads[64][32];
	char keys[64][8];
	Sluice__Property prop;
	Sluice__Property *props[1];
} msgset;

static void
msgset_fill(msgset *s, size_t n, const char *prefix)
{
	cr_assert(n <= 64);
	s->prop = (Sluice__Property) SLUICE__PROPERTY__INIT;
	s->prop.key = (char *) "origin";
	s->prop.value = (char *) "unit";
	s->props[0] = &s->prop;
	for (size_t i = 0; i < n; i++) {
		Sluice__Message *m = &s->msgs[i];
		*m = (Sluice__Message) SLUICE__MESSAGE__INIT;
		int len = snprintf(s->payloads[i], 32, "%s-%zu", prefix, i);
		m->payload.data = (uint8_t *) s->payloads[i];
		m->payload.len = (size_t) len;
		if (i % 2 == 0) {
			len = snprintf(s->keys[i], 8, "k%zu", i % 3);
			m->has_key = 1;
			m->key.data = (uint8_t *) s->keys[i];
			m->key.len = (size_t) len;
		}
		m->n_properties = 1;
		m->properties = s->props;
		m->producer_seq = i + 1;
		m->event_time_us = 1000 + (int64_t) i;
		s->ptrs[i] = m;
	}
}

static void
commit(tlog_batch *b)
{
	tlog_batch_seal(b);
	sluice_err rv = tlog_batch_write(b, 0);
	cr_assert_eq(rv, SLUICE_OK, "write: %s", sluice_strerror(rv));
	tlog_batch_done(b, rv);
}

static uint64_t
append(tlog *l, tlog_topic *t, size_t n, const char *prefix, int64_t when)
{
	msgset s;
	tlog_batch *b;
	uint64_t base;
	msgset_fill(&s, n, prefix);
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	sluice_err rv = tlog_batch_append(b, t, s.ptrs, n, when, &base);
	cr_assert_eq(rv, SLUICE_OK, "append: %s", sluice_strerror(rv));
	commit(b);
	tlog_batch_free(b);
	return base;
}

typedef struct {
	uint64_t offsets[256];
	char payloads[256][32];
	int keyed[256];
	size_t n;
} collected;

static int
collect(void *arg, uint64_t off, const Sluice__StoredMessage *m)
{
	collected *c = arg;
	c->offsets[c->n] = off;
	snprintf(c->payloads[c->n], 32, "%.*s", (int) m->payload.len,
	    (const char *) m->payload.data);
	c->keyed[c->n] = m->has_key;
	c->n++;
	return c->n == 256;
}

Test(tlog, append_assigns_consecutive_offsets_from_zero)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "orders", 0, 0, &t), SLUICE_OK);
	cr_assert_eq(append(l, t, 10, "a", 1), 0);
	cr_assert_eq(append(l, t, 5, "b", 1), 10);
	cr_assert_eq(tlog_topic_head(t), 15);
	tlog_close(l);
}

Test(tlog, read_range_returns_records_in_offset_order_with_all_fields)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "orders", 0, 0, &t), SLUICE_OK);
	append(l, t, 20, "m", 42);
	collected c = { .n = 0 };
	cr_assert_eq(tlog_read(l, t, 5, 10, collect, &c), SLUICE_OK);
	cr_assert_eq(c.n, 10);
	for (size_t i = 0; i < c.n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "m-%zu", i + 5);
		cr_assert_eq(c.offsets[i], i + 5);
		cr_assert_str_eq(c.payloads[i], want);
		cr_assert_eq(c.keyed[i], (i + 5) % 2 == 0);
	}
	tlog_close(l);
}

static int
check_fields(void *arg, uint64_t off, const Sluice__StoredMessage *m)
{
	(void) arg;
	cr_assert_eq(m->publish_time_us, 777);
	cr_assert_eq(m->producer_seq, off + 1);
	cr_assert_eq(m->event_time_us, 1000 + (int64_t) off);
	cr_assert_eq(m->n_properties, 1);
	cr_assert_str_eq(m->properties[0]->key, "origin");
	cr_assert_str_eq(m->properties[0]->value, "unit");
	return 0;
}

Test(tlog, stored_record_keeps_properties_sequence_and_times)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	append(l, t, 8, "x", 777);
	cr_assert_eq(tlog_read(l, t, 0, 100, check_fields, NULL), SLUICE_OK);
	tlog_close(l);
}

Test(tlog, reopen_recovers_topics_heads_and_messages)
{
	tlog *l = open_log();
	tlog_topic *a, *b;
	cr_assert_eq(tlog_topic_create(l, "a", 0, 0, &a), SLUICE_OK);
	cr_assert_eq(tlog_topic_create(l, "b/with.dots-and_under", 0, 0, &b), SLUICE_OK);
	append(l, a, 30, "a", 1);
	append(l, b, 7, "b", 1);
	tlog_close(l);

	l = open_log();
	cr_assert_eq(tlog_topic_count(l), 2);
	cr_assert_eq(tlog_topic_find(l, "a", &a), SLUICE_OK);
	cr_assert_eq(tlog_topic_find(l, "b/with.dots-and_under", &b), SLUICE_OK);
	cr_assert_eq(tlog_topic_head(a), 30);
	cr_assert_eq(tlog_topic_head(b), 7);
	cr_assert_eq(append(l, a, 1, "after", 1), 30, "offsets continue after reopen");
	collected c = { .n = 0 };
	cr_assert_eq(tlog_read(l, b, 0, 100, collect, &c), SLUICE_OK);
	cr_assert_eq(c.n, 7);
	cr_assert_str_eq(c.payloads[6], "b-6");
	tlog_close(l);
}

Test(tlog, group_commit_is_invisible_until_done_and_spans_topics)
{
	tlog *l = open_log();
	tlog_topic *a, *b;
	cr_assert_eq(tlog_topic_create(l, "a", 0, 0, &a), SLUICE_OK);
	cr_assert_eq(tlog_topic_create(l, "b", 0, 0, &b), SLUICE_OK);
	msgset s;
	msgset_fill(&s, 4, "g");
	tlog_batch *batch;
	uint64_t base1, base2, base3;
	cr_assert_eq(tlog_batch_alloc(l, &batch), SLUICE_OK);
	cr_assert_eq(tlog_batch_append(batch, a, s.ptrs, 4, 1, &base1), SLUICE_OK);
	cr_assert_eq(tlog_batch_append(batch, b, s.ptrs, 2, 1, &base2), SLUICE_OK);
	cr_assert_eq(tlog_batch_append(batch, a, s.ptrs, 3, 1, &base3), SLUICE_OK);
	cr_assert_eq(base1, 0);
	cr_assert_eq(base2, 0);
	cr_assert_eq(base3, 4, "a second publish to a topic follows the first");
	cr_assert_eq(tlog_topic_head(a), 0, "nothing readable before the write");
	tlog_batch_seal(batch);
	cr_assert_eq(tlog_batch_append(batch, a, s.ptrs, 1, 1, &base1), SLUICE_EINVAL,
	    "a sealed batch takes no more appends");
	cr_assert_eq(tlog_batch_write(batch, 1), SLUICE_OK);
	tlog_batch_done(batch, SLUICE_OK);
	cr_assert_eq(tlog_topic_head(a), 7);
	cr_assert_eq(tlog_topic_head(b), 2);
	tlog_batch_free(batch);
	tlog_close(l);
}

Test(tlog, failed_write_gives_offsets_back_so_no_gap_appears)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	append(l, t, 3, "ok", 1);
	msgset s;
	msgset_fill(&s, 5, "lost");
	tlog_batch *b;
	uint64_t base;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	cr_assert_eq(tlog_batch_append(b, t, s.ptrs, 5, 1, &base), SLUICE_OK);
	cr_assert_eq(base, 3);
	tlog_batch_seal(b);
	tlog_batch_done(b, SLUICE_ESTORAGE); /* as if the write had failed */
	cr_assert_eq(tlog_topic_head(t), 3);
	cr_assert_eq(tlog_batch_append(b, t, s.ptrs, 2, 1, &base), SLUICE_OK);
	cr_assert_eq(base, 3, "the refused offsets are handed out again");
	commit(b);
	tlog_batch_free(b);
	tlog_close(l);

	l = open_log();
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	cr_assert_eq(tlog_topic_head(t), 5);
	collected c = { .n = 0 };
	cr_assert_eq(tlog_read(l, t, 0, 100, collect, &c), SLUICE_OK);
	cr_assert_eq(c.n, 5);
	cr_assert_str_eq(c.payloads[3], "lost-0");
	tlog_close(l);
}

Test(tlog, topic_names_are_checked)
{
	tlog *l = open_log();
	tlog_topic *t;
	char longname[300];
	memset(longname, 'a', 256);
	longname[256] = '\0';
	cr_assert_eq(tlog_topic_create(l, "", 0, 0, &t), SLUICE_EBADTOPIC);
	cr_assert_eq(tlog_topic_create(l, "has space", 0, 0, &t), SLUICE_EBADTOPIC);
	cr_assert_eq(tlog_topic_create(l, "star*", 0, 0, &t), SLUICE_EBADTOPIC);
	cr_assert_eq(tlog_topic_create(l, longname, 0, 0, &t), SLUICE_EBADTOPIC);
	longname[255] = '\0';
	cr_assert_eq(tlog_topic_create(l, longname, 0, 0, &t), SLUICE_OK);
	cr_assert_eq(tlog_topic_create(l, longname, 0, 0, &t), SLUICE_EEXISTS);
	cr_assert_eq(tlog_topic_find(l, "nope", &t), SLUICE_ENOTOPIC);
	tlog_close(l);
}

static tlog_keep_fn keep_fn;
static void *keep_arg;

static uint64_t
keep_at(void *arg, tlog_topic *t)
{
	(void) t;
	return *(uint64_t *) arg;
}

static void
run_retention(tlog *l, int64_t now, uint64_t *deleted)
{
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	cr_assert_eq(tlog_retention_apply(l, b, now, 1000000, keep_fn, keep_arg, deleted), SLUICE_OK);
	commit(b);
	tlog_batch_free(b);
}

Test(tlog, retention_by_age_deletes_only_older_messages)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "aged", 60000, 0, &t), SLUICE_OK);
	int64_t now = 10000000000;
	append(l, t, 10, "old", now - 120000000); /* two minutes ago */
	append(l, t, 5, "new", now - 1000000);    /* one second ago */
	uint64_t deleted = 0;
	run_retention(l, now, &deleted);
	cr_assert_eq(deleted, 10);
	cr_assert_eq(tlog_topic_first(t), 10);
	collected c = { .n = 0 };
	cr_assert_eq(tlog_read(l, t, 0, 100, collect, &c), SLUICE_OK);
	cr_assert_eq(c.n, 5);
	cr_assert_eq(c.offsets[0], 10);
	tlog_close(l);

	l = open_log();
	cr_assert_eq(tlog_topic_find(l, "aged", &t), SLUICE_OK);
	cr_assert_eq(tlog_topic_first(t), 10, "retention survives reopen");
	cr_assert_eq(tlog_topic_head(t), 15);
	tlog_close(l);
}

Test(tlog, retention_by_bytes_keeps_the_newest_within_the_limit)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "sized", 0, 1, &t), SLUICE_OK);
	append(l, t, 40, "s", 1);
	uint64_t per = tlog_topic_bytes(t) / 40;
	tlog_close(l);
	/* Recreate with a limit of about 10 messages. */
	rm_rf(dbdir);
	l = open_log();
	cr_assert_eq(tlog_topic_create(l, "sized", 0, per * 10 + per / 2, &t), SLUICE_OK);
	append(l, t, 40, "s", 1);
	uint64_t deleted = 0;
	run_retention(l, 2, &deleted);
	cr_assert(deleted >= 29 && deleted <= 31, "deleted %llu", (unsigned long long) deleted);
	cr_assert_leq(tlog_topic_bytes(t), per * 10 + per / 2);
	cr_assert_eq(tlog_topic_head(t), 40, "retention never moves the head");
	collected c = { .n = 0 };
	cr_assert_eq(tlog_read(l, t, 0, 100, collect, &c), SLUICE_OK);
	cr_assert_eq(c.offsets[c.n - 1], 39);
	cr_assert_eq(c.offsets[0], tlog_topic_first(t));
	tlog_close(l);
}

Test(tlog, second_open_of_the_same_directory_is_refused)
{
	tlog *l = open_log(), *l2 = NULL;
	cr_assert_eq(tlog_open(&l2, dbdir), SLUICE_ELOCKED);
	tlog_close(l);
}

Test(tlog, retention_stops_at_what_a_subscription_has_not_acked)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "held", 60000, 0, &t), SLUICE_OK);
	int64_t now = 10000000000;
	append(l, t, 20, "old", now - 120000000);
	uint64_t floor = 7, deleted = 0;
	keep_fn = keep_at;
	keep_arg = &floor;
	run_retention(l, now, &deleted);
	cr_assert_eq(deleted, 7, "only what the subscription acked may go");
	cr_assert_eq(tlog_topic_first(t), 7);
	keep_fn = NULL;
	tlog_close(l);
}

Test(tlog, reads_from_memory_match_the_log_and_forget_a_failed_write)
{
	tlog *l = open_log();
	tlog_topic *t;
	cr_assert_eq(tlog_topic_create(l, "t", 0, 0, &t), SLUICE_OK);
	tlog_topic_want_tail(l, t, 1); /* as a consumer's attach does */
	append(l, t, 3, "ok", 1);
	msgset s;
	msgset_fill(&s, 4, "lost");
	tlog_batch *b;
	uint64_t base;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	cr_assert_eq(tlog_batch_append(b, t, s.ptrs, 4, 1, &base), SLUICE_OK);
	tlog_batch_seal(b);
	tlog_batch_done(b, SLUICE_ESTORAGE); /* the write failed */
	tlog_batch_free(b);
	append(l, t, 2, "new", 1);
	/* Without a reopen: served from the in-memory tail. */
	collected c = { .n = 0 };
	cr_assert_eq(tlog_read(l, t, 0, 100, collect, &c), SLUICE_OK);
	cr_assert_eq(c.n, 5);
	cr_assert_str_eq(c.payloads[2], "ok-2");
	cr_assert_str_eq(c.payloads[3], "new-0", "a failed write must not be read");
	cr_assert_str_eq(c.payloads[4], "new-1");
	tlog_close(l);
	/* After a reopen: from RocksDB, the same. */
	l = open_log();
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	collected d = { .n = 0 };
	cr_assert_eq(tlog_read(l, t, 0, 100, collect, &d), SLUICE_OK);
	cr_assert_eq(d.n, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(c.payloads[i], d.payloads[i]);
	tlog_close(l);
}
