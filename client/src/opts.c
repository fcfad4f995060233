/*
 * opts.c - connection, producer and consumer options: defaults,
 * validation, setters.
 * Options are plain values; the client and producers copy what they keep,
 * so an options object may be freed or reused right after an open call.
 * Not thread-safe: one thread configures an options object.
 */
#include <string.h>

#include "alloc.h"
#include "client_impl.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_REQUEST_TIMEOUT_MS 30000
#define DEFAULT_BATCH_MESSAGES 1000
#define DEFAULT_BATCH_BYTES (256u * 1024u)
#define DEFAULT_LINGER_MS 0
#define DEFAULT_WINDOW 1000
/* A linger beyond a minute is surely a unit mistake (seconds for ms). */
#define MAX_LINGER_MS 60000

sluice_err
sluice_opts_alloc(sluice_opts **out)
{
	if (out == NULL)
		return SLUICE_EINVAL;
	sluice_opts *o = sl_alloc(sizeof(*o));
	if (o == NULL)
		return SLUICE_ENOMEM;
	o->url = sl_strdup(SLUICE_DEFAULT_URL);
	o->name = sl_strdup("libsluice");
	if (o->url == NULL || o->name == NULL) {
		sluice_opts_free(o);
		return SLUICE_ENOMEM;
	}
	o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	o->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
	*out = o;
	return SLUICE_OK;
}

void
sluice_opts_free(sluice_opts *o)
{
	if (o == NULL)
		return;
	sl_free(o->url);
	sl_free(o->name);
	sl_free(o->token);
	sl_free(o->tls_ca);
	sl_free(o->tls_cert);
	sl_free(o->tls_key);
	sl_free(o->tls_server_name);
	sl_free(o);
}

/* Replaces *slot with a copy of s; *slot is untouched on failure. */
static sluice_err
set_string(char **slot, const char *s)
{
	if (s == NULL || *s == '\0')
		return SLUICE_EINVAL;
	char *copy = sl_strdup(s);
	if (copy == NULL)
		return SLUICE_ENOMEM;
	sl_free(*slot);
	*slot = copy;
	return SLUICE_OK;
}

sluice_err
sluice_opts_set_url(sluice_opts *o, const char *url)
{
	if (o == NULL)
		return SLUICE_EINVAL;
	return set_string(&o->url, url);
}

sluice_err
sluice_opts_set_name(sluice_opts *o, const char *name)
{
	if (o == NULL)
		return SLUICE_EINVAL;
	return set_string(&o->name, name);
}

sluice_err
sluice_opts_set_token(sluice_opts *o, const char *token)
{
	if (o == NULL)
		return SLUICE_EINVAL;
	if (token == NULL || *token == '\0') {
		sl_free(o->token);
		o->token = NULL;
		return SLUICE_OK;
	}
	return set_string(&o->token, token);
}

/* Like set_string, but NULL or "" clears the slot. */
static sluice_err
set_or_clear(char **slot, const char *s)
{
	if (s == NULL || *s == '\0') {
		sl_free(*slot);
		*slot = NULL;
		return SLUICE_OK;
	}
	return set_string(slot, s);
}

sluice_err
sluice_opts_set_tls_ca(sluice_opts *o, const char *ca_file)
{
	if (o == NULL)
		return SLUICE_EINVAL;
	return set_or_clear(&o->tls_ca, ca_file);
}

sluice_err
sluice_opts_set_tls_cert(sluice_opts *o, const char *cert_file, const char *key_file)
{
	int has_cert = cert_file != NULL && *cert_file != '\0';
	int has_key = key_file != NULL && *key_file != '\0';
	if (o == NULL || has_cert != has_key)
		return SLUICE_EINVAL;
	char *cert = has_cert ? sl_strdup(cert_file) : NULL;
	char *key = has_key ? sl_strdup(key_file) : NULL;
	if (has_cert && (cert == NULL || key == NULL)) {
		sl_free(cert);
		sl_free(key);
		return SLUICE_ENOMEM;
	}
	sl_free(o->tls_cert);
	sl_free(o->tls_key);
	o->tls_cert = cert;
	o->tls_key = key;
	return SLUICE_OK;
}

sluice_err
sluice_opts_set_tls_server_name(sluice_opts *o, const char *name)
{
	if (o == NULL)
		return SLUICE_EINVAL;
	return set_or_clear(&o->tls_server_name, name);
}

