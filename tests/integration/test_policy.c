/*
 * test_policy.c - failure policies against the real broker: a nacked
 * message comes back after its backoff and goes to the dead-letter topic
 * after max_redeliveries with properties naming its origin; attempt counts
 * survive kill -9; ack timeouts redeliver; park, replay and drop; block
 * keeps order and `why` names the offset.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "raw.h"
#include "support.h"

TestSuite(policy, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 90);

static broker_proc bp;
static char data[600];

static void
start(void)
{
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0, "broker did not start");
}

static void
conn(raw_conn *c)
{
	cr_assert_eq(raw_open(c, bp.url), 0);
	cr_assert_eq(raw_hello(c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Publishes one message with a key and a property. */
static uint64_t
publish_one(raw_conn *c, const char *topic, const char *payload)
{
	Sluice__Property prop = SLUICE__PROPERTY__INIT, *props[] = { &prop };
	prop.key = (char *) "origin";
	prop.value = (char *) "test";
	Sluice__Message m = SLUICE__MESSAGE__INIT, *mp = &m;
	m.has_key = 1;
	m.key.data = (uint8_t *) "k1";
	m.key.len = 2;
	m.payload.data = (uint8_t *) payload;
	m.payload.len = strlen(payload);
	m.n_properties = 1;
	m.properties = props;
	Sluice__Publish p = SLUICE__PUBLISH__INIT;
	p.topic = (char *) topic;
	p.n_messages = 1;
	p.messages = &mp;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	rq.publish = &p;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &rq, &r), 0);
	cr_assert_eq(r->status, 0, "publish: %s", r->error);
	uint64_t base = r->publish->base_offset;
	codec_reply_free(r);
	return base;
}

typedef struct {
	Sluice__U32 timeout, base, max, redeliveries;
	Sluice__FailurePolicy fp;
} policy_buf;

static const Sluice__FailurePolicy *
policy(policy_buf *b, uint32_t ack_timeout_ms, uint32_t base_ms,
    uint32_t max_redeliveries, Sluice__OnExhausted on_exhausted)
{
	sluice__failure_policy__init(&b->fp);
	sluice__u32__init(&b->timeout);
	sluice__u32__init(&b->base);
	sluice__u32__init(&b->max);
	sluice__u32__init(&b->redeliveries);
	b->timeout.value = ack_timeout_ms;
	b->base.value = base_ms;
	b->max.value = base_ms;
	b->redeliveries.value = max_redeliveries;
	b->fp.ack_timeout_ms = &b->timeout;
	b->fp.backoff = SLUICE__BACKOFF_KIND__BACKOFF_FIXED;
	b->fp.backoff_base_ms = &b->base;
	b->fp.backoff_max_ms = &b->max;
	b->fp.max_redeliveries = &b->redeliveries;
	b->fp.on_exhausted = on_exhausted;
	return &b->fp;
}

static uint64_t
subscribe(raw_conn *c, const char *topic, const char *sub, uint32_t window,
    const Sluice__FailurePolicy *fp)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.window = window;
	s.start = SLUICE__START_AT__START_EARLIEST;
	s.consumer_name = (char *) "policy-test";
	s.policy = (Sluice__FailurePolicy *) fp;
	uint64_t id;
	cr_assert_eq(raw_subscribe_req(c, &s, &id), SLUICE_OK);
	return id;
}

/* One fetch; returns the records' count, copying offset/attempt of the
 * first few. *r_out (optional) keeps the reply. */
static size_t
fetch(raw_conn *c, uint64_t id, uint32_t wait_ms, uint64_t *offs,
    uint32_t *att, Sluice__Reply **r_out)
{
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(c, id, 10, wait_ms, NULL, 0, &r), 0);
	cr_assert_eq(r->status, 0, "fetch: %s", r->error);
	size_t n = r->deliver->n_records;
	for (size_t i = 0; i < n && i < 16; i++) {
		if (offs)
			offs[i] = r->deliver->records[i]->offset;
		if (att)
			att[i] = r->deliver->records[i]->attempt;
	}
	if (r_out)
		*r_out = r;
	else
		codec_reply_free(r);
	return n;
}

