/* The C unit suite: the library's pure logic, called directly through
 * internal.h.  Each group lives in its own file and is listed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Each group file defines its tests and their count. */
#define GROUP(name)                                                                                \
	extern const struct CMUnitTest name##_tests[];                                             \
	extern const size_t name##_tests_len

GROUP(arena);
GROUP(config);
GROUP(fdplan);
GROUP(fds);
GROUP(idmap);
GROUP(info);
GROUP(options);
GROUP(seccomp);

int main(void)
{
	int failed = 0;

	failed += _cmocka_run_group_tests("arena", arena_tests, arena_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("config", config_tests, config_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("fdplan", fdplan_tests, fdplan_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("fds", fds_tests, fds_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("idmap", idmap_tests, idmap_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("info", info_tests, info_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("options", options_tests, options_tests_len, NULL, NULL);
	failed += _cmocka_run_group_tests("seccomp", seccomp_tests, seccomp_tests_len, NULL, NULL);
	return failed != 0;
}
