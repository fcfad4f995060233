/*
 * loop.c - the broker's event loop: opens storage and the nng listener,
 * reads requests when the raw rep0 socket's RECVFD says so, routes each to
 * its handler, runs the timers, and shuts down cleanly on SIGINT/SIGTERM.
 * All broker state lives on this one thread.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "admin.h"
#include "broker.h"
#include "connrate.h"
#include "limit.h"
#include "ratelimit.h"
#include "tls.h"
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>
#include "log.h"

/* Requests read per wakeup, so timers and commits are never starved. */
#define READ_BUDGET 256

/* nng thread, before the pipe joins the socket: a source over its rate
 * of new connections is closed here, at the least cost to the broker. */
static void
on_pipe_add_pre(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	broker *b = arg;
	nng_sockaddr sa;
	(void) ev;
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) == 0 &&
	    !connrate_admit(b->connrate, &sa, (uint64_t) nng_clock()))
		nng_pipe_close(p);
}

static void
on_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	/* nng thread: hand over and return. */
	broker *b = arg;
	inbox_push(&b->inbox, ev == NNG_PIPE_EV_ADD_POST ? INBOX_PIPE_ADD
	                                                : INBOX_PIPE_REM,
	    nng_pipe_id(p));
}

/* The peer's address ("127.0.0.1:5000", an ipc path), or "unknown". */
static void
peer_name(uint32_t pipe_id, char *buf, size_t n)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;
	nng_sockaddr sa;
	char ip[INET6_ADDRSTRLEN];
	p.id = pipe_id;
	snprintf(buf, n, "unknown");
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET &&
	    inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, n, "%s:%u", ip, ntohs(sa.s_in.sa_port));
	else if (sa.s_family == NNG_AF_INET6 &&
	    inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip)) != NULL)
		snprintf(buf, n, "[%s]:%u", ip, ntohs(sa.s_in6.sa_port));
	else if (sa.s_family == NNG_AF_IPC)
		snprintf(buf, n, "%s", sa.s_ipc.sa_path);
}

void
broker_peer_name(uint32_t pipe_id, char *buf, size_t n)
{
	peer_name(pipe_id, buf, n);
}

static void
on_inbox(void *arg, const inbox_event *ev)
{
	broker *b = arg;
	if (ev->kind == INBOX_PIPE_ADD) {
		char peer[128];
		session *s = sessions_add(&b->sessions, ev->pipe_id);
		if (s == NULL)
			sl_error("pipe %u: out of memory for its session", ev->pipe_id);
		if (s != NULL)
			(void) limit_conn_open(b, s); /* past the limit: closed, logged */
		if (connlog_admit(&b->connlog, broker_now_ms(b))) {
			peer_name(ev->pipe_id, peer, sizeof(peer));
			sl_event(SL_LOG_INFO, "client_connect",
			    SL_FIELDS(SL_U64("pipe", ev->pipe_id), SL_STR("peer", peer),
			        SL_U64("connections", sessions_count(&b->sessions))),
			    "pipe %u: connected from %s (%zu connections)", ev->pipe_id,
			    peer, sessions_count(&b->sessions));
		}
	} else {
		session *s = sessions_find(&b->sessions, ev->pipe_id);
		const char *reason = s != NULL && s->close_reason != NULL
		    ? s->close_reason
		    : b->state != BROKER_RUNNING ? "broker stopping" : "closed by peer";
		if (s != NULL && b->subs != NULL)
			broker_session_gone(b, s);
		if (connlog_admit(&b->connlog, broker_now_ms(b)))
			sl_event(SL_LOG_INFO, "client_disconnect",
			    SL_FIELDS(SL_U64("pipe", ev->pipe_id),
			        SL_STR("client", s != NULL ? s->client_name : NULL),
			        SL_STR("reason", reason)),
			    "pipe %u: disconnected (%s)", ev->pipe_id, reason);
		sessions_remove(&b->sessions, ev->pipe_id);
		limit_conn_close(b, ev->pipe_id);
	}
}

