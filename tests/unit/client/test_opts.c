/*
 * test_opts.c - opts.c: connection and producer option setters validate
 * their arguments and keep the old value on error; the consumer's policy
 * setters (issue #6) too.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "alloc.h"

#include "sluice/sluice.h"

TestSuite(opts, .timeout = 10);

Test(opts, setters_validate_their_arguments)
{
	sluice_opts *o = NULL;
	cr_assert_eq(sluice_opts_alloc(&o), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_url(o, NULL), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_url(o, ""), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_name(o, "x"), SLUICE_OK);
	cr_assert_eq(sluice_opts_set_connect_timeout(o, 0), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_request_timeout(o, -1), SLUICE_EINVAL);
	cr_assert_eq(sluice_opts_set_request_timeout(o, 10), SLUICE_OK);
	sluice_opts_free(o);

	sluice_producer_opts *po = NULL;
	cr_assert_eq(sluice_producer_opts_alloc(&po), SLUICE_OK);
	cr_assert_eq(sluice_producer_opts_set_batch(po, 0, 1, 1), SLUICE_EINVAL);
	cr_assert_eq(sluice_producer_opts_set_batch(po, 1, 0, 1), SLUICE_EINVAL);
	cr_assert_eq(sluice_producer_opts_set_batch(po, 1, 1, 0), SLUICE_OK);
	cr_assert_eq(sluice_producer_opts_set_window(po, 0), SLUICE_EINVAL);
	cr_assert_eq(sluice_producer_opts_set_block(po, 7), SLUICE_OK);
	sluice_producer_opts_free(po);
	sluice_opts_free(NULL);
	sluice_producer_opts_free(NULL);
}

Test(opts, consumer_policy_setters_validate_their_arguments)
{
	sluice_consumer_opts *co = NULL;
	cr_assert_eq(sluice_consumer_opts_alloc(&co), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_type(co, SLUICE_SUB_KEY_SHARED), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_type(co, (sluice_sub_type) 4), SLUICE_EINVAL);

	sluice_failure_policy p = SLUICE_FAILURE_POLICY_INIT;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, NULL), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(NULL, &p), SLUICE_EINVAL);
	p.has_backoff_jitter = 1;
	p.backoff_jitter_pct = 100;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	p.backoff_jitter_pct = 101;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_EINVAL);
	p.has_backoff_jitter = 0; /* an unset value is not checked */
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	p.has_backoff_base = p.has_backoff_max = 1;
	p.backoff_base_ms = 1000;
	p.backoff_max_ms = 999;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_EINVAL);
	p.backoff_max_ms = 1000;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	p.backoff = (sluice_backoff) 3;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_EINVAL);
	p.backoff = SLUICE_BACKOFF_EXPONENTIAL;
	p.on_exhausted = (sluice_on_exhausted) 5;
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_EINVAL);
	p.on_exhausted = SLUICE_EXHAUSTED_DEAD_LETTER;
	p.dead_letter_topic = "bad topic";
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_EINVAL);
	p.dead_letter_topic = "";
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	p.dead_letter_topic = "orders.dlq";
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	/* Replacing the policy frees the old copy (ASan checks). */
	p.dead_letter_topic = "orders.dlq2";
	cr_assert_eq(sluice_consumer_opts_set_failure_policy(co, &p), SLUICE_OK);
	sl_alloc_fail_after(1);
	sluice_err rv = sluice_consumer_opts_set_failure_policy(co, &p);
	sl_alloc_fail_after(0);
	cr_assert_eq(rv, SLUICE_ENOMEM, "got %s", sluice_err_name(rv));

	cr_assert_eq(sluice_consumer_opts_set_dispatch_limit(co, 0, 0), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_dispatch_limit(NULL, 1, 1), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_opts_set_breaker(co, 0, 0, 0), SLUICE_OK);
	cr_assert_eq(sluice_consumer_opts_set_breaker(co, 5, 1000, 999), SLUICE_EINVAL);
	cr_assert_eq(sluice_consumer_opts_set_breaker(co, 5, 1000, 1000), SLUICE_OK);
	sluice_consumer_opts_free(co);
}
