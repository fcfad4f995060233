/*
 * session.h - what the broker knows about each client connection (nng
 * pipe): whether it completed the handshake, its name, and how many of its
 * requests await a reply. Loop thread only.
 */
#ifndef SL_SESSION_H
#define SL_SESSION_H

#include <stdint.h>

#include "sluice/sluice.h"
#include "strmap.h"

typedef struct session {
	uint32_t pipe_id;
	char key[12];          /* pipe id in decimal: the table key */
	int hello_done;        /* handshake completed */
	char *client_name;     /* from Hello; owned */
	uint32_t outstanding;  /* requests read but not yet answered */
	int closing;           /* we closed the pipe; drop its requests */
	const char *close_reason; /* static text, set when we close it (lease
	                          * expired, ...); NULL: the peer closed */
	uint64_t last_request_ms; /* loop time of its last request: the lease */
	char principal[128];   /* authenticated in Hello; "" when auth is off */
	uint64_t close_at_ms;  /* loop time to close it (auth failed: after
	                        * its error reply left); 0: none */
	uint64_t *consumers;   /* ids of its consumers */
	size_t nconsumers, cap_consumers;
} session;

typedef struct {
	strmap *by_pipe;
	uint64_t connections_total;
} sessions;

sluice_err sessions_init(sessions *ss);
void       sessions_fini(sessions *ss);
session   *sessions_find(sessions *ss, uint32_t pipe_id);
/* Returns the existing session or a new one (NULL when out of memory). */
session   *sessions_add(sessions *ss, uint32_t pipe_id);
void       sessions_remove(sessions *ss, uint32_t pipe_id);
size_t     sessions_count(const sessions *ss);
sluice_err session_add_consumer(session *s, uint64_t id);
void       session_remove_consumer(session *s, uint64_t id);
/* Visits every session; fn must not add or remove sessions. */
void sessions_foreach(sessions *ss, void (*fn)(session *s, void *arg), void *arg);
#endif
