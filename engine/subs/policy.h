/*
 * policy.h - a subscription's failure policy, dispatch limit and breaker
 * policy: resolving the wire form (unset fields keep the current value or
 * take the default), validating it, turning it back into the wire form for
 * storage and operators, and the backoff schedule. Engine-internal.
 */
#ifndef SL_POLICY_H
#define SL_POLICY_H

#include "sub_impl.h"

typedef subs_policy_update policy_update;

/* Engine defaults (the broker's config may override them). */
void policy_defaults(sub_policy *p, sub_limit *l, sub_breaker *b);

/*
 * Applies u over the current values in p, l and b (which must be resolved:
 * defaults or a stored policy). topic/name name the default dead-letter
 * topic. On error nothing changes and detail says why (SLUICE_EINVAL).
 */
sluice_err policy_apply(sub_policy *p, sub_limit *l, sub_breaker *b,
    const policy_update *u, const char *topic, const char *name,
    char *detail, size_t dlen);
void policy_fini(sub_policy *p);

/* The wire form of resolved policies, every field set. */
typedef subs_policy_wire policy_wire;
void policy_to_wire(const sub_policy *p, const sub_limit *l, const sub_breaker *b,
    policy_wire *w);

/* How long to wait before delivering again a message that failed its
 * attempt-th delivery (1 = first), jitter included. */
uint64_t policy_backoff_ms(const sub_policy *p, uint32_t attempt);
/* "dead_letter", "block", ... */
const char *policy_exhausted_name(Sluice__OnExhausted e);
#endif
