/*
 * producer.c - publishing to one topic: client-side batching, the linger
 * timer, the window of unacknowledged messages, per-message completion and
 * flush. Each batch becomes one Publish request on the client's transport
 * (client.c); the broker stores a batch all or nothing, so a reply's status
 * applies to every message of it. The producer does not know about sockets
 * or slots.
 *
 * Threading: `mu` guards everything below it in the struct. User callbacks
 * never run under `mu`: completions collect under the lock and report after
 * releasing it. A batch that fails before it reaches the wire (no memory,
 * connection already lost) is parked on `failed` and reported by whoever
 * releases the lock next (see unlock_report()), since the thread that found the
 * failure may be holding the lock of a publishing call.
 */
#include <string.h>

#include "alloc.h"
#include "client_impl.h"
#include "log.h"

/* Room left in a frame for the Request around the messages: request_id,
 * the publish tag and length, the topic (<= 255 bytes) and their tags. */
#define FRAME_OVERHEAD_BYTES 1024

typedef struct batch batch;

struct batch {
	client_req       req;   /* first: the client hands this back */
	sluice_producer *p;
	sluice_msg      *head;  /* messages in publish order */
	sluice_msg      *tail;
	uint32_t         n;     /* messages in the list */
	size_t           bytes; /* sum of msg_wire_bound of the messages */
	uint64_t         opened_ns; /* monotonic time of the first message */
	sluice_err       rv;    /* failure found before sending */
	int              sent;  /* handed to the transport */
	batch           *next;  /* link on the producer's failed list */
};

struct sluice_producer {
	sluice_client *c;
	char          *topic;
	uint32_t       max_messages; /* per batch, >= 1 */
	size_t         max_bytes;    /* per batch (wire bound), under the frame */
	uint32_t       linger_ms;
	uint32_t       window;       /* most messages accepted and not done */
	int            block;

	nng_mtx *mu;
	nng_cv  *cv;         /* signalled whenever unacked drops */
	nng_aio *linger_aio; /* nng_sleep_aio timer; freed by close only */

	/* Guarded by mu. */
	batch     *open;         /* batch being filled, NULL when none */
	batch     *failed_head;  /* failed before sending, not yet reported */
	batch     *failed_tail;
	uint64_t   next_seq;     /* next producer sequence number, from 1 */
	uint32_t   unacked;      /* accepted, callback not yet returned */
	uint32_t   inflight;     /* batches sent, reply not yet handled */
	sluice_err first_err;    /* first failure since the last flush */
	int        linger_armed;
	int        closing;
};

static void linger_cb(void *arg);
static void send_open(sluice_producer *p);

/* Batches in flight before new messages wait to form a larger one. */
#define PIPELINE 4

/*
 * Reports every message of b with rv (offsets from base when rv is OK),
 * then releases its window room. Runs without mu; frees b and its messages.
 */
static void
batch_complete(batch *b, sluice_err rv, uint64_t base)
{
	sluice_producer *p = b->p;
	uint64_t i = 0;
	for (sluice_msg *m = b->head; m != NULL; m = m->next, i++) {
		if (m->cb != NULL)
			m->cb(p, rv, rv == SLUICE_OK ? base + i : 0, m->cb_arg);
	}
	nng_mtx_lock(p->mu);
	p->unacked -= b->n;
	if (b->sent) {
		p->inflight--;
		/* A reply frees the pipe: what gathered meanwhile goes now. */
		if (p->open != NULL && p->linger_ms == 0 && p->inflight < PIPELINE)
			send_open(p);
	}
	if (rv != SLUICE_OK && p->first_err == SLUICE_OK)
		p->first_err = rv;
	nng_cv_wake(p->cv);
	nng_mtx_unlock(p->mu);

	sluice_msg *m = b->head;
	while (m != NULL) {
		sluice_msg *next = m->next;
		sluice_msg_free(m);
		m = next;
	}
	if (b->req.msg != NULL)
		nng_msg_free(b->req.msg);
	sl_free(b);
}

