/*
 * log.h - leveled logging to stderr with a UTC timestamp. Thread-safe: each
 * line is written with one fprintf on an unbuffered stream.
 */
#ifndef SL_LOG_H
#define SL_LOG_H

typedef enum { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_OFF } sl_log_level;

void sl_log_set_level(sl_log_level lvl);
/* Parses "debug|info|warn|error|off"; returns 0 on success. */
int  sl_log_parse_level(const char *s, sl_log_level *out);
void sl_log(sl_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sl_debug(...) sl_log(SL_LOG_DEBUG, __VA_ARGS__)
#define sl_info(...) sl_log(SL_LOG_INFO, __VA_ARGS__)
#define sl_warn(...) sl_log(SL_LOG_WARN, __VA_ARGS__)
#define sl_error(...) sl_log(SL_LOG_ERROR, __VA_ARGS__)
#endif
