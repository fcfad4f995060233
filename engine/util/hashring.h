/*
 * hashring.h - a consistent-hash ring: members (identified by a u64 id,
 * carrying a pointer) each own HASHRING_VNODES points on a 64-bit circle;
 * a hash belongs to the member of the first point at or after it,
 * wrapping. A member that joins takes only the hashes that now fall just
 * before its own points (about 1/(n+1) of them); one that leaves gives
 * only its own to the members that follow its points. Nothing else moves.
 * Not thread-safe.
 */
#ifndef SL_HASHRING_H
#define SL_HASHRING_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

#define HASHRING_VNODES 128

typedef struct {
	uint64_t point;
	uint64_t id;
	void *val;
} hashring_node;

typedef struct {
	hashring_node *nodes; /* sorted by point, then id */
	size_t n, cap;
	size_t members;
} hashring;

void hashring_init(hashring *r);
void hashring_fini(hashring *r);
/*
 * hashring_add places member id (its points depend only on id, so a
 * member that comes back with the same id gets the same share) carrying
 * val. SLUICE_EEXISTS when id is there, SLUICE_ENOMEM (the ring is then
 * unchanged).
 */
sluice_err hashring_add(hashring *r, uint64_t id, void *val);
/* Removes member id; nothing when it is not there. */
void hashring_remove(hashring *r, uint64_t id);
/* The val of the member owning hash h; NULL when the ring is empty. */
void *hashring_lookup(const hashring *r, uint64_t h);
size_t hashring_members(const hashring *r);

/* A 64-bit hash of bytes: FNV-1a, then murmur3's finalizer so that every
 * input bit reaches every output bit (FNV alone mixes its high bits
 * poorly, and the ring's points are compared as whole 64-bit values). */
uint64_t hashring_hash(const void *data, size_t len);
/* murmur3's 64-bit finalizer: a bijective mix of x. */
uint64_t hashring_mix(uint64_t x);
#endif
