/*
 * test_keyshared.c - key_shared subscriptions: the consistent-hash ring,
 * the key extractor, and the engine's key_shared delivery (per-key order,
 * held-back messages, handoff of moved keys, blocked keys, no-key round
 * robin, non-reliable routing) over a real topic log in a temp dir, with
 * the broker's network replaced by a fake subs_io that decodes each
 * Deliver frame.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "hashring.h"
#include "sub_impl.h"
#include "subs.h"
#include "support.h"

TestSuite(keyshared, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

#define KS SLUICE__SUB_TYPE__SUB_KEY_SHARED
#define MAXLOG 200000
#define MAXOFF 100000

/* Every record delivered, in delivery order. */
typedef struct {
	consumer *c;
	uint64_t off;
	uint32_t attempt;
} got_rec;

static got_rec *lg;
static size_t nlog;
static int key_of_off[MAXOFF]; /* -1: no key */

static void
fake_deliver(void *arg, consumer *c, void *ctx, const uint8_t *frame, size_t len)
{
	(void) arg;
	(void) ctx;
	Sluice__Reply *r;
	cr_assert_eq(codec_reply_unpack(frame, len, &r), SLUICE_OK);
	for (size_t i = 0; i < r->deliver->n_records; i++) {
		cr_assert_lt(nlog, MAXLOG);
		lg[nlog++] = (got_rec) { c, r->deliver->records[i]->offset,
			r->deliver->records[i]->attempt };
	}
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

static void
open_all(tlog **l, subs **s, tlog_topic **t)
{
	char dir[600];
	lg = calloc(MAXLOG, sizeof(*lg));
	nlog = 0;
	snprintf(dir, sizeof(dir), "%s/db", tmpdir_path());
	cr_assert_eq(tlog_open(l, dir), SLUICE_OK);
	cr_assert_eq(subs_open(s, *l, &io), SLUICE_OK);
	subs_set_clock(*s, 1000);
	cr_assert_eq(tlog_topic_create(*l, "t", 0, 0, t), SLUICE_OK);
}

static void
close_all(tlog *l, subs *s)
{
	subs_close(s);
	tlog_close(l);
	free(lg);
}

/* Publishes n messages; message i gets key key_fn(i) (-1: none). */
static void
publish(tlog *l, subs *s, tlog_topic *t, size_t n, int (*key_fn)(size_t i))
{
	static size_t counter;
	Sluice__Message ms[64], *ptrs[64];
	char keys[64][16];
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	while (n > 0) {
		size_t k = n > 64 ? 64 : n;
		int kk[64];
		for (size_t i = 0; i < k; i++) {
			ms[i] = (Sluice__Message) SLUICE__MESSAGE__INIT;
			ms[i].payload.data = (uint8_t *) "x";
			ms[i].payload.len = 1;
			kk[i] = key_fn(counter++);
			if (kk[i] >= 0) {
				snprintf(keys[i], sizeof(keys[i]), "key-%d", kk[i]);
				ms[i].has_key = 1;
				ms[i].key.data = (uint8_t *) keys[i];
				ms[i].key.len = strlen(keys[i]);
			}
			ptrs[i] = &ms[i];
		}
		uint64_t base;
		cr_assert_eq(tlog_batch_append(b, t, ptrs, k, 1, &base), SLUICE_OK);
		tlog_batch_seal(b);
		cr_assert_eq(tlog_batch_write(b, 0), SLUICE_OK);
		tlog_batch_done(b, SLUICE_OK);
		for (size_t i = 0; i < k; i++)
			key_of_off[base + i] = kk[i];
		subs_on_commit(s, t, ptrs, k, base, 1);
		subs_wake(s, t);
		n -= k;
	}
	tlog_batch_free(b);
}

static consumer *
attach_req(subs *s, tlog_topic *t, Sluice__Subscribe *req)
{
	consumer *c = NULL;
	char detail[256];
	sluice_err rv = subs_attach(s, t, req, NULL, &c, detail, sizeof(detail));
	cr_assert_eq(rv, SLUICE_OK, "%s", detail);
	return c;
}

static consumer *
attach(subs *s, tlog_topic *t, uint32_t window)
{
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	req.topic = (char *) "t";
	req.subscription = (char *) "s";
	req.type = KS;
	req.window = window;
	req.start = SLUICE__START_AT__START_EARLIEST;
	req.consumer_name = (char *) "unit";
	return attach_req(s, t, &req);
}

static void
ack(subs *s, consumer *c, uint64_t off)
{
	Sluice__AckRange r = SLUICE__ACK_RANGE__INIT;
	const Sluice__AckRange *rp[] = { &r };
	r.first = r.last = off;
	uint32_t applied, ignored;
	cr_assert_eq(subs_ack(s, c, rp, 1, 0, 0, NULL, 0, &applied, &ignored), SLUICE_OK);
	cr_assert_eq(applied, 1, "ack of %llu not applied", (unsigned long long) off);
}

/* Acks what c got in lg[from, end): acks may send more, after end. */
static size_t
ack_range(subs *s, consumer *c, size_t from, size_t end)
{
	size_t n = 0;
	for (size_t i = from; i < end; i++)
		if (lg[i].c == c) {
			ack(s, c, lg[i].off);
			n++;
		}
	return n;
}

/* Makes sure c has a fetch parked (at most 2 are kept). */
static void
fetch(subs *s, consumer *c, uint32_t max)
{
	if (c->nfetch < 2)
		subs_fetch(s, c, NULL, max, UINT64_MAX);
}

/*
 * The promise, checked over lg:
 * first deliveries of each key are in offset order.
 */
static void
check_key_order(size_t nmsgs)
{
	static int64_t last_first[4096];
	static uint8_t seen[MAXOFF];
	memset(seen, 0, sizeof(seen));
	for (size_t k = 0; k < 4096; k++)
		last_first[k] = -1;
	for (size_t i = 0; i < nlog; i++) {
		uint64_t off = lg[i].off;
		cr_assert_lt(off, nmsgs);
		int key = key_of_off[off];
		if (key < 0 || seen[off]) {
			seen[off] = 1;
			continue;
		}
		seen[off] = 1;
		cr_assert_gt((int64_t) off, last_first[key],
		    "key %d: offset %llu first delivered after %lld", key,
		    (unsigned long long) off, (long long) last_first[key]);
		last_first[key] = (int64_t) off;
	}
}

/* ---- the ring ----------------------------------------------------------- */

Test(keyshared, ring_adding_a_member_moves_about_its_share_and_only_to_it)
{
	hashring r;
	hashring_init(&r);
	static uintptr_t before[100000];
	enum { N = 100000 };
	for (uintptr_t m = 1; m <= 3; m++)
		cr_assert_eq(hashring_add(&r, m * 7919, (void *) m), SLUICE_OK);
	cr_assert_eq(hashring_add(&r, 7919, (void *) 9), SLUICE_EEXISTS);
	size_t per[5] = { 0 };
	for (size_t i = 0; i < N; i++) {
		char key[32];
		snprintf(key, sizeof(key), "order-%zu", i);
		before[i] = (uintptr_t) hashring_lookup(&r, hashring_hash(key, strlen(key)));
		per[before[i]]++;
	}
	for (size_t m = 1; m <= 3; m++)
		cr_assert(per[m] > N / 3 * 7 / 10 && per[m] < N / 3 * 13 / 10,
		    "member %zu owns %zu of %d keys: badly balanced", m, per[m], N);
	cr_assert_eq(hashring_add(&r, 4 * 7919, (void *) 4), SLUICE_OK);
	size_t moved = 0;
	for (size_t i = 0; i < N; i++) {
		char key[32];
		snprintf(key, sizeof(key), "order-%zu", i);
		uintptr_t now = (uintptr_t) hashring_lookup(&r, hashring_hash(key, strlen(key)));
		if (now != before[i]) {
			cr_assert_eq(now, 4, "key %zu moved from %lu to %lu, not to the new member",
			    i, (unsigned long) before[i], (unsigned long) now);
			moved++;
		}
	}
	/* About 1/(n+1) = 25% moves. */
	cr_assert(moved > N * 18 / 100 && moved < N * 32 / 100, "%zu of %d keys moved", moved, N);
	/* Leaving gives back exactly what it took. */
	hashring_remove(&r, 4 * 7919);
	cr_assert_eq(hashring_members(&r), 3);
	for (size_t i = 0; i < N; i++) {
		char key[32];
		snprintf(key, sizeof(key), "order-%zu", i);
		cr_assert_eq((uintptr_t) hashring_lookup(&r, hashring_hash(key, strlen(key))),
		    before[i]);
	}
	hashring_remove(&r, 7919);
	hashring_remove(&r, 2 * 7919);
	hashring_remove(&r, 3 * 7919);
	cr_assert_null(hashring_lookup(&r, 42));
	hashring_fini(&r);
}

Test(keyshared, stored_key_is_read_without_decoding_the_message)
{
	Sluice__StoredMessage m = SLUICE__STORED_MESSAGE__INIT;
	Sluice__Property p = SLUICE__PROPERTY__INIT, *pp[] = { &p };
	uint8_t buf[256];
	const uint8_t *key;
	size_t klen;
	m.publish_time_us = 123456789;
	m.payload.data = (uint8_t *) "payload";
	m.payload.len = 7;
	p.key = (char *) "a";
	p.value = (char *) "b";
	m.n_properties = 1;
	m.properties = pp;
	size_t n = codec_stored_pack(&m, buf);
	cr_assert_eq(codec_stored_key(buf, n, &key, &klen), 0, "no key");
	m.has_key = 1;
	m.key.data = (uint8_t *) "customer-7";
	m.key.len = 10;
	n = codec_stored_pack(&m, buf);
	cr_assert_eq(codec_stored_key(buf, n, &key, &klen), 1);
	cr_assert_eq(klen, 10);
	cr_assert_arr_eq(key, "customer-7", 10);
	m.key.len = 0; /* has_key with an empty key: a key, "" */
	n = codec_stored_pack(&m, buf);
	cr_assert_eq(codec_stored_key(buf, n, &key, &klen), 1);
	cr_assert_eq(klen, 0);
	/* Truncated: no key rather than a bad read. */
	m.key.len = 10;
	n = codec_stored_pack(&m, buf);
	for (size_t cut = 0; cut < n; cut++) {
		int has = codec_stored_key(buf, cut, &key, &klen);
		if (has)
			cr_assert_leq(key + klen, buf + cut);
	}
}

/* ---- reliable delivery ---------------------------------------------------- */

static int
key_mod_10(size_t i)
{
	return (int) (i % 10);
}

static int
key_mod_40(size_t i)
{
	return (int) (i % 40);
}

static int
no_key(size_t i)
{
	(void) i;
	return -1;
}

Test(keyshared, each_key_goes_to_one_consumer_in_offset_order)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *c[3];
	for (int i = 0; i < 3; i++)
		c[i] = attach(s, t, 7);
	publish(l, s, t, 600, key_mod_40);
	size_t from = 0;
	for (int round = 0; round < 400 && nlog < 600; round++) {
		for (int i = 0; i < 3; i++)
			fetch(s, c[i], 5);
		size_t end = nlog;
		for (int i = 0; i < 3; i++)
			ack_range(s, c[i], from, end);
		from = end;
	}
	cr_assert_eq(nlog, 600, "%zu of 600 delivered", nlog);
	consumer *owner[40] = { NULL };
	size_t per[3] = { 0 };
	for (size_t i = 0; i < nlog; i++) {
		int k = key_of_off[lg[i].off];
		if (owner[k] == NULL)
			owner[k] = lg[i].c;
		cr_assert_eq(owner[k], lg[i].c, "key %d went to two consumers", k);
		cr_assert_eq(lg[i].attempt, 1);
		for (int j = 0; j < 3; j++)
			per[j] += lg[i].c == c[j];
	}
	for (int j = 0; j < 3; j++)
		cr_assert_gt(per[j], 0, "consumer %d got no key", j);
	check_key_order(600);
	close_all(l, s);
}

