/*
 * u64map.h - a hash map from u64 keys to pointers (open addressing, linear
 * probing, backward-shift deletion: no tombstones, so it never degrades).
 * Not thread-safe.
 */
#ifndef SL_U64MAP_H
#define SL_U64MAP_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

typedef struct u64map u64map;

sluice_err u64map_alloc(u64map **out);
void       u64map_free(u64map *m);
void      *u64map_get(const u64map *m, uint64_t key);
sluice_err u64map_put(u64map *m, uint64_t key, void *val); /* inserts or replaces */
void      *u64map_del(u64map *m, uint64_t key);           /* returns the value */
size_t     u64map_count(const u64map *m);
/* Visits every entry; fn must not change the map. */
void u64map_foreach(const u64map *m, void (*fn)(uint64_t key, void *val, void *arg), void *arg);
#endif
