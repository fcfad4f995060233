/*
 * test_key_shared.c - key_shared subscriptions against the real sluiced
 * over real sockets (tests/integration/raw.c): per-key order while
 * consumers join and leave (issue #6), and non-reliable key routing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw.h"
#include "support.h"

TestSuite(key_shared, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 280);

#define KS SLUICE__SUB_TYPE__SUB_KEY_SHARED
#define REL SLUICE__SUB_MODE__MODE_RELIABLE
#define NONREL SLUICE__SUB_MODE__MODE_NON_RELIABLE

static broker_proc bp;

static void
start(void)
{
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0, "broker did not start");
}

static void
conn(raw_conn *c)
{
	cr_assert_eq(raw_open(c, bp.url), 0);
	cr_assert_eq(raw_hello(c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
}

/* Publishes n messages; message i gets key keys[i] (-1: none). Returns
 * the base offset. */
static uint64_t
publish_keyed(raw_conn *c, const char *topic, const int *keys, size_t n)
{
	Sluice__Message *ms = calloc(n, sizeof(*ms));
	Sluice__Message **ptrs = calloc(n, sizeof(*ptrs));
	char (*kb)[16] = calloc(n, sizeof(*kb));
	for (size_t i = 0; i < n; i++) {
		ms[i] = (Sluice__Message) SLUICE__MESSAGE__INIT;
		ms[i].payload.data = (uint8_t *) "payload";
		ms[i].payload.len = 7;
		if (keys[i] >= 0) {
			snprintf(kb[i], sizeof(kb[i]), "key-%d", keys[i]);
			ms[i].has_key = 1;
			ms[i].key.data = (uint8_t *) kb[i];
			ms[i].key.len = strlen(kb[i]);
		}
		ptrs[i] = &ms[i];
	}
	Sluice__Publish p = SLUICE__PUBLISH__INIT;
	p.topic = (char *) topic;
	p.n_messages = n;
	p.messages = ptrs;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 2;
	req.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	req.publish = &p;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &req, &r), 0, "publish failed");
	cr_assert_eq(r->status, SLUICE_OK, "publish: %s", r->error);
	cr_assert_eq(r->publish->count, n);
	uint64_t base = r->publish->base_offset;
	codec_reply_free(r);
	free(ms);
	free(ptrs);
	free(kb);
	return base;
}

static uint32_t
subscribe(raw_conn *c, const char *topic, Sluice__SubMode mode, uint32_t window,
    uint32_t queue, uint64_t *id)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) "ks";
	s.type = KS;
	s.mode = mode;
	s.window = window;
	s.queue_size = queue;
	s.start = SLUICE__START_AT__START_EARLIEST;
	s.consumer_name = (char *) "ks-consumer";
	return raw_subscribe_req(c, &s, id);
}

/* ---- reliable: consumers join and leave during 50,000 messages --------- */

#define NMSG 50000
#define NKEYS 1000
#define NCONS 3
#define WINDOW 200

static int key_of[NMSG];
static int holder[NMSG];     /* consumer incarnation holding it; -1 none */
static uint8_t acked[NMSG];
static uint8_t delivered[NMSG];
static uint64_t *by_key[NKEYS]; /* each key's offsets, ascending */
static size_t nby_key[NKEYS], first_unacked[NKEYS];
static size_t index_in_key[NMSG];

typedef struct {
	raw_conn conn;
	int up;
	int incarnation;
	uint64_t id;
	uint64_t *pending;   /* got in the last fetch: acked with the next one */
	size_t npending;
} slot;

static void
slot_open(slot *s, int incarnation)
{
	conn(&s->conn);
	cr_assert_eq(subscribe(&s->conn, "ks", REL, WINDOW, 0, &s->id), SLUICE_OK);
	s->up = 1;
	s->incarnation = incarnation;
	s->npending = 0;
}

/* Closes the connection: what it held unacked (its unsent acks too) goes
 * back to the broker, to be delivered again. */
static void
slot_close(slot *s)
{
	raw_close(&s->conn);
	s->up = 0;
	for (size_t i = 0; i < s->npending; i++)
		if (holder[s->pending[i]] == s->incarnation)
			holder[s->pending[i]] = -1;
	s->npending = 0;
}

/*
 * One delivery of off to incarnation x: every earlier message of its key
 * must be acked, or held by x (delivered to x, not yet acked): nothing of
 * a key goes out before an earlier unacked message of the same key, and
 * no key is at two consumers at once.
 */
