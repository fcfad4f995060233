/*
 * test_lifecycle.c - clean stop and restart of the real sluiced: SIGTERM
 * exits 0 after answering what it accepted, and offsets continue across
 * restarts without gaps.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "raw.h"
#include "support.h"

TestSuite(lifecycle, .init = tmpdir_enter, .fini = tmpdir_leave, .timeout = 60);

Test(lifecycle, sigterm_stops_cleanly_and_offsets_continue_after_restart)
{
	broker_proc bp;
	char data[600];
	snprintf(data, sizeof(data), "%s/data", tmpdir_path());
	const char *extra[] = { "--fsync", "never", NULL };
	cr_assert_eq(broker_start(&bp, data, extra), 0);
	for (int round = 0; round < 3; round++) {
		raw_conn c;
		uint64_t base = 0;
		cr_assert_eq(raw_open(&c, bp.url), 0);
		cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
		cr_assert_eq(raw_publish(&c, "life", 10, "m", &base), SLUICE_OK);
		cr_assert_eq(base, (uint64_t) round * 10, "round %d base %llu", round,
		    (unsigned long long) base);
		raw_close(&c);
		cr_assert_eq(broker_stop(&bp), 0);
		char log[65536];
		broker_log_read(&bp, log, sizeof(log));
		cr_assert(strstr(log, "stopped cleanly") != NULL, "log: %s", log);
		cr_assert_eq(broker_restart(&bp), 0);
	}
	cr_assert_eq(broker_stop(&bp), 0);
}

Test(lifecycle, data_dir_with_missing_parents_is_created)
{
	broker_proc bp;
	char data[600];
	snprintf(data, sizeof(data), "%s/not/yet/there/data", tmpdir_path());
	cr_assert_eq(broker_start(&bp, data, NULL), 0, "broker did not start on %s", data);
	raw_conn c;
	uint64_t base = 1;
	cr_assert_eq(raw_open(&c, bp.url), 0);
	cr_assert_eq(raw_hello(&c, SLUICE_PROTOCOL_VERSION), SLUICE_OK);
	cr_assert_eq(raw_publish(&c, "nested", 3, "m", &base), SLUICE_OK);
	cr_assert_eq(base, 0);
	raw_close(&c);
	cr_assert_eq(broker_stop(&bp), 0);
	char current[700];
	snprintf(current, sizeof(current), "%s/CURRENT", data);
	FILE *f = fopen(current, "r");
	cr_assert_not_null(f, "no RocksDB in %s", data);
	fclose(f);
}
