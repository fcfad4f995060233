/*
 * fake_broker.c - see fake_broker.h. One thread serves a cooked rep0
 * socket, one request at a time, which is enough for a client: its
 * requests queue in nng while a reply is held. Not a model of sluiced.
 */
#include "fake_broker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "codec.h"

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
	int             closed;    /* the thread closed the socket */
	uint64_t        next_offset;
	uint32_t        hellos;
	uint32_t        frames;
	uint32_t        nmsgs;
	size_t          max_frame;
	uint64_t        seqs[FAKE_MAX_MSGS];
	char            payloads[FAKE_MAX_MSGS][64];
};

static void
send_reply(fake_broker *fb, const Sluice__Reply *rep)
{
	nng_msg *m;
	if (nng_msg_alloc(&m, codec_reply_size(rep)) != 0)
		return;
	codec_reply_pack(rep, nng_msg_body(m));
	if (nng_sendmsg(fb->sock, m, 0) != 0)
		nng_msg_free(m);
}

static void
on_hello(fake_broker *fb, const Sluice__Request *rq)
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
	send_reply(fb, &rep);
}

/* Returns 0 to go on serving, -1 when the socket was closed. */
static int
on_publish(fake_broker *fb, const Sluice__Request *rq, size_t frame_len)
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
	send_reply(fb, &rep);
	return 0;
}

static void *
serve(void *arg)
{
	fake_broker *fb = arg;
	for (;;) {
		pthread_mutex_lock(&fb->mu);
		int stop = fb->stop;
		pthread_mutex_unlock(&fb->mu);
		if (stop)
			return NULL;
		nng_msg *m;
		int nrv = nng_recvmsg(fb->sock, &m, 0);
		if (nrv == NNG_ETIMEDOUT)
			continue;
		if (nrv != 0)
			return NULL;
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
		if (rq->body_case == SLUICE__REQUEST__BODY_HELLO)
			on_hello(fb, rq);
		else if (rq->body_case == SLUICE__REQUEST__BODY_PUBLISH)
			go_on = on_publish(fb, rq, len);
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
	if (nng_rep0_open(&fb->sock) != 0)
		goto fail;
	/* A short receive timeout lets the thread notice stop. */
	if (nng_socket_set_ms(fb->sock, NNG_OPT_RECVTIMEO, 50) != 0 ||
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

int
fake_broker_wait_frames(fake_broker *fb, uint32_t n, int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long) (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&fb->mu);
	int rc = 0;
	while (fb->frames < n && rc == 0)
		rc = pthread_cond_timedwait(&fb->cv, &fb->mu, &until);
	int ok = fb->frames >= n;
	pthread_mutex_unlock(&fb->mu);
	return ok;
}
