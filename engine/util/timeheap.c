/* timeheap.c - binary min-heap of (due, id) (see timeheap.h). */
#include "timeheap.h"

#include "alloc.h"

void
timeheap_init(timeheap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void
timeheap_fini(timeheap *h)
{
	sl_free(h->v);
	timeheap_init(h);
}

static int
less(const timeheap_entry *a, const timeheap_entry *b)
{
	return a->due < b->due || (a->due == b->due && a->id < b->id);
}

sluice_err
timeheap_push(timeheap *h, uint64_t due, uint64_t id)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		timeheap_entry *v = sl_realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->n++;
	timeheap_entry e = { due, id };
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!less(&e, &h->v[p]))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = e;
	return SLUICE_OK;
}

timeheap_entry
timeheap_top(const timeheap *h)
{
	return h->v[0];
}

timeheap_entry
timeheap_pop(timeheap *h)
{
	timeheap_entry top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const timeheap_entry *best = &last;
		if (l < h->n && less(&h->v[l], best)) {
			m = l;
			best = &h->v[l];
		}
		if (r < h->n && less(&h->v[r], best))
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
