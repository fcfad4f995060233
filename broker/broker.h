/*
 * broker.h - the broker's state, shared by the files of broker/. One libuv
 * loop thread owns all of it; nng threads only hand pipe events over
 * through the inbox (inbox.h). Nothing here is locked.
 */
#ifndef SL_BROKER_H
#define SL_BROKER_H

#include <nng/nng.h>
#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "codec.h"
#include "config.h"
#include "connlog.h"
#include "http.h"
#include "inbox.h"
#include "session.h"
#include "status.h"
#include "subs.h"
#include "tlog.h"
#include "u64map.h"

/* Room for a raw rep0 backtrace: pipe id + request id, plus device hops. */
#define BROKER_MAX_HEADER 64
/* A frame may hold one maximal message plus this much of other messages
 * and encoding; clients batch below it. */
#define BROKER_FRAME_OVERHEAD (1u << 20)

/* Where a reply goes: the request's nng backtrace header and its pipe. */
typedef struct {
	uint8_t hdr[BROKER_MAX_HEADER];
	size_t hdrlen;
	uint32_t pipe_id;
	uint64_t request_id;
} reply_to;

/* A publish accepted this loop turn, waiting for its group commit. */
typedef struct pending_pub {
	struct pending_pub *next;
	reply_to to;
	Sluice__Request *req;   /* decoded request; owns the messages */
	tlog_topic *topic;
	size_t bytes;           /* frame size, counted in pending_bytes */
	uint64_t base;          /* first offset, set at commit */
	int64_t publish_time_us; /* set at commit */
	uint64_t received_ns;   /* uv_hrtime() when queued (commit.c), for
	                         * the publish_to_persist histogram */
	int rate_held;          /* counted as delayed by the topic's publish
	                         * rate limit (ratelimit.c) */
	int dead_letter;        /* the broker's own (deadletter.c): no reply; */
	uint64_t dl_sub_uid, dl_offset; /* ... tell the engine instead */
} pending_pub;

typedef enum { BROKER_RUNNING, BROKER_DRAINING, BROKER_STOPPED } broker_state;

typedef struct broker {
	broker_config cfg;
	uv_loop_t loop;
	tlog *log;

	nng_socket sock;       /* raw rep0: we reply late, by header */
	nng_aio *recv_aio, *send_aio; /* reused by sockio.c */
	nng_listener listener;
	uv_poll_t recv_poll;   /* on NNG_OPT_RECVFD, level-triggered */
	int reading;           /* recv_poll started */
	inbox inbox;           /* pipe events from nng threads */
	sessions sessions;     /* pipe id -> session */
	struct limits *limits; /* limits against abuse (limit.c) */
	connlog connlog;       /* budget of per-connection log lines */
	struct connrate *connrate; /* new connections per address (connrate.c) */
	uint64_t connrate_logged;  /* refusals the watchdog has reported */

	/* Group commit: accepted publishes wait in `pending` until the
	 * prepare phase moves them into `committing` and one write. */
	uv_prepare_t prepare;
	pending_pub *pending, **pending_tail;
	pending_pub *committing;
	pending_pub *held, **held_tail; /* publishes waiting on a "block" queue */
	tlog_batch *batch;
	uv_work_t write_req;
	int write_in_flight;
	sluice_err write_rv;
	uint64_t pending_bytes;  /* frames in pending + committing */
	int retention_due;

	uv_timer_t fsync_timer;
	uv_work_t sync_req;
	int sync_in_flight;
	int dirty_since_sync;    /* committed writes not yet fsynced */
	uv_timer_t retention_timer;

	/* Subscriptions (engine/subs): */
	subs *subs;
	uv_timer_t fetch_timer;    /* answers parked fetches at their deadline */
	uv_timer_t watchdog_timer; /* lag, stuck deliveries, consumer leases */
	uv_timer_t cursor_timer;   /* debounced cursor persistence */
	uv_timer_t engine_timer;   /* the engine's per-message timers */
	uint64_t engine_timer_due; /* what engine_timer is armed for */
	int cursors_due;           /* persist changed cursors in the next batch */
	int final_persist_done;

	u64map *producers;         /* (topic id, pipe) -> last publish (producers.c) */

	/* Publish rate limits (ratelimit.c): a publish to a limited topic
	 * waits in the held list until the topic's buckets allow it. */
	u64map *pub_limits;        /* topic id -> its buckets and counter */
	uv_timer_t pub_limit_timer; /* retries held publishes at the refill */
	uint64_t pub_limit_due_ms; /* when it fires; 0: not armed */
	uint64_t pub_limit_pass;   /* commit_retry_held's current pass */
	uint64_t pub_rate_limited; /* publishes delayed by a limit (all topics) */

	uv_signal_t sigint, sigterm;
	uv_signal_t sighup;        /* reloads auth: and acl: (loop.c) */
	auth_state auth;           /* secret, ACL, counters (auth.c) */
	broker_state state;
	int exit_code;

	/* Observability (status.c, metrics.c, http.c) */
	status_state status;        /* loop lag timer, uptime, rates */
	http_srv http;              /* GET /metrics and /health */
	lathist publish_to_persist; /* pending_pub received -> its group
	                             * commit written; one per request */
} broker;

