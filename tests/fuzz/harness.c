/*
 * harness.c - see harness.h. Sets a broker up as broker_run (loop.c) does,
 * minus the listener, HTTP and timers, and routes frames through
 * broker_route, the socket reader's own entry. A commit (commit.c's
 * prepare step) runs after every frame, so publishes are written and
 * dispatched as in the broker.
 */
#define _XOPEN_SOURCE 700
#include "harness.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "admin.h"
#include "alloc.h"
#include "broker.h"
#include "limit.h"
#include <nng/protocol/reqrep0/rep.h>
#include "log.h"
#include "ratelimit.h"

static broker B;
static char dir[64];
static uint32_t next_pipe = 1;
static int opened;
static int idle_pipe[2] = { -1, -1 };

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static void
rm_dir(void)
{
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	dir[0] = '\0';
}

/* The secret file and ACL of harness.h; authentication itself is turned
 * on per input (fuzz_harness_run). */
static int
auth_setup(broker *b)
{
	char path[128], why[256] = "out of memory";
	acl a = { 0 };
	acl_entry *e;
	snprintf(path, sizeof(path), "%s/secret", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL || fchmod(fileno(f), 0600) != 0 ||
	    fputs(FUZZ_SECRET "\n", f) < 0 || fclose(f) != 0) {
		perror("fuzz: secret file");
		return -1;
	}
	if ((e = acl_add(&a, "fuzz")) == NULL ||
	    acl_entry_add(e, ACL_PRODUCE, "t*") != 0 ||
	    acl_entry_add(e, ACL_CONSUME, "t*") != 0 ||
	    acl_entry_add(e, ACL_ADMIN, "t3") != 0 ||
	    (e = acl_add(&a, "root")) == NULL ||
	    acl_entry_add(e, ACL_ADMIN, "*") != 0 ||
	    auth_init(&b->auth, 0, 0, path, &a, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz: auth: %s\n", why);
		acl_free(&a);
		return -1;
	}
	acl_free(&a);
	return 0;
}

int
fuzz_harness_init(void)
{
	broker *b = &B;
	sluice_err rv;
	memset(b, 0, sizeof(*b));
	next_pipe = 1;
	config_defaults(&b->cfg);
	b->cfg.fsync = FSYNC_NEVER;
	/* Small limits, so the fuzzer reaches the "too big" paths. */
	b->cfg.max_message_bytes = 4096;
	b->cfg.limits.max_topics = 64;
	b->cfg.limits.max_producers_per_topic = 4;
	b->cfg.limits.max_consumers_per_topic = 8;
	b->cfg.limits.max_subscriptions_per_topic = 8;
	const char *lvl = getenv("SLUICE_FUZZ_LOG");
	sl_log_set_level(lvl != NULL && lvl[0] == '1' ? SL_LOG_DEBUG : SL_LOG_OFF);
	snprintf(dir, sizeof(dir), "%s", "/tmp/sluice-fuzz-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz: mkdtemp");
		dir[0] = '\0';
		return -1;
	}
	b->cfg.data_dir = dir;
	if (uv_loop_init(&b->loop) != 0)
		return -1;
	if ((rv = tlog_open(&b->log, dir)) != SLUICE_OK) {
		fprintf(stderr, "fuzz: tlog_open %s: %s\n", dir, sluice_strerror(rv));
		return -1;
	}
	subs_io io = broker_subs_io;
	io.arg = b;
	if ((rv = subs_open(&b->subs, b->log, &io)) != SLUICE_OK ||
	    (rv = tlog_batch_alloc(b->log, &b->batch)) != SLUICE_OK ||
	    (rv = sessions_init(&b->sessions)) != SLUICE_OK) {
		fprintf(stderr, "fuzz: engine: %s\n", sluice_strerror(rv));
		return -1;
	}
	if (limit_init(b) != SLUICE_OK || auth_setup(b) != 0)
		return -1;
	connlog_init(&b->connlog, uv_now(&b->loop));
	commit_init(b);
	/* Replies go out through the real reply.c and sockio.c: a raw rep0
	 * socket with no pipe drops them. */
	if (sockio_open(b) != 0 || nng_rep0_open_raw(&b->sock) != 0) {
		fprintf(stderr, "fuzz: cannot open the nng socket\n");
		return -1;
	}
	/* Handles the handlers touch: commit's prepare (run by hand here),
	 * the engine's timer and the publish rate limit's timer. */
	uv_prepare_init(&b->loop, &b->prepare);
	b->prepare.data = b;
	engine_timer_init(b);
	ratelimit_publish_start(b);
	/* Backpressure pauses and resumes reading: poll a pipe that never
	 * becomes readable in place of the socket's RECVFD. */
	if (pipe(idle_pipe) != 0 || uv_poll_init(&b->loop, &b->recv_poll, idle_pipe[0]) != 0) {
		fprintf(stderr, "fuzz: cannot create the idle pipe\n");
		return -1;
	}
	b->recv_poll.data = b;
	b->state = BROKER_RUNNING;
	broker_read_resume(b);
	opened = 1;
	return 0;
}

