/*
 * pub.c - the publishing engine of sluice-bench: P threads, each with its
 * own client and producer, publish their share of N messages with
 * sluice_publish_async (client batching on) and wait for every ack. It
 * measures the publish-ack latency of each message: from the
 * sluice_publish_async call to its callback.
 *
 * Threading: callbacks run on library threads, several at once for one
 * producer (batches complete concurrently), so a worker's histogram and
 * offsets are under its mutex. The send time of a message travels to its
 * callback in a slot of a per-worker ring; a slot is reused only after its
 * callback cleared it, which the window makes a formality.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

typedef struct worker worker;

typedef struct {
	worker     *w;
	uint64_t    t;    /* when sluice_publish_async was called, ns */
	atomic_int  busy; /* set by the publisher, cleared by the callback */
} slot;

struct worker {
	const pub_cfg    *cfg;
	pthread_barrier_t *start;  /* all connected: the clock starts */
	pthread_t         thr;
	uint64_t          count;   /* this worker's share */
	unsigned          index;
	slot             *slots;
	size_t            mask;    /* ring size - 1 */
	pthread_mutex_t   mu;      /* guards the fields below up to acked */
	histogram        *lat;     /* NULL when not measured */
	uint64_t          min_off, max_off;
	sluice_err        first_err;
	_Atomic uint64_t  acked;
	_Atomic uint64_t  errors;
	uint64_t          end_ns;  /* every ack received; written by the thread */
	sluice_err        rv;      /* the thread's own failure */
};

static void
on_ack(sluice_producer *p, sluice_err rv, uint64_t offset, void *arg)
{
	(void) p;
	slot *s = arg;
	worker *w = s->w;
	uint64_t lat = bench_now_ns() - s->t;
	atomic_store_explicit(&s->busy, 0, memory_order_release);
	pthread_mutex_lock(&w->mu);
	if (rv == SLUICE_OK) {
		if (w->lat != NULL)
			histogram_record(w->lat, lat);
		if (offset < w->min_off)
			w->min_off = offset;
		if (offset > w->max_off || w->max_off == UINT64_MAX)
			w->max_off = offset;
	} else if (w->first_err == SLUICE_OK) {
		w->first_err = rv;
	}
	pthread_mutex_unlock(&w->mu);
	if (rv == SLUICE_OK)
		atomic_fetch_add_explicit(&w->acked, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&w->errors, 1, memory_order_relaxed);
}

static sluice_err
open_producer(worker *w, sluice_client **c, sluice_producer **p)
{
	const pub_cfg *cfg = w->cfg;
	sluice_producer_opts *po = NULL;
	sluice_err rv;
	char name[64];
	snprintf(name, sizeof(name), "sluice-bench-pub-%u", w->index);
	if ((rv = bench_client_open(c, cfg->url, name)) != SLUICE_OK)
		return rv;
	/* Room for a full batch, within the broker's frame limit. */
	uint64_t bytes = (uint64_t) cfg->batch * (cfg->size + 64u);
	if (bytes < 256u * 1024u)
		bytes = 256u * 1024u;
	if (bytes > 4u * 1024u * 1024u)
		bytes = 4u * 1024u * 1024u;
	if ((rv = sluice_producer_opts_alloc(&po)) != SLUICE_OK ||
	    (rv = sluice_producer_opts_set_batch(po, cfg->batch, (uint32_t) bytes,
	         cfg->linger_ms)) != SLUICE_OK ||
	    (rv = sluice_producer_opts_set_window(po, cfg->window)) != SLUICE_OK ||
	    (rv = sluice_producer_open(p, *c, cfg->topic, po)) != SLUICE_OK)
		bench_fail("open producer", rv);
	sluice_producer_opts_free(po);
	return rv;
}

static sluice_err
publish_all(worker *w, sluice_producer *p)
{
	const pub_cfg *cfg = w->cfg;
	char *payload = malloc(cfg->size ? cfg->size : 1);
	if (payload == NULL)
		return SLUICE_ENOMEM;
	for (uint32_t i = 0; i < cfg->size; i++)
		payload[i] = (char) ('a' + i % 26);
	sluice_err rv = SLUICE_OK;
	for (uint64_t i = 0; i < w->count; i++) {
		slot *s = &w->slots[i & w->mask];
		while (atomic_load_explicit(&s->busy, memory_order_acquire))
			sched_yield();
		sluice_msg *m = NULL;
		if ((rv = sluice_msg_alloc(&m)) != SLUICE_OK ||
		    (rv = sluice_msg_set_payload(m, payload, cfg->size)) != SLUICE_OK) {
			sluice_msg_free(m);
			break;
		}
		atomic_store_explicit(&s->busy, 1, memory_order_relaxed);
		s->t = bench_now_ns();
		rv = sluice_publish_async(p, &m, on_ack, s);
		sluice_msg_free(m);
		if (rv != SLUICE_OK) {
			atomic_store_explicit(&s->busy, 0, memory_order_relaxed);
			bench_fail("publish", rv);
			break;
		}
	}
	sluice_err frv = sluice_producer_flush(p);
	if (rv == SLUICE_OK && frv != SLUICE_OK) {
		rv = frv;
		bench_fail("publish", rv);
	}
	free(payload);
	return rv;
}

