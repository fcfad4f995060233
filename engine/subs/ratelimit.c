/*
 * ratelimit.c - the dispatch rate limit of a subscription (messages/s and
 * bytes/s of stored records): two token buckets (tokenbucket.h), created
 * the first time a limited subscription dispatches and kept in
 * sub->limiter. The policy itself (sub->limit) is policy.c's; this file
 * only applies it.
 *
 * How a delivery path uses it: ratelimit_take before filling a fetch clamps
 * the number of messages (and says 0 while the byte bucket is empty),
 * ratelimit_byte_room bounds the bytes of the fill (a record goes while the
 * byte bucket is positive: the one that empties it is the last), and
 * ratelimit_settle afterwards gives back the messages not used and debits
 * the bytes sent. When nothing may go, the subscription is scheduled
 * (subs_schedule) for the moment the buckets allow one message again.
 */
#include "alloc.h"
#include "sub_impl.h"
#include "tokenbucket.h"

typedef struct {
	tokenbucket msgs, bytes;
} limiter;

static int
is_limited(const subscription *sub)
{
	return sub->limit.msgs_per_sec != 0 || sub->limit.bytes_per_sec != 0;
}

/*
 * The limiter of sub, created on first use or brought in line with a
 * changed policy. A new limiter starts with one message's worth and a
 * byte bucket just positive, so a fresh subscription (or one whose limit
 * was just set) starts at the rate rather than with a burst.
 */
static limiter *
get(subscription *sub, uint64_t now_ms)
{
	limiter *l = sub->limiter;
	if (l == NULL) {
		if ((l = sl_alloc(sizeof(*l))) == NULL)
			return NULL;
		tokenbucket_init(&l->msgs, sub->limit.msgs_per_sec, 1, now_ms);
		tokenbucket_init(&l->bytes, sub->limit.bytes_per_sec, 1, now_ms);
		sub->limiter = l;
		return l;
	}
	if (l->msgs.rate != sub->limit.msgs_per_sec)
		tokenbucket_set_rate(&l->msgs, sub->limit.msgs_per_sec, now_ms);
	if (l->bytes.rate != sub->limit.bytes_per_sec)
		tokenbucket_set_rate(&l->bytes, sub->limit.bytes_per_sec, now_ms);
	return l;
}

/* Milliseconds until one message may go (a message token and a positive
 * byte bucket); the buckets are up to date as of now_ms. */
static uint64_t
wait_one(const limiter *l, uint64_t now_ms)
{
	uint64_t a = tokenbucket_wait_ms(&l->msgs, 1, now_ms);
	uint64_t b = tokenbucket_positive_in_ms(&l->bytes, now_ms);
	return a > b ? a : b;
}

size_t
ratelimit_take(subs *s, subscription *sub, size_t n, size_t bytes, uint64_t now_ms)
{
	if (!is_limited(sub)) {
		ratelimit_free(sub); /* the limit was lifted */
		return n;
	}
	limiter *l = get(sub, now_ms);
	if (l == NULL)
		return n; /* out of memory: deliver rather than stall */
	tokenbucket_debit(&l->bytes, bytes, now_ms);
	if (n == 0)
		return 0;
	tokenbucket_refill(&l->msgs, now_ms);
	tokenbucket_refill(&l->bytes, now_ms);
	uint64_t wait = wait_one(l, now_ms);
	size_t k = 0;
	if (wait == 0) {
		uint64_t avail = tokenbucket_available(&l->msgs, now_ms);
		k = avail < n ? (size_t) avail : n;
		tokenbucket_debit(&l->msgs, k, now_ms);
	}
	if (k < n)
		sub->rate_limited++;
	/* Only a round that sends nothing needs a wake-up: one that sends
	 * some is followed by the consumer's next fetch. */
	if (k == 0)
		subs_schedule(s, sub, now_ms + wait);
	return k;
}

size_t
ratelimit_byte_room(const subscription *sub)
{
	const limiter *l = sub->limiter;
	if (l == NULL || l->bytes.rate == 0 || !is_limited(sub))
		return SIZE_MAX;
	if (l->bytes.level <= 0)
		return 0;
	uint64_t room = ((uint64_t) l->bytes.level + 999) / 1000;
	return room > SIZE_MAX ? SIZE_MAX : (size_t) room;
}

void
ratelimit_settle(subscription *sub, size_t unused, size_t bytes, uint64_t now_ms)
{
	limiter *l = sub->limiter;
	if (l == NULL)
		return;
	tokenbucket_credit(&l->msgs, unused);
	tokenbucket_debit(&l->bytes, bytes, now_ms);
}

uint64_t
ratelimit_wait_ms(const subscription *sub, uint64_t now_ms)
{
	if (!is_limited(sub) || sub->limiter == NULL)
		return 0;
	limiter l = *(const limiter *) sub->limiter;
	tokenbucket_refill(&l.msgs, now_ms);
	tokenbucket_refill(&l.bytes, now_ms);
	return wait_one(&l, now_ms);
}

void
ratelimit_free(subscription *sub)
{
	sl_free(sub->limiter);
	sub->limiter = NULL;
}
