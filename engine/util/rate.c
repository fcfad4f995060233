/* rate.c - smoothed per-second rate of a counter (see rate.h). */
#include "rate.h"

#include <math.h>

/* The time constant: a step change shows ~63% after this long. */
#define RATE_TAU_MS 10000.0

void
rate_tick(rate *r, uint64_t count, uint64_t now_ms)
{
	if (r->last_ms == 0 || now_ms <= r->last_ms || count < r->last_count) {
		r->last_ms = now_ms;
		r->last_count = count;
		return;
	}
	double dt = (double) (now_ms - r->last_ms);
	double inst = (double) (count - r->last_count) * 1000.0 / dt;
	double alpha = 1.0 - exp(-dt / RATE_TAU_MS);
	r->per_sec += alpha * (inst - r->per_sec);
	r->last_ms = now_ms;
	r->last_count = count;
}
