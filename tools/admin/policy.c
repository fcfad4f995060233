/*
 * policy.c - failure policies, rate limits and circuit breakers in
 * sluice-admin (see policy.h): the option rows, option text to the
 * sluice.Admin wrapper fields (a NULL wrapper means "unset": keep the
 * current value, or take the broker's default at creation), and their
 * key: value and JSON forms. What the broker does with them is not here.
 */
#include "policy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "request.h"
#include "units.h"

void
policy_opts(policy_args *a, adm_opt *o)
{
	const adm_opt rows[POLICY_NOPTS] = {
		{ "ack-timeout", 1, &a->ack_timeout },
		{ "backoff", 1, &a->backoff },
		{ "backoff-base", 1, &a->backoff_base },
		{ "backoff-max", 1, &a->backoff_max },
		{ "jitter", 1, &a->jitter },
		{ "max-redeliveries", 1, &a->max_redeliveries },
		{ "on-exhausted", 1, &a->on_exhausted },
		{ "dead-letter-topic", 1, &a->dead_letter_topic },
		{ "rate-msgs", 1, &a->rate_msgs },
		{ "rate-bytes", 1, &a->rate_bytes },
		{ "breaker-failures", 1, &a->breaker_failures },
		{ "breaker-cooldown", 1, &a->breaker_cooldown },
		{ "breaker-cooldown-max", 1, &a->breaker_cooldown_max },
	};
	memcpy(o, rows, sizeof(rows));
}

int
policy_given(const policy_args *a)
{
	const char *const v[POLICY_NOPTS] = { a->ack_timeout, a->backoff,
		a->backoff_base, a->backoff_max, a->jitter, a->max_redeliveries,
		a->on_exhausted, a->dead_letter_topic, a->rate_msgs,
		a->rate_bytes, a->breaker_failures, a->breaker_cooldown,
		a->breaker_cooldown_max };
	int n = 0;
	for (int i = 0; i < POLICY_NOPTS; i++)
		n += v[i] != NULL;
	return n;
}

int
req_fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A duration option into a U32 of milliseconds, when given. */
static int
dur32(const char *opt, const char *s, Sluice__U32 *w, Sluice__U32 **slot,
    char *err, size_t n)
{
	int64_t ms;
	if (s == NULL)
		return 0;
	if (units_parse_duration_ms(s, &ms) != 0 || ms < 0 || ms > UINT32_MAX)
		return req_fail(err, n,
		    "bad --%s '%s' (a duration up to 49d: e.g. 0, 250ms, 30s, 5m)",
		    opt, s);
	sluice__u32__init(w);
	w->value = (uint32_t) ms;
	*slot = w;
	return 0;
}

/* A count option into a U32, when given. */
static int
count32(const char *opt, const char *s, Sluice__U32 *w, Sluice__U32 **slot,
    char *err, size_t n)
{
	uint64_t v;
	if (s == NULL)
		return 0;
	if (units_parse_u64(s, &v) != 0 || v > UINT32_MAX)
		return req_fail(err, n, "bad --%s '%s' (0-%" PRIu32 ")", opt, s,
		    UINT32_MAX);
	sluice__u32__init(w);
	w->value = (uint32_t) v;
	*slot = w;
	return 0;
}

int
policy_rate(const char *msgs, const char *bytes, policy_pb *pb,
    Sluice__RateLimit **out, char *err, size_t n)
{
	uint64_t m = 0, b = 0;
	if (msgs != NULL && units_parse_u64(msgs, &m) != 0)
		return req_fail(err, n,
		    "bad --rate-msgs '%s' (messages per second; 0 = no limit)",
		    msgs);
	if (bytes != NULL && units_parse_size(bytes, &b) != 0)
		return req_fail(err, n,
		    "bad --rate-bytes '%s' (bytes per second, e.g. 1MiB, 500KB; "
		    "0 = no limit)",
		    bytes);
	sluice__rate_limit__init(&pb->limit);
	if (msgs != NULL) {
		sluice__u64__init(&pb->msgs);
		pb->msgs.value = m;
		pb->limit.msgs_per_sec = &pb->msgs;
	}
	if (bytes != NULL) {
		sluice__u64__init(&pb->bytes);
		pb->bytes.value = b;
		pb->limit.bytes_per_sec = &pb->bytes;
	}
	if (msgs != NULL || bytes != NULL)
		*out = &pb->limit;
	return 0;
}

