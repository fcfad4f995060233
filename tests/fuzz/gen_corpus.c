/*
 * gen_corpus.c - writes the fuzz seed corpus: valid encoded requests of
 * every type and every admin operation, alone and as short sessions
 * (frames joined by FUZZ_SEP, harness.h). Usage: fuzz_gen_corpus DIR.
 * The files in tests/fuzz/corpus/ came from it; rerun it after a protocol
 * change (docs/fuzzing.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "auth.h"
#include "codec.h"
#include "harness.h"

static const char *outdir;
static uint8_t session[65536];
static size_t slen, nframes;

/* Appends r's encoding to the current session (after a separator). */
static void
add(const Sluice__Request *r)
{
	size_t n = codec_request_size(r);
	if (nframes++ > 0) {
		memcpy(session + slen, FUZZ_SEP, FUZZ_SEP_LEN);
		slen += FUZZ_SEP_LEN;
	}
	if (slen + n > sizeof(session))
		abort();
	codec_request_pack(r, session + slen);
	slen += n;
}

static void
flush(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(session, 1, slen, f) != slen || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	slen = nframes = 0;
}

/* Starts a session that runs with authentication on (harness.h). */
static void
auth_session(void)
{
	memcpy(session, FUZZ_AUTH, FUZZ_AUTH_LEN);
	slen = FUZZ_AUTH_LEN;
}

/* A token for who signed with secret, valid until 2100. */
static char *
token(const char *secret, const char *who)
{
	char *t = NULL;
	if (auth_token_sign((const uint8_t *) secret, strlen(secret), who,
	        INT64_C(4102444800) * 1000000, &t) != SLUICE_OK)
		abort();
	return t;
}

static void
hello_with(const char *tok)
{
	Sluice__Hello h = SLUICE__HELLO__INIT;
	h.protocol_version = SLUICE_PROTOCOL_VERSION;
	h.client_name = "fuzz";
	h.token = (char *) (tok != NULL ? tok : "");
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 1;
	r.body_case = SLUICE__REQUEST__BODY_HELLO;
	r.hello = &h;
	add(&r);
}

static void
hello(void)
{
	hello_with(NULL);
}

static void
publish(const char *topic, int nmsgs, int keyed)
{
	Sluice__Property pr = SLUICE__PROPERTY__INIT;
	Sluice__Property *props[1] = { &pr };
	Sluice__Message msgs[4], *mp[4];
	pr.key = "region";
	pr.value = "eu";
	for (int i = 0; i < nmsgs; i++) {
		sluice__message__init(&msgs[i]);
		msgs[i].payload.data = (uint8_t *) "hello";
		msgs[i].payload.len = 5;
		if (keyed) {
			msgs[i].has_key = 1;
			msgs[i].key.data = (uint8_t *) (i % 2 ? "k1" : "k2");
			msgs[i].key.len = 2;
			msgs[i].n_properties = 1;
			msgs[i].properties = props;
		}
		msgs[i].producer_seq = (uint64_t) i;
		mp[i] = &msgs[i];
	}
	Sluice__Publish p = SLUICE__PUBLISH__INIT;
	p.topic = (char *) topic;
	p.n_messages = (size_t) nmsgs;
	p.messages = mp;
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 2;
	r.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	r.publish = &p;
	add(&r);
}

static void
subscribe(const char *topic, const char *sub, Sluice__SubType type,
    Sluice__SubMode mode, int policy)
{
	Sluice__U32 u[3];
	for (int i = 0; i < 3; i++)
		sluice__u32__init(&u[i]);
	u[0].value = 10;
	u[1].value = 2;
	u[2].value = 1;
	Sluice__FailurePolicy fp = SLUICE__FAILURE_POLICY__INIT;
	fp.ack_timeout_ms = &u[0];
	fp.max_redeliveries = &u[2];
	fp.on_exhausted = SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK;
	fp.backoff = SLUICE__BACKOFF_KIND__BACKOFF_FIXED;
	fp.backoff_base_ms = &u[1];
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.type = type;
	s.mode = mode;
	s.window = 4;
	s.start = SLUICE__START_AT__START_EARLIEST;
	s.consumer_name = "c";
	if (mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE) {
		s.has_overflow = 1;
		s.overflow = SLUICE__OVERFLOW__OVERFLOW_BLOCK;
		s.queue_size = 2;
	}
	if (policy)
		s.policy = &fp;
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 3;
	r.body_case = SLUICE__REQUEST__BODY_SUBSCRIBE;
	r.subscribe = &s;
	add(&r);
}

