/*
 * tlog_impl.h - the structures shared by the topic log's own files
 * (tlog.c, commit.c, retention.c). Nothing outside engine/log includes it.
 */
#ifndef SL_TLOG_IMPL_H
#define SL_TLOG_IMPL_H

#include "rdb.h"
#include "strmap.h"
#include "tail.h"
#include "tlog.h"
#include "rate.h"

struct tlog_topic {
	uint32_t id;             /* key prefix in the messages CF; never reused */
	char *name;              /* owned; the strmap key */
	int64_t created_us;
	int64_t retention_age_ms; /* 0: keep forever */
	uint64_t retention_bytes; /* 0: no size limit */
	/* Publish rate limit (TopicMeta.publish_limit; the broker enforces
	 * it by delaying acks): per second, 0: no limit. */
	uint64_t publish_msgs_per_sec, publish_bytes_per_sec;
	/* As of the batch being built (may run ahead of what is durable): */
	uint64_t first;          /* oldest retained offset */
	uint64_t next;           /* offset the next appended message gets */
	uint64_t bytes;          /* encoded bytes of offsets [first, next) */
	/* Committed: offsets in [first, head) are in RocksDB. */
	uint64_t head;
	tail recent;             /* newest records in memory; may run ahead of head */
	uint32_t tail_wanted;    /* consumers that read it; 0: not kept */
	/* Since the broker started, counted when a write succeeds: */
	uint64_t published, published_bytes;
	uint64_t pending_bytes;  /* appended to the batch in flight */
	rate publish_rate;
};

struct tlog {
	rdb *db;
	strmap *topics;       /* name -> tlog_topic */
	uint32_t next_id;     /* id for the next created topic */
	int batch_in_flight;  /* between seal and done */
	size_t tail_bytes;    /* memory held by every topic's tail */
	char *dir;            /* the data directory, for its size on disk */
	sluice_err last_write; /* of the last batch or meta write */
	uint64_t stall_ms;    /* sampled time RocksDB stopped or slowed writes */
	uint64_t last_tick_ms;
	uint64_t published;   /* every topic, since start */
};

/* What a batch changed in one topic, to undo it if the write fails. */
typedef struct {
	tlog_topic *t;
	uint64_t first, next, bytes; /* values before the batch touched it */
} tlog_touch;

struct tlog_batch {
	tlog *log;
	rdb_batch *wb;
	tlog_touch *touched;  /* each topic once */
	size_t ntouched, cap_touched;
	uint8_t *scratch;     /* encode buffer for one record */
	size_t scratch_cap;
	int sealed;
};

/* The offset of the message key under it; 0 when the key is not one. */
int tlog_iter_offset(const rdb_iter *it, uint64_t *off);

/* Points meta->publish_limit at limit (storage from the caller) when a
 * rate is set; leaves it NULL otherwise. operate.c. */
void tlog_meta_publish_limit(Sluice__TopicMeta *meta, Sluice__RateLimit *limit,
    Sluice__U64 *msgs, Sluice__U64 *bytes, uint64_t msgs_per_sec,
    uint64_t bytes_per_sec);

/* Records that b changes t (once per topic per batch). */
sluice_err tlog_batch_touch(tlog_batch *b, tlog_topic *t);
#endif
