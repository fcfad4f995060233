/*
 * producers.c - which connections published to which topic lately, so
 * that `topics stats` can say how many producers a topic has. A producer
 * is a connection that published to the topic within the last minute and
 * is still connected. Keyed by (topic id, pipe id): topic ids are never
 * reused, so a deleted topic's entries can never be mistaken for a new one's.
 */
#include "admin.h"
#include "alloc.h"
#include "u64map.h"

#define PRODUCER_WINDOW_MS 60000

static uint64_t
key_of(tlog_topic *t, uint32_t pipe_id)
{
	return (uint64_t) tlog_topic_id(t) << 32 | pipe_id;
}

void
producers_note(broker *b, tlog_topic *t, uint32_t pipe_id)
{
	if (b->producers == NULL && u64map_alloc(&b->producers) != SLUICE_OK)
		return; /* stats only: losing them costs a number, not a message */
	/* Stored +1: a NULL value means "absent" to u64map. */
	u64map_put(b->producers, key_of(t, pipe_id),
	    (void *) (uintptr_t) (broker_now_ms(b) + 1));
}

typedef struct {
	broker *b;
	uint32_t topic_id; /* 0: match every topic (pruning only) */
	int forget_topic;
	uint64_t now;
	size_t count;
	uint64_t *stale;
	size_t nstale, cap;
} walk;

static void
visit(uint64_t key, void *val, void *arg)
{
	walk *w = arg;
	uint32_t tid = (uint32_t) (key >> 32), pid = (uint32_t) key;
	uint64_t last = (uint64_t) (uintptr_t) val - 1;
	int gone = sessions_find(&w->b->sessions, pid) == NULL ||
	    w->now - last > PRODUCER_WINDOW_MS || (w->forget_topic && tid == w->topic_id);
	if (gone) {
		if (w->nstale < w->cap)
			w->stale[w->nstale++] = key;
	} else if (tid == w->topic_id) {
		w->count++;
	}
}

static size_t
scan(broker *b, tlog_topic *t, int forget)
{
	if (b->producers == NULL)
		return 0;
	walk w = { b, tlog_topic_id(t), forget, broker_now_ms(b), 0, NULL, 0,
		u64map_count(b->producers) };
	w.stale = sl_alloc((w.cap ? w.cap : 1) * sizeof(uint64_t));
	if (w.stale == NULL)
		w.cap = 0;
	u64map_foreach(b->producers, visit, &w);
	for (size_t i = 0; i < w.nstale; i++)
		u64map_del(b->producers, w.stale[i]);
	sl_free(w.stale);
	return w.count;
}

size_t
producers_count(broker *b, tlog_topic *t)
{
	return scan(b, t, 0);
}

void
producers_forget_topic(broker *b, tlog_topic *t)
{
	scan(b, t, 1);
}

void
producers_fini(broker *b)
{
	if (b->producers != NULL)
		u64map_free(b->producers);
	b->producers = NULL;
}
