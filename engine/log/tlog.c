/*
 * tlog.c - the topic log's topics: opening the database, recovering each
 * topic's offsets, creating topics, and reading message ranges. Writing is
 * in commit.c, retention in retention.c.
 */
#include "tlog_impl.h"

#include <string.h>

#include "alloc.h"
#include "keys.h"
#include "log.h"

static void
topic_free(tlog_topic *t, size_t *tail_bytes)
{
	if (t == NULL)
		return;
	tail_fini(&t->recent, tail_bytes);
	sl_free(t->name);
	sl_free(t);
}

static sluice_err
topic_alloc(tlog_topic **out, const Sluice__TopicMeta *meta)
{
	tlog_topic *t = sl_alloc(sizeof(*t));
	if (t == NULL)
		return SLUICE_ENOMEM;
	if ((t->name = sl_strdup(meta->name)) == NULL) {
		sl_free(t);
		return SLUICE_ENOMEM;
	}
	t->id = meta->id;
	t->created_us = meta->created_us;
	t->retention_age_ms = meta->retention_age_ms;
	t->retention_bytes = meta->retention_bytes;
	if (meta->publish_limit != NULL && meta->publish_limit->msgs_per_sec != NULL)
		t->publish_msgs_per_sec = meta->publish_limit->msgs_per_sec->value;
	if (meta->publish_limit != NULL && meta->publish_limit->bytes_per_sec != NULL)
		t->publish_bytes_per_sec = meta->publish_limit->bytes_per_sec->value;
	*out = t;
	return SLUICE_OK;
}

/*
 * Recovers first/next/bytes of t. The state record is written in the same
 * batch as the messages, so it is consistent with them; the message keys
 * themselves are checked too, so that a missing state record never makes
 * an offset be handed out twice.
 */
int
tlog_iter_offset(const rdb_iter *it, uint64_t *off)
{
	size_t klen;
	uint32_t id;
	const void *k = rdb_iter_key(it, &klen);
	return keys_msg_parse(k, klen, &id, off);
}

static sluice_err
topic_recover(tlog *l, tlog_topic *t)
{
	uint8_t sk[KEYS_STATE_LEN], lo[KEYS_MSG_LEN], hi[KEYS_MSG_LEN];
	void *v = NULL;
	size_t vlen = 0;
	sluice_err rv;

	keys_state(sk, t->id);
	if ((rv = rdb_get(l->db, RDB_CF_META, sk, sizeof(sk), &v, &vlen)) != SLUICE_OK)
		return rv;
	if (v != NULL && vlen == KEYS_STATE_VALUE_LEN) {
		t->first = keys_get_u64(v);
		t->next = keys_get_u64((uint8_t *) v + 8);
		t->bytes = keys_get_u64((uint8_t *) v + 16);
	}
	sl_free(v);

	rdb_iter *it;
	keys_msg(lo, t->id, 0);
	keys_msg(hi, t->id + 1, 0);
	if ((rv = rdb_iter_open(&it, l->db, RDB_CF_MESSAGES, lo, sizeof(lo), hi,
	         sizeof(hi))) != SLUICE_OK)
		return rv;
	uint64_t off;
	rdb_iter_seek_last(it);
	if (rdb_iter_valid(it) && tlog_iter_offset(it, &off) && off + 1 > t->next) {
		sl_warn("topic %s: state record behind the log, recovering "
		        "head %llu from message keys",
		    t->name, (unsigned long long) (off + 1));
		t->next = off + 1;
	}
	rdb_iter_seek_first(it);
	if (rdb_iter_valid(it) && tlog_iter_offset(it, &off))
		t->first = off;
	else
		t->first = t->next;
	rv = rdb_iter_status(it);
	rdb_iter_close(it);
	t->head = t->next;
	return rv;
}

static sluice_err
load_topics(tlog *l)
{
	rdb_iter *it;
	sluice_err rv;
	const char *lo = KEYS_TOPIC_PREFIX, *hi = "t0"; /* '0' follows '/' */
	if ((rv = rdb_iter_open(&it, l->db, RDB_CF_META, lo, 2, hi, 2)) != SLUICE_OK)
		return rv;
	for (rdb_iter_seek_first(it); rdb_iter_valid(it); rdb_iter_next(it)) {
		size_t vlen;
		const void *v = rdb_iter_value(it, &vlen);
		Sluice__TopicMeta *meta;
		tlog_topic *t = NULL;
		if ((rv = codec_topic_meta_unpack(v, vlen, &meta)) != SLUICE_OK) {
			sl_error("corrupt topic metadata record: %s", sluice_strerror(rv));
			rv = SLUICE_ECORRUPT;
			break;
		}
		rv = topic_alloc(&t, meta);
		codec_topic_meta_free(meta);
		if (rv == SLUICE_OK && (rv = topic_recover(l, t)) == SLUICE_OK)
			rv = strmap_put(l->topics, t->name, t);
		if (rv != SLUICE_OK) {
			topic_free(t, &l->tail_bytes);
			break;
		}
		if (t->id >= l->next_id)
			l->next_id = t->id + 1;
		sl_info("topic %s: offsets %llu..%llu", t->name,
		    (unsigned long long) t->first, (unsigned long long) t->head);
	}
	if (rv == SLUICE_OK)
		rv = rdb_iter_status(it);
	rdb_iter_close(it);
	return rv;
}

