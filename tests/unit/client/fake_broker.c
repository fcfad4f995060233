/*
 * fake_broker.c - see fake_broker.h. One thread serves a raw rep0 socket:
 * each request's backtrace header is kept so that a reply can be sent
 * later, which lets fetches park while other requests are answered. Held
 * Publish replies (cfg.hold) block the thread, as a stalled broker would.
 * Not a model of sluiced beyond what client tests need.
 */
#include "fake_broker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "codec.h"

#define FAKE_TOPIC_MAX 4096
#define FAKE_MAX_FETCH 8192
#define FAKE_MAX_PARKED 2
#define HDR_MAX 128
#define CONSUMER_ID 7

/* Where a reply goes: the request's backtrace header. */
typedef struct {
	uint8_t hdr[HDR_MAX];
	size_t  len;
} route;

typedef struct {
	route    to;
	uint64_t request_id;
	uint32_t max;
	nng_time deadline;
} parked;

struct fake_broker {
	fake_config     cfg;
	nng_socket      sock;
	pthread_t       thread;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	char            dir[64];
	char            path[96];
	char            url[128];
	int             stop;
	int             closed;    /* the socket was closed */
	int             drop_req;  /* fake_broker_drop asks serve() to close it:
	                            * nng 1.5 can panic when one thread closes a
	                            * socket another is receiving on */
	uint64_t        next_offset;
	uint32_t        hellos;
	uint32_t        frames;
	uint32_t        nmsgs;
	size_t          max_frame;
	uint64_t        seqs[FAKE_MAX_MSGS];
	char            payloads[FAKE_MAX_MSGS][64];

	/* Subscription model, guarded by mu. */
	uint32_t   topic_n;     /* messages in the fake topic */
	uint32_t   next;        /* next offset never delivered */
	uint32_t   window;
	int        non_reliable;
	uint32_t   nunacked;
	uint8_t    unacked[FAKE_TOPIC_MAX];
	uint32_t   attempts[FAKE_TOPIC_MAX];
	uint32_t   redo[FAKE_TOPIC_MAX]; /* nacked offsets to redeliver */
	uint32_t   nredo;
	parked     park[FAKE_MAX_PARKED];
	uint32_t   nparked;
	fake_stats st;
	fake_fetch fetches[FAKE_MAX_FETCH];
	uint8_t   *sub_bytes;   /* the last Subscribe, packed (malloc'd) */
	size_t     sub_len;
	fake_nack  nacks[FAKE_MAX_NACKS];
	uint32_t   n_nacks;     /* Ack requests with nacks (may exceed max) */
};

static void
send_reply(fake_broker *fb, const route *to, const Sluice__Reply *rep)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, codec_reply_size(rep)) != 0)
		return;
	codec_reply_pack(rep, nng_msg_body(m));
	if (nng_msg_header_append(m, to->hdr, to->len) != 0 ||
	    nng_sendmsg(fb->sock, m, 0) != 0)
		nng_msg_free(m);
}

static void
send_status(fake_broker *fb, const route *to, uint64_t id, uint32_t status)
{
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	rep.request_id = id;
	rep.status = status;
	if (status != 0)
		rep.error = "refused by the fake";
	send_reply(fb, to, &rep);
}

static void
on_hello(fake_broker *fb, const route *to, const Sluice__Request *rq)
{
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	Sluice__HelloOk ok = SLUICE__HELLO_OK__INIT;
	rep.request_id = rq->request_id;
	rep.status = fb->cfg.hello_status;
	if (rep.status == 0) {
		ok.protocol_version = fb->cfg.protocol_version;
		ok.broker_version = "fake";
		ok.max_message_bytes = fb->cfg.max_message_bytes;
		ok.max_frame_bytes = fb->cfg.max_frame_bytes;
		ok.max_outstanding = fb->cfg.max_outstanding;
		rep.body_case = SLUICE__REPLY__BODY_HELLO;
		rep.hello = &ok;
	} else {
		rep.error = "refused by the fake";
	}
	pthread_mutex_lock(&fb->mu);
	fb->hellos++;
	pthread_mutex_unlock(&fb->mu);
	send_reply(fb, to, &rep);
}

