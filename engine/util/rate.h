/*
 * rate.h - a per-second rate of a monotonically growing counter, smoothed
 * over about ten seconds (exponential moving average), for operators'
 * "msgs/s" columns. Tick it from a periodic timer with the counter's value;
 * reading costs nothing. Single-threaded.
 */
#ifndef SL_RATE_H
#define SL_RATE_H

#include <stdint.h>

typedef struct {
	uint64_t last_count;
	uint64_t last_ms;   /* 0: never ticked */
	double per_sec;
} rate;

void rate_tick(rate *r, uint64_t count, uint64_t now_ms);
#endif
