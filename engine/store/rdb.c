/*
 * rdb.c - RocksDB behind the rdb.h interface. The only file that includes
 * rocksdb/c.h. Owns the database handle, its options and column family
 * handles; does not know what the keys mean (see keys.h).
 */
#include "rdb.h"

#include <rocksdb/c.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

struct rdb {
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_writeoptions_t *wopts_nosync;
	rocksdb_writeoptions_t *wopts_sync;
	rocksdb_readoptions_t *ropts;
	rocksdb_column_family_handle_t *cf[RDB_CF_COUNT];
};

struct rdb_batch {
	rdb *db;
	rocksdb_writebatch_t *wb;
};

struct rdb_iter {
	rocksdb_iterator_t *it;
	rocksdb_readoptions_t *ropts;
	char *lower; /* bounds must outlive the iterator */
	char *upper;
};

static const char *cf_names[RDB_CF_COUNT + 1] = { "messages", "meta", "default" };

/* Converts a RocksDB error string to a status, logging and freeing it. */
static sluice_err
storage_err(char *err, const char *what)
{
	sluice_err rv = SLUICE_ESTORAGE;
	if (strstr(err, "lock") != NULL || strstr(err, "LOCK") != NULL)
		rv = SLUICE_ELOCKED;
	else if (strstr(err, "Corruption") != NULL)
		rv = SLUICE_ECORRUPT;
	sl_error("storage: %s: %s", what, err);
	rocksdb_free(err);
	return rv;
}

sluice_err
rdb_open(rdb **out, const char *dir)
{
	rdb *d = sl_alloc(sizeof(*d));
	if (d == NULL)
		return SLUICE_ENOMEM;
	d->opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(d->opts, 1);
	rocksdb_options_set_create_missing_column_families(d->opts, 1);
	rocksdb_options_increase_parallelism(d->opts, 2);
	rocksdb_options_set_compression(d->opts, rocksdb_lz4_compression);
	/* RocksDB's own WAL is our log. Memtables are most of the broker's
	 * memory (up to two per column family while one flushes): 32 MiB
	 * keeps RSS near 80 MiB under a 10M-message backlog
	 * (docs/PERFORMANCE.md) and costs no publish throughput. */
	rocksdb_options_set_write_buffer_size(d->opts, 32 << 20);
	rocksdb_options_set_max_total_wal_size(d->opts, 256 << 20);

	const rocksdb_options_t *cf_opts[RDB_CF_COUNT + 1];
	rocksdb_column_family_handle_t *handles[RDB_CF_COUNT + 1];
	for (int i = 0; i <= RDB_CF_COUNT; i++)
		cf_opts[i] = d->opts;
	char *err = NULL;
	d->db = rocksdb_open_column_families(d->opts, dir, RDB_CF_COUNT + 1,
	    cf_names, cf_opts, handles, &err);
	if (err != NULL) {
		sluice_err rv = storage_err(err, dir);
		rocksdb_options_destroy(d->opts);
		sl_free(d);
		return rv;
	}
	for (int i = 0; i < RDB_CF_COUNT; i++)
		d->cf[i] = handles[i];
	rocksdb_column_family_handle_destroy(handles[RDB_CF_COUNT]);
	d->wopts_nosync = rocksdb_writeoptions_create();
	d->wopts_sync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(d->wopts_sync, 1);
	d->ropts = rocksdb_readoptions_create();
	*out = d;
	return SLUICE_OK;
}

void
rdb_close(rdb *d)
{
	if (d == NULL)
		return;
	char *err = NULL;
	/* A clean stop leaves nothing for WAL replay to do. */
	rocksdb_flush_wal(d->db, 1, &err);
	if (err != NULL)
		storage_err(err, "flush wal on close");
	for (int i = 0; i < RDB_CF_COUNT; i++)
		rocksdb_column_family_handle_destroy(d->cf[i]);
	rocksdb_close(d->db);
	rocksdb_writeoptions_destroy(d->wopts_nosync);
	rocksdb_writeoptions_destroy(d->wopts_sync);
	rocksdb_readoptions_destroy(d->ropts);
	rocksdb_options_destroy(d->opts);
	sl_free(d);
}

sluice_err
rdb_batch_alloc(rdb_batch **out, rdb *db)
{
	rdb_batch *b = sl_alloc(sizeof(*b));
	if (b == NULL)
		return SLUICE_ENOMEM;
	b->db = db;
	b->wb = rocksdb_writebatch_create();
	*out = b;
	return SLUICE_OK;
}

void
rdb_batch_free(rdb_batch *b)
{
	if (b == NULL)
		return;
	rocksdb_writebatch_destroy(b->wb);
	sl_free(b);
}

void
rdb_batch_clear(rdb_batch *b)
{
	rocksdb_writebatch_clear(b->wb);
}

int
rdb_batch_count(const rdb_batch *b)
{
	return rocksdb_writebatch_count(b->wb);
}

void
rdb_batch_put(rdb_batch *b, rdb_cf cf, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	rocksdb_writebatch_put_cf(b->wb, b->db->cf[cf], k, klen, v, vlen);
}

