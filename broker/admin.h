/*
 * admin.h - the admin API (sluice-admin) inside the broker. One Admin
 * request names an operation; its handler reads or changes broker state on
 * the loop thread and fills an AdminResult. What the result points to lives
 * in an arena freed after the reply is packed, so handlers may borrow
 * engine strings and allocate freely without cleaning up on each path.
 */
#ifndef SL_ADMIN_H
#define SL_ADMIN_H

#include "broker.h"

typedef struct admin_chunk admin_chunk;

typedef struct {
	admin_chunk *chunks;              /* zeroed blocks, freed together */
	Sluice__StoredMessage **stored;   /* peeked messages to free */
	size_t nstored, capstored;
	Sluice__ParkedInfo **parked;      /* listed parked messages to free */
	size_t nparked, capparked;
	int failed;                       /* an allocation failed */
} admin_arena;

/* Zeroed memory that lives until admin_arena_free; NULL sets failed. */
void *admin_alloc(admin_arena *a, size_t n);
char *admin_strdup(admin_arena *a, const char *s);
void  admin_arena_free(admin_arena *a);
/* Frees p with the arena; -1 (p not taken) when out of memory. */
int   admin_keep_parked(admin_arena *a, Sluice__ParkedInfo *p);

typedef struct {
	broker *b;
	const Sluice__Admin *req;
	Sluice__AdminResult *res;
	admin_arena *arena;
	char *detail;                     /* the error text, when not OK */
	size_t dlen;
} admin_call;

/* admin_topics.c */
sluice_err admin_topics_list(admin_call *c);
sluice_err admin_topic_create(admin_call *c);
sluice_err admin_topic_delete(admin_call *c);
sluice_err admin_topic_stats(admin_call *c);
sluice_err admin_topic_peek(admin_call *c);
/* Sets the topic's publish rate limit (unset fields keep their value). */
sluice_err admin_topic_configure(admin_call *c);
/* The topic the request names, or an ENOTOPIC error with its text. */
sluice_err admin_find_topic(admin_call *c, tlog_topic **out);

/* admin_subs.c */
sluice_err admin_subs_list(admin_call *c);
sluice_err admin_sub_stats(admin_call *c);
sluice_err admin_sub_create(admin_call *c);
sluice_err admin_sub_delete(admin_call *c);
sluice_err admin_sub_reset(admin_call *c);
sluice_err admin_sub_skip(admin_call *c);
sluice_err admin_sub_why(admin_call *c);
sluice_err admin_consumers_list(admin_call *c);
sluice_err admin_sub_configure(admin_call *c);
sluice_err admin_parked_list(admin_call *c);
sluice_err admin_parked_replay(admin_call *c);
sluice_err admin_parked_drop(admin_call *c);

/* admin_broker.c */
sluice_err admin_broker_health(admin_call *c);
sluice_err admin_broker_stats(admin_call *c);

/* admin_token.c: a bearer token for req->principal, valid req->ttl_ms. */
sluice_err admin_token_create(admin_call *c);

/* producers.c: which connections publish to which topic, for stats. */
void   producers_note(broker *b, tlog_topic *t, uint32_t pipe_id);
size_t producers_count(broker *b, tlog_topic *t);
void   producers_forget_topic(broker *b, tlog_topic *t);
void   producers_fini(broker *b);
#endif
