/*
 * policy.h - the failure policy, rate limit and circuit breaker options of
 * sluice-admin (issue #6): their command-line rows, their mapping onto the
 * sluice.Admin fields (policy, dispatch_limit, breaker, publish_limit) and
 * their human and JSON forms. Parsing and mapping do no I/O, so
 * tests/unit/admin checks them without a broker.
 */
#ifndef ADM_POLICY_H
#define ADM_POLICY_H

#include <stddef.h>

#include "adm.h"

/* The options of `subs create` and `subs configure` as given: NULL = not
 * given (left unset in the request). */
typedef struct {
	const char *ack_timeout;          /* --ack-timeout D */
	const char *backoff;              /* --backoff fixed|exponential */
	const char *backoff_base;         /* --backoff-base D */
	const char *backoff_max;          /* --backoff-max D */
	const char *jitter;               /* --jitter PCT */
	const char *max_redeliveries;     /* --max-redeliveries N */
	const char *on_exhausted;         /* --on-exhausted ACTION */
	const char *dead_letter_topic;    /* --dead-letter-topic T */
	const char *rate_msgs;            /* --rate-msgs N */
	const char *rate_bytes;           /* --rate-bytes B */
	const char *breaker_failures;     /* --breaker-failures K */
	const char *breaker_cooldown;     /* --breaker-cooldown D */
	const char *breaker_cooldown_max; /* --breaker-cooldown-max D */
} policy_args;

/* Rows policy_opts writes. */
#define POLICY_NOPTS 13

/* Writes the POLICY_NOPTS adm_opt rows of a's options to opts (no
 * terminator), their values pointing into a. */
void policy_opts(policy_args *a, adm_opt *opts);

/* policy_given returns how many of a's options were given. */
int policy_given(const policy_args *a);

/* What the request's policy fields point into; lives as long as the
 * request. */
typedef struct {
	Sluice__FailurePolicy fp;
	Sluice__RateLimit     limit;
	Sluice__BreakerPolicy breaker;
	Sluice__U32           ack_timeout, base, max, jitter, redeliveries;
	Sluice__U32           failures, cooldown, cooldown_max;
	Sluice__U64           msgs, bytes;
} policy_pb;

/*
 * policy_build parses a into pb and points rq->policy, rq->dispatch_limit
 * and rq->breaker at those of the three that have an option given (the
 * others stay NULL: unset, "keep" or "the default"); within them only the
 * given fields are set. Returns 0, or -1 with the usage error in err (n
 * bytes) and rq untouched.
 */
int policy_build(const policy_args *a, policy_pb *pb, Sluice__Admin *rq,
    char *err, size_t n);

/*
 * policy_rate parses --rate-msgs/--rate-bytes (either may be NULL) into a
 * RateLimit in pb->limit with only the given fields set, and points *out
 * at it when one was given. 0 or -1 with the usage error in err.
 */
int policy_rate(const char *msgs, const char *bytes, policy_pb *pb,
    Sluice__RateLimit **out, char *err, size_t n);

/* ---- output ----------------------------------------------------------- */

/*
 * JSON members: the FailurePolicy as {"ack_timeout_ms","backoff",
 * "backoff_base_ms","backoff_max_ms","backoff_jitter_pct",
 * "max_redeliveries","on_exhausted","dead_letter_topic"} with enums as
 * lowercase names; a RateLimit as {"msgs_per_sec","bytes_per_sec"}; a
 * BreakerPolicy as {"failures","cooldown_ms","cooldown_max_ms"}. A missing
 * message or wrapper (a broker that did not say) is null, so is an unset
 * enum.
 */
void policy_json(out_json *j, const char *key, const Sluice__FailurePolicy *p);
void policy_json_limit(out_json *j, const char *key, const Sluice__RateLimit *l);
void policy_json_breaker(out_json *j, const char *key,
    const Sluice__BreakerPolicy *b);

/* "100 msg/s, 1 MiB/s", "100 msg/s", "none" (no limit) or "-" (NULL). */
void policy_limit_text(const Sluice__RateLimit *l, char *buf, size_t n);

/*
 * policy_kv appends the key: value rows of a subscription's policy,
 * dispatch limit and breaker to k: durations as "30000 (30s)", 0 with its
 * meaning ("0 (off)", "0 (unlimited)"), "-" for what the broker did not
 * say. topic and sub name the default dead letter topic.
 */
void policy_kv(out_table *k, const Sluice__SubInfo *s);
#endif
