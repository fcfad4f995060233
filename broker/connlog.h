/*
 * connlog.h - a budget for the log lines connections cause (connect,
 * disconnect, failed authentication, refusals by a limit or the ACL).
 * A client that opens connections in a loop, or repeats a refused
 * request, would otherwise write a line each time: disk and loop time
 * the broker owes its other clients. Past the budget a line is not
 * written but counted, and one summary line a second says how many were
 * left out; the metrics still count every event.
 */
#ifndef SL_CONNLOG_H
#define SL_CONNLOG_H

#include <stdint.h>

#include "tokenbucket.h"

/* Lines per second (and burst) before lines are left out. */
#define CONNLOG_LINES_PER_S 50

typedef struct {
	tokenbucket budget;
	uint64_t left_out;       /* since the last summary */
	uint64_t left_out_total; /* since start (a metric) */
	uint64_t since_ms;       /* the first line left out since the summary */
} connlog;

void connlog_init(connlog *cl, uint64_t now_ms);
/* 1: write this line; 0: leave it out (counted). */
int connlog_admit(connlog *cl, uint64_t now_ms);
/* Writes the summary of the lines left out, if any (the watchdog). */
void connlog_summary(connlog *cl, uint64_t now_ms);
#endif