static void
nack(raw_conn *c, uint64_t id, uint64_t off, uint32_t delay_ms, const char *reason)
{
	Sluice__AckRange range = SLUICE__ACK_RANGE__INIT, *rp = &range;
	range.first = range.last = off;
	Sluice__Ack a = SLUICE__ACK__INIT;
	a.consumer_id = id;
	a.n_nacks = 1;
	a.nacks = &rp;
	a.nack_delay_ms = delay_ms;
	a.nack_reason = (char *) reason;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.body_case = SLUICE__REQUEST__BODY_ACK;
	rq.ack = &a;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &rq, &r), 0);
	cr_assert_eq(r->status, 0, "nack: %s", r->error);
	cr_assert_eq(r->ack->applied, 1, "nack of %llu not applied", (unsigned long long) off);
	codec_reply_free(r);
}

static void
ack(raw_conn *c, uint64_t id, uint64_t off)
{
	uint32_t applied;
	cr_assert_eq(raw_ack(c, id, &off, 1, 0, &applied, NULL), 0);
	cr_assert_eq(applied, 1);
}

/* An admin request; the reply is returned (free it). */
static Sluice__Reply *
admin(raw_conn *c, Sluice__AdminOp op, const char *topic, const char *sub,
    uint64_t count)
{
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = op;
	a.topic = (char *) topic;
	a.subscription = (char *) sub;
	a.count = count;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.body_case = SLUICE__REQUEST__BODY_ADMIN;
	rq.admin = &a;
	Sluice__Reply *r;
	cr_assert_eq(raw_call(c, &rq, &r), 0);
	cr_assert_eq(r->status, 0, "admin op %d: %s", (int) op, r->error);
	return r;
}

static const char *
prop(const Sluice__StoredMessage *m, const char *key)
{
	for (size_t i = 0; i < m->n_properties; i++)
		if (strcmp(m->properties[i]->key, key) == 0)
			return m->properties[i]->value;
	return NULL;
}

