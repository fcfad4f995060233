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
