/* u64map.c - u64-keyed open-addressing hash map (see u64map.h). */
#include "u64map.h"

#include "alloc.h"

typedef struct {
	uint64_t key;
	void *val; /* NULL: empty slot (values are never NULL) */
} slot;

struct u64map {
	slot *slots;
	size_t cap; /* power of two */
	size_t count;
};

static size_t
home(const u64map *m, uint64_t k)
{
	k ^= k >> 33; /* murmur3 finalizer: offsets are sequential */
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t) k & (m->cap - 1);
}

sluice_err
u64map_alloc(u64map **out)
{
	u64map *m = sl_alloc(sizeof(*m));
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
u64map_free(u64map *m)
{
	if (m == NULL)
		return;
	sl_free(m->slots);
	sl_free(m);
}

static slot *
find(const u64map *m, uint64_t key)
{
	size_t i = home(m, key);
	while (m->slots[i].val != NULL && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

void *
u64map_get(const u64map *m, uint64_t key)
{
	return find(m, key)->val;
}

static sluice_err
grow(u64map *m)
{
	slot *old = m->slots;
	size_t oldcap = m->cap;
	slot *fresh = sl_alloc(oldcap * 2 * sizeof(slot));
	if (fresh == NULL)
		return SLUICE_ENOMEM;
	m->slots = fresh;
	m->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].val != NULL)
			*find(m, old[i].key) = old[i];
	sl_free(old);
	return SLUICE_OK;
}

sluice_err
u64map_put(u64map *m, uint64_t key, void *val)
{
	sluice_err rv;
	if (val == NULL)
		return SLUICE_EINVAL;
	if ((m->count + 1) * 4 > m->cap * 3 && (rv = grow(m)) != SLUICE_OK)
		return rv;
	slot *s = find(m, key);
	if (s->val == NULL)
		m->count++;
	s->key = key;
	s->val = val;
	return SLUICE_OK;
}

void *
u64map_del(u64map *m, uint64_t key)
{
	slot *s = find(m, key);
	void *val = s->val;
	if (val == NULL)
		return NULL;
	s->val = NULL;
	m->count--;
	size_t i = (size_t) (s - m->slots);
	for (i = (i + 1) & (m->cap - 1); m->slots[i].val != NULL;
	     i = (i + 1) & (m->cap - 1)) {
		slot moved = m->slots[i];
		m->slots[i].val = NULL;
		*find(m, moved.key) = moved;
	}
	return val;
}

size_t
u64map_count(const u64map *m)
{
	return m->count;
}

void
u64map_foreach(const u64map *m, void (*fn)(uint64_t, void *, void *), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].val != NULL)
			fn(m->slots[i].key, m->slots[i].val, arg);
}
