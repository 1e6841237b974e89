/* Unit tests of idmap.c: the text written to uid_map and gid_map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "internal.h"

/* Formats into a buffer of exactly cap bytes; -1 when it does not fit. */
static long format_into(const struct cfe_id_map *maps, uint32_t n, uint32_t self_id, char *buf,
			size_t cap)
{
	memset(buf, 'x', cap);
	return cfe_idmap_format(maps, n, self_id, buf, cap);
}

static void assert_formats_as(const struct cfe_id_map *maps, uint32_t n, uint32_t self_id,
			      const char *want)
{
	char buf[256];
	long len = format_into(maps, n, self_id, buf, sizeof(buf));

	assert_int_equal(len, (long)strlen(want));
	assert_string_equal(buf, want);
}

static void test_null_maps_map_self(void **state)
{
	(void)state;
	assert_formats_as(NULL, 0, 1000, "0 1000 1\n");
	assert_formats_as(NULL, 0, 0, "0 0 1\n");
}

/* n is ignored without maps: the default is always one line. */
static void test_null_maps_ignore_count(void **state)
{
	(void)state;
	assert_formats_as(NULL, 5, 42, "0 42 1\n");
}

static void test_one_line(void **state)
{
	const struct cfe_id_map maps[] = {{.container_id = 0, .host_id = 100000, .size = 65536}};

	(void)state;
	assert_formats_as(maps, 1, 7, "0 100000 65536\n");
}

static void test_several_lines_in_order(void **state)
{
	const struct cfe_id_map maps[] = {
	    {.container_id = 0, .host_id = 1000, .size = 1},
	    {.container_id = 1, .host_id = 100000, .size = 999},
	    {.container_id = 65534, .host_id = 65534, .size = 1},
	};

	(void)state;
	assert_formats_as(maps, 3, 0, "0 1000 1\n1 100000 999\n65534 65534 1\n");
}

/* Only the first n entries are formatted. */
static void test_count_limits_lines(void **state)
{
	const struct cfe_id_map maps[] = {
	    {.container_id = 1, .host_id = 2, .size = 3},
	    {.container_id = 4, .host_id = 5, .size = 6},
	};

	(void)state;
	assert_formats_as(maps, 1, 0, "1 2 3\n");
}

static void test_largest_ids(void **state)
{
	const struct cfe_id_map maps[] = {
	    {.container_id = 4294967295u, .host_id = 4294967295u, .size = 4294967295u},
	};

	(void)state;
	assert_formats_as(maps, 1, 0, "4294967295 4294967295 4294967295\n");
	assert_formats_as(NULL, 0, 4294967295u, "0 4294967295 1\n");
}

/* The text needs room for its terminating NUL: cap == len is too small. */
static void test_exact_boundary(void **state)
{
	const struct cfe_id_map maps[] = {
	    {.container_id = 0, .host_id = 1000, .size = 1},
	    {.container_id = 1, .host_id = 2000, .size = 10},
	};
	const char *want = "0 1000 1\n1 2000 10\n";
	size_t len = strlen(want);
	char buf[64];

	(void)state;
	assert_int_equal(format_into(maps, 2, 0, buf, len), -1);
	assert_int_equal(format_into(maps, 2, 0, buf, len + 1), (long)len);
	assert_string_equal(buf, want);
}

/* Too small at every cap below the first line's end, and in the middle of
 * the second line: never a partial success. */
static void test_every_short_cap_fails(void **state)
{
	const struct cfe_id_map maps[] = {
	    {.container_id = 0, .host_id = 1000, .size = 1},
	    {.container_id = 1, .host_id = 2000, .size = 10},
	};
	size_t len = strlen("0 1000 1\n1 2000 10\n");
	char buf[64];

	(void)state;
	for (size_t cap = 1; cap <= len; cap++)
		assert_int_equal(format_into(maps, 2, 0, buf, cap), -1);
	assert_int_equal(cfe_idmap_format(maps, 2, 0, NULL, 0), -1);
}

static void test_default_boundary(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(format_into(NULL, 0, 1000, buf, strlen("0 1000 1\n")), -1);
	assert_int_equal(format_into(NULL, 0, 1000, buf, strlen("0 1000 1\n") + 1),
			 (long)strlen("0 1000 1\n"));
	assert_string_equal(buf, "0 1000 1\n");
}

/* cfe_idmap_write formats into one page, what the kernel reads at most:
 * 124 lines of the widest entries (33 bytes each) fit, 125 do not. */
static void test_page_sized_text(void **state)
{
	enum { LINES = 125 };
	static struct cfe_id_map maps[LINES];
	static char buf[4096];

	(void)state;
	for (size_t i = 0; i < LINES; i++)
		maps[i] = (struct cfe_id_map){4294967295u, 4294967295u, 4294967295u, 0};
	assert_int_equal(format_into(maps, LINES - 1, 0, buf, sizeof(buf)), 33 * (LINES - 1));
	assert_int_equal(format_into(maps, LINES, 0, buf, sizeof(buf)), -1);
}

const struct CMUnitTest idmap_tests[] = {
    cmocka_unit_test(test_null_maps_map_self), cmocka_unit_test(test_null_maps_ignore_count),
    cmocka_unit_test(test_one_line),	       cmocka_unit_test(test_several_lines_in_order),
    cmocka_unit_test(test_count_limits_lines), cmocka_unit_test(test_largest_ids),
    cmocka_unit_test(test_exact_boundary),     cmocka_unit_test(test_every_short_cap_fails),
    cmocka_unit_test(test_default_boundary),   cmocka_unit_test(test_page_sized_text),
};
const size_t idmap_tests_len = sizeof(idmap_tests) / sizeof(idmap_tests[0]);
