/*
 * sluice.h - the one public header of libsluice, the Sluice client library.
 *
 * Producers connect to a sluiced broker and publish messages to topics;
 * consumers receive them through subscriptions. Every function that can
 * fail returns a sluice_err; sluice_strerror() turns it into text. Objects
 * are opaque; destructors accept NULL.
 *
 * Threading: a sluice_client, its producers and its consumers may be used
 * from several threads at once (each object has its own lock), except that
 * sluice_client_close(), sluice_producer_close() and the consumer close
 * calls must not race with other calls on the same object. Completion callbacks run on a library thread:
 * they must not block and must not call sluice_producer_flush() or
 * sluice_publish() on the producer that invoked them.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SLUICE_BUILDING) && defined(__GNUC__)
#define SLUICE_API __attribute__((visibility("default")))
#else
#define SLUICE_API
#endif

#define SLUICE_PROTOCOL_VERSION 1
#define SLUICE_DEFAULT_URL "tcp://127.0.0.1:6650"

/*
 * Status codes. Values never change: they travel in broker replies.
 * 1-99 local to the caller, 100-199 broker storage, 200-299 refused by the
 * broker.
 */
#define SLUICE_ERRORS(X)                                                     \
	X(OK, 0, "success")                                                  \
	X(EINVAL, 1, "invalid argument")                                     \
	X(ENOMEM, 2, "out of memory")                                        \
	X(ECLOSED, 3, "connection closed")                                   \
	X(ETIMEDOUT, 4, "timed out")                                         \
	X(EWOULDBLOCK, 5, "would block: in-flight window is full")           \
	X(ECONNREFUSED, 6, "connection refused: is sluiced running?")        \
	X(ETRANSPORT, 7, "transport error")                                  \
	X(EPROTO, 8, "protocol error: malformed reply")                      \
	X(EIO, 9, "input/output error")                                      \
	X(ESTORAGE, 100, "broker storage failure")                           \
	X(ECORRUPT, 101, "corrupt record")                                   \
	X(ELOCKED, 102, "data directory in use by another broker")           \
	X(EBADFRAME, 200, "malformed frame")                                 \
	X(EUNKNOWNFRAME, 201, "unknown frame type")                          \
	X(EVERSION, 202, "unsupported protocol version")                     \
	X(ENOHELLO, 203, "handshake required before this request")           \
	X(ETOOBIG, 204, "message larger than the broker's limit")            \
	X(EBADTOPIC, 205, "invalid topic name")                              \
	X(ENOTOPIC, 206, "no such topic")                                    \
	X(EBUSY, 207, "broker busy: too many outstanding requests")          \
	X(ESHUTDOWN, 208, "broker shutting down")                            \
	X(EEMPTY, 209, "empty publish: no messages")                         \
	X(EEXISTS, 210, "already exists")                                    \
	X(ECONSUMERBUSY, 211, "consumer busy: the subscription is exclusive") \
	X(ESUBMISMATCH, 212, "subscription exists with another type or mode") \
	X(ENOCONSUMER, 213, "no such consumer")                              \
	X(ENOTSUPP, 214, "not supported for this subscription type")         \
	X(ENOSUB, 215, "no such subscription")                               \
	X(EINUSE, 216, "in use: remove what depends on it first")           \
	X(EAUTH, 217, "authentication failed")                               \
	X(EPERM, 218, "permission denied")                                   \
	X(ELIMIT, 219, "limit reached")

typedef enum {
#define SLUICE_ERR_ENUM(name, val, text) SLUICE_##name = val,
	SLUICE_ERRORS(SLUICE_ERR_ENUM)
#undef SLUICE_ERR_ENUM
} sluice_err;

/* sluice_strerror returns a static, human-readable text for rv. */
SLUICE_API const char *sluice_strerror(sluice_err rv);
/* sluice_err_name returns the symbol of rv, e.g. "SLUICE_ETOOBIG". */
SLUICE_API const char *sluice_err_name(sluice_err rv);

typedef struct sluice_opts sluice_opts;
typedef struct sluice_client sluice_client;
typedef struct sluice_msg sluice_msg;
typedef struct sluice_producer sluice_producer;
typedef struct sluice_producer_opts sluice_producer_opts;

/* ---- client options ------------------------------------------------- */

/*
 * sluice_opts_alloc creates connection options with defaults: url
 * SLUICE_DEFAULT_URL, client name "libsluice", connect timeout 5000 ms,
 * request timeout 30000 ms. Options are copied by sluice_client_open.
 */
