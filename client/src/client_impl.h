/*
 * client_impl.h - what the modules of libsluice share with each other: the
 * layout of the opaque public objects (options, messages) and the request
 * transport of client.c that producer.c drives. Nothing here is installed.
 */
#ifndef SL_CLIENT_IMPL_H
#define SL_CLIENT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "codec.h"
#include "sluice/sluice.h"

/* Connection options; sluice_client_open copies what it keeps. */
struct sluice_opts {
	char *url;              /* owned, never NULL */
	char *name;             /* owned, never NULL; sent in Hello */
	int   connect_timeout_ms; /* > 0: bounds the dial and the Hello exchange */
	int   request_timeout_ms; /* > 0: bounds each send and each reply */
	/* TLS, used only for tls+tcp:// URLs. Owned; NULL: not set. */
	char *tls_ca;           /* PEM CA file: verify the broker (REQUIRED) */
	char *tls_cert;         /* PEM client certificate; set with tls_key */
	char *tls_key;          /* PEM private key of tls_cert, unencrypted */
	char *tls_server_name;  /* checked against the broker's certificate;
	                         * NULL: the URL's host */
	char *token;            /* owned; NULL: none; sent in Hello */
};

/* Producer options; sluice_producer_open copies them. */
struct sluice_producer_opts {
	uint32_t batch_max_messages; /* >= 1; 1 disables batching */
	uint32_t batch_max_bytes;    /* >= 1; capped by the broker's frame */
	uint32_t linger_ms;          /* 0: send as soon as published */
	uint32_t window;             /* >= 1 unacknowledged messages */
	int      block;              /* full window: 1 block, 0 EWOULDBLOCK */
};

/*
 * A message is its own wire view: pb points at bytes this struct owns, so a
 * Publish can reference queued messages without copying them. The producer
 * fields are written only while the producer owns the message.
 */
struct sluice_msg {
	Sluice__Message   pb;         /* key, payload, properties owned here */
	size_t            props_cap;  /* allocated slots in pb.properties */
	int               has_seq;    /* caller set pb.producer_seq */
	sluice_publish_cb cb;         /* producer: completion, may be NULL */
	void             *cb_arg;     /* producer: argument of cb */
	sluice_msg       *next;       /* producer: next message of its batch */
};

/*
 * msg_wire_bound returns an upper bound of the bytes m adds to an encoded
 * Publish (its fields, tags and length prefixes). Batching uses it to stay
 * under the broker's frame limit without encoding twice.
 */
size_t msg_wire_bound(const sluice_msg *m);

/* ---- request transport (client.c) ---------------------------------- */

typedef struct client_req client_req;

/*
 * client_done_fn is called exactly once per submitted request, on an nng
 * thread, without any client lock held. rv is a transport error
 * (SLUICE_ECLOSED, SLUICE_ETIMEDOUT, SLUICE_EPROTO...) or SLUICE_OK with the
 * decoded reply (its status is the broker's verdict and is left to the
 * caller to judge). The reply is borrowed for the call, unless the request
 * was submitted with take_reply set: then done owns it (never NULL with
 * SLUICE_OK) and frees it with codec_reply_free, so records can point into
 * it without copying.
 */
typedef void (*client_done_fn)(
    client_req *r, sluice_err rv, const Sluice__Reply *reply);

/* One request; the caller embeds it and keeps it alive until done runs. */
struct client_req {
	nng_msg       *msg;  /* encoded Request; the client takes it on submit */
	uint64_t       id;   /* request_id encoded in msg */
	client_done_fn done;
	int            take_reply; /* done owns the reply (see above) */
	client_req    *next; /* client: waiting-queue link */
};

/* client_next_id returns a fresh request id. Thread-safe. */
uint64_t client_next_id(sluice_client *c);

/*
 * client_encode packs rq into a new nng message (one allocation, one pack).
 * Errors: SLUICE_ENOMEM.
 */
sluice_err client_encode(const Sluice__Request *rq, nng_msg **out);

/*
 * client_submit sends r->msg, or queues it while the connection already
 * has its cap of requests in flight; queued requests go out in submission
 * order. On SLUICE_OK the client owns r->msg and will call r->done; it never
 * calls done before returning, so the caller may hold its own lock. Errors
 * (caller keeps r->msg, done is not called): SLUICE_ECLOSED when the client
 * is closing or has lost its connection. Thread-safe.
 */
sluice_err client_submit(sluice_client *c, client_req *r);

/*
 * client_abort makes a submitted request complete now with SLUICE_ECLOSED
 * (done still runs exactly once, possibly on this thread before returning,
 * so the caller must not hold a lock that done takes). A reply that comes
 * later is discarded by nng. Does nothing when r already completed.
 * Thread-safe.
 */
void client_abort(sluice_client *c, client_req *r);

/* client_status returns SLUICE_OK while c can take requests. */
sluice_err client_status(sluice_client *c);

/* The broker's frame limit from HelloOk, bytes (a default if it sent 0). */
uint64_t client_max_frame_bytes(const sluice_client *c);

/* Producers register so that closing their client early is refused. */
void client_producer_add(sluice_client *c);
void client_producer_remove(sluice_client *c);
/* Consumers likewise (consumer.c). */
void client_consumer_add(sluice_client *c);
void client_consumer_remove(sluice_client *c);

/*
 * sl_err_from_nng maps an nng error to a sluice_err, once, at the boundary
 * (nng_err.c). Connection refusals, including a missing ipc path, become
 * SLUICE_ECONNREFUSED.
 */
sluice_err sl_err_from_nng(int nng_rv);

/* Consumer options; sluice_consumer_open copies them. */
struct sluice_consumer_opts {
	sluice_sub_type type;
	sluice_sub_mode mode;
	uint32_t        window;     /* 1..65535 unacked messages */
	sluice_start    start;      /* where a new subscription starts */
	uint64_t        start_offset; /* with SLUICE_START_OFFSET */
	char           *name;       /* owned, never NULL */
	int32_t         priority;   /* failover: highest active first */
	sluice_overflow overflow;   /* non-reliable */
	uint32_t        queue_size; /* non-reliable; 0 = window */
	/* A new subscription's policies (issue #6); unset parts are not
	 * sent, so the broker's defaults apply. */
	sluice_failure_policy policy; /* dead_letter_topic: NULL, or dlq */
	char           *dlq;        /* owned copy of the dead letter topic */
	int             has_limit;  /* dispatch limit set */
	uint64_t        limit_msgs; /* per second; 0 = no limit */
	uint64_t        limit_bytes;
	int             has_breaker;
	uint32_t        breaker_failures; /* 0 = off */
	uint32_t        breaker_cooldown_ms;
	uint32_t        breaker_cooldown_max_ms;
};

/* Option copies (opts.c), used by the objects that keep options. */
void opts_producer_defaults(sluice_producer_opts *po);
#endif
