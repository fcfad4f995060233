/* policy.c - resolving and validating subscription policies (policy.h). */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define DEF_ACK_TIMEOUT_MS 30000
#define DEF_BACKOFF_BASE_MS 1000
#define DEF_BACKOFF_MAX_MS 60000
#define DEF_MAX_REDELIVERIES 5
#define DEF_BREAKER_FAILURES 5
#define DEF_BREAKER_COOLDOWN_MS 1000
#define DEF_BREAKER_COOLDOWN_MAX_MS 60000
/* A day: longer waits are almost certainly a unit mistake. */
#define MAX_DELAY_MS 86400000u

void
policy_defaults(sub_policy *p, sub_limit *l, sub_breaker *b)
{
	*p = (sub_policy) {
		.ack_timeout_ms = DEF_ACK_TIMEOUT_MS,
		.backoff = SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL,
		.backoff_base_ms = DEF_BACKOFF_BASE_MS,
		.backoff_max_ms = DEF_BACKOFF_MAX_MS,
		.jitter_pct = 0,
		.max_redeliveries = DEF_MAX_REDELIVERIES,
		.on_exhausted = SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER,
		.dead_letter_topic = NULL,
	};
	*l = (sub_limit) { 0, 0 };
	*b = (sub_breaker) { DEF_BREAKER_FAILURES, DEF_BREAKER_COOLDOWN_MS,
		DEF_BREAKER_COOLDOWN_MAX_MS };
}

void
policy_fini(sub_policy *p)
{
	sl_free(p->dead_letter_topic);
	p->dead_letter_topic = NULL;
}

static sluice_err
bad(char *detail, size_t dlen, const char *what)
{
	snprintf(detail, dlen, "%s", what);
	return SLUICE_EINVAL;
}

sluice_err
policy_apply(sub_policy *p, sub_limit *l, sub_breaker *b, const policy_update *u,
    const char *topic, const char *name, char *detail, size_t dlen)
{
	sub_policy np = *p;
	sub_limit nl = *l;
	sub_breaker nb = *b;
	const Sluice__FailurePolicy *f = u->policy;
	if (f != NULL) {
		if (f->ack_timeout_ms)
			np.ack_timeout_ms = f->ack_timeout_ms->value;
		if (f->backoff != SLUICE__BACKOFF_KIND__BACKOFF_UNSET)
			np.backoff = f->backoff;
		if (f->backoff_base_ms)
			np.backoff_base_ms = f->backoff_base_ms->value;
		if (f->backoff_max_ms)
			np.backoff_max_ms = f->backoff_max_ms->value;
		if (f->backoff_jitter_pct)
			np.jitter_pct = f->backoff_jitter_pct->value;
		if (f->max_redeliveries)
			np.max_redeliveries = f->max_redeliveries->value;
		if (f->on_exhausted != SLUICE__ON_EXHAUSTED__EXHAUSTED_UNSET)
			np.on_exhausted = f->on_exhausted;
	}
	if (np.backoff != SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL &&
	    np.backoff != SLUICE__BACKOFF_KIND__BACKOFF_FIXED)
		return bad(detail, dlen, "backoff must be fixed or exponential");
	if (np.on_exhausted < SLUICE__ON_EXHAUSTED__EXHAUSTED_DEAD_LETTER ||
	    np.on_exhausted > SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK)
		return bad(detail, dlen, "on_exhausted must be dead_letter, block, drop or park");
	if (np.jitter_pct > 100)
		return bad(detail, dlen, "backoff jitter is a percentage: 0..100");
	if (np.backoff_base_ms > MAX_DELAY_MS || np.backoff_max_ms > MAX_DELAY_MS ||
	    np.ack_timeout_ms > MAX_DELAY_MS)
		return bad(detail, dlen, "ack timeout and backoff must be at most a day");
	if (np.backoff_max_ms < np.backoff_base_ms)
		return bad(detail, dlen, "backoff max must not be below its base");
	if (u->limit != NULL) {
		if (u->limit->msgs_per_sec)
			nl.msgs_per_sec = u->limit->msgs_per_sec->value;
		if (u->limit->bytes_per_sec)
			nl.bytes_per_sec = u->limit->bytes_per_sec->value;
	}
	if (u->breaker != NULL) {
		if (u->breaker->failures)
			nb.failures = u->breaker->failures->value;
		if (u->breaker->cooldown_ms)
			nb.cooldown_ms = u->breaker->cooldown_ms->value;
		if (u->breaker->cooldown_max_ms)
			nb.cooldown_max_ms = u->breaker->cooldown_max_ms->value;
	}
	if (nb.cooldown_max_ms < nb.cooldown_ms || nb.cooldown_max_ms > MAX_DELAY_MS)
		return bad(detail, dlen, "breaker cool-down max must be at least its "
		                         "cool-down and at most a day");

	/* The dead-letter topic: given, kept, or "<topic>.<subscription>.dlq". */
	const char *dlq = f != NULL && f->dead_letter_topic != NULL &&
	        f->dead_letter_topic[0] != '\0' ? f->dead_letter_topic : p->dead_letter_topic;
	char def[600];
	if (dlq == NULL) {
		snprintf(def, sizeof(def), "%s.%s.dlq", topic, name);
		dlq = def;
	}
	if (!sluice_topic_name_is_valid(dlq)) {
		snprintf(detail, dlen, "invalid dead-letter topic '%.64s' (set one "
		    "with a valid name)", dlq);
		return SLUICE_EINVAL;
	}
	if (strcmp(dlq, topic) == 0)
		return bad(detail, dlen, "the dead-letter topic cannot be the topic itself");
	char *copy = sl_strdup(dlq);
	if (copy == NULL)
		return SLUICE_ENOMEM;
	sl_free(p->dead_letter_topic);
	np.dead_letter_topic = copy;
	*p = np;
	*l = nl;
	*b = nb;
	return SLUICE_OK;
}

