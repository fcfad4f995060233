/*
 * tokenbucket.h - a token bucket for rate limits (messages/s or bytes/s):
 * it refills by elapsed time at `rate` tokens per second up to a burst of
 * one second's worth, and may be debited below zero (a debt later refills
 * repay), so a request larger than the burst still goes through once and
 * the average rate holds.
 *
 * Integer arithmetic only: the level is kept in milli-tokens, and one
 * millisecond adds exactly `rate` milli-tokens, so refilling in many small
 * steps adds exactly what one big step would (no drift, no rounding).
 * Time is the caller's monotonic clock in milliseconds; a clock that goes
 * back refills nothing. Single-threaded; the struct is caller storage.
 */
#ifndef SL_TOKENBUCKET_H
#define SL_TOKENBUCKET_H

#include <stdint.h>

/* Rates above this are treated as this (keeps the arithmetic in range). */
#define TOKENBUCKET_MAX_RATE (UINT64_C(1) << 40)

typedef struct {
	uint64_t rate;     /* tokens per second; 0: unlimited */
	int64_t level;     /* milli-tokens; <= rate * 1000; negative: a debt */
	uint64_t last_ms;  /* when the level was last brought up to date */
} tokenbucket;

/*
 * tokenbucket_init sets rate (tokens/s, 0: unlimited) and a level of
 * `tokens` (capped at the burst) as of now_ms. A new limiter usually starts
 * nearly empty, so its first second is not a burst above the rate.
 */
void tokenbucket_init(tokenbucket *tb, uint64_t rate, uint64_t tokens,
    uint64_t now_ms);
/* Changes the rate, keeping the level (capped at the new burst). */
void tokenbucket_set_rate(tokenbucket *tb, uint64_t rate, uint64_t now_ms);
/* Refills for the time since the last call. */
void tokenbucket_refill(tokenbucket *tb, uint64_t now_ms);
/* Whole tokens available now (0 when empty or in debt); UINT64_MAX when
 * unlimited. Refills first. */
uint64_t tokenbucket_available(tokenbucket *tb, uint64_t now_ms);
/*
 * tokenbucket_take takes n tokens when there are at least min(n, burst),
 * going into debt for a request above the burst; returns 1, or 0 (nothing
 * taken) when the caller must wait. Refills first.
 */
int tokenbucket_take(tokenbucket *tb, uint64_t n, uint64_t now_ms);
/* Takes n tokens unconditionally (the level may go below zero). */
void tokenbucket_debit(tokenbucket *tb, uint64_t n, uint64_t now_ms);
/* Gives back n tokens taken but not used (capped at the burst). */
void tokenbucket_credit(tokenbucket *tb, uint64_t n);
/*
 * Milliseconds from now_ms until tokenbucket_take(n) would succeed: 0 when
 * it would now. Requests above the burst wait for a full bucket. Call
 * after a refill at now_ms (take and available do one).
 */
uint64_t tokenbucket_wait_ms(const tokenbucket *tb, uint64_t n, uint64_t now_ms);
/* Milliseconds until the level is above zero (0: it is). */
uint64_t tokenbucket_positive_in_ms(const tokenbucket *tb, uint64_t now_ms);
#endif