static void
fetch(uint64_t consumer, uint32_t max)
{
	Sluice__AckRange ar = SLUICE__ACK_RANGE__INIT, *ap[1] = { &ar };
	Sluice__Fetch f = SLUICE__FETCH__INIT;
	f.consumer_id = consumer;
	f.max_records = max;
	f.max_wait_ms = 100;
	f.n_acks = 1;
	f.acks = ap;
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 4;
	r.body_case = SLUICE__REQUEST__BODY_FETCH;
	r.fetch = &f;
	add(&r);
}

static void
ack(uint64_t consumer, int cumulative, int nack)
{
	Sluice__AckRange ar = SLUICE__ACK_RANGE__INIT, *ap[1] = { &ar };
	ar.first = 0;
	ar.last = 1;
	Sluice__Ack a = SLUICE__ACK__INIT;
	a.consumer_id = consumer;
	if (nack) {
		a.n_nacks = 1;
		a.nacks = ap;
		a.nack_reason = "bad";
	} else {
		a.n_ranges = 1;
		a.ranges = ap;
	}
	a.has_cumulative = cumulative;
	a.cumulative = 2;
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 5;
	r.body_case = SLUICE__REQUEST__BODY_ACK;
	r.ack = &a;
	add(&r);
}

static void
unsubscribe(uint64_t consumer, int del)
{
	Sluice__Unsubscribe u = SLUICE__UNSUBSCRIBE__INIT;
	u.consumer_id = consumer;
	u.delete_subscription = del;
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 6;
	r.body_case = SLUICE__REQUEST__BODY_UNSUBSCRIBE;
	r.unsubscribe = &u;
	add(&r);
}

static void
admin(Sluice__AdminOp op, const char *topic, const char *sub)
{
	Sluice__U64 lim = SLUICE__U64__INIT;
	lim.value = 100;
	Sluice__RateLimit rl = SLUICE__RATE_LIMIT__INIT;
	rl.msgs_per_sec = &lim;
	Sluice__Position pos = SLUICE__POSITION__INIT;
	pos.kind = SLUICE__POSITION__KIND__EARLIEST;
	uint64_t offsets[2] = { 0, 1 };
	Sluice__Admin a = SLUICE__ADMIN__INIT;
	a.op = op;
	a.topic = (char *) topic;
	a.subscription = (char *) sub;
	a.count = 2;
	a.has_from = 1;
	a.position = &pos;
	a.type = SLUICE__SUB_TYPE__SUB_SHARED;
	if (op == SLUICE__ADMIN_OP__ADMIN_TOPIC_CONFIGURE)
		a.publish_limit = &rl;
	if (op == SLUICE__ADMIN_OP__ADMIN_SUB_CONFIGURE)
		a.dispatch_limit = &rl;
	if (op == SLUICE__ADMIN_OP__ADMIN_PARKED_REPLAY ||
	    op == SLUICE__ADMIN_OP__ADMIN_PARKED_DROP) {
		a.n_offsets = 2;
		a.offsets = offsets;
	}
	if (op == SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE) {
		a.principal = "alice";
		a.ttl_ms = 60000;
	}
	Sluice__Request r = SLUICE__REQUEST__INIT;
	r.request_id = 7;
	r.body_case = SLUICE__REQUEST__BODY_ADMIN;
	r.admin = &a;
	add(&r);
}

