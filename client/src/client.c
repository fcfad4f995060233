/*
 * client.c - one connection to a broker: the req0 socket, the Hello
 * handshake, and the request transport producers use. It owns a fixed set
 * of slots (an nng context and aio each); a request occupies a slot from
 * send to reply, and requests beyond the slots wait in a FIFO. It does not
 * know what a request means: callers encode it and judge the reply.
 *
 * Threading: the public calls may run on any thread; slot callbacks and the
 * pipe callback run on nng threads. `mu` guards the slot lists, the queue
 * and the state flags. Operations on slot aios are started and aborted only
 * under `mu`, so a connection loss cannot slip between a state check and
 * the start of a send or receive. nng completes aios on its task threads,
 * never inside nng_ctx_send/recv or nng_aio_abort, which makes that safe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "client_impl.h"
#include "log.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

/* The broker closes connections with more than its max_outstanding
 * requests; we stay at half of it, and at most this many. */
#define SLOTS_MAX 16
/* Used when HelloOk leaves a limit at 0 (unset). */
#define DEFAULT_FRAME_BYTES (4u * 1024u * 1024u)

typedef struct slot slot;

struct slot {
	sluice_client *c;
	nng_ctx        ctx;
	nng_aio       *aio;     /* callback slot_cb; freed only by close */
	client_req    *req;     /* in flight, NULL when idle */
	int            sending; /* 1: send stage, 0: waiting for the reply */
	int            aborted; /* client_abort hit req; guarded by c->mu */
	slot          *next;    /* idle list link */
};

struct sluice_client {
	nng_socket   sock;
	nng_mtx     *mu;
	nng_duration request_timeout; /* ms, per send and per reply */
	nng_duration connect_timeout; /* ms, bounds the dial and the Hello exchange */
	char        *name;            /* sent in Hello */

	/* From HelloOk, read-only after open. */
	uint64_t max_message_bytes; /* UINT64_MAX when the broker sent 0 */
	uint64_t max_frame_bytes;   /* DEFAULT_FRAME_BYTES when it sent 0 */
	uint32_t max_outstanding;

	/* Guarded by mu. */
	slot       *slots;     /* nslots entries, allocated after Hello */
	uint32_t    nslots;    /* min(SLOTS_MAX, max_outstanding / 2), >= 1 */
	slot       *idle;      /* slots without a request */
	client_req *wait_head; /* submitted, waiting for a slot, FIFO */
	client_req *wait_tail;
	uint64_t    next_id;
	uint32_t    pipe_id;   /* the connection's pipe, 0 before dial */
	nng_aio    *hello_aio; /* during open only, aborted on pipe loss */
	sluice_err  broken;    /* SLUICE_OK until the connection is lost */
	int         closing;
	uint32_t    nproducers;
	uint32_t    nconsumers;
};

static void slot_cb(void *arg);
static void lose_connection(sluice_client *c);

uint64_t
client_next_id(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	uint64_t id = ++c->next_id;
	nng_mtx_unlock(c->mu);
	return id;
}

sluice_err
client_encode(const Sluice__Request *rq, nng_msg **out)
{
	size_t len = codec_request_size(rq);
	nng_msg *m;
	int nrv = nng_msg_alloc(&m, len);
	if (nrv != 0)
		return sl_err_from_nng(nrv);
	codec_request_pack(rq, nng_msg_body(m));
	*out = m;
	return SLUICE_OK;
}

/* Starts the send stage of r on s. Called with c->mu held. */
static void
slot_start(slot *s, client_req *r)
{
	s->req = r;
	s->sending = 1;
	s->aborted = 0;
	nng_aio_set_msg(s->aio, r->msg);
	r->msg = NULL;
	nng_aio_set_timeout(s->aio, s->c->request_timeout);
	nng_ctx_send(s->ctx, s->aio);
}

/* Takes the whole waiting queue, for failing it outside the lock. */
static client_req *
steal_waiting(sluice_client *c)
{
	client_req *r = c->wait_head;
	c->wait_head = c->wait_tail = NULL;
	return r;
}

static void
fail_list(client_req *r, sluice_err rv)
{
	while (r != NULL) {
		client_req *next = r->next;
		if (r->msg != NULL)
			nng_msg_free(r->msg);
		r->msg = NULL;
		r->done(r, rv, NULL);
		r = next;
	}
}

