/* Unit tests of the start's arena (plan.c, arena_pool.c): an arena of the
 * usual size is reused by the next start, at most CFE_ARENA_POOL_SLOTS are
 * kept, a large plan gets a mapping of its own that goes away with it, and
 * a reused arena still has its guard page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static const char *const args[] = {"/bin/true"};

static struct cfe_config small_config(void)
{
	return (struct cfe_config){.size = sizeof(struct cfe_config), .args = args, .args_len = 1};
}

static const struct cfe_fds no_fds = {
    .child_sock = -1, .parent_sock = -1, .exec_fd = 0, .exec_fd_copy = -1};

/* Whether any mapping of this process covers the address, read from
 * /proc/self/maps (a system call on the address would upset valgrind). */
static int mapped(const void *addr)
{
	uintptr_t at = (uintptr_t)addr;
	char line[512];
	int found = 0;
	FILE *maps = fopen("/proc/self/maps", "r");

	assert_non_null(maps);
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= at && at < hi)
			found = 1;
	}
	fclose(maps);
	return found;
}

/* Empty the pool, unmapping what it held, so each test starts clean. */
static void drain_pool(void)
{
	void *base;
	struct cfe_arena a;
	struct cfe_config c = small_config();

	/* The size of a pooled arena is whatever a small plan gets. */
	assert_int_equal(cfe_arena_create(&a, &c, &no_fds, 0), 0);
	while ((base = cfe_arena_pool_take()) != NULL)
		munmap(base, a.size);
	munmap(a.base, a.size);
}

static void test_arena_reused(void **state)
{
	struct cfe_config c = small_config();
	struct cfe_arena a, b;

	(void)state;
	drain_pool();
	assert_int_equal(cfe_arena_create(&a, &c, &no_fds, 0), 0);
	void *first = a.base;
	cfe_arena_destroy(&a);
	assert_null(a.base);
	assert_true(mapped(first)); /* kept, not unmapped */
	assert_int_equal(cfe_arena_create(&b, &c, &no_fds, 0), 0);
	assert_ptr_equal(b.base, first);
	assert_string_equal(b.plan->argv[0], "/bin/true");
	cfe_arena_destroy(&b);
	drain_pool();
	assert_false(mapped(first));
}

static void test_pool_bounded(void **state)
{
	struct cfe_config c = small_config();
	struct cfe_arena a[CFE_ARENA_POOL_SLOTS + 2];
	size_t n = sizeof(a) / sizeof(a[0]);

	(void)state;
	drain_pool();
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cfe_arena_create(&a[i], &c, &no_fds, 0), 0);
	for (size_t i = 0; i < n; i++) {
		void *base = a[i].base;

		cfe_arena_destroy(&a[i]);
		/* The first ones fill the pool; the rest are unmapped. */
		assert_int_equal(mapped(base), i < CFE_ARENA_POOL_SLOTS);
	}
	drain_pool();
}

static void test_large_plan_not_pooled(void **state)
{
	struct cfe_config c = small_config();
	size_t big = 256 * 1024;
	char *value = malloc(big);
	const char *env[1];
	struct cfe_arena a;

	(void)state;
	assert_non_null(value);
	memset(value, 'x', big - 1);
	value[big - 1] = '\0';
	env[0] = value;
	c.env = env;
	c.env_len = 1;
	drain_pool();
	assert_int_equal(cfe_arena_create(&a, &c, &no_fds, 0), 0);
	assert_true(a.size > big);
	assert_string_equal(a.plan->envp[0], value);
	void *base = a.base;
	cfe_arena_destroy(&a);
	assert_false(mapped(base));
	assert_null(cfe_arena_pool_take());
	free(value);
}

/* The guard page below the stack of a reused arena is still PROT_NONE. */
static void test_reused_arena_keeps_guard(void **state)
{
	struct cfe_config c = small_config();
	struct cfe_arena a;
	char line[512];
	int found = 0;
	FILE *maps;

	(void)state;
	drain_pool();
	assert_int_equal(cfe_arena_create(&a, &c, &no_fds, 0), 0);
	cfe_arena_destroy(&a);
	assert_int_equal(cfe_arena_create(&a, &c, &no_fds, 0), 0);
	maps = fopen("/proc/self/maps", "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo == (uintptr_t)a.base) {
			found = 1;
			assert_string_equal(perms, "---p");
			assert_int_equal(hi - lo, (unsigned long)sysconf(_SC_PAGESIZE));
		}
	}
	fclose(maps);
	assert_true(found);
	cfe_arena_destroy(&a);
	drain_pool();
}

const struct CMUnitTest arena_tests[] = {
    cmocka_unit_test(test_arena_reused),
    cmocka_unit_test(test_pool_bounded),
    cmocka_unit_test(test_large_plan_not_pooled),
    cmocka_unit_test(test_reused_arena_keeps_guard),
};
const size_t arena_tests_len = sizeof(arena_tests) / sizeof(arena_tests[0]);
