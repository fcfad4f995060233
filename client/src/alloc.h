/*
 * alloc.h - the one allocator of Sluice code. Every allocation goes through
 * here so that tests can make the Nth one fail (sl_alloc_fail_after).
 */
#ifndef SL_ALLOC_H
#define SL_ALLOC_H
#include <stddef.h>

void *sl_alloc(size_t n);             /* zeroed memory, or NULL */
void *sl_realloc(void *p, size_t n);  /* like realloc */
void  sl_free(void *p);               /* accepts NULL */
char *sl_strdup(const char *s);       /* NULL on failure or NULL input */
/* Test hook: allocation number n (1-based) from now on fails; 0 disables. */
void  sl_alloc_fail_after(long n);
#endif