/*
 * Ends the request on s: reports it, then gives the slot to the next
 * waiting request or marks it idle. Reporting comes first so that the slot
 * (and its aio) is not reused by another thread while this callback still
 * runs on it.
 */
static void
slot_finish(slot *s, sluice_err rv, const Sluice__Reply *reply)
{
	sluice_client *c = s->c;
	client_req *r = s->req;
	r->done(r, rv, reply);

	/* s->req changes only under mu, for client_abort; while done ran,
	 * an abort of r found an aio with nothing to cancel. */
	nng_mtx_lock(c->mu);
	s->req = NULL;
	client_req *next = NULL;
	if (!c->closing && c->broken == SLUICE_OK && c->wait_head != NULL) {
		next = c->wait_head;
		if ((c->wait_head = next->next) == NULL)
			c->wait_tail = NULL;
	}
	if (next != NULL) {
		slot_start(s, next);
	} else {
		s->next = c->idle;
		c->idle = s;
	}
	nng_mtx_unlock(c->mu);
}

static void
slot_reply(slot *s)
{
	nng_msg *m = nng_aio_get_msg(s->aio);
	Sluice__Reply *reply = NULL;
	sluice_err rv =
	    codec_reply_unpack(nng_msg_body(m), nng_msg_len(m), &reply);
	nng_msg_free(m);
	if (rv == SLUICE_EBADFRAME)
		rv = SLUICE_EPROTO;
	if (rv == SLUICE_OK && reply->request_id != s->req->id) {
		sl_warn("sluice: reply for request %llu, expected %llu",
		    (unsigned long long) reply->request_id,
		    (unsigned long long) s->req->id);
		rv = SLUICE_EPROTO;
	}
	/* Read before finishing: the request may be gone after done. */
	int taken = rv == SLUICE_OK && s->req->take_reply;
	slot_finish(s, rv, rv == SLUICE_OK ? reply : NULL);
	if (!taken)
		codec_reply_free(reply);
}

/* Runs on an nng thread when the send or the receive stage completes. */
static void
slot_cb(void *arg)
{
	slot *s = arg;
	sluice_client *c = s->c;
	int nrv = nng_aio_result(s->aio);

	if (s->sending) {
		if (nrv != 0) {
			/* A failed send leaves the message with us. */
			nng_msg *m = nng_aio_get_msg(s->aio);
			if (m != NULL)
				nng_msg_free(m);
			slot_finish(s, sl_err_from_nng(nrv), NULL);
			return;
		}
		/*
		 * Check and start under the lock: a pipe loss reported after
		 * this point aborts the receive; one reported before is seen
		 * here. Either way the request cannot wait for a reply that
		 * will never come.
		 */
		nng_mtx_lock(c->mu);
		sluice_err rv = c->broken;
		if (rv == SLUICE_OK && s->aborted)
			rv = SLUICE_ECLOSED;
		if (rv == SLUICE_OK) {
			s->sending = 0;
			nng_aio_set_timeout(s->aio, c->request_timeout);
			nng_ctx_recv(s->ctx, s->aio);
		}
		nng_mtx_unlock(c->mu);
		if (rv != SLUICE_OK)
			slot_finish(s, rv, NULL);
		return;
	}
	if (nrv != 0) {
		sluice_err rv = sl_err_from_nng(nrv);
		/* nng fails the receive (ECONNRESET) before the pipe event
		 * runs; mark the loss now so no new request slips in. */
		if (rv == SLUICE_ECLOSED)
			lose_connection(c);
		slot_finish(s, rv, NULL);
		return;
	}
	slot_reply(s);
}

/*
 * Marks the connection lost. The broker holds per-connection state (the
 * handshake), so a lost connection ends this client: nng would otherwise
 * redial and resend our requests to a broker that has not seen Hello,
 * possibly storing a batch twice. Everything in flight fails now with
 * SLUICE_ECLOSED instead of waiting for its timeout. Called with mu held;
 * returns the waiting requests for the caller to fail after unlocking.
 * Aborting the caller's own idle aio is harmless: abort only cancels.
 */
