/*
 * units.c - text forms of counts, durations, sizes, times, positions and
 * subscription kinds for sluice-admin (see units.h). Everything is integer
 * arithmetic with explicit overflow checks: an operator's typo must be a
 * usage error, never a silently wrapped retention or offset. Times are
 * converted with our own civil-calendar arithmetic rather than timegm(),
 * which is neither C11 nor POSIX and depends on the TZ environment.
 */
#include "units.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Case-insensitive comparison of the n bytes at p with a whole word. */
static int
word_eq(const char *p, size_t n, const char *word)
{
	if (strlen(word) != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (tolower((unsigned char) p[i]) != word[i])
			return 0;
	}
	return 1;
}

/* Reads the digits at *p into *v; returns how many, or -1 on overflow. */
static int
digits(const char **p, uint64_t *v)
{
	int n = 0;
	uint64_t x = 0;
	while (**p >= '0' && **p <= '9') {
		unsigned d = (unsigned) (**p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
		(*p)++;
		n++;
	}
	*v = x;
	return n;
}

int
units_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v;
	const char *p = s;
	if (s == NULL || digits(&p, &v) <= 0 || *p != '\0')
		return -1;
	*out = v;
	return 0;
}

/* ---- durations ------------------------------------------------------- */

static const struct {
	const char *name;
	int64_t     ms;
} dur_units[] = {
	{ "w", 7 * 86400000LL }, { "d", 86400000LL }, { "h", 3600000LL },
	{ "m", 60000LL }, { "s", 1000LL }, { "ms", 1LL },
};
#define NDUR (sizeof(dur_units) / sizeof(dur_units[0]))

int
units_parse_duration_ms(const char *s, int64_t *ms)
{
	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	const char *p = s;
	int64_t total = 0;
	while (*p != '\0') {
		uint64_t v;
		if (digits(&p, &v) <= 0)
			return -1;
		const char *u = p;
		while (isalpha((unsigned char) *p))
			p++;
		size_t i;
		for (i = 0; i < NDUR; i++) {
			if (word_eq(u, (size_t) (p - u), dur_units[i].name))
				break;
		}
		if (i == NDUR)
			return -1; /* no unit, or an unknown one */
		int64_t unit = dur_units[i].ms;
		if (v > (uint64_t) (INT64_MAX / unit) ||
		    (int64_t) v * unit > INT64_MAX - total)
			return -1;
		total += (int64_t) v * unit;
	}
	*ms = total;
	return 0;
}

void
units_format_duration_ms(int64_t ms, char *buf, size_t n)
{
	if (n == 0)
		return;
	if (ms == 0) {
		snprintf(buf, n, "0");
		return;
	}
	size_t len = 0;
	buf[0] = '\0';
	/* INT64_MIN has no positive counterpart; its magnitude fits u64. */
	uint64_t left = ms < 0 ? (uint64_t) 0 - (uint64_t) ms : (uint64_t) ms;
	if (ms < 0)
		len += (size_t) snprintf(buf, n, "-");
	/* From days down: "14d" reads better than "2w" for a retention. */
	for (size_t i = 1; i < NDUR && left > 0 && len < n; i++) {
		uint64_t unit = (uint64_t) dur_units[i].ms;
		if (left < unit)
			continue;
		len += (size_t) snprintf(buf + len, n - len, "%" PRIu64 "%s",
		    left / unit, dur_units[i].name);
		left %= unit;
	}
}

/* ---- sizes ----------------------------------------------------------- */

static const struct {
	const char *name;
	uint64_t    bytes;
} size_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "kb", 1000ULL }, { "mb", 1000000ULL }, { "gb", 1000000000ULL },
	{ "tb", 1000000000000ULL },
	{ "kib", 1ULL << 10 }, { "mib", 1ULL << 20 }, { "gib", 1ULL << 30 },
	{ "tib", 1ULL << 40 },
	{ "k", 1ULL << 10 }, { "m", 1ULL << 20 }, { "g", 1ULL << 30 },
	{ "t", 1ULL << 40 },
};
#define NSIZE (sizeof(size_units) / sizeof(size_units[0]))

