/*
 * keys.h - how Sluice lays out its RocksDB keys. Big-endian integers make
 * byte order equal numeric order, so one iterator reads a topic's messages
 * by offset range.
 *
 *   messages CF: [topic id u32 BE][offset u64 BE]        -> StoredMessage
 *   meta CF:     "t/" topic name                         -> TopicMeta
 *                "s/" [topic id u32 BE]                  -> topic state
 *
 * The topic state (first offset, next offset, bytes) is 24 bytes, three
 * u64 BE, rewritten in the same WriteBatch as the messages it describes.
 */
#ifndef SL_KEYS_H
#define SL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_MSG_LEN 12
#define KEYS_STATE_LEN 6
#define KEYS_STATE_VALUE_LEN 24
#define KEYS_TOPIC_PREFIX "t/"
#define KEYS_STATE_PREFIX "s/"

void     keys_put_u32(uint8_t *p, uint32_t v);
void     keys_put_u64(uint8_t *p, uint64_t v);
uint32_t keys_get_u32(const uint8_t *p);
uint64_t keys_get_u64(const uint8_t *p);

/* Message key of (topic, offset) into out[KEYS_MSG_LEN]. */
void keys_msg(uint8_t *out, uint32_t topic_id, uint64_t offset);
/* Parses a message key; returns 0 when it is not KEYS_MSG_LEN long. */
int  keys_msg_parse(const void *k, size_t len, uint32_t *topic_id, uint64_t *offset);
/* Topic state key into out[KEYS_STATE_LEN]. */
void keys_state(uint8_t *out, uint32_t topic_id);
#endif
