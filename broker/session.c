/* session.c - the table of client connections (see session.h). */
#include "session.h"

#include <stdio.h>

#include "alloc.h"

static void
session_free(session *s)
{
	if (s == NULL)
		return;
	sl_free(s->client_name);
	sl_free(s->consumers);
	sl_free(s);
}

static void
free_cb(void *val, void *arg)
{
	(void) arg;
	session_free(val);
}

sluice_err
sessions_init(sessions *ss)
{
	ss->connections_total = 0;
	return strmap_alloc(&ss->by_pipe);
}

void
sessions_fini(sessions *ss)
{
	if (ss->by_pipe == NULL)
		return;
	strmap_foreach(ss->by_pipe, free_cb, NULL);
	strmap_free(ss->by_pipe);
	ss->by_pipe = NULL;
}

session *
sessions_find(sessions *ss, uint32_t pipe_id)
{
	char key[12];
	snprintf(key, sizeof(key), "%u", pipe_id);
	return strmap_get(ss->by_pipe, key);
}

session *
sessions_add(sessions *ss, uint32_t pipe_id)
{
	session *s = sessions_find(ss, pipe_id);
	if (s != NULL)
		return s;
	if ((s = sl_alloc(sizeof(*s))) == NULL)
		return NULL;
	s->pipe_id = pipe_id;
	snprintf(s->key, sizeof(s->key), "%u", pipe_id);
	if (strmap_put(ss->by_pipe, s->key, s) != SLUICE_OK) {
		sl_free(s);
		return NULL;
	}
	ss->connections_total++;
	return s;
}

void
sessions_remove(sessions *ss, uint32_t pipe_id)
{
	session *s = sessions_find(ss, pipe_id);
	if (s == NULL)
		return;
	strmap_del(ss->by_pipe, s->key);
	session_free(s);
}

size_t
sessions_count(const sessions *ss)
{
	return strmap_count(ss->by_pipe);
}

sluice_err
session_add_consumer(session *s, uint64_t id)
{
	if (s->nconsumers == s->cap_consumers) {
		size_t cap = s->cap_consumers ? s->cap_consumers * 2 : 4;
		uint64_t *n = sl_realloc(s->consumers, cap * sizeof(*n));
		if (n == NULL)
			return SLUICE_ENOMEM;
		s->consumers = n;
		s->cap_consumers = cap;
	}
	s->consumers[s->nconsumers++] = id;
	return SLUICE_OK;
}

void
session_remove_consumer(session *s, uint64_t id)
{
	for (size_t i = 0; i < s->nconsumers; i++) {
		if (s->consumers[i] == id) {
			s->consumers[i] = s->consumers[--s->nconsumers];
			return;
		}
	}
}

typedef struct {
	void (*fn)(session *, void *);
	void *arg;
} visit;

static void
visit_cb(void *val, void *arg)
{
	visit *v = arg;
	v->fn(val, v->arg);
}

void
sessions_foreach(sessions *ss, void (*fn)(session *s, void *arg), void *arg)
{
	visit v = { fn, arg };
	strmap_foreach(ss->by_pipe, visit_cb, &v);
}
