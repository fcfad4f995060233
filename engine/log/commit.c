/*
 * commit.c - group commit for the topic log. A tlog_batch collects the
 * publishes of one loop turn into ONE RocksDB WriteBatch: offsets are
 * assigned at append, the batch is written once (any thread), and only then
 * does tlog_batch_done move each topic's committed head. A failed write
 * gives the offsets back, so offsets stay gapless.
 */
#include <string.h>

#include "alloc.h"
#include "keys.h"
#include "log.h"
#include "tlog_impl.h"

sluice_err
tlog_batch_alloc(tlog *l, tlog_batch **out)
{
	tlog_batch *b = sl_alloc(sizeof(*b));
	if (b == NULL)
		return SLUICE_ENOMEM;
	b->log = l;
	sluice_err rv = rdb_batch_alloc(&b->wb, l->db);
	if (rv != SLUICE_OK) {
		sl_free(b);
		return rv;
	}
	*out = b;
	return SLUICE_OK;
}

void
tlog_batch_free(tlog_batch *b)
{
	if (b == NULL)
		return;
	rdb_batch_free(b->wb);
	sl_free(b->touched);
	sl_free(b->scratch);
	sl_free(b);
}

sluice_err
tlog_batch_touch(tlog_batch *b, tlog_topic *t)
{
	for (size_t i = 0; i < b->ntouched; i++)
		if (b->touched[i].t == t)
			return SLUICE_OK;
	if (b->ntouched == b->cap_touched) {
		size_t cap = b->cap_touched ? b->cap_touched * 2 : 8;
		tlog_touch *n = sl_realloc(b->touched, cap * sizeof(*n));
		if (n == NULL)
			return SLUICE_ENOMEM;
		b->touched = n;
		b->cap_touched = cap;
	}
	b->touched[b->ntouched++] = (tlog_touch) {
		.t = t, .first = t->first, .next = t->next, .bytes = t->bytes
	};
	return SLUICE_OK;
}

static sluice_err
scratch_reserve(tlog_batch *b, size_t n)
{
	if (n <= b->scratch_cap)
		return SLUICE_OK;
	size_t cap = b->scratch_cap ? b->scratch_cap : 4096;
	while (cap < n)
		cap *= 2;
	uint8_t *s = sl_realloc(b->scratch, cap);
	if (s == NULL)
		return SLUICE_ENOMEM;
	b->scratch = s;
	b->scratch_cap = cap;
	return SLUICE_OK;
}

sluice_err
tlog_batch_append(tlog_batch *b, tlog_topic *t, Sluice__Message *const *msgs,
    size_t n, int64_t publish_time_us, uint64_t *base)
{
	sluice_err rv;
	if (b->sealed || b->log->batch_in_flight)
		return SLUICE_EINVAL;
	if ((rv = tlog_batch_touch(b, t)) != SLUICE_OK)
		return rv;
	*base = t->next;
	for (size_t i = 0; i < n; i++) {
		const Sluice__Message *m = msgs[i];
		Sluice__StoredMessage s = SLUICE__STORED_MESSAGE__INIT;
		s.publish_time_us = publish_time_us;
		s.has_key = m->has_key;
		s.key = m->key;
		s.n_properties = m->n_properties;
		s.properties = m->properties;
		s.payload = m->payload;
		s.producer_seq = m->producer_seq;
		s.event_time_us = m->event_time_us;
		size_t len = codec_stored_size(&s);
		if ((rv = scratch_reserve(b, len)) != SLUICE_OK)
			return rv; /* the touch record undoes earlier appends */
		codec_stored_pack(&s, b->scratch);
		uint8_t key[KEYS_MSG_LEN];
		keys_msg(key, t->id, t->next);
		rdb_batch_put(b->wb, RDB_CF_MESSAGES, key, sizeof(key), b->scratch, len);
		/* Readers see it only once head passes it (tlog_read_raw). */
		if (t->tail_wanted > 0)
			tail_append(&t->recent, t->next, b->scratch, len, &b->log->tail_bytes);
		t->next++;
		t->bytes += len;
		t->pending_bytes += len;
	}
	return SLUICE_OK;
}

int
tlog_batch_is_empty(const tlog_batch *b)
{
	return rdb_batch_count(b->wb) == 0;
}

void
tlog_batch_seal(tlog_batch *b)
{
	for (size_t i = 0; i < b->ntouched; i++) {
		tlog_topic *t = b->touched[i].t;
		uint8_t k[KEYS_STATE_LEN], v[KEYS_STATE_VALUE_LEN];
		keys_state(k, t->id);
		keys_put_u64(v, t->first);
		keys_put_u64(v + 8, t->next);
		keys_put_u64(v + 16, t->bytes);
		rdb_batch_put(b->wb, RDB_CF_META, k, sizeof(k), v, sizeof(v));
	}
	b->sealed = 1;
	b->log->batch_in_flight = 1;
}

sluice_err
tlog_batch_write(tlog_batch *b, int sync)
{
	return rdb_batch_write(b->wb, sync);
}

void
tlog_batch_done(tlog_batch *b, sluice_err rv)
{
	for (size_t i = 0; i < b->ntouched; i++) {
		tlog_touch *u = &b->touched[i];
		if (rv == SLUICE_OK) {
			u->t->published += u->t->next - u->next;
			b->log->published += u->t->next - u->next;
			u->t->published_bytes += u->t->pending_bytes;
			u->t->head = u->t->next;
		} else {
			u->t->first = u->first;
			u->t->next = u->next;
			u->t->bytes = u->bytes;
			tail_truncate(&u->t->recent, u->next, &b->log->tail_bytes);
		}
		u->t->pending_bytes = 0;
	}
	b->log->last_write = rv;
	b->ntouched = 0;
	b->sealed = 0;
	b->log->batch_in_flight = 0;
	rdb_batch_clear(b->wb);
}

sluice_err
tlog_sync(tlog *l)
{
	return rdb_sync_wal(l->db);
}

void
tlog_batch_put_meta(tlog_batch *b, const void *k, size_t klen, const void *v,
    size_t vlen)
{
	rdb_batch_put(b->wb, RDB_CF_META, k, klen, v, vlen);
}

void
tlog_batch_delete_meta(tlog_batch *b, const void *k, size_t klen)
{
	rdb_batch_delete(b->wb, RDB_CF_META, k, klen);
}
