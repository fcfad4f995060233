/*
 * operate.c - the topic log as operators see it: listing topics, their
 * counters and rates, deleting a topic, finding an offset by time, and
 * the storage's health (size on disk, write stalls).
 */
#include "tlog_impl.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "codec.h"
#include "keys.h"
#include "log.h"

typedef struct {
	void (*fn)(void *arg, tlog_topic *t);
	void *arg;
} foreach_ctx;

static void
visit(void *val, void *arg)
{
	foreach_ctx *c = arg;
	c->fn(c->arg, val);
}

void
tlog_topics_foreach(tlog *l, void (*fn)(void *arg, tlog_topic *t), void *arg)
{
	foreach_ctx c = { fn, arg };
	strmap_foreach(l->topics, visit, &c);
}

void
tlog_topic_retention(const tlog_topic *t, int64_t *age_ms, uint64_t *bytes)
{
	*age_ms = t->retention_age_ms;
	*bytes = t->retention_bytes;
}

void
tlog_meta_publish_limit(Sluice__TopicMeta *meta, Sluice__RateLimit *limit,
    Sluice__U64 *msgs, Sluice__U64 *bytes, uint64_t msgs_per_sec,
    uint64_t bytes_per_sec)
{
	if (msgs_per_sec == 0 && bytes_per_sec == 0)
		return;
	sluice__rate_limit__init(limit);
	sluice__u64__init(msgs);
	sluice__u64__init(bytes);
	msgs->value = msgs_per_sec;
	bytes->value = bytes_per_sec;
	limit->msgs_per_sec = msgs;
	limit->bytes_per_sec = bytes;
	meta->publish_limit = limit;
}

void
tlog_topic_publish_limit(const tlog_topic *t, uint64_t *msgs_per_sec,
    uint64_t *bytes_per_sec)
{
	*msgs_per_sec = t->publish_msgs_per_sec;
	*bytes_per_sec = t->publish_bytes_per_sec;
}

sluice_err
tlog_topic_set_publish_limit(tlog *l, tlog_topic *t, uint64_t msgs_per_sec,
    uint64_t bytes_per_sec)
{
	Sluice__TopicMeta meta = SLUICE__TOPIC_META__INIT;
	Sluice__RateLimit limit;
	Sluice__U64 m, b;
	meta.id = t->id;
	meta.name = t->name;
	meta.created_us = t->created_us;
	meta.retention_age_ms = t->retention_age_ms;
	meta.retention_bytes = t->retention_bytes;
	tlog_meta_publish_limit(&meta, &limit, &m, &b, msgs_per_sec, bytes_per_sec);
	size_t n = codec_topic_meta_size(&meta), klen = 2 + strlen(t->name);
	uint8_t *val = sl_alloc(n ? n : 1);
	char *key = sl_alloc(klen);
	sluice_err rv = SLUICE_ENOMEM;
	if (val != NULL && key != NULL) {
		codec_topic_meta_pack(&meta, val);
		memcpy(key, KEYS_TOPIC_PREFIX, 2);
		memcpy(key + 2, t->name, klen - 2);
		rv = tlog_meta_write_sync(l, key, klen, val, n);
	}
	sl_free(val);
	sl_free(key);
	if (rv != SLUICE_OK)
		return rv;
	t->publish_msgs_per_sec = msgs_per_sec;
	t->publish_bytes_per_sec = bytes_per_sec;
	return SLUICE_OK;
}

uint64_t
tlog_topic_published(const tlog_topic *t)
{
	return t->published;
}

uint64_t
tlog_topic_published_bytes(const tlog_topic *t)
{
	return t->published_bytes;
}

uint64_t
tlog_published_total(const tlog *l)
{
	return l->published;
}

double
tlog_topic_publish_rate(const tlog_topic *t)
{
	return t->publish_rate.per_sec;
}

static void
tick_topic(void *val, void *arg)
{
	tlog_topic *t = val;
	rate_tick(&t->publish_rate, t->published, *(uint64_t *) arg);
}

