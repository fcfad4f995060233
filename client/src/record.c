/*
 * record.c - received messages: their shared storage and the public
 * accessors. A Deliver decodes into one protobuf-c Reply; its records point
 * into it instead of copying payloads, and a reference count shared by the
 * records of that Deliver frees it with the last of them. It knows nothing
 * of consumers, credit or acks (consumer.c).
 *
 * Threading: records of one batch may be freed concurrently from different
 * threads (the count is atomic); one record is used by one thread at a
 * time.
 */
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "record.h"

typedef struct record_batch {
	atomic_size_t  refs;  /* records not yet freed */
	Sluice__Reply *reply; /* owned; freed with the last record */
	sluice_record  recs[]; /* reply->deliver->n_records of them */
} record_batch;

sluice_err
record_batch_make(Sluice__Reply *reply, sluice_record **first)
{
	const Sluice__Deliver *d = reply->deliver;
	size_t n = d->n_records;
	record_batch *b = sl_alloc(sizeof(*b) + n * sizeof(sluice_record));
	if (b == NULL)
		return SLUICE_ENOMEM;
	atomic_init(&b->refs, n);
	b->reply = reply;
	for (size_t i = 0; i < n; i++) {
		b->recs[i].batch = b;
		b->recs[i].pb = d->records[i];
		b->recs[i].next = i + 1 < n ? &b->recs[i + 1] : NULL;
	}
	*first = &b->recs[0];
	return SLUICE_OK;
}

void
sluice_record_free(sluice_record *r)
{
	if (r == NULL)
		return;
	record_batch *b = r->batch;
	if (atomic_fetch_sub(&b->refs, 1) == 1) {
		codec_reply_free(b->reply);
		sl_free(b);
	}
}

/* The stored message of r; a broker may omit it (all fields default). */
static const Sluice__StoredMessage *
stored(const sluice_record *r)
{
	static const Sluice__StoredMessage empty = SLUICE__STORED_MESSAGE__INIT;
	return r->pb->message != NULL ? r->pb->message : &empty;
}

uint64_t
sluice_record_offset(const sluice_record *r)
{
	return r != NULL ? r->pb->offset : 0;
}

uint32_t
sluice_record_attempt(const sluice_record *r)
{
	return r != NULL ? r->pb->attempt : 0;
}

const void *
sluice_record_payload(const sluice_record *r, size_t *len)
{
	if (r == NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	const Sluice__StoredMessage *m = stored(r);
	if (len != NULL)
		*len = m->payload.len;
	/* Never NULL for a record, so callers can print an empty payload. */
	return m->payload.data != NULL ? (const void *) m->payload.data : "";
}

const void *
sluice_record_key(const sluice_record *r, size_t *len)
{
	const Sluice__StoredMessage *m = r != NULL ? stored(r) : NULL;
	if (m == NULL || !m->has_key) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = m->key.len;
	return m->key.data != NULL ? (const void *) m->key.data : "";
}

const char *
sluice_record_property(const sluice_record *r, const char *name)
{
	if (r == NULL || name == NULL)
		return NULL;
	const Sluice__StoredMessage *m = stored(r);
	for (size_t i = 0; i < m->n_properties; i++) {
		const Sluice__Property *p = m->properties[i];
		if (p->key != NULL && strcmp(p->key, name) == 0)
			return p->value != NULL ? p->value : "";
	}
	return NULL;
}

size_t
sluice_record_property_count(const sluice_record *r)
{
	return r != NULL ? stored(r)->n_properties : 0;
}

sluice_err
sluice_record_property_at(
    const sluice_record *r, size_t i, const char **key, const char **value)
{
	if (r == NULL || i >= stored(r)->n_properties)
		return SLUICE_EINVAL;
	const Sluice__Property *p = stored(r)->properties[i];
	if (key != NULL)
		*key = p->key != NULL ? p->key : "";
	if (value != NULL)
		*value = p->value != NULL ? p->value : "";
	return SLUICE_OK;
}

int64_t
sluice_record_publish_time(const sluice_record *r)
{
	return r != NULL ? stored(r)->publish_time_us : 0;
}

int64_t
sluice_record_event_time(const sluice_record *r)
{
	return r != NULL ? stored(r)->event_time_us : 0;
}

uint64_t
sluice_record_sequence(const sluice_record *r)
{
	return r != NULL ? stored(r)->producer_seq : 0;
}
