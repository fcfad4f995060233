/* test_codec.c - frames: round trips, malformed input, error texts. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "codec.h"

static size_t
pack_publish(uint8_t *buf, size_t cap, Sluice__Message **ptrs, size_t n)
{
	Sluice__Publish pub = SLUICE__PUBLISH__INIT;
	pub.topic = (char *) "orders";
	pub.n_messages = n;
	pub.messages = ptrs;
	Sluice__Request req = SLUICE__REQUEST__INIT;
	req.request_id = 99;
	req.body_case = SLUICE__REQUEST__BODY_PUBLISH;
	req.publish = &pub;
	size_t len = codec_request_size(&req);
	cr_assert_leq(len, cap);
	return codec_request_pack(&req, buf);
}

Test(codec, publish_round_trip_keeps_every_message_field)
{
	Sluice__Property prop = SLUICE__PROPERTY__INIT;
	prop.key = (char *) "k";
	prop.value = (char *) "v";
	Sluice__Property *props[] = { &prop };
	Sluice__Message msgs[3], *ptrs[3];
	for (int i = 0; i < 3; i++) {
		msgs[i] = (Sluice__Message) SLUICE__MESSAGE__INIT;
		msgs[i].payload.data = (uint8_t *) "hello";
		msgs[i].payload.len = 5;
		msgs[i].has_key = i == 1;
		msgs[i].key.data = (uint8_t *) (i == 1 ? "key" : "");
		msgs[i].key.len = i == 1 ? 3 : 0;
		msgs[i].n_properties = 1;
		msgs[i].properties = props;
		msgs[i].producer_seq = 10 + (uint64_t) i;
		msgs[i].event_time_us = -5;
		ptrs[i] = &msgs[i];
	}
	uint8_t buf[1024];
	size_t len = pack_publish(buf, sizeof(buf), ptrs, 3);
	Sluice__Request *r;
	cr_assert_eq(codec_request_unpack(buf, len, &r), SLUICE_OK);
	cr_assert_eq(r->request_id, 99);
	cr_assert_eq(r->body_case, SLUICE__REQUEST__BODY_PUBLISH);
	cr_assert_str_eq(r->publish->topic, "orders");
	cr_assert_eq(r->publish->n_messages, 3);
	Sluice__Message *m = r->publish->messages[1];
	cr_assert(m->has_key);
	cr_assert_eq(m->key.len, 3);
	cr_assert_eq(memcmp(m->key.data, "key", 3), 0);
	cr_assert_eq(m->producer_seq, 11);
	cr_assert_eq(m->event_time_us, -5);
	cr_assert_str_eq(m->properties[0]->value, "v");
	cr_assert_eq(codec_message_bytes(m), 5 + 3 + 2);
	codec_request_free(r);
}

Test(codec, truncated_and_garbage_frames_are_bad_frames_not_crashes)
{
	Sluice__Message msg = SLUICE__MESSAGE__INIT, *ptrs[] = { &msg };
	msg.payload.data = (uint8_t *) "0123456789";
	msg.payload.len = 10;
	uint8_t buf[256];
	size_t len = pack_publish(buf, sizeof(buf), ptrs, 1);
	Sluice__Request *r = NULL;
	for (size_t cut = 1; cut < len; cut++) {
		sluice_err rv = codec_request_unpack(buf, cut, &r);
		if (rv == SLUICE_OK) {
			/* A prefix can itself be a valid, shorter message. */
			codec_request_free(r);
			continue;
		}
		cr_assert_eq(rv, SLUICE_EBADFRAME, "cut %zu: %s", cut, sluice_strerror(rv));
	}
	uint8_t garbage[64];
	memset(garbage, 0xff, sizeof(garbage));
	cr_assert_eq(codec_request_unpack(garbage, sizeof(garbage), &r), SLUICE_EBADFRAME);
	srand(7);
	for (int round = 0; round < 2000; round++) {
		uint8_t noise[48];
		for (size_t i = 0; i < sizeof(noise); i++)
			noise[i] = (uint8_t) rand();
		if (codec_request_unpack(noise, sizeof(noise), &r) == SLUICE_OK)
			codec_request_free(r);
	}
}