Test(keyshared, a_full_consumer_does_not_stall_the_others_and_gets_its_held_messages_in_order)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *a = attach(s, t, 3), *b = attach(s, t, 3);
	publish(l, s, t, 400, key_mod_10);
	/* a fills its window and acks nothing; b keeps going. */
	fetch(s, a, 3);
	size_t from = 0;
	for (int round = 0; round < 300; round++) {
		fetch(s, b, 3);
		size_t end = nlog;
		ack_range(s, b, from, end);
		from = end;
	}
	size_t got_a = 0, got_b = 0;
	for (size_t i = 0; i < nlog; i++) {
		got_a += lg[i].c == a;
		got_b += lg[i].c == b;
	}
	cr_assert_eq(got_a, 3, "a holds its window");
	cr_assert_gt(got_b, 0);
	/* Every message of b's keys went out: a full a held none of them up. */
	size_t b_keys_total = 0;
	int owner_b[10] = { 0 }, owner_a[10] = { 0 };
	for (size_t i = 0; i < nlog; i++) {
		owner_b[key_of_off[lg[i].off]] |= lg[i].c == b;
		owner_a[key_of_off[lg[i].off]] |= lg[i].c == a;
	}
	for (size_t off = 0; off < 400; off++)
		b_keys_total += owner_b[key_of_off[off]];
	cr_assert_eq(got_b, b_keys_total, "b got %zu of its %zu", got_b, b_keys_total);
	cr_assert_gt(got_b, 0);
	/* Now a drains: its held messages come, in offset order per key. */
	ack_range(s, a, 0, from);
	for (int round = 0; round < 400 && nlog < 400; round++) {
		fetch(s, a, 3);
		fetch(s, b, 3);
		size_t end = nlog;
		ack_range(s, a, from, end);
		ack_range(s, b, from, end);
		from = end;
	}
	cr_assert_eq(nlog, 400, "%zu of 400 delivered", nlog);
	for (int k = 0; k < 10; k++)
		cr_assert(!(owner_a[k] && owner_b[k]), "key %d at both", k);
	check_key_order(400);
	close_all(l, s);
}

