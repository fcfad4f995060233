/* breaker.c - per-consumer circuit breaker. (Stub: always closed.) */
#include "sub_impl.h"

void
breaker_on_result(subs *s, consumer *c, int ok, uint64_t now_ms)
{
	(void) s;
	(void) c;
	(void) ok;
	(void) now_ms;
}

int
breaker_allows(subs *s, consumer *c, uint64_t now_ms, size_t *max)
{
	(void) s;
	(void) c;
	(void) now_ms;
	(void) max;
	return 1;
}

void
breaker_free(consumer *c)
{
	(void) c;
}