static client_req *
break_locked(sluice_client *c)
{
	if (c->broken != SLUICE_OK)
		return NULL;
	c->broken = SLUICE_ECLOSED;
	for (uint32_t i = 0; i < c->nslots; i++)
		nng_aio_abort(c->slots[i].aio, NNG_ECLOSED);
	if (c->hello_aio != NULL)
		nng_aio_abort(c->hello_aio, NNG_ECLOSED);
	if (!c->closing)
		sl_warn("sluice: connection to broker lost");
	return steal_waiting(c);
}

static void
lose_connection(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	client_req *waiting = break_locked(c);
	nng_mtx_unlock(c->mu);
	fail_list(waiting, SLUICE_ECLOSED);
}

/* Pipe events, on an nng thread: learn our pipe, notice its loss. */
static void
pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	sluice_client *c = arg;
	if (ev == NNG_PIPE_EV_ADD_POST) {
		nng_mtx_lock(c->mu);
		if (c->pipe_id == 0)
			c->pipe_id = (uint32_t) nng_pipe_id(p);
		nng_mtx_unlock(c->mu);
		return;
	}
	nng_mtx_lock(c->mu);
	int ours = ev == NNG_PIPE_EV_REM_POST &&
	    (uint32_t) nng_pipe_id(p) == c->pipe_id;
	nng_mtx_unlock(c->mu);
	if (ours)
		lose_connection(c);
}

/* One blocking request/reply on its own context, before the slots exist. */
static sluice_err
roundtrip(sluice_client *c, nng_msg *m, Sluice__Reply **out)
{
	nng_ctx ctx;
	nng_aio *aio = NULL;
	int nrv;

	if ((nrv = nng_ctx_open(&ctx, c->sock)) != 0) {
		nng_msg_free(m);
		return sl_err_from_nng(nrv);
	}
	if ((nrv = nng_aio_alloc(&aio, NULL, NULL)) != 0) {
		nng_msg_free(m);
		nng_ctx_close(ctx);
		return sl_err_from_nng(nrv);
	}
	nng_mtx_lock(c->mu);
	c->hello_aio = aio;
	nrv = c->broken != SLUICE_OK ? NNG_ECLOSED : 0;
	if (nrv == 0) {
		nng_aio_set_msg(aio, m);
		nng_aio_set_timeout(aio, c->connect_timeout);
		nng_ctx_send(ctx, aio);
	}
	nng_mtx_unlock(c->mu);
	if (nrv == 0) {
		nng_aio_wait(aio);
		if ((nrv = nng_aio_result(aio)) != 0 &&
		    nng_aio_get_msg(aio) != NULL)
			nng_msg_free(nng_aio_get_msg(aio));
	} else {
		nng_msg_free(m);
	}
	if (nrv == 0) {
		nng_mtx_lock(c->mu);
		nrv = c->broken != SLUICE_OK ? NNG_ECLOSED : 0;
		if (nrv == 0)
			nng_ctx_recv(ctx, aio);
		nng_mtx_unlock(c->mu);
		if (nrv == 0) {
			nng_aio_wait(aio);
			nrv = nng_aio_result(aio);
		}
	}
	nng_mtx_lock(c->mu);
	c->hello_aio = NULL;
	nng_mtx_unlock(c->mu);

	sluice_err rv = sl_err_from_nng(nrv);
	if (rv == SLUICE_OK) {
		nng_msg *r = nng_aio_get_msg(aio);
		rv = codec_reply_unpack(nng_msg_body(r), nng_msg_len(r), out);
		nng_msg_free(r);
		if (rv == SLUICE_EBADFRAME)
			rv = SLUICE_EPROTO;
	}
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	return rv;
}

