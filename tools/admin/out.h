/*
 * out.h - sluice-admin's output forms: aligned tables and key: value
 * blocks for people, a compact JSON writer for scripts, and the escaping
 * both need for bytes that are not printable text.
 */
#ifndef ADM_OUT_H
#define ADM_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- tables and key: value blocks ------------------------------------- */

typedef struct out_table out_table;

/*
 * out_table_alloc starts a table of ncols columns; headers (ncols names,
 * or NULL for no header line) and align (ncols characters, 'l' or 'r')
 * are borrowed until out_table_print. Returns NULL without memory.
 */
out_table *out_table_alloc(size_t ncols, const char *const *headers,
    const char *align);
/* Appends the next cell, row by row (printf-style). Returns 0 or -1. */
int out_table_cell(out_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the columns padded to their widest cell (two spaces apart, no
 * trailing blanks) and frees t. NULL is fine. */
void out_table_print(out_table *t, FILE *f);

/* A key: value block is a headerless two-column table ("key:", value). */
out_table *out_kv_alloc(void);
int out_kv(out_table *t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * out_text returns a malloc'd copy of n bytes for a one-line human view:
 * backslash becomes \\, tab \t, newline \n, carriage return \r, other
 * bytes outside printable ASCII \xHH (as sluice-cli consume prints them).
 * NULL without memory.
 */
char *out_text(const void *p, size_t n);

/* ---- JSON ------------------------------------------------------------- */

/*
 * A streaming writer of one compact JSON value. Each call inside an object
 * takes the member's key; inside an array (and at the top) key is NULL.
 * The writer adds the commas; nesting is the caller's to balance.
 */
typedef struct {
	FILE *f;
	int   first; /* nothing written yet in the open object or array */
} out_json;

void out_json_init(out_json *j, FILE *f);
void out_json_obj_open(out_json *j, const char *key);
void out_json_obj_close(out_json *j);
void out_json_arr_open(out_json *j, const char *key);
void out_json_arr_close(out_json *j);
void out_json_str(out_json *j, const char *key, const char *s);
/* Bytes as a JSON string: valid UTF-8 is kept, other bytes and control
 * characters are written \u00HH (so the text is readable, not exact). */
void out_json_bytes(out_json *j, const char *key, const void *p, size_t n);
void out_json_u64(out_json *j, const char *key, uint64_t v);
void out_json_i64(out_json *j, const char *key, int64_t v);
/* Three decimals; a NaN or infinity (never sent by a sane broker) is 0. */
void out_json_f64(out_json *j, const char *key, double v);
void out_json_bool(out_json *j, const char *key, int v);
void out_json_null(out_json *j, const char *key);
/* Ends the document: a newline, then flushes. */
void out_json_end(out_json *j);
#endif
