/*
 * codec.c - encode and decode Sluice frames and stored records with
 * protobuf-c. Decoding allocates through sl_alloc so that tests can inject
 * allocation failures; malformed input is an error code, never a crash.
 */
#include "codec.h"

#include <string.h>
#include <time.h>

#include "alloc.h"

/* allocator_data, when set, points at a flag raised on a failed allocation. */
static void *
pb_alloc(void *data, size_t size)
{
	void *p = sl_alloc(size);
	if (p == NULL && data != NULL)
		*(int *) data = 1;
	return p;
}

static void
pb_free(void *data, void *p)
{
	(void) data;
	sl_free(p);
}

static ProtobufCAllocator allocator = {
	.alloc = pb_alloc,
	.free = pb_free,
	.allocator_data = NULL,
};

/*
 * protobuf-c returns NULL both for bad bytes and for failed allocations.
 * Telling the two apart matters (one is the peer's fault, the other ours),
 * so each unpack uses an allocator that records a failed allocation.
 */

#define CODEC_PAIR(fn, type, pbname)                                        \
	sluice_err codec_##fn##_unpack(                                     \
	    const void *buf, size_t len, type **out)                        \
	{                                                                   \
		int failed = 0;                                             \
		ProtobufCAllocator a = allocator;                           \
		a.allocator_data = &failed;                                 \
		type *m = pbname##__unpack(&a, len, buf);                   \
		if (m == NULL)                                              \
			return failed ? SLUICE_ENOMEM : SLUICE_EBADFRAME;   \
		*out = m;                                                   \
		return SLUICE_OK;                                           \
	}                                                                   \
	size_t codec_##fn##_size(const type *m)                             \
	{                                                                   \
		return pbname##__get_packed_size(m);                        \
	}                                                                   \
	size_t codec_##fn##_pack(const type *m, uint8_t *buf)               \
	{                                                                   \
		return pbname##__pack(m, buf);                              \
	}

CODEC_PAIR(request, Sluice__Request, sluice__request)
CODEC_PAIR(reply, Sluice__Reply, sluice__reply)
CODEC_PAIR(stored, Sluice__StoredMessage, sluice__stored_message)
CODEC_PAIR(topic_meta, Sluice__TopicMeta, sluice__topic_meta)

void
codec_request_free(Sluice__Request *r)
{
	if (r != NULL)
		sluice__request__free_unpacked(r, &allocator);
}

void
codec_reply_free(Sluice__Reply *r)
{
	if (r != NULL)
		sluice__reply__free_unpacked(r, &allocator);
}

void
codec_stored_free(Sluice__StoredMessage *m)
{
	if (m != NULL)
		sluice__stored_message__free_unpacked(m, &allocator);
}

void
codec_topic_meta_free(Sluice__TopicMeta *m)
{
	if (m != NULL)
		sluice__topic_meta__free_unpacked(m, &allocator);
}

uint64_t
codec_message_bytes(const Sluice__Message *m)
{
	uint64_t n = m->payload.len + m->key.len;
	for (size_t i = 0; i < m->n_properties; i++) {
		const Sluice__Property *p = m->properties[i];
		n += strlen(p->key) + strlen(p->value);
	}
	return n;
}

int64_t
sl_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
sl_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}