Test(keyshared, a_moved_key_waits_for_its_in_flight_messages_at_the_old_owner)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *a = attach(s, t, 1000);
	publish(l, s, t, 200, key_mod_40);
	fetch(s, a, 100); /* offsets 0..99: every key has some in flight at a */
	cr_assert_eq(nlog, 100);
	consumer *b = attach(s, t, 1000);
	publish(l, s, t, 200, key_mod_40);
	size_t mark = nlog;
	fetch(s, b, 1000);
	for (size_t i = mark; i < nlog; i++)
		cr_assert_neq(lg[i].c, b, "b got offset %llu of key %d while a holds its key",
		    (unsigned long long) lg[i].off, key_of_off[lg[i].off]);
	/* a goes on with the keys it kept, never with those that moved. */
	fetch(s, a, 1000);
	size_t a_second = nlog;
	cr_assert_gt(a_second, mark, "a got nothing more");
	cr_assert_lt(a_second, 400, "a got every key: none moved?");
	/* a acks what it holds: the moved keys go to b, from their oldest
	 * message a did not get. */
	size_t from = 0;
	for (int round = 0; round < 100 && nlog < 400; round++) {
		size_t end = nlog;
		ack_range(s, a, from, end);
		ack_range(s, b, from, end);
		from = end;
		fetch(s, b, 1000);
	}
	cr_assert_eq(nlog, 400, "%zu of 400 delivered", nlog);
	int moved[40] = { 0 };
	for (size_t i = a_second; i < nlog; i++)
		if (lg[i].c == b)
			moved[key_of_off[lg[i].off]] = 1;
	for (size_t i = a_second; i < nlog; i++)
		if (lg[i].c == a)
			cr_assert(!moved[key_of_off[lg[i].off]], "a got offset %llu of a key that moved",
			    (unsigned long long) lg[i].off);
	for (size_t i = 0; i < a_second; i++)
		if (i >= 100)
			cr_assert(!moved[key_of_off[lg[i].off]],
			    "a got offset %llu of a key that moved", (unsigned long long) lg[i].off);
	check_key_order(400);
	close_all(l, s);
}