/* nng lets a pipe's requests be read after its removal event: is it live? */
static int
pipe_is_alive(nng_pipe p)
{
	nng_sockaddr sa;
	int rv = nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa);
	return rv != NNG_ENOENT && rv != NNG_ECLOSED;
}

int
broker_authorize(broker *b, session *s, const reply_to *to, acl_perm p,
    const char *topic)
{
	char detail[384];
	if (auth_allows(&b->auth, s->principal, p, topic))
		return 1;
	b->auth.denied++;
	snprintf(detail, sizeof(detail), "principal '%s' lacks %s permission on "
	    "topic '%s'", s->principal, acl_perm_name(p), topic);
	if (connlog_admit(&b->connlog, broker_now_ms(b)))
		sl_event(SL_LOG_WARN, "authz_denied",
		    SL_FIELDS(SL_U64("pipe", s->pipe_id), SL_STR("principal", s->principal),
		        SL_STR("permission", acl_perm_name(p)), SL_STR("topic", topic)),
		    "pipe %u: %s", s->pipe_id, detail);
	reply_error(b, to, SLUICE_EPERM, detail);
	return 0;
}

/* The topic an admin operation is checked against. Broker-wide ones need
 * admin on "*" whatever topic the request names: a principal with admin
 * on "t.*" must not mint tokens (for any principal) by naming "t.x". */
static const char *
admin_acl_topic(const Sluice__Admin *a)
{
	switch (a->op) {
	case SLUICE__ADMIN_OP__ADMIN_BROKER_HEALTH:
	case SLUICE__ADMIN_OP__ADMIN_BROKER_STATS:
	case SLUICE__ADMIN_OP__ADMIN_TOPICS_LIST:
	case SLUICE__ADMIN_OP__ADMIN_TOKEN_CREATE:
		return "*";
	default:
		return a->topic != NULL && a->topic[0] != '\0' ? a->topic : "*";
	}
}

/* The permission a request needs and the topic it names (NULL topic:
 * nothing to check here, e.g. a consumer not on this connection, which
 * its handler refuses). */
static int
authorize_request(broker *b, session *s, const reply_to *to,
    const Sluice__Request *req)
{
	const char *topic = NULL;
	acl_perm p = ACL_CONSUME;
	uint64_t cid = 0;
	if (!b->auth.enabled)
		return 1;
	switch (req->body_case) {
	case SLUICE__REQUEST__BODY_PUBLISH:
		p = ACL_PRODUCE;
		topic = req->publish->topic;
		break;
	case SLUICE__REQUEST__BODY_SUBSCRIBE:
		topic = req->subscribe->topic;
		break;
	case SLUICE__REQUEST__BODY_FETCH:
		cid = req->fetch->consumer_id;
		break;
	case SLUICE__REQUEST__BODY_ACK:
		cid = req->ack->consumer_id;
		break;
	case SLUICE__REQUEST__BODY_UNSUBSCRIBE:
		cid = req->unsubscribe->consumer_id;
		break;
	case SLUICE__REQUEST__BODY_ADMIN:
		p = ACL_ADMIN;
		topic = admin_acl_topic(req->admin);
		break;
	default:
		return 1;
	}
	if (cid != 0 && b->subs != NULL) {
		consumer *c = subs_consumer(b->subs, cid);
		if (c != NULL && consumer_owner(c) == s)
			topic = consumer_topic_name(c);
	}
	if (topic == NULL)
		return 1;
	return broker_authorize(b, s, to, p, topic);
}

