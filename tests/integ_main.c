/* The C integration suite: real starts of the probe, as root.  Each group
 * lives in its own file and is listed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

/* Each group file defines its tests and their count. */
#define GROUP(name)                                                                                \
	extern const struct CMUnitTest name##_tests[];                                             \
	extern const size_t name##_tests_len

GROUP(fields);
GROUP(errors);
GROUP(sync);
GROUP(harden);
GROUP(badinput);
GROUP(options);
GROUP(seccomp);

int main(void)
{
	int failed = 0;

	failed += _cmocka_run_group_tests("fields", fields_tests, fields_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("errors", errors_tests, errors_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("sync", sync_tests, sync_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("harden", harden_tests, harden_tests_len, NULL, NULL);
	failed +=
	    _cmocka_run_group_tests("badinput", badinput_tests, badinput_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("options", options_tests, options_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("seccomp", seccomp_tests, seccomp_tests_len, NULL, NULL);
	return failed != 0;
}
