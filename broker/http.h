/*
 * http.h - the broker's HTTP endpoint for monitoring, on nng's HTTP
 * server: GET /metrics (Prometheus text) and GET /health (JSON, 200 when
 * healthy, else 503). nng answers other paths with 404 and other methods
 * with 405 itself.
 *
 * nng calls the handlers on its own threads, but broker state belongs to
 * the loop thread: a handler only queues its aio (under a mutex) and wakes
 * the loop with uv_async_send, like the inbox does for pipe events. The
 * loop renders the reply and finishes the aio.
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>
#include <uv.h>

struct broker;

/* Requests waiting for the loop. Past this, a request gets 503 at once:
 * scrapers retry, and the loop is then too busy to render anyway. */
#define HTTP_QUEUE_MAX 64

typedef enum { HTTP_METRICS, HTTP_HEALTH } http_kind;

typedef struct {
	nng_aio *aio;
	http_kind kind;
} http_request;

/* A field of struct broker. */
typedef struct {
	struct broker *b;
	nng_http_server *server; /* NULL: metrics are off */
	uv_async_t wake;         /* initialized when server != NULL */
	uv_mutex_t mu;           /* never destroyed: see http.c */
	int mu_ready;
	/* guarded by mu: */
	int accepting;           /* the loop takes requests */
	http_request queue[HTTP_QUEUE_MAX];
	size_t nqueued;
} http_srv;

/*
 * http_start serves b->cfg.metrics_listen ("http://host:port"; NULL, ""
 * or "off" disable it). Returns 0, or -1 after printing why to stderr
 * (a bad URL, the address in use): the broker must then not start. Loop
 * thread, before uv_run.
 */
int http_start(struct broker *b);

/*
 * http_stop answers the queued requests with 503, stops nng's server and
 * closes the async handle (the loop must run once more to finish the
 * close). Safe when http_start failed or metrics are off. Loop thread.
 */
void http_stop(struct broker *b);
#endif