static void
route(broker *b, nng_msg *m)
{
	nng_pipe pipe = nng_msg_get_pipe(m);
	uint32_t pid = nng_pipe_id(pipe);
	session *s = sessions_find(&b->sessions, pid);
	if (s == NULL && pipe_is_alive(pipe))
		s = sessions_add(&b->sessions, pid);
	if (s == NULL || s->closing) {
		nng_msg_free(m);
		return;
	}
	if (s->outstanding >= b->cfg.max_outstanding) {
		/* Past this, nng would drop our replies silently: close. */
		sl_warn("pipe %u: more than %u requests outstanding; closing it",
		    pid, b->cfg.max_outstanding);
		s->closing = 1;
		s->close_reason = "too many outstanding requests";
		limit_count(b, LIMIT_OUTSTANDING);
		nng_pipe_close(pipe);
		nng_msg_free(m);
		return;
	}
	s->outstanding++;
	s->last_request_ms = broker_now_ms(b);
	/* The engine's timers (retries, deadlines) count from this turn. */
	if (b->subs != NULL)
		subs_set_clock(b->subs, s->last_request_ms);

	size_t len = nng_msg_len(m);
	Sluice__Request *req = NULL;
	sluice_err rv = codec_request_unpack(nng_msg_body(m), len, &req);
	reply_to to;
	reply_to_from_msg(&to, m, rv == SLUICE_OK ? req->request_id : 0);
	nng_msg_free(m);
	if (rv != SLUICE_OK) {
		sl_debug("pipe %u: undecodable frame of %zu bytes", pid, len);
		reply_error(b, &to, rv, rv == SLUICE_EBADFRAME
		        ? "malformed frame: not a Sluice request" : NULL);
		return;
	}
	if (b->state != BROKER_RUNNING) {
		reply_error(b, &to, SLUICE_ESHUTDOWN, NULL);
		codec_request_free(req);
		return;
	}
	switch (req->body_case) {
	case SLUICE__REQUEST__BODY_HELLO:
		handle_hello(b, s, &to, req);
		break;
	case SLUICE__REQUEST__BODY_PUBLISH:
	case SLUICE__REQUEST__BODY_SUBSCRIBE:
	case SLUICE__REQUEST__BODY_FETCH:
	case SLUICE__REQUEST__BODY_ACK:
	case SLUICE__REQUEST__BODY_UNSUBSCRIBE:
	case SLUICE__REQUEST__BODY_ADMIN:
		if (!s->hello_done && limit_before_hello(b, s) != 0) {
			codec_request_free(req); /* closed: no reply */
		} else if (!s->hello_done) {
			reply_error(b, &to, SLUICE_ENOHELLO,
			    "handshake required: send Hello first");
			codec_request_free(req);
		} else if (!authorize_request(b, s, &to, req)) {
			codec_request_free(req);
		} else if (req->body_case == SLUICE__REQUEST__BODY_PUBLISH) {
			handle_publish(b, s, &to, req, len);
		} else if (req->body_case == SLUICE__REQUEST__BODY_SUBSCRIBE) {
			handle_subscribe(b, s, &to, req);
		} else if (req->body_case == SLUICE__REQUEST__BODY_FETCH) {
			handle_fetch(b, s, &to, req);
		} else if (req->body_case == SLUICE__REQUEST__BODY_ACK) {
			handle_ack(b, s, &to, req);
		} else if (req->body_case == SLUICE__REQUEST__BODY_ADMIN) {
			handle_admin(b, s, &to, req);
		} else {
			handle_unsubscribe(b, s, &to, req);
		}
		break;
	default:
		reply_error(b, &to, SLUICE_EUNKNOWNFRAME,
		    "unknown frame type for protocol version 1");
		codec_request_free(req);
		break;
	}
}

static void
on_readable(uv_poll_t *h, int status, int events)
{
	broker *b = h->data;
	(void) events;
	if (status < 0) {
		sl_error("poll on nng socket: %s", uv_strerror(status));
		return;
	}
	for (int i = 0; i < READ_BUDGET && b->reading; i++) {
		nng_msg *m;
		int rv = sockio_recv(b, &m);
		if (rv == NNG_EAGAIN)
			break;
		if (rv != 0) {
			sl_error("receive: %s", nng_strerror(rv));
			break;
		}
		route(b, m);
	}
}

