/* cursor.c - ack floor plus acked ranges (see cursor.h). */
#include "cursor.h"

#include <string.h>

#include "alloc.h"

void
cursor_init(cursor *c, uint64_t floor)
{
	memset(c, 0, sizeof(*c));
	c->floor = floor;
}

void
cursor_fini(cursor *c)
{
	sl_free(c->ranges);
	c->ranges = NULL;
	c->n = c->cap = 0;
}

/* Index of the first range with hi > off (ranges are sorted). */
static size_t
first_above(const cursor *c, uint64_t off)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->ranges[mid].hi > off)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int
cursor_is_acked(const cursor *c, uint64_t off)
{
	if (off < c->floor)
		return 1;
	size_t i = first_above(c, off);
	return i < c->n && c->ranges[i].lo <= off;
}

static void
remove_at(cursor *c, size_t i)
{
	memmove(&c->ranges[i], &c->ranges[i + 1], (c->n - i - 1) * sizeof(cursor_range));
	c->n--;
}

/* Folds a first range that starts at the floor into the floor. */
static void
settle_floor(cursor *c)
{
	while (c->n > 0 && c->ranges[0].lo <= c->floor) {
		if (c->ranges[0].hi > c->floor)
			c->floor = c->ranges[0].hi;
		remove_at(c, 0);
	}
}

sluice_err
cursor_ack(cursor *c, uint64_t off, int *fresh)
{
	*fresh = 0;
	if (cursor_is_acked(c, off))
		return SLUICE_OK;
	*fresh = 1;
	if (off == c->floor) {
		c->floor++;
		settle_floor(c);
		return SLUICE_OK;
	}
	size_t i = first_above(c, off); /* ranges[i].lo > off, if any */
	int joins_left = i > 0 && c->ranges[i - 1].hi == off;
	int joins_right = i < c->n && c->ranges[i].lo == off + 1;
	if (joins_left && joins_right) {
		c->ranges[i - 1].hi = c->ranges[i].hi;
		remove_at(c, i);
	} else if (joins_left) {
		c->ranges[i - 1].hi = off + 1;
	} else if (joins_right) {
		c->ranges[i].lo = off;
	} else {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 8;
			cursor_range *r = sl_realloc(c->ranges, cap * sizeof(*r));
			if (r == NULL) {
				*fresh = 0;
				return SLUICE_ENOMEM;
			}
			c->ranges = r;
			c->cap = cap;
		}
		memmove(&c->ranges[i + 1], &c->ranges[i], (c->n - i) * sizeof(cursor_range));
		c->ranges[i] = (cursor_range) { off, off + 1 };
		c->n++;
	}
	return SLUICE_OK;
}

void
cursor_ack_below(cursor *c, uint64_t end)
{
	if (end <= c->floor)
		return;
	c->floor = end;
	settle_floor(c);
}

uint64_t
cursor_next_unacked(const cursor *c, uint64_t from)
{
	if (from < c->floor)
		from = c->floor;
	size_t i = first_above(c, from);
	if (i < c->n && c->ranges[i].lo <= from)
		return c->ranges[i].hi;
	return from;
}

size_t
cursor_holes(const cursor *c)
{
	return c->n;
}

uint64_t
cursor_acked_count(const cursor *c)
{
	uint64_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->ranges[i].hi - c->ranges[i].lo;
	return n;
}

void
cursor_reset(cursor *c, uint64_t floor)
{
	c->n = 0;
	c->floor = floor;
}

static sluice_err
insert_at(cursor *c, size_t i, cursor_range r)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		cursor_range *v = sl_realloc(c->ranges, cap * sizeof(*v));
		if (v == NULL)
			return SLUICE_ENOMEM;
		c->ranges = v;
		c->cap = cap;
	}
	memmove(&c->ranges[i + 1], &c->ranges[i], (c->n - i) * sizeof(cursor_range));
	c->ranges[i] = r;
	c->n++;
	return SLUICE_OK;
}

sluice_err
cursor_unack(cursor *c, uint64_t off)
{
	if (!cursor_is_acked(c, off))
		return SLUICE_OK;
	if (off < c->floor) {
		/* The floor comes back to off; what lay between stays acked. */
		if (off + 1 < c->floor &&
		    insert_at(c, 0, (cursor_range) { off + 1, c->floor }) != SLUICE_OK)
			return SLUICE_ENOMEM;
		c->floor = off;
		return SLUICE_OK;
	}
	size_t i = first_above(c, off); /* ranges[i] holds off */
	cursor_range r = c->ranges[i];
	if (r.lo == off && r.hi == off + 1) {
		remove_at(c, i);
	} else if (r.lo == off) {
		c->ranges[i].lo = off + 1;
	} else if (r.hi == off + 1) {
		c->ranges[i].hi = off;
	} else {
		if (insert_at(c, i + 1, (cursor_range) { off + 1, r.hi }) != SLUICE_OK)
			return SLUICE_ENOMEM;
		c->ranges[i].hi = off;
	}
	return SLUICE_OK;
}
