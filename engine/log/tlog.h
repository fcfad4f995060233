/*
 * tlog.h - the topic log: named topics, each an append-only sequence of
 * messages with offsets assigned here (u64, strictly increasing, no gaps),
 * stored in RocksDB through rdb.h.
 *
 * Writing is group commit: the broker's loop appends every publish of one
 * loop turn to ONE tlog_batch, seals it, has it written (on any thread),
 * then reports the result with tlog_batch_done, which makes the offsets
 * readable or, on failure, gives them back so no gap is ever left.
 *
 * Thread safety: everything except tlog_batch_write runs on the thread that
 * owns the tlog (the broker's loop thread). At most one batch is between
 * seal and done at a time.
 */
#ifndef SL_TLOG_H
#define SL_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "sluice/sluice.h"

typedef struct tlog tlog;
typedef struct tlog_topic tlog_topic;
typedef struct tlog_batch tlog_batch;

/* Opens the log in dir, recovering every topic's offsets. SLUICE_ELOCKED
 * when another process has dir open. */
sluice_err tlog_open(tlog **out, const char *dir);
void       tlog_close(tlog *l); /* accepts NULL; no batch may be in flight */

/* Finds a topic by name: SLUICE_ENOTOPIC when it does not exist. */
sluice_err tlog_topic_find(tlog *l, const char *name, tlog_topic **out);
/*
 * Creates a topic and writes its metadata durably before returning.
 * SLUICE_EBADTOPIC for a name outside 1-255 of [A-Za-z0-9._/-],
 * SLUICE_EEXISTS when it exists (*out is then the existing topic).
 * retention_age_ms / retention_bytes: 0 means no limit.
 */
sluice_err tlog_topic_create(tlog *l, const char *name,
    int64_t retention_age_ms, uint64_t retention_bytes, tlog_topic **out);
/* The same with a publish rate limit (per second; 0: none), stored in
 * the topic's metadata with it. */
sluice_err tlog_topic_create_limited(tlog *l, const char *name,
    int64_t retention_age_ms, uint64_t retention_bytes,
    uint64_t publish_msgs_per_sec, uint64_t publish_bytes_per_sec,
    tlog_topic **out);
size_t tlog_topic_count(const tlog *l);

const char *tlog_topic_name(const tlog_topic *t);
/* Offsets below head are committed (readable); first is the oldest kept. */
uint64_t tlog_topic_head(const tlog_topic *t);
uint64_t tlog_topic_first(const tlog_topic *t);
/* Stored bytes of the retained messages (encoded records). */
uint64_t tlog_topic_bytes(const tlog_topic *t);

/* Group commit. */
sluice_err tlog_batch_alloc(tlog *l, tlog_batch **out);
void       tlog_batch_free(tlog_batch *b);
/*
 * Appends n messages to topic t with consecutive offsets; *base receives
 * the first. The messages are encoded now: the caller may free them after.
 */
sluice_err tlog_batch_append(tlog_batch *b, tlog_topic *t,
    Sluice__Message *const *msgs, size_t n, int64_t publish_time_us,
    uint64_t *base);
int        tlog_batch_is_empty(const tlog_batch *b);
/* Adds the topic state records; call once, after the last append. */
void       tlog_batch_seal(tlog_batch *b);
/* Writes the sealed batch atomically (sync: fsync the WAL). Any thread. */
sluice_err tlog_batch_write(tlog_batch *b, int sync);
/* Publishes (rv == SLUICE_OK) or rolls back the batch and empties it. */
void       tlog_batch_done(tlog_batch *b, sluice_err rv);
/* Makes every committed write durable against power loss. Any thread. */
sluice_err tlog_sync(tlog *l);

/*
 * Adds to batch b the deletions that each topic's retention asks for at
 * time now_us: by age (publish time) and by size, oldest first. Uses range
 * deletes. *deleted (may be NULL) gets the number of messages removed.
 * Visits at most scan_limit messages in all, so one call stays short.
 * keep_from (may be NULL) gives, per topic, the first offset that must be
 * kept whatever the retention says (the lowest subscription ack floor).
 */
typedef uint64_t (*tlog_keep_fn)(void *arg, tlog_topic *t);
sluice_err tlog_retention_apply(tlog *l, tlog_batch *b, int64_t now_us,
    size_t scan_limit, tlog_keep_fn keep_from, void *keep_arg, uint64_t *deleted);

