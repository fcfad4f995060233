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
CODEC_PAIR(parked, Sluice__ParkedInfo, sluice__parked_info)
CODEC_PAIR(sub_meta, Sluice__SubscriptionMeta, sluice__subscription_meta)
CODEC_PAIR(cursor, Sluice__Cursor, sluice__cursor)

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

void
codec_parked_free(Sluice__ParkedInfo *m)
{
	if (m != NULL)
		sluice__parked_info__free_unpacked(m, &allocator);
}

void
codec_sub_meta_free(Sluice__SubscriptionMeta *m)
{
	if (m != NULL)
		sluice__subscription_meta__free_unpacked(m, &allocator);
}

void
codec_cursor_free(Sluice__Cursor *m)
{
	if (m != NULL)
		sluice__cursor__free_unpacked(m, &allocator);
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

/* Protobuf wire format: tags are (field << 3) | wire type. */
#define HEADROOM 24
#define TAG_VARINT(f) ((uint8_t) ((f) << 3))
#define TAG_BYTES(f) ((uint8_t) (((f) << 3) | 2))
enum {
	REPLY_REQUEST_ID = 1, REPLY_DELIVER = 13,
	DELIVER_RECORDS = 1, DELIVER_ACTIVE = 2, DELIVER_DROPPED = 3,
	RECORD_OFFSET = 1, RECORD_ATTEMPT = 2, RECORD_MESSAGE = 3,
};

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t) v;
	return n;
}

void
codec_deliver_init(codec_deliver *d)
{
	memset(d, 0, sizeof(*d));
}

void
codec_deliver_fini(codec_deliver *d)
{
	sl_free(d->buf);
	memset(d, 0, sizeof(*d));
}

void
codec_deliver_reset(codec_deliver *d)
{
	d->len = HEADROOM;
	d->nrecords = 0;
	d->body_bytes = 0;
}

static sluice_err
reserve(codec_deliver *d, size_t more)
{
	if (d->buf == NULL) {
		d->len = HEADROOM;
		d->cap = 0;
	}
	if (d->len + more <= d->cap)
		return SLUICE_OK;
	size_t cap = d->cap ? d->cap : 4096;
	while (cap < d->len + more)
		cap *= 2;
	uint8_t *b = sl_realloc(d->buf, cap);
	if (b == NULL)
		return SLUICE_ENOMEM;
	d->buf = b;
	d->cap = cap;
	return SLUICE_OK;
}

sluice_err
codec_deliver_add(codec_deliver *d, uint64_t offset, uint32_t attempt,
    const void *stored, size_t len)
{
	size_t rec = 1 + varint_len(offset) + 1 + varint_len(attempt) + 1 +
	    varint_len(len) + len;
	sluice_err rv = reserve(d, 1 + varint_len(rec) + rec);
	if (rv != SLUICE_OK)
		return rv;
	uint8_t *p = d->buf + d->len;
	*p++ = TAG_BYTES(DELIVER_RECORDS);
	p += put_varint(p, rec);
	*p++ = TAG_VARINT(RECORD_OFFSET);
	p += put_varint(p, offset);
	*p++ = TAG_VARINT(RECORD_ATTEMPT);
	p += put_varint(p, attempt);
	*p++ = TAG_BYTES(RECORD_MESSAGE);
	p += put_varint(p, len);
	if (len > 0)
		memcpy(p, stored, len);
	p += len;
	d->body_bytes += (size_t) (p - (d->buf + d->len));
	d->len = (size_t) (p - d->buf);
	d->nrecords++;
	return SLUICE_OK;
}

sluice_err
codec_deliver_finish(codec_deliver *d, uint64_t request_id, int active,
    uint64_t dropped, const uint8_t **frame, size_t *flen)
{
	sluice_err rv = reserve(d, 2 + 10);
	if (rv != SLUICE_OK)
		return rv;
	if (active) {
		d->buf[d->len++] = TAG_VARINT(DELIVER_ACTIVE);
		d->buf[d->len++] = 1;
	}
	if (dropped > 0) {
		d->buf[d->len++] = TAG_VARINT(DELIVER_DROPPED);
		d->len += put_varint(d->buf + d->len, dropped);
	}
	size_t body = d->len - HEADROOM;
	uint8_t hdr[HEADROOM];
	size_t h = 0;
	hdr[h++] = TAG_VARINT(REPLY_REQUEST_ID);
	h += put_varint(hdr + h, request_id);
	hdr[h++] = TAG_BYTES(REPLY_DELIVER);
	h += put_varint(hdr + h, body);
	memcpy(d->buf + HEADROOM - h, hdr, h);
	*frame = d->buf + HEADROOM - h;
	*flen = body + h;
	return SLUICE_OK;
}

int64_t
codec_stored_publish_time(const uint8_t *buf, size_t len)
{
	/* Field 1, varint: tag byte 0x08. protobuf-c packs fields in number
	 * order, so when present it is the first thing. */
	if (len < 2 || buf[0] != 0x08)
		return 0;
	uint64_t v = 0;
	for (size_t i = 1; i < len && i <= 10; i++) {
		v |= (uint64_t) (buf[i] & 0x7f) << (7 * (i - 1));
		if ((buf[i] & 0x80) == 0)
			return (int64_t) v;
	}
	return 0;
}

/* Reads a varint at *p (< end); 0 when truncated or longer than 10 bytes. */
static int
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 10 && *p < end; i++) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t) (b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0)
			return 1;
	}
	return 0;
}

int
codec_stored_key(const uint8_t *buf, size_t len, const uint8_t **key, size_t *klen)
{
	/* Walks the fields, skipping the others by their wire type (the
	 * payload is one jump), so the cost does not grow with its size. */
	const uint8_t *p = buf, *end = buf + len, *k = NULL;
	uint64_t tag, v, has = 0, kl = 0;
	while (p < end) {
		if (!read_varint(&p, end, &tag))
			return 0;
		switch (tag & 7) {
		case 0:
			if (!read_varint(&p, end, &v))
				return 0;
			if (tag >> 3 == 2)
				has = v;
			break;
		case 1:
			if ((size_t) (end - p) < 8)
				return 0;
			p += 8;
			break;
		case 2:
			if (!read_varint(&p, end, &v) || v > (uint64_t) (end - p))
				return 0;
			if (tag >> 3 == 3) {
				k = p;
				kl = v;
			}
			p += v;
			break;
		case 5:
			if ((size_t) (end - p) < 4)
				return 0;
			p += 4;
			break;
		default:
			return 0;
		}
	}
	if (!has)
		return 0;
	*key = k != NULL ? k : buf; /* has_key with an empty key: "" */
	*klen = (size_t) kl;
	return 1;
}