static void
free_topic_cb(void *val, void *arg)
{
	tlog *l = arg;
	topic_free(val, &l->tail_bytes);
}

sluice_err
tlog_open(tlog **out, const char *dir)
{
	sluice_err rv;
	tlog *l = sl_alloc(sizeof(*l));
	if (l == NULL)
		return SLUICE_ENOMEM;
	l->next_id = 1;
	if ((rv = strmap_alloc(&l->topics)) != SLUICE_OK)
		goto fail;
	if ((l->dir = sl_strdup(dir)) == NULL) {
		rv = SLUICE_ENOMEM;
		goto fail;
	}
	if ((rv = rdb_open(&l->db, dir)) != SLUICE_OK)
		goto fail;
	if ((rv = load_topics(l)) != SLUICE_OK)
		goto fail;
	*out = l;
	return SLUICE_OK;
fail:
	tlog_close(l);
	return rv;
}

void
tlog_close(tlog *l)
{
	if (l == NULL)
		return;
	if (l->topics != NULL) {
		strmap_foreach(l->topics, free_topic_cb, l);
		strmap_free(l->topics);
	}
	rdb_close(l->db);
	sl_free(l->dir);
	sl_free(l);
}

sluice_err
tlog_topic_find(tlog *l, const char *name, tlog_topic **out)
{
	tlog_topic *t = strmap_get(l->topics, name);
	if (t == NULL)
		return SLUICE_ENOTOPIC;
	*out = t;
	return SLUICE_OK;
}

sluice_err
tlog_topic_create(tlog *l, const char *name, int64_t retention_age_ms,
    uint64_t retention_bytes, tlog_topic **out)
{
	return tlog_topic_create_limited(l, name, retention_age_ms,
	    retention_bytes, 0, 0, out);
}

sluice_err
tlog_topic_create_limited(tlog *l, const char *name, int64_t retention_age_ms,
    uint64_t retention_bytes, uint64_t publish_msgs_per_sec,
    uint64_t publish_bytes_per_sec, tlog_topic **out)
{
	if (!sluice_topic_name_is_valid(name))
		return SLUICE_EBADTOPIC;
	tlog_topic *t = strmap_get(l->topics, name);
	if (t != NULL) {
		*out = t;
		return SLUICE_EEXISTS;
	}
	Sluice__TopicMeta meta = SLUICE__TOPIC_META__INIT;
	meta.id = l->next_id;
	meta.name = (char *) name;
	meta.created_us = sl_now_us();
	meta.retention_age_ms = retention_age_ms;
	meta.retention_bytes = retention_bytes;
	Sluice__RateLimit limit;
	Sluice__U64 lim_msgs, lim_bytes;
	tlog_meta_publish_limit(&meta, &limit, &lim_msgs, &lim_bytes,
	    publish_msgs_per_sec, publish_bytes_per_sec);

	sluice_err rv;
	size_t n = codec_topic_meta_size(&meta), klen = 2 + strlen(name);
	uint8_t *val = sl_alloc(n);
	char *key = sl_alloc(klen);
	rdb_batch *wb = NULL;
	if (val == NULL || key == NULL) {
		rv = SLUICE_ENOMEM;
		goto done;
	}
	codec_topic_meta_pack(&meta, val);
	memcpy(key, KEYS_TOPIC_PREFIX, 2);
	memcpy(key + 2, name, klen - 2);
	if ((rv = topic_alloc(&t, &meta)) != SLUICE_OK)
		goto done;
	if ((rv = rdb_batch_alloc(&wb, l->db)) != SLUICE_OK)
		goto done;
	rdb_batch_put(wb, RDB_CF_META, key, klen, val, n);
	/* Topics are rare and later publishes depend on them: sync. */
	if ((rv = rdb_batch_write(wb, 1)) != SLUICE_OK)
		goto done;
	if ((rv = strmap_put(l->topics, t->name, t)) != SLUICE_OK)
		goto done;
	l->next_id++;
	sl_debug("topic %s created (id %u)", name, meta.id);
	*out = t;
	t = NULL;
done:
	topic_free(t, &l->tail_bytes);
	rdb_batch_free(wb);
	sl_free(val);
	sl_free(key);
	return rv;
}

size_t
tlog_topic_count(const tlog *l)
{
	return strmap_count(l->topics);
}

const char *
tlog_topic_name(const tlog_topic *t)
{
	return t->name;
}

uint64_t
tlog_topic_head(const tlog_topic *t)
{
	return t->head;
}

uint64_t
tlog_topic_first(const tlog_topic *t)
{
	return t->first;
}