SLUICE_API sluice_err sluice_opts_alloc(sluice_opts **out);
SLUICE_API void sluice_opts_free(sluice_opts *o);
SLUICE_API sluice_err sluice_opts_set_url(sluice_opts *o, const char *url);
SLUICE_API sluice_err sluice_opts_set_name(sluice_opts *o, const char *name);
SLUICE_API sluice_err sluice_opts_set_connect_timeout(sluice_opts *o, int ms);
/*
 * sluice_opts_set_token sets the bearer token sent in Hello (copied; NULL
 * or "" clears it). A broker with authentication on refuses a connection
 * without a valid one with SLUICE_EAUTH (docs/security.md).
 */
SLUICE_API sluice_err sluice_opts_set_token(sluice_opts *o, const char *token);
SLUICE_API sluice_err sluice_opts_set_request_timeout(sluice_opts *o, int ms);
/*
 * TLS, for tls+tcp:// URLs (docs/security.md); other URLs ignore these.
 * Paths are copied; the files are read by sluice_client_open.
 *
 * sluice_opts_set_tls_ca names the PEM file of the CA that signed the
 * broker's certificate: the broker must then present a valid certificate
 * for the server name, else the open fails. Without a CA the connection
 * is encrypted but the broker is not verified (a warning is logged).
 * NULL or "" clears it.
 *
 * sluice_opts_set_tls_cert names our certificate and its unencrypted
 * private key (PEM files), for a broker that requires client certificates
 * (mutual TLS). Both or neither: NULL, NULL clears them; one alone is
 * SLUICE_EINVAL.
 *
 * sluice_opts_set_tls_server_name sets the name the broker's certificate
 * must carry (default: the URL's host). NULL or "" restores the default.
 *
 * A TLS failure at open (certificate not trusted, wrong name, client
 * certificate refused) is SLUICE_ETRANSPORT, with the reason logged at
 * warn level; an unreadable file is SLUICE_EINVAL, also logged.
 */
SLUICE_API sluice_err sluice_opts_set_tls_ca(sluice_opts *o, const char *ca_file);
SLUICE_API sluice_err sluice_opts_set_tls_cert(
    sluice_opts *o, const char *cert_file, const char *key_file);
SLUICE_API sluice_err sluice_opts_set_tls_server_name(sluice_opts *o, const char *name);

/* ---- client --------------------------------------------------------- */

/*
 * sluice_client_open connects to the broker and completes the handshake.
 * opts may be NULL for defaults. The dial is synchronous; the connect
 * timeout bounds the handshake that follows it. Errors: SLUICE_ECONNREFUSED
 * when nothing listens, SLUICE_ETIMEDOUT, SLUICE_EVERSION when the broker
 * speaks another protocol version, SLUICE_EINVAL for a malformed URL,
 * SLUICE_ETRANSPORT when the TLS handshake of a tls+tcp:// URL fails.
 *
 * A client is one connection and does not reconnect: once it is lost,
 * everything in flight completes with SLUICE_ECLOSED and new publishes are
 * refused with SLUICE_ECLOSED (resending could store a batch twice). Close
 * it and open a new one.
 */
SLUICE_API sluice_err sluice_client_open(
    sluice_client **out, const sluice_opts *opts);
/*
 * sluice_client_close closes the connection and frees c. Producers and
 * consumers of this client must be closed first: while any is open it
 * returns SLUICE_EINVAL and closes nothing. Requests still in flight
 * complete with SLUICE_ECLOSED.
 */
SLUICE_API sluice_err sluice_client_close(sluice_client *c);
/* The broker's limit on one message (payload + key + properties), bytes. */
SLUICE_API uint64_t sluice_client_max_message_bytes(const sluice_client *c);

/* ---- messages ------------------------------------------------------- */

/* sluice_msg_alloc creates an empty message (no key, no payload). */
SLUICE_API sluice_err sluice_msg_alloc(sluice_msg **out);
SLUICE_API void sluice_msg_free(sluice_msg *m);
/* Setters copy their arguments. */
SLUICE_API sluice_err sluice_msg_set_payload(
    sluice_msg *m, const void *data, size_t len);
SLUICE_API sluice_err sluice_msg_set_key(
    sluice_msg *m, const void *key, size_t len);
SLUICE_API sluice_err sluice_msg_add_property(
    sluice_msg *m, const char *key, const char *value);
