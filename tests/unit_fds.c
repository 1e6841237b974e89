/* Unit tests of fds.c against the test process's real fd table: what
 * cfe_fds_open opens (the sync socket, the copy of exec_fd, the parked
 * copies of the files below their place) is close-on-exec, numbered at or
 * above files_len, refers to the right file, and nothing else is left open,
 * neither after a failure nor after cfe_fds_close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define FILES_MAX 128

/* ---- the process's fd table ---- */

struct fd_table {
	int fds[4096];
	size_t len;
};

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The open fds, sorted, read from /proc/self/fd (less the directory's). */
static void fd_table_read(struct fd_table *t)
{
	DIR *d = opendir("/proc/self/fd");
	const struct dirent *e;

	assert_non_null(d);
	t->len = 0;
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		assert_true(t->len < sizeof(t->fds) / sizeof(t->fds[0]));
		t->fds[t->len++] = fd;
	}
	closedir(d);
	qsort(t->fds, t->len, sizeof(t->fds[0]), compare_ints);
}

static int fd_table_has(const struct fd_table *t, int fd)
{
	for (size_t i = 0; i < t->len; i++)
		if (t->fds[i] == fd)
			return 1;
	return 0;
}

/* Now exactly the fds of before plus the added ones are open. */
static void assert_open_fds(const struct fd_table *before, const int *added, size_t added_len)
{
	static struct fd_table now;

	fd_table_read(&now);
	for (size_t i = 0; i < added_len; i++)
		if (fd_table_has(before, added[i]) || !fd_table_has(&now, added[i]))
			fail_msg("fd %d is not a new open fd", added[i]);
	for (size_t i = 0; i < now.len; i++) {
		int known = fd_table_has(before, now.fds[i]);

		for (size_t j = 0; j < added_len; j++)
			known |= now.fds[i] == added[j];
		if (!known)
			fail_msg("fd %d left open", now.fds[i]);
	}
	if (now.len != before->len + added_len)
		fail_msg("%zu fds open, want %zu", now.len, before->len + added_len);
}

static void assert_nothing_left_open(const struct fd_table *before)
{
	assert_open_fds(before, NULL, 0);
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void assert_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || !(flags & FD_CLOEXEC))
		fail_msg("fd %d is not open close-on-exec (flags %d)", fd, flags);
}

static void assert_same_file(int a, int b)
{
	struct stat sa, sb;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
		fail_msg("fds %d and %d are different files", a, b);
}

static int sock_option(int fd, int option)
{
	int value = -1;
	socklen_t len = sizeof(value);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, option, &value, &len), 0);
	return value;
}

/* Two ends of one AF_UNIX stream socket, both close-on-exec. */
static void assert_socket_pair(const struct cfe_fds *f)
{
	char c = 0;

	assert_true(f->child_sock >= 0);
	assert_true(f->parent_sock >= 0);
	assert_int_not_equal(f->child_sock, f->parent_sock);
	assert_cloexec(f->child_sock);
	assert_cloexec(f->parent_sock);
	assert_int_equal(sock_option(f->child_sock, SO_DOMAIN), AF_UNIX);
	assert_int_equal(sock_option(f->parent_sock, SO_DOMAIN), AF_UNIX);
	assert_int_equal(sock_option(f->child_sock, SO_TYPE), SOCK_STREAM);
	assert_int_equal(sock_option(f->parent_sock, SO_TYPE), SOCK_STREAM);
	assert_int_equal(write(f->parent_sock, "p", 1), 1);
	assert_int_equal(read(f->child_sock, &c, 1), 1);
	assert_int_equal(c, 'p');
	assert_int_equal(write(f->child_sock, "c", 1), 1);
	assert_int_equal(read(f->parent_sock, &c, 1), 1);
	assert_int_equal(c, 'c');
}

static void assert_fds_closed_state(const struct cfe_fds *f)
{
	assert_int_equal(f->child_sock, -1);
	assert_int_equal(f->parent_sock, -1);
	assert_int_equal(f->exec_fd_copy, -1);
	assert_null(f->parked);
	assert_int_equal(f->parked_len, 0);
}