void
policy_to_wire(const sub_policy *p, const sub_limit *l, const sub_breaker *b,
    policy_wire *w)
{
	sluice__failure_policy__init(&w->policy);
	sluice__rate_limit__init(&w->limit);
	sluice__breaker_policy__init(&w->breaker);
	for (size_t i = 0; i < 8; i++)
		sluice__u32__init(&w->u32[i]);
	for (size_t i = 0; i < 2; i++)
		sluice__u64__init(&w->u64[i]);
	w->u32[0].value = p->ack_timeout_ms;
	w->u32[1].value = p->backoff_base_ms;
	w->u32[2].value = p->backoff_max_ms;
	w->u32[3].value = p->jitter_pct;
	w->u32[4].value = p->max_redeliveries;
	w->u32[5].value = b->failures;
	w->u32[6].value = b->cooldown_ms;
	w->u32[7].value = b->cooldown_max_ms;
	w->u64[0].value = l->msgs_per_sec;
	w->u64[1].value = l->bytes_per_sec;
	w->policy.ack_timeout_ms = &w->u32[0];
	w->policy.backoff = p->backoff;
	w->policy.backoff_base_ms = &w->u32[1];
	w->policy.backoff_max_ms = &w->u32[2];
	w->policy.backoff_jitter_pct = &w->u32[3];
	w->policy.max_redeliveries = &w->u32[4];
	w->policy.on_exhausted = p->on_exhausted;
	w->policy.dead_letter_topic = p->dead_letter_topic ? p->dead_letter_topic : (char *) "";
	w->limit.msgs_per_sec = &w->u64[0];
	w->limit.bytes_per_sec = &w->u64[1];
	w->breaker.failures = &w->u32[5];
	w->breaker.cooldown_ms = &w->u32[6];
	w->breaker.cooldown_max_ms = &w->u32[7];
}

uint64_t
policy_backoff_ms(const sub_policy *p, uint32_t attempt)
{
	uint64_t d = p->backoff_base_ms;
	if (p->backoff == SLUICE__BACKOFF_KIND__BACKOFF_EXPONENTIAL) {
		for (uint32_t i = 1; i < attempt && d < p->backoff_max_ms; i++)
			d *= 2;
	}
	if (d > p->backoff_max_ms)
		d = p->backoff_max_ms;
	if (p->jitter_pct > 0 && d > 0) {
		/* Uniform in [d - j, d + j]: spreads retries of a burst. */
		uint64_t j = d * p->jitter_pct / 100;
		uint64_t r = (uint64_t) random() % (2 * j + 1);
		d = d - j + r;
	}
	return d;
}

const char *
policy_exhausted_name(Sluice__OnExhausted e)
{
	switch (e) {
	case SLUICE__ON_EXHAUSTED__EXHAUSTED_BLOCK:
		return "block";
	case SLUICE__ON_EXHAUSTED__EXHAUSTED_DROP:
		return "drop";
	case SLUICE__ON_EXHAUSTED__EXHAUSTED_PARK:
		return "park";
	default:
		return "dead_letter";
	}
}
