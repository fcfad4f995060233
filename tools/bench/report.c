/*
 * report.c - the results of one sluice-bench run: an ordered list of named
 * figures printed as a human summary or as one JSON object, plus the CPU
 * and memory accounting of the client and (optionally) the broker. It owns
 * the output format; the modes own what goes in.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

#define MAX_FIELDS 64

typedef enum { F_STR, F_U64, F_F } kind;

typedef struct {
	kind        k;
	char        key[48]; /* JSON name */
	const char *label; /* human name, static; NULL: JSON only */
	const char *unit;  /* static or NULL */
	char        s[256];
	uint64_t    u;
	double      f;
	int         prec;
} field;

struct report {
	field  f[MAX_FIELDS];
	size_t n;
};

report *
report_alloc(const char *mode)
{
	report *r = calloc(1, sizeof(*r));
	if (r != NULL)
		report_str(r, "mode", "mode", mode);
	return r;
}

void
report_free(report *r)
{
	free(r);
}

static field *
add(report *r, kind k, const char *key, const char *label, const char *unit)
{
	if (r->n == MAX_FIELDS)
		return NULL; /* a programming error; the field is left out */
	field *f = &r->f[r->n++];
	f->k = k;
	snprintf(f->key, sizeof(f->key), "%s", key);
	f->label = label;
	f->unit = unit;
	return f;
}

void
report_str(report *r, const char *key, const char *label, const char *v)
{
	field *f = add(r, F_STR, key, label, NULL);
	if (f != NULL)
		snprintf(f->s, sizeof(f->s), "%s", v);
}

void
report_u64(report *r, const char *key, const char *label, uint64_t v,
    const char *unit)
{
	field *f = add(r, F_U64, key, label, unit);
	if (f != NULL)
		f->u = v;
}

void
report_f(report *r, const char *key, const char *label, double v, int prec,
    const char *unit)
{
	field *f = add(r, F_F, key, label, unit);
	if (f != NULL) {
		f->f = v;
		f->prec = prec;
	}
}

void
report_latency(report *r, const char *prefix, const char *label,
    const histogram *h)
{
	static const char *const suffix[6] = { "p50", "p90", "p99", "p999", "max",
		"mean" };
	static const char *const labels[6] = { "  p50", "  p90", "  p99",
		"  p99.9", "  max", "  mean" };
	static const double pct[5] = { 50, 90, 99, 99.9, 100 };
	char key[48];
	snprintf(key, sizeof(key), "%s_samples", prefix);
	report_u64(r, key, label, histogram_count(h), "samples");
	for (int i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "%s_%s_us", prefix, suffix[i]);
		double us = i < 5 ? (double) histogram_percentile(h, pct[i]) / 1000.0
		                  : histogram_mean(h) / 1000.0;
		report_f(r, key, labels[i], us, 1, "us");
	}
}

static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char) *s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void
report_print(const report *r, int json, FILE *out)
{
	if (json) {
		fputc('{', out);
		for (size_t i = 0; i < r->n; i++) {
			const field *f = &r->f[i];
			fprintf(out, "%s\"%s\": ", i ? ", " : "", f->key);
			if (f->k == F_STR)
				json_string(out, f->s);
			else if (f->k == F_U64)
				fprintf(out, "%" PRIu64, f->u);
			else
				fprintf(out, "%.*f", f->prec, f->f);
		}
		fputs("}\n", out);
		fflush(out);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const field *f = &r->f[i];
		if (f->label == NULL)
			continue;
		fprintf(out, "%-26s ", f->label);
		if (f->k == F_STR)
			fputs(f->s, out);
		else if (f->k == F_U64)
			fprintf(out, "%" PRIu64, f->u);
		else
			fprintf(out, "%.*f", f->prec, f->f);
		if (f->unit != NULL)
			fprintf(out, " %s", f->unit);
		fputc('\n', out);
	}
	fflush(out);
}

/* ---- CPU and memory ------------------------------------------------- */

/* utime + stime of pid in seconds, or -1. */
static double
proc_cpu_s(int pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields are
	 * counted from the last ')'. utime and stime are fields 14 and 15. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	unsigned long long ut, st;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	        &st) != 2)
		return -1;
	return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

/* The value of a "Name:   123 kB" line of /proc/pid/status, or 0. */
static uint64_t
proc_status_kib(int pid, const char *name)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	uint64_t v = 0;
	size_t len = strlen(name);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

void
usage_take(usage *u, int broker_pid)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	u->client_cpu_s = (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6 +
	    (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
	u->broker_cpu_s = broker_pid > 0 ? proc_cpu_s(broker_pid) : -1;
}

void
usage_report(report *r, const usage *before, const usage *after, uint64_t msgs,
    int broker_pid)
{
	double m = msgs > 0 ? (double) msgs / 1e6 : 1;
	double c = after->client_cpu_s - before->client_cpu_s;
	report_f(r, "client_cpu_s", "client CPU", c, 2, "s");
	report_f(r, "client_cpu_s_per_million", "client CPU per 1M msgs", c / m, 2, "s");
	if (broker_pid <= 0 || before->broker_cpu_s < 0 || after->broker_cpu_s < 0)
		return;
	double b = after->broker_cpu_s - before->broker_cpu_s;
	report_f(r, "broker_cpu_s", "broker CPU", b, 2, "s");
	report_f(r, "broker_cpu_s_per_million", "broker CPU per 1M msgs", b / m, 2, "s");
	report_u64(r, "broker_rss_kib", "broker RSS", proc_status_kib(broker_pid, "VmRSS"),
	    "KiB");
	report_u64(r, "broker_hwm_kib", "broker peak RSS",
	    proc_status_kib(broker_pid, "VmHWM"), "KiB");
}
