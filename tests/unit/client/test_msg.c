/*
 * test_msg.c - msg.c: setters copy, replace and validate; the size figure
 * matches what the broker computes (codec_message_bytes).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "alloc.h"
#include "client_impl.h"

TestSuite(msg, .timeout = 10);

Test(msg, new_message_is_empty)
{
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_size(m), 0);
	cr_assert_eq(m->pb.has_key, 0);
	cr_assert_eq(m->pb.n_properties, 0);
	sluice_msg_free(m);
	sluice_msg_free(NULL);
}

Test(msg, setters_copy_their_arguments)
{
	sluice_msg *m = NULL;
	char buf[] = "hello";
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, buf, 5), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_key(m, "k1", 2), SLUICE_OK);
	buf[0] = 'J';
	cr_assert_eq(m->pb.payload.len, 5);
	cr_assert_eq(memcmp(m->pb.payload.data, "hello", 5), 0);
	cr_assert_eq(m->pb.has_key, 1);
	cr_assert_eq(memcmp(m->pb.key.data, "k1", 2), 0);
	sluice_msg_free(m);
}

Test(msg, size_counts_payload_key_and_properties_like_the_broker)
{
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, "0123456789", 10), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_key(m, "abc", 3), SLUICE_OK);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(sluice_msg_add_property(m, "key", "value"), SLUICE_OK);
	cr_assert_eq(m->pb.n_properties, 6);
	cr_assert_eq(sluice_msg_size(m), 10 + 3 + 6 * 8);
	cr_assert_eq(sluice_msg_size(m), codec_message_bytes(&m->pb));
	cr_assert_geq(msg_wire_bound(m), sluice_msg_size(m));
	sluice_msg_free(m);
}

Test(msg, replacing_and_clearing_fields)
{
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, "long payload", 12), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, "ab", 2), SLUICE_OK);
	cr_assert_eq(sluice_msg_size(m), 2);
	cr_assert_eq(sluice_msg_set_payload(m, NULL, 0), SLUICE_OK);
	cr_assert_eq(sluice_msg_size(m), 0);
	/* An empty key is a key; NULL removes it. */
	cr_assert_eq(sluice_msg_set_key(m, "", 0), SLUICE_OK);
	cr_assert_eq(m->pb.has_key, 1);
	cr_assert_eq(sluice_msg_set_key(m, NULL, 0), SLUICE_OK);
	cr_assert_eq(m->pb.has_key, 0);
	cr_assert_eq(sluice_msg_set_event_time(m, 1700000000000000), SLUICE_OK);
	cr_assert_eq(m->pb.event_time_us, 1700000000000000);
	cr_assert_eq(sluice_msg_set_sequence(m, 9), SLUICE_OK);
	cr_assert_eq(m->pb.producer_seq, 9);
	cr_assert_eq(m->has_seq, 1);
	sluice_msg_free(m);
}

Test(msg, invalid_arguments_are_einval)
{
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_msg_alloc(NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(NULL, "x", 1), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_set_payload(m, NULL, 3), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_set_key(m, NULL, 3), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_add_property(m, NULL, "v"), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_add_property(m, "", "v"), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_add_property(m, "k", NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_set_event_time(m, -1), SLUICE_EINVAL);
	cr_assert_eq(sluice_msg_size(NULL), 0);
	sluice_msg_free(m);
}

Test(msg, failed_allocation_leaves_the_message_unchanged)
{
	sluice_msg *m = NULL;
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_OK);
	cr_assert_eq(sluice_msg_set_payload(m, "keep", 4), SLUICE_OK);
	sl_alloc_fail_after(1);
	cr_assert_eq(sluice_msg_set_payload(m, "lost", 4), SLUICE_ENOMEM);
	sl_alloc_fail_after(1);
	cr_assert_eq(sluice_msg_add_property(m, "k", "v"), SLUICE_ENOMEM);
	sl_alloc_fail_after(0);
	cr_assert_eq(memcmp(m->pb.payload.data, "keep", 4), 0);
	cr_assert_eq(m->pb.n_properties, 0);
	cr_assert_eq(sluice_msg_add_property(m, "k", "v"), SLUICE_OK);
	sluice_msg_free(m);
	sl_alloc_fail_after(1);
	cr_assert_eq(sluice_msg_alloc(&m), SLUICE_ENOMEM);
	sl_alloc_fail_after(0);
}