/* Returns 0 to go on serving, -1 when the socket was closed. */
static int
on_publish(fake_broker *fb, const route *to, const Sluice__Request *rq,
    size_t frame_len)
{
	const Sluice__Publish *pub = rq->publish;
	pthread_mutex_lock(&fb->mu);
	fb->frames++;
	if (frame_len > fb->max_frame)
		fb->max_frame = frame_len;
	for (size_t i = 0; i < pub->n_messages; i++) {
		if (fb->nmsgs >= FAKE_MAX_MSGS)
			break;
		const Sluice__Message *m = pub->messages[i];
		size_t n = m->payload.len < 63 ? m->payload.len : 63;
		fb->seqs[fb->nmsgs] = m->producer_seq;
		if (n > 0)
			memcpy(fb->payloads[fb->nmsgs], m->payload.data, n);
		fb->payloads[fb->nmsgs][n] = '\0';
		fb->nmsgs++;
	}
	pthread_cond_broadcast(&fb->cv);
	if (fb->cfg.drop_on_publish) {
		fb->closed = 1;
		pthread_mutex_unlock(&fb->mu);
		nng_close(fb->sock);
		return -1;
	}
	while (fb->cfg.hold && !fb->stop)
		pthread_cond_wait(&fb->cv, &fb->mu);
	uint64_t base = fb->next_offset;
	if (fb->cfg.publish_status == 0)
		fb->next_offset += pub->n_messages;
	pthread_mutex_unlock(&fb->mu);

	Sluice__Reply rep = SLUICE__REPLY__INIT;
	Sluice__PublishAck ack = SLUICE__PUBLISH_ACK__INIT;
	rep.request_id = rq->request_id;
	rep.status = fb->cfg.publish_status;
	if (rep.status == 0) {
		ack.base_offset = base;
		ack.count = (uint32_t) pub->n_messages;
		rep.body_case = SLUICE__REPLY__BODY_PUBLISH;
		rep.publish = &ack;
	} else {
		rep.error = "refused by the fake";
	}
	send_reply(fb, to, &rep);
	return 0;
}

/* ---- subscription model (mu held) ---- */

static void
note_unacked(fake_broker *fb)
{
	if (fb->nunacked > fb->st.max_unacked)
		fb->st.max_unacked = fb->nunacked;
	pthread_cond_broadcast(&fb->cv);
}

/* Acks one offset; returns 1 when it was unacked. */
static int
ack_one(fake_broker *fb, uint64_t o)
{
	if (o >= FAKE_TOPIC_MAX || !fb->unacked[o])
		return 0;
	fb->unacked[o] = 0;
	fb->nunacked--;
	return 1;
}

static uint32_t
ack_ranges(fake_broker *fb, Sluice__AckRange **v, size_t n, uint32_t *covered)
{
	uint32_t applied = 0;
	for (size_t i = 0; i < n; i++) {
		for (uint64_t o = v[i]->first; o <= v[i]->last && o < FAKE_TOPIC_MAX; o++) {
			applied += (uint32_t) ack_one(fb, o);
			(*covered)++;
		}
	}
	return applied;
}

static uint32_t
available(const fake_broker *fb)
{
	return fb->nredo + (fb->topic_n - fb->next);
}

static uint32_t
answerable(const fake_broker *fb, uint32_t max)
{
	uint32_t room = fb->nunacked >= fb->window ? 0 : fb->window - fb->nunacked;
	uint32_t n = max < room ? max : room;
	uint32_t a = available(fb);
	return n < a ? n : a;
}