Test(keyshared, a_leaving_consumer_s_messages_go_to_the_new_owner_before_newer_ones)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *a = attach(s, t, 20), *b = attach(s, t, 20);
	publish(l, s, t, 100, key_mod_10);
	fetch(s, a, 20);
	fetch(s, b, 20);
	size_t mark = nlog;
	uint8_t held_by_a[100] = { 0 };
	for (size_t i = 0; i < mark; i++)
		if (lg[i].c == a)
			held_by_a[lg[i].off] = 1;
	ack_range(s, b, 0, mark);
	cr_assert_eq(subs_detach(s, a, 0), SLUICE_OK);
	size_t from = mark;
	for (int round = 0; round < 100 && nlog < 100 + mark; round++) {
		fetch(s, b, 20);
		size_t end = nlog;
		ack_range(s, b, from, end);
		from = end;
	}
	/* Per key, b first gets a's messages again (attempt 2), in order,
	 * then what was never sent. */
	int64_t last[10];
	int fresh_seen[10] = { 0 };
	for (int k = 0; k < 10; k++)
		last[k] = -1;
	size_t redelivered = 0;
	for (size_t i = mark; i < nlog; i++) {
		int k = key_of_off[lg[i].off];
		cr_assert_eq(lg[i].c, b);
		cr_assert_gt((int64_t) lg[i].off, last[k], "key %d out of order", k);
		last[k] = (int64_t) lg[i].off;
		if (lg[i].attempt == 2) {
			cr_assert(held_by_a[lg[i].off]);
			cr_assert(!fresh_seen[k], "key %d: a redelivery after a newer message", k);
			redelivered++;
		} else {
			fresh_seen[k] = 1;
		}
	}
	size_t a_had = 0;
	for (size_t off = 0; off < 100; off++)
		a_had += held_by_a[off];
	cr_assert_gt(a_had, 0);
	cr_assert_eq(redelivered, a_had);
	close_all(l, s);
}

