/*
 * acl.h - who may do what (docs/security.md): per principal, the topic
 * patterns it may produce to, consume from and administer. A pattern is a
 * topic name or a prefix ending with '*' ("*" alone: everything). Default
 * deny: a principal not listed, or a topic no pattern matches, is refused.
 * Plain data, loop thread only; config_file.c fills it, auth.c owns the
 * live copy (replaced whole on SIGHUP).
 */
#ifndef SL_ACL_H
#define SL_ACL_H

#include <stddef.h>

typedef enum { ACL_PRODUCE, ACL_CONSUME, ACL_ADMIN, ACL_NPERMS } acl_perm;

typedef struct {
	char *principal;             /* owned */
	char **pats[ACL_NPERMS];     /* owned patterns per permission */
	size_t npats[ACL_NPERMS];
} acl_entry;

typedef struct {
	acl_entry *entries;          /* owned, in file order */
	size_t n;
} acl;

/* "produce", "consume" or "admin". */
const char *acl_perm_name(acl_perm p);
/* 0 and *out set when name is one of the above. */
int acl_perm_parse(const char *name, acl_perm *out);
/* Whether pattern matches topic (exact, or prefix before a final '*'). */
int acl_pattern_matches(const char *pattern, const char *topic);
/* The principal's entry, or NULL when it is not listed. */
const acl_entry *acl_find(const acl *a, const char *principal);
/* Whether principal has permission p on topic (default deny). */
int acl_allows(const acl *a, const char *principal, acl_perm p, const char *topic);
/* Appends an entry for principal (copied); NULL when out of memory. */
acl_entry *acl_add(acl *a, const char *principal);
/* Appends pattern (copied) to e's list for p; -1 when out of memory. */
int acl_entry_add(acl_entry *e, acl_perm p, const char *pattern);
/* Deep copy of src into *dst (zeroed first); -1 when out of memory. */
int acl_dup(acl *dst, const acl *src);
/* Frees what a holds and zeroes it. */
void acl_free(acl *a);
#endif