/* The FailurePolicy fields; 1 when any was given, 0 when none, -1. */
static int
failure_policy(const policy_args *a, policy_pb *pb, char *err, size_t n)
{
	Sluice__FailurePolicy *fp = &pb->fp;
	int v;
	sluice__failure_policy__init(fp);
	if (dur32("ack-timeout", a->ack_timeout, &pb->ack_timeout,
	        &fp->ack_timeout_ms, err, n) != 0 ||
	    dur32("backoff-base", a->backoff_base, &pb->base,
	        &fp->backoff_base_ms, err, n) != 0 ||
	    dur32("backoff-max", a->backoff_max, &pb->max, &fp->backoff_max_ms,
	        err, n) != 0 ||
	    count32("max-redeliveries", a->max_redeliveries, &pb->redeliveries,
	        &fp->max_redeliveries, err, n) != 0)
		return -1;
	if (a->backoff != NULL) {
		if (units_parse_backoff(a->backoff, &v) != 0)
			return req_fail(err, n, "bad --backoff '%s' (fixed or exponential)",
			    a->backoff);
		fp->backoff = (Sluice__BackoffKind) v;
	}
	if (a->jitter != NULL) {
		sluice__u32__init(&pb->jitter);
		if (units_parse_percent(a->jitter, &pb->jitter.value) != 0)
			return req_fail(err, n, "bad --jitter '%s' (0-100, e.g. 10 or 10%%)",
			    a->jitter);
		fp->backoff_jitter_pct = &pb->jitter;
	}
	if (a->on_exhausted != NULL) {
		if (units_parse_on_exhausted(a->on_exhausted, &v) != 0)
			return req_fail(err, n,
			    "bad --on-exhausted '%s' (dead-letter, block, drop or park)",
			    a->on_exhausted);
		fp->on_exhausted = (Sluice__OnExhausted) v;
	}
	if (a->dead_letter_topic != NULL) {
		if (!sluice_topic_name_is_valid(a->dead_letter_topic))
			return req_fail(err, n,
			    "bad --dead-letter-topic '%s' (1-255 of [A-Za-z0-9._/-])",
			    a->dead_letter_topic);
		fp->dead_letter_topic = (char *) a->dead_letter_topic;
	}
	if (fp->backoff_base_ms != NULL && fp->backoff_max_ms != NULL &&
	    fp->backoff_max_ms->value < fp->backoff_base_ms->value)
		return req_fail(err, n, "--backoff-max '%s' is below --backoff-base '%s'",
		    a->backoff_max, a->backoff_base);
	return a->ack_timeout || a->backoff || a->backoff_base ||
	    a->backoff_max || a->jitter || a->max_redeliveries ||
	    a->on_exhausted || a->dead_letter_topic;
}

/* The BreakerPolicy fields; 1 when any was given, 0 when none, -1. */
static int
breaker(const policy_args *a, policy_pb *pb, char *err, size_t n)
{
	Sluice__BreakerPolicy *b = &pb->breaker;
	sluice__breaker_policy__init(b);
	if (count32("breaker-failures", a->breaker_failures, &pb->failures,
	        &b->failures, err, n) != 0 ||
	    dur32("breaker-cooldown", a->breaker_cooldown, &pb->cooldown,
	        &b->cooldown_ms, err, n) != 0 ||
	    dur32("breaker-cooldown-max", a->breaker_cooldown_max,
	        &pb->cooldown_max, &b->cooldown_max_ms, err, n) != 0)
		return -1;
	if (b->cooldown_ms != NULL && b->cooldown_max_ms != NULL &&
	    b->cooldown_max_ms->value < b->cooldown_ms->value)
		return req_fail(err, n,
		    "--breaker-cooldown-max '%s' is below --breaker-cooldown '%s'",
		    a->breaker_cooldown_max, a->breaker_cooldown);
	return b->failures != NULL || b->cooldown_ms != NULL ||
	    b->cooldown_max_ms != NULL;
}

int
policy_build(const policy_args *a, policy_pb *pb, Sluice__Admin *rq,
    char *err, size_t n)
{
	Sluice__RateLimit *limit = NULL;
	int has_fp = failure_policy(a, pb, err, n);
	int has_breaker = has_fp < 0 ? -1 : breaker(a, pb, err, n);
	if (has_fp < 0 || has_breaker < 0 ||
	    policy_rate(a->rate_msgs, a->rate_bytes, pb, &limit, err, n) != 0)
		return -1;
	rq->policy = has_fp ? &pb->fp : NULL;
	rq->breaker = has_breaker ? &pb->breaker : NULL;
	rq->dispatch_limit = limit;
	return 0;
}

/* ---- output ----------------------------------------------------------- */

static void
json_u32(out_json *j, const char *key, const Sluice__U32 *w)
{
	if (w != NULL)
		out_json_u64(j, key, w->value);
	else
		out_json_null(j, key);
}

static void
json_u64(out_json *j, const char *key, const Sluice__U64 *w)
{
	if (w != NULL)
		out_json_u64(j, key, w->value);
	else
		out_json_null(j, key);
}

/* An enum as its name; 0 ("unset") as null. */
static void
json_enum(out_json *j, const char *key, int v, const char *name)
{
	if (v == 0)
		out_json_null(j, key);
	else
		out_json_str(j, key, name);
}

void
policy_json(out_json *j, const char *key, const Sluice__FailurePolicy *p)
{
	if (p == NULL) {
		out_json_null(j, key);
		return;
	}
	out_json_obj_open(j, key);
	json_u32(j, "ack_timeout_ms", p->ack_timeout_ms);
	json_enum(j, "backoff", (int) p->backoff,
	    units_backoff_name((int) p->backoff));
	json_u32(j, "backoff_base_ms", p->backoff_base_ms);
	json_u32(j, "backoff_max_ms", p->backoff_max_ms);
	json_u32(j, "backoff_jitter_pct", p->backoff_jitter_pct);
	json_u32(j, "max_redeliveries", p->max_redeliveries);
	json_enum(j, "on_exhausted", (int) p->on_exhausted,
	    units_on_exhausted_name((int) p->on_exhausted));
	out_json_str(j, "dead_letter_topic", p->dead_letter_topic);
	out_json_obj_close(j);
}

