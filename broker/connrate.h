/*
 * connrate.h - the rate of new connections one source address may open
 * (limits.max_connection_rate_per_address). A connection over the rate is
 * closed the moment nng adds it (NNG_PIPE_EV_ADD_PRE, on an nng thread),
 * before the broker gives it a session or reads a byte from it: a client
 * reconnecting in a loop costs the broker as little as nng allows, and
 * the connections already open are not touched.
 *
 * Sources are kept in a fixed table (CONNRATE_SLOTS, direct-mapped by a
 * hash of the address): a source that lands on a slot another holds takes
 * it over with a fresh budget, so the table never grows, and a lone
 * attacker keeps its slot. Addresses other than IPv4/IPv6 (ipc) are local
 * and not limited. Thread-safe.
 */
#ifndef SL_CONNRATE_H
#define SL_CONNRATE_H

#include <stdint.h>

#include <nng/nng.h>

#define CONNRATE_SLOTS 4096

typedef struct connrate connrate;

/* rate: new connections per second per address (also the burst); 0: off.
 * Returns NULL when out of memory. */
connrate *connrate_alloc(uint32_t rate);
void      connrate_free(connrate *cr);
/* 1: a connection from sa may open now (counted); 0: over the rate
 * (counted as refused). now_ms: a monotonic clock. */
int       connrate_admit(connrate *cr, const nng_sockaddr *sa, uint64_t now_ms);
/* Connections refused since start. */
uint64_t  connrate_refused(const connrate *cr);
#endif