Test(keyshared, a_blocked_key_stops_only_that_key_until_a_skip)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	Sluice__FailurePolicy pol = SLUICE__FAILURE_POLICY__INIT;
	Sluice__U32 maxr = SLUICE__U32__INIT, base = SLUICE__U32__INIT;
	maxr.value = 1;
	base.value = 10;
	pol.max_redeliveries = &maxr;
	pol.backoff_base_ms = &base;
	pol.on_exhausted = SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK;
	req.topic = (char *) "t";
	req.subscription = (char *) "s";
	req.type = KS;
	req.window = 100;
	req.start = SLUICE__START_AT__START_EARLIEST;
	req.consumer_name = (char *) "unit";
	req.policy = &pol;
	consumer *a = attach_req(s, t, &req);
	publish(l, s, t, 50, key_mod_10);
	fetch(s, a, 100);
	cr_assert_eq(nlog, 50);
	/* Offset 3 (key 3) fails twice: past max_redeliveries 1, it blocks. */
	for (size_t i = 0; i < 50; i++)
		if (lg[i].off != 3)
			ack(s, a, lg[i].off);
	Sluice__AckRange r = SLUICE__ACK_RANGE__INIT;
	const Sluice__AckRange *rp[] = { &r };
	r.first = r.last = 3;
	uint32_t applied, ignored;
	cr_assert_eq(subs_nack(s, a, rp, 1, 1, "bad", &applied, &ignored), SLUICE_OK);
	cr_assert_eq(applied, 1);
	subs_run_due(s, 1100);
	fetch(s, a, 100);
	cr_assert_eq(nlog, 51, "offset 3 comes again");
	cr_assert_eq(lg[50].off, 3);
	cr_assert_eq(lg[50].attempt, 2);
	cr_assert_eq(subs_nack(s, a, rp, 1, 1, "bad", &applied, &ignored), SLUICE_OK);
	subs_run_due(s, 1200);
	/* Key 3 stops; the other keys go on. */
	publish(l, s, t, 50, key_mod_10);
	size_t from = 51;
	for (int round = 0; round < 20; round++) {
		fetch(s, a, 100);
		size_t end = nlog;
		ack_range(s, a, from, end);
		from = end;
	}
	size_t others = 0;
	for (size_t i = 51; i < nlog; i++) {
		cr_assert_neq(key_of_off[lg[i].off], 3, "offset %llu of the blocked key went out",
		    (unsigned long long) lg[i].off);
		others++;
	}
	cr_assert_eq(others, 45, "%zu of the 45 other messages went out", others);
	/* An operator skips the poisoned message: the key resumes, in order. */
	uint64_t skipped;
	char detail[256];
	size_t mark = nlog;
	cr_assert_eq(subs_skip(s, t, "s", 1, &skipped, detail, sizeof(detail)), SLUICE_OK, "%s",
	    detail);
	cr_assert_eq(skipped, 1);
	fetch(s, a, 100);
	cr_assert_eq(nlog - mark, 5, "key 3's five newer messages");
	for (size_t i = mark; i < nlog; i++) {
		cr_assert_eq(key_of_off[lg[i].off], 3);
		if (i > mark)
			cr_assert_gt(lg[i].off, lg[i - 1].off);
	}
	close_all(l, s);
}