/* The handshake: our version and name out, the broker's limits back. */
static sluice_err
hello(sluice_client *c, const char *token)
{
	Sluice__Hello h = SLUICE__HELLO__INIT;
	h.protocol_version = SLUICE_PROTOCOL_VERSION;
	h.client_name = c->name;
	if (token != NULL)
		h.token = (char *) token;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = client_next_id(c);
	rq.body_case = SLUICE__REQUEST__BODY_HELLO;
	rq.hello = &h;

	nng_msg *m = NULL;
	Sluice__Reply *reply = NULL;
	sluice_err rv = client_encode(&rq, &m);
	if (rv == SLUICE_OK)
		rv = roundtrip(c, m, &reply);
	if (rv != SLUICE_OK)
		return rv;

	if (reply->status != SLUICE_OK) {
		rv = (sluice_err) reply->status;
		sl_debug("sluice: hello refused: %s (%s)", sluice_strerror(rv),
		    reply->error);
	} else if (reply->request_id != rq.request_id ||
	    reply->body_case != SLUICE__REPLY__BODY_HELLO) {
		rv = SLUICE_EPROTO;
	} else if (reply->hello->protocol_version != SLUICE_PROTOCOL_VERSION) {
		rv = SLUICE_EVERSION;
	} else {
		const Sluice__HelloOk *ok = reply->hello;
		c->max_message_bytes =
		    ok->max_message_bytes ? ok->max_message_bytes : UINT64_MAX;
		c->max_frame_bytes =
		    ok->max_frame_bytes ? ok->max_frame_bytes : DEFAULT_FRAME_BYTES;
		c->max_outstanding = ok->max_outstanding;
	}
	codec_reply_free(reply);
	return rv;
}

static sluice_err
slots_open(sluice_client *c)
{
	uint32_t n = c->max_outstanding ? c->max_outstanding / 2 : SLOTS_MAX;
	n = n < 1 ? 1 : n > SLOTS_MAX ? SLOTS_MAX : n;
	if ((c->slots = sl_alloc(n * sizeof(slot))) == NULL)
		return SLUICE_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		slot *s = &c->slots[i];
		s->c = c;
		int nrv = nng_ctx_open(&s->ctx, c->sock);
		if (nrv == 0 && (nrv = nng_aio_alloc(&s->aio, slot_cb, s)) != 0)
			nng_ctx_close(s->ctx);
		if (nrv != 0)
			return sl_err_from_nng(nrv);
		/* Counted only once complete: close frees nslots slots. */
		nng_mtx_lock(c->mu);
		c->nslots = i + 1;
		s->next = c->idle;
		c->idle = s;
		nng_mtx_unlock(c->mu);
	}
	return SLUICE_OK;
}

/* ---- dialing, with TLS for tls+tcp:// URLs ----------------------------- */

/* PEM files are small; anything larger is surely the wrong file. */
#define PEM_MAX_BYTES (1u << 20)

/* The whole file NUL-terminated (nng takes PEM as a C string), or NULL
 * after logging why. what names the option in the message. */