/*
 * Reads committed messages of t from offset `from`, at most max of them,
 * calling cb for each in offset order; cb returns non-zero to stop. The
 * message is borrowed for the call.
 */
typedef int (*tlog_read_cb)(
    void *arg, uint64_t offset, const Sluice__StoredMessage *m);
sluice_err tlog_read(tlog *l, tlog_topic *t, uint64_t from, size_t max,
    tlog_read_cb cb, void *arg);

/*
 * Reads committed messages as their stored bytes (an encoded
 * StoredMessage), borrowed for the call: the fast path for delivery, which
 * copies them into a frame without decoding.
 */
typedef int (*tlog_read_raw_cb)(
    void *arg, uint64_t offset, const void *val, size_t len);
sluice_err tlog_read_raw(tlog *l, tlog_topic *t, uint64_t from, size_t max,
    tlog_read_raw_cb cb, void *arg);

/* Metadata records of other modules (subscriptions, cursors) join the
 * group commit: they are written atomically with the batch. */
void tlog_batch_put_meta(tlog_batch *b, const void *k, size_t klen,
    const void *v, size_t vlen);
void tlog_batch_delete_meta(tlog_batch *b, const void *k, size_t klen);
/* Writes (v != NULL) or deletes one metadata record now, fsynced. */
sluice_err tlog_meta_write_sync(tlog *l, const void *k, size_t klen,
    const void *v, size_t vlen);
/* Visits metadata records whose keys start with prefix, in key order. */
typedef sluice_err (*tlog_meta_cb)(void *arg, const void *k, size_t klen,
    const void *v, size_t vlen);
sluice_err tlog_meta_scan(tlog *l, const char *prefix, tlog_meta_cb cb, void *arg);
uint32_t tlog_topic_id(const tlog_topic *t);
/*
 * Readers that keep up are served from an in-memory tail of the newest
 * records; keeping it costs a copy per published message, so it is kept
 * only while someone wants it: each call with on != 0 must be matched by
 * one with on == 0 (the subscription engine does this per consumer).
 */
void tlog_topic_want_tail(tlog *l, tlog_topic *t, int on);
/* ---- operators (admin, metrics) ---- */

/* Calls fn for every topic (in no set order); fn must not create or
 * delete topics. */
void tlog_topics_foreach(tlog *l, void (*fn)(void *arg, tlog_topic *t), void *arg);
void tlog_topic_retention(const tlog_topic *t, int64_t *age_ms, uint64_t *bytes);
/* The publish rate limit (per second; 0: none), which the broker enforces
 * by delaying publish acks. The setter writes the topic's metadata durably
 * (fsynced) before changing it in memory. */
void tlog_topic_publish_limit(const tlog_topic *t, uint64_t *msgs_per_sec,
    uint64_t *bytes_per_sec);
sluice_err tlog_topic_set_publish_limit(tlog *l, tlog_topic *t,
    uint64_t msgs_per_sec, uint64_t bytes_per_sec);
/* Messages and bytes (encoded) appended since the broker started, and the
 * publish rate (messages/s, ~10 s average, ticked by tlog_tick_rates). */
uint64_t tlog_topic_published(const tlog_topic *t);
uint64_t tlog_topic_published_bytes(const tlog_topic *t);
double   tlog_topic_publish_rate(const tlog_topic *t);
void     tlog_tick_rates(tlog *l, uint64_t now_ms);
/* Messages appended to every topic since start (deleted topics too). */
uint64_t tlog_published_total(const tlog *l);
/* Deletes t and every message of it, durably; t is freed. No batch may be
 * in flight and no caller may hold t afterwards (the broker checks). */
sluice_err tlog_topic_delete(tlog *l, tlog_topic *t);
/* The first kept offset published at or after time_us (the head when
 * there is none): a binary search over publish times. */
sluice_err tlog_offset_at_time(tlog *l, tlog_topic *t, int64_t time_us,
    uint64_t *out);

typedef struct {
	uint64_t disk_bytes;        /* SST files + WAL */
	int write_stopped;          /* RocksDB is refusing writes right now */
	uint64_t delayed_write_rate; /* bytes/s while writes are slowed; 0 */
	uint64_t stall_micros;      /* total time writes were stalled */
	int storage_writable;       /* the last write succeeded */
} tlog_storage;
void tlog_storage_stats(tlog *l, tlog_storage *out);
#endif