static void
fill_message(Sluice__StoredMessage *m, Sluice__Property *prop,
    Sluice__Property **props, char *buf, uint64_t o)
{
	/* buf: payload, key and property value, 24 bytes each. */
	snprintf(buf, 24, "m%llu", (unsigned long long) o);
	snprintf(buf + 24, 24, "k%llu", (unsigned long long) o);
	snprintf(buf + 48, 24, "%llu", (unsigned long long) o);
	m->payload.data = (uint8_t *) buf;
	m->payload.len = strlen(buf);
	m->has_key = o % 2 == 0;
	if (m->has_key) {
		m->key.data = (uint8_t *) buf + 24;
		m->key.len = strlen(buf + 24);
	}
	prop->key = "n";
	prop->value = buf + 48;
	props[0] = prop;
	m->properties = props;
	m->n_properties = 1;
	m->publish_time_us = 1000000 + (int64_t) o;
	m->event_time_us = 500 + (int64_t) o;
	m->producer_seq = o + 1;
}

/* Sends a Deliver of n records (n may be 0). */
static void
deliver(fake_broker *fb, const route *to, uint64_t id, uint32_t n)
{
	Sluice__Record *recs = calloc(n ? n : 1, sizeof(*recs));
	Sluice__Record **rp = calloc(n ? n : 1, sizeof(*rp));
	Sluice__StoredMessage *msgs = calloc(n ? n : 1, sizeof(*msgs));
	Sluice__Property *props = calloc(n ? n : 1, sizeof(*props));
	Sluice__Property **pp = calloc(n ? n : 1, sizeof(*pp));
	char *bufs = calloc(n ? n : 1, 72);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t o;
		if (fb->nredo > 0) {
			o = fb->redo[0];
			memmove(fb->redo, fb->redo + 1, --fb->nredo * sizeof(uint32_t));
		} else {
			o = fb->next++;
		}
		if (!fb->non_reliable) { /* forgotten on send otherwise */
			fb->unacked[o] = 1;
			fb->nunacked++;
		}
		fb->attempts[o]++;
		Sluice__Record ri = SLUICE__RECORD__INIT;
		Sluice__StoredMessage mi = SLUICE__STORED_MESSAGE__INIT;
		Sluice__Property pi = SLUICE__PROPERTY__INIT;
		recs[i] = ri;
		msgs[i] = mi;
		props[i] = pi;
		fill_message(&msgs[i], &props[i], &pp[i], bufs + 72 * i, o);
		recs[i].offset = o;
		recs[i].attempt = fb->attempts[o];
		recs[i].message = &msgs[i];
		rp[i] = &recs[i];
	}
	fb->st.delivered += n;
	note_unacked(fb);
	Sluice__Deliver d = SLUICE__DELIVER__INIT;
	d.records = rp;
	d.n_records = n;
	d.active = !fb->cfg.inactive;
	d.dropped = fb->cfg.dropped;
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	rep.request_id = id;
	rep.body_case = SLUICE__REPLY__BODY_DELIVER;
	rep.deliver = &d;
	send_reply(fb, to, &rep);
	free(recs);
	free(rp);
	free(msgs);
	free(props);
	free(pp);
	free(bufs);
}

/* Answers parked fetches that can be answered, oldest first. */
static void
serve_parked(fake_broker *fb, int expire_all)
{
	nng_time now = nng_clock();
	uint32_t i = 0;
	while (i < fb->nparked) {
		parked *p = &fb->park[i];
		uint32_t n = answerable(fb, p->max);
		if (n > 0 || expire_all || now >= p->deadline) {
			parked done = *p;
			memmove(&fb->park[i], &fb->park[i + 1],
			    (fb->nparked - i - 1) * sizeof(parked));
			fb->nparked--;
			deliver(fb, &done.to, done.request_id, n);
		} else {
			i++;
		}
	}
}