Test(keyshared, messages_without_a_key_go_round_robin)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = attach(s, t, 100);
		fetch(s, c[i], 10);
	}
	publish(l, s, t, 30, no_key);
	size_t per[3] = { 0 };
	for (size_t i = 0; i < nlog; i++)
		for (int j = 0; j < 3; j++)
			per[j] += lg[i].c == c[j];
	cr_assert_eq(nlog, 30);
	for (int j = 0; j < 3; j++)
		cr_assert_eq(per[j], 10, "consumer %d got %zu", j, per[j]);
	/* A full consumer is skipped. */
	nlog = 0;
	fetch(s, c[1], 10);
	fetch(s, c[2], 10);
	publish(l, s, t, 20, no_key);
	cr_assert_eq(nlog, 20);
	for (size_t i = 0; i < nlog; i++)
		cr_assert_neq(lg[i].c, c[0]);
	close_all(l, s);
}

Test(keyshared, reading_ahead_stops_at_the_held_back_bound)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *a = attach(s, t, 10), *b = attach(s, t, 10);
	publish(l, s, t, 40000, key_mod_40);
	fetch(s, a, 10); /* a fills its window and stops */
	size_t from = 0;
	for (int round = 0; round < 5000; round++) {
		size_t before = nlog;
		fetch(s, b, 10);
		size_t end = nlog;
		ack_range(s, b, from, end);
		from = end;
		if (nlog == before && round > 10)
			break;
	}
	subscription *sub = a->sub;
	uint64_t read = sub->read_pos;
	cr_assert_lt(read, 40000, "read everything: no bound");
	/* What was read and not delivered is held back: at most 10000. */
	cr_assert_leq(read - nlog, 10000, "%llu read, %zu delivered", (unsigned long long) read,
	    nlog);
	cr_assert_geq(read - nlog, 9000);
	/* a drains: everything goes out in the end, in key order. */
	ack_range(s, a, 0, from);
	for (int round = 0; round < 20000 && nlog < 40000; round++) {
		fetch(s, a, 10);
		fetch(s, b, 10);
		size_t end = nlog;
		ack_range(s, a, from, end);
		ack_range(s, b, from, end);
		from = end;
	}
	cr_assert_eq(nlog, 40000);
	check_key_order(40000);
	close_all(l, s);
}