/* The n lowest fds that are not open. */
static void lowest_free_fds(int *out, size_t n)
{
	int fd = 0;

	for (size_t i = 0; i < n; i++) {
		while (is_open(fd))
			fd++;
		out[i] = fd++;
	}
}

static int open_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static struct cfe_config files_config(const int32_t *files, uint32_t files_len, int32_t exec_fd)
{
	static const char *const args[] = {"/bin/true"};

	return (struct cfe_config){.size = sizeof(struct cfe_config),
				   .args = args,
				   .args_len = 1,
				   .exec_fd = exec_fd,
				   .files = files,
				   .files_len = files_len};
}

/* files_len entries of -1: nothing to park. */
static const int32_t *closed_files(uint32_t files_len)
{
	static int32_t files[FILES_MAX];

	assert_true(files_len <= FILES_MAX);
	for (uint32_t i = 0; i < files_len; i++)
		files[i] = -1;
	return files;
}

/* ---- the cases ---- */

static void test_socket_pair(void **state)
{
	static struct fd_table before;
	struct cfe_config c = files_config(NULL, 0, 0);
	struct cfe_fds f;
	int child_sock;

	(void)state;
	fd_table_read(&before);
	assert_int_equal(cfe_fds_open(&f, &c, 1, NULL), 0);
	assert_socket_pair(&f);
	assert_int_equal(f.exec_fd, 0);
	assert_int_equal(f.exec_fd_copy, -1);
	assert_null(f.parked);
	assert_int_equal(f.parked_len, 0);
	assert_open_fds(&before, (const int[]){f.parent_sock, f.child_sock}, 2);

	child_sock = f.child_sock;
	cfe_fds_close_child_side(&f);
	assert_int_equal(f.child_sock, -1);
	assert_false(is_open(child_sock));
	assert_open_fds(&before, (const int[]){f.parent_sock}, 1);
	cfe_fds_close_child_side(&f);
	assert_open_fds(&before, (const int[]){f.parent_sock}, 1);

	cfe_fds_close(&f);
	assert_fds_closed_state(&f);
	assert_nothing_left_open(&before);
}

/* Without a handshake (CLONE_VFORK) there is no socket. */
static void test_no_socket(void **state)
{
	static struct fd_table before;
	struct cfe_config c = files_config(closed_files(8), 8, 0);
	struct cfe_fds f;

	(void)state;
	fd_table_read(&before);
	assert_int_equal(cfe_fds_open(&f, &c, 0, NULL), 0);
	assert_int_equal(f.child_sock, -1);
	assert_int_equal(f.parent_sock, -1);
	assert_int_equal(f.exec_fd, 0);
	assert_int_equal(f.exec_fd_copy, -1);
	assert_int_equal(f.parked_len, 0);
	assert_nothing_left_open(&before);
	cfe_fds_close_child_side(&f);
	cfe_fds_close(&f);
	assert_nothing_left_open(&before);
}

/* The child's end is at or above files_len, whatever number socketpair
 * gave it; the number it had first is closed again. */
static void test_child_sock_above_files_len(void **state)
{
	static struct fd_table before;
	uint32_t lens[] = {0, 1, 2, 3, 64, FILES_MAX, 0, 0, 0};
	int low[2];

	(void)state;
	/* also right at the number socketpair gives each end, and above */
	lowest_free_fds(low, 2);
	assert_true(low[1] < 60);
	lens[6] = (uint32_t)low[0];
	lens[7] = (uint32_t)low[1];
	lens[8] = (uint32_t)low[1] + 1;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct cfe_config c = files_config(closed_files(lens[i]), lens[i], 0);
		struct cfe_fds f;

		fd_table_read(&before);
		assert_int_equal(cfe_fds_open(&f, &c, 1, NULL), 0);
		assert_socket_pair(&f);
		if (f.child_sock < (int32_t)lens[i])
			fail_msg("files_len %u: child_sock %d", lens[i], f.child_sock);
		assert_open_fds(&before, (const int[]){f.parent_sock, f.child_sock}, 2);
		cfe_fds_close(&f);
		assert_nothing_left_open(&before);
	}
}

