/*
 * limit.h - limits against abuse (config section limits:, flags
 * --max-connections ...; docs/configuration.md, docs/security.md): open
 * connections in total and per principal, producers, consumers and
 * subscriptions per topic, the topic count, idle connections and the
 * handshake deadline. Each refusal is SLUICE_ELIMIT with a detail naming
 * the limit and its value (or a closed connection), and is counted in
 * sluice_limit_rejections_total{limit}. Loop thread only.
 */
#ifndef SL_LIMIT_H
#define SL_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

struct broker;
struct session;
typedef struct tlog_topic tlog_topic;
typedef struct limits limits;

typedef enum {
	LIMIT_CONNECTIONS,           /* max_connections */
	LIMIT_CONNECTIONS_PRINCIPAL, /* max_connections_per_principal */
	LIMIT_OUTSTANDING,           /* max_outstanding (loop.c route) */
	LIMIT_PRODUCERS,             /* max_producers_per_topic */
	LIMIT_CONSUMERS,             /* max_consumers_per_topic */
	LIMIT_SUBSCRIPTIONS,         /* max_subscriptions_per_topic */
	LIMIT_TOPICS,                /* max_topics */
	LIMIT_IDLE,                  /* idle_timeout_ms */
	LIMIT_HANDSHAKE,             /* handshake_timeout_ms */
	LIMIT_BEFORE_HELLO,          /* LIMIT_MAX_BEFORE_HELLO (fixed) */
	LIMIT_CONNECTION_RATE,       /* max_connection_rate_per_address (connrate.c) */
	LIMIT_COUNT
} limit_kind;

/* limit_init allocates the broker's limit state (b->limits);
 * SLUICE_ENOMEM. limit_fini frees it (NULL-safe). */
sluice_err limit_init(struct broker *b);
void       limit_fini(struct broker *b);
/* The metric label of k: "max_connections", "idle_timeout", ... */
const char *limit_name(limit_kind k);
/* Refusals of k since start; limit_count adds one. */
uint64_t limit_rejections(const struct broker *b, limit_kind k);
void     limit_count(struct broker *b, limit_kind k);

/*
 * limit_conn_open notes a new connection (its connect time starts the
 * handshake deadline). Past max_connections it closes the pipe right away,
 * logs and counts it, and returns -1; else 0. limit_conn_close forgets the
 * connection (its producer and principal counts). Both are idempotent.
 */
int  limit_conn_open(struct broker *b, struct session *s);
void limit_conn_close(struct broker *b, uint32_t pipe_id);

/*
 * limit_principal_admit counts connection s under principal (NULL or ""
 * for anonymous: not counted, bounded by max_connections only). Call it
 * once the Hello authenticated s, before the reply: SLUICE_ELIMIT with
 * detail when the principal already has max_connections_per_principal
 * connections (the caller replies with it and may close the connection).
 */
sluice_err limit_principal_admit(struct broker *b, struct session *s,
    const char *principal, char *detail, size_t dlen);

/* s publishes to t: SLUICE_ELIMIT when t already has
 * max_producers_per_topic other connections publishing to it. */
sluice_err limit_producer_admit(struct broker *b, struct session *s,
    tlog_topic *t, char *detail, size_t dlen);
/* A subscription named `subscription` may be created on t (admin create):
 * refuses past max_subscriptions_per_topic; an existing one passes. */
sluice_err limit_subscription_admit(struct broker *b, tlog_topic *t,
    const char *subscription, char *detail, size_t dlen);
/* A consumer wants to attach to t's subscription `subscription`: refuses
 * past max_consumers_per_topic, or when it would create a subscription
 * past max_subscriptions_per_topic. */
sluice_err limit_subscribe_admit(struct broker *b, tlog_topic *t,
    const char *subscription, char *detail, size_t dlen);
/* A topic is about to be created (auto-create or admin): refuses when the
 * broker has max_topics. */
sluice_err limit_topic_admit(struct broker *b, const char *topic,
    char *detail, size_t dlen);

/* Requests refused for want of a Hello that a connection may send; one
 * more closes it (a client that means well sends Hello first). */
#define LIMIT_MAX_BEFORE_HELLO 8

/* s sent a request before its Hello: returns -1 (after closing the
 * connection, logging and counting it) when that is one too many. */
int limit_before_hello(struct broker *b, struct session *s);

/* Closes connections past their handshake deadline or idle timeout
 * (called by the watchdog timer). */
void limit_check_timeouts(struct broker *b);
#endif
