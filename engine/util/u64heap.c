/* u64heap.c - binary min-heap of u64 (see u64heap.h). */
#include "u64heap.h"

#include "alloc.h"

void
u64heap_init(u64heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void
u64heap_fini(u64heap *h)
{
	sl_free(h->v);
	u64heap_init(h);
}

sluice_err
u64heap_push(u64heap *h, uint64_t x)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		uint64_t *v = sl_realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2] > x) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
	return SLUICE_OK;
}

uint64_t
u64heap_peek(const u64heap *h)
{
	return h->v[0];
}

uint64_t
u64heap_pop(u64heap *h)
{
	uint64_t top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t mv = last;
		if (l < h->n && h->v[l] < mv)
			m = l, mv = h->v[l];
		if (r < h->n && h->v[r] < mv)
			m = r;
		if (m == i)
			break;
		h->v[i] = h->v[m];
		i = m;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}