static char *
read_pem(const char *path, const char *what)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	if (f == NULL) {
		sl_warn("sluice: TLS %s %s: cannot open: %s", what, path, strerror(errno));
		return NULL;
	}
	if ((buf = sl_alloc(PEM_MAX_BYTES + 1)) != NULL) {
		n = fread(buf, 1, PEM_MAX_BYTES + 1, f);
		if (n == 0 || n > PEM_MAX_BYTES) {
			sl_warn("sluice: TLS %s %s: %s", what, path,
			    n == 0 ? "empty or unreadable" : "larger than 1 MiB");
			sl_free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/*
 * Builds the client configuration of o for host (the URL's). With a CA
 * the broker must present a certificate it signed for the server name:
 * the name is always set then, as nng skips the name check without one.
 * Errors: SLUICE_EINVAL (a file unreadable or not PEM, logged),
 * SLUICE_ENOMEM.
 */
static sluice_err
tls_client_config(const sluice_opts *o, const char *host, nng_tls_config **out)
{
	nng_tls_config *cfg = NULL;
	char *ca = NULL, *cert = NULL, *key = NULL;
	const char *name = o->tls_server_name != NULL ? o->tls_server_name : host;
	sluice_err rv = SLUICE_EINVAL;
	int nrv;

	if ((nrv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0)
		return sl_err_from_nng(nrv);
	if (o->tls_ca != NULL) {
		if ((ca = read_pem(o->tls_ca, "CA file")) == NULL)
			goto out;
		if ((nrv = nng_tls_config_ca_chain(cfg, ca, NULL)) != 0) {
			sl_warn("sluice: TLS CA file %s: not a PEM certificate (%s)",
			    o->tls_ca, nng_strerror(nrv));
			goto out;
		}
		nrv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		sl_warn("sluice: TLS without a CA file: the broker's certificate "
		        "is not verified");
		nrv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	if (nrv == 0 && name != NULL && *name != '\0')
		nrv = nng_tls_config_server_name(cfg, name);
	if (nrv != 0) {
		rv = sl_err_from_nng(nrv);
		goto out;
	}
	if (o->tls_cert != NULL) {
		if ((cert = read_pem(o->tls_cert, "certificate")) == NULL ||
		    (key = read_pem(o->tls_key, "key")) == NULL)
			goto out;
		if ((nrv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0) {
			sl_warn("sluice: TLS certificate %s / key %s: not a PEM "
			        "certificate and its unencrypted key (%s)",
			    o->tls_cert, o->tls_key, nng_strerror(nrv));
			goto out;
		}
	}
	*out = cfg;
	cfg = NULL;
	rv = SLUICE_OK;
out:
	if (cfg != NULL)
		nng_tls_config_free(cfg);
	sl_free(ca);
	sl_free(cert);
	sl_free(key);
	return rv;
}

/* Explains a failed dial; returns what sluice_client_open reports. */
static sluice_err
dial_error(const sluice_opts *o, const char *name, int tls, int nrv)
{
	sl_debug("sluice: dial %s: %s", o->url, nng_strerror(nrv));
	if (tls && (nrv == NNG_ECRYPTO || nrv == NNG_EPEERAUTH)) {
		sl_warn("sluice: TLS handshake with %s failed: the broker's "
		        "certificate is not signed by the CA%s%s, is not for the "
		        "name '%s', or it does not speak TLS%s%s (%s)",
		    o->url, o->tls_ca != NULL ? " " : "",
		    o->tls_ca != NULL ? o->tls_ca : "", name != NULL ? name : "",
		    o->tls_cert != NULL ? "; or it refused our certificate " : "",
		    o->tls_cert != NULL ? o->tls_cert : "", nng_strerror(nrv));
		return SLUICE_ETRANSPORT;
	}
	if (tls && (nrv == NNG_ECONNSHUT || nrv == NNG_ECONNRESET ||
	               nrv == NNG_ECLOSED)) {
		sl_warn("sluice: %s closed the connection during the TLS handshake: "
		        "does it require a client certificate (mutual TLS)%s?",
		    o->url, o->tls_cert != NULL ? " signed by another CA" : "");
		return SLUICE_ETRANSPORT;
	}
	if (!tls && (nrv == NNG_ECONNSHUT || nrv == NNG_ECONNRESET))
		sl_warn("sluice: %s closed the connection at once: does the broker "
		        "require TLS (a tls+tcp:// URL)?", o->url);
	return sl_err_from_nng(nrv);
}

/*
 * A dial's deadline. nng 1.5.2 bounds neither a TLS handshake nor a
 * stalled SP negotiation by our timeout (a server that accepts TCP and
 * never answers held sluice_client_open until that server went away), so
 * a thread closes the dialer when the connect timeout passes: the dial
 * blocked on the caller's thread then returns.
 */
typedef struct {
	nng_dialer d;
	nng_duration ms;
	nng_mtx *mu;
	nng_cv *cv;
	int done;   /* the dial returned */
	int fired;  /* the deadline passed first: the dialer is closed */
} dial_guard;

static void
dial_guard_run(void *arg)
{
	dial_guard *g = arg;
	nng_time until = nng_clock() + (nng_time) g->ms;
	nng_mtx_lock(g->mu);
	while (!g->done && nng_cv_until(g->cv, until) != NNG_ETIMEDOUT)
		;
	g->fired = !g->done;
	nng_mtx_unlock(g->mu);
	if (g->fired)
		nng_dialer_close(g->d);
}

/* nng_dialer_start(d, 0) under the connect timeout; *timed_out says the
 * deadline closed the dialer (whatever the dial returned). */
static int
dial_within(nng_dialer d, nng_duration ms, int *timed_out)
{
	dial_guard g = { .d = d, .ms = ms };
	nng_thread *thr = NULL;
	int rv;
	*timed_out = 0;
	if (ms <= 0 || nng_mtx_alloc(&g.mu) != 0)
		return nng_dialer_start(d, 0);
	if (nng_cv_alloc(&g.cv, g.mu) != 0 ||
	    nng_thread_create(&thr, dial_guard_run, &g) != 0) {
		if (g.cv != NULL)
			nng_cv_free(g.cv);
		nng_mtx_free(g.mu);
		return nng_dialer_start(d, 0);
	}
	rv = nng_dialer_start(d, 0);
	nng_mtx_lock(g.mu);
	g.done = 1;
	nng_cv_wake(g.cv);
	nng_mtx_unlock(g.mu);
	nng_thread_destroy(thr); /* joins */
	*timed_out = g.fired;
	nng_cv_free(g.cv);
	nng_mtx_free(g.mu);
	return rv;
}

/*
 * Dials o->url synchronously, so a broker that is not there (or a TLS
 * handshake that fails) is an error now, not a silent redial; the connect
 * timeout bounds it (dial_guard).
 */
static sluice_err
dial(sluice_client *c, const sluice_opts *o)
{
	nng_dialer d;
	nng_url *u = NULL;
	nng_tls_config *cfg = NULL;
	int tls = strncmp(o->url, "tls+", 4) == 0, nrv;
	const char *name = o->tls_server_name;
	sluice_err rv;

	if ((nrv = nng_dialer_create(&d, c->sock, o->url)) != 0)
		return dial_error(o, NULL, 0, nrv);
	if (tls) {
		if ((nrv = nng_url_parse(&u, o->url)) != 0)
			return sl_err_from_nng(nrv);
		if (name == NULL)
			name = u->u_hostname;
		rv = tls_client_config(o, u->u_hostname, &cfg);
		if (rv == SLUICE_OK) {
			/* The dialer holds its own reference. */
			rv = sl_err_from_nng(nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg));
			nng_tls_config_free(cfg);
		}
		if (rv != SLUICE_OK) {
			nng_url_free(u);
			return rv;
		}
	}
	int timed_out;
	nrv = dial_within(d, o->connect_timeout_ms, &timed_out);
	if (timed_out) {
		sl_warn("sluice: %s accepted the connection but did not finish %s "
		        "within %d ms: is it a Sluice broker%s?", o->url,
		    tls ? "the TLS handshake" : "the connection handshake",
		    o->connect_timeout_ms, tls ? " speaking TLS" : "");
		rv = SLUICE_ETIMEDOUT;
	} else {
		rv = nrv != 0 ? dial_error(o, name, tls, nrv) : SLUICE_OK;
	}
	nng_url_free(u);
	return rv;
}

static sluice_err
sock_open(sluice_client *c, const sluice_opts *o)
{
	int nrv;
	if ((nrv = nng_req0_open(&c->sock)) != 0)
		return sl_err_from_nng(nrv);
	/*
	 * Never resend: a resent Publish would be stored twice. Must be set
	 * before any context exists, as contexts copy it when opened.
	 */
	if ((nrv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME,
	         NNG_DURATION_INFINITE)) != 0 ||
	    (nrv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 0)) != 0 ||
	    (nrv = nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, c)) !=
	        0 ||
	    (nrv = nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_cb, c)) !=
	        0)
		return sl_err_from_nng(nrv);
	return dial(c, o);
}