static void
on_subscribe(fake_broker *fb, const route *to, const Sluice__Request *rq)
{
	const Sluice__Subscribe *s = rq->subscribe;
	fb->st.subscribes++;
	fb->st.sub_window = s->window;
	fb->st.sub_mode = (int) s->mode;
	fb->st.sub_type = (int) s->type;
	free(fb->sub_bytes);
	fb->sub_len = sluice__subscribe__get_packed_size(s);
	if ((fb->sub_bytes = malloc(fb->sub_len ? fb->sub_len : 1)) != NULL)
		sluice__subscribe__pack(s, fb->sub_bytes);
	if (fb->cfg.subscribe_status != 0) {
		send_status(fb, to, rq->request_id, fb->cfg.subscribe_status);
		return;
	}
	fb->window = fb->cfg.window ? fb->cfg.window : s->window ? s->window : 1000;
	fb->non_reliable = s->mode == SLUICE__SUB_MODE__MODE_NON_RELIABLE;
	Sluice__SubscribeOk ok = SLUICE__SUBSCRIBE_OK__INIT;
	ok.consumer_id = CONSUMER_ID;
	ok.head = fb->topic_n;
	ok.active = !fb->cfg.inactive;
	ok.window = fb->window;
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	rep.request_id = rq->request_id;
	rep.body_case = SLUICE__REPLY__BODY_SUBSCRIBE;
	rep.subscribe = &ok;
	send_reply(fb, to, &rep);
}

static void
on_fetch(fake_broker *fb, const route *to, const Sluice__Request *rq)
{
	const Sluice__Fetch *f = rq->fetch;
	fake_fetch rec = { f->max_records, f->max_wait_ms, (uint32_t) f->n_acks,
		0, 0, 0 };
	uint32_t applied = ack_ranges(fb, f->acks, f->n_acks, &rec.acked);
	fb->st.acked += applied;
	rec.unacked = fb->nunacked;
	for (uint32_t i = 0; i < fb->nparked; i++)
		rec.parked += fb->park[i].max;
	if ((uint64_t) rec.max_records + rec.unacked + rec.parked > fb->window)
		fb->st.credit_violations++;
	if (fb->st.fetches < FAKE_MAX_FETCH)
		fb->fetches[fb->st.fetches] = rec;
	fb->st.fetches++;
	pthread_cond_broadcast(&fb->cv);
	if (f->consumer_id != CONSUMER_ID) {
		send_status(fb, to, rq->request_id, SLUICE_ENOCONSUMER);
		return;
	}
	if (fb->cfg.fetch_status != 0) {
		send_status(fb, to, rq->request_id, fb->cfg.fetch_status);
		return;
	}
	serve_parked(fb, 0); /* acks may have made room for older ones */
	uint32_t n = answerable(fb, f->max_records);
	if (n > 0 || fb->cfg.no_park || fb->nparked >= FAKE_MAX_PARKED) {
		deliver(fb, to, rq->request_id, n);
		return;
	}
	parked *p = &fb->park[fb->nparked++];
	p->to = *to;
	p->request_id = rq->request_id;
	p->max = f->max_records;
	p->deadline = nng_clock() + f->max_wait_ms;
}

