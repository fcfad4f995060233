/* test_strmap.c - the string-keyed hash map. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "strmap.h"

Test(strmap, put_get_delete_many_keys_survive_growth_and_removal)
{
	strmap *m;
	static char keys[5000][16];
	cr_assert_eq(strmap_alloc(&m), SLUICE_OK);
	for (int i = 0; i < 5000; i++) {
		snprintf(keys[i], 16, "key-%d", i);
		cr_assert_eq(strmap_put(m, keys[i], keys[i]), SLUICE_OK);
	}
	cr_assert_eq(strmap_count(m), 5000);
	for (int i = 0; i < 5000; i += 2)
		strmap_del(m, keys[i]);
	cr_assert_eq(strmap_count(m), 2500);
	for (int i = 0; i < 5000; i++) {
		void *v = strmap_get(m, keys[i]);
		if (i % 2 == 0)
			cr_assert_null(v, "%s still present", keys[i]);
		else
			cr_assert_eq(v, keys[i], "%s lost", keys[i]);
	}
	strmap_free(m);
}