/* An exec_fd the shuffle would overwrite is copied above files_len. */
static void test_exec_fd_below_files_len(void **state)
{
	static struct fd_table before;
	int exec_fd = open_file("/proc/self/exe");
	uint32_t files_len = (uint32_t)exec_fd + 8;
	struct cfe_config c = files_config(closed_files(files_len), files_len, exec_fd);

	(void)state;
	fd_table_read(&before);
	for (int with_socket = 0; with_socket <= 1; with_socket++) {
		struct cfe_fds f;

		assert_int_equal(cfe_fds_open(&f, &c, with_socket, NULL), 0);
		assert_true(f.exec_fd_copy >= (int32_t)files_len);
		assert_int_equal(f.exec_fd, f.exec_fd_copy);
		assert_cloexec(f.exec_fd_copy);
		assert_same_file(f.exec_fd_copy, exec_fd);
		if (with_socket) {
			assert_socket_pair(&f);
			assert_open_fds(
			    &before, (const int[]){f.parent_sock, f.child_sock, f.exec_fd_copy}, 3);
		} else {
			assert_open_fds(&before, (const int[]){f.exec_fd_copy}, 1);
		}
		/* After the clone only our end of the socket stays. */
		cfe_fds_close_child_side(&f);
		assert_int_equal(f.exec_fd_copy, -1);
		if (with_socket)
			assert_open_fds(&before, (const int[]){f.parent_sock}, 1);
		else
			assert_nothing_left_open(&before);
		cfe_fds_close(&f);
		assert_fds_closed_state(&f);
		assert_nothing_left_open(&before);
		/* the caller's exec_fd stays the caller's */
		assert_true(is_open(exec_fd));
	}
	close(exec_fd);
}

/* At or above files_len, exec_fd is out of the shuffle's way: used as is. */
static void test_exec_fd_not_copied(void **state)
{
	static struct fd_table before;
	int exec_fd = open_file("/proc/self/exe");
	const uint32_t lens[] = {0, 1, (uint32_t)exec_fd};

	(void)state;
	fd_table_read(&before);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct cfe_config c = files_config(closed_files(lens[i]), lens[i], exec_fd);
		struct cfe_fds f;

		assert_int_equal(cfe_fds_open(&f, &c, 1, NULL), 0);
		assert_int_equal(f.exec_fd, exec_fd);
		assert_int_equal(f.exec_fd_copy, -1);
		assert_open_fds(&before, (const int[]){f.parent_sock, f.child_sock}, 2);
		cfe_fds_close(&f);
		assert_nothing_left_open(&before);
	}
	assert_true(is_open(exec_fd));
	close(exec_fd);
}

/* exec_fd 0 means args[0]: stdin is not copied, even below files_len. */
static void test_exec_fd_zero_not_copied(void **state)
{
	static struct fd_table before;
	struct cfe_config c = files_config(closed_files(8), 8, 0);
	struct cfe_fds f;

	(void)state;
	fd_table_read(&before);
	assert_int_equal(cfe_fds_open(&f, &c, 0, NULL), 0);
	assert_int_equal(f.exec_fd, 0);
	assert_int_equal(f.exec_fd_copy, -1);
	assert_nothing_left_open(&before);
	cfe_fds_close(&f);
}

/* Each entry below its place gets a copy above files_len, in the order of
 * the entries; entries at or above their place get none.  An fd the caller
 * has open right at files_len, which the child inherits, is not taken. */
