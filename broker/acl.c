/*
 * acl.c - per-principal permissions on topic patterns (acl.h).
 */
#include "acl.h"

#include <string.h>

#include "alloc.h"

static const char *const perm_names[ACL_NPERMS] = { "produce", "consume", "admin" };

const char *
acl_perm_name(acl_perm p)
{
	return (unsigned) p < ACL_NPERMS ? perm_names[p] : "?";
}

int
acl_perm_parse(const char *name, acl_perm *out)
{
	for (int i = 0; i < ACL_NPERMS; i++) {
		if (strcmp(name, perm_names[i]) == 0) {
			*out = (acl_perm) i;
			return 0;
		}
	}
	return -1;
}

int
acl_pattern_matches(const char *pattern, const char *topic)
{
	size_t n = strlen(pattern);
	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, topic, n - 1) == 0;
	return strcmp(pattern, topic) == 0;
}

const acl_entry *
acl_find(const acl *a, const char *principal)
{
	if (principal == NULL)
		return NULL;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->entries[i].principal, principal) == 0)
			return &a->entries[i];
	return NULL;
}

int
acl_allows(const acl *a, const char *principal, acl_perm p, const char *topic)
{
	const acl_entry *e = acl_find(a, principal);
	if (e == NULL || (unsigned) p >= ACL_NPERMS || topic == NULL)
		return 0;
	for (size_t i = 0; i < e->npats[p]; i++)
		if (acl_pattern_matches(e->pats[p][i], topic))
			return 1;
	return 0;
}

acl_entry *
acl_add(acl *a, const char *principal)
{
	acl_entry *v = sl_realloc(a->entries, (a->n + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	a->entries = v;
	acl_entry *e = &v[a->n];
	memset(e, 0, sizeof(*e));
	if ((e->principal = sl_strdup(principal)) == NULL)
		return NULL;
	a->n++;
	return e;
}

int
acl_entry_add(acl_entry *e, acl_perm p, const char *pattern)
{
	char **v = sl_realloc(e->pats[p], (e->npats[p] + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	e->pats[p] = v;
	if ((v[e->npats[p]] = sl_strdup(pattern)) == NULL)
		return -1;
	e->npats[p]++;
	return 0;
}

int
acl_dup(acl *dst, const acl *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++) {
		const acl_entry *s = &src->entries[i];
		acl_entry *e = acl_add(dst, s->principal);
		if (e == NULL)
			goto fail;
		for (int p = 0; p < ACL_NPERMS; p++)
			for (size_t j = 0; j < s->npats[p]; j++)
				if (acl_entry_add(e, (acl_perm) p, s->pats[p][j]) != 0)
					goto fail;
	}
	return 0;
fail:
	acl_free(dst);
	return -1;
}

void
acl_free(acl *a)
{
	for (size_t i = 0; i < a->n; i++) {
		acl_entry *e = &a->entries[i];
		sl_free(e->principal);
		for (int p = 0; p < ACL_NPERMS; p++) {
			for (size_t j = 0; j < e->npats[p]; j++)
				sl_free(e->pats[p][j]);
			sl_free(e->pats[p]);
		}
	}
	sl_free(a->entries);
	a->entries = NULL;
	a->n = 0;
}