/* The transport's verdict on one batch, on an nng thread. */
static void
batch_done(client_req *r, sluice_err rv, const Sluice__Reply *reply)
{
	batch *b = (batch *) r;
	uint64_t base = 0;
	if (rv == SLUICE_OK) {
		if (reply->status != SLUICE_OK) {
			rv = (sluice_err) reply->status;
			sl_debug("sluice: publish to %s refused: %s (%s)",
			    b->p->topic, sluice_strerror(rv), reply->error);
		} else if (reply->body_case != SLUICE__REPLY__BODY_PUBLISH ||
		    reply->publish->count != b->n) {
			rv = SLUICE_EPROTO;
		} else {
			base = reply->publish->base_offset;
		}
	}
	batch_complete(b, rv, base);
}

/*
 * Reports the batches that failed before sending. Called with mu held;
 * drops it while reporting and holds it again on return.
 */
static void
report_failed(sluice_producer *p)
{
	batch *b;
	while ((b = p->failed_head) != NULL) {
		if ((p->failed_head = b->next) == NULL)
			p->failed_tail = NULL;
		nng_mtx_unlock(p->mu);
		batch_complete(b, b->rv, 0);
		nng_mtx_lock(p->mu);
	}
}

static void
unlock_report(sluice_producer *p)
{
	report_failed(p);
	nng_mtx_unlock(p->mu);
}

/*
 * Waits for cv with mu held, after reporting what it may be waiting for.
 * Reporting drops mu, and completions that run meanwhile wake nobody: so
 * when anything was reported, return at once and let the caller re-check
 * its condition instead of sleeping through the change.
 */
static void
wait_locked(sluice_producer *p)
{
	if (p->failed_head != NULL) {
		report_failed(p);
		return;
	}
	nng_cv_wait(p->cv);
}

/* Encodes b as one Publish request pointing at its messages' bytes. */
static sluice_err
batch_encode(sluice_producer *p, batch *b)
{
	Sluice__Message **msgs = sl_alloc(b->n * sizeof(*msgs));
	if (msgs == NULL)
		return SLUICE_ENOMEM;
	uint32_t i = 0;
	for (sluice_msg *m = b->head; m != NULL; m = m->next)
		msgs[i++] = &m->pb;

	Sluice__Publish pub = SLUICE__PUBLISH__INIT;
	pub.topic = p->topic;
	pub.n_messages = b->n;
	pub.messages = msgs;
	Sluice__Request rq = SLUICE__REQUEST__INIT;
	rq.request_id = b->req.id = client_next_id(p->c);
	rq.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	rq.publish = &pub;

	sluice_err rv = SLUICE_OK;
	/* Only a lone message can exceed the frame: batches stop short. */
	if (codec_request_size(&rq) > client_max_frame_bytes(p->c))
		rv = SLUICE_ETOOBIG;
	else
		rv = client_encode(&rq, &b->req.msg);
	sl_free(msgs);
	return rv;
}

/*
 * Sends the open batch, if any. Called with mu held, so batches reach the
 * transport in the order their messages were published.
 */
static void
send_open(sluice_producer *p)
{
	batch *b = p->open;
	if (b == NULL)
		return;
	p->open = NULL;
	b->req.done = batch_done;
	sluice_err rv = batch_encode(p, b);
	if (rv == SLUICE_OK && (rv = client_submit(p->c, &b->req)) != SLUICE_OK) {
		nng_msg_free(b->req.msg);
		b->req.msg = NULL;
	}
	if (rv == SLUICE_OK) {
		b->sent = 1;
		p->inflight++;
	}
	if (rv != SLUICE_OK) {
		b->rv = rv;
		b->next = NULL;
		if (p->failed_tail != NULL)
			p->failed_tail->next = b;
		else
			p->failed_head = b;
		p->failed_tail = b;
	}
}

static void
linger_arm(sluice_producer *p, uint64_t ms)
{
	p->linger_armed = 1;
	nng_sleep_aio((nng_duration) ms, p->linger_aio);
}

