/*
 * test_request.c - the options of issue #6 in sluice-admin, without a
 * broker: command lines parsed by adm_args (args.c) with the commands'
 * own option rows, mapped to the sluice.Admin message by the request
 * builders (request.h, policy.c, subs.c, topics.c, parked.c) and checked
 * after an encode/decode round trip, as the broker would see them; bad
 * values are usage errors; the policy's JSON form uses the proto's field
 * names and lowercase enum names.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "policy.h"
#include "request.h"
#include "units.h"

TestSuite(request, .timeout = 30);

static const adm_cmd *
find_cmd(const adm_cmd *cmds, const char *name)
{
	for (const adm_cmd *c = cmds; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	cr_assert_fail("no command %s", name);
	return NULL;
}

/* argv for getopt: a writable copy of a NULL-terminated list. */
static int
make_argv(const char *const *args, char **argv, int max)
{
	int n = 0;
	for (; args[n] != NULL && n < max - 1; n++)
		argv[n] = (char *) args[n];
	argv[n] = NULL;
	return n;
}

/* Packs and unpacks rq, as the broker receives it (free after use). */
static Sluice__Admin *
wire(const Sluice__Admin *rq)
{
	size_t len = sluice__admin__get_packed_size(rq);
	uint8_t *buf = malloc(len ? len : 1);
	cr_assert_not_null(buf);
	sluice__admin__pack(rq, buf);
	Sluice__Admin *out = sluice__admin__unpack(NULL, len, buf);
	free(buf);
	cr_assert_not_null(out, "the request does not decode");
	return out;
}

/* `subs create` through adm_args and req_subs_create; returns 0 with
 * *out decoded, or -1 (err holds the usage error). */
static int
subs_create(const char *const *args, Sluice__Admin **out, char *err, size_t n)
{
	char *argv[64];
	int argc = make_argv(args, argv, 64);
	req_sub_create a = { 0 };
	adm_opt opts[REQ_SUB_CREATE_NOPTS + 1] = { { NULL, 0, NULL } };
	req_sub_create_opts(&a, opts);
	adm_common co;
	const char *ops[2];
	int nops;
	int rv = adm_args(find_cmd(adm_subs_cmds, "create"), argc, argv, opts,
	    &co, ops, 2, 2, &nops);
	cr_assert_eq(rv, -1, "adm_args refused the command line");
	a.topic = ops[0];
	a.sub = ops[1];
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	if (req_subs_create(&a, &st, &rq, err, n) != 0)
		return -1;
	*out = wire(&rq);
	return 0;
}

static int
subs_configure(const char *const *args, Sluice__Admin **out, char *err,
    size_t n)
{
	char *argv[64];
	int argc = make_argv(args, argv, 64);
	policy_args a = { 0 };
	adm_opt opts[POLICY_NOPTS + 1] = { { NULL, 0, NULL } };
	policy_opts(&a, opts);
	adm_common co;
	const char *ops[2];
	int nops;
	int rv = adm_args(find_cmd(adm_subs_cmds, "configure"), argc, argv, opts,
	    &co, ops, 2, 2, &nops);
	cr_assert_eq(rv, -1, "adm_args refused the command line");
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	req_storage st;
	if (req_subs_configure(ops[0], ops[1], &a, &st, &rq, err, n) != 0)
		return -1;
	*out = wire(&rq);
	return 0;
}

