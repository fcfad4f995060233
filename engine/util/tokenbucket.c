/* tokenbucket.c - token buckets in milli-tokens (see tokenbucket.h). */
#include "tokenbucket.h"

/* Requests are capped here so that n * 1000 stays far inside int64. */
#define MAX_TOKENS (TOKENBUCKET_MAX_RATE * 1000)
/* The deepest debt kept: debits beyond it are forgotten. */
#define MIN_LEVEL (-(INT64_MAX / 2))

static int64_t
milli(uint64_t n)
{
	return (int64_t) (n > MAX_TOKENS ? MAX_TOKENS : n) * 1000;
}

/* The burst: one second's worth, in milli-tokens. */
static int64_t
cap(const tokenbucket *tb)
{
	return (int64_t) tb->rate * 1000;
}

static uint64_t
clamp_rate(uint64_t rate)
{
	return rate > TOKENBUCKET_MAX_RATE ? TOKENBUCKET_MAX_RATE : rate;
}

void
tokenbucket_init(tokenbucket *tb, uint64_t rate, uint64_t tokens, uint64_t now_ms)
{
	tb->rate = clamp_rate(rate);
	tb->level = milli(tokens);
	if (tb->level > cap(tb))
		tb->level = cap(tb);
	tb->last_ms = now_ms;
}

void
tokenbucket_set_rate(tokenbucket *tb, uint64_t rate, uint64_t now_ms)
{
	tokenbucket_refill(tb, now_ms);
	tb->rate = clamp_rate(rate);
	if (tb->level > cap(tb))
		tb->level = cap(tb);
	tb->last_ms = now_ms > tb->last_ms ? now_ms : tb->last_ms;
}

void
tokenbucket_refill(tokenbucket *tb, uint64_t now_ms)
{
	if (now_ms <= tb->last_ms)
		return; /* same millisecond, or the clock went back */
	uint64_t elapsed = now_ms - tb->last_ms;
	tb->last_ms = now_ms;
	if (tb->rate == 0)
		return;
	/* Each millisecond adds exactly `rate` milli-tokens. Compare in
	 * time first so the product cannot overflow. */
	uint64_t missing = (uint64_t) (cap(tb) - tb->level);
	if (elapsed >= (missing + tb->rate - 1) / tb->rate)
		tb->level = cap(tb);
	else
		tb->level += (int64_t) (elapsed * tb->rate);
}

uint64_t
tokenbucket_available(tokenbucket *tb, uint64_t now_ms)
{
	if (tb->rate == 0)
		return UINT64_MAX;
	tokenbucket_refill(tb, now_ms);
	return tb->level <= 0 ? 0 : (uint64_t) (tb->level / 1000);
}

void
tokenbucket_debit(tokenbucket *tb, uint64_t n, uint64_t now_ms)
{
	if (tb->rate == 0)
		return;
	tokenbucket_refill(tb, now_ms);
	tb->level -= milli(n);
	if (tb->level < MIN_LEVEL)
		tb->level = MIN_LEVEL;
}

int
tokenbucket_take(tokenbucket *tb, uint64_t n, uint64_t now_ms)
{
	if (tb->rate == 0)
		return 1;
	tokenbucket_refill(tb, now_ms);
	if (tokenbucket_wait_ms(tb, n, now_ms) != 0)
		return 0;
	tokenbucket_debit(tb, n, now_ms);
	return 1;
}

void
tokenbucket_credit(tokenbucket *tb, uint64_t n)
{
	if (tb->rate == 0)
		return;
	int64_t room = cap(tb) - tb->level;
	int64_t m = milli(n);
	tb->level = m >= room ? cap(tb) : tb->level + m;
}

/* Milliseconds until the level reaches target (milli-tokens). */
static uint64_t
until(const tokenbucket *tb, int64_t target, uint64_t now_ms)
{
	if (tb->rate == 0 || tb->level >= target)
		return 0;
	uint64_t missing = (uint64_t) (target - tb->level);
	uint64_t ms = (missing + tb->rate - 1) / tb->rate;
	/* The level is as of last_ms, which may be ahead of now_ms. */
	if (tb->last_ms > now_ms)
		ms += tb->last_ms - now_ms;
	return ms;
}

uint64_t
tokenbucket_wait_ms(const tokenbucket *tb, uint64_t n, uint64_t now_ms)
{
	int64_t target = milli(n);
	if (target > cap(tb))
		target = cap(tb);
	return until(tb, target, now_ms);
}

uint64_t
tokenbucket_positive_in_ms(const tokenbucket *tb, uint64_t now_ms)
{
	return until(tb, 1, now_ms);
}
