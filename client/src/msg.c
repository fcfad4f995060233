/*
 * msg.c - messages a producer publishes. A sluice_msg owns its key, payload
 * and properties and keeps them in protobuf-c form, so encoding a batch
 * points at them instead of copying. Offsets and publish times are the
 * broker's and do not live here. Not thread-safe: one thread builds a
 * message, then hands it to a producer.
 */
#include <string.h>

#include "alloc.h"
#include "client_impl.h"

/*
 * Per-message framing the wire bound allows for: the message's own tag and
 * length prefix (1 + 5), has_key (2), key and payload tags and lengths
 * (2 * 6), producer_seq and event_time_us as varints (2 * 11), rounded up.
 * Each property adds its tag and length (6) plus two string fields (2 * 6).
 */
#define MSG_FRAMING_BYTES 48
#define PROP_FRAMING_BYTES 18

sluice_err
sluice_msg_alloc(sluice_msg **out)
{
	if (out == NULL)
		return SLUICE_EINVAL;
	sluice_msg *m = sl_alloc(sizeof(*m));
	if (m == NULL)
		return SLUICE_ENOMEM;
	Sluice__Message init = SLUICE__MESSAGE__INIT;
	m->pb = init;
	*out = m;
	return SLUICE_OK;
}

void
sluice_msg_free(sluice_msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->pb.n_properties; i++) {
		Sluice__Property *p = m->pb.properties[i];
		sl_free(p->key);
		sl_free(p->value);
		sl_free(p);
	}
	sl_free(m->pb.properties);
	sl_free(m->pb.key.data);
	sl_free(m->pb.payload.data);
	sl_free(m);
}

/* Replaces *bin with a copy of data; *bin is untouched on failure. */
static sluice_err
set_bytes(ProtobufCBinaryData *bin, const void *data, size_t len)
{
	if (data == NULL && len > 0)
		return SLUICE_EINVAL;
	uint8_t *copy = NULL;
	if (len > 0) {
		if ((copy = sl_alloc(len)) == NULL)
			return SLUICE_ENOMEM;
		memcpy(copy, data, len);
	}
	sl_free(bin->data);
	bin->data = copy;
	bin->len = len;
	return SLUICE_OK;
}

sluice_err
sluice_msg_set_payload(sluice_msg *m, const void *data, size_t len)
{
	if (m == NULL)
		return SLUICE_EINVAL;
	return set_bytes(&m->pb.payload, data, len);
}

/*
 * A NULL key clears it. An empty key is a real key (has_key is set): the
 * wire carries has_key because proto3 cannot tell "" from absent.
 */
sluice_err
sluice_msg_set_key(sluice_msg *m, const void *key, size_t len)
{
	if (m == NULL)
		return SLUICE_EINVAL;
	if (key == NULL) {
		if (len > 0)
			return SLUICE_EINVAL;
		set_bytes(&m->pb.key, NULL, 0);
		m->pb.has_key = 0;
		return SLUICE_OK;
	}
	sluice_err rv = set_bytes(&m->pb.key, key, len);
	if (rv == SLUICE_OK)
		m->pb.has_key = 1;
	return rv;
}

sluice_err
sluice_msg_add_property(sluice_msg *m, const char *key, const char *value)
{
	if (m == NULL || key == NULL || *key == '\0' || value == NULL)
		return SLUICE_EINVAL;
	if (m->pb.n_properties == m->props_cap) {
		size_t cap = m->props_cap ? m->props_cap * 2 : 4;
		Sluice__Property **grown =
		    sl_realloc(m->pb.properties, cap * sizeof(*grown));
		if (grown == NULL)
			return SLUICE_ENOMEM;
		m->pb.properties = grown;
		m->props_cap = cap;
	}
	Sluice__Property *p = sl_alloc(sizeof(*p));
	char *k = sl_strdup(key);
	char *v = sl_strdup(value);
	if (p == NULL || k == NULL || v == NULL) {
		sl_free(p);
		sl_free(k);
		sl_free(v);
		return SLUICE_ENOMEM;
	}
	Sluice__Property init = SLUICE__PROPERTY__INIT;
	*p = init;
	p->key = k;
	p->value = v;
	m->pb.properties[m->pb.n_properties++] = p;
	return SLUICE_OK;
}

sluice_err
sluice_msg_set_event_time(sluice_msg *m, int64_t us)
{
	if (m == NULL || us < 0)
		return SLUICE_EINVAL;
	m->pb.event_time_us = us;
	return SLUICE_OK;
}

sluice_err
sluice_msg_set_sequence(sluice_msg *m, uint64_t seq)
{
	if (m == NULL)
		return SLUICE_EINVAL;
	m->pb.producer_seq = seq;
	m->has_seq = 1;
	return SLUICE_OK;
}

size_t
sluice_msg_size(const sluice_msg *m)
{
	if (m == NULL)
		return 0;
	return (size_t) codec_message_bytes(&m->pb);
}

size_t
msg_wire_bound(const sluice_msg *m)
{
	return sluice_msg_size(m) + MSG_FRAMING_BYTES +
	    PROP_FRAMING_BYTES * m->pb.n_properties;
}