Test(request, subs_create_maps_every_policy_option_to_its_field)
{
	const char *args[] = { "create", "orders", "audit", "--type", "key-shared",
		"--mode", "reliable", "--from", "earliest", "--window", "50",
		"--ack-timeout", "0", "--backoff", "fixed", "--backoff-base",
		"250ms", "--backoff-max", "2m", "--jitter", "10%",
		"--max-redeliveries", "3", "--on-exhausted", "dead-letter",
		"--dead-letter-topic", "orders.failed", "--rate-msgs", "100",
		"--rate-bytes", "1MiB", "--breaker-failures", "4",
		"--breaker-cooldown", "500ms", "--breaker-cooldown-max", "30s",
		NULL };
	char err[512];
	Sluice__Admin *rq = NULL;
	cr_assert_eq(subs_create(args, &rq, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rq->op, SLUICE__ADMIN_OP__ADMIN_SUB_CREATE);
	cr_assert_str_eq(rq->topic, "orders");
	cr_assert_str_eq(rq->subscription, "audit");
	cr_assert_eq(rq->type, SLUICE__SUB_TYPE__SUB_KEY_SHARED);
	cr_assert_eq(rq->window, 50);
	cr_assert_eq(rq->position->kind, SLUICE__POSITION__KIND__EARLIEST);

	const Sluice__FailurePolicy *p = rq->policy;
	cr_assert_not_null(p);
	cr_assert_not_null(p->ack_timeout_ms, "0 is a value (off), not unset");
	cr_assert_eq(p->ack_timeout_ms->value, 0);
	cr_assert_eq(p->backoff, SLUICE__BACKOFF_KIND__BACKOFF_FIXED);
	cr_assert_eq(p->backoff_base_ms->value, 250);
	cr_assert_eq(p->backoff_max_ms->value, 120000);
	cr_assert_eq(p->backoff_jitter_pct->value, 10);
	cr_assert_eq(p->max_redeliveries->value, 3);
	cr_assert_eq(p->on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER);
	cr_assert_str_eq(p->dead_letter_topic, "orders.failed");
	cr_assert_eq(rq->dispatch_limit->msgs_per_sec->value, 100);
	cr_assert_eq(rq->dispatch_limit->bytes_per_sec->value, 1048576);
	cr_assert_eq(rq->breaker->failures->value, 4);
	cr_assert_eq(rq->breaker->cooldown_ms->value, 500);
	cr_assert_eq(rq->breaker->cooldown_max_ms->value, 30000);
	cr_assert_null(rq->publish_limit);
	sluice__admin__free_unpacked(rq, NULL);
}

Test(request, subs_create_without_policy_options_sends_no_policy)
{
	const char *args[] = { "create", "orders", "audit", NULL };
	char err[512];
	Sluice__Admin *rq = NULL;
	cr_assert_eq(subs_create(args, &rq, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rq->type, SLUICE__SUB_TYPE__SUB_EXCLUSIVE);
	cr_assert_null(rq->policy, "unset: the broker's defaults");
	cr_assert_null(rq->dispatch_limit);
	cr_assert_null(rq->breaker);
	sluice__admin__free_unpacked(rq, NULL);
}

Test(request, subs_configure_sends_only_the_options_given)
{
	const char *args[] = { "configure", "orders", "audit",
		"--max-redeliveries", "0", "--on-exhausted", "park", NULL };
	char err[512];
	Sluice__Admin *rq = NULL;
	cr_assert_eq(subs_configure(args, &rq, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rq->op, SLUICE__ADMIN_OP__ADMIN_SUB_CONFIGURE);
	cr_assert_str_eq(rq->topic, "orders");
	cr_assert_str_eq(rq->subscription, "audit");
	const Sluice__FailurePolicy *p = rq->policy;
	cr_assert_not_null(p);
	cr_assert_eq(p->max_redeliveries->value, 0, "0 = unlimited, sent");
	cr_assert_eq(p->on_exhausted, SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK);
	cr_assert_null(p->ack_timeout_ms, "not given: unchanged");
	cr_assert_eq(p->backoff, SLUICE__BACKOFF_KIND__BACKOFF_UNSET);
	cr_assert_null(p->backoff_base_ms);
	cr_assert_null(p->backoff_max_ms);
	cr_assert_null(p->backoff_jitter_pct);
	cr_assert_str_eq(p->dead_letter_topic, "");
	cr_assert_null(rq->dispatch_limit);
	cr_assert_null(rq->breaker);
	sluice__admin__free_unpacked(rq, NULL);

	/* Only a breaker field, only one rate. */
	const char *args2[] = { "configure", "orders", "audit",
		"--breaker-cooldown-max", "5m", "--rate-msgs", "0", NULL };
	cr_assert_eq(subs_configure(args2, &rq, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(rq->policy);
	cr_assert_not_null(rq->breaker);
	cr_assert_null(rq->breaker->failures);
	cr_assert_null(rq->breaker->cooldown_ms);
	cr_assert_eq(rq->breaker->cooldown_max_ms->value, 300000);
	cr_assert_not_null(rq->dispatch_limit);
	cr_assert_eq(rq->dispatch_limit->msgs_per_sec->value, 0);
	cr_assert_null(rq->dispatch_limit->bytes_per_sec);
	sluice__admin__free_unpacked(rq, NULL);
}

Test(request, subs_configure_without_options_is_a_usage_error)
{
	const char *args[] = { "configure", "orders", "audit", NULL };
	char err[512] = "";
	Sluice__Admin *rq = NULL;
	cr_assert_eq(subs_configure(args, &rq, err, sizeof(err)), -1);
	cr_assert(strstr(err, "nothing to configure") != NULL, "%s", err);
}

/* Each bad value is refused with a message naming its option. */
Test(request, bad_policy_values_are_usage_errors)
{
	static const struct {
		const char *opt, *value, *says;
	} bad[] = {
		{ "--ack-timeout", "30", "--ack-timeout" }, /* no unit */
		{ "--ack-timeout", "50d", "--ack-timeout" }, /* over 2^32 ms */
		{ "--backoff", "linear", "--backoff" },
		{ "--backoff", "unset", "--backoff" },
		{ "--backoff-base", "-1s", "--backoff-base" },
		{ "--jitter", "101", "--jitter" },
		{ "--jitter", "ten", "--jitter" },
		{ "--max-redeliveries", "4294967296", "--max-redeliveries" },
		{ "--max-redeliveries", "-1", "--max-redeliveries" },
		{ "--on-exhausted", "retry", "--on-exhausted" },
		{ "--dead-letter-topic", "bad topic", "--dead-letter-topic" },
		{ "--rate-msgs", "1k", "--rate-msgs" },
		{ "--rate-bytes", "lots", "--rate-bytes" },
		{ "--breaker-failures", "x", "--breaker-failures" },
		{ "--breaker-cooldown", "1y", "--breaker-cooldown" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "configure", "orders", "audit", bad[i].opt,
			bad[i].value, NULL };
		char err[512] = "";
		Sluice__Admin *rq = NULL;
		cr_assert_eq(subs_configure(args, &rq, err, sizeof(err)), -1,
		    "accepted %s %s", bad[i].opt, bad[i].value);
		cr_assert(strstr(err, bad[i].says) != NULL, "%s %s: %s", bad[i].opt,
		    bad[i].value, err);
	}
	const char *below[] = { "configure", "orders", "audit", "--backoff-base",
		"10s", "--backoff-max", "1s", NULL };
	char err[512] = "";
	Sluice__Admin *rq = NULL;
	cr_assert_eq(subs_configure(below, &rq, err, sizeof(err)), -1);
	cr_assert(strstr(err, "below") != NULL, "%s", err);
	const char *below2[] = { "configure", "orders", "audit",
		"--breaker-cooldown", "10s", "--breaker-cooldown-max", "1s", NULL };
	cr_assert_eq(subs_configure(below2, &rq, err, sizeof(err)), -1);
	const char *type[] = { "create", "orders", "audit", "--type", "keyshared",
		NULL };
	cr_assert_eq(subs_create(type, &rq, err, sizeof(err)), -1);
	cr_assert(strstr(err, "key_shared") != NULL, "%s", err);
}

Test(request, topics_create_and_configure_set_the_publish_limit)
{
	req_topic_create a = { .topic = "orders", .retention_age = "7d",
		.rate_msgs = "500" };
	req_storage st;
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	char err[512];
	cr_assert_eq(req_topics_create(&a, &st, &rq, err, sizeof(err)), 0, "%s", err);
	Sluice__Admin *w = wire(&rq);
	cr_assert_eq(w->op, SLUICE__ADMIN_OP__ADMIN_TOPIC_CREATE);
	cr_assert_eq(w->retention_age_ms, 7 * 86400000LL);
	cr_assert_eq(w->publish_limit->msgs_per_sec->value, 500);
	cr_assert_null(w->publish_limit->bytes_per_sec);
	sluice__admin__free_unpacked(w, NULL);

	req_topic_create plain = { .topic = "orders" };
	Sluice__Admin rq2 = SLUICE__ADMIN__INIT;
	cr_assert_eq(req_topics_create(&plain, &st, &rq2, err, sizeof(err)), 0);
	cr_assert_null(rq2.publish_limit);

	Sluice__Admin rq3 = SLUICE__ADMIN__INIT;
	cr_assert_eq(req_topics_configure("orders", NULL, "1.5KiB", &st, &rq3, err,
	                 sizeof(err)),
	    0, "%s", err);
	w = wire(&rq3);
	cr_assert_eq(w->op, SLUICE__ADMIN_OP__ADMIN_TOPIC_CONFIGURE);
	cr_assert_str_eq(w->topic, "orders");
	cr_assert_null(w->publish_limit->msgs_per_sec);
	cr_assert_eq(w->publish_limit->bytes_per_sec->value, 1536);
	sluice__admin__free_unpacked(w, NULL);

	Sluice__Admin rq4 = SLUICE__ADMIN__INIT;
	cr_assert_eq(req_topics_configure("orders", NULL, NULL, &st, &rq4, err,
	                 sizeof(err)),
	    -1);
	cr_assert_eq(req_topics_configure("orders", "-5", NULL, &st, &rq4, err,
	                 sizeof(err)),
	    -1);
}

Test(request, parked_requests_carry_offsets_and_bounds)
{
	Sluice__Admin rq = SLUICE__ADMIN__INIT;
	char err[512];
	cr_assert_eq(req_parked_list("orders", "audit", NULL, NULL, &rq, err,
	                 sizeof(err)),
	    0);
	cr_assert_eq(rq.op, SLUICE__ADMIN_OP__ADMIN_PARKED_LIST);
	cr_assert_eq(rq.count, REQ_PARKED_DEFAULT);
	cr_assert_eq(rq.has_from, 0);
	Sluice__Admin rq2 = SLUICE__ADMIN__INIT;
	cr_assert_eq(req_parked_list("orders", "audit", "42", "7", &rq2, err,
	                 sizeof(err)),
	    0);
	cr_assert(rq2.has_from);
	cr_assert_eq(rq2.from_offset, 42);
	cr_assert_eq(rq2.count, 7);
	cr_assert_eq(req_parked_list("orders", "audit", NULL, "1001", &rq2, err,
	                 sizeof(err)),
	    -1);
	cr_assert_eq(req_parked_list("orders", "audit", "x", NULL, &rq2, err,
	                 sizeof(err)),
	    -1);

	req_storage st;
	const char *offs[] = { "3", "17", "4" };
	Sluice__Admin rq3 = SLUICE__ADMIN__INIT;
	cr_assert_eq(req_parked_offsets(SLUICE__ADMIN_OP__ADMIN_PARKED_REPLAY,
	                 "orders", "audit", offs, 3, &st, &rq3, err, sizeof(err)),
	    0, "%s", err);
	Sluice__Admin *w = wire(&rq3);
	req_storage_fini(&st);
	cr_assert_eq(w->op, SLUICE__ADMIN_OP__ADMIN_PARKED_REPLAY);
	cr_assert_eq(w->n_offsets, 3);
	cr_assert_eq(w->offsets[0], 3);
	cr_assert_eq(w->offsets[1], 17);
	cr_assert_eq(w->offsets[2], 4);
	sluice__admin__free_unpacked(w, NULL);

	Sluice__Admin rq4 = SLUICE__ADMIN__INIT;
	cr_assert_eq(req_parked_offsets(SLUICE__ADMIN_OP__ADMIN_PARKED_DROP,
	                 "orders", "audit", NULL, 0, &st, &rq4, err, sizeof(err)),
	    0);
	cr_assert_eq(rq4.op, SLUICE__ADMIN_OP__ADMIN_PARKED_DROP);
	cr_assert_eq(rq4.n_offsets, 0, "none: all of them");
	req_storage_fini(&st);
	const char *bad[] = { "3", "x" };
	cr_assert_eq(req_parked_offsets(SLUICE__ADMIN_OP__ADMIN_PARKED_DROP,
	                 "orders", "audit", bad, 2, &st, &rq4, err, sizeof(err)),
	    -1);
	cr_assert(strstr(err, "'x'") != NULL, "%s", err);
	req_storage_fini(&st);
}

/* Runs fn into a string (open_memstream), returns it (free after). */
static char *
json_of(void (*fn)(out_json *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	out_json j;
	out_json_init(&j, f);
	out_json_obj_open(&j, NULL);
	fn(&j, arg);
	out_json_obj_close(&j);
	fclose(f);
	return buf;
}

static void
sub_members(out_json *j, const void *arg)
{
	adm_json_sub(j, "subscription", arg);
}

Test(request, sub_json_has_the_policy_with_lowercase_enum_names)
{
	Sluice__SubInfo s = SLUICE__SUB_INFO__INIT;
	Sluice__FailurePolicy p = SLUICE__FAILURE_POLICY__INIT;
	Sluice__RateLimit l = SLUICE__RATE_LIMIT__INIT;
	Sluice__BreakerPolicy b = SLUICE__BREAKER_POLICY__INIT;
	Sluice__U32 at = SLUICE__U32__INIT, base = SLUICE__U32__INIT,
		    max = SLUICE__U32__INIT, jit = SLUICE__U32__INIT,
		    red = SLUICE__U32__INIT, k = SLUICE__U32__INIT;
	Sluice__U64 msgs = SLUICE__U64__INIT, bytes = SLUICE__U64__INIT;
	at.value = 30000;
	base.value = 1000;
	max.value = 60000;
	red.value = 5;
	k.value = 5;
	msgs.value = 100;
	p.ack_timeout_ms = &at;
	p.backoff = SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL;
	p.backoff_base_ms = &base;
	p.backoff_max_ms = &max;
	p.backoff_jitter_pct = &jit;
	p.max_redeliveries = &red;
	p.on_exhausted = SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER;
	p.dead_letter_topic = "orders.audit.dlq";
	l.msgs_per_sec = &msgs;
	l.bytes_per_sec = &bytes;
	b.failures = &k; /* cooldowns missing: null */
	s.topic = "orders";
	s.name = "audit";
	s.type = SLUICE__SUB_TYPE__SUB_KEY_SHARED;
	s.policy = &p;
	s.dispatch_limit = &l;
	s.breaker = &b;
	s.parked = 2;
	s.blocked = 1;
	s.blocked_offset = 9;
	char *js = json_of(sub_members, &s);
	cr_assert(strstr(js, "\"type\":\"key_shared\"") != NULL, "%s", js);
	cr_assert(strstr(js, "\"policy\":{\"ack_timeout_ms\":30000,"
	                     "\"backoff\":\"exponential\",\"backoff_base_ms\":1000,"
	                     "\"backoff_max_ms\":60000,\"backoff_jitter_pct\":0,"
	                     "\"max_redeliveries\":5,\"on_exhausted\":\"dead_letter\","
	                     "\"dead_letter_topic\":\"orders.audit.dlq\"}") != NULL,
	    "%s", js);
	cr_assert(strstr(js, "\"dispatch_limit\":{\"msgs_per_sec\":100,"
	                     "\"bytes_per_sec\":0}") != NULL, "%s", js);
	cr_assert(strstr(js, "\"breaker\":{\"failures\":5,\"cooldown_ms\":null,"
	                     "\"cooldown_max_ms\":null}") != NULL, "%s", js);
	cr_assert(strstr(js, "\"parked\":2,") != NULL, "%s", js);
	cr_assert(strstr(js, "\"blocked\":true,\"blocked_offset\":9,"
	                     "\"dropped_exhausted\":0}") != NULL, "%s", js);
	free(js);

	/* A broker that sends no policy: null, never a made-up default. */
	s.policy = NULL;
	s.dispatch_limit = NULL;
	s.breaker = NULL;
	js = json_of(sub_members, &s);
	cr_assert(strstr(js, "\"policy\":null,\"dispatch_limit\":null,"
	                     "\"breaker\":null,") != NULL, "%s", js);
	free(js);
}

Test(request, limit_text_reads_as_rates)
{
	Sluice__RateLimit l = SLUICE__RATE_LIMIT__INIT;
	Sluice__U64 m = SLUICE__U64__INIT, b = SLUICE__U64__INIT;
	char buf[96];
	policy_limit_text(NULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "-");
	policy_limit_text(&l, buf, sizeof(buf));
	cr_assert_str_eq(buf, "none");
	m.value = 100;
	l.msgs_per_sec = &m;
	policy_limit_text(&l, buf, sizeof(buf));
	cr_assert_str_eq(buf, "100 msg/s");
	b.value = 1048576;
	l.bytes_per_sec = &b;
	policy_limit_text(&l, buf, sizeof(buf));
	cr_assert_str_eq(buf, "100 msg/s, 1 MiB/s");
	m.value = 0;
	policy_limit_text(&l, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1 MiB/s");
}