/*
 * The linger timer, on an nng thread. One timer serves every batch: when
 * it fires for a batch already sent, it re-arms for the remaining linger
 * of the batch opened since.
 */
static void
linger_cb(void *arg)
{
	sluice_producer *p = arg;
	if (nng_aio_result(p->linger_aio) != 0)
		return; /* stopped by close */
	nng_mtx_lock(p->mu);
	p->linger_armed = 0;
	if (p->open != NULL) {
		uint64_t age_ms = (sl_mono_ns() - p->open->opened_ns) / 1000000u;
		if (age_ms >= p->linger_ms)
			send_open(p);
		else
			linger_arm(p, p->linger_ms - age_ms);
	}
	unlock_report(p);
}

sluice_err
sluice_producer_open(sluice_producer **out, sluice_client *c,
    const char *topic, const sluice_producer_opts *popts)
{
	sluice_producer_opts defaults;
	sluice_producer *p = NULL;
	sluice_err rv = SLUICE_ENOMEM;

	if (out == NULL || c == NULL || !sluice_topic_name_is_valid(topic))
		return SLUICE_EINVAL;
	if (popts == NULL) {
		opts_producer_defaults(&defaults);
		popts = &defaults;
	}
	if ((p = sl_alloc(sizeof(*p))) == NULL)
		return SLUICE_ENOMEM;
	p->c = c;
	/*
	 * A batch of a whole window would leave one request in flight and
	 * the pipe idle during every round trip: cap batches at a quarter
	 * of the window so several are always on their way.
	 */
	p->max_messages = popts->batch_max_messages;
	if (popts->window >= 4 && p->max_messages > popts->window / 4)
		p->max_messages = popts->window / 4;
	p->linger_ms = popts->linger_ms;
	p->window = popts->window;
	p->block = popts->block;
	p->next_seq = 1;
	/* Batches stay under the broker's frame limit, whatever was asked. */
	uint64_t frame = client_max_frame_bytes(c);
	uint64_t room =
	    frame > 2 * FRAME_OVERHEAD_BYTES ? frame - FRAME_OVERHEAD_BYTES : frame / 2;
	p->max_bytes = popts->batch_max_bytes < room ? popts->batch_max_bytes
	                                              : (size_t) room;
	if ((p->topic = sl_strdup(topic)) == NULL)
		goto fail;
	if ((rv = sl_err_from_nng(nng_mtx_alloc(&p->mu))) != SLUICE_OK ||
	    (rv = sl_err_from_nng(nng_cv_alloc(&p->cv, p->mu))) != SLUICE_OK ||
	    (rv = sl_err_from_nng(nng_aio_alloc(&p->linger_aio, linger_cb, p))) !=
	        SLUICE_OK)
		goto fail;
	client_producer_add(c);
	*out = p;
	return SLUICE_OK;

fail:
	if (p->cv != NULL)
		nng_cv_free(p->cv);
	if (p->mu != NULL)
		nng_mtx_free(p->mu);
	sl_free(p->topic);
	sl_free(p);
	return rv;
}

/*
 * Waits until the window has room for one more message. Called with mu
 * held. While it blocks, the open batch is sent at once: waiting out the
 * linger would only make the wait longer.
 */
static sluice_err
window_wait(sluice_producer *p)
{
	while (p->unacked >= p->window) {
		if (!p->block)
			return SLUICE_EWOULDBLOCK;
		send_open(p);
		wait_locked(p);
		if (p->closing)
			return SLUICE_ECLOSED;
	}
	return SLUICE_OK;
}