/* Event time in microseconds since the epoch; defaults to 0 (unset). */
SLUICE_API sluice_err sluice_msg_set_event_time(sluice_msg *m, int64_t us);
/*
 * Producer sequence number; defaults to the producer's own counter, which
 * starts at 1 and advances only for messages without their own number.
 */
SLUICE_API sluice_err sluice_msg_set_sequence(sluice_msg *m, uint64_t seq);
/* Encoded size the broker compares with its max_message_bytes. */
SLUICE_API size_t sluice_msg_size(const sluice_msg *m);

/* ---- producers ------------------------------------------------------ */

/*
 * Producer options, defaults: batching on with at most 1000 messages (and
 * at most a quarter of the window) or 256 KiB per batch; a window of 1000
 * in-flight (unacknowledged) messages; a full window blocks the caller.
 *
 * Linger 0 (the default) batches by the pipe: a batch is sent at once
 * while fewer than 4 are in flight; otherwise messages gather until a
 * reply arrives or the batch is full. No timer runs. A linger > 0 holds
 * each batch up to that many ms for more messages instead.
 */
SLUICE_API sluice_err sluice_producer_opts_alloc(sluice_producer_opts **out);
SLUICE_API void sluice_producer_opts_free(sluice_producer_opts *po);
SLUICE_API sluice_err sluice_producer_opts_set_batch(sluice_producer_opts *po,
    uint32_t max_messages, uint32_t max_bytes, uint32_t linger_ms);
SLUICE_API sluice_err sluice_producer_opts_set_window(
    sluice_producer_opts *po, uint32_t max_in_flight);
/* block != 0: a full window blocks; 0: it returns SLUICE_EWOULDBLOCK. */
SLUICE_API sluice_err sluice_producer_opts_set_block(
    sluice_producer_opts *po, int block);

/*
 * sluice_producer_open creates a producer for one topic. popts may be NULL.
 * The topic name is checked locally (1-255 of [A-Za-z0-9._/-]).
 */
SLUICE_API sluice_err sluice_producer_open(sluice_producer **out,
    sluice_client *c, const char *topic, const sluice_producer_opts *popts);
/*
 * sluice_producer_close flushes what is batched, waits for every in-flight
 * message to complete (callbacks run), then frees the producer. It returns
 * SLUICE_OK once p is freed; message failures are reported through the
 * callbacks (and sluice_producer_flush), not here.
 */
SLUICE_API sluice_err sluice_producer_close(sluice_producer *p);

/*
 * sluice_publish_cb is called once per message sent with
 * sluice_publish_async: rv is SLUICE_OK and offset is the message's topic
 * offset, or rv tells why the message was not stored (offset is then 0).
 * Messages of one batch are reported in publish order; batches may be
 * reported concurrently from different threads. A batch that fails before
 * it is sent (connection already lost, no memory) is reported on the
 * thread of the next publish, flush or close call on that producer.
 */
typedef void (*sluice_publish_cb)(
    sluice_producer *p, sluice_err rv, uint64_t offset, void *arg);

/*
 * sluice_publish_async queues *m for the next batch and takes it (sets *m
 * to NULL) on SLUICE_OK; on error the caller still owns it. cb may be NULL.
 * With the window full it blocks or returns SLUICE_EWOULDBLOCK (see
 * sluice_producer_opts_set_block). Errors found before sending (size over
 * the broker's limit) are returned here; later ones reach cb.
 */
SLUICE_API sluice_err sluice_publish_async(
    sluice_producer *p, sluice_msg **m, sluice_publish_cb cb, void *arg);
/*
 * sluice_publish sends *m (taking it on SLUICE_OK... and on broker errors:
 * *m is NULL whenever it was handed to the broker) and waits for the ack;
 * offset_out (may be NULL) receives the assigned topic offset.
 */
SLUICE_API sluice_err sluice_publish(
    sluice_producer *p, sluice_msg **m, uint64_t *offset_out);
/*
 * sluice_producer_flush sends the open batch now and waits until every
 * message published so far has completed. Returns the first error any of
 * them met since the last flush, or SLUICE_OK.
 */
SLUICE_API sluice_err sluice_producer_flush(sluice_producer *p);

/* ---- consumers -------------------------------------------------------- */

typedef struct sluice_consumer sluice_consumer;
typedef struct sluice_consumer_opts sluice_consumer_opts;
typedef struct sluice_record sluice_record;

/* Subscription types, delivery modes, overflow strategies, start points:
 * the values match proto/sluice.proto. */
