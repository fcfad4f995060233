/*
 * retention.c - deletes the oldest messages of topics that exceed their
 * retention age or size. Deletions join the next group-commit batch as one
 * range delete per topic, so the topic state record and the messages it
 * describes change together.
 */
#include "alloc.h"
#include "keys.h"
#include "log.h"
#include "tlog_impl.h"

typedef struct {
	tlog *log;
	tlog_batch *batch;
	int64_t now_us;
	size_t budget;     /* messages we may still look at */
	tlog_keep_fn keep_from;
	void *keep_arg;
	uint64_t deleted;
	sluice_err rv;
} sweep;

/* Decides how many of t's oldest messages go; returns the new first. */
static sluice_err
cut_point(sweep *s, tlog_topic *t, uint64_t *cut, uint64_t *freed)
{
	uint8_t lo[KEYS_MSG_LEN], hi[KEYS_MSG_LEN];
	int64_t oldest_kept_us = t->retention_age_ms > 0
	    ? s->now_us - t->retention_age_ms * 1000 : INT64_MIN;
	keys_msg(lo, t->id, t->first);
	keys_msg(hi, t->id, t->head);
	rdb_iter *it;
	sluice_err rv = rdb_iter_open(&it, s->log->db, RDB_CF_MESSAGES, lo,
	    sizeof(lo), hi, sizeof(hi));
	if (rv != SLUICE_OK)
		return rv;
	*cut = t->first;
	*freed = 0;
	for (rdb_iter_seek_first(it); rdb_iter_valid(it) && s->budget > 0;
	     rdb_iter_next(it), s->budget--) {
		size_t vlen;
		uint64_t off;
		const void *v = rdb_iter_value(it, &vlen);
		if (!tlog_iter_offset(it, &off))
			break;
		int over_size = t->retention_bytes > 0 &&
		    t->bytes - *freed > t->retention_bytes;
		int too_old = 0;
		if (!over_size && t->retention_age_ms > 0) {
			Sluice__StoredMessage *m;
			if (codec_stored_unpack(v, vlen, &m) == SLUICE_OK) {
				too_old = m->publish_time_us < oldest_kept_us;
				codec_stored_free(m);
			}
		}
		if (!over_size && !too_old)
			break;
		*cut = off + 1;
		*freed += vlen;
	}
	rv = rdb_iter_status(it);
	rdb_iter_close(it);
	return rv;
}

/* Bytes of t's stored messages in [first, cut). */
static sluice_err
bytes_below(sweep *s, tlog_topic *t, uint64_t cut, uint64_t *freed)
{
	uint8_t lo[KEYS_MSG_LEN], hi[KEYS_MSG_LEN];
	keys_msg(lo, t->id, t->first);
	keys_msg(hi, t->id, cut);
	rdb_iter *it;
	sluice_err rv = rdb_iter_open(&it, s->log->db, RDB_CF_MESSAGES, lo,
	    sizeof(lo), hi, sizeof(hi));
	if (rv != SLUICE_OK)
		return rv;
	*freed = 0;
	for (rdb_iter_seek_first(it); rdb_iter_valid(it); rdb_iter_next(it)) {
		size_t vlen;
		rdb_iter_value(it, &vlen);
		*freed += vlen;
	}
	rv = rdb_iter_status(it);
	rdb_iter_close(it);
	return rv;
}

static void
sweep_topic(void *val, void *arg)
{
	sweep *s = arg;
	tlog_topic *t = val;
	uint64_t cut, freed;
	if (s->rv != SLUICE_OK || s->budget == 0)
		return;
	if (t->retention_age_ms <= 0 && t->retention_bytes == 0)
		return;
	if ((s->rv = cut_point(s, t, &cut, &freed)) != SLUICE_OK || cut == t->first)
		return;
	if (s->keep_from != NULL) {
		uint64_t keep = s->keep_from(s->keep_arg, t);
		if (keep < cut) {
			/* An unacked message stops retention: recount what goes. */
			if (keep <= t->first)
				return;
			cut = keep;
			if ((s->rv = bytes_below(s, t, cut, &freed)) != SLUICE_OK)
				return;
		}
	}
	if ((s->rv = tlog_batch_touch(s->batch, t)) != SLUICE_OK)
		return;
	uint8_t lo[KEYS_MSG_LEN], hi[KEYS_MSG_LEN];
	keys_msg(lo, t->id, t->first);
	keys_msg(hi, t->id, cut);
	rdb_batch_delete_range(s->batch->wb, RDB_CF_MESSAGES, lo, sizeof(lo), hi,
	    sizeof(hi));
	sl_debug("retention: topic %s drops offsets %llu..%llu", t->name,
	    (unsigned long long) t->first, (unsigned long long) (cut - 1));
	s->deleted += cut - t->first;
	t->first = cut;
	t->bytes -= freed;
}

sluice_err
tlog_retention_apply(tlog *l, tlog_batch *b, int64_t now_us, size_t scan_limit,
    tlog_keep_fn keep_from, void *keep_arg, uint64_t *deleted)
{
	if (b->sealed || l->batch_in_flight)
		return SLUICE_EINVAL;
	sweep s = { .log = l, .batch = b, .now_us = now_us, .budget = scan_limit,
		.keep_from = keep_from, .keep_arg = keep_arg };
	strmap_foreach(l->topics, sweep_topic, &s);
	if (deleted != NULL)
		*deleted = s.deleted;
	return s.rv;
}
