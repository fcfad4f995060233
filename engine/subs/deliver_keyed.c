/* deliver_keyed.c - key_shared delivery. (Stub: not built yet.) */
#include "sub_impl.h"

void
deliver_pump_keyed(subs *s, subscription *sub)
{
	(void) s;
	(void) sub;
}

void
keyed_block(subs *s, subscription *sub, uint64_t offset)
{
	(void) s;
	(void) sub;
	(void) offset;
}

void
keyed_free(subscription *sub)
{
	(void) sub;
}