typedef enum {
	SLUICE_SUB_EXCLUSIVE = 0, /* one consumer; others get ECONSUMERBUSY */
	SLUICE_SUB_FAILOVER = 1,  /* one active consumer, the rest stand by */
	SLUICE_SUB_SHARED = 2,    /* round-robin over consumers with room */
	SLUICE_SUB_KEY_SHARED = 3 /* same key, same consumer, in offset order;
	                             no key: round-robin */
} sluice_sub_type;

typedef enum {
	SLUICE_RELIABLE = 0,     /* durable cursor, acks, at-least-once */
	SLUICE_NON_RELIABLE = 1  /* from memory, no acks, at-most-once */
} sluice_sub_mode;

typedef enum {
	SLUICE_OVERFLOW_DEFAULT = -1, /* the broker's default (not on the wire) */
	SLUICE_DROP_NEWEST = 0,
	SLUICE_DROP_OLDEST = 1,
	SLUICE_BLOCK = 2         /* the publisher waits */
} sluice_overflow;

typedef enum {
	SLUICE_START_LATEST = 0,
	SLUICE_START_EARLIEST = 1,
	SLUICE_START_OFFSET = 2
} sluice_start;

/*
 * Consumer options, defaults: exclusive, reliable, the broker's default
 * window (subscriptions.defaults.window, 1000 unless configured), a new
 * subscription starts at the latest offset, consumer name "libsluice",
 * priority 0, non-reliable overflow SLUICE_OVERFLOW_DEFAULT (the broker's
 * subscriptions.defaults.overflow, drop_newest unless configured) with
 * queue size 0 (the broker's default, normally the window's size).
 */
SLUICE_API sluice_err sluice_consumer_opts_alloc(sluice_consumer_opts **out);
SLUICE_API void sluice_consumer_opts_free(sluice_consumer_opts *co);
SLUICE_API sluice_err sluice_consumer_opts_set_type(
    sluice_consumer_opts *co, sluice_sub_type type);
SLUICE_API sluice_err sluice_consumer_opts_set_mode(
    sluice_consumer_opts *co, sluice_sub_mode mode);
/* window: 1..65535 unacked messages; 1 = strictly one in flight. */
SLUICE_API sluice_err sluice_consumer_opts_set_window(
    sluice_consumer_opts *co, uint32_t window);
SLUICE_API sluice_err sluice_consumer_opts_set_start(
    sluice_consumer_opts *co, sluice_start start, uint64_t offset);
SLUICE_API sluice_err sluice_consumer_opts_set_name(
    sluice_consumer_opts *co, const char *name);
SLUICE_API sluice_err sluice_consumer_opts_set_priority(
    sluice_consumer_opts *co, int32_t priority);
/* Non-reliable only: per-consumer queue bound (0: the broker's default)
 * and what a full one does; SLUICE_OVERFLOW_DEFAULT leaves that to the
 * broker's configuration. */
SLUICE_API sluice_err sluice_consumer_opts_set_overflow(
    sluice_consumer_opts *co, sluice_overflow overflow, uint32_t queue_size);

/*
 * A new subscription's failure policy (issue #6; see docs/client.md): what
 * the broker does with a message the consumer nacks or does not ack in
 * time. Each value is sent only when its has_ flag is non-zero (or, for
 * the enums, when it is not ..._DEFAULT; for dead_letter_topic, when it is
 * neither NULL nor ""); what is not sent takes the broker's configured
 * default. Initialise with SLUICE_FAILURE_POLICY_INIT (everything unset).
 * Like the type and mode it shapes only a subscription that the consumer
 * creates: an existing one keeps its own policy (sluice-admin subs
 * configure changes it).
 */
typedef enum {
	SLUICE_BACKOFF_DEFAULT = 0,     /* the broker's (exponential) */
	SLUICE_BACKOFF_EXPONENTIAL = 1, /* base * 2^(attempt-1), capped at max */
	SLUICE_BACKOFF_FIXED = 2        /* base every time */
} sluice_backoff;

typedef enum {
	SLUICE_EXHAUSTED_DEFAULT = 0,     /* the broker's (dead_letter) */
	SLUICE_EXHAUSTED_DEAD_LETTER = 1, /* published to the dead letter topic */
	SLUICE_EXHAUSTED_BLOCK = 2,       /* delivery stops at it */
	SLUICE_EXHAUSTED_DROP = 3,        /* acked and counted */
	SLUICE_EXHAUSTED_PARK = 4         /* kept aside; delivery goes on */
} sluice_on_exhausted;