void
broker_read_pause(broker *b)
{
	if (b->reading) {
		uv_poll_stop(&b->recv_poll);
		b->reading = 0;
		sl_debug("backpressure: reading paused (%llu bytes pending)",
		    (unsigned long long) b->pending_bytes);
	}
}

void
broker_read_resume(broker *b)
{
	if (!b->reading && b->state == BROKER_RUNNING) {
		uv_poll_start(&b->recv_poll, UV_READABLE, on_readable);
		b->reading = 1;
	}
}

static void
sync_work(uv_work_t *w)
{
	broker *b = w->data;
	sluice_err rv = tlog_sync(b->log);
	if (rv != SLUICE_OK)
		sl_error("fsync of the log failed: %s", sluice_strerror(rv));
}

static void
sync_done(uv_work_t *w, int status)
{
	broker *b = w->data;
	(void) status;
	b->sync_in_flight = 0;
	broker_stop_if_drained(b);
}

static void
on_fsync_timer(uv_timer_t *h)
{
	broker *b = h->data;
	if (!b->dirty_since_sync || b->sync_in_flight)
		return;
	b->dirty_since_sync = 0;
	b->sync_in_flight = 1;
	b->sync_req.data = b;
	if (uv_queue_work(&b->loop, &b->sync_req, sync_work, sync_done) != 0)
		b->sync_in_flight = 0;
}

uint64_t
broker_now_ms(broker *b)
{
	return uv_now(&b->loop);
}

static void
on_fetch_timer(uv_timer_t *h)
{
	broker *b = h->data;
	subs_expire_fetches(b->subs, broker_now_ms(b));
}

static void
on_cursor_timer(uv_timer_t *h)
{
	broker *b = h->data;
	b->cursors_due = 1;
}

/* A consumer's connection that sent nothing for a lease is presumed
 * frozen (nng never reports a stopped peer): close it, so its unacked
 * messages go to the others. */
static void
check_lease(session *s, void *arg)
{
	broker *b = arg;
	uint64_t now = broker_now_ms(b);
	if (s->close_at_ms != 0 && now >= s->close_at_ms) {
		/* Authentication failed: its error reply has had time to leave. */
		nng_pipe p = NNG_PIPE_INITIALIZER;
		p.id = s->pipe_id;
		s->close_at_ms = 0;
		nng_pipe_close(p);
		return;
	}
	if (s->nconsumers == 0 || s->closing ||
	    now - s->last_request_ms < b->cfg.consumer_lease_ms)
		return;
	sl_warn("pipe %u: no request for %llu ms; closing it and redelivering "
	        "what its consumers hold", s->pipe_id,
	    (unsigned long long) (now - s->last_request_ms));
	s->closing = 1;
	s->close_reason = "lease expired";
	nng_pipe p = NNG_PIPE_INITIALIZER;
	p.id = s->pipe_id;
	nng_pipe_close(p);
}

/* Connections refused by the rate per address since the last report (they
 * were closed on nng's threads, which do not log). */
static void
connrate_report(broker *b)
{
	uint64_t n = connrate_refused(b->connrate);
	if (n == b->connrate_logged || !connlog_admit(&b->connlog, broker_now_ms(b)))
		return;
	sl_warn("refused %llu new connections over max_connection_rate_per_address "
	        "(%u a second from one address)",
	    (unsigned long long) (n - b->connrate_logged),
	    b->cfg.limits.max_connection_rate_per_address);
	b->connrate_logged = n;
}

static void
on_watchdog_timer(uv_timer_t *h)
{
	broker *b = h->data;
	subs_watchdog(b->subs, broker_now_ms(b));
	tlog_tick_rates(b->log, broker_now_ms(b));
	sessions_foreach(&b->sessions, check_lease, b);
	limit_check_timeouts(b);
	connrate_report(b);
	connlog_summary(&b->connlog, broker_now_ms(b));
	if (b->held != NULL)
		commit_retry_held(b);
}

static void
on_retention_timer(uv_timer_t *h)
{
	broker *b = h->data;
	b->retention_due = 1;
}

