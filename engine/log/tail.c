/* tail.c - in-memory ring of a topic's newest records (see tail.h). */
#include "tail.h"

#include <string.h>

#include "alloc.h"

static void
drop_oldest(tail *t, size_t *budget_used)
{
	tail_rec *r = &t->ring[t->head];
	t->bytes -= r->len;
	*budget_used -= r->len;
	sl_free(r->bytes);
	r->bytes = NULL;
	t->head = (t->head + 1) % TAIL_MAX_RECORDS;
	t->n--;
	t->first++;
}

void
tail_fini(tail *t, size_t *budget_used)
{
	while (t->n > 0)
		drop_oldest(t, budget_used);
	sl_free(t->ring);
	t->ring = NULL;
}

void
tail_append(tail *t, uint64_t off, const void *bytes, size_t len, size_t *budget_used)
{
	if (t->ring == NULL &&
	    (t->ring = sl_alloc(TAIL_MAX_RECORDS * sizeof(tail_rec))) == NULL)
		return;
	if (t->n > 0 && off != t->first + t->n) {
		while (t->n > 0) /* not the next offset: start over */
			drop_oldest(t, budget_used);
	}
	while (t->n > 0 && (t->n == TAIL_MAX_RECORDS || t->bytes + len > TAIL_MAX_BYTES ||
	                       *budget_used + len > TAIL_BUDGET_BYTES))
		drop_oldest(t, budget_used);
	if (len > TAIL_MAX_BYTES || *budget_used + len > TAIL_BUDGET_BYTES)
		return; /* no room: readers go to RocksDB */
	uint8_t *copy = sl_alloc(len);
	if (copy == NULL)
		return;
	memcpy(copy, bytes, len);
	if (t->n == 0)
		t->first = off;
	t->ring[(t->head + t->n) % TAIL_MAX_RECORDS] = (tail_rec) { (uint32_t) len, copy };
	t->n++;
	t->bytes += len;
	*budget_used += len;
}

void
tail_truncate(tail *t, uint64_t off, size_t *budget_used)
{
	while (t->n > 0 && t->first + t->n > off) {
		tail_rec *r = &t->ring[(t->head + t->n - 1) % TAIL_MAX_RECORDS];
		t->bytes -= r->len;
		*budget_used -= r->len;
		sl_free(r->bytes);
		r->bytes = NULL;
		t->n--;
	}
}

const tail_rec *
tail_get(const tail *t, uint64_t off)
{
	if (t->n == 0 || off < t->first || off >= t->first + t->n)
		return NULL;
	return &t->ring[(t->head + (off - t->first)) % TAIL_MAX_RECORDS];
}
