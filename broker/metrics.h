/*
 * metrics.h - renders the broker's observable state as text for HTTP:
 * the Prometheus exposition format 0.0.4 (GET /metrics) and the health
 * JSON (GET /health). docs/metrics.md lists every metric. Loop thread
 * only: it reads broker and engine state directly.
 */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stddef.h>

#include "sluice/sluice.h"

struct broker;

/* A growable text buffer. data is NUL-terminated once anything was
 * written; after an allocation failure `failed` is set and further
 * writes are ignored, so callers check once at the end. */
typedef struct {
	char *data;
	size_t len, cap;
	int failed;
} metrics_buf;

void metrics_buf_init(metrics_buf *mb);
void metrics_buf_fini(metrics_buf *mb);
void metrics_buf_put(metrics_buf *mb, const char *s, size_t n);
void metrics_buf_printf(metrics_buf *mb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * metrics_render appends every metric to out (an initialized buffer the
 * caller finishes). Per-consumer series are left out when the broker has
 * more consumers than cfg.metrics_max_consumers (the gauge
 * sluice_consumer_metrics_omitted says so). Returns SLUICE_ENOMEM when an
 * allocation failed (out is then incomplete). Loop thread.
 */
sluice_err metrics_render(struct broker *b, metrics_buf *out);

/*
 * metrics_render_health appends status_health() as one JSON object:
 * {"healthy":..,"storage_writable":..,"listener_up":..,"loop_lag_ms":..,
 * "problems":[..]}, and sets *healthy. SLUICE_ENOMEM as above. Loop
 * thread.
 */
sluice_err metrics_render_health(struct broker *b, metrics_buf *out,
    int *healthy);
#endif