/* loop.c */
uint64_t broker_now_ms(broker *b);
int  broker_run(const broker_config *cfg);  /* returns the process exit code */
void broker_read_resume(broker *b);
void broker_read_pause(broker *b);
/* When draining for shutdown and no work remains, closes the loop's handles. */
void broker_stop_if_drained(broker *b);
/* The peer's address ("127.0.0.1:5000", an ipc path) or "unknown". */
void broker_peer_name(uint32_t pipe_id, char *buf, size_t n);
/* Routes one received request frame (takes m), as the socket reader
 * does; for tests/fuzz, which have no socket. */
void broker_route(broker *b, nng_msg *m);

/* commit.c: group commit */
void commit_init(broker *b);
void commit_enqueue(broker *b, pending_pub *p);
void commit_on_prepare(uv_prepare_t *h);
int  commit_is_idle(const broker *b);
void pending_pub_free(pending_pub *p);
/* Non-reliable "block": a publish to a topic whose queue is full waits in
 * the held list, in order, until the queue has room. */
int  commit_must_hold(broker *b, tlog_topic *t);
void commit_hold(broker *b, pending_pub *p);
void commit_retry_held(broker *b);
void commit_fail_held(broker *b, sluice_err rv);

/* sockio.c: non-blocking socket I/O on reused aios. */
int  sockio_open(broker *b);
void sockio_close(broker *b);
/* NNG_EAGAIN when nothing is waiting. */
int  sockio_recv(broker *b, nng_msg **out);
/* Takes m; frees it on failure (NNG_EAGAIN when the queue is full). */
int  sockio_send(broker *b, nng_msg *m);

/* reply.c */
void reply_to_from_msg(reply_to *to, nng_msg *m, uint64_t request_id);
/* Sends r (request_id filled from `to`); decrements the session's count. */
void reply_send(broker *b, const reply_to *to, Sluice__Reply *r);
/* Sends a bare error reply with a detail text (may be NULL). */
void reply_error(broker *b, const reply_to *to, sluice_err rv, const char *detail);

/* handle_*.c: one per request type. Each takes ownership of req. */
void handle_hello(broker *b, session *s, const reply_to *to, Sluice__Request *req);
void handle_publish(broker *b, session *s, const reply_to *to,
    Sluice__Request *req, size_t frame_bytes);
void handle_subscribe(broker *b, session *s, const reply_to *to, Sluice__Request *req);
void handle_fetch(broker *b, session *s, const reply_to *to, Sluice__Request *req);
void handle_ack(broker *b, session *s, const reply_to *to, Sluice__Request *req);
void handle_unsubscribe(broker *b, session *s, const reply_to *to, Sluice__Request *req);
/* loop.c: whether the session may p on topic (always when auth is off);
 * when not, replies SLUICE_EPERM, logs and counts it, and returns 0. */
int  broker_authorize(broker *b, session *s, const reply_to *to, acl_perm p,
    const char *topic);
/* admin.c: sluice-admin's requests (admin.h). */
void handle_admin(broker *b, session *s, const reply_to *to, Sluice__Request *req);

/* engine_timer.c: drives subs_run_due (ack timeouts, retries). */
void engine_timer_init(broker *b);
void engine_timer_rearm(broker *b); /* each loop turn */
void engine_timer_close(broker *b);

/* deadletter.c: subs_io.dead_letter. */
void broker_dead_letter(void *arg, const subs_dead_letter *dl);

/* subscribe.c glue: the engine's I/O and session cleanup. */
extern const subs_io broker_subs_io;
/* Detaches every consumer of a session that went away. */
void broker_session_gone(broker *b, session *s);
/* Finds a consumer the session owns; NULL (and an error reply) if not. */
consumer *broker_consumer_of(broker *b, session *s, const reply_to *to, uint64_t id);
/* Sends an already encoded reply frame. */
void reply_send_frame(broker *b, const reply_to *to, const uint8_t *frame, size_t len);
#endif