Test(policy, nack_backoff_then_dead_letter_with_origin_properties)
{
	start();
	raw_conn c;
	conn(&c);
	uint64_t off = publish_one(&c, "orders", "poison");
	policy_buf pb;
	uint64_t id = subscribe(&c, "orders", "billing", 10,
	    policy(&pb, 0, 400, 2, SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER));
	uint64_t offs[16];
	uint32_t att[16];
	cr_assert_eq(fetch(&c, id, 2000, offs, att, NULL), 1);
	cr_assert_eq(att[0], 1);
	for (uint32_t attempt = 1; attempt <= 2; attempt++) {
		uint64_t t0 = now_ms();
		nack(&c, id, off, 0, "bad payload");
		cr_assert_eq(fetch(&c, id, 5000, offs, att, NULL), 1, "no redelivery");
		uint64_t dt = now_ms() - t0;
		cr_assert_eq(att[0], attempt + 1);
		/* The backoff is 400 ms: not before it, and not long after. */
		cr_assert(dt >= 390 && dt < 1000, "redelivered after %llu ms",
		    (unsigned long long) dt);
	}
	/* The third delivery fails too: max_redeliveries (2) is spent. */
	nack(&c, id, off, 0, "bad payload");
	cr_assert_eq(fetch(&c, id, 1500, NULL, NULL, NULL), 0, "no fourth delivery");

	uint64_t dlq = subscribe(&c, "orders.billing.dlq", "audit", 10, NULL);
	Sluice__Reply *r;
	cr_assert_eq(fetch(&c, dlq, 3000, NULL, NULL, &r), 1, "nothing in the dead-letter topic");
	const Sluice__StoredMessage *m = r->deliver->records[0]->message;
	cr_assert_eq(m->payload.len, 6);
	cr_assert(memcmp(m->payload.data, "poison", 6) == 0);
	cr_assert(m->has_key && m->key.len == 2 && memcmp(m->key.data, "k1", 2) == 0);
	cr_assert_str_eq(prop(m, "origin"), "test", "its own properties are kept");
	cr_assert_str_eq(prop(m, "sluice.dlq.topic"), "orders");
	cr_assert_str_eq(prop(m, "sluice.dlq.subscription"), "billing");
	cr_assert_str_eq(prop(m, "sluice.dlq.offset"), "0");
	cr_assert_str_eq(prop(m, "sluice.dlq.attempts"), "3");
	cr_assert_str_eq(prop(m, "sluice.dlq.reason"), "bad payload");
	codec_reply_free(r);

	Sluice__Reply *st = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_STATS, "orders", "billing", 0);
	cr_assert_eq(st->admin->subs[0]->backlog, 0, "dead-lettered means acked");
	cr_assert_eq(st->admin->subs[0]->dead_lettered, 1);
	cr_assert_eq(st->admin->subs[0]->exhausted, 1);
	cr_assert_eq(st->admin->subs[0]->policy->max_redeliveries->value, 2);
	codec_reply_free(st);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(policy, client_chosen_nack_delay_and_ack_timeout)
{
	start();
	raw_conn c;
	conn(&c);
	publish_one(&c, "jobs", "a");
	policy_buf pb;
	/* ack timeout 300 ms; a timed-out delivery is retried at once. */
	uint64_t id = subscribe(&c, "jobs", "w", 10,
	    policy(&pb, 300, 0, 0, SLUICE__ON_EXHAUSTED__EXHAUSTED_DROP));
	uint64_t offs[16];
	uint32_t att[16];
	cr_assert_eq(fetch(&c, id, 2000, offs, att, NULL), 1);
	uint64_t t0 = now_ms();
	cr_assert_eq(fetch(&c, id, 3000, offs, att, NULL), 1, "not redelivered after the timeout");
	uint64_t dt = now_ms() - t0;
	cr_assert_eq(att[0], 2);
	cr_assert(dt >= 280 && dt < 900, "timed out after %llu ms", (unsigned long long) dt);

	t0 = now_ms();
	nack(&c, id, offs[0], 250, "later please");
	cr_assert_eq(fetch(&c, id, 3000, offs, att, NULL), 1);
	dt = now_ms() - t0;
	cr_assert_eq(att[0], 3);
	cr_assert(dt >= 240 && dt < 800, "nack delay 250 ms took %llu ms",
	    (unsigned long long) dt);
	ack(&c, id, offs[0]);
	Sluice__Reply *st = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_STATS, "jobs", "w", 0);
	cr_assert_eq(st->admin->subs[0]->ack_timeouts, 1);
	cr_assert_eq(st->admin->subs[0]->nacked, 1);
	cr_assert_eq(st->admin->subs[0]->backlog, 0);
	codec_reply_free(st);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(policy, attempt_counts_survive_kill_9)
{
	start();
	raw_conn c;
	conn(&c);
	uint64_t off = publish_one(&c, "pay", "x");
	policy_buf pb;
	uint64_t id = subscribe(&c, "pay", "s", 10,
	    policy(&pb, 0, 100, 3, SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER));
	uint32_t att[16];
	for (uint32_t a = 1; a <= 2; a++) {
		cr_assert_eq(fetch(&c, id, 3000, NULL, att, NULL), 1);
		cr_assert_eq(att[0], a);
		nack(&c, id, off, 0, "flaky");
	}
	/* The failure is written with the next batch; give it a moment. */
	struct timespec pause = { 0, 300 * 1000000L };
	nanosleep(&pause, NULL);
	raw_close(&c);
	broker_kill9(&bp);
	cr_assert_eq(broker_restart(&bp), 0);
	conn(&c);
	id = subscribe(&c, "pay", "s", 10, NULL);
	cr_assert_eq(fetch(&c, id, 3000, NULL, att, NULL), 1);
	cr_assert_eq(att[0], 3, "the count restarted after kill -9: attempt %u", att[0]);
	nack(&c, id, off, 0, "flaky");
	cr_assert_eq(fetch(&c, id, 3000, NULL, att, NULL), 1);
	cr_assert_eq(att[0], 4);
	nack(&c, id, off, 0, "still flaky");
	uint64_t dlq = subscribe(&c, "pay.s.dlq", "audit", 10, NULL);
	Sluice__Reply *r;
	cr_assert_eq(fetch(&c, dlq, 3000, NULL, NULL, &r), 1);
	cr_assert_str_eq(prop(r->deliver->records[0]->message, "sluice.dlq.attempts"), "4");
	codec_reply_free(r);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(policy, park_then_replay_and_drop)
{
	start();
	raw_conn c;
	conn(&c);
	for (int i = 0; i < 3; i++)
		publish_one(&c, "mail", i == 1 ? "bad" : "good");
	policy_buf pb;
	uint64_t id = subscribe(&c, "mail", "send", 10,
	    policy(&pb, 0, 0, 1, SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK));
	uint64_t offs[16];
	uint32_t att[16];
	cr_assert_eq(fetch(&c, id, 2000, offs, att, NULL), 3);
	ack(&c, id, 0);
	ack(&c, id, 2);
	nack(&c, id, 1, 0, "smtp refused");
	cr_assert_eq(fetch(&c, id, 2000, offs, att, NULL), 1);
	cr_assert_eq(offs[0], 1);
	nack(&c, id, 1, 0, "smtp refused");
	/* Parked: delivery went on past it, so nothing is left. */
	cr_assert_eq(fetch(&c, id, 500, NULL, NULL, NULL), 0);
	Sluice__Reply *r = admin(&c, SLUICE__ADMIN_OP__ADMIN_PARKED_LIST, "mail", "send", 0);
	cr_assert_eq(r->admin->n_parked, 1);
	cr_assert_eq(r->admin->parked[0]->offset, 1);
	cr_assert_eq(r->admin->parked[0]->attempts, 2);
	cr_assert_str_eq(r->admin->parked[0]->reason, "smtp refused");
	cr_assert_eq(r->admin->parked[0]->message->payload.len, 3, "a copy of the message");
	codec_reply_free(r);
	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_STATS, "mail", "send", 0);
	cr_assert_eq(r->admin->subs[0]->parked, 1);
	cr_assert_eq(r->admin->subs[0]->backlog, 0);
	codec_reply_free(r);

	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_PARKED_REPLAY, "mail", "send", 0);
	cr_assert_eq(r->admin->affected, 1);
	codec_reply_free(r);
	cr_assert_eq(fetch(&c, id, 2000, offs, att, NULL), 1, "replayed message not delivered");
	cr_assert_eq(offs[0], 1);
	cr_assert_eq(att[0], 1, "attempts start over on replay");
	/* Fails twice again: parked again; then dropped. */
	nack(&c, id, 1, 0, "smtp refused");
	cr_assert_eq(fetch(&c, id, 2000, offs, att, NULL), 1);
	nack(&c, id, 1, 0, "smtp refused");
	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_PARKED_LIST, "mail", "send", 0);
	cr_assert_eq(r->admin->n_parked, 1);
	codec_reply_free(r);
	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_PARKED_DROP, "mail", "send", 0);
	cr_assert_eq(r->admin->affected, 1);
	codec_reply_free(r);
	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_PARKED_LIST, "mail", "send", 0);
	cr_assert_eq(r->admin->n_parked, 0);
	codec_reply_free(r);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(policy, block_keeps_order_and_why_names_the_offset)
{
	start();
	raw_conn c;
	conn(&c);
	for (int i = 0; i < 5; i++)
		publish_one(&c, "ledger", "entry");
	policy_buf pb;
	uint64_t id = subscribe(&c, "ledger", "post", 10,
	    policy(&pb, 0, 0, 1, SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK));
	uint64_t offs[16];
	cr_assert_eq(fetch(&c, id, 2000, offs, NULL, NULL), 5);
	ack(&c, id, 0);
	ack(&c, id, 1);
	ack(&c, id, 3);
	ack(&c, id, 4);
	nack(&c, id, 2, 0, "unbalanced");
	cr_assert_eq(fetch(&c, id, 2000, offs, NULL, NULL), 1);
	cr_assert_eq(offs[0], 2);
	nack(&c, id, 2, 0, "unbalanced");
	for (int i = 0; i < 3; i++)
		publish_one(&c, "ledger", "later");
	cr_assert_eq(fetch(&c, id, 700, NULL, NULL, NULL), 0, "delivered past a blocked message");
	Sluice__Reply *r = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_WHY, "ledger", "post", 0);
	cr_assert_str_eq(r->admin->why->code, "blocked_by_policy");
	cr_assert_eq(r->admin->why->offset, 2);
	cr_assert(strstr(r->admin->why->sentence, "offset 2") != NULL, "%s", r->admin->why->sentence);
	codec_reply_free(r);
	/* An operator skips the poisoned message: the rest follow in order. */
	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_SKIP, "ledger", "post", 1);
	cr_assert_eq(r->admin->affected, 1);
	codec_reply_free(r);
	cr_assert_eq(fetch(&c, id, 2000, offs, NULL, NULL), 3);
	cr_assert_eq(offs[0], 5);
	cr_assert_eq(offs[1], 6);
	cr_assert_eq(offs[2], 7);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(policy, config_file_sets_the_default_policy_of_new_subscriptions)
{
	char cfg[700];
	snprintf(cfg, sizeof(cfg), "%s/sluice.yaml", tmpdir_path());
	FILE *f = fopen(cfg, "w");
	cr_assert_not_null(f);
	fprintf(f, "metrics_listen: \"off\"\n"
	           "subscriptions:\n  defaults:\n    max_redeliveries: 1\n"
	           "    on_exhausted: drop\n    backoff: fixed\n    backoff_base: 0s\n"
	           "    backoff_max: 0s\n    ack_timeout: 0s\n");
	fclose(f);
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *extra[] = { "--config", cfg, NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0, "broker did not start");
	raw_conn c;
	conn(&c);
	uint64_t off = publish_one(&c, "cfg", "x");
	uint64_t id = subscribe(&c, "cfg", "s", 10, NULL);
	Sluice__Reply *r = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_STATS, "cfg", "s", 0);
	const Sluice__FailurePolicy *p = r->admin->subs[0]->policy;
	cr_assert_eq(p->max_redeliveries->value, 1);
	cr_assert_eq(p->on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_DROP);
	cr_assert_eq(p->ack_timeout_ms->value, 0);
	cr_assert_str_eq(p->dead_letter_topic, "cfg.s.dlq");
	codec_reply_free(r);
	/* Two failures: dropped, acked, counted. */
	uint32_t att[16];
	cr_assert_eq(fetch(&c, id, 2000, NULL, att, NULL), 1);
	nack(&c, id, off, 0, "no");
	cr_assert_eq(fetch(&c, id, 2000, NULL, att, NULL), 1);
	cr_assert_eq(att[0], 2);
	nack(&c, id, off, 0, "no");
	cr_assert_eq(fetch(&c, id, 500, NULL, NULL, NULL), 0);
	r = admin(&c, SLUICE__ADMIN_OP__ADMIN_SUB_STATS, "cfg", "s", 0);
	cr_assert_eq(r->admin->subs[0]->dropped_exhausted, 1);
	cr_assert_eq(r->admin->subs[0]->backlog, 0);
	codec_reply_free(r);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}