void
rdb_batch_delete(rdb_batch *b, rdb_cf cf, const void *k, size_t klen)
{
	rocksdb_writebatch_delete_cf(b->wb, b->db->cf[cf], k, klen);
}

void
rdb_batch_delete_range(rdb_batch *b, rdb_cf cf, const void *begin,
    size_t blen, const void *end, size_t elen)
{
	rocksdb_writebatch_delete_range_cf(
	    b->wb, b->db->cf[cf], begin, blen, end, elen);
}

sluice_err
rdb_batch_write(rdb_batch *b, int sync)
{
	char *err = NULL;
	rdb *d = b->db;
	rocksdb_write(d->db, sync ? d->wopts_sync : d->wopts_nosync, b->wb, &err);
	if (err != NULL)
		return storage_err(err, "write batch");
	return SLUICE_OK;
}

sluice_err
rdb_sync_wal(rdb *d)
{
	char *err = NULL;
	rocksdb_flush_wal(d->db, 1, &err);
	if (err != NULL)
		return storage_err(err, "sync wal");
	return SLUICE_OK;
}

sluice_err
rdb_get(rdb *d, rdb_cf cf, const void *k, size_t klen, void **val, size_t *vlen)
{
	char *err = NULL;
	size_t n = 0;
	char *v = rocksdb_get_cf(d->db, d->ropts, d->cf[cf], k, klen, &n, &err);
	if (err != NULL)
		return storage_err(err, "get");
	if (v == NULL) {
		*val = NULL;
		*vlen = 0;
		return SLUICE_OK;
	}
	void *copy = sl_alloc(n);
	if (copy == NULL) {
		rocksdb_free(v);
		return SLUICE_ENOMEM;
	}
	memcpy(copy, v, n);
	rocksdb_free(v);
	*val = copy;
	*vlen = n;
	return SLUICE_OK;
}

static char *
dup_bytes(const void *p, size_t n)
{
	char *d = sl_alloc(n);
	if (d != NULL && n > 0)
		memcpy(d, p, n);
	return d;
}

sluice_err
rdb_iter_open(rdb_iter **out, rdb *d, rdb_cf cf, const void *lower,
    size_t llen, const void *upper, size_t ulen)
{
	rdb_iter *it = sl_alloc(sizeof(*it));
	if (it == NULL)
		return SLUICE_ENOMEM;
	it->ropts = rocksdb_readoptions_create();
	if (lower != NULL) {
		if ((it->lower = dup_bytes(lower, llen)) == NULL)
			goto fail;
		rocksdb_readoptions_set_iterate_lower_bound(it->ropts, it->lower, llen);
	}
	if (upper != NULL) {
		if ((it->upper = dup_bytes(upper, ulen)) == NULL)
			goto fail;
		rocksdb_readoptions_set_iterate_upper_bound(it->ropts, it->upper, ulen);
	}
	it->it = rocksdb_create_iterator_cf(d->db, it->ropts, d->cf[cf]);
	*out = it;
	return SLUICE_OK;
fail:
	rocksdb_readoptions_destroy(it->ropts);
	sl_free(it->lower);
	sl_free(it);
	return SLUICE_ENOMEM;
}

void
rdb_iter_close(rdb_iter *it)
{
	if (it == NULL)
		return;
	rocksdb_iter_destroy(it->it);
	rocksdb_readoptions_destroy(it->ropts);
	sl_free(it->lower);
	sl_free(it->upper);
	sl_free(it);
}

void
rdb_iter_seek(rdb_iter *it, const void *k, size_t klen)
{
	rocksdb_iter_seek(it->it, k, klen);
}

void
rdb_iter_seek_first(rdb_iter *it)
{
	rocksdb_iter_seek_to_first(it->it);
}

void
rdb_iter_seek_last(rdb_iter *it)
{
	rocksdb_iter_seek_to_last(it->it);
}

int
rdb_iter_valid(const rdb_iter *it)
{
	return rocksdb_iter_valid(it->it);
}

void
rdb_iter_next(rdb_iter *it)
{
	rocksdb_iter_next(it->it);
}

const void *
rdb_iter_key(const rdb_iter *it, size_t *len)
{
	return rocksdb_iter_key(it->it, len);
}

const void *
rdb_iter_value(const rdb_iter *it, size_t *len)
{
	return rocksdb_iter_value(it->it, len);
}

sluice_err
rdb_iter_status(const rdb_iter *it)
{
	char *err = NULL;
	rocksdb_iter_get_error(it->it, &err);
	if (err != NULL)
		return storage_err(err, "iterate");
	return SLUICE_OK;
}


int
rdb_property_u64(rdb *db, const char *name, uint64_t *out)
{
	uint64_t sum = 0, v;
	int found = 0;
	for (int i = 0; i < RDB_CF_COUNT; i++) {
		if (rocksdb_property_int_cf(db->db, db->cf[i], name, &v) == 0) {
			sum += v;
			found = 1;
		}
	}
	*out = sum;
	return found ? 0 : -1;
}
