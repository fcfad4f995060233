/*
 * connrate.c - new connections per second per source address (connrate.h).
 */
#include "connrate.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "tokenbucket.h"

typedef struct {
	uint8_t key[17];     /* family byte + address; all zero: free */
	tokenbucket budget;
} slot;

struct connrate {
	uint32_t rate;
	pthread_mutex_t mu;
	atomic_uint_fast64_t refused;
	slot slots[CONNRATE_SLOTS];
};

connrate *
connrate_alloc(uint32_t rate)
{
	connrate *cr = sl_alloc(sizeof(*cr));
	if (cr == NULL)
		return NULL;
	memset(cr, 0, sizeof(*cr));
	cr->rate = rate;
	pthread_mutex_init(&cr->mu, NULL);
	atomic_init(&cr->refused, 0);
	return cr;
}

void
connrate_free(connrate *cr)
{
	if (cr == NULL)
		return;
	pthread_mutex_destroy(&cr->mu);
	sl_free(cr);
}

/* The source's key (the address without the port); 0 when sa is not an
 * IP address. */
static int
key_of(const nng_sockaddr *sa, uint8_t key[17])
{
	memset(key, 0, 17);
	if (sa->s_family == NNG_AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &sa->s_in.sa_addr, 4);
		return 1;
	}
	if (sa->s_family == NNG_AF_INET6) {
		key[0] = 6;
		memcpy(key + 1, sa->s_in6.sa_addr, 16);
		return 1;
	}
	return 0;
}

/* FNV-1a: the table's index, not a defence (a source cannot choose its
 * address freely enough to aim at another's slot and gain from it). */
static uint32_t
slot_of(const uint8_t key[17])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % CONNRATE_SLOTS;
}

int
connrate_admit(connrate *cr, const nng_sockaddr *sa, uint64_t now_ms)
{
	uint8_t key[17];
	if (cr == NULL || cr->rate == 0 || !key_of(sa, key))
		return 1;
	pthread_mutex_lock(&cr->mu);
	slot *s = &cr->slots[slot_of(key)];
	if (memcmp(s->key, key, sizeof(key)) != 0) {
		memcpy(s->key, key, sizeof(key));
		tokenbucket_init(&s->budget, cr->rate, cr->rate, now_ms);
	}
	int ok = tokenbucket_take(&s->budget, 1, now_ms);
	pthread_mutex_unlock(&cr->mu);
	if (!ok)
		atomic_fetch_add(&cr->refused, 1);
	return ok;
}

uint64_t
connrate_refused(const connrate *cr)
{
	return cr != NULL ? atomic_load(&((connrate *) cr)->refused) : 0;
}