/* Appends m to the open batch, opening one if needed. Called with mu held. */
static sluice_err
batch_add(sluice_producer *p, sluice_msg *m)
{
	size_t bound = msg_wire_bound(m);
	if (p->open != NULL && p->open->bytes + bound > p->max_bytes)
		send_open(p);
	if (p->open == NULL) {
		batch *b = sl_alloc(sizeof(*b));
		if (b == NULL)
			return SLUICE_ENOMEM;
		b->p = p;
		b->opened_ns = sl_mono_ns();
		p->open = b;
		if (p->linger_ms > 0 && !p->linger_armed)
			linger_arm(p, p->linger_ms);
	}
	batch *b = p->open;
	if (!m->has_seq)
		m->pb.producer_seq = p->next_seq++;
	m->next = NULL;
	if (b->tail != NULL)
		b->tail->next = m;
	else
		b->head = m;
	b->tail = m;
	b->n++;
	b->bytes += bound;
	p->unacked++;
	/* Without a linger time, batching follows the pipe: a batch goes at
	 * once while fewer than PIPELINE are in flight, and otherwise grows
	 * until a reply arrives (batch_complete) or it is full. */
	if (b->n >= p->max_messages || b->bytes >= p->max_bytes ||
	    (p->linger_ms == 0 && p->inflight < PIPELINE))
		send_open(p);
	return SLUICE_OK;
}

sluice_err
sluice_publish_async(
    sluice_producer *p, sluice_msg **mp, sluice_publish_cb cb, void *arg)
{
	if (p == NULL || mp == NULL || *mp == NULL)
		return SLUICE_EINVAL;
	sluice_msg *m = *mp;
	/* Refused here, not by the broker, so the caller can still act. */
	if (sluice_msg_size(m) > sluice_client_max_message_bytes(p->c))
		return SLUICE_ETOOBIG;

	nng_mtx_lock(p->mu);
	sluice_err rv = p->closing ? SLUICE_ECLOSED : client_status(p->c);
	if (rv == SLUICE_OK)
		rv = window_wait(p);
	if (rv == SLUICE_OK) {
		m->cb = cb;
		m->cb_arg = arg;
		if ((rv = batch_add(p, m)) == SLUICE_OK)
			*mp = NULL;
	}
	unlock_report(p);
	return rv;
}

/* What sluice_publish waits on; lives on the waiting caller's stack. */
typedef struct {
	int        done;
	sluice_err rv;
	uint64_t   offset;
} sync_wait;

static void
sync_cb(sluice_producer *p, sluice_err rv, uint64_t offset, void *arg)
{
	sync_wait *w = arg;
	nng_mtx_lock(p->mu);
	w->rv = rv;
	w->offset = offset;
	w->done = 1;
	nng_cv_wake(p->cv);
	nng_mtx_unlock(p->mu); /* w may be gone from here on */
}

sluice_err
sluice_publish(sluice_producer *p, sluice_msg **m, uint64_t *offset_out)
{
	sync_wait w = { 0, SLUICE_OK, 0 };
	sluice_err rv = sluice_publish_async(p, m, sync_cb, &w);
	if (rv != SLUICE_OK)
		return rv;
	nng_mtx_lock(p->mu);
	send_open(p);
	while (!w.done)
		wait_locked(p);
	unlock_report(p);
	if (w.rv == SLUICE_OK && offset_out != NULL)
		*offset_out = w.offset;
	return w.rv;
}

sluice_err
sluice_producer_flush(sluice_producer *p)
{
	if (p == NULL)
		return SLUICE_EINVAL;
	nng_mtx_lock(p->mu);
	send_open(p);
	while (p->unacked > 0)
		wait_locked(p);
	sluice_err rv = p->first_err;
	p->first_err = SLUICE_OK;
	unlock_report(p);
	return rv;
}

sluice_err
sluice_producer_close(sluice_producer *p)
{
	if (p == NULL)
		return SLUICE_EINVAL;
	nng_mtx_lock(p->mu);
	p->closing = 1;
	nng_cv_wake(p->cv);
	send_open(p);
	while (p->unacked > 0)
		wait_locked(p);
	unlock_report(p);
	/* Waits for a running linger_cb; none starts after this. */
	nng_aio_free(p->linger_aio);
	client_producer_remove(p->c);
	nng_cv_free(p->cv);
	nng_mtx_free(p->mu);
	sl_free(p->topic);
	sl_free(p);
	return SLUICE_OK;
}