int
units_parse_size(const char *s, uint64_t *bytes)
{
	const char *p = s;
	uint64_t whole, frac = 0, scale = 1;
	if (s == NULL || digits(&p, &whole) <= 0)
		return -1;
	if (*p == '.') {
		p++;
		int nd = digits(&p, &frac);
		if (nd <= 0 || nd > 6)
			return -1;
		for (int i = 0; i < nd; i++)
			scale *= 10;
	}
	if (*p == ' ' && *++p == '\0')
		return -1; /* a space, then no unit */
	size_t i;
	for (i = 0; i < NSIZE; i++) {
		if (word_eq(p, strlen(p), size_units[i].name))
			break;
	}
	if (i == NSIZE)
		return -1;
	uint64_t unit = size_units[i].bytes;
	if (scale > 1 && unit == 1)
		return -1; /* "1.5" or "1.5B": no fraction of a byte */
	if (whole > UINT64_MAX / unit)
		return -1;
	/* frac < 10^6 and unit <= 2^40: the product fits in 64 bits. */
	uint64_t part = frac * unit / scale;
	if (whole * unit > UINT64_MAX - part)
		return -1;
	*bytes = whole * unit + part;
	return 0;
}

void
units_format_size(uint64_t bytes, char *buf, size_t n)
{
	static const char *names[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
		"EiB" };
	if (bytes < 1024) {
		snprintf(buf, n, "%" PRIu64 " B", bytes);
		return;
	}
	int i = 0;
	uint64_t unit = 1024;
	while (i < 5 && bytes / unit >= 1024) {
		unit <<= 10;
		i++;
	}
	if (bytes % unit == 0)
		snprintf(buf, n, "%" PRIu64 " %s", bytes / unit, names[i]);
	else
		snprintf(buf, n, "%.1f %s", (double) bytes / (double) unit,
		    names[i]);
}

/* ---- RFC 3339 -------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse: y-m-d of a day number (Hinnant's civil_from_days). */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* Exactly n digits at *p, value in [lo, hi]. */
static int
fixed(const char **p, int n, int lo, int hi, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*p += n;
	*out = v;
	return 0;
}