Test(codec, unknown_request_type_decodes_with_no_body)
{
	/* request_id = 5 (field 1), then field 20 (a future request type)
	 * as an empty length-delimited value. */
	const uint8_t frame[] = { 0x08, 0x05, 0xa2, 0x01, 0x00 };
	Sluice__Request *r;
	cr_assert_eq(codec_request_unpack(frame, sizeof(frame), &r), SLUICE_OK);
	cr_assert_eq(r->request_id, 5);
	cr_assert_eq(r->body_case, SLUICE__REQUEST__BODY__NOT_SET);
	codec_request_free(r);
}

Test(codec, allocation_failure_is_enomem_not_bad_frame)
{
	Sluice__Message msg = SLUICE__MESSAGE__INIT, *ptrs[] = { &msg };
	uint8_t buf[256];
	size_t len = pack_publish(buf, sizeof(buf), ptrs, 1);
	Sluice__Request *r;
	for (long n = 1; n <= 3; n++) {
		sl_alloc_fail_after(n);
		sluice_err rv = codec_request_unpack(buf, len, &r);
		sl_alloc_fail_after(0);
		cr_assert_eq(rv, SLUICE_ENOMEM, "allocation %ld failing gave %s", n,
		    sluice_strerror(rv));
	}
}

Test(codec, every_status_code_has_text_and_a_name)
{
	cr_assert_str_eq(sluice_strerror(SLUICE_OK), "success");
	cr_assert_str_eq(sluice_err_name(SLUICE_ETOOBIG), "SLUICE_ETOOBIG");
	cr_assert_str_eq(sluice_strerror((sluice_err) 9999), "unknown error");
	cr_assert_eq(SLUICE_ESTORAGE, 100, "codes never change: they travel on the wire");
	cr_assert_eq(SLUICE_EBADFRAME, 200);
}

Test(codec, topic_name_rule)
{
	cr_assert(sluice_topic_name_is_valid("a"));
	cr_assert(sluice_topic_name_is_valid("Orders.EU/v1_x-y"));
	cr_assert_not(sluice_topic_name_is_valid(""));
	cr_assert_not(sluice_topic_name_is_valid(NULL));
	cr_assert_not(sluice_topic_name_is_valid("a b"));
	cr_assert_not(sluice_topic_name_is_valid("ümlaut"));
}

Test(codec, deliver_frame_built_from_stored_bytes_decodes_with_protobuf_c)
{
	Sluice__StoredMessage sm = SLUICE__STORED_MESSAGE__INIT;
	sm.payload.data = (uint8_t *) "payload";
	sm.payload.len = 7;
	sm.publish_time_us = 123456789;
	sm.has_key = 1;
	sm.key.data = (uint8_t *) "k";
	sm.key.len = 1;
	uint8_t stored[128];
	size_t slen = codec_stored_pack(&sm, stored);

	codec_deliver d;
	codec_deliver_init(&d);
	for (int round = 0; round < 2; round++) {
		codec_deliver_reset(&d);
		cr_assert_eq(codec_deliver_add(&d, 0, 1, stored, slen), SLUICE_OK);
		cr_assert_eq(codec_deliver_add(&d, 300000000000ull, 7, stored, slen), SLUICE_OK);
		cr_assert_eq(codec_deliver_add(&d, 5, 2, "", 0), SLUICE_OK);
		const uint8_t *frame;
		size_t flen;
		cr_assert_eq(codec_deliver_finish(&d, 4242, round, 99, &frame, &flen), SLUICE_OK);
		Sluice__Reply *r;
		cr_assert_eq(codec_reply_unpack(frame, flen, &r), SLUICE_OK);
		cr_assert_eq(r->request_id, 4242);
		cr_assert_eq(r->status, 0);
		cr_assert_eq(r->body_case, SLUICE__REPLY__BODY_DELIVER);
		cr_assert_eq(r->deliver->n_records, 3);
		cr_assert_eq(r->deliver->active, round);
		cr_assert_eq(r->deliver->dropped, 99);
		cr_assert_eq(r->deliver->records[1]->offset, 300000000000ull);
		cr_assert_eq(r->deliver->records[1]->attempt, 7);
		Sluice__StoredMessage *m = r->deliver->records[1]->message;
		cr_assert_eq(m->publish_time_us, 123456789);
		cr_assert_eq(m->payload.len, 7);
		cr_assert_eq(memcmp(m->payload.data, "payload", 7), 0);
		cr_assert(m->has_key);
		cr_assert_eq(r->deliver->records[2]->offset, 5);
		codec_reply_free(r);
	}
	codec_deliver_fini(&d);
}
