/*
 * log.c - leveled, timestamped log lines on stderr, as text or JSON lines
 * (see log.h). Owns the process-wide threshold and format; not where log
 * lines go (always stderr) nor what the events mean (their callers).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static sl_log_level threshold = SL_LOG_WARN;
static sl_log_format format = SL_LOG_TEXT;
static const char *names[] = { "debug", "info", "warn", "error", "off" };
static const char *formats[] = { "text", "json" };

/* A line under construction. `cap` keeps room for the closing "}\n". */
typedef struct {
	char b[8192];
	size_t n, cap;
} line;

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

const char *
sl_log_level_name(sl_log_level lvl)
{
	return lvl >= SL_LOG_DEBUG && lvl <= SL_LOG_OFF ? names[lvl] : "off";
}

void
sl_log_set_format(sl_log_format f)
{
	format = f;
}

int
sl_log_parse_format(const char *s, sl_log_format *out)
{
	for (int i = 0; i <= SL_LOG_JSON; i++) {
		if (strcmp(s, formats[i]) == 0) {
			*out = (sl_log_format) i;
			return 0;
		}
	}
	return -1;
}

const char *
sl_log_format_name(sl_log_format f)
{
	return f == SL_LOG_JSON ? "json" : "text";
}

/* RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z */
static void
timestamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char when[24];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03ldZ", when, ts.tv_nsec / 1000000);
}

/* Appends all of s or, when it does not fit, nothing; returns 0 if added. */
static int
put(line *l, const char *s)
{
	size_t len = strlen(s);
	if (l->n + len > l->cap)
		return -1;
	memcpy(l->b + l->n, s, len);
	l->n += len;
	return 0;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. The
 * terminating NUL fails the continuation test, so this never reads past. */
static size_t
utf8_len(const unsigned char *s)
{
	uint32_t cp, min;
	size_t n;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, min = 0x80, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, min = 0x800, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Appends s as a JSON string (NULL: null), all or nothing. Bytes that are
 * not UTF-8 become U+FFFD, so any input gives valid JSON. */
static int
put_json(line *l, const char *s)
{
	size_t start = l->n;
	char esc[8];
	if (s == NULL)
		return put(l, "null");
	if (put(l, "\"") != 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *) s; *p != '\0';) {
		size_t k = utf8_len(p);
		const char *rep = esc;
		if (k == 0) {
			rep = "\\ufffd";
			k = 1;
		} else if (*p == '"') {
			rep = "\\\"";
		} else if (*p == '\\') {
			rep = "\\\\";
		} else if (*p == '\n') {
			rep = "\\n";
		} else if (*p == '\t') {
			rep = "\\t";
		} else if (*p < 0x20 || *p == 0x7F) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			memcpy(esc, p, k);
			esc[k] = '\0';
		}
		if (put(l, rep) != 0) {
			l->n = start;
			return -1;
		}
		p += k;
	}
	if (put(l, "\"") != 0) {
		l->n = start;
		return -1;
	}
	return 0;
}

/* Appends ,"key":value for one field, all or nothing. */
static void
put_field(line *l, const sl_field *f)
{
	size_t start = l->n;
	char num[32];
	int rv = put(l, ",") || put_json(l, f->key) || put(l, ":");
	switch (f->kind) {
	case SL_F_STR:
		rv = rv || put_json(l, f->s);
		break;
	case SL_F_I64:
		snprintf(num, sizeof(num), "%lld", (long long) f->i);
		rv = rv || put(l, num);
		break;
	case SL_F_U64:
		snprintf(num, sizeof(num), "%llu", (unsigned long long) f->u);
		rv = rv || put(l, num);
		break;
	case SL_F_BOOL:
		rv = rv || put(l, f->u ? "true" : "false");
		break;
	}
	if (rv != 0)
		l->n = start;
}

static void
emit(sl_log_level lvl, const char *event, const sl_field *fields,
    const char *fmt, va_list ap)
{
	char msg[1024], when[40];
	line l;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	timestamp(when, sizeof(when));
	if (format == SL_LOG_TEXT) {
		fprintf(stderr, "%s %-5s %s\n", when, names[lvl], msg);
		return;
	}
	l.n = 0;
	l.cap = sizeof(l.b) - 3; /* "}\n" and a NUL */
	/* The first three fit whatever msg holds: 1023 bytes escape to at
	 * most 6138. */
	put(&l, "{\"ts\":");
	put_json(&l, when);
	put(&l, ",\"level\":");
	put_json(&l, names[lvl]);
	put(&l, ",\"msg\":");
	put_json(&l, msg);
	if (event != NULL) {
		sl_field e = SL_STR("event", event);
		put_field(&l, &e);
	}
	for (const sl_field *f = fields; f != NULL && f->key != NULL; f++)
		put_field(&l, f);
	memcpy(l.b + l.n, "}\n", 2);
	fwrite(l.b, 1, l.n + 2, stderr);
}

void
sl_log(sl_log_level lvl, const char *fmt, ...)
{
	if (lvl < threshold || lvl >= SL_LOG_OFF)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(lvl, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
sl_event(sl_log_level lvl, const char *event, const sl_field *fields,
    const char *fmt, ...)
{
	if (lvl < threshold || lvl >= SL_LOG_OFF)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(lvl, event, fields, fmt, ap);
	va_end(ap);
}
