/* strmap.c - string-keyed open-addressing hash map (see strmap.h). */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

typedef struct {
	const char *key; /* NULL: empty slot */
	void *val;
} slot;

struct strmap {
	slot *slots;
	size_t cap;   /* power of two */
	size_t count;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t) *s) * 1099511628211ull;
	return h;
}

sluice_err
strmap_alloc(strmap **out)
{
	strmap *m = sl_alloc(sizeof(*m));
	if (m == NULL)
		return SLUICE_ENOMEM;
	m->cap = 16;
	if ((m->slots = sl_alloc(m->cap * sizeof(slot))) == NULL) {
		sl_free(m);
		return SLUICE_ENOMEM;
	}
	*out = m;
	return SLUICE_OK;
}

void
strmap_free(strmap *m)
{
	if (m == NULL)
		return;
	sl_free(m->slots);
	sl_free(m);
}

static slot *
find(const strmap *m, const char *key)
{
	size_t i = hash(key) & (m->cap - 1);
	while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

void *
strmap_get(const strmap *m, const char *key)
{
	slot *s = find(m, key);
	return s->key ? s->val : NULL;
}

static sluice_err
grow(strmap *m)
{
	slot *old = m->slots;
	size_t oldcap = m->cap;
	slot *fresh = sl_alloc(oldcap * 2 * sizeof(slot));
	if (fresh == NULL)
		return SLUICE_ENOMEM;
	m->slots = fresh;
	m->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*find(m, old[i].key) = old[i];
	sl_free(old);
	return SLUICE_OK;
}

sluice_err
strmap_put(strmap *m, const char *key, void *val)
{
	sluice_err rv;
	/* Keep the load under 3/4 so probes stay short. */
	if ((m->count + 1) * 4 > m->cap * 3 && (rv = grow(m)) != SLUICE_OK)
		return rv;
	slot *s = find(m, key);
	if (s->key == NULL)
		m->count++;
	s->key = key;
	s->val = val;
	return SLUICE_OK;
}

void
strmap_del(strmap *m, const char *key)
{
	slot *s = find(m, key);
	if (s->key == NULL)
		return;
	s->key = NULL;
	m->count--;
	/* Re-place the rest of the probe run so lookups still find them. */
	size_t i = (size_t) (s - m->slots);
	for (i = (i + 1) & (m->cap - 1); m->slots[i].key != NULL;
	     i = (i + 1) & (m->cap - 1)) {
		slot moved = m->slots[i];
		m->slots[i].key = NULL;
		*find(m, moved.key) = moved;
	}
}

size_t
strmap_count(const strmap *m)
{
	return m->count;
}

void
strmap_foreach(const strmap *m, void (*fn)(void *val, void *arg), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL)
			fn(m->slots[i].val, arg);
}