void
broker_stop_if_drained(broker *b)
{
	if (b->state != BROKER_DRAINING || !commit_is_idle(b) || b->sync_in_flight)
		return;
	b->state = BROKER_STOPPED;
	/* Metrics read the engine: stop serving them before it closes. */
	http_stop(b);
	status_stop(b);
	/* Every cursor is written on a clean stop: acked stays acked. */
	subs_persist(b->subs, b->batch, 1);
	if (!tlog_batch_is_empty(b->batch)) {
		tlog_batch_seal(b->batch);
		sluice_err wrv = tlog_batch_write(b->batch, 1);
		tlog_batch_done(b->batch, wrv);
		if (wrv != SLUICE_OK) {
			sl_error("final cursor write failed: %s", sluice_strerror(wrv));
			b->exit_code = 1;
		}
	}
	/* Parked fetches get their (empty) answers while pipes are open. */
	subs_close(b->subs);
	b->subs = NULL;
	sluice_err rv = tlog_sync(b->log);
	if (rv != SLUICE_OK) {
		sl_error("final fsync failed: %s", sluice_strerror(rv));
		b->exit_code = 1;
	}
	uv_close((uv_handle_t *) &b->recv_poll, NULL);
	uv_close((uv_handle_t *) &b->prepare, NULL);
	uv_close((uv_handle_t *) &b->fsync_timer, NULL);
	uv_close((uv_handle_t *) &b->retention_timer, NULL);
	uv_close((uv_handle_t *) &b->fetch_timer, NULL);
	uv_close((uv_handle_t *) &b->watchdog_timer, NULL);
	uv_close((uv_handle_t *) &b->cursor_timer, NULL);
	engine_timer_close(b);
	ratelimit_publish_stop(b);
	uv_close((uv_handle_t *) &b->sigint, NULL);
	uv_close((uv_handle_t *) &b->sigterm, NULL);
	uv_close((uv_handle_t *) &b->sighup, NULL);
	/* Give the last acks a moment to leave before the pipes close. */
	nng_msleep(100);
	/* Pipe events fire during nng_close: keep the inbox open until then. */
	nng_close(b->sock);
	inbox_close(&b->inbox);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	broker *b = h->data;
	if (b->state != BROKER_RUNNING)
		return;
	sl_info("%s: stopping: finishing in-flight writes", strsignal(signum));
	b->state = BROKER_DRAINING;
	nng_listener_close(b->listener);
	/* Requests already received but not read are refused, not lost
	 * silently: the client hears SLUICE_ESHUTDOWN. */
	nng_msg *m;
	while (sockio_recv(b, &m) == 0)
		route(b, m);
	if (b->reading) {
		uv_poll_stop(&b->recv_poll);
		b->reading = 0;
	}
	commit_fail_held(b, SLUICE_ESHUTDOWN);
	broker_stop_if_drained(b);
}

/* SIGHUP: re-reads the config file's auth: and acl: (the secret file it
 * names, or the current one) and swaps them in; connections stay open
 * and their next request is checked against the new ACL. */
static void
on_sighup(uv_signal_t *h, int signum)
{
	broker *b = h->data;
	broker_config t;
	uint8_t *secret = NULL;
	size_t len = 0;
	char why[512];
	(void) signum;
	if (b->cfg.config_file == NULL) {
		sl_warn("SIGHUP: no --config file to reload");
		return;
	}
	config_defaults(&t);
	if (config_file_load(&t, b->cfg.config_file) != 0) {
		sl_error("SIGHUP: %s is not valid (see above); keeping the current "
		         "auth and acl", b->cfg.config_file);
		config_fini(&t);
		return;
	}
	if (t.auth_secret_file != NULL &&
	    auth_secret_load(t.auth_secret_file, &secret, &len, why, sizeof(why)) != 0) {
		sl_error("SIGHUP: %s; keeping the current auth and acl", why);
		config_fini(&t);
		return;
	}
	size_t n = t.acl.n;
	auth_replace(&b->auth, secret, len, &t.acl);
	b->auth.metrics_token_required = t.metrics_token_required;
	config_fini(&t);
	sl_event(SL_LOG_INFO, "auth_reloaded",
	    SL_FIELDS(SL_STR("file", b->cfg.config_file), SL_U64("principals", n)),
	    "SIGHUP: reloaded auth and acl from %s (%zu principals)",
	    b->cfg.config_file, n);
}