uint64_t
tlog_topic_bytes(const tlog_topic *t)
{
	return t->bytes;
}

typedef struct {
	tlog_topic *t;
	tlog_read_cb cb;
	void *arg;
	sluice_err rv;
} decode_walk;

static int
decode_one(void *arg, uint64_t off, const void *val, size_t len)
{
	decode_walk *w = arg;
	Sluice__StoredMessage *m;
	if ((w->rv = codec_stored_unpack(val, len, &m)) != SLUICE_OK) {
		if (w->rv == SLUICE_EBADFRAME)
			w->rv = SLUICE_ECORRUPT;
		sl_error("topic %s offset %llu: corrupt record", w->t->name,
		    (unsigned long long) off);
		return 1;
	}
	int stop = w->cb(w->arg, off, m);
	codec_stored_free(m);
	return stop;
}

sluice_err
tlog_read(tlog *l, tlog_topic *t, uint64_t from, size_t max, tlog_read_cb cb,
    void *arg)
{
	decode_walk w = { t, cb, arg, SLUICE_OK };
	sluice_err rv = tlog_read_raw(l, t, from, max, decode_one, &w);
	return rv != SLUICE_OK ? rv : w.rv;
}

uint32_t
tlog_topic_id(const tlog_topic *t)
{
	return t->id;
}

sluice_err
tlog_read_raw(tlog *l, tlog_topic *t, uint64_t from, size_t max,
    tlog_read_raw_cb cb, void *arg)
{
	uint8_t lo[KEYS_MSG_LEN], hi[KEYS_MSG_LEN];
	if (from < t->first)
		from = t->first; /* retention removed what lay before */
	if (from >= t->head || max == 0)
		return SLUICE_OK;
	/* A reader that keeps up is served from memory, no iterator. */
	const tail_rec *r;
	while (max > 0 && from < t->head && (r = tail_get(&t->recent, from)) != NULL) {
		if (cb(arg, from, r->bytes, r->len))
			return SLUICE_OK;
		from++;
		max--;
	}
	if (from >= t->head || max == 0)
		return SLUICE_OK;
	keys_msg(lo, t->id, from);
	keys_msg(hi, t->id, t->head);
	rdb_iter *it;
	sluice_err rv;
	if ((rv = rdb_iter_open(&it, l->db, RDB_CF_MESSAGES, lo, sizeof(lo), hi,
	         sizeof(hi))) != SLUICE_OK)
		return rv;
	size_t n = 0;
	for (rdb_iter_seek_first(it); rdb_iter_valid(it) && n < max;
	     rdb_iter_next(it), n++) {
		size_t vlen;
		uint64_t off;
		if (!tlog_iter_offset(it, &off)) {
			rv = SLUICE_ECORRUPT;
			break;
		}
		const void *v = rdb_iter_value(it, &vlen);
		if (cb(arg, off, v, vlen))
			break;
	}
	if (rv == SLUICE_OK)
		rv = rdb_iter_status(it);
	rdb_iter_close(it);
	return rv;
}

sluice_err
tlog_meta_write_sync(tlog *l, const void *k, size_t klen, const void *v, size_t vlen)
{
	rdb_batch *wb;
	sluice_err rv = rdb_batch_alloc(&wb, l->db);
	if (rv != SLUICE_OK)
		return rv;
	if (v != NULL)
		rdb_batch_put(wb, RDB_CF_META, k, klen, v, vlen);
	else
		rdb_batch_delete(wb, RDB_CF_META, k, klen);
	rv = rdb_batch_write(wb, 1);
	rdb_batch_free(wb);
	l->last_write = rv;
	return rv;
}

sluice_err
tlog_meta_scan(tlog *l, const char *prefix, tlog_meta_cb cb, void *arg)
{
	size_t plen = strlen(prefix);
	char upper[64];
	if (plen == 0 || plen >= sizeof(upper))
		return SLUICE_EINVAL;
	memcpy(upper, prefix, plen);
	upper[plen - 1]++; /* the first key past the prefix */
	rdb_iter *it;
	sluice_err rv = rdb_iter_open(&it, l->db, RDB_CF_META, prefix, plen, upper, plen);
	if (rv != SLUICE_OK)
		return rv;
	for (rdb_iter_seek_first(it); rdb_iter_valid(it) && rv == SLUICE_OK;
	     rdb_iter_next(it)) {
		size_t klen, vlen;
		const void *k = rdb_iter_key(it, &klen);
		const void *v = rdb_iter_value(it, &vlen);
		rv = cb(arg, k, klen, v, vlen);
	}
	if (rv == SLUICE_OK)
		rv = rdb_iter_status(it);
	rdb_iter_close(it);
	return rv;
}

void
tlog_topic_want_tail(tlog *l, tlog_topic *t, int on)
{
	if (on) {
		t->tail_wanted++;
	} else if (t->tail_wanted > 0 && --t->tail_wanted == 0) {
		tail_fini(&t->recent, &l->tail_bytes);
		memset(&t->recent, 0, sizeof(t->recent));
	}
}
