/* alloc.c - allocation wrappers with a failure-injection hook for tests. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown; /* 0: never fail */

static int
should_fail(void)
{
	long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (n <= 0)
		return 0;
	return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void
sl_alloc_fail_after(long n)
{
	atomic_store(&fail_countdown, n);
}

void *
sl_alloc(size_t n)
{
	if (should_fail())
		return NULL;
	return calloc(1, n ? n : 1);
}

void *
sl_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void
sl_free(void *p)
{
	free(p);
}

char *
sl_strdup(const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = sl_alloc(n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}