static void
check_delivery(uint64_t off, uint32_t attempt, int x)
{
	cr_assert_lt(off, NMSG, "offset %llu was never published", (unsigned long long) off);
	int k = key_of[off];
	cr_assert(!acked[off], "offset %llu delivered after its ack", (unsigned long long) off);
	cr_assert(holder[off] == -1, "offset %llu delivered while held by %d",
	    (unsigned long long) off, holder[off]);
	cr_assert(attempt == 1 || delivered[off], "offset %llu: attempt %u, first time",
	    (unsigned long long) off, attempt);
	for (size_t i = first_unacked[k]; i < index_in_key[off]; i++) {
		uint64_t e = by_key[k][i];
		cr_assert(acked[e] || holder[e] == x,
		    "key %d: offset %llu delivered to %d while earlier offset %llu is %s", k,
		    (unsigned long long) off, x, (unsigned long long) e,
		    !delivered[e] ? "not delivered yet" : holder[e] == -1 ? "given back"
		                                                           : "held elsewhere");
	}
	holder[off] = x;
	delivered[off] = 1;
}

static void
mark_acked(uint64_t off)
{
	int k = key_of[off];
	acked[off] = 1;
	holder[off] = -1;
	while (first_unacked[k] < nby_key[k] && acked[by_key[k][first_unacked[k]]])
		first_unacked[k]++;
}

/* Fetches for slot s, acking what it got last time; returns the number of
 * records and the number of acks that went with the fetch. */
static size_t
slot_round(slot *s, size_t *nacked)
{
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(&s->conn, s->id, 100, 10, s->pending, s->npending, &r), 0,
	    "fetch failed");
	cr_assert_eq(r->status, SLUICE_OK, "fetch: %s", r->error);
	/* The broker applied the acks before it answered. */
	for (size_t i = 0; i < s->npending; i++)
		mark_acked(s->pending[i]);
	*nacked = s->npending;
	s->npending = 0;
	size_t n = r->deliver->n_records;
	for (size_t i = 0; i < n; i++) {
		Sluice__Record *rec = r->deliver->records[i];
		check_delivery(rec->offset, rec->attempt, s->incarnation);
		s->pending[s->npending++] = rec->offset;
	}
	codec_reply_free(r);
	return n;
}

Test(key_shared, per_key_order_holds_while_consumers_join_and_leave)
{
	start();
	uint64_t st = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < NMSG; i++) {
		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		key_of[i] = (int) (st % NKEYS);
		holder[i] = -1;
		index_in_key[i] = nby_key[key_of[i]]++;
	}
	for (int k = 0; k < NKEYS; k++) {
		by_key[k] = calloc(nby_key[k] ? nby_key[k] : 1, sizeof(uint64_t));
		nby_key[k] = 0;
	}
	for (size_t i = 0; i < NMSG; i++)
		by_key[key_of[i]][nby_key[key_of[i]]++] = i;

	raw_conn prod;
	conn(&prod);
	slot slots[NCONS];
	int incarnations = 0;
	for (int i = 0; i < NCONS; i++) {
		slots[i].pending = calloc(WINDOW + 1, sizeof(uint64_t));
		slot_open(&slots[i], incarnations++);
	}
	size_t published = 0, nacked_total = 0, redelivered = 0, cycles = 0;
	size_t next_leave = 2500, rejoin_at = 0;
	int down = -1;
	int idle_rounds = 0;
	while (nacked_total < NMSG) {
		if (published < NMSG) {
			size_t n = NMSG - published < 500 ? NMSG - published : 500;
			uint64_t base = publish_keyed(&prod, "ks", key_of + published, n);
			cr_assert_eq(base, published);
			published += n;
		}
		size_t got = 0;
		for (int i = 0; i < NCONS; i++) {
			if (!slots[i].up)
				continue;
			size_t a;
			got += slot_round(&slots[i], &a);
			nacked_total += a;
		}
		/* A consumer leaves every 2,500 acks and comes back (a new
		 * connection, a new consumer) 1,000 acks later. */
		if (down < 0 && nacked_total >= next_leave && nacked_total < NMSG - 2000) {
			down = (int) (cycles++ % NCONS);
			for (size_t i = 0; i < slots[down].npending; i++)
				redelivered++;
			slot_close(&slots[down]);
			rejoin_at = nacked_total + 1000;
			next_leave += 2500;
		} else if (down >= 0 && nacked_total >= rejoin_at) {
			slot_open(&slots[down], incarnations++);
			down = -1;
		}
		idle_rounds = got == 0 ? idle_rounds + 1 : 0;
		cr_assert_lt(idle_rounds, 500, "no progress: %zu of %d acked", nacked_total, NMSG);
	}
	cr_log_info("%zu departures, %zu messages in flight at them, %d consumers in all",
	    cycles, redelivered, incarnations);
	cr_assert_geq(cycles, 10, "consumers left only %zu times", cycles);
	cr_assert_gt(redelivered, 0, "no consumer left with messages in flight");
	for (size_t i = 0; i < NMSG; i++)
		cr_assert(acked[i], "offset %zu never acked", i);
	for (int i = 0; i < NCONS; i++) {
		if (slots[i].up)
			raw_close(&slots[i].conn);
		free(slots[i].pending);
	}
	raw_close(&prod);
	for (int k = 0; k < NKEYS; k++)
		free(by_key[k]);
	cr_assert_eq(broker_stop(&bp), 0, "broker did not exit cleanly");
}

