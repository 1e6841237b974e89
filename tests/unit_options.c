/* Unit tests of what the options appended after version 1 need outside
 * the child: the close-on-exec sweep (cloexec.c, run here on this process,
 * fallback included), the parent's pidfd for the parent-death check
 * (fds.c) and the plan's copy of both (plan.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

static int cloexec_set(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	assert_true(flags >= 0);
	return (flags & FD_CLOEXEC) != 0;
}

/* Two fds without close-on-exec, the second well above the first. */
static void open_inheritable(int fds[2])
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	fds[0] = p[0];
	fds[1] = fcntl(p[1], F_DUPFD, 200);
	assert_true(fds[1] >= 200);
	close(p[1]);
	assert_false(cloexec_set(fds[0]));
	assert_false(cloexec_set(fds[1]));
}

/* The fallback marks every open fd in its range and no other; fds that
 * are not open are skipped, not an error. */
static void test_cloexec_each_marks_the_range(void **state)
{
	int fds[2];

	(void)state;
	open_inheritable(fds);
	assert_int_equal(cfe_cloexec_each((uint32_t)fds[0] + 1, (uint64_t)fds[1]), 0);
	assert_false(cloexec_set(fds[0]));
	assert_false(cloexec_set(fds[1]));
	assert_int_equal(cfe_cloexec_each((uint32_t)fds[0], (uint64_t)fds[1] + 1), 0);
	assert_true(cloexec_set(fds[0]));
	assert_true(cloexec_set(fds[1]));
	close(fds[0]);
	close(fds[1]);
}

/* The sweep reaches an fd far above the lowest, and leaves those below
 * first alone; with the soft RLIMIT_NOFILE as the fallback's bound. */
static void test_cloexec_from(void **state)
{
	int fds[2];

	(void)state;
	open_inheritable(fds);
	assert_int_equal(cfe_cloexec_from((uint32_t)fds[0] + 1), 0);
	assert_false(cloexec_set(fds[0]));
	assert_true(cloexec_set(fds[1]));
	assert_int_equal(cfe_cloexec_from((uint32_t)fds[0]), 0);
	assert_true(cloexec_set(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

/* The listing of /proc/self/fd reaches an fd far above the lowest and
 * leaves those below first alone, and leaves no fd of its own behind. */
static void test_cloexec_listed(void **state)
{
	int fds[2];
	int probe;
	int next;

	(void)state;
	open_inheritable(fds);
	probe = dup(0);
	assert_true(probe >= 0);
	close(probe);
	assert_int_equal(cfe_cloexec_listed((uint32_t)fds[0] + 1), 0);
	assert_false(cloexec_set(fds[0]));
	assert_true(cloexec_set(fds[1]));
	assert_int_equal(cfe_cloexec_listed((uint32_t)fds[0]), 0);
	assert_true(cloexec_set(fds[0]));
	next = dup(0);
	assert_int_equal(next, probe); /* the directory's fd was closed */
	close(next);
	close(fds[0]);
	close(fds[1]);
}

static struct cfe_config death_config(int32_t sig)
{
	static const char *const args[] = {"/bin/true"};

	return (struct cfe_config){.size = sizeof(struct cfe_config),
				   .args = args,
				   .args_len = 1,
				   .parent_death_signal = sig};
}

/* With a parent-death signal, the parent opens a pidfd of itself that
 * is close-on-exec and not readable while it lives; the child side's
 * close closes it; without the signal there is none. */
static void test_parent_pidfd(void **state)
{
	struct cfe_config c = death_config(SIGTERM);
	struct cfe_fds f;
	struct pollfd p;
	int fd;
	int e;

	(void)state;
	e = cfe_fds_open(&f, &c, 0, NULL);
	if (e == ENOSYS) {
		/* valgrind, for one, does not know pidfd_open */
		fprintf(stderr, "skipped: pidfd_open: %s\n", strerror(e));
		skip();
	}
	assert_int_equal(e, 0);
	fd = f.parent_pidfd;
	assert_true(fd >= 0);
	assert_true(cloexec_set(fd));
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 0), 0);
	cfe_fds_close_child_side(&f);
	assert_int_equal(f.parent_pidfd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	cfe_fds_close(&f);

	c = death_config(0);
	assert_int_equal(cfe_fds_open(&f, &c, 1, NULL), 0);
	assert_int_equal(f.parent_pidfd, -1);
	cfe_fds_close(&f);
}

/* The plan carries the signal and the pidfd to the child. */
static void test_plan_carries_death_signal(void **state)
{
	struct cfe_config c = death_config(SIGUSR1);
	struct cfe_fds f = {
	    .child_sock = -1, .parent_sock = -1, .parent_pidfd = 42, .exec_fd_copy = -1};
	struct cfe_arena a;

	(void)state;
	assert_int_equal(cfe_arena_create(&a, &c, &f, 0), 0);
	assert_int_equal(a.plan->parent_death_signal, SIGUSR1);
	assert_int_equal(a.plan->parent_pidfd, 42);
	cfe_arena_destroy(&a);
}

const struct CMUnitTest options_tests[] = {
    cmocka_unit_test(test_cloexec_listed),
    cmocka_unit_test(test_cloexec_each_marks_the_range),
    cmocka_unit_test(test_cloexec_from),
    cmocka_unit_test(test_parent_pidfd),
    cmocka_unit_test(test_plan_carries_death_signal),
};
const size_t options_tests_len = sizeof(options_tests) / sizeof(options_tests[0]);