/* ---- non-reliable ----------------------------------------------------------- */

Test(keyshared, non_reliable_routes_each_key_to_one_queue)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	req.topic = (char *) "t";
	req.subscription = (char *) "nr";
	req.type = KS;
	req.mode = SLUICE__SUB_MODE__MODE_NON_RELIABLE;
	req.window = 1000;
	req.consumer_name = (char *) "unit";
	consumer *c[3];
	for (int i = 0; i < 3; i++)
		c[i] = attach_req(s, t, &req);
	publish(l, s, t, 300, key_mod_10);
	for (int i = 0; i < 3; i++)
		cr_assert_lt(c[i]->rlen, 300, "everything in one queue");
	for (int round = 0; round < 10; round++)
		for (int i = 0; i < 3; i++)
			fetch(s, c[i], 100);
	cr_assert_eq(nlog, 300);
	consumer *owner[10] = { NULL };
	for (size_t i = 0; i < nlog; i++) {
		int k = key_of_off[lg[i].off];
		if (owner[k] == NULL)
			owner[k] = lg[i].c;
		cr_assert_eq(owner[k], lg[i].c, "key %d went to two consumers", k);
	}
	check_key_order(300);
	/* Without a key: round robin over the queues. */
	size_t mark = nlog;
	publish(l, s, t, 30, no_key);
	for (int i = 0; i < 3; i++)
		fetch(s, c[i], 100);
	cr_assert_eq(nlog, mark + 30);
	size_t per[3] = { 0 };
	for (size_t i = mark; i < nlog; i++)
		for (int j = 0; j < 3; j++)
			per[j] += lg[i].c == c[j];
	for (int j = 0; j < 3; j++)
		cr_assert_eq(per[j], 10, "consumer %d got %zu", j, per[j]);
	subs_stats st;
	cr_assert_eq(subs_get_stats(s, t, "nr", 0, &st), SLUICE_OK);
	cr_assert_str_eq(st.dispatcher, "non-reliable-key-shared");
	close_all(l, s);
}

Test(keyshared, cumulative_acks_are_refused_and_the_type_is_kept)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *a = attach(s, t, 10);
	uint32_t applied, ignored;
	cr_assert_eq(subs_ack(s, a, NULL, 0, 1, 5, NULL, 0, &applied, &ignored),
	    SLUICE_ENOTSUPP);
	subs_stats st;
	cr_assert_eq(subs_get_stats(s, t, "s", 0, &st), SLUICE_OK);
	cr_assert_str_eq(st.dispatcher, "reliable-key-shared");
	cr_assert_eq(st.type, KS);
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	req.topic = (char *) "t";
	req.subscription = (char *) "s";
	req.type = SLUICE__SUB_TYPE__SUB_SHARED;
	req.consumer_name = (char *) "unit";
	consumer *c = NULL;
	char detail[256];
	cr_assert_eq(subs_attach(s, t, &req, NULL, &c, detail, sizeof(detail)),
	    SLUICE_ESUBMISMATCH);
	req.type = (Sluice__SubType) 4;
	req.subscription = (char *) "other";
	cr_assert_eq(subs_attach(s, t, &req, NULL, &c, detail, sizeof(detail)), SLUICE_EINVAL);
	close_all(l, s);
}

