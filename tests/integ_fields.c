/* Every configuration field, observed through the probe's report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

static void test_plain_start(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	probe_run(&c, NULL, &r);
	assert_true(r.pid > 0);
	assert_true(json_has(r.json, "\"pid\":"));
	probe_result_free(&r);
}

const struct CMUnitTest fields_tests[] = {
    cmocka_unit_test(test_plain_start),
};
const size_t fields_tests_len = sizeof(fields_tests) / sizeof(fields_tests[0]);
