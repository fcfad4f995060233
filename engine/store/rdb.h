/*
 * rdb.h - the storage layer: one RocksDB database with column families for
 * messages and metadata. rdb.c is the only file that includes rocksdb/c.h;
 * RocksDB error strings become SLUICE_ESTORAGE (logged once, here).
 *
 * Thread safety: rdb_batch_write, reads and iterators may run on any thread
 * (RocksDB is internally synchronized); a batch or iterator object is used
 * by one thread at a time.
 */
#ifndef SL_RDB_H
#define SL_RDB_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/sluice.h"

typedef enum { RDB_CF_MESSAGES = 0, RDB_CF_META = 1, RDB_CF_COUNT } rdb_cf;

typedef struct rdb rdb;
typedef struct rdb_batch rdb_batch;
typedef struct rdb_iter rdb_iter;

/*
 * rdb_open opens (creating if needed) the database in dir. A directory held
 * by another process gives SLUICE_ELOCKED.
 */
sluice_err rdb_open(rdb **out, const char *dir);
void       rdb_close(rdb *db);  /* flushes memtables' WAL, accepts NULL */

/* A batch belongs to one database: its puts name that database's CFs. */
sluice_err rdb_batch_alloc(rdb_batch **out, rdb *db);
void       rdb_batch_free(rdb_batch *b);
void       rdb_batch_clear(rdb_batch *b);
int        rdb_batch_count(const rdb_batch *b);
void rdb_batch_put(rdb_batch *b, rdb_cf cf, const void *k, size_t klen,
    const void *v, size_t vlen);
void rdb_batch_delete(rdb_batch *b, rdb_cf cf, const void *k, size_t klen);
/* Deletes keys in [begin, end). */
void rdb_batch_delete_range(rdb_batch *b, rdb_cf cf, const void *begin,
    size_t blen, const void *end, size_t elen);
/* Writes the batch atomically; sync != 0 fsyncs the WAL before returning. */
sluice_err rdb_batch_write(rdb_batch *b, int sync);
/* Makes every write so far durable against power loss (fsync of the WAL). */
sluice_err rdb_sync_wal(rdb *db);
/* An integer RocksDB property (e.g. "rocksdb.is-write-stopped") summed over
 * the column families; -1 when RocksDB does not know it. */
int rdb_property_u64(rdb *db, const char *name, uint64_t *out);

/* rdb_get: *val (sl_alloc'd, caller frees) and *vlen on success; a missing
 * key gives SLUICE_OK with *val == NULL. */
sluice_err rdb_get(rdb *db, rdb_cf cf, const void *k, size_t klen,
    void **val, size_t *vlen);

/* An iterator over [lower, upper) of one column family. */
sluice_err rdb_iter_open(rdb_iter **out, rdb *db, rdb_cf cf,
    const void *lower, size_t llen, const void *upper, size_t ulen);
void        rdb_iter_close(rdb_iter *it);
void        rdb_iter_seek(rdb_iter *it, const void *k, size_t klen);
void        rdb_iter_seek_first(rdb_iter *it);
void        rdb_iter_seek_last(rdb_iter *it);
int         rdb_iter_valid(const rdb_iter *it);
void        rdb_iter_next(rdb_iter *it);
const void *rdb_iter_key(const rdb_iter *it, size_t *len);
const void *rdb_iter_value(const rdb_iter *it, size_t *len);
/* SLUICE_OK, or SLUICE_ESTORAGE when iteration stopped on an error. */
sluice_err  rdb_iter_status(const rdb_iter *it);

#endif
