/*
 * reply.c - building and sending replies on the raw rep0 socket. A raw
 * reply must carry the request's backtrace header verbatim: nng routes it
 * to the pipe by that header. Sends never block the loop; a reply nng
 * cannot queue is dropped and logged (the client's request times out).
 */
#include <string.h>

#include "broker.h"
#include "log.h"

void
reply_to_from_msg(reply_to *to, nng_msg *m, uint64_t request_id)
{
	size_t n = nng_msg_header_len(m);
	if (n > sizeof(to->hdr))
		n = sizeof(to->hdr); /* not reachable with our TTL; be safe */
	memcpy(to->hdr, nng_msg_header(m), n);
	to->hdrlen = n;
	to->pipe_id = nng_pipe_id(nng_msg_get_pipe(m));
	to->request_id = request_id;
}

/* Counts the reply against the session; returns it if it is still there. */
static session *
answered(broker *b, const reply_to *to)
{
	session *s = sessions_find(&b->sessions, to->pipe_id);
	if (s != NULL && s->outstanding > 0)
		s->outstanding--;
	if (s == NULL || s->closing)
		return NULL; /* the connection is gone: nobody to answer */
	return s;
}

static void
send_msg(broker *b, const reply_to *to, nng_msg *m)
{
	int rv;
	if ((rv = nng_msg_header_append(m, to->hdr, to->hdrlen)) != 0) {
		nng_msg_free(m);
	} else if ((rv = sockio_send(b, m)) == 0) {
		return;
	}
	sl_warn("reply to pipe %u dropped: %s", to->pipe_id, nng_strerror(rv));
}

void
reply_send(broker *b, const reply_to *to, Sluice__Reply *r)
{
	if (answered(b, to) == NULL)
		return;
	r->request_id = to->request_id;
	size_t len = codec_reply_size(r);
	nng_msg *m;
	int rv;
	if ((rv = nng_msg_alloc(&m, len)) != 0) {
		sl_error("reply: %s", nng_strerror(rv));
		return;
	}
	codec_reply_pack(r, nng_msg_body(m));
	send_msg(b, to, m);
}

void
reply_send_frame(broker *b, const reply_to *to, const uint8_t *frame, size_t len)
{
	if (answered(b, to) == NULL)
		return;
	nng_msg *m;
	int rv;
	if ((rv = nng_msg_alloc(&m, len)) != 0) {
		sl_error("reply: %s", nng_strerror(rv));
		return;
	}
	memcpy(nng_msg_body(m), frame, len);
	send_msg(b, to, m);
}

void
reply_error(broker *b, const reply_to *to, sluice_err rv, const char *detail)
{
	Sluice__Reply r = SLUICE__REPLY__INIT;
	r.status = (uint32_t) rv;
	r.error = (char *) (detail != NULL ? detail : sluice_strerror(rv));
	reply_send(b, to, &r);
}