static int
open_socket(broker *b)
{
	int rv, fd;
	size_t maxframe = b->cfg.max_message_bytes + BROKER_FRAME_OVERHEAD;
	if ((rv = sockio_open(b)) != 0) {
		fprintf(stderr, "sluiced: cannot allocate socket I/O: %s\n", nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_rep0_open_raw(&b->sock)) != 0 ||
	    (rv = tls_engine_register()) != 0 || /* after nng's init: it registers its own */
	    (rv = nng_socket_set_size(b->sock, NNG_OPT_RECVMAXSZ, maxframe)) != 0 ||
	    (rv = nng_socket_set_int(b->sock, NNG_OPT_RECVBUF, 64)) != 0 ||
	    (rv = nng_socket_set_int(b->sock, NNG_OPT_SENDBUF, 1024)) != 0 ||
	    (rv = nng_pipe_notify(b->sock, NNG_PIPE_EV_ADD_PRE, on_pipe_add_pre, b)) != 0 ||
	    (rv = nng_pipe_notify(b->sock, NNG_PIPE_EV_ADD_POST, on_pipe_event, b)) != 0 ||
	    (rv = nng_pipe_notify(b->sock, NNG_PIPE_EV_REM_POST, on_pipe_event, b)) != 0) {
		fprintf(stderr, "sluiced: cannot open the nng socket: %s\n", nng_strerror(rv));
		return -1;
	}
	/* Created, then started: a TLS listener needs its configuration first. */
	if ((rv = tls_listener_create(&b->listener, b->sock, &b->cfg)) != 0 ||
	    (rv = nng_listener_start(b->listener, 0)) != 0) {
		fprintf(stderr, "sluiced: cannot listen on %s: %s\n",
		    b->cfg.listen_url, nng_strerror(rv));
		nng_close(b->sock);
		return -1;
	}
	if ((rv = nng_socket_get_int(b->sock, NNG_OPT_RECVFD, &fd)) != 0 ||
	    uv_poll_init(&b->loop, &b->recv_poll, fd) != 0) {
		fprintf(stderr, "sluiced: cannot poll the nng socket: %s\n", nng_strerror(rv));
		nng_close(b->sock);
		return -1;
	}
	b->recv_poll.data = b;
	if (tls_url_is_tls(b->cfg.listen_url))
		sl_info("TLS on %s: certificate %s%s%s", b->cfg.listen_url,
		    b->cfg.tls_cert, b->cfg.tls_client_ca != NULL
		        ? "; clients must present a certificate signed by " : "",
		    b->cfg.tls_client_ca != NULL ? b->cfg.tls_client_ca : "");
	return 0;
}

