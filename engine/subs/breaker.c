/*
 * breaker.c - the circuit breaker of each consumer of a reliable
 * subscription. A consumer whose last K deliveries all failed (nacked or
 * timed out; K = sub->breaker.failures, 0 turns the breaker off) is OPEN:
 * it gets nothing new for a cool-down while the other consumers go on.
 * Then it is HALF-OPEN: exactly one message (the probe) goes to it; a
 * success closes the breaker and resets the cool-down, a failure opens it
 * again for twice the previous cool-down, up to cooldown_max_ms.
 *
 * The state lives in consumer->breaker, allocated at the first failure and
 * freed at the next success while closed, so a healthy consumer costs
 * nothing. Results come from subs.c/retry.c (breaker_on_result); the
 * dispatchers ask disp_can_take, which asks breaker_admits; deliver.c
 * clamps a half-open consumer's fill to the probe. Times are the engine's
 * loop milliseconds (s->now_ms). Loop thread only.
 */
#include "alloc.h"
#include "log.h"
#include "sub_impl.h"

typedef enum { BR_CLOSED, BR_OPEN, BR_HALF_OPEN } br_state;

typedef struct {
	subs *s;              /* for the dispatchers' check, which has no s */
	br_state state;
	uint32_t failures;    /* consecutive failed results */
	uint32_t cooldown_ms; /* the current (or last) open period */
	uint64_t until_ms;    /* open: when it becomes half-open */
	uint64_t probe_mark;  /* half-open: c->delivered when it began; the
	                       * probe is out once c->delivered moves on */
} breaker;

static const char *const state_names[] = { "closed", "open", "half_open" };

static void
log_transition(const consumer *c, const breaker *b, const char *event)
{
	const subscription *sub = c->sub;
	sl_event(b->state == BR_OPEN ? SL_LOG_WARN : SL_LOG_INFO, event,
	    SL_FIELDS(SL_STR("topic", tlog_topic_name(sub->topic)),
	        SL_STR("subscription", sub->name), SL_U64("consumer_id", c->id),
	        SL_STR("consumer", c->name), SL_U64("failures", b->failures),
	        SL_U64("cooldown_ms", b->cooldown_ms)),
	    "subscription %s on %s: consumer %llu '%s': circuit breaker %s%s",
	    sub->name, tlog_topic_name(sub->topic), (unsigned long long) c->id,
	    c->name != NULL ? c->name : "", state_names[b->state],
	    b->state == BR_OPEN ? " (its deliveries keep failing)" : "");
}

/* Opens b: the first time for the base cool-down, again (after a failed
 * probe) for twice the last one, capped. */
static void
open_breaker(breaker *b, consumer *c, uint64_t now_ms)
{
	const sub_breaker *p = &c->sub->breaker;
	uint64_t cd = p->cooldown_ms;
	if (b->state == BR_HALF_OPEN)
		cd = (uint64_t) b->cooldown_ms * 2;
	uint64_t cap = p->cooldown_max_ms > p->cooldown_ms ? p->cooldown_max_ms
	                                                   : p->cooldown_ms;
	if (cd > cap)
		cd = cap;
	b->cooldown_ms = (uint32_t) cd;
	b->state = BR_OPEN;
	b->until_ms = now_ms + cd;
	b->s->breaker_opens++;
	log_transition(c, b, "breaker_open");
	/* Wake the subscription when the probe may go. */
	subs_schedule(b->s, c->sub, b->until_ms);
}

static void
close_breaker(breaker *b, consumer *c)
{
	b->state = BR_CLOSED;
	b->failures = 0;
	b->cooldown_ms = 0;
	log_transition(c, b, "breaker_close");
}

/* An open breaker whose cool-down has ended lets the probe go. */
static void
maybe_half_open(breaker *b, const consumer *c, uint64_t now_ms)
{
	if (b->state != BR_OPEN || now_ms < b->until_ms)
		return;
	b->state = BR_HALF_OPEN;
	b->probe_mark = c->delivered;
	log_transition(c, b, "breaker_half_open");
}

