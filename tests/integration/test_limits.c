/*
 * test_limits.c - rate limits and the circuit breaker against the real
 * sluiced: a subscription's dispatch limit and a topic's publish limit
 * hold within 10% over 5 s (the publish limit by delaying acks: every
 * publish is acknowledged, none refused or lost), and a consumer whose
 * deliveries keep failing is cut off for a cool-down while the others go
 * on, then gets exactly one probe.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_get.h"
#include "raw.h"
#include "sluice/sluice.h"
#include "support.h"

TestSuite(limits, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 120);

static broker_proc bp;
static int mport;

static void
start(void)
{
	/* Static: broker_restart uses the flags again. */
	static char murl[64];
	static const char *extra[] = { "--metrics-listen", murl, NULL };
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	mport = free_port();
	cr_assert_gt(mport, 0);
	snprintf(murl, sizeof(murl), "http://127.0.0.1:%d", mport);
	cr_assert_eq(broker_start(&bp, data, extra), 0);
}

static void
connect_raw(raw_conn *c)
{
	cr_assert_eq(raw_open(c, bp.url), 0);
	cr_assert_eq(raw_hello(c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Sends an admin request; *out is the reply (codec_reply_free it). */
static uint32_t
admin(raw_conn *c, Sluice__Admin *a, Sluice__Reply **out)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 9;
	req.body_case = SLUICE__REQUEST__BODY_ADMIN;
	req.admin = a;
	cr_assert_eq(raw_call(c, &req, out), 0);
	return (*out)->status;
}

/* The (only) consumer info of consumer id in subscription sub of topic. */
static Sluice__ConsumerInfo *
consumer_info(raw_conn *c, const char *topic, const char *sub, uint64_t id,
    Sluice__Reply **keep)
{
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = SLUICE__ADMIN_OP__ADMIN_CONSUMERS_LIST;
	a.topic = (char *) topic;
	a.subscription = (char *) sub;
	cr_assert_eq(admin(c, &a, keep), SLUICE_OK, "%s", (*keep)->error);
	Sluice__AdminResult *res = (*keep)->admin;
	for (size_t i = 0; i < res->n_consumers; i++)
		if (res->consumers[i]->id == id)
			return res->consumers[i];
	cr_assert_fail("consumer %llu not listed", (unsigned long long) id);
	return NULL;
}

static void
publish_n(raw_conn *c, const char *topic, size_t n)
{
	while (n > 0) {
		size_t k = n > 500 ? 500 : n;
		cr_assert_eq(raw_publish(c, topic, k, "limit me", NULL), SLUICE_OK);
		n -= k;
	}
}

Test(limits, a_dispatch_limit_of_1000_per_second_delivers_5000_in_5_seconds)
{
	start();
	raw_conn c;
	connect_raw(&c);
	publish_n(&c, "rl", 5000);

	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	Sluice__RateLimit rl = SLUICE__RATE_LIMIT__INIT;
	Sluice__U64 msgs = SLUICE__U64__INIT;
	msgs.value = 1000;
	rl.msgs_per_sec = &msgs;
	s.topic = (char *) "rl";
	s.subscription = (char *) "slow";
	s.type = SLUICE__SUB_TYPE__SUB_SHARED;
	s.window = 2000;
	s.start = SLUICE__START_AT__START_EARLIEST;
	s.consumer_name = (char *) "reader";
	s.dispatch_limit = &rl;
	uint64_t id;
	double t0 = now_s();
	cr_assert_eq(raw_subscribe_req(&c, &s, &id), SLUICE_OK);

	static uint64_t acks[5000];
	size_t got = 0, nacks = 0, frames = 0;
	double first_second_end = t0 + 1.0;
	size_t in_first_second = 0;
	while (got < 5000 && now_s() - t0 < 20) {
		Sluice__Reply *r;
		cr_assert_eq(raw_fetch(&c, id, 5000, 1000, acks, nacks, &r), 0);
		cr_assert_eq(r->status, SLUICE_OK);
		nacks = 0;
		for (size_t i = 0; i < r->deliver->n_records; i++) {
			cr_assert_eq(r->deliver->records[i]->offset, got, "in order, no gaps");
			acks[nacks++] = r->deliver->records[i]->offset;
			got++;
		}
		frames += r->deliver->n_records > 0;
		if (now_s() <= first_second_end)
			in_first_second = got;
		codec_reply_free(r);
	}
	double took = now_s() - t0;
	cr_log_info("5000 messages at 1000/s: %.3f s in %zu frames", took, frames);
	cr_assert_eq(got, 5000);
	cr_assert(took >= 4.5 && took <= 5.5, "5000 messages took %.3f s", took);
	/* No burst at the start: the first second holds about 1000. */
	cr_assert_leq(in_first_second, 1100, "%zu in the first second", in_first_second);

	/* The limit shows in the subscription's stats and the metrics. */
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = SLUICE__ADMIN_OP__ADMIN_SUB_STATS;
	a.topic = (char *) "rl";
	a.subscription = (char *) "slow";
	Sluice__Reply *r;
	cr_assert_eq(admin(&c, &a, &r), SLUICE_OK);
	Sluice__SubInfo *si = r->admin->subs[0];
	cr_assert_gt(si->rate_limited, 0);
	cr_assert_not_null(si->dispatch_limit);
	cr_assert_eq(si->dispatch_limit->msgs_per_sec->value, 1000);
	codec_reply_free(r);
	http_reply h;
	cr_assert_eq(http_request(mport, "GET", "/metrics", &h), 0);
	cr_assert(strstr(h.body, "sluice_subscription_rate_limited_total{topic=\"rl\","
	                         "subscription=\"slow\"} ") != NULL, "%s", h.body);
	cr_assert(strstr(h.body, "sluice_subscription_rate_limited_total{topic=\"rl\","
	                         "subscription=\"slow\"} 0\n") == NULL, "%s", h.body);
	http_reply_free(&h);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

static atomic_long acked, refused;

static void
on_ack(sluice_producer *p, sluice_err rv, uint64_t off, void *arg)
{
	(void) p;
	(void) off;
	(void) arg;
	if (rv == SLUICE_OK)
		atomic_fetch_add(&acked, 1);
	else
		atomic_fetch_add(&refused, 1);
}

/* Sets topic's publish limit with ADMIN_TOPIC_CONFIGURE; the topic info
 * that comes back shows it. */
static void
configure_topic(raw_conn *c, const char *topic, uint64_t msgs_per_sec)
{
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	Sluice__RateLimit rl = SLUICE__RATE_LIMIT__INIT;
	Sluice__U64 msgs = SLUICE__U64__INIT;
	msgs.value = msgs_per_sec;
	rl.msgs_per_sec = &msgs;
	a.op = SLUICE__ADMIN_OP__ADMIN_TOPIC_CONFIGURE;
	a.topic = (char *) topic;
	a.publish_limit = &rl;
	Sluice__Reply *r;
	cr_assert_eq(admin(c, &a, &r), SLUICE_OK, "%s", r->error);
	cr_assert_eq(r->admin->n_topics, 1);
	cr_assert_eq(r->admin->topics[0]->publish_limit->msgs_per_sec->value, msgs_per_sec);
	cr_assert_eq(r->admin->topics[0]->publish_limit->bytes_per_sec->value, 0);
	codec_reply_free(r);
}

static Sluice__TopicInfo *
topic_stats(raw_conn *c, const char *topic, Sluice__Reply **keep)
{
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = SLUICE__ADMIN_OP__ADMIN_TOPIC_STATS;
	a.topic = (char *) topic;
	cr_assert_eq(admin(c, &a, keep), SLUICE_OK);
	return (*keep)->admin->topics[0];
}

Test(limits, a_publish_limit_of_1000_per_second_delays_acks_and_loses_nothing)
{
	start();
	raw_conn c;
	connect_raw(&c);
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE;
	a.topic = (char *) "pl";
	Sluice__Reply *r;
	cr_assert_eq(admin(&c, &a, &r), SLUICE_OK);
	codec_reply_free(r);
	configure_topic(&c, "pl", 1000);

	sluice_opts *o;
	sluice_client *cl;
	sluice_producer *p;
	sluice_opts_alloc(&o);
	sluice_opts_set_url(o, bp.url);
	cr_assert_eq(sluice_client_open(&cl, o), SLUICE_OK);
	sluice_opts_free(o);
	cr_assert_eq(sluice_producer_open(&p, cl, "pl", NULL), SLUICE_OK);
	double t0 = now_s();
	for (int i = 0; i < 5000; i++) {
		sluice_msg *m;
		cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
		sluice_msg_set_payload(m, "x", 1);
		cr_assert_eq(sluice_publish_async(p, &m, on_ack, NULL), SLUICE_OK);
	}
	cr_assert_eq(sluice_producer_flush(p), SLUICE_OK);
	double took = now_s() - t0;
	cr_log_info("5000 publishes at 1000/s: %.3f s", took);
	sluice_producer_close(p);
	sluice_client_close(cl);
	cr_assert_eq(atomic_load(&acked), 5000, "every publish is acked");
	cr_assert_eq(atomic_load(&refused), 0, "none refused");
	cr_assert(took >= 4.5 && took <= 5.5, "5000 publishes took %.3f s", took);

	Sluice__TopicInfo *ti = topic_stats(&c, "pl", &r);
	cr_assert_eq(ti->head_offset, 5000, "none lost");
	cr_assert_gt(ti->rate_limited, 0);
	uint64_t limited = ti->rate_limited;
	codec_reply_free(r);
	http_reply h;
	char want[128];
	snprintf(want, sizeof(want),
	    "sluice_topic_publish_rate_limited_total{topic=\"pl\"} %llu\n",
	    (unsigned long long) limited);
	cr_assert_eq(http_request(mport, "GET", "/metrics", &h), 0);
	cr_assert(strstr(h.body, want) != NULL, "%s", h.body);
	http_reply_free(&h);

	/* The limit is durable: after a restart it still holds. */
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
	cr_assert_eq(broker_restart(&bp), 0);
	connect_raw(&c);
	ti = topic_stats(&c, "pl", &r);
	cr_assert_eq(ti->publish_limit->msgs_per_sec->value, 1000);
	codec_reply_free(r);
	/* Lifting it lets publishes through at once. */
	configure_topic(&c, "pl", 0);
	double t1 = now_s();
	for (int i = 0; i < 10; i++)
		cr_assert_eq(raw_publish(&c, "pl", 500, "fast", NULL), SLUICE_OK);
	cr_assert_lt(now_s() - t1, 2.0);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(limits, config_file_limits_apply_to_auto_created_topics_and_new_subscriptions)
{
	char cfg[700], data[600];
	snprintf(cfg, sizeof(cfg), "%s/sluice.yaml", tmpdir_path());
	FILE *f = fopen(cfg, "w");
	cr_assert_not_null(f);
	fputs("topics:\n  policies:\n    - match: \"slow.*\"\n      publish_rate_msgs: 100\n"
	      "subscriptions:\n  defaults:\n    dispatch_rate_msgs: 250\n"
	      "    dispatch_rate_bytes: 1MiB\n    breaker_failures: 2\n"
	      "    breaker_cooldown: 3s\n    breaker_cooldown_max: 30s\n",
	    f);
	fclose(f);
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *extra[] = { "--config", cfg, "--metrics-listen", "off", NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	raw_conn c;
	connect_raw(&c);
	/* 300 messages at 100/s: the third hundred is acked after ~3 s. */
	double t0 = now_s();
	for (int i = 0; i < 3; i++)
		cr_assert_eq(raw_publish(&c, "slow.one", 100, "x", NULL), SLUICE_OK);
	double took = now_s() - t0;
	cr_assert(took >= 2.5 && took <= 3.6, "took %.3f s", took);
	Sluice__Reply *r;
	Sluice__TopicInfo *ti = topic_stats(&c, "slow.one", &r);
	cr_assert_eq(ti->publish_limit->msgs_per_sec->value, 100);
	cr_assert_eq(ti->head_offset, 300);
	codec_reply_free(r);
	/* Another topic is not limited. */
	t0 = now_s();
	for (int i = 0; i < 3; i++)
		cr_assert_eq(raw_publish(&c, "fast.one", 100, "x", NULL), SLUICE_OK);
	cr_assert_lt(now_s() - t0, 1.0);

	/* A subscription that sets no limit or breaker gets the defaults. */
	uint64_t id;
	cr_assert_eq(raw_subscribe(&c, "fast.one", "d", SLUICE__SUB_TYPE__SUB_SHARED,
	                 SLUICE__SUB_MODE__MODE_RELIABLE, 0, SLUICE__START_AT__START_EARLIEST,
	                 &id), SLUICE_OK);
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = SLUICE__ADMIN_OP__ADMIN_SUB_STATS;
	a.topic = (char *) "fast.one";
	a.subscription = (char *) "d";
	cr_assert_eq(admin(&c, &a, &r), SLUICE_OK);
	Sluice__SubInfo *si = r->admin->subs[0];
	cr_assert_eq(si->dispatch_limit->msgs_per_sec->value, 250);
	cr_assert_eq(si->dispatch_limit->bytes_per_sec->value, 1 << 20);
	cr_assert_eq(si->breaker->failures->value, 2);
	cr_assert_eq(si->breaker->cooldown_ms->value, 3000);
	cr_assert_eq(si->breaker->cooldown_max_ms->value, 30000);
	codec_reply_free(r);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
}

/* Fetches once for consumer id; returns the offsets received (at most
 * max, into offs). */
static size_t
fetch(raw_conn *c, uint64_t id, uint32_t max, uint32_t wait_ms, uint64_t *offs)
{
	Sluice__Reply *r;
	cr_assert_eq(raw_fetch(c, id, max, wait_ms, NULL, 0, &r), 0);
	cr_assert_eq(r->status, SLUICE_OK, "%s", r->error);
	size_t n = r->deliver->n_records;
	for (size_t i = 0; i < n && i < max; i++)
		offs[i] = r->deliver->records[i]->offset;
	codec_reply_free(r);
	return n;
}

Test(limits, the_breaker_opens_after_k_failures_while_others_keep_receiving_then_probes)
{
	start();
	raw_conn ca, cb, adm;
	connect_raw(&ca);
	connect_raw(&cb);
	connect_raw(&adm);
	publish_n(&adm, "br", 300);

	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	Sluice__BreakerPolicy bpol = SLUICE__BREAKER_POLICY__INIT;
	Sluice__FailurePolicy fp = SLUICE__FAILURE_POLICY__INIT;
	Sluice__U32 k = SLUICE__U32__INIT, cd = SLUICE__U32__INIT, cdmax = SLUICE__U32__INIT;
	Sluice__U32 base = SLUICE__U32__INIT, unlimited = SLUICE__U32__INIT;
	k.value = 3;
	cd.value = 1000;
	cdmax.value = 10000;
	base.value = 10;
	unlimited.value = 0;
	bpol.failures = &k;
	bpol.cooldown_ms = &cd;
	bpol.cooldown_max_ms = &cdmax;
	fp.backoff = SLUICE__BACKOFF_KIND__BACKOFF_FIXED;
	fp.backoff_base_ms = &base;
	fp.max_redeliveries = &unlimited;
	s.topic = (char *) "br";
	s.subscription = (char *) "work";
	s.type = SLUICE__SUB_TYPE__SUB_SHARED;
	s.window = 100;
	s.start = SLUICE__START_AT__START_EARLIEST;
	s.breaker = &bpol;
	s.policy = &fp;
	uint64_t ida, idb;
	s.consumer_name = (char *) "a-nacks";
	cr_assert_eq(raw_subscribe_req(&ca, &s, &ida), SLUICE_OK);
	s.consumer_name = (char *) "b-acks";
	cr_assert_eq(raw_subscribe_req(&cb, &s, &idb), SLUICE_OK);

	/* A fails three deliveries in a row: its breaker opens. */
	uint64_t offs[300];
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(fetch(&ca, ida, 1, 2000, offs), 1);
		cr_assert_eq(raw_ack(&ca, ida, offs, 1, 1, NULL, NULL), SLUICE_OK);
	}
	double opened = now_s();
	Sluice__Reply *r;
	Sluice__ConsumerInfo *ci = consumer_info(&adm, "br", "work", ida, &r);
	cr_assert_str_eq(ci->breaker, "open");
	cr_assert_eq(ci->recent_failures, 3);
	cr_assert(ci->breaker_open_ms > 0 && ci->breaker_open_ms <= 1000, "%llu",
	    (unsigned long long) ci->breaker_open_ms);
	cr_assert_eq(ci->nacked, 3);
	codec_reply_free(r);
	ci = consumer_info(&adm, "br", "work", idb, &r);
	cr_assert_str_eq(ci->breaker, "closed");
	codec_reply_free(r);

	/* While A is open it gets nothing; B keeps receiving (and acking),
	 * slowly, so that messages are left for A's probes. */
	cr_assert_eq(fetch(&ca, ida, 10, 200, offs), 0, "A is open");
	size_t b_got = 0;
	while (now_s() - opened < 0.7) {
		size_t n = fetch(&cb, idb, 2, 100, offs);
		if (n > 0)
			cr_assert_eq(raw_ack(&cb, idb, offs, n, 0, NULL, NULL), SLUICE_OK);
		b_got += n;
		cr_assert_eq(fetch(&ca, ida, 10, 0, offs), 0, "A is still open");
		usleep(50000);
	}
	cr_assert_geq(b_got, 10, "B received %zu while A was open", b_got);
	http_reply h;
	cr_assert_eq(http_request(mport, "GET", "/metrics", &h), 0);
	cr_assert(strstr(h.body, "sluice_consumer_breaker_open{topic=\"br\",subscription="
	                         "\"work\",consumer=\"a-nacks\",") != NULL, "%s", h.body);
	cr_assert(strstr(h.body, "sluice_consumer_breaker_opens_total 1\n") != NULL, "%s",
	    h.body);
	http_reply_free(&h);

	/* After the cool-down: exactly one probe. */
	while (now_s() - opened < 1.05)
		usleep(10000);
	cr_assert_eq(fetch(&ca, ida, 10, 2000, offs), 1, "one probe");
	uint64_t probe = offs[0];
	cr_assert_eq(fetch(&ca, ida, 10, 300, offs), 0, "nothing more until its result");
	ci = consumer_info(&adm, "br", "work", ida, &r);
	cr_assert_str_eq(ci->breaker, "half_open");
	codec_reply_free(r);

	/* The probe fails: open again, for twice as long. */
	cr_assert_eq(raw_ack(&ca, ida, &probe, 1, 1, NULL, NULL), SLUICE_OK);
	double reopened = now_s();
	ci = consumer_info(&adm, "br", "work", ida, &r);
	cr_assert_str_eq(ci->breaker, "open");
	cr_assert(ci->breaker_open_ms > 1500 && ci->breaker_open_ms <= 2000, "%llu",
	    (unsigned long long) ci->breaker_open_ms);
	codec_reply_free(r);
	while (now_s() - reopened < 1.5) {
		size_t n = fetch(&cb, idb, 2, 100, offs);
		if (n > 0)
			cr_assert_eq(raw_ack(&cb, idb, offs, n, 0, NULL, NULL), SLUICE_OK);
		usleep(50000);
	}
	cr_assert_eq(fetch(&ca, ida, 10, 0, offs), 0, "still open after 1.5 s");

	/* A probe that succeeds closes it: A receives normally again. */
	cr_assert_eq(fetch(&ca, ida, 10, 2000, offs), 1, "the second probe");
	cr_assert_eq(raw_ack(&ca, ida, offs, 1, 0, NULL, NULL), SLUICE_OK);
	ci = consumer_info(&adm, "br", "work", ida, &r);
	cr_assert_str_eq(ci->breaker, "closed");
	cr_assert_eq(ci->recent_failures, 0);
	codec_reply_free(r);
	publish_n(&adm, "br", 50);
	cr_assert_gt(fetch(&ca, ida, 10, 2000, offs), 1, "closed: more than a probe");

	raw_close(&ca);
	raw_close(&cb);
	raw_close(&adm);
	cr_assert_eq(broker_stop(&bp), 0);
	static char log[1 << 20];
	broker_log_read(&bp, log, sizeof(log));
	cr_assert(strstr(log, "circuit breaker open") != NULL);
	cr_assert(strstr(log, "circuit breaker half_open") != NULL);
	cr_assert(strstr(log, "circuit breaker closed") != NULL);
}
