/*
 * handle_hello.c - the handshake. A client states its protocol version and
 * name; the broker answers with its own version and the limits it enforces.
 * No other request is served on a connection before a successful Hello.
 */
#include <stdio.h>

#include "alloc.h"
#include "broker.h"
#include "log.h"

void
handle_hello(broker *b, session *s, const reply_to *to, Sluice__Request *req)
{
	const Sluice__Hello *h = req->hello;
	if (h->protocol_version != SLUICE_PROTOCOL_VERSION) {
		char detail[128];
		snprintf(detail, sizeof(detail),
		    "unsupported protocol version %u: this broker speaks %d",
		    h->protocol_version, SLUICE_PROTOCOL_VERSION);
		sl_info("pipe %u: %s", s->pipe_id, detail);
		reply_error(b, to, SLUICE_EVERSION, detail);
		codec_request_free(req);
		return;
	}
	sl_free(s->client_name);
	s->client_name = sl_strdup(h->client_name);
	s->hello_done = 1;
	sl_info("pipe %u: hello from '%s'", s->pipe_id, h->client_name);

	Sluice__HelloOk ok = SLUICE__HELLO_OK__INIT;
	ok.protocol_version = SLUICE_PROTOCOL_VERSION;
	ok.broker_version = (char *) SLUICE_VERSION;
	ok.max_message_bytes = b->cfg.max_message_bytes;
	ok.max_frame_bytes = b->cfg.max_message_bytes + BROKER_FRAME_OVERHEAD;
	ok.max_outstanding = b->cfg.max_outstanding;
	Sluice__Reply r = SLUICE__REPLY__INIT;
	r.body_case = SLUICE__REPLY__BODY_HELLO;
	r.hello = &ok;
	reply_send(b, to, &r);
	codec_request_free(req);
}