typedef struct {
	int                 has_ack_timeout;
	uint32_t            ack_timeout_ms;     /* 0 = off */
	sluice_backoff      backoff;
	int                 has_backoff_base;
	uint32_t            backoff_base_ms;
	int                 has_backoff_max;
	uint32_t            backoff_max_ms;     /* >= base when both are set */
	int                 has_backoff_jitter;
	uint32_t            backoff_jitter_pct; /* 0..100: +-pct of the delay */
	int                 has_max_redeliveries;
	uint32_t            max_redeliveries;   /* 0 = unlimited */
	sluice_on_exhausted on_exhausted;
	const char         *dead_letter_topic;  /* copied; NULL or "": default
	                                           "<topic>.<subscription>.dlq" */
} sluice_failure_policy;

#define SLUICE_FAILURE_POLICY_INIT                                           \
	{ 0, 0, SLUICE_BACKOFF_DEFAULT, 0, 0, 0, 0, 0, 0, 0, 0,              \
		SLUICE_EXHAUSTED_DEFAULT, NULL }

/*
 * sluice_consumer_opts_set_failure_policy copies p (NULL: back to all
 * unset). SLUICE_EINVAL for an unknown enum value, a jitter above 100, a
 * backoff max below its base (both set) or an invalid dead letter topic
 * name.
 */
SLUICE_API sluice_err sluice_consumer_opts_set_failure_policy(
    sluice_consumer_opts *co, const sluice_failure_policy *p);
/*
 * A new subscription's dispatch rate limit: at most msgs_per_sec messages
 * and bytes_per_sec bytes per second to all its consumers (0 = no limit of
 * that kind). Both values are sent; without this call the broker's default
 * applies.
 */
SLUICE_API sluice_err sluice_consumer_opts_set_dispatch_limit(
    sluice_consumer_opts *co, uint64_t msgs_per_sec, uint64_t bytes_per_sec);
/*
 * A new subscription's per-consumer circuit breaker: `failures`
 * consecutive failed deliveries (nacks, ack timeouts) open it (0 = off);
 * it stays open cooldown_ms, doubling on each reopen up to
 * cooldown_max_ms (SLUICE_EINVAL when below cooldown_ms). All three are
 * sent; without this call the broker's defaults apply.
 */
SLUICE_API sluice_err sluice_consumer_opts_set_breaker(sluice_consumer_opts *co,
    uint32_t failures, uint32_t cooldown_ms, uint32_t cooldown_max_ms);

/*
 * sluice_consumer_open subscribes to topic under subscription (creating
 * it with the options' type, mode and start when it does not exist) and
 * starts fetching. Errors: SLUICE_ECONSUMERBUSY (exclusive subscription
 * already has a consumer), SLUICE_ESUBMISMATCH (it exists with another
 * type or mode), SLUICE_EBADTOPIC, SLUICE_ENOTOPIC.
 */
SLUICE_API sluice_err sluice_consumer_open(sluice_consumer **out,
    sluice_client *c, const char *topic, const char *subscription,
    const sluice_consumer_opts *co);
/*
 * sluice_consumer_close stops fetching, sends pending acks and waits for
 * them, detaches the consumer (Unsubscribe; its unacked messages go to
 * other consumers), frees the records still queued and frees k. It waits
 * at most about the client's request timeout per step. k is freed whatever
 * it returns: SLUICE_OK, or the first error of the acks or the Unsubscribe
 * (SLUICE_ECLOSED after a lost connection). Records the application holds
 * stay valid. Must not race with other calls on k, nor run in its handler.
 * The subscription and its cursor remain.
 */
SLUICE_API sluice_err sluice_consumer_close(sluice_consumer *k);
/* Like close, and deletes the subscription with its cursor. */
SLUICE_API sluice_err sluice_consumer_unsubscribe(sluice_consumer *k);

/*
 * sluice_receive waits up to timeout_ms (-1: forever, 0: poll) for the
 * next message; *out is the caller's to free with sluice_record_free.
 * SLUICE_ETIMEDOUT when none came. Never more than the window are held
 * unacked: a reliable consumer must ack (or nack) to receive more; freeing
 * a record does not ack it. Once the connection is lost it returns the
 * records already received, then SLUICE_ECLOSED (another fatal error, e.g.
 * SLUICE_ENOCONSUMER from the broker, likewise). The library keeps up to
 * two fetches outstanding per consumer on the client's connection.
 */
