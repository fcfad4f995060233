/*
 * progress.c - the progress line of sluice-bench: a thread that rewrites
 * one line on stderr twice a second, only when stderr is a terminal (so
 * logs and pipes get no control characters). It reads the count through
 * the mode's callback and owns nothing else.
 */
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

#define PERIOD_NS 500000000u

struct progress {
	pthread_t        thr;
	pthread_mutex_t  mu;
	pthread_cond_t   cv;  /* signalled by progress_stop */
	int              stop;
	const char      *what;
	uint64_t         total;
	progress_fn      fn;
	void            *arg;
};

static void *
run(void *arg)
{
	progress *p = arg;
	uint64_t t0 = bench_now_ns(), last_t = t0, last_n = 0;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PERIOD_NS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->stop)
			break;
		uint64_t n = p->fn(p->arg), t = bench_now_ns();
		double rate = t > last_t ? (double) (n - last_n) * 1e9 / (double) (t - last_t) : 0;
		fprintf(stderr, "\r\033[K%s: %llu/%llu  %.0f msgs/s  %.1f s", p->what,
		    (unsigned long long) n, (unsigned long long) p->total, rate,
		    (double) (t - t0) / 1e9);
		fflush(stderr);
		last_t = t;
		last_n = n;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

progress *
progress_start(const char *what, uint64_t total, progress_fn fn, void *arg)
{
	if (!isatty(STDERR_FILENO))
		return NULL;
	progress *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->what = what;
	p->total = total;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thr, NULL, run, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void
progress_stop(progress *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thr, NULL);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