static void
client_free(sluice_client *c)
{
	/* Pipe callbacks may run until the socket is closed. */
	if (nng_socket_id(c->sock) > 0)
		nng_close(c->sock);
	for (uint32_t i = 0; i < c->nslots; i++)
		nng_aio_free(c->slots[i].aio);
	sl_free(c->slots);
	if (c->mu != NULL)
		nng_mtx_free(c->mu);
	sl_free(c->name);
	sl_free(c);
}

sluice_err
sluice_client_open(sluice_client **out, const sluice_opts *opts)
{
	sluice_opts *defaults = NULL;
	sluice_client *c = NULL;
	sluice_err rv;

	if (out == NULL)
		return SLUICE_EINVAL;
	if (opts == NULL) {
		if ((rv = sluice_opts_alloc(&defaults)) != SLUICE_OK)
			return rv;
		opts = defaults;
	}
	if ((c = sl_alloc(sizeof(*c))) == NULL) {
		rv = SLUICE_ENOMEM;
		goto fail;
	}
	c->sock = (nng_socket) NNG_SOCKET_INITIALIZER;
	c->request_timeout = opts->request_timeout_ms;
	c->connect_timeout = opts->connect_timeout_ms;
	if ((c->name = sl_strdup(opts->name)) == NULL) {
		rv = SLUICE_ENOMEM;
		goto fail;
	}
	if ((rv = sl_err_from_nng(nng_mtx_alloc(&c->mu))) != SLUICE_OK)
		goto fail;
	if ((rv = sock_open(c, opts)) != SLUICE_OK)
		goto fail;
	if ((rv = hello(c, opts->token)) != SLUICE_OK)
		goto fail;
	if ((rv = slots_open(c)) != SLUICE_OK)
		goto fail;
	sluice_opts_free(defaults);
	*out = c;
	return SLUICE_OK;

fail:
	if (c != NULL) {
		if (c->mu != NULL) {
			nng_mtx_lock(c->mu);
			c->closing = 1;
			nng_mtx_unlock(c->mu);
		}
		client_free(c);
	}
	sluice_opts_free(defaults);
	return rv;
}

