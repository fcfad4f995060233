/*
 * test_opts.c - opts.c: connection and producer option setters validate
 * their arguments and keep the old value on error.
 */
#include <criterion/criterion.h>

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
