/*
 * connlog.c - the budget for per-connection log lines (connlog.h).
 */
#include "connlog.h"

#include <stddef.h>

#include "log.h"

void
connlog_init(connlog *cl, uint64_t now_ms)
{
	cl->left_out = cl->left_out_total = cl->since_ms = 0;
	tokenbucket_init(&cl->budget, CONNLOG_LINES_PER_S, CONNLOG_LINES_PER_S, now_ms);
}

int
connlog_admit(connlog *cl, uint64_t now_ms)
{
	if (tokenbucket_take(&cl->budget, 1, now_ms))
		return 1;
	if (cl->left_out++ == 0)
		cl->since_ms = now_ms;
	cl->left_out_total++;
	return 0;
}

void
connlog_summary(connlog *cl, uint64_t now_ms)
{
	if (cl->left_out == 0 || now_ms - cl->since_ms < 1000)
		return;
	sl_event(SL_LOG_WARN, "connection_log_suppressed",
	    SL_FIELDS(SL_U64("lines", cl->left_out),
	        SL_U64("ms", now_ms - cl->since_ms)),
	    "%llu connection log lines left out over the last %llu ms (more than "
	    "%d a second: a client reconnecting or retrying in a loop?)",
	    (unsigned long long) cl->left_out,
	    (unsigned long long) (now_ms - cl->since_ms), CONNLOG_LINES_PER_S);
	cl->left_out = 0;
}