static void test_parked_copies(void **state)
{
	static struct fd_table before;
	int a = open_file("/proc/self/exe");
	int b = open_file("/dev/null");
	uint32_t n = (uint32_t)(a > b ? a : b) + 4;
	int32_t files[FILES_MAX];
	int inherited;
	struct cfe_config c;
	struct cfe_fds f;

	(void)state;
	assert_true(n + 1 < FILES_MAX);
	for (uint32_t i = 0; i < n; i++)
		files[i] = -1;
	files[0] = 0; /* at its place */
	files[1] = b; /* above its place: not parked */
	files[a] = a; /* at its place */
	files[n - 3] = a;
	files[n - 2] = b;
	files[n - 1] = a;
	assert_false(is_open((int)n));
	inherited = fcntl(b, F_DUPFD, (int)n);
	assert_int_equal(inherited, (int)n);
	c = files_config(files, n, 0);

	fd_table_read(&before);
	assert_int_equal(cfe_fds_open(&f, &c, 1, NULL), 0);
	assert_int_equal(f.parked_len, 3);
	assert_non_null(f.parked);
	for (uint32_t k = 0; k < 3; k++) {
		assert_true(f.parked[k] >= (int32_t)n);
		assert_int_not_equal(f.parked[k], inherited);
		assert_cloexec(f.parked[k]);
	}
	assert_same_file(f.parked[0], a);
	assert_same_file(f.parked[1], b);
	assert_same_file(f.parked[2], a);
	assert_true(f.child_sock >= (int32_t)n);
	assert_open_fds(
	    &before,
	    (const int[]){f.parent_sock, f.child_sock, f.parked[0], f.parked[1], f.parked[2]}, 5);
	/* the inherited fd is untouched */
	assert_same_file(inherited, b);
	assert_int_equal(fcntl(inherited, F_GETFD), 0);

	cfe_fds_close(&f);
	assert_fds_closed_state(&f);
	assert_nothing_left_open(&before);
	close(inherited);
	close(a);
	close(b);
}

/* A park that fails (the entry names a closed fd) undoes everything made
 * before it: the socket, the exec_fd copy and the earlier parked copies. */
static void test_entry_not_open_fails_cleanly(void **state)
{
	static struct fd_table before;
	int a = open_file("/proc/self/exe");
	int free_fds[4];
	int closed;
	uint32_t n;
	int32_t files[FILES_MAX];

	(void)state;
	/* not one of the two numbers the socket will take */
	lowest_free_fds(free_fds, 4);
	closed = free_fds[3];
	n = (uint32_t)(a > closed ? a : closed) + 5;
	assert_true(n < FILES_MAX);
	for (uint32_t i = 0; i < n; i++)
		files[i] = -1;
	files[n - 2] = a;
	files[n - 1] = closed;

	fd_table_read(&before);
	for (int with_socket = 0; with_socket <= 1; with_socket++) {
		struct cfe_config c = files_config(files, n, a);
		struct cfe_fds f;
		uint32_t location = 0;

		assert_false(is_open(closed));
		assert_int_equal(cfe_fds_open(&f, &c, with_socket, &location), EBADF);
		/* As the child's dup3 of that fd would have failed. */
		assert_int_equal(location, CFE_LOC_DUP3);
		assert_nothing_left_open(&before);
	}
	close(a);
}

/* So does an exec_fd below files_len that is not open. */
static void test_exec_fd_not_open_fails_cleanly(void **state)
{
	static struct fd_table before;
	int free_fds[4];
	int closed;
	struct cfe_config c;

	(void)state;
	lowest_free_fds(free_fds, 4);
	closed = free_fds[3];
	c = files_config(closed_files((uint32_t)closed + 4), (uint32_t)closed + 4, closed);
	fd_table_read(&before);
	for (int with_socket = 0; with_socket <= 1; with_socket++) {
		struct cfe_fds f;
		uint32_t location = 0;

		assert_int_equal(cfe_fds_open(&f, &c, with_socket, &location), EBADF);
		/* As the child's dup3 of that fd would have failed. */
		assert_int_equal(location, CFE_LOC_DUP3);
		assert_nothing_left_open(&before);
	}
}

/* A closed fd whose number one of ours would take (the socket's ends, the
 * parked copy of files[2]) is refused before anything is opened; the child
 * would have duplicated ours in its place.  Found by the fuzzer. */
