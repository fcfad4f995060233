/*
 * handle_hello.c - the handshake. A client states its protocol version and
 * name (and, when authentication is on, its bearer token, or nothing when
 * its verified client certificate names it); the broker
 * answers with its own version and the limits it enforces. No other
 * request is served on a connection before a successful Hello.
 */
#include <stdio.h>

#include "alloc.h"
#include "broker.h"
#include "limit.h"
#include "log.h"
#include "tls_engine.h"

/* Grace for the EAUTH reply to leave before the connection is closed. */
#define AUTH_CLOSE_DELAY_MS 100

/* The subject CN of the connection's verified client certificate (mutual
 * TLS, tls_engine.c) into who; 0 when there is one. */
static int
cert_principal(const session *s, char *who)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	p.id = s->pipe_id;
	return tls_peer_principal(p, who, AUTH_MAX_PRINCIPAL);
}

/* Checks the Hello's token or, without one, the client certificate; on
 * failure replies EAUTH, logs, counts and schedules the connection's
 * close. Returns 0 when authenticated. A token, when given, names the
 * principal even over mutual TLS: a tool run with an operator's token
 * acts as the operator wherever its certificate came from. */
static int
authenticate(broker *b, session *s, const reply_to *to, const Sluice__Hello *h)
{
	auth_state *st = &b->auth;
	char who[AUTH_MAX_PRINCIPAL];
	auth_result r;
	if ((h->token == NULL || h->token[0] == '\0') && cert_principal(s, who) == 0)
		/* As for a token: a principal the ACL does not list is refused
		 * here, not let in to be denied request by request. */
		r = acl_find(&st->acl, who) != NULL ? AUTH_OK : AUTH_UNKNOWN_PRINCIPAL;
	else
		r = auth_token_verify(st->secret, st->secret_len, &st->acl,
		    h->token, auth_now_us(), who, NULL);
	if (r == AUTH_OK) {
		snprintf(s->principal, sizeof(s->principal), "%s", who);
		return 0;
	}
	st->failures++;
	if (connlog_admit(&b->connlog, broker_now_ms(b))) {
		char peer[128];
		broker_peer_name(s->pipe_id, peer, sizeof(peer));
		sl_event(SL_LOG_WARN, "auth_failed",
		    SL_FIELDS(SL_U64("pipe", s->pipe_id), SL_STR("peer", peer),
		        SL_STR("client", h->client_name), SL_STR("reason", auth_result_name(r))),
		    "pipe %u: authentication failed from %s: %s", s->pipe_id, peer,
		    auth_result_name(r));
	}
	reply_error(b, to, SLUICE_EAUTH, auth_result_text(r));
	s->hello_done = 0;
	s->principal[0] = '\0';
	s->closing = 1;
	s->close_reason = "authentication failed";
	s->close_at_ms = broker_now_ms(b) + AUTH_CLOSE_DELAY_MS;
	return -1;
}

/* max_connections_per_principal (limit.c): past it the Hello is refused
 * with ELIMIT and the connection closed once the reply left. */
static int
refuse_over_limit(broker *b, session *s, const reply_to *to)
{
	char detail[256];
	sluice_err rv = limit_principal_admit(b, s, s->principal, detail, sizeof(detail));
	if (rv == SLUICE_OK)
		return 0;
	reply_error(b, to, rv, rv == SLUICE_ELIMIT ? detail : NULL);
	s->hello_done = 0;
	s->closing = 1;
	s->close_reason = "connection limit (max_connections_per_principal)";
	s->close_at_ms = broker_now_ms(b) + AUTH_CLOSE_DELAY_MS;
	return -1;
}

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
	if (b->auth.enabled && authenticate(b, s, to, h) != 0) {
		codec_request_free(req);
		return;
	}
	if (refuse_over_limit(b, s, to) != 0) {
		codec_request_free(req);
		return;
	}
	sl_free(s->client_name);
	s->client_name = sl_strdup(h->client_name);
	s->hello_done = 1;
	if (s->principal[0] != '\0')
		sl_info("pipe %u: hello from '%s' as '%s'", s->pipe_id,
		    h->client_name, s->principal);
	else
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
