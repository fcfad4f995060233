/* log.c - leveled, timestamped log lines on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sl_log_level threshold = SL_LOG_WARN;
static const char *names[] = { "debug", "info", "warn", "error", "off" };

void
sl_log_set_level(sl_log_level lvl)
{
	threshold = lvl;
}

int
sl_log_parse_level(const char *s, sl_log_level *out)
{
	for (int i = 0; i <= SL_LOG_OFF; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (sl_log_level) i;
			return 0;
		}
	}
	return -1;
}

void
sl_log(sl_log_level lvl, const char *fmt, ...)
{
	if (lvl < threshold || lvl >= SL_LOG_OFF)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000,
	    names[lvl], msg);
}