static int
expect(const char **p, const char *set)
{
	if (**p == '\0' || strchr(set, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

int
units_parse_rfc3339(const char *s, int64_t *us)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	if (s == NULL || fixed(&p, 4, 0, 9999, &y) || expect(&p, "-") ||
	    fixed(&p, 2, 1, 12, &mo) || expect(&p, "-") ||
	    fixed(&p, 2, 1, 31, &d) || expect(&p, "Tt ") ||
	    fixed(&p, 2, 0, 23, &h) || expect(&p, ":") ||
	    fixed(&p, 2, 0, 59, &mi) || expect(&p, ":") ||
	    fixed(&p, 2, 0, 60, &sec))
		return -1;
	if (d > days_in_month(y, mo))
		return -1;
	int64_t frac = 0;
	if (*p == '.') {
		p++;
		int nd = 0;
		while (*p >= '0' && *p <= '9') {
			if (nd < 6) {
				frac = frac * 10 + (*p - '0');
				nd++;
			}
			p++;
		}
		if (nd == 0)
			return -1;
		for (; nd < 6; nd++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (fixed(&p, 2, 0, 23, &oh) || expect(&p, ":") ||
		    fixed(&p, 2, 0, 59, &om))
			return -1;
	} else {
		return -1; /* RFC 3339 requires the offset */
	}
	if (*p != '\0')
		return -1;
	/* Local time minus its offset is UTC: 12:00+02:00 is 10:00Z. */
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - sign * (oh * 3600 + om * 60);
	*us = secs * 1000000 + frac;
	return 0;
}

void
units_format_rfc3339(int64_t us, int decimals, char *buf, size_t n)
{
	/* Floor division, so times before 1970 print their true second. */
	int64_t secs = us / 1000000, sub = us % 1000000;
	if (sub < 0) {
		sub += 1000000;
		secs--;
	}
	int64_t days = secs / 86400, tod = secs % 86400;
	if (tod < 0) {
		tod += 86400;
		days--;
	}
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	int len = snprintf(buf, n, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d", y,
	    m, d, (int) (tod / 3600), (int) (tod / 60 % 60), (int) (tod % 60));
	if (len < 0 || (size_t) len >= n)
		return;
	if (decimals == 3)
		len += snprintf(buf + len, n - (size_t) len, ".%03d",
		    (int) (sub / 1000));
	else if (decimals == 6)
		len += snprintf(buf + len, n - (size_t) len, ".%06d", (int) sub);
	if (len >= 0 && (size_t) len < n)
		snprintf(buf + len, n - (size_t) len, "Z");
}

/* ---- positions and subscription kinds -------------------------------- */

int
units_parse_position(const char *s, units_pos *out)
{
	units_pos pos = { UNITS_POS_LATEST, 0, 0 };
	if (s == NULL)
		return -1;
	if (strcmp(s, "latest") == 0)
		pos.kind = UNITS_POS_LATEST;
	else if (strcmp(s, "earliest") == 0)
		pos.kind = UNITS_POS_EARLIEST;
	else if (units_parse_u64(s, &pos.offset) == 0)
		pos.kind = UNITS_POS_OFFSET;
	else if (units_parse_rfc3339(s, &pos.time_us) == 0)
		pos.kind = UNITS_POS_TIME;
	else
		return -1;
	*out = pos;
	return 0;
}

static const char *const type_names[] = { "exclusive", "failover", "shared",
	"key_shared" };
static const char *const mode_names[] = { "reliable", "non-reliable" };
/* Index 0 is the proto's "unset". */
static const char *const backoff_names[] = { "unset", "exponential", "fixed" };
static const char *const exhausted_names[] = { "unset", "dead_letter", "block",
	"drop", "park" };
#define NNAMES(a) ((int) (sizeof(a) / sizeof((a)[0])))

static int
name_index(const char *s, const char *const *names, int n, int *out)
{
	for (int i = 0; s != NULL && i < n; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

/* name_index, with '-' standing for '_' ("key-shared", "dead-letter"). */
static int
name_index_dash(const char *s, const char *const *names, int n, int *out)
{
	char buf[32];
	size_t len = s != NULL ? strlen(s) : sizeof(buf);
	if (len >= sizeof(buf))
		return -1;
	for (size_t i = 0; i <= len; i++)
		buf[i] = s[i] == '-' ? '_' : s[i];
	return name_index(buf, names, n, out);
}

int
units_parse_sub_type(const char *s, int *type)
{
	return name_index_dash(s, type_names, NNAMES(type_names), type);
}

int
units_parse_backoff(const char *s, int *kind)
{
	int v;
	/* "unset" is what the broker never stores: not a choice. */
	if (name_index(s, backoff_names, NNAMES(backoff_names), &v) != 0 || v == 0)
		return -1;
	*kind = v;
	return 0;
}

int
units_parse_on_exhausted(const char *s, int *action)
{
	int v;
	if (name_index_dash(s, exhausted_names, NNAMES(exhausted_names), &v) !=
	        0 ||
	    v == 0)
		return -1;
	*action = v;
	return 0;
}

const char *
units_backoff_name(int kind)
{
	return kind >= 0 && kind < NNAMES(backoff_names) ? backoff_names[kind]
	                                                 : "unknown";
}

const char *
units_on_exhausted_name(int action)
{
	return action >= 0 && action < NNAMES(exhausted_names)
	    ? exhausted_names[action]
	    : "unknown";
}

int
units_parse_percent(const char *s, uint32_t *pct)
{
	char buf[8];
	size_t len = s != NULL ? strlen(s) : 0;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	if (buf[len - 1] == '%')
		buf[len - 1] = '\0';
	uint64_t v;
	if (units_parse_u64(buf, &v) != 0 || v > 100)
		return -1;
	*pct = (uint32_t) v;
	return 0;
}

int
units_parse_sub_mode(const char *s, int *mode)
{
	return name_index(s, mode_names, 2, mode);
}

const char *
units_sub_type_name(int type)
{
	return type >= 0 && type < NNAMES(type_names) ? type_names[type]
	                                              : "unknown";
}

const char *
units_sub_mode_name(int mode)
{
	return mode >= 0 && mode < 2 ? mode_names[mode] : "unknown";
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0: no
 * overlongs, no surrogates, nothing above U+10FFFF. */
size_t
units_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}