static void
on_ack(fake_broker *fb, const route *to, const Sluice__Request *rq)
{
	const Sluice__Ack *a = rq->ack;
	uint32_t covered = 0, applied;
	fb->st.acks++;
	fb->st.ack_ranges += (uint32_t) a->n_ranges;
	if (fb->cfg.ack_status != 0) {
		pthread_cond_broadcast(&fb->cv);
		send_status(fb, to, rq->request_id, fb->cfg.ack_status);
		return;
	}
	applied = ack_ranges(fb, a->ranges, a->n_ranges, &covered);
	if (a->has_cumulative) {
		fb->st.has_cumulative = 1;
		fb->st.cumulative = a->cumulative;
		for (uint64_t o = 0; o <= a->cumulative && o < FAKE_TOPIC_MAX; o++)
			applied += (uint32_t) ack_one(fb, o);
	}
	fb->st.acked += applied;
	if (a->n_nacks > 0 && fb->n_nacks < FAKE_MAX_NACKS) {
		fake_nack *fn = &fb->nacks[fb->n_nacks];
		memset(fn, 0, sizeof(*fn));
		fn->first = a->nacks[0]->first;
		for (size_t i = 0; i < a->n_nacks; i++)
			fn->offsets += (uint32_t) (a->nacks[i]->last -
			    a->nacks[i]->first + 1);
		fn->delay_ms = a->nack_delay_ms;
		snprintf(fn->reason, sizeof(fn->reason), "%s",
		    a->nack_reason != NULL ? a->nack_reason : "");
	}
	if (a->n_nacks > 0)
		fb->n_nacks++;
	for (size_t i = 0; i < a->n_nacks; i++) {
		for (uint64_t o = a->nacks[i]->first;
		     o <= a->nacks[i]->last && o < FAKE_TOPIC_MAX; o++) {
			if (ack_one(fb, o)) {
				fb->redo[fb->nredo++] = (uint32_t) o;
				fb->st.nacked++;
			}
		}
	}
	pthread_cond_broadcast(&fb->cv);
	Sluice__AckOk ok = SLUICE__ACK_OK__INIT;
	ok.applied = applied;
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	rep.request_id = rq->request_id;
	rep.body_case = SLUICE__REPLY__BODY_ACK;
	rep.ack = &ok;
	send_reply(fb, to, &rep);
	serve_parked(fb, 0);
}

static void
on_unsubscribe(fake_broker *fb, const route *to, const Sluice__Request *rq)
{
	fb->st.unsubscribes++;
	fb->st.deleted = rq->unsubscribe->delete_subscription;
	pthread_cond_broadcast(&fb->cv);
	/* The consumer is gone: its parked fetches end empty. */
	while (fb->nparked > 0) {
		parked p = fb->park[--fb->nparked];
		send_status(fb, &p.to, p.request_id, SLUICE_ENOCONSUMER);
	}
	send_status(fb, to, rq->request_id, 0);
}

static void *
serve(void *arg)
{
	fake_broker *fb = arg;
	for (;;) {
		pthread_mutex_lock(&fb->mu);
		if (fb->drop_req && !fb->closed) {
			fb->closed = 1;
			nng_close(fb->sock);
			pthread_cond_broadcast(&fb->cv);
		}
		int stop = fb->stop || fb->closed;
		if (!stop)
			serve_parked(fb, 0);
		pthread_mutex_unlock(&fb->mu);
		if (stop)
			return NULL;
		nng_msg *m;
		int nrv = nng_recvmsg(fb->sock, &m, 0);
		if (nrv == NNG_ETIMEDOUT)
			continue;
		if (nrv != 0)
			return NULL;
		route to;
		to.len = nng_msg_header_len(m);
		if (to.len > HDR_MAX) {
			nng_msg_free(m);
			continue;
		}
		memcpy(to.hdr, nng_msg_header(m), to.len);
		/*
		 * protobuf-c's own allocator, not codec.c's: tests make
		 * sl_alloc fail on purpose, and that is aimed at the client.
		 */
		size_t len = nng_msg_len(m);
		Sluice__Request *rq =
		    sluice__request__unpack(NULL, len, nng_msg_body(m));
		nng_msg_free(m);
		if (rq == NULL)
			continue; /* the client under test never sends these */
		int go_on = 0;
		switch (rq->body_case) {
		case SLUICE__REQUEST__BODY_HELLO:
			on_hello(fb, &to, rq);
			break;
		case SLUICE__REQUEST__BODY_PUBLISH:
			go_on = on_publish(fb, &to, rq, len);
			break;
		default:
			pthread_mutex_lock(&fb->mu);
			if (rq->body_case == SLUICE__REQUEST__BODY_SUBSCRIBE)
				on_subscribe(fb, &to, rq);
			else if (rq->body_case == SLUICE__REQUEST__BODY_FETCH)
				on_fetch(fb, &to, rq);
			else if (rq->body_case == SLUICE__REQUEST__BODY_ACK)
				on_ack(fb, &to, rq);
			else if (rq->body_case == SLUICE__REQUEST__BODY_UNSUBSCRIBE)
				on_unsubscribe(fb, &to, rq);
			pthread_mutex_unlock(&fb->mu);
			break;
		}
		sluice__request__free_unpacked(rq, NULL);
		if (go_on < 0)
			return NULL;
	}
}