Test(keyshared, non_reliable_block_holds_publishes_while_any_queue_is_full)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	Sluice__Subscribe req = SLUICE__SUBSCRIBE__INIT;
	req.topic = (char *) "t";
	req.subscription = (char *) "nr";
	req.type = KS;
	req.mode = SLUICE__SUB_MODE__MODE_NON_RELIABLE;
	req.window = 3;
	req.overflow = SLUICE__OVERFLOW__OVERFLOW_BLOCK;
	req.consumer_name = (char *) "unit";
	consumer *a = attach_req(s, t, &req), *b = attach_req(s, t, &req);
	int was_blocked = 0;
	for (int i = 0; i < 12 && !was_blocked; i++) {
		cr_assert_eq(subs_topic_blocked(s, t), 0);
		publish(l, s, t, 1, key_mod_10);
		was_blocked = subs_topic_blocked(s, t);
		cr_assert_eq(was_blocked, a->rlen >= 3 || b->rlen >= 3, "a %zu, b %zu", a->rlen,
		    b->rlen);
	}
	cr_assert(was_blocked, "never blocked");
	cr_assert(a->rlen < 3 || b->rlen < 3, "blocked only once both were full");
	close_all(l, s);
}

static void
persist(tlog *l, subs *s)
{
	tlog_batch *b;
	cr_assert_eq(tlog_batch_alloc(l, &b), SLUICE_OK);
	subs_persist(s, b, 1);
	tlog_batch_seal(b);
	cr_assert_eq(tlog_batch_write(b, 1), SLUICE_OK);
	tlog_batch_done(b, SLUICE_OK);
	tlog_batch_free(b);
}

Test(keyshared, unacked_messages_come_back_in_key_order_after_a_reopen)
{
	tlog *l;
	subs *s;
	tlog_topic *t;
	open_all(&l, &s, &t);
	consumer *a = attach(s, t, 100);
	publish(l, s, t, 100, key_mod_10);
	fetch(s, a, 60);
	cr_assert_eq(nlog, 60);
	static uint8_t acked[100];
	for (size_t i = 0; i < 60; i++)
		if (lg[i].off % 3 == 0) {
			ack(s, a, lg[i].off);
			acked[lg[i].off] = 1;
		}
	persist(l, s);
	subs_close(s);
	tlog_close(l);

	char dir[600];
	snprintf(dir, sizeof(dir), "%s/db", tmpdir_path());
	cr_assert_eq(tlog_open(&l, dir), SLUICE_OK);
	cr_assert_eq(subs_open(&s, l, &io), SLUICE_OK);
	subs_set_clock(s, 1000);
	cr_assert_eq(tlog_topic_find(l, "t", &t), SLUICE_OK);
	nlog = 0;
	consumer *c[2] = { attach(s, t, 7), attach(s, t, 7) };
	size_t from = 0, expect = 0;
	for (size_t off = 0; off < 100; off++)
		expect += !acked[off];
	for (int round = 0; round < 200 && nlog < expect; round++) {
		fetch(s, c[0], 7);
		fetch(s, c[1], 7);
		size_t end = nlog;
		ack_range(s, c[0], from, end);
		ack_range(s, c[1], from, end);
		from = end;
	}
	cr_assert_eq(nlog, expect, "%zu of %zu", nlog, expect);
	for (size_t i = 0; i < nlog; i++) {
		cr_assert(!acked[lg[i].off], "offset %llu acked before the restart",
		    (unsigned long long) lg[i].off);
		cr_assert_eq(lg[i].attempt, lg[i].off < 60 ? 2 : 1, "offset %llu: attempt %u",
		    (unsigned long long) lg[i].off, lg[i].attempt);
	}
	check_key_order(100);
	close_all(l, s);
}