SLUICE_API sluice_err sluice_receive(
    sluice_consumer *k, sluice_record **out, int timeout_ms);

/*
 * Callback style: handler runs on a library thread for each message, in
 * order; the record is the handler's to free. Set it before the first
 * message arrives (right after open) or not at all: sluice_receive then
 * returns SLUICE_EINVAL. The thread is the consumer's own (not an I/O
 * thread), so a slow handler delays only this consumer; it may call the
 * ack functions and sluice_consumer_flush_acks, never
 * sluice_consumer_close. Fatal errors are not reported to the handler:
 * they surface in sluice_consumer_flush_acks and close.
 */
typedef void (*sluice_message_cb)(
    sluice_consumer *k, sluice_record *r, void *arg);
SLUICE_API sluice_err sluice_consumer_set_handler(
    sluice_consumer *k, sluice_message_cb cb, void *arg);

/*
 * Acks are merged into ranges and sent with the next fetch or, when no
 * fetch goes out, in an Ack request within about 1 ms. Broker refusals
 * surface in sluice_consumer_flush_acks. On a non-reliable consumer the
 * ack functions do nothing and return SLUICE_OK: nothing is acked there.
 * The ack functions, sluice_receive and the accessors below are
 * thread-safe.
 */
SLUICE_API sluice_err sluice_ack(sluice_consumer *k, uint64_t offset);
/* Everything up to and including offset (exclusive and failover only:
 * SLUICE_ENOTSUPP otherwise). */
SLUICE_API sluice_err sluice_ack_cumulative(sluice_consumer *k, uint64_t offset);
/* Reports offset as failed: one failed attempt under the subscription's
 * failure policy, delivered again after its backoff (or, past
 * max_redeliveries, dead-lettered, parked, dropped or blocking). */
SLUICE_API sluice_err sluice_nack(sluice_consumer *k, uint64_t offset);
/*
 * sluice_nack_ex reports offset as failed, like sluice_nack, with a delay
 * and a reason. delay_ms > 0: redeliver it after that many ms instead of
 * the subscription's backoff; 0: the backoff applies. reason (NULL or ""
 * for none; copied, at most SLUICE_NACK_REASON_MAX bytes, else
 * SLUICE_EINVAL) is kept by the broker with the message's attempts and
 * shown for dead-lettered and parked messages. Nacks with the same delay
 * and reason travel together; each other combination takes an Ack request
 * of its own. The redelivery counts against max_redeliveries. Thread-safe.
 */
#define SLUICE_NACK_REASON_MAX 1024
SLUICE_API sluice_err sluice_nack_ex(sluice_consumer *k, uint64_t offset,
    uint32_t delay_ms, const char *reason);
/* Sends the pending acks and waits for the broker to apply them. */
SLUICE_API sluice_err sluice_consumer_flush_acks(sluice_consumer *k);

/* Failover: whether this consumer is the active one (last reply's view). */
SLUICE_API int sluice_consumer_is_active(const sluice_consumer *k);
/* Non-reliable: messages the broker dropped for this consumer so far. */
SLUICE_API uint64_t sluice_consumer_dropped(const sluice_consumer *k);

/* A received message. Pointers stay valid until sluice_record_free. */
SLUICE_API void sluice_record_free(sluice_record *r);
SLUICE_API uint64_t sluice_record_offset(const sluice_record *r);
SLUICE_API uint32_t sluice_record_attempt(const sluice_record *r);
SLUICE_API const void *sluice_record_payload(const sluice_record *r, size_t *len);
/* NULL when the message has no key. */
SLUICE_API const void *sluice_record_key(const sluice_record *r, size_t *len);
/* The value of property name, or NULL. */
SLUICE_API const char *sluice_record_property(const sluice_record *r, const char *name);
SLUICE_API size_t sluice_record_property_count(const sluice_record *r);
SLUICE_API sluice_err sluice_record_property_at(const sluice_record *r,
    size_t i, const char **key, const char **value);
SLUICE_API int64_t sluice_record_publish_time(const sluice_record *r);
SLUICE_API int64_t sluice_record_event_time(const sluice_record *r);
SLUICE_API uint64_t sluice_record_sequence(const sluice_record *r);

/* Topic names: 1-255 characters of [A-Za-z0-9._/-]. */
SLUICE_API int sluice_topic_name_is_valid(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* SLUICE_H */