void
tlog_tick_rates(tlog *l, uint64_t now_ms)
{
	strmap_foreach(l->topics, tick_topic, &now_ms);
	/* Stalls are sampled: RocksDB 7.8's C API has no stall counter
	 * without enabling statistics on the hot path. */
	uint64_t stopped = 0, delayed = 0;
	rdb_property_u64(l->db, "rocksdb.is-write-stopped", &stopped);
	rdb_property_u64(l->db, "rocksdb.actual-delayed-write-rate", &delayed);
	if ((stopped || delayed) && l->last_tick_ms != 0 && now_ms > l->last_tick_ms)
		l->stall_ms += now_ms - l->last_tick_ms;
	l->last_tick_ms = now_ms;
}

sluice_err
tlog_topic_delete(tlog *l, tlog_topic *t)
{
	if (l->batch_in_flight)
		return SLUICE_EBUSY;
	rdb_batch *wb;
	sluice_err rv = rdb_batch_alloc(&wb, l->db);
	if (rv != SLUICE_OK)
		return rv;
	uint8_t lo[KEYS_MSG_LEN], hi[KEYS_MSG_LEN], st[KEYS_STATE_LEN];
	keys_msg(lo, t->id, 0);
	keys_msg(hi, t->id + 1, 0); /* ids are never reused: id + 1 is past it */
	rdb_batch_delete_range(wb, RDB_CF_MESSAGES, lo, sizeof(lo), hi, sizeof(hi));
	keys_state(st, t->id);
	rdb_batch_delete(wb, RDB_CF_META, st, sizeof(st));
	size_t klen = 2 + strlen(t->name);
	char *key = sl_alloc(klen);
	if (key == NULL) {
		rdb_batch_free(wb);
		return SLUICE_ENOMEM;
	}
	memcpy(key, KEYS_TOPIC_PREFIX, 2);
	memcpy(key + 2, t->name, klen - 2);
	rdb_batch_delete(wb, RDB_CF_META, key, klen);
	rv = rdb_batch_write(wb, 1);
	l->last_write = rv;
	rdb_batch_free(wb);
	sl_free(key);
	if (rv != SLUICE_OK)
		return rv;
	sl_event(SL_LOG_INFO, "topic_delete",
	    SL_FIELDS(SL_STR("topic", t->name), SL_U64("id", t->id),
	        SL_U64("messages", t->head - t->first)),
	    "topic %s deleted (id %u, %llu messages)", t->name, t->id,
	    (unsigned long long) (t->head - t->first));
	strmap_del(l->topics, t->name);
	tail_fini(&t->recent, &l->tail_bytes);
	sl_free(t->name);
	sl_free(t);
	return SLUICE_OK;
}

typedef struct {
	uint64_t off;
	int64_t time_us;
	int found;
} probe;

static int
probe_one(void *arg, uint64_t off, const void *val, size_t len)
{
	probe *p = arg;
	p->off = off;
	p->time_us = codec_stored_publish_time(val, len);
	p->found = 1;
	return 1;
}

sluice_err
tlog_offset_at_time(tlog *l, tlog_topic *t, int64_t time_us, uint64_t *out)
{
	/* Publish times never decrease along offsets (one loop assigns both),
	 * so the first offset at or after time_us splits the range. */
	uint64_t lo = t->first, hi = t->head;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		probe p = { 0 };
		sluice_err rv = tlog_read_raw(l, t, mid, 1, probe_one, &p);
		if (rv != SLUICE_OK)
			return rv;
		if (!p.found || p.off >= hi)
			hi = mid; /* nothing kept in [mid, hi) */
		else if (p.time_us < time_us)
			lo = p.off + 1;
		else
			hi = p.off == mid ? mid : p.off;
	}
	*out = lo;
	return SLUICE_OK;
}

static uint64_t
dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0;
	uint64_t sum = 0;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			sum += (uint64_t) st.st_size;
	}
	closedir(d);
	return sum;
}

void
tlog_storage_stats(tlog *l, tlog_storage *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t v = 0;
	out->disk_bytes = dir_bytes(l->dir);
	if (rdb_property_u64(l->db, "rocksdb.is-write-stopped", &v) == 0)
		out->write_stopped = v != 0;
	if (rdb_property_u64(l->db, "rocksdb.actual-delayed-write-rate", &v) == 0)
		out->delayed_write_rate = v;
	out->stall_micros = l->stall_ms * 1000;
	out->storage_writable = l->last_write == SLUICE_OK && !out->write_stopped;
}