int
main(int argc, char **argv)
{
	char name[64];
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	/* One frame each. */
	hello();
	flush("hello");
	publish("t", 3, 1);
	flush("publish");
	subscribe("t", "s", SLUICE__SUB_TYPE__SUB_SHARED, SLUICE__SUB_MODE__MODE_RELIABLE, 1);
	flush("subscribe");
	fetch(0, 10);
	flush("fetch");
	ack(0, 0, 0);
	flush("ack");
	unsubscribe(0, 0);
	flush("unsubscribe");
	for (int op = 0; op <= SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE; op++) {
		admin((Sluice__AdminOp) op, "t", "s");
		snprintf(name, sizeof(name), "admin-%02d", op);
		flush(name);
	}
	/* Sessions: subscribe, publish, fetch, ack or nack, unsubscribe, for
	 * each type and mode. */
	for (int type = 0; type <= SLUICE__SUB_TYPE__SUB_KEY_SHARED; type++) {
		for (int mode = 0; mode <= 1; mode++) {
			hello();
			subscribe("t2", mode ? "nr" : "r", (Sluice__SubType) type,
			    (Sluice__SubMode) mode, type == 2);
			publish("t2", 4, 1);
			fetch(0, 4);
			ack(0, type < 2, type == 2 || type == 3);
			fetch(0, 0);
			admin(SLUICE__ADMIN_OP__ADMIN_SUB_WHY, "t2", mode ? "nr" : "r");
			unsubscribe(0, type == 1);
			snprintf(name, sizeof(name), "session-type%d-mode%d", type, mode);
			flush(name);
		}
	}
	/* Operators at work on a busy topic. */
	subscribe("t3", "s", SLUICE__SUB_TYPE__SUB_EXCLUSIVE, SLUICE__SUB_MODE__MODE_RELIABLE, 1);
	publish("t3", 4, 0);
	fetch(0, 4);
	ack(0, 0, 1);
	admin(SLUICE__ADMIN_OP__ADMIN_PARKED_LIST, "t3", "s");
	admin(SLUICE__ADMIN_OP__ADMIN_SUB_RESET, "t3", "s");
	admin(SLUICE__ADMIN_OP__ADMIN_SUB_SKIP, "t3", "s");
	admin(SLUICE__ADMIN_OP__ADMIN_TOPIC_PEEK, "t3", NULL);
	admin(SLUICE__ADMIN_OP__ADMIN_TOPIC_DELETE, "t3", NULL);
	flush("session-admin");
	/* With authentication on: allowed and denied requests of a principal,
	 * the administrator, and Hellos that fail. */
	char *tf = token(FUZZ_SECRET, "fuzz"), *tr = token(FUZZ_SECRET, "root");
	char *tx = token("not-the-fuzz-secret-at-all", "root");
	auth_session();
	hello_with(tf);
	publish("t4", 2, 1);
	publish("u4", 1, 0);
	subscribe("t4", "s", SLUICE__SUB_TYPE__SUB_SHARED, SLUICE__SUB_MODE__MODE_RELIABLE, 1);
	fetch(0, 2);
	ack(0, 1, 0);
	admin(SLUICE__ADMIN_OP__ADMIN_TOPIC_STATS, "t3", NULL);
	admin(SLUICE__ADMIN_OP__ADMIN_TOPIC_STATS, "t4", NULL);
	admin(SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE, "t3", NULL);
	unsubscribe(0, 0);
	flush("auth-principal");
	auth_session();
	hello_with(tr);
	admin(SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE, NULL, NULL);
	admin(SLUICE__ADMIN_OP__ADMIN_BROKER_STATS, NULL, NULL);
	publish("t4", 1, 0);
	flush("auth-root");
	auth_session();
	hello_with(tx);
	publish("t4", 1, 0);
	flush("auth-forged");
	auth_session();
	publish("t4", 1, 0);
	hello();
	publish("t4", 1, 0);
	flush("auth-none");
	sl_free(tf);
	sl_free(tr);
	sl_free(tx);
	return 0;
}
