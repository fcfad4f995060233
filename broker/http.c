/*
 * http.c - serves /metrics and /health over nng's HTTP server and hands
 * each request from nng's threads to the loop (see http.h). It owns the
 * server, the hand-off queue and the replies; what the replies say comes
 * from metrics.c.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "broker.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"
#include "tls_engine.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Any thread: finishes aio with a response (or an error when even the
 * response cannot be built: nng then closes the connection). */
static void
reply(nng_aio *aio, uint16_t status, const char *ctype, const void *body,
    size_t len)
{
	nng_http_res *res;
	int rv;
	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	if ((rv = nng_http_res_set_status(res, status)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Content-Type", ctype)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Cache-Control", "no-store")) != 0 ||
	    (rv = nng_http_res_copy_data(res, body, len)) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
reply_unavailable(nng_aio *aio)
{
	static const char text[] = "sluiced: busy or shutting down\n";
	reply(aio, 503, "text/plain; charset=utf-8", text, sizeof(text) - 1);
}

/* nng thread: queue the request for the loop, nothing else. */
static void
hand_off(nng_aio *aio, http_kind kind)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	http_srv *hs = nng_http_handler_get_data(h);
	int queued = 0;

	uv_mutex_lock(&hs->mu);
	if (hs->accepting && hs->nqueued < HTTP_QUEUE_MAX) {
		hs->queue[hs->nqueued++] = (http_request) { .aio = aio, .kind = kind };
		/* Under the lock: once accepting is 0 the handle may close. */
		uv_async_send(&hs->wake);
		queued = 1;
	}
	uv_mutex_unlock(&hs->mu);
	if (!queued)
		reply_unavailable(aio);
}

static void
on_metrics(nng_aio *aio)
{
	hand_off(aio, HTTP_METRICS);
}

static void
on_health(nng_aio *aio)
{
	hand_off(aio, HTTP_HEALTH);
}

