/*
 * out.c - tables, key: value blocks and JSON for sluice-admin (out.h). It
 * owns formatting only: what to show is decided by the command files.
 * Tables are collected whole before printing because the column widths
 * depend on every row; the JSON writer streams, as a document is written
 * once, front to back.
 */
#include "out.h"
#include "units.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct out_table {
	size_t             ncols;
	const char *const *headers; /* ncols names, or NULL */
	const char        *align;   /* ncols of 'l' / 'r' */
	char             **cells;   /* row-major, malloc'd strings */
	size_t             ncells, cap;
};

out_table *
out_table_alloc(size_t ncols, const char *const *headers, const char *align)
{
	out_table *t = calloc(1, sizeof(*t));
	if (t != NULL) {
		t->ncols = ncols;
		t->headers = headers;
		t->align = align;
	}
	return t;
}

static int
cell_add(out_table *t, const char *fmt, va_list ap)
{
	if (t == NULL)
		return -1;
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **c = realloc(t->cells, cap * sizeof(*c));
		if (c == NULL)
			return -1;
		t->cells = c;
		t->cap = cap;
	}
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	char *s = n >= 0 ? malloc((size_t) n + 1) : NULL;
	if (s == NULL)
		return -1;
	vsnprintf(s, (size_t) n + 1, fmt, ap);
	t->cells[t->ncells++] = s;
	return 0;
}

int
out_table_cell(out_table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rv = cell_add(t, fmt, ap);
	va_end(ap);
	return rv;
}

/* Columns on a terminal: UTF-8 continuation bytes take no room. */
static size_t
width(const char *s)
{
	size_t w = 0;
	for (; *s != '\0'; s++)
		w += ((unsigned char) *s & 0xc0) != 0x80;
	return w;
}

static void
print_row(const out_table *t, const char *const *row, const size_t *w,
    FILE *f)
{
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = row[c] != NULL ? row[c] : "";
		size_t pad = w[c] - width(s);
		int last = c + 1 == t->ncols;
		if (t->align[c] == 'r')
			fprintf(f, "%*s", (int) pad, "");
		fputs(s, f);
		if (!last && t->align[c] != 'r')
			fprintf(f, "%*s", (int) pad, "");
		if (!last)
			fputs("  ", f);
	}
	fputc('\n', f);
}

void
out_table_print(out_table *t, FILE *f)
{
	if (t == NULL)
		return;
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
	if (w != NULL) {
		for (size_t c = 0; t->headers != NULL && c < t->ncols; c++)
			w[c] = width(t->headers[c]);
		for (size_t i = 0; i < t->ncells; i++) {
			size_t cw = width(t->cells[i]);
			if (cw > w[i % t->ncols])
				w[i % t->ncols] = cw;
		}
		if (t->headers != NULL)
			print_row(t, t->headers, w, f);
		/* A partial last row (a failed cell) is not printed. */
		for (size_t i = 0; i + t->ncols <= t->ncells; i += t->ncols)
			print_row(t, (const char *const *) t->cells + i, w, f);
	}
	free(w);
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

out_table *
out_kv_alloc(void)
{
	return out_table_alloc(2, NULL, "ll");
}

int
out_kv(out_table *t, const char *key, const char *fmt, ...)
{
	if (out_table_cell(t, "%s:", key) != 0)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int rv = cell_add(t, fmt, ap);
	va_end(ap);
	return rv;
}

char *
out_text(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *s = malloc(n * 4 + 1); /* \xHH is the longest form */
	if (s == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = p[i];
		const char *esc = ch == '\\' ? "\\\\" : ch == '\t' ? "\\t" :
		    ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : NULL;
		if (esc != NULL) {
			memcpy(s + k, esc, 2);
			k += 2;
		} else if (ch < 0x20 || ch >= 0x7f) {
			k += (size_t) sprintf(s + k, "\\x%02x", ch);
		} else {
			s[k++] = (char) ch;
		}
	}
	s[k] = '\0';
	return s;
}

/* ---- JSON ------------------------------------------------------------- */

void
out_json_init(out_json *j, FILE *f)
{
	j->f = f;
	j->first = 1;
}


static void
put_string(FILE *f, const unsigned char *p, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t len = units_utf8_len(p + i, n - i);
		unsigned char ch = p[i];
		if (len > 1) {
			fwrite(p + i, 1, len, f);
			i += len;
			continue;
		}
		i++;
		if (ch == '"')
			fputs("\\\"", f);
		else if (ch == '\\')
			fputs("\\\\", f);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (len == 0 || ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* The comma before a member and its key. */
static void
member(out_json *j, const char *key)
{
	if (!j->first)
		fputc(',', j->f);
	j->first = 0;
	if (key != NULL) {
		put_string(j->f, (const unsigned char *) key, strlen(key));
		fputc(':', j->f);
	}
}

void
out_json_obj_open(out_json *j, const char *key)
{
	member(j, key);
	fputc('{', j->f);
	j->first = 1;
}

/* After a close the parent holds at least this container: no stack of
 * `first` flags is needed. */
void
out_json_obj_close(out_json *j)
{
	fputc('}', j->f);
	j->first = 0;
}

void
out_json_arr_open(out_json *j, const char *key)
{
	member(j, key);
	fputc('[', j->f);
	j->first = 1;
}

void
out_json_arr_close(out_json *j)
{
	fputc(']', j->f);
	j->first = 0;
}

void
out_json_str(out_json *j, const char *key, const char *s)
{
	out_json_bytes(j, key, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

void
out_json_bytes(out_json *j, const char *key, const void *p, size_t n)
{
	member(j, key);
	put_string(j->f, p, n);
}

void
out_json_u64(out_json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void
out_json_i64(out_json *j, const char *key, int64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void
out_json_f64(out_json *j, const char *key, double v)
{
	member(j, key);
	fprintf(j->f, "%.3f", isfinite(v) ? v : 0.0);
}

void
out_json_bool(out_json *j, const char *key, int v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
out_json_null(out_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void
out_json_end(out_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