sluice_err
fake_broker_start(fake_broker **out, const fake_config *cfg)
{
	fake_broker *fb = calloc(1, sizeof(*fb));
	if (fb == NULL)
		return SLUICE_ENOMEM;
	if (cfg != NULL)
		fb->cfg = *cfg;
	if (fb->cfg.protocol_version == 0)
		fb->cfg.protocol_version = SLUICE_PROTOCOL_VERSION;
	if (fb->cfg.max_message_bytes == 0)
		fb->cfg.max_message_bytes = 1024 * 1024;
	if (fb->cfg.max_frame_bytes == 0)
		fb->cfg.max_frame_bytes = 8 * 1024 * 1024;
	if (fb->cfg.max_outstanding == 0)
		fb->cfg.max_outstanding = 32;
	fb->next_offset = fb->cfg.first_offset;
	pthread_mutex_init(&fb->mu, NULL);
	pthread_cond_init(&fb->cv, NULL);

	snprintf(fb->dir, sizeof(fb->dir), "/tmp/sluice-fake-XXXXXX");
	if (mkdtemp(fb->dir) == NULL)
		goto fail;
	snprintf(fb->path, sizeof(fb->path), "%s/broker.sock", fb->dir);
	snprintf(fb->url, sizeof(fb->url), "ipc://%s", fb->path);
	if (nng_rep0_open_raw(&fb->sock) != 0)
		goto fail;
	/* A short receive timeout lets the thread notice stop and expire
	 * parked fetches; raw rep0 needs buffers to queue replies. */
	if (nng_socket_set_ms(fb->sock, NNG_OPT_RECVTIMEO, 5) != 0 ||
	    nng_socket_set_int(fb->sock, NNG_OPT_SENDBUF, 128) != 0 ||
	    nng_socket_set_int(fb->sock, NNG_OPT_RECVBUF, 128) != 0 ||
	    nng_socket_set_size(fb->sock, NNG_OPT_RECVMAXSZ, 0) != 0 ||
	    nng_listen(fb->sock, fb->url, NULL, 0) != 0)
		goto fail_sock;
	if (pthread_create(&fb->thread, NULL, serve, fb) != 0)
		goto fail_sock;
	*out = fb;
	return SLUICE_OK;

fail_sock:
	nng_close(fb->sock);
fail:
	rmdir(fb->dir);
	free(fb);
	return SLUICE_ETRANSPORT;
}

const char *
fake_broker_url(const fake_broker *fb)
{
	return fb->url;
}

void
fake_broker_release(fake_broker *fb)
{
	pthread_mutex_lock(&fb->mu);
	fb->cfg.hold = 0;
	pthread_cond_broadcast(&fb->cv);
	pthread_mutex_unlock(&fb->mu);
}

void
fake_broker_drop(fake_broker *fb)
{
	pthread_mutex_lock(&fb->mu);
	fb->drop_req = 1;
	/* serve() closes it within one receive timeout (5 ms). */
	while (!fb->closed)
		pthread_cond_wait(&fb->cv, &fb->mu);
	pthread_mutex_unlock(&fb->mu);
}

void
fake_broker_stop(fake_broker *fb)
{
	if (fb == NULL)
		return;
	pthread_mutex_lock(&fb->mu);
	fb->stop = 1;
	pthread_cond_broadcast(&fb->cv);
	pthread_mutex_unlock(&fb->mu);
	pthread_join(fb->thread, NULL);
	if (!fb->closed)
		nng_close(fb->sock);
	unlink(fb->path);
	rmdir(fb->dir);
	pthread_cond_destroy(&fb->cv);
	pthread_mutex_destroy(&fb->mu);
	free(fb->sub_bytes);
	free(fb);
}

