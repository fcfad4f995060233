/* hashring.c - consistent-hash ring with virtual nodes (see hashring.h). */
#include "hashring.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

uint64_t
hashring_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t
hashring_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL; /* FNV prime */
	}
	return hashring_mix(h ^ len);
}

void
hashring_init(hashring *r)
{
	memset(r, 0, sizeof(*r));
}

void
hashring_fini(hashring *r)
{
	sl_free(r->nodes);
	hashring_init(r);
}

static int
node_cmp(const void *pa, const void *pb)
{
	const hashring_node *a = pa, *b = pb;
	if (a->point != b->point)
		return a->point < b->point ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
node_less(const hashring_node *a, const hashring_node *b)
{
	return a->point < b->point || (a->point == b->point && a->id < b->id);
}

/* The index of the first node not less than key (n when none). */
static size_t
lower_bound(const hashring *r, const hashring_node *key)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (node_less(&r->nodes[mid], key))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Point i of member id: depends on id and i only. */
static uint64_t
vnode_point(uint64_t id, uint64_t i)
{
	return hashring_mix(hashring_mix(id + 0x9e3779b97f4a7c15ULL) ^ (i * 0xbf58476d1ce4e5b9ULL + 1));
}

sluice_err
hashring_add(hashring *r, uint64_t id, void *val)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->nodes[i].id == id)
			return SLUICE_EEXISTS;
	if (r->n + HASHRING_VNODES > r->cap) {
		size_t cap = r->cap ? r->cap : HASHRING_VNODES;
		while (cap < r->n + HASHRING_VNODES)
			cap *= 2;
		hashring_node *v = sl_realloc(r->nodes, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		r->nodes = v;
		r->cap = cap;
	}
	for (uint64_t i = 0; i < HASHRING_VNODES; i++)
		r->nodes[r->n++] = (hashring_node) { vnode_point(id, i), id, val };
	qsort(r->nodes, r->n, sizeof(*r->nodes), node_cmp);
	r->members++;
	return SLUICE_OK;
}

void
hashring_remove(hashring *r, uint64_t id)
{
	size_t w = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->nodes[i].id != id)
			r->nodes[w++] = r->nodes[i];
	if (w != r->n)
		r->members--;
	r->n = w;
}

void *
hashring_lookup(const hashring *r, uint64_t h)
{
	if (r->n == 0)
		return NULL;
	hashring_node key = { h, 0, NULL };
	size_t at = lower_bound(r, &key);
	return r->nodes[at == r->n ? 0 : at].val;
}

size_t
hashring_members(const hashring *r)
{
	return r->members;
}