/* The breaker was turned off (failures 0): forget its state. */
static void
turn_off(consumer *c)
{
	breaker *b = c->breaker;
	if (b->state != BR_CLOSED)
		close_breaker(b, c);
	breaker_free(c);
}

void
breaker_on_result(subs *s, consumer *c, int ok, uint64_t now_ms)
{
	breaker *b = c->breaker;
	uint32_t k = c->sub->breaker.failures;
	if (b == NULL) {
		if (ok || k == 0)
			return;
		if ((b = sl_alloc(sizeof(*b))) == NULL)
			return; /* out of memory: the breaker stays closed */
		*b = (breaker) { .s = s, .state = BR_CLOSED };
		c->breaker = b;
	}
	if (k == 0) {
		turn_off(c);
		return;
	}
	maybe_half_open(b, c, now_ms);
	switch (b->state) {
	case BR_CLOSED:
		if (ok) {
			breaker_free(c); /* healthy again: nothing to keep */
		} else if (++b->failures >= k) {
			open_breaker(b, c, now_ms);
		}
		break;
	case BR_OPEN:
		/* Results of what it held before opening: the cool-down
		 * stands either way. */
		if (!ok)
			b->failures++;
		break;
	case BR_HALF_OPEN:
		if (ok) {
			close_breaker(b, c);
		} else {
			b->failures++;
			open_breaker(b, c, now_ms);
		}
		break;
	}
}

static int
allows(breaker *b, const consumer *c, uint64_t now_ms, size_t *max)
{
	*max = SIZE_MAX;
	maybe_half_open(b, c, now_ms);
	switch (b->state) {
	case BR_OPEN:
		return 0;
	case BR_HALF_OPEN:
		if (c->delivered != b->probe_mark)
			return 0; /* the probe is out: wait for its result */
		*max = 1;
		return 1;
	default:
		return 1;
	}
}

int
breaker_allows(subs *s, consumer *c, uint64_t now_ms, size_t *max)
{
	(void) s;
	*max = SIZE_MAX;
	if (c->breaker == NULL)
		return 1;
	if (c->sub->breaker.failures == 0) {
		turn_off(c);
		return 1;
	}
	return allows(c->breaker, c, now_ms, max);
}

int
breaker_admits(const consumer *c)
{
	breaker *b = c->breaker;
	size_t max;
	if (b == NULL || c->sub->breaker.failures == 0)
		return 1; /* breaker_allows forgets a turned-off state */
	return allows(b, c, b->s->now_ms, &max);
}

int
breaker_is_open(const consumer *c, uint64_t now_ms)
{
	const breaker *b = c->breaker;
	if (b == NULL || c->sub->breaker.failures == 0)
		return 0;
	if (b->state == BR_OPEN)
		return now_ms < b->until_ms;
	return b->state == BR_HALF_OPEN && c->delivered != b->probe_mark;
}

void
breaker_describe(const consumer *c, uint64_t now_ms, const char **state,
    uint64_t *open_ms_left, uint32_t *recent_failures)
{
	const breaker *b = c->breaker;
	*state = state_names[BR_CLOSED];
	*open_ms_left = 0;
	*recent_failures = 0;
	if (b == NULL || c->sub->breaker.failures == 0)
		return;
	*recent_failures = b->failures;
	if (b->state == BR_OPEN && now_ms < b->until_ms) {
		*state = state_names[BR_OPEN];
		*open_ms_left = b->until_ms - now_ms;
	} else if (b->state != BR_CLOSED) {
		*state = state_names[BR_HALF_OPEN]; /* open past its cool-down too */
	}
}

uint64_t
subs_breaker_opens_total(const subs *s)
{
	return s->breaker_opens;
}

void
breaker_free(consumer *c)
{
	sl_free(c->breaker);
	c->breaker = NULL;
}
