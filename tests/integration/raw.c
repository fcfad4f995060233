/* raw.c - hand-made protocol frames for integration tests. */
#include "raw.h"

#include <nng/protocol/reqrep0/req.h>
#include <stdlib.h>
#include <string.h>

int
raw_open(raw_conn *c, const char *url)
{
	int rv;
	if ((rv = nng_req0_open(&c->sock)) != 0)
		return rv;
	nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(c->sock, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(c->sock, NNG_OPT_SENDTIMEO, 5000);
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 0);
	if ((rv = nng_dial(c->sock, url, NULL, 0)) != 0)
		nng_close(c->sock);
	return rv;
}

void
raw_close(raw_conn *c)
{
	nng_close(c->sock);
}

int
raw_call_bytes(raw_conn *c, const void *buf, size_t len, Sluice__Reply **out)
{
	int rv;
	if ((rv = nng_send(c->sock, (void *) buf, len, 0)) != 0)
		return rv;
	nng_msg *m;
	if ((rv = nng_recvmsg(c->sock, &m, 0)) != 0)
		return rv;
	sluice_err e = codec_reply_unpack(nng_msg_body(m), nng_msg_len(m), out);
	nng_msg_free(m);
	return e == SLUICE_OK ? 0 : NNG_EPROTO;
}

int
raw_call(raw_conn *c, const Sluice__Request *req, Sluice__Reply **out)
{
	size_t len = codec_request_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	codec_request_pack(req, buf);
	int rv = raw_call_bytes(c, buf, len, out);
	free(buf);
	return rv;
}

uint32_t
raw_hello(raw_conn *c, uint32_t version)
{
	Sluice__Hello h = SLUICE__HELLO__INIT;
	h.protocol_version = version;
	h.client_name = (char *) "raw-test";
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 1;
	req.body_case = SLUICE__REQUEST__BODY_HELLO;
	req.hello = &h;
	Sluice__Reply *r;
	if (raw_call(c, &req, &r) != 0)
		return 9999;
	uint32_t st = r->status;
	codec_reply_free(r);
	return st;
}

uint32_t
raw_publish(raw_conn *c, const char *topic, size_t n, const char *text,
    uint64_t *base)
{
	Sluice__Message *msgs = calloc(n ? n : 1, sizeof(*msgs));
	Sluice__Message **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	for (size_t i = 0; i < n; i++) {
		msgs[i] = (Sluice__Message) SLUICE__MESSAGE__INIT;
		msgs[i].payload.data = (uint8_t *) text;
		msgs[i].payload.len = strlen(text);
		ptrs[i] = &msgs[i];
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
	uint32_t st = 9999;
	if (raw_call(c, &req, &r) == 0) {
		st = r->status;
		if (base != NULL && r->body_case == SLUICE__REPLY__BODY_PUBLISH)
			*base = r->publish->base_offset;
		codec_reply_free(r);
	}
	free(msgs);
	free(ptrs);
	return st;
}

uint32_t
raw_subscribe_req(raw_conn *c, const Sluice__Subscribe *s, uint64_t *id)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 3;
	req.body_case = SLUICE__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = (Sluice__Subscribe *) s;
	Sluice__Reply *r;
	if (raw_call(c, &req, &r) != 0)
		return 9999;
	uint32_t st = r->status;
	if (st == 0 && id != NULL)
		*id = r->subscribe->consumer_id;
	codec_reply_free(r);
	return st;
}

uint32_t
raw_subscribe(raw_conn *c, const char *topic, const char *sub, Sluice__SubType type,
    Sluice__SubMode mode, uint32_t window, Sluice__StartAt start, uint64_t *id)
{
	Sluice__Subscribe s = SLUICE__SUBSCRIBE__INIT;
	s.topic = (char *) topic;
	s.subscription = (char *) sub;
	s.type = type;
	s.mode = mode;
	s.window = window;
	s.start = start;
	s.consumer_name = (char *) "raw-consumer";
	return raw_subscribe_req(c, &s, id);
}

/* Ranges of single offsets. */
static Sluice__AckRange **
ranges_of(const uint64_t *offs, size_t n, Sluice__AckRange **store)
{
	Sluice__AckRange *r = calloc(n ? n : 1, sizeof(*r));
	Sluice__AckRange **p = calloc(n ? n : 1, sizeof(*p));
	for (size_t i = 0; i < n; i++) {
		r[i] = (Sluice__AckRange) SLUICE__ACK_RANGE__INIT;
		r[i].first = r[i].last = offs[i];
		p[i] = &r[i];
	}
	*store = r;
	return p;
}

int
raw_fetch(raw_conn *c, uint64_t id, uint32_t max, uint32_t wait_ms,
    const uint64_t *acks, size_t nacks, Sluice__Reply **out)
{
	Sluice__AckRange *store;
	Sluice__AckRange **p = ranges_of(acks, nacks, &store);
	Sluice__Fetch f = SLUICE__FETCH__INIT;
	f.consumer_id = id;
	f.max_records = max;
	f.max_wait_ms = wait_ms;
	f.n_acks = nacks;
	f.acks = p;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 4;
	req.body_case = SLUICE__REQUEST__BODY_FETCH;
	req.fetch = &f;
	int rv = raw_call(c, &req, out);
	free(store);
	free(p);
	return rv;
}

static uint32_t
ack_call(raw_conn *c, Sluice__Ack *a, uint32_t *applied, uint32_t *ignored)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 5;
	req.body_case = SLUICE__REQUEST__BODY_ACK;
	req.ack = a;
	Sluice__Reply *r;
	if (raw_call(c, &req, &r) != 0)
		return 9999;
	uint32_t st = r->status;
	if (st == 0 && r->body_case == SLUICE__REPLY__BODY_ACK) {
		if (applied != NULL)
			*applied = r->ack->applied;
		if (ignored != NULL)
			*ignored = r->ack->ignored;
	}
	codec_reply_free(r);
	return st;
}

uint32_t
raw_ack(raw_conn *c, uint64_t id, const uint64_t *offs, size_t n, int nack,
    uint32_t *applied, uint32_t *ignored)
{
	Sluice__AckRange *store;
	Sluice__AckRange **p = ranges_of(offs, n, &store);
	Sluice__Ack a = SLUICE__ACK__INIT;
	a.consumer_id = id;
	if (nack) {
		a.n_nacks = n;
		a.nacks = p;
	} else {
		a.n_ranges = n;
		a.ranges = p;
	}
	uint32_t st = ack_call(c, &a, applied, ignored);
	free(store);
	free(p);
	return st;
}

uint32_t
raw_ack_cumulative(raw_conn *c, uint64_t id, uint64_t upto)
{
	Sluice__Ack a = SLUICE__ACK__INIT;
	a.consumer_id = id;
	a.has_cumulative = 1;
	a.cumulative = upto;
	return ack_call(c, &a, NULL, NULL);
}

uint32_t
raw_unsubscribe(raw_conn *c, uint64_t id, int delete_sub)
{
	Sluice__Unsubscribe u = SLUICE__UNSUBSCRIBE__INIT;
	u.consumer_id = id;
	u.delete_subscription = delete_sub;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 6;
	req.body_case = SLUICE__REQUEST__BODY_UNSUBSCRIBE;
	req.unsubscribe = &u;
	Sluice__Reply *r;
	if (raw_call(c, &req, &r) != 0)
		return 9999;
	uint32_t st = r->status;
	codec_reply_free(r);
	return st;
}