static void *
worker_main(void *arg)
{
	worker *w = arg;
	sluice_client *c = NULL;
	sluice_producer *p = NULL;
	w->rv = open_producer(w, &c, &p);
	pthread_barrier_wait(w->start);
	if (w->rv == SLUICE_OK)
		w->rv = publish_all(w, p);
	w->end_ns = bench_now_ns();
	sluice_producer_close(p);
	sluice_client_close(c);
	return NULL;
}

static uint64_t
acked_so_far(void *arg)
{
	worker *ws = arg;
	uint64_t n = 0;
	for (unsigned i = 0; i < ws[0].cfg->producers; i++)
		n += atomic_load_explicit(&ws[i].acked, memory_order_relaxed);
	return n;
}

static size_t
ring_size(const pub_cfg *cfg)
{
	size_t need = 2 * (size_t) cfg->window + cfg->batch, n = 1024;
	while (n < need)
		n <<= 1;
	return n;
}

sluice_err
pub_run(const pub_cfg *cfg, pub_result *res)
{
	unsigned np = cfg->producers;
	worker *ws = calloc(np, sizeof(*ws));
	pthread_barrier_t start;
	size_t ring = ring_size(cfg);
	sluice_err rv = SLUICE_OK;
	unsigned started = 0;
	if (ws == NULL)
		return SLUICE_ENOMEM;
	pthread_barrier_init(&start, NULL, np + 1);
	for (unsigned i = 0; i < np; i++) {
		worker *w = &ws[i];
		w->cfg = cfg;
		w->start = &start;
		w->index = i;
		w->count = cfg->count / np + (i < cfg->count % np);
		w->mask = ring - 1;
		w->min_off = UINT64_MAX;
		w->max_off = UINT64_MAX;
		pthread_mutex_init(&w->mu, NULL);
		w->slots = calloc(ring, sizeof(slot));
		w->lat = cfg->latency != NULL ? histogram_alloc() : NULL;
		if (w->slots == NULL || (cfg->latency != NULL && w->lat == NULL)) {
			rv = SLUICE_ENOMEM;
			continue; /* every mutex is initialised for the cleanup */
		}
		for (size_t j = 0; j < ring; j++)
			w->slots[j].w = w;
	}
	if (rv != SLUICE_OK)
		goto done;
	for (; started < np; started++)
		if (pthread_create(&ws[started].thr, NULL, worker_main, &ws[started]) != 0)
			break;
	if (started < np) {
		/* Nobody can pass the barrier now: give up before it. Threads
		 * already started are stuck, so exit outright. */
		fprintf(stderr, "sluice-bench: cannot start producer threads\n");
		exit(1);
	}
	pthread_barrier_wait(&start);
	uint64_t t0 = bench_now_ns(), t1 = t0;
	progress *pr = cfg->progress != NULL
	    ? progress_start(cfg->progress, cfg->count, acked_so_far, ws)
	    : NULL;
	memset(res, 0, sizeof(*res));
	res->min_offset = UINT64_MAX;
	for (unsigned i = 0; i < np; i++) {
		worker *w = &ws[i];
		pthread_join(w->thr, NULL);
		if (w->end_ns > t1)
			t1 = w->end_ns;
		if (rv == SLUICE_OK && w->rv != SLUICE_OK)
			rv = w->rv;
		if (res->first_err == SLUICE_OK)
			res->first_err = w->rv != SLUICE_OK ? w->rv : w->first_err;
		res->acked += w->acked;
		res->errors += w->errors;
		if (w->min_off < res->min_offset)
			res->min_offset = w->min_off;
		if (w->max_off != UINT64_MAX && w->max_off > res->max_offset)
			res->max_offset = w->max_off;
		if (cfg->latency != NULL)
			histogram_merge(cfg->latency, w->lat);
	}
	progress_stop(pr);
	res->elapsed_ns = t1 - t0;
	if (rv == SLUICE_OK && res->errors > 0) {
		rv = res->first_err != SLUICE_OK ? res->first_err : SLUICE_EIO;
		bench_fail("publish", rv);
	}
done:
	for (unsigned i = 0; i < np; i++) {
		histogram_free(ws[i].lat);
		free(ws[i].slots);
		pthread_mutex_destroy(&ws[i].mu);
	}
	pthread_barrier_destroy(&start);
	free(ws);
	return rv;
}