static void
start_handles(broker *b)
{
	uv_prepare_init(&b->loop, &b->prepare);
	b->prepare.data = b;
	uv_prepare_start(&b->prepare, commit_on_prepare);

	uv_timer_init(&b->loop, &b->fsync_timer);
	b->fsync_timer.data = b;
	if (b->cfg.fsync == FSYNC_INTERVAL)
		uv_timer_start(&b->fsync_timer, on_fsync_timer,
		    b->cfg.fsync_interval_ms, b->cfg.fsync_interval_ms);
	uv_timer_init(&b->loop, &b->retention_timer);
	b->retention_timer.data = b;
	uv_timer_start(&b->retention_timer, on_retention_timer,
	    b->cfg.retention_check_ms, b->cfg.retention_check_ms);

	uv_timer_init(&b->loop, &b->fetch_timer);
	b->fetch_timer.data = b;
	uv_timer_start(&b->fetch_timer, on_fetch_timer, 20, 20);
	uv_timer_init(&b->loop, &b->watchdog_timer);
	b->watchdog_timer.data = b;
	uv_timer_start(&b->watchdog_timer, on_watchdog_timer, b->cfg.watchdog_ms,
	    b->cfg.watchdog_ms);
	engine_timer_init(b);
	ratelimit_publish_start(b);
	uv_timer_init(&b->loop, &b->cursor_timer);
	b->cursor_timer.data = b;
	uv_timer_start(&b->cursor_timer, on_cursor_timer, b->cfg.cursor_flush_ms,
	    b->cfg.cursor_flush_ms);

	uv_signal_init(&b->loop, &b->sigint);
	uv_signal_init(&b->loop, &b->sigterm);
	b->sigint.data = b->sigterm.data = b;
	uv_signal_start(&b->sigint, on_signal, SIGINT);
	uv_signal_start(&b->sigterm, on_signal, SIGTERM);
	uv_signal_init(&b->loop, &b->sighup);
	b->sighup.data = b;
	uv_signal_start(&b->sighup, on_sighup, SIGHUP);
	status_start(b);
	broker_read_resume(b);
}

/* mkdir -p for the data directory's parents: RocksDB creates only the
 * last component. Errors surface when RocksDB opens the path. */
static void
make_parents(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		(void) mkdir(buf, 0755);
		buf[i] = '/';
	}
}

/* subscriptions.defaults: the failure policy, dispatch limit and breaker
 * of subscriptions created from now on. */
static int
apply_policy_defaults(broker *b)
{
	const broker_config *c = &b->cfg;
	Sluice__U32 u32[8];
	Sluice__U64 u64[2];
	for (size_t i = 0; i < 8; i++)
		sluice__u32__init(&u32[i]);
	for (size_t i = 0; i < 2; i++)
		sluice__u64__init(&u64[i]);
	Sluice__FailurePolicy fp = SLUICE__FAILURE_POLICY__INIT;
	Sluice__RateLimit rl = SLUICE__RATE_LIMIT__INIT;
	Sluice__BreakerPolicy bp = SLUICE__BREAKER_POLICY__INIT;
	u32[0].value = c->sub_ack_timeout_ms;
	u32[1].value = c->sub_backoff_base_ms;
	u32[2].value = c->sub_backoff_max_ms;
	u32[3].value = c->sub_backoff_jitter_pct;
	u32[4].value = c->sub_max_redeliveries;
	u32[5].value = c->sub_breaker_failures;
	u32[6].value = c->sub_breaker_cooldown_ms;
	u32[7].value = c->sub_breaker_cooldown_max_ms;
	u64[0].value = c->sub_dispatch_rate_msgs;
	u64[1].value = c->sub_dispatch_rate_bytes;
	fp.ack_timeout_ms = &u32[0];
	fp.backoff = (Sluice__BackoffKind) c->sub_backoff;
	fp.backoff_base_ms = &u32[1];
	fp.backoff_max_ms = &u32[2];
	fp.backoff_jitter_pct = &u32[3];
	fp.max_redeliveries = &u32[4];
	fp.on_exhausted = (Sluice__OnExhausted) c->sub_on_exhausted;
	bp.failures = &u32[5];
	bp.cooldown_ms = &u32[6];
	bp.cooldown_max_ms = &u32[7];
	rl.msgs_per_sec = &u64[0];
	rl.bytes_per_sec = &u64[1];
	subs_policy_update u = { &fp, &rl, &bp };
	char detail[256];
	if (subs_set_policy_defaults(b->subs, &u, detail, sizeof(detail)) != SLUICE_OK) {
		fprintf(stderr, "sluiced: subscriptions.defaults: %s\n", detail);
		return -1;
	}
	return 0;
}

