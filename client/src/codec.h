/*
 * codec.h - the wire and storage codec. codec.c is the only file that calls
 * protobuf-c; other modules use the generated message types declared in
 * sluice.pb-c.h (built from proto/sluice.proto) through this header.
 */
#ifndef SL_CODEC_H
#define SL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sluice.pb-c.h"
#include "sluice/sluice.h"

/*
 * codec_request_unpack decodes one client frame. Returns SLUICE_EBADFRAME
 * for truncated or malformed bytes and SLUICE_ENOMEM; *out is set only on
 * success and freed with codec_request_free.
 */
sluice_err codec_request_unpack(const void *buf, size_t len, Sluice__Request **out);
void       codec_request_free(Sluice__Request *r);
sluice_err codec_reply_unpack(const void *buf, size_t len, Sluice__Reply **out);
void       codec_reply_free(Sluice__Reply *r);
sluice_err codec_stored_unpack(const void *buf, size_t len, Sluice__StoredMessage **out);
void       codec_stored_free(Sluice__StoredMessage *m);
sluice_err codec_topic_meta_unpack(const void *buf, size_t len, Sluice__TopicMeta **out);
void       codec_topic_meta_free(Sluice__TopicMeta *m);

/* Encoded sizes and packing into caller-provided buffers of that size. */
size_t codec_request_size(const Sluice__Request *r);
size_t codec_request_pack(const Sluice__Request *r, uint8_t *buf);
size_t codec_reply_size(const Sluice__Reply *r);
size_t codec_reply_pack(const Sluice__Reply *r, uint8_t *buf);
size_t codec_stored_size(const Sluice__StoredMessage *m);
size_t codec_stored_pack(const Sluice__StoredMessage *m, uint8_t *buf);
/* The publish time of an encoded StoredMessage without decoding it (the
 * field comes first in the encoding); 0 when absent or malformed. */
int64_t codec_stored_publish_time(const uint8_t *buf, size_t len);
/* The key of an encoded StoredMessage without decoding it: 1 with *key
 * (pointing into buf) and *klen when has_key is set, 0 when it has no key
 * or the bytes are malformed. */
int codec_stored_key(const uint8_t *buf, size_t len, const uint8_t **key, size_t *klen);
size_t codec_parked_size(const Sluice__ParkedInfo *m);
size_t codec_parked_pack(const Sluice__ParkedInfo *m, uint8_t *buf);
sluice_err codec_parked_unpack(const void *buf, size_t len, Sluice__ParkedInfo **out);
void       codec_parked_free(Sluice__ParkedInfo *m);
/* Subscription definitions and cursors (engine/subs). */
size_t codec_sub_meta_size(const Sluice__SubscriptionMeta *m);
size_t codec_sub_meta_pack(const Sluice__SubscriptionMeta *m, uint8_t *buf);
sluice_err codec_sub_meta_unpack(const void *buf, size_t len, Sluice__SubscriptionMeta **out);
void       codec_sub_meta_free(Sluice__SubscriptionMeta *m);
size_t codec_cursor_size(const Sluice__Cursor *m);
size_t codec_cursor_pack(const Sluice__Cursor *m, uint8_t *buf);
sluice_err codec_cursor_unpack(const void *buf, size_t len, Sluice__Cursor **out);
void       codec_cursor_free(Sluice__Cursor *m);
size_t codec_topic_meta_size(const Sluice__TopicMeta *m);
size_t codec_topic_meta_pack(const Sluice__TopicMeta *m, uint8_t *buf);

/*
 * codec_message_bytes is the size a broker compares with max_message_bytes:
 * payload + key + every property's key and value. The client computes the
 * same figure (sluice_msg_size) so both sides agree on the limit.
 */
uint64_t codec_message_bytes(const Sluice__Message *m);

/*
 * A Deliver reply built straight from stored records' bytes (each an
 * encoded StoredMessage, as kept in RocksDB), so the broker's delivery path
 * never decodes a message. The field numbers are those of sluice.proto's
 * Reply, Deliver and Record; test_codec checks the result against
 * protobuf-c's own decoder.
 */
typedef struct {
	uint8_t *buf;     /* headroom, then the Deliver body */
	size_t len, cap;
	size_t nrecords;
	size_t body_bytes; /* bytes of records added */
} codec_deliver;

void       codec_deliver_init(codec_deliver *d);
void       codec_deliver_fini(codec_deliver *d);
void       codec_deliver_reset(codec_deliver *d); /* keeps the buffer */
sluice_err codec_deliver_add(codec_deliver *d, uint64_t offset,
    uint32_t attempt, const void *stored, size_t len);
/* Completes the frame; *frame points into d, valid until the next call. */
sluice_err codec_deliver_finish(codec_deliver *d, uint64_t request_id,
    int active, uint64_t dropped, const uint8_t **frame, size_t *flen);

/* Wall clock in microseconds since the epoch; monotonic clock in ns. */
int64_t  sl_now_us(void);
uint64_t sl_mono_ns(void);
#endif