static void test_closed_fd_that_ours_would_take(void **state)
{
	static struct fd_table before;
	int free_fds[2];
	int a = open_file("/proc/self/exe");

	(void)state;
	lowest_free_fds(free_fds, 2);
	assert_true(free_fds[0] >= 3);
	fd_table_read(&before);
	for (int k = 0; k < 2; k++) {
		int32_t files[3] = {free_fds[k], a, 0};

		for (int with_socket = 0; with_socket <= 1; with_socket++) {
			struct cfe_config c = files_config(files, 3, 0);
			struct cfe_fds f;
			uint32_t location = 0;

			assert_int_equal(cfe_fds_open(&f, &c, with_socket, &location), EBADF);
			assert_int_equal(location, CFE_LOC_DUP3);
			assert_fds_closed_state(&f);
			assert_nothing_left_open(&before);
		}
	}
	close(a);
}

/* The same, where the child would have failed elsewhere: an fd at its own
 * place (fcntl), an exec_fd it does not move (execve). */
static void test_closed_fd_fails_where_the_child_would(void **state)
{
	static struct fd_table before;
	int free_fds[1];
	int32_t files[FILES_MAX];
	uint32_t n;

	(void)state;
	lowest_free_fds(free_fds, 1);
	n = (uint32_t)free_fds[0] + 1;
	assert_true(n < FILES_MAX);
	memcpy(files, closed_files(n), n * sizeof(files[0]));
	files[n - 1] = free_fds[0];
	fd_table_read(&before);
	for (int with_socket = 0; with_socket <= 1; with_socket++) {
		struct cfe_config in_place = files_config(files, n, 0);
		struct cfe_config exec = files_config(NULL, 0, free_fds[0]);
		struct cfe_fds f;
		uint32_t location = 0;

		assert_int_equal(cfe_fds_open(&f, &in_place, with_socket, &location), EBADF);
		assert_int_equal(location, CFE_LOC_FCNTL);
		assert_int_equal(cfe_fds_open(&f, &exec, with_socket, &location), EBADF);
		assert_int_equal(location, CFE_LOC_EXECVE);
		assert_nothing_left_open(&before);
	}
}

/* cfe_fds_close closes everything; a second call closes nothing, not even
 * an fd opened since on a number the first call freed. */
static void test_close_twice(void **state)
{
	static struct fd_table before;
	int a = open_file("/proc/self/exe");
	uint32_t n = (uint32_t)a + 3;
	int32_t files[FILES_MAX];
	struct cfe_config c;
	struct cfe_fds f;
	int reused;

	(void)state;
	assert_true(n < FILES_MAX);
	for (uint32_t i = 0; i < n; i++)
		files[i] = -1;
	files[n - 1] = a;
	c = files_config(files, n, a);
	fd_table_read(&before);
	assert_int_equal(cfe_fds_open(&f, &c, 1, NULL), 0);
	assert_int_equal(f.parked_len, 1);
	assert_true(f.exec_fd_copy >= 0);
	assert_open_fds(&before,
			(const int[]){f.parent_sock, f.child_sock, f.exec_fd_copy, f.parked[0]}, 4);
	cfe_fds_close(&f);
	assert_fds_closed_state(&f);
	assert_nothing_left_open(&before);

	reused = open_file("/dev/null");
	cfe_fds_close(&f);
	cfe_fds_close_child_side(&f);
	assert_true(is_open(reused));
	assert_open_fds(&before, (const int[]){reused}, 1);
	close(reused);
	close(a);
}

const struct CMUnitTest fds_tests[] = {
    cmocka_unit_test(test_socket_pair),
    cmocka_unit_test(test_no_socket),
    cmocka_unit_test(test_child_sock_above_files_len),
    cmocka_unit_test(test_exec_fd_below_files_len),
    cmocka_unit_test(test_exec_fd_not_copied),
    cmocka_unit_test(test_exec_fd_zero_not_copied),
    cmocka_unit_test(test_parked_copies),
    cmocka_unit_test(test_entry_not_open_fails_cleanly),
    cmocka_unit_test(test_exec_fd_not_open_fails_cleanly),
    cmocka_unit_test(test_closed_fd_that_ours_would_take),
    cmocka_unit_test(test_closed_fd_fails_where_the_child_would),
    cmocka_unit_test(test_close_twice),
};
const size_t fds_tests_len = sizeof(fds_tests) / sizeof(fds_tests[0]);