int
broker_run(const broker_config *cfg)
{
	static broker b; /* one per process; zeroed */
	sluice_err rv;
	char why[512];
	b.cfg = *cfg;
	sl_log_set_level(cfg->log_level);
	sl_log_set_format(cfg->log_format);
	if (auth_init(&b.auth, cfg->auth_enabled, cfg->metrics_token_required,
	        cfg->auth_secret_file, &cfg->acl, why, sizeof(why)) != 0) {
		fprintf(stderr, "sluiced: auth: %s\n", why);
		return 1;
	}
	/* The live ACL is b.auth's; the copy in b.cfg is the caller's. */
	memset(&b.cfg.acl, 0, sizeof(b.cfg.acl));
	if (cfg->auth_enabled)
		sl_info("authentication on: %zu principals in the acl", b.auth.acl.n);
	signal(SIGPIPE, SIG_IGN);

	if (uv_loop_init(&b.loop) != 0) {
		fprintf(stderr, "sluiced: cannot create the event loop\n");
		return 1;
	}
	make_parents(cfg->data_dir);
	if ((rv = tlog_open(&b.log, cfg->data_dir)) != SLUICE_OK) {
		if (rv == SLUICE_ELOCKED)
			fprintf(stderr, "sluiced: data directory %s is in use by "
			                "another broker (its RocksDB LOCK is held)\n",
			    cfg->data_dir);
		else
			fprintf(stderr, "sluiced: cannot open data directory %s: %s\n",
			    cfg->data_dir, sluice_strerror(rv));
		uv_loop_close(&b.loop);
		return 1;
	}
	subs_io io = broker_subs_io;
	io.arg = &b;
	if ((rv = subs_open(&b.subs, b.log, &io)) != SLUICE_OK) {
		fprintf(stderr, "sluiced: cannot load subscriptions: %s\n", sluice_strerror(rv));
		tlog_close(b.log);
		uv_loop_close(&b.loop);
		return 1;
	}
	if (apply_policy_defaults(&b) != 0) {
		subs_close(b.subs);
		tlog_close(b.log);
		uv_loop_close(&b.loop);
		return 1;
	}
	if ((rv = tlog_batch_alloc(b.log, &b.batch)) != SLUICE_OK ||
	    (rv = sessions_init(&b.sessions)) != SLUICE_OK ||
	    (rv = limit_init(&b)) != SLUICE_OK ||
	    (b.connrate = connrate_alloc(cfg->limits.max_connection_rate_per_address)) == NULL ||
	    inbox_init(&b.inbox, &b.loop, on_inbox, &b) != 0) {
		fprintf(stderr, "sluiced: out of memory\n");
		return 1;
	}
	commit_init(&b);
	connlog_init(&b.connlog, uv_now(&b.loop));
	/* Metrics first, so they are up once clients can connect; like the
	 * main listener, a metrics address we cannot bind stops the broker. */
	if (http_start(&b) != 0 || open_socket(&b) != 0) {
		http_stop(&b);
		inbox_close(&b.inbox);
		uv_run(&b.loop, UV_RUN_DEFAULT);
		b.exit_code = 1;
		goto out;
	}
	start_handles(&b);
	sl_info("sluiced %s listening on %s; data %s; fsync %s; %zu topics",
	    SLUICE_VERSION, cfg->listen_url, cfg->data_dir,
	    config_fsync_name(cfg->fsync), tlog_topic_count(b.log));
	uv_run(&b.loop, UV_RUN_DEFAULT);
	sl_info("stopped cleanly");
out:
	sockio_close(&b);
	subs_close(b.subs);
	inbox_fini(&b.inbox);
	producers_fini(&b);
	ratelimit_publish_fini(&b);
	sessions_fini(&b.sessions);
	limit_fini(&b);
	connrate_free(b.connrate);
	tlog_batch_free(b.batch);
	tlog_close(b.log);
	auth_fini(&b.auth);
	if (uv_loop_close(&b.loop) != 0)
		sl_warn("event loop closed with handles still open");
	return b.exit_code;
}

/* route() for tests/fuzz: feeds one request frame through the broker's
 * request path without a socket. Loop thread only. */
void
broker_route(broker *b, nng_msg *m)
{
	route(b, m);
}