void
policy_json_limit(out_json *j, const char *key, const Sluice__RateLimit *l)
{
	if (l == NULL) {
		out_json_null(j, key);
		return;
	}
	out_json_obj_open(j, key);
	json_u64(j, "msgs_per_sec", l->msgs_per_sec);
	json_u64(j, "bytes_per_sec", l->bytes_per_sec);
	out_json_obj_close(j);
}

void
policy_json_breaker(out_json *j, const char *key, const Sluice__BreakerPolicy *b)
{
	if (b == NULL) {
		out_json_null(j, key);
		return;
	}
	out_json_obj_open(j, key);
	json_u32(j, "failures", b->failures);
	json_u32(j, "cooldown_ms", b->cooldown_ms);
	json_u32(j, "cooldown_max_ms", b->cooldown_max_ms);
	out_json_obj_close(j);
}

void
policy_limit_text(const Sluice__RateLimit *l, char *buf, size_t n)
{
	if (l == NULL) {
		snprintf(buf, n, "-");
		return;
	}
	uint64_t m = l->msgs_per_sec ? l->msgs_per_sec->value : 0;
	uint64_t b = l->bytes_per_sec ? l->bytes_per_sec->value : 0;
	char size[32] = "";
	if (b > 0)
		units_format_size(b, size, sizeof(size));
	if (m == 0 && b == 0)
		snprintf(buf, n, "none");
	else if (b == 0)
		snprintf(buf, n, "%" PRIu64 " msg/s", m);
	else if (m == 0)
		snprintf(buf, n, "%s/s", size);
	else
		snprintf(buf, n, "%" PRIu64 " msg/s, %s/s", m, size);
}

/* "30000 (30s)", "0 (<zero>)" or "-" when the broker did not say. */
static void
kv_ms(out_table *k, const char *key, const Sluice__U32 *w, const char *zero)
{
	char d[64];
	if (w == NULL) {
		out_kv(k, key, "-");
	} else if (w->value == 0 && zero != NULL) {
		out_kv(k, key, "0 (%s)", zero);
	} else {
		units_format_duration_ms(w->value, d, sizeof(d));
		out_kv(k, key, "%" PRIu32 " (%s)", w->value, d);
	}
}

static void
kv_count(out_table *k, const char *key, const Sluice__U32 *w, const char *zero)
{
	if (w == NULL)
		out_kv(k, key, "-");
	else if (w->value == 0 && zero != NULL)
		out_kv(k, key, "0 (%s)", zero);
	else
		out_kv(k, key, "%" PRIu32, w->value);
}

void
policy_kv(out_table *k, const Sluice__SubInfo *s)
{
	static const Sluice__FailurePolicy none = SLUICE__FAILURE_POLICY__INIT;
	static const Sluice__BreakerPolicy no_breaker =
	    SLUICE__BREAKER_POLICY__INIT;
	const Sluice__FailurePolicy *p = s->policy ? s->policy : &none;
	const Sluice__BreakerPolicy *b = s->breaker ? s->breaker : &no_breaker;
	char limit[96];
	kv_ms(k, "ack_timeout_ms", p->ack_timeout_ms, "off");
	out_kv(k, "backoff", "%s", p->backoff ? units_backoff_name((int) p->backoff)
	                                      : "-");
	kv_ms(k, "backoff_base_ms", p->backoff_base_ms, NULL);
	kv_ms(k, "backoff_max_ms", p->backoff_max_ms, NULL);
	if (p->backoff_jitter_pct != NULL)
		out_kv(k, "backoff_jitter_pct", "%" PRIu32 "%%",
		    p->backoff_jitter_pct->value);
	else
		out_kv(k, "backoff_jitter_pct", "-");
	kv_count(k, "max_redeliveries", p->max_redeliveries, "unlimited");
	out_kv(k, "on_exhausted", "%s",
	    p->on_exhausted ? units_on_exhausted_name((int) p->on_exhausted)
	                    : "-");
	if (p->dead_letter_topic != NULL && p->dead_letter_topic[0] != '\0')
		out_kv(k, "dead_letter_topic", "%s", p->dead_letter_topic);
	else
		out_kv(k, "dead_letter_topic", "%s.%s.dlq (default)", s->topic,
		    s->name);
	policy_limit_text(s->dispatch_limit, limit, sizeof(limit));
	out_kv(k, "dispatch_limit", "%s", limit);
	kv_count(k, "breaker_failures", b->failures, "off");
	kv_ms(k, "breaker_cooldown_ms", b->cooldown_ms, NULL);
	kv_ms(k, "breaker_cooldown_max_ms", b->cooldown_max_ms, NULL);
}
