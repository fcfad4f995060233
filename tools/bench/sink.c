/*
 * sink.c - the consuming engine of sluice-bench: consumer threads (one
 * client and consumer each) that receive with sluice_receive, ack every
 * record individually (reliable mode) and record each offset in a sink
 * group's bitmap, so that the end of a run can say exactly what was
 * missing or duplicated. It also checks, with a fresh consumer, that a
 * subscription has nothing left unacked.
 *
 * Threading: each sink is one thread; several may feed one group (atomic
 * bitmap and counters). A failing sink sets `aborted` so that the others
 * stop instead of waiting for messages that will not come.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* How long one sluice_receive waits before checking for the end. */
#define POLL_MS 100

struct sink {
	sink_cfg        cfg;
	sink_group     *g;
	char            name[64];
	sluice_client  *c;
	pthread_t       thr;
	sluice_err      rv;
	uint64_t        received;
};

static pthread_mutex_t go_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static int go;
static atomic_int aborted;
static atomic_uint opened; /* sinks whose consumer is open */
static _Atomic uint64_t total_received;
/* Last time any sink received something, ns (updated every 64 records). */
static _Atomic uint64_t last_progress_ns;

int
sink_group_init(sink_group *g, uint64_t base, uint64_t n)
{
	memset(g, 0, sizeof(*g));
	g->base = base;
	g->n = n;
	g->bits = calloc((size_t) (n / 64 + 1), sizeof(*g->bits));
	return g->bits != NULL ? 0 : -1;
}

void
sink_group_fini(sink_group *g)
{
	free(g->bits);
	g->bits = NULL;
}

int
sink_group_add(sink_group *g, uint64_t offset)
{
	if (offset < g->base || offset - g->base >= g->n) {
		atomic_fetch_add_explicit(&g->extra, 1, memory_order_relaxed);
		return 0;
	}
	uint64_t i = offset - g->base, bit = UINT64_C(1) << (i % 64);
	uint64_t old = atomic_fetch_or_explicit(&g->bits[i / 64], bit, memory_order_relaxed);
	if (old & bit) {
		atomic_fetch_add_explicit(&g->dups, 1, memory_order_relaxed);
		return 0;
	}
	if (atomic_fetch_add(&g->distinct, 1) + 1 == g->n) {
		atomic_store(&g->end_ns, bench_now_ns());
		return 1;
	}
	return 0;
}

static int
complete(const sink_group *g)
{
	return atomic_load(&g->distinct) == g->n;
}

static sluice_err
consumer_open(sluice_consumer **k, sluice_client *c, const sink_cfg *cfg,
    const char *name)
{
	sluice_consumer_opts *co = NULL;
	sluice_err rv;
	if ((rv = sluice_consumer_opts_alloc(&co)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_type(co, cfg->type)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_mode(co, cfg->mode)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_window(co, cfg->window)) == SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_start(co, cfg->start, cfg->start_offset)) ==
	        SLUICE_OK &&
	    (rv = sluice_consumer_opts_set_name(co, name)) == SLUICE_OK &&
	    (cfg->mode != SLUICE_NON_RELIABLE ||
	        (rv = sluice_consumer_opts_set_overflow(co, SLUICE_BLOCK, cfg->window)) ==
	            SLUICE_OK))
		rv = sluice_consumer_open(k, c, cfg->topic, cfg->subscription, co);
	sluice_consumer_opts_free(co);
	if (rv != SLUICE_OK)
		bench_fail("open consumer", rv);
	return rv;
}

/* Receives until the group is complete; returns the first failure. */
static sluice_err
drain(sink *s, sluice_consumer *k)
{
	int reliable = s->cfg.mode == SLUICE_RELIABLE;
	uint64_t timeout_ns = (uint64_t) (s->cfg.timeout_s * 1e9);
	while (!complete(s->g) && !atomic_load(&aborted)) {
		sluice_record *r = NULL;
		sluice_err rv = sluice_receive(k, &r, POLL_MS);
		if (rv == SLUICE_ETIMEDOUT) {
			uint64_t now = bench_now_ns(), last = atomic_load(&last_progress_ns);
			if (now > last && now - last > timeout_ns) {
				fprintf(stderr,
				    "sluice-bench: %s: nothing received for %.1f s "
				    "(%llu of %llu offsets seen)\n",
				    s->name, s->cfg.timeout_s,
				    (unsigned long long) atomic_load(&s->g->distinct),
				    (unsigned long long) s->g->n);
				return SLUICE_ETIMEDOUT;
			}
			continue;
		}
		if (rv != SLUICE_OK) {
			bench_fail("receive", rv);
			return rv;
		}
		uint64_t off = sluice_record_offset(r);
		sluice_record_free(r);
		if (reliable && (rv = sluice_ack(k, off)) != SLUICE_OK) {
			bench_fail("ack", rv);
			return rv;
		}
		sink_group_add(s->g, off);
		if ((++s->received & 63) == 0) {
			atomic_fetch_add_explicit(&total_received, 64, memory_order_relaxed);
			atomic_store_explicit(&last_progress_ns, bench_now_ns(),
			    memory_order_relaxed);
		}
	}
	return SLUICE_OK;
}