/* ---- non-reliable ------------------------------------------------------------ */

Test(key_shared, non_reliable_sends_each_key_to_one_consumer_in_order)
{
	start();
	raw_conn prod, c[3];
	uint64_t id[3];
	conn(&prod);
	for (int i = 0; i < 3; i++) {
		conn(&c[i]);
		cr_assert_eq(subscribe(&c[i], "nr", NONREL, 1000, 5000, &id[i]), SLUICE_OK);
	}
	Sluice__Subscribe other = SLUICE__SUBSCRIBE__INIT;
	other.topic = (char *) "nr";
	other.subscription = (char *) "ks";
	other.type = SLUICE__SUB_TYPE__SUB_SHARED;
	other.mode = NONREL;
	other.consumer_name = (char *) "x";
	cr_assert_eq(raw_subscribe_req(&prod, &other, NULL), SLUICE_ESUBMISMATCH);
	enum { N = 3000, NOKEY = 300 };
	static int keys[N + NOKEY];
	for (int i = 0; i < N; i++)
		keys[i] = (i * 7) % 50;
	for (int i = N; i < N + NOKEY; i++)
		keys[i] = -1;
	for (int i = 0; i < N + NOKEY; i += 500)
		publish_keyed(&prod, "nr", keys + i, N + NOKEY - i < 500 ? N + NOKEY - i : 500);
	int owner[50];
	int64_t last[50];
	size_t per[3] = { 0 }, nokey[3] = { 0 }, total = 0;
	for (int k = 0; k < 50; k++) {
		owner[k] = -1;
		last[k] = -1;
	}
	for (int round = 0; round < 200 && total < N + NOKEY; round++) {
		for (int i = 0; i < 3; i++) {
			Sluice__Reply *r;
			cr_assert_eq(raw_fetch(&c[i], id[i], 1000, 10, NULL, 0, &r), 0);
			cr_assert_eq(r->status, SLUICE_OK);
			cr_assert_eq(r->deliver->dropped, 0, "dropped with room in the queue");
			for (size_t j = 0; j < r->deliver->n_records; j++) {
				uint64_t off = r->deliver->records[j]->offset;
				cr_assert_lt(off, N + NOKEY);
				int k = keys[off];
				total++;
				if (k < 0) {
					nokey[i]++;
					continue;
				}
				per[i]++;
				if (owner[k] < 0)
					owner[k] = i;
				cr_assert_eq(owner[k], i, "key %d at consumers %d and %d", k, owner[k], i);
				cr_assert_gt((int64_t) off, last[k], "key %d out of order", k);
				last[k] = (int64_t) off;
			}
			codec_reply_free(r);
		}
	}
	cr_assert_eq(total, N + NOKEY);
	for (int i = 0; i < 3; i++) {
		cr_assert_gt(per[i], 0, "consumer %d owns no key", i);
		cr_assert_eq(nokey[i], NOKEY / 3, "consumer %d got %zu messages without a key", i,
		    nokey[i]);
		raw_close(&c[i]);
	}
	raw_close(&prod);
	cr_assert_eq(broker_stop(&bp), 0, "broker did not exit cleanly");
}
