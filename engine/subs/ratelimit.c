/* ratelimit.c - dispatch rate limit per subscription. (Stub: no limit.) */
#include "sub_impl.h"

size_t
ratelimit_take(subs *s, subscription *sub, size_t n, size_t bytes, uint64_t now_ms)
{
	(void) s;
	(void) sub;
	(void) bytes;
	(void) now_ms;
	return n;
}

void
ratelimit_free(subscription *sub)
{
	(void) sub;
}