static void *
sink_main(void *arg)
{
	sink *s = arg;
	sluice_consumer *k = NULL;
	pthread_mutex_lock(&go_mu);
	while (!go)
		pthread_cond_wait(&go_cv, &go_mu);
	pthread_mutex_unlock(&go_mu);
	if ((s->rv = consumer_open(&k, s->c, &s->cfg, s->name)) == SLUICE_OK) {
		atomic_fetch_add(&opened, 1);
		s->rv = drain(s, k);
		if (s->cfg.mode == SLUICE_RELIABLE) {
			sluice_err rv = sluice_consumer_flush_acks(k);
			if (rv != SLUICE_OK) {
				bench_fail("flush acks", rv);
				if (s->rv == SLUICE_OK)
					s->rv = rv;
			}
		}
		sluice_consumer_close(k);
	}
	if (s->rv != SLUICE_OK)
		atomic_store(&aborted, 1);
	return NULL;
}

sink *
sink_start(const sink_cfg *cfg, sink_group *g, const char *name)
{
	sink *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		bench_fail("start consumer", SLUICE_ENOMEM);
		return NULL;
	}
	s->cfg = *cfg;
	s->g = g;
	snprintf(s->name, sizeof(s->name), "%s", name);
	atomic_store(&last_progress_ns, bench_now_ns());
	if (bench_client_open(&s->c, cfg->url, name) != SLUICE_OK) {
		free(s);
		return NULL;
	}
	if (pthread_create(&s->thr, NULL, sink_main, s) != 0) {
		fprintf(stderr, "sluice-bench: cannot start a consumer thread\n");
		sluice_client_close(s->c);
		free(s);
		return NULL;
	}
	return s;
}

void
sink_go(void)
{
	atomic_store(&last_progress_ns, bench_now_ns());
	pthread_mutex_lock(&go_mu);
	go = 1;
	pthread_cond_broadcast(&go_cv);
	pthread_mutex_unlock(&go_mu);
}

int
sink_wait_open(unsigned n)
{
	while (atomic_load(&opened) < n) {
		if (atomic_load(&aborted))
			return -1;
		bench_sleep_until(bench_now_ns() + 1000000);
	}
	return 0;
}

sluice_err
sink_join(sink *s, uint64_t *received)
{
	if (s == NULL)
		return SLUICE_EINVAL;
	pthread_join(s->thr, NULL);
	sluice_client_close(s->c);
	sluice_err rv = s->rv;
	if (received != NULL)
		*received = s->received;
	free(s);
	return rv;
}

uint64_t
sink_total_received(void *unused)
{
	(void) unused;
	return atomic_load_explicit(&total_received, memory_order_relaxed);
}

sluice_err
sink_leftover(const sink_cfg *cfg, int wait_ms, int del, uint64_t *left)
{
	sluice_client *c = NULL;
	sluice_consumer *k = NULL;
	sluice_err rv;
	*left = 0;
	if ((rv = bench_client_open(&c, cfg->url, "sluice-bench-check")) != SLUICE_OK)
		return rv;
	if ((rv = consumer_open(&k, c, cfg, "sluice-bench-check")) == SLUICE_OK) {
		sluice_record *r = NULL;
		while ((rv = sluice_receive(k, &r, wait_ms)) == SLUICE_OK) {
			sluice_record_free(r);
			(*left)++;
		}
		if (rv == SLUICE_ETIMEDOUT)
			rv = SLUICE_OK;
		else
			bench_fail("receive (unacked check)", rv);
		sluice_err crv = del ? sluice_consumer_unsubscribe(k) : sluice_consumer_close(k);
		if (rv == SLUICE_OK && crv != SLUICE_OK) {
			rv = crv;
			bench_fail("unsubscribe", rv);
		}
	}
	sluice_client_close(c);
	return rv;
}