sluice_err
sluice_client_close(sluice_client *c)
{
	if (c == NULL)
		return SLUICE_EINVAL;
	nng_mtx_lock(c->mu);
	if (c->nproducers > 0 || c->nconsumers > 0) {
		nng_mtx_unlock(c->mu);
		sl_error("sluice: client closed with %u producers and %u "
		         "consumers open",
		    c->nproducers, c->nconsumers);
		return SLUICE_EINVAL;
	}
	c->closing = 1;
	client_req *waiting = steal_waiting(c);
	nng_mtx_unlock(c->mu);
	fail_list(waiting, SLUICE_ECLOSED);
	/* Closing the socket completes every slot aio with NNG_ECLOSED;
	 * client_free then waits for those callbacks to return. */
	client_free(c);
	return SLUICE_OK;
}

sluice_err
client_submit(sluice_client *c, client_req *r)
{
	sluice_err rv = SLUICE_OK;
	nng_mtx_lock(c->mu);
	if (c->closing)
		rv = SLUICE_ECLOSED;
	else if (c->broken != SLUICE_OK)
		rv = c->broken;
	else if (c->idle != NULL) {
		slot *s = c->idle;
		c->idle = s->next;
		slot_start(s, r);
	} else {
		r->next = NULL;
		if (c->wait_tail != NULL)
			c->wait_tail->next = r;
		else
			c->wait_head = r;
		c->wait_tail = r;
	}
	nng_mtx_unlock(c->mu);
	return rv;
}

void
client_abort(sluice_client *c, client_req *r)
{
	int found = 0;
	nng_mtx_lock(c->mu);
	for (uint32_t i = 0; i < c->nslots; i++) {
		/* The aio completes on an nng thread; done runs there. */
		if (c->slots[i].req == r) {
			c->slots[i].aborted = 1;
			nng_aio_abort(c->slots[i].aio, NNG_ECANCELED);
		}
	}
	client_req **pp = &c->wait_head, *prev = NULL;
	while (*pp != NULL) {
		if (*pp == r) {
			*pp = r->next;
			if (c->wait_tail == r)
				c->wait_tail = prev;
			found = 1;
			break;
		}
		prev = *pp;
		pp = &(*pp)->next;
	}
	nng_mtx_unlock(c->mu);
	if (found) {
		r->next = NULL;
		fail_list(r, SLUICE_ECLOSED);
	}
}

sluice_err
client_status(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	sluice_err rv = c->closing ? SLUICE_ECLOSED : c->broken;
	nng_mtx_unlock(c->mu);
	return rv;
}

uint64_t
client_max_frame_bytes(const sluice_client *c)
{
	return c->max_frame_bytes;
}

uint64_t
sluice_client_max_message_bytes(const sluice_client *c)
{
	return c != NULL ? c->max_message_bytes : 0;
}

void
client_producer_add(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	c->nproducers++;
	nng_mtx_unlock(c->mu);
}

void
client_producer_remove(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	c->nproducers--;
	nng_mtx_unlock(c->mu);
}

void
client_consumer_add(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	c->nconsumers++;
	nng_mtx_unlock(c->mu);
}

void
client_consumer_remove(sluice_client *c)
{
	nng_mtx_lock(c->mu);
	c->nconsumers--;
	nng_mtx_unlock(c->mu);
}
