/*
 * strmap.h - a hash map from NUL-terminated strings to pointers (open
 * addressing, linear probing). Keys are borrowed: the value must own the
 * string it is stored under and outlive its entry. Not thread-safe.
 */
#ifndef SL_STRMAP_H
#define SL_STRMAP_H

#include <stddef.h>

#include "sluice/sluice.h"

typedef struct strmap strmap;

sluice_err strmap_alloc(strmap **out);
void       strmap_free(strmap *m);
void      *strmap_get(const strmap *m, const char *key);
/* Inserts or replaces. */
sluice_err strmap_put(strmap *m, const char *key, void *val);
void       strmap_del(strmap *m, const char *key);
size_t     strmap_count(const strmap *m);
/* Visits every value; the map must not change during the walk. */
void strmap_foreach(const strmap *m, void (*fn)(void *val, void *arg), void *arg);
#endif