/* Any thread: a 401 asking for a bearer token. */
static void
reply_401(nng_aio *aio, const char *text, size_t len)
{
	nng_http_res *res;
	int rv;
	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	if ((rv = nng_http_res_set_status(res, 401)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Content-Type",
	         "text/plain; charset=utf-8")) != 0 ||
	    (rv = nng_http_res_set_header(res, "WWW-Authenticate",
	         "Bearer realm=\"sluiced\"")) != 0 ||
	    (rv = nng_http_res_copy_data(res, text, len)) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* Loop thread: whether a /metrics request may be served. With
 * auth.metrics_token_required it needs "Authorization: Bearer TOKEN", a
 * valid token whose principal has admin permission on "*". */
static int
metrics_authorized(broker *b, nng_aio *aio)
{
	auth_state *st = &b->auth;
	char who[AUTH_MAX_PRINCIPAL];
	if (!st->enabled || !st->metrics_token_required)
		return 1;
	nng_http_req *req = nng_aio_get_input(aio, 0);
	const char *h = req != NULL ? nng_http_req_get_header(req, "Authorization") : NULL;
	const char *token = NULL;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		token = h + 7;
	auth_result ar = auth_token_verify(st->secret, st->secret_len, &st->acl,
	    token, auth_now_us(), who, NULL);
	if (ar != AUTH_OK) {
		st->failures++;
		sl_event(SL_LOG_WARN, "auth_failed",
		    SL_FIELDS(SL_STR("peer", "http /metrics"),
		        SL_STR("reason", auth_result_name(ar))),
		    "metrics: authentication failed: %s", auth_result_name(ar));
		return 0;
	}
	if (!acl_allows(&st->acl, who, ACL_ADMIN, "*")) {
		st->denied++;
		sl_event(SL_LOG_WARN, "authz_denied",
		    SL_FIELDS(SL_STR("principal", who), SL_STR("permission", "admin"),
		        SL_STR("topic", "*")),
		    "metrics: principal '%s' lacks admin permission on topic '*'", who);
		return 0;
	}
	return 1;
}

/* Loop thread: render and answer one request. */
static void
serve(broker *b, const http_request *r)
{
	metrics_buf mb;
	sluice_err rv;
	int healthy = 0;

	if (r->kind == HTTP_METRICS && !metrics_authorized(b, r->aio)) {
		static const char text[] = "sluiced: a bearer token with admin "
		                           "permission is required\n";
		reply_401(r->aio, text, sizeof(text) - 1);
		return;
	}
	metrics_buf_init(&mb);
	if (r->kind == HTTP_METRICS)
		rv = metrics_render(b, &mb);
	else
		rv = metrics_render_health(b, &mb, &healthy);
	if (rv != SLUICE_OK) {
		sl_warn("metrics: cannot render a reply: %s", sluice_strerror(rv));
		reply(r->aio, 500, "text/plain; charset=utf-8", "out of memory\n", 14);
	} else if (r->kind == HTTP_METRICS) {
		reply(r->aio, 200, PROM_CONTENT_TYPE, mb.data, mb.len);
	} else {
		reply(r->aio, healthy ? 200 : 503, "application/json", mb.data, mb.len);
	}
	metrics_buf_fini(&mb);
}

static void
on_wake(uv_async_t *h)
{
	http_srv *hs = h->data;
	http_request batch[HTTP_QUEUE_MAX];
	size_t n;

	/* Take the queue under the lock, render without it. */
	uv_mutex_lock(&hs->mu);
	n = hs->nqueued;
	memcpy(batch, hs->queue, n * sizeof(batch[0]));
	hs->nqueued = 0;
	uv_mutex_unlock(&hs->mu);
	for (size_t i = 0; i < n; i++)
		serve(hs->b, &batch[i]);
}

static int
add_handler(http_srv *hs, const char *path, void (*cb)(nng_aio *))
{
	nng_http_handler *h;
	int rv;
	if ((rv = nng_http_handler_alloc(&h, path, cb)) != 0)
		return rv;
	/* GET only (nng adds HEAD); no request body is read. */
	if ((rv = nng_http_handler_set_method(h, "GET")) != 0 ||
	    (rv = nng_http_handler_collect_body(h, false, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(h, hs, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(hs->server, h)) != 0) {
		nng_http_handler_free(h);
		return rv;
	}
	return 0; /* the server owns h now */
}

static int
is_off(const char *url)
{
	return url == NULL || url[0] == '\0' || strcmp(url, "off") == 0;
}

int
http_start(broker *b)
{
	http_srv *hs = &b->http;
	const char *url = b->cfg.metrics_listen;
	nng_url *u = NULL;
	int rv;

	hs->b = b;
	if (is_off(url))
		return 0;
	/* The mutex lives as long as the process (see http_stop). */
	if (!hs->mu_ready) {
		if (uv_mutex_init(&hs->mu) != 0) {
			fprintf(stderr, "sluiced: cannot create a mutex\n");
			return -1;
		}
		hs->mu_ready = 1;
	}
	if ((rv = nng_url_parse(&u, url)) != 0 || (strcmp(u->u_scheme, "http") != 0 &&
	        strcmp(u->u_scheme, "https") != 0)) {
		fprintf(stderr, "sluiced: --metrics-listen %s: not an http://HOST:PORT "
		                "or https://HOST:PORT address (or \"off\")\n", url);
		nng_url_free(u);
		return -1;
	}
	if ((rv = nng_http_server_hold(&hs->server, u)) != 0)
		goto fail;
	if (tls_url_is_tls(url)) {
		nng_tls_config *tls;
		/* We start before the client socket (loop.c), whose opening
		 * registers our engine: register it here too, after nng's init. */
		if ((rv = tls_engine_register()) != 0) {
			fprintf(stderr, "sluiced: TLS engine: %s\n", nng_strerror(rv));
			nng_http_server_release(hs->server);
			hs->server = NULL;
			nng_url_free(u);
			return -1;
		}
		if (tls_server_config(&b->cfg, &tls) != 0) {
			nng_http_server_release(hs->server);
			hs->server = NULL;
			nng_url_free(u);
			return -1;
		}
		rv = nng_http_server_set_tls(hs->server, tls);
		nng_tls_config_free(tls); /* the server holds its own reference */
		if (rv != 0)
			goto fail;
	}
	if ((rv = add_handler(hs, "/metrics", on_metrics)) != 0 ||
	    (rv = add_handler(hs, "/health", on_health)) != 0 ||
	    (rv = nng_http_server_start(hs->server)) != 0)
		goto fail;
	nng_url_free(u);
	uv_async_init(&b->loop, &hs->wake, on_wake);
	hs->wake.data = hs;
	uv_mutex_lock(&hs->mu);
	hs->accepting = 1;
	uv_mutex_unlock(&hs->mu);
	sl_info("metrics on %s (/metrics, /health)", url);
	return 0;
fail:
	fprintf(stderr, "sluiced: cannot serve metrics on %s: %s\n", url,
	    nng_strerror(rv));
	if (hs->server != NULL)
		nng_http_server_release(hs->server);
	hs->server = NULL;
	nng_url_free(u);
	return -1;
}

void
http_stop(broker *b)
{
	http_srv *hs = &b->http;
	http_request batch[HTTP_QUEUE_MAX];
	size_t n;

	if (hs->server == NULL)
		return;
	/* From here on nng's threads answer 503 themselves and never touch
	 * the async handle. */
	uv_mutex_lock(&hs->mu);
	hs->accepting = 0;
	n = hs->nqueued;
	memcpy(batch, hs->queue, n * sizeof(batch[0]));
	hs->nqueued = 0;
	uv_mutex_unlock(&hs->mu);
	for (size_t i = 0; i < n; i++)
		reply_unavailable(batch[i].aio);
	nng_http_server_stop(hs->server);
	nng_http_server_release(hs->server);
	hs->server = NULL;
	uv_close((uv_handle_t *) &hs->wake, NULL);
	/*
	 * The mutex is not destroyed: nng may still be inside a handler on
	 * one of its threads (a connection being torn down), and that
	 * handler locks it. The broker struct outlives nng's threads.
	 */
}