sluice_err
sluice_opts_set_connect_timeout(sluice_opts *o, int ms)
{
	if (o == NULL || ms <= 0)
		return SLUICE_EINVAL;
	o->connect_timeout_ms = ms;
	return SLUICE_OK;
}

sluice_err
sluice_opts_set_request_timeout(sluice_opts *o, int ms)
{
	if (o == NULL || ms <= 0)
		return SLUICE_EINVAL;
	o->request_timeout_ms = ms;
	return SLUICE_OK;
}

void
opts_producer_defaults(sluice_producer_opts *po)
{
	po->batch_max_messages = DEFAULT_BATCH_MESSAGES;
	po->batch_max_bytes = DEFAULT_BATCH_BYTES;
	po->linger_ms = DEFAULT_LINGER_MS;
	po->window = DEFAULT_WINDOW;
	po->block = 1;
}

sluice_err
sluice_producer_opts_alloc(sluice_producer_opts **out)
{
	if (out == NULL)
		return SLUICE_EINVAL;
	sluice_producer_opts *po = sl_alloc(sizeof(*po));
	if (po == NULL)
		return SLUICE_ENOMEM;
	opts_producer_defaults(po);
	*out = po;
	return SLUICE_OK;
}

void
sluice_producer_opts_free(sluice_producer_opts *po)
{
	sl_free(po);
}

sluice_err
sluice_producer_opts_set_batch(sluice_producer_opts *po,
    uint32_t max_messages, uint32_t max_bytes, uint32_t linger_ms)
{
	if (po == NULL || max_messages == 0 || max_bytes == 0 ||
	    linger_ms > MAX_LINGER_MS)
		return SLUICE_EINVAL;
	po->batch_max_messages = max_messages;
	po->batch_max_bytes = max_bytes;
	po->linger_ms = linger_ms;
	return SLUICE_OK;
}

sluice_err
sluice_producer_opts_set_window(sluice_producer_opts *po, uint32_t max_in_flight)
{
	if (po == NULL || max_in_flight == 0)
		return SLUICE_EINVAL;
	po->window = max_in_flight;
	return SLUICE_OK;
}

sluice_err
sluice_producer_opts_set_block(sluice_producer_opts *po, int block)
{
	if (po == NULL)
		return SLUICE_EINVAL;
	po->block = block != 0;
	return SLUICE_OK;
}

/* ---- consumer options ----------------------------------------------- */

#define DEFAULT_CONSUMER_WINDOW 0 /* the broker's default (subscriptions.defaults.window, 1000) */
#define MAX_CONSUMER_WINDOW 65535

sluice_err
sluice_consumer_opts_alloc(sluice_consumer_opts **out)
{
	if (out == NULL)
		return SLUICE_EINVAL;
	sluice_consumer_opts *co = sl_alloc(sizeof(*co));
	if (co == NULL)
		return SLUICE_ENOMEM;
	if ((co->name = sl_strdup("libsluice")) == NULL) {
		sl_free(co);
		return SLUICE_ENOMEM;
	}
	co->type = SLUICE_SUB_EXCLUSIVE;
	co->mode = SLUICE_RELIABLE;
	co->window = DEFAULT_CONSUMER_WINDOW;
	co->start = SLUICE_START_LATEST;
	co->overflow = SLUICE_OVERFLOW_DEFAULT;
	*out = co;
	return SLUICE_OK;
}

void
sluice_consumer_opts_free(sluice_consumer_opts *co)
{
	if (co == NULL)
		return;
	sl_free(co->name);
	sl_free(co->dlq);
	sl_free(co);
}

