/*
 * log.h - leveled logging to stderr with a UTC timestamp, as readable text
 * (the default) or as JSON lines. Thread-safe: each line is built in a
 * local buffer and written with one fwrite on the unbuffered stderr.
 * The setters are meant for start-up, before other threads log.
 *
 * Text:  2024-05-01T12:00:00.123Z info  pipe 3: connected
 * JSON:  {"ts":"2024-05-01T12:00:00.123Z","level":"info","msg":"pipe 3: connected",
 *         "event":"client_connect","pipe":3}        (one line)
 *
 * Lifecycle events (sl_event) carry an event name and typed fields: the
 * text format prints only the human message, the JSON format adds "event"
 * and every field as its own key. Event names and their fields are listed
 * in docs/configuration.md ("Logs"). Example:
 *
 *	sl_event(SL_LOG_INFO, "topic_create",
 *	    SL_FIELDS(SL_STR("topic", name), SL_I64("retention_age_ms", age)),
 *	    "topic %s created", name);
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_OFF } sl_log_level;
typedef enum { SL_LOG_TEXT, SL_LOG_JSON } sl_log_format;

void sl_log_set_level(sl_log_level lvl);
/* Parses "debug|info|warn|error|off"; returns 0 on success. */
int  sl_log_parse_level(const char *s, sl_log_level *out);
/* "debug", "info", ... for a level ("off" for anything out of range). */
const char *sl_log_level_name(sl_log_level lvl);
void sl_log_set_format(sl_log_format f);
/* Parses "text|json"; returns 0 on success. */
int  sl_log_parse_format(const char *s, sl_log_format *out);
const char *sl_log_format_name(sl_log_format f);

void sl_log(sl_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One field of an event. Build them with the SL_STR/SL_I64/SL_U64/SL_BOOL
 * macros inside SL_FIELDS, which ends the list with a NULL key. Strings
 * are borrowed for the call; NULL prints as JSON null. */
typedef enum { SL_F_STR, SL_F_I64, SL_F_U64, SL_F_BOOL } sl_field_kind;
typedef struct {
	const char *key;    /* NULL ends the list */
	sl_field_kind kind;
	const char *s;
	int64_t i;
	uint64_t u;
} sl_field;

#define SL_STR(k, v) { .key = (k), .kind = SL_F_STR, .s = (v) }
#define SL_I64(k, v) { .key = (k), .kind = SL_F_I64, .i = (int64_t) (v) }
#define SL_U64(k, v) { .key = (k), .kind = SL_F_U64, .u = (uint64_t) (v) }
#define SL_BOOL(k, v) { .key = (k), .kind = SL_F_BOOL, .u = (v) ? 1u : 0u }
#define SL_FIELDS(...) ((const sl_field[]) { __VA_ARGS__, { .key = NULL } })

/*
 * sl_event logs the lifecycle event `event` (a snake_case name such as
 * "client_connect") at lvl: fmt and its arguments make the human message
 * ("msg"), fields (may be NULL) the machine-readable details. Keys should
 * be snake_case and must not be ts, level, msg or event. Long lines are
 * cut (fields that do not fit are left out) but stay valid JSON.
 */
void sl_event(sl_log_level lvl, const char *event, const sl_field *fields,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)
#define sl_info(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_warn(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_error(...) sl_log(SL_LOG_ERROR, __VA_ARGS__)
#endif