/* Rewrites a small consumer_id to the session's own consumer, so one input
 * can subscribe, then fetch, ack and unsubscribe. */
static uint64_t *
consumer_field(Sluice__Request *r)
{
	switch (r->body_case) {
	case SLUICE__REQUEST__BODY_FETCH:
		return &r->fetch->consumer_id;
	case SLUICE__REQUEST__BODY_ACK:
		return &r->ack->consumer_id;
	case SLUICE__REQUEST__BODY_UNSUBSCRIBE:
		return &r->unsubscribe->consumer_id;
	default:
		return NULL;
	}
}

static void
route_frame(broker *b, session *s, const uint8_t *p, size_t n)
{
	nng_msg *m = NULL;
	Sluice__Request *req = NULL;
	uint64_t *id;
	if (codec_request_unpack(p, n, &req) == SLUICE_OK &&
	    (id = consumer_field(req)) != NULL && *id < 16 && *id < s->nconsumers) {
		*id = s->consumers[*id];
		size_t len = codec_request_size(req);
		if (nng_msg_alloc(&m, len) == 0)
			codec_request_pack(req, nng_msg_body(m));
	} else if (nng_msg_alloc(&m, n) == 0 && n > 0) {
		memcpy(nng_msg_body(m), p, n);
	}
	codec_request_free(req);
	if (m == NULL)
		return;
	/* The raw rep0 backtrace: pipe id, then the request id (high bit). */
	nng_pipe pipe = NNG_PIPE_INITIALIZER;
	pipe.id = s->pipe_id;
	nng_msg_set_pipe(m, pipe);
	nng_msg_header_append_u32(m, s->pipe_id);
	nng_msg_header_append_u32(m, 0x80000001u);
	broker_route(b, m);
	commit_on_prepare(&b->prepare);
}

void
fuzz_harness_run(const uint8_t *data, size_t len)
{
	broker *b = &B;
	/* A fresh broker now and then bounds what topics and subscriptions
	 * pile up over a long run. */
	static uint64_t runs;
	if (++runs % FUZZ_RESET_EVERY == 0) {
		fuzz_harness_fini();
		if (fuzz_harness_init() != 0)
			abort();
	}
	uint32_t pid = next_pipe++;
	session *s = sessions_add(&b->sessions, pid);
	if (s == NULL)
		return;
	(void) limit_conn_open(b, s);
	const uint8_t *p = data, *end = data + len;
	b->auth.enabled = len >= FUZZ_AUTH_LEN && memcmp(data, FUZZ_AUTH, FUZZ_AUTH_LEN) == 0;
	if (b->auth.enabled)
		p += FUZZ_AUTH_LEN;
	else
		s->hello_done = 1;
	for (int i = 0; i < FUZZ_MAX_FRAMES; i++) {
		const uint8_t *q = p;
		while ((size_t) (end - q) >= FUZZ_SEP_LEN &&
		    memcmp(q, FUZZ_SEP, FUZZ_SEP_LEN) != 0)
			q++;
		if ((size_t) (end - q) < FUZZ_SEP_LEN)
			q = end;
		/* The session may be gone: route dropped it (too many requests). */
		if ((s = sessions_find(&b->sessions, pid)) == NULL)
			break;
		route_frame(b, s, p, (size_t) (q - p));
		if (q == end)
			break;
		p = q + FUZZ_SEP_LEN;
	}
	/* The connection closes, as on_inbox handles a pipe's removal. */
	if ((s = sessions_find(&b->sessions, pid)) != NULL) {
		broker_session_gone(b, s);
		sessions_remove(&b->sessions, pid);
	}
	limit_conn_close(b, pid);
	commit_on_prepare(&b->prepare);
}

void
fuzz_harness_fini(void)
{
	broker *b = &B;
	if (!opened) {
		rm_dir();
		return;
	}
	commit_fail_held(b, SLUICE_ESHUTDOWN);
	commit_on_prepare(&b->prepare);
	subs_close(b->subs);
	b->subs = NULL;
	uv_close((uv_handle_t *) &b->prepare, NULL);
	engine_timer_close(b);
	ratelimit_publish_stop(b);
	uv_close((uv_handle_t *) &b->recv_poll, NULL);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	nng_close(b->sock);
	sockio_close(b);
	producers_fini(b);
	ratelimit_publish_fini(b);
	sessions_fini(&b->sessions);
	limit_fini(b);
	auth_fini(&b->auth);
	tlog_batch_free(b->batch);
	tlog_close(b->log);
	if (uv_loop_close(&b->loop) != 0)
		fprintf(stderr, "fuzz: event loop closed with handles open\n");
	close(idle_pipe[0]);
	close(idle_pipe[1]);
	opened = 0;
	rm_dir();
}