sluice_err
sluice_consumer_opts_set_type(sluice_consumer_opts *co, sluice_sub_type type)
{
	if (co == NULL || (type != SLUICE_SUB_EXCLUSIVE &&
	                      type != SLUICE_SUB_FAILOVER &&
	                      type != SLUICE_SUB_SHARED &&
	                      type != SLUICE_SUB_KEY_SHARED))
		return SLUICE_EINVAL;
	co->type = type;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_mode(sluice_consumer_opts *co, sluice_sub_mode mode)
{
	if (co == NULL || (mode != SLUICE_RELIABLE && mode != SLUICE_NON_RELIABLE))
		return SLUICE_EINVAL;
	co->mode = mode;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_window(sluice_consumer_opts *co, uint32_t window)
{
	if (co == NULL || window == 0 || window > MAX_CONSUMER_WINDOW)
		return SLUICE_EINVAL;
	co->window = window;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_start(
    sluice_consumer_opts *co, sluice_start start, uint64_t offset)
{
	if (co == NULL || (start != SLUICE_START_LATEST &&
	                      start != SLUICE_START_EARLIEST &&
	                      start != SLUICE_START_OFFSET))
		return SLUICE_EINVAL;
	co->start = start;
	co->start_offset = start == SLUICE_START_OFFSET ? offset : 0;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_name(sluice_consumer_opts *co, const char *name)
{
	if (co == NULL)
		return SLUICE_EINVAL;
	return set_string(&co->name, name);
}

sluice_err
sluice_consumer_opts_set_priority(sluice_consumer_opts *co, int32_t priority)
{
	if (co == NULL)
		return SLUICE_EINVAL;
	co->priority = priority;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_overflow(sluice_consumer_opts *co,
    sluice_overflow overflow, uint32_t queue_size)
{
	if (co == NULL || (overflow != SLUICE_OVERFLOW_DEFAULT &&
	                      overflow != SLUICE_DROP_NEWEST &&
	                      overflow != SLUICE_DROP_OLDEST &&
	                      overflow != SLUICE_BLOCK))
		return SLUICE_EINVAL;
	co->overflow = overflow;
	co->queue_size = queue_size;
	return SLUICE_OK;
}

/* ---- a new subscription's policies (issue #6) -------------------------- */

#define MAX_JITTER_PCT 100

static int
policy_is_valid(const sluice_failure_policy *p)
{
	if (p->backoff != SLUICE_BACKOFF_DEFAULT &&
	    p->backoff != SLUICE_BACKOFF_EXPONENTIAL &&
	    p->backoff != SLUICE_BACKOFF_FIXED)
		return 0;
	if (p->on_exhausted != SLUICE_EXHAUSTED_DEFAULT &&
	    p->on_exhausted != SLUICE_EXHAUSTED_DEAD_LETTER &&
	    p->on_exhausted != SLUICE_EXHAUSTED_BLOCK &&
	    p->on_exhausted != SLUICE_EXHAUSTED_DROP &&
	    p->on_exhausted != SLUICE_EXHAUSTED_PARK)
		return 0;
	if (p->has_backoff_jitter && p->backoff_jitter_pct > MAX_JITTER_PCT)
		return 0;
	if (p->has_backoff_base && p->has_backoff_max &&
	    p->backoff_max_ms < p->backoff_base_ms)
		return 0;
	return p->dead_letter_topic == NULL || p->dead_letter_topic[0] == '\0' ||
	    sluice_topic_name_is_valid(p->dead_letter_topic);
}

sluice_err
sluice_consumer_opts_set_failure_policy(
    sluice_consumer_opts *co, const sluice_failure_policy *p)
{
	static const sluice_failure_policy unset = SLUICE_FAILURE_POLICY_INIT;
	if (co == NULL || (p != NULL && !policy_is_valid(p)))
		return SLUICE_EINVAL;
	if (p == NULL)
		p = &unset;
	char *dlq = NULL;
	if (p->dead_letter_topic != NULL && p->dead_letter_topic[0] != '\0' &&
	    (dlq = sl_strdup(p->dead_letter_topic)) == NULL)
		return SLUICE_ENOMEM;
	sl_free(co->dlq);
	co->dlq = dlq;
	co->policy = *p;
	co->policy.dead_letter_topic = dlq; /* the caller's string is borrowed */
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_dispatch_limit(
    sluice_consumer_opts *co, uint64_t msgs_per_sec, uint64_t bytes_per_sec)
{
	if (co == NULL)
		return SLUICE_EINVAL;
	co->has_limit = 1;
	co->limit_msgs = msgs_per_sec;
	co->limit_bytes = bytes_per_sec;
	return SLUICE_OK;
}

sluice_err
sluice_consumer_opts_set_breaker(sluice_consumer_opts *co, uint32_t failures,
    uint32_t cooldown_ms, uint32_t cooldown_max_ms)
{
	if (co == NULL || cooldown_max_ms < cooldown_ms)
		return SLUICE_EINVAL;
	co->has_breaker = 1;
	co->breaker_failures = failures;
	co->breaker_cooldown_ms = cooldown_ms;
	co->breaker_cooldown_max_ms = cooldown_max_ms;
	return SLUICE_OK;
}
