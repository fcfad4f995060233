/* keys.c - encoding of RocksDB keys (see keys.h for the layout). */
#include "keys.h"

#include <string.h>

void
keys_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t) v;
}

void
keys_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t) v;
}

uint32_t
keys_get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
keys_get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void
keys_msg(uint8_t *out, uint32_t topic_id, uint64_t offset)
{
	keys_put_u32(out, topic_id);
	keys_put_u64(out + 4, offset);
}

int
keys_msg_parse(const void *k, size_t len, uint32_t *topic_id, uint64_t *offset)
{
	if (len != KEYS_MSG_LEN)
		return 0;
	*topic_id = keys_get_u32(k);
	*offset = keys_get_u64((const uint8_t *) k + 4);
	return 1;
}

void
keys_state(uint8_t *out, uint32_t topic_id)
{
	memcpy(out, KEYS_STATE_PREFIX, 2);
	keys_put_u32(out + 2, topic_id);
}
