/*
 * units.h - the text forms sluice-admin reads and writes: counts,
 * durations (30s, 5m, 2h, 7d), sizes (100MiB), percentages, RFC 3339
 * times and subscription positions, and the names of subscription types
 * and modes and of failure policy choices.
 * Pure functions without I/O, so tests/unit/admin checks them directly.
 * Parsers return 0 and write *out, or -1 and leave *out alone.
 */
#ifndef ADM_UNITS_H
#define ADM_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Decimal, no sign, no spaces, within uint64_t. */
int units_parse_u64(const char *s, uint64_t *out);

/*
 * A duration: one or more <integer><unit> pairs, units ms, s, m, h, d, w
 * ("30s", "5m", "2h", "7d", "1h30m"), or a bare "0". A bare non-zero
 * number is refused (seconds or milliseconds? the reader cannot tell).
 */
int units_parse_duration_ms(const char *s, int64_t *ms);
/* A form that parses back to ms, in days down to milliseconds: "7d",
 * "2h30m", "250ms", "0". Negative values get a leading '-'. */
void units_format_duration_ms(int64_t ms, char *buf, size_t n);

/*
 * A size in bytes: a number with up to 6 decimals and an optional unit,
 * case-insensitive, optionally after one space: B; KB MB GB TB (powers of
 * 1000); KiB MiB GiB TiB or K M G T (powers of 1024). A fraction needs a
 * unit and is rounded down to whole bytes ("1.5KiB" = 1536).
 */
int units_parse_size(const char *s, uint64_t *bytes);
/* "512 B", "100 MiB", "1.5 GiB" (binary units, one decimal when not
 * whole). */
void units_format_size(uint64_t bytes, char *buf, size_t n);

/*
 * An RFC 3339 date-time ("2026-11-22T10:00:00Z", "...T12:00:00+02:00",
 * "...T10:00:00.250Z"), as microseconds since the epoch, UTC. 't', ' '
 * and 'z' are accepted for 'T' and 'Z' (RFC 3339 section 5.6 allows it);
 * second 60 (a leap second) counts as the next minute's second 0; decimals
 * beyond microseconds are dropped. Years 0000-9999.
 */
int units_parse_rfc3339(const char *s, int64_t *us);
/* UTC with `decimals` (0, 3 or 6) fraction digits:
 * "2026-11-22T10:00:00.250Z". */
void units_format_rfc3339(int64_t us, int decimals, char *buf, size_t n);

/* Where a subscription starts or is moved to; the values are those of
 * sluice.Position.Kind. */
typedef enum {
	UNITS_POS_LATEST = 0,
	UNITS_POS_EARLIEST = 1,
	UNITS_POS_OFFSET = 2,
	UNITS_POS_TIME = 3
} units_pos_kind;

typedef struct {
	units_pos_kind kind;
	uint64_t       offset;  /* UNITS_POS_OFFSET */
	int64_t        time_us; /* UNITS_POS_TIME */
} units_pos;

/* "earliest", "latest", an offset (decimal) or an RFC 3339 time. */
int units_parse_position(const char *s, units_pos *out);

/* Subscription types and modes by name, values those of sluice.SubType
 * and sluice.SubMode: exclusive failover shared key_shared (key-shared
 * too); reliable non-reliable. */
int units_parse_sub_type(const char *s, int *type);
int units_parse_sub_mode(const char *s, int *mode);
/* The names above; "unknown" for other values. */
const char *units_sub_type_name(int type);
const char *units_sub_mode_name(int mode);

/* Failure policy choices by name, values those of sluice.BackoffKind
 * (exponential fixed) and sluice.OnExhausted (dead_letter block drop park;
 * dead-letter too). The proto's 0 ("unset") is not a choice. */
int units_parse_backoff(const char *s, int *kind);
int units_parse_on_exhausted(const char *s, int *action);
/* The names above, "unset" for 0, "unknown" for other values. */
const char *units_backoff_name(int kind);
const char *units_on_exhausted_name(int action);

/* A percentage, 0..100, with an optional '%' ("10", "10%"). */
int units_parse_percent(const char *s, uint32_t *pct);

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 (both
 * tools escape what is not UTF-8 in their JSON output). */
size_t units_utf8_len(const unsigned char *p, size_t n);
#endif