#define GETTER(type, name, expr)                \
	type fake_broker_##name(fake_broker *fb) \
	{                                        \
		pthread_mutex_lock(&fb->mu);     \
		type v = (expr);                 \
		pthread_mutex_unlock(&fb->mu);   \
		return v;                        \
	}

GETTER(uint32_t, frames, fb->frames)
GETTER(uint32_t, messages, fb->nmsgs)
GETTER(size_t, max_frame, fb->max_frame)
GETTER(uint32_t, hellos, fb->hellos)
GETTER(fake_stats, stats, fb->st)

uint64_t
fake_broker_seq(fake_broker *fb, uint32_t i)
{
	pthread_mutex_lock(&fb->mu);
	uint64_t v = i < fb->nmsgs ? fb->seqs[i] : 0;
	pthread_mutex_unlock(&fb->mu);
	return v;
}

/* Records are written once and never moved, so the pointer stays valid. */
const char *
fake_broker_payload(fake_broker *fb, uint32_t i)
{
	pthread_mutex_lock(&fb->mu);
	const char *v = i < fb->nmsgs ? fb->payloads[i] : NULL;
	pthread_mutex_unlock(&fb->mu);
	return v;
}

static struct timespec
deadline_in(int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return until;
}

int
fake_broker_wait_frames(fake_broker *fb, uint32_t n, int ms)
{
	struct timespec until = deadline_in(ms);
	pthread_mutex_lock(&fb->mu);
	int rc = 0;
	while (fb->frames < n && rc == 0)
		rc = pthread_cond_timedwait(&fb->cv, &fb->mu, &until);
	int ok = fb->frames >= n;
	pthread_mutex_unlock(&fb->mu);
	return ok;
}

void
fake_broker_produce(fake_broker *fb, uint32_t n)
{
	pthread_mutex_lock(&fb->mu);
	fb->topic_n += n;
	if (fb->topic_n > FAKE_TOPIC_MAX)
		fb->topic_n = FAKE_TOPIC_MAX;
	/* The serving thread answers parked fetches on its next turn. */
	pthread_mutex_unlock(&fb->mu);
}

int
fake_broker_fetch(fake_broker *fb, uint32_t i, fake_fetch *out)
{
	pthread_mutex_lock(&fb->mu);
	int ok = i < fb->st.fetches && i < FAKE_MAX_FETCH;
	if (ok)
		*out = fb->fetches[i];
	pthread_mutex_unlock(&fb->mu);
	return ok;
}

int
fake_broker_wait(fake_broker *fb, int (*pred)(const fake_stats *, uint32_t),
    uint32_t arg, int ms)
{
	struct timespec until = deadline_in(ms);
	pthread_mutex_lock(&fb->mu);
	int rc = 0;
	while (!pred(&fb->st, arg) && rc == 0)
		rc = pthread_cond_timedwait(&fb->cv, &fb->mu, &until);
	int ok = pred(&fb->st, arg);
	pthread_mutex_unlock(&fb->mu);
	return ok;
}

Sluice__Subscribe *
fake_broker_last_subscribe(fake_broker *fb)
{
	pthread_mutex_lock(&fb->mu);
	Sluice__Subscribe *s = fb->sub_bytes == NULL ? NULL
	    : sluice__subscribe__unpack(NULL, fb->sub_len, fb->sub_bytes);
	pthread_mutex_unlock(&fb->mu);
	return s;
}

uint32_t
fake_broker_nacks(fake_broker *fb, uint32_t i, fake_nack *out)
{
	pthread_mutex_lock(&fb->mu);
	uint32_t n = fb->n_nacks;
	if (out != NULL && i < n && i < FAKE_MAX_NACKS)
		*out = fb->nacks[i];
	pthread_mutex_unlock(&fb->mu);
	return n;
}
