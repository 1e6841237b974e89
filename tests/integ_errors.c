/*
 * Failed starts: every error location a configuration can provoke, each
 * asserted as the exact {err_no, location, index} record, and after each
 * failure proof that no child of ours is left (neither running nor a
 * zombie).
 *
 * The steps no configuration can make fail (close_write, getpid,
 * keep_capability, setsid, umount, unlink, mount(readonly),
 * set_no_new_privs, drop_capability, set_cap, ptrace_me, stop, sync_write,
 * sync_read) are provoked with a seccomp filter that a forked subprocess
 * installs on itself before its start: the child inherits it and the one
 * system call the filter refuses fails with INJECTED_ERRNO.  That checks
 * that each step reports its own location.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "children.h"
#include "support.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define NO_SUCH_PATH	"/nonexistent-cforkexec-errors"
#define TMPDIR_TEMPLATE "/tmp/cfe-errors-XXXXXX"
#define UNUSED_FD	900
#define PATH_BUF	256
/* Rare enough that no step fails with it by accident. */
#define INJECTED_ERRNO EDOM
/* Bounds every wait on a subprocess. */
#define SUBPROCESS_TIMEOUT_S 20
#define RETRY_POLL_US	     100

/* ---- proof that no child is left ---- */

/* Every test reaps what it starts, so after a failed start this process
 * must have no child at all. */
static void assert_no_child_left(void)
{
	pid_t w = waitpid(-1, NULL, WNOHANG | __WALL);
	int e = errno;

	assert_int_equal(w, -1);
	assert_int_equal(e, ECHILD);
	assert_int_equal(count_own_children(), 0);
}

/* ---- starting and checking the record ---- */

static void show_mismatch(int32_t pid, const struct cfe_error *got, int err_no, uint32_t location,
			  int32_t index)
{
	if (pid == -1 && got->err_no == err_no && got->location == location && got->index == index)
		return;
	print_error("start returned %d with {%s, %s, %d}; want -1 with {%s, %s, %d}\n", pid,
		    strerror(got->err_no), cfe_location_name(got->location), got->index,
		    strerror(err_no), cfe_location_name(location), index);
}

/* Start the probe through probe_run, which must fail with exactly this
 * record before the probe ran; then no child may be left. */
static void expect_probe_error(struct cfe_config *c, int err_no, uint32_t location, int32_t index)
{
	struct probe_result r;
	int probe_silent;

	probe_run(c, NULL, &r);
	show_mismatch(r.pid, &r.err, err_no, location, index);
	probe_silent = r.json[0] == '\0';
	probe_result_free(&r);
	assert_child_error(&r, err_no, location, index);
	assert_true(probe_silent);
	assert_no_child_left();
}

/* cfe_start on c as it is (its own args and files), which must fail with
 * exactly this record; then no child may be left. */
static void expect_start_error(const struct cfe_config *c, int err_no, uint32_t location,
			       int32_t index)
{
	struct probe_result r = {0};

	r.pid = cfe_start(c, &r.err, NULL);
	if (r.pid > 0)
		waitpid(r.pid, NULL, __WALL);
	show_mismatch(r.pid, &r.err, err_no, location, index);
	assert_child_error(&r, err_no, location, index);
	assert_no_child_left();
}

/* argv {probe}: for starts that fail before the probe could report. */
static const char *const *probe_argv(void)
{
	static const char *args[1];

	args[0] = probe_path();
	return args;
}

static struct cfe_config plain_config(void)
{
	struct cfe_config c = probe_config();

	c.args = probe_argv();
	c.args_len = 1;
	return c;
}

/* ---- scratch directories and files ---- */

static void make_tmpdir(char dir[sizeof(TMPDIR_TEMPLATE)])
{
	strcpy(dir, TMPDIR_TEMPLATE);
	assert_non_null(mkdtemp(dir));
}

/* rmdir also proves that nothing the child mounted or created reached the
 * directory in our mount namespace. */
static void remove_tmpdir(const char *dir)
{
	assert_int_equal(rmdir(dir), 0);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	ssize_t n;

	assert_true(in >= 0);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	assert_int_equal(fchmod(out, mode), 0);
	close(in);
	assert_int_equal(close(out), 0);
}

/* ---- location names ---- */

/* Go's ErrorLocation.String() for 0..32, then this library's own. */
static const struct {
	uint32_t location;
	const char *name;
} location_names[] = {
    {CFE_LOC_NONE, "unknown"},
    {CFE_LOC_CLONE, "clone"},
    {CFE_LOC_CLOSE_WRITE, "close_write"},
    {CFE_LOC_UNSHARE_USER_READ, "unshare_user_read"},
    {CFE_LOC_GETPID, "getpid"},
    {CFE_LOC_KEEP_CAPABILITY, "keep_capability"},
    {CFE_LOC_SETGROUPS, "setgroups"},
    {CFE_LOC_SETGID, "setgid"},
    {CFE_LOC_SETUID, "setuid"},
    {CFE_LOC_DUP3, "dup3"},
    {CFE_LOC_FCNTL, "fcntl"},
    {CFE_LOC_SETSID, "setsid"},
    {CFE_LOC_IOCTL, "ioctl"},
    {CFE_LOC_MOUNT_ROOT, "mount(root)"},
    {CFE_LOC_MOUNT_TMPFS, "mount(tmpfs)"},
    {CFE_LOC_MOUNT_CHDIR, "mount(chdir)"},
    {CFE_LOC_MOUNT, "mount"},
    {CFE_LOC_MOUNT_MKDIR, "mount(mkdir)"},
    {CFE_LOC_PIVOT_ROOT, "pivot_root"},
    {CFE_LOC_UMOUNT, "umount"},
    {CFE_LOC_UNLINK, "unlink"},
    {CFE_LOC_MOUNT_ROOT_READONLY, "mount(readonly)"},
    {CFE_LOC_CHDIR, "chdir"},
    {CFE_LOC_SETRLIMIT, "setrlimt"},
    {CFE_LOC_SET_NO_NEW_PRIVS, "set_no_new_privs"},
    {CFE_LOC_DROP_CAPABILITY, "drop_capability"},
    {CFE_LOC_SET_CAP, "set_cap"},
    {CFE_LOC_PTRACE_ME, "ptrace_me"},
    {CFE_LOC_STOP, "stop"},
    {CFE_LOC_SECCOMP, "seccomp"},
    {CFE_LOC_SYNC_WRITE, "sync_write"},
    {CFE_LOC_SYNC_READ, "sync_read"},
    {CFE_LOC_EXECVE, "execve"},
    {CFE_LOC_SYNC_CALLBACK, "sync_callback"},
    {CFE_LOC_CHILD_DIED, "child_died"},
    {CFE_LOC_UNSHARE_CGROUP, "unshare_cgroup"},
    {CFE_LOC_PARENT_DEATH_SIGNAL, "parent_death_signal"},
};

/* The numbers are Go's (the table is in Go's order from 0) and so are the
 * texts, "setrlimt" included. */
static void test_location_names(void **state)
{
	const size_t n = sizeof(location_names) / sizeof(location_names[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(location_names[i].location, i);
		assert_string_equal(cfe_location_name(location_names[i].location),
				    location_names[i].name);
	}
	assert_string_equal(cfe_location_name((uint32_t)n), "unknown");
	assert_string_equal(cfe_location_name(99), "unknown");
	assert_string_equal(cfe_location_name(UINT32_MAX), "unknown");
}

/* ---- configurations refused before any child exists ---- */

static const struct cfe_bpf_insn allow_all[] = {{.code = BPF_RET | BPF_K, .k = 0x7fff0000u}};
static const char *const args_with_null[] = {"probe", NULL};
static const int32_t files_below_minus_one[] = {0, -2};
static const struct cfe_rlimit padded_rlimit[] = {{.resource = RLIMIT_CPU, .pad = 1}};
static const struct cfe_id_map padded_id_map[] = {{.container_id = 0, .size = 1, .pad = 1}};
static const struct cfe_mount tmpfs_mount[] = {
    {.source = "tmpfs", .target = "/tmp", .fstype = "tmpfs"}};
static const struct cfe_mount padded_mount[] = {{.target = "/tmp", .pad = 1}};
static const struct cfe_mount untargeted_mount[] = {{.source = "tmpfs", .fstype = "tmpfs"}};
static const struct cfe_mount two_valued_make_nod[] = {{.target = "/tmp/f", .make_nod = 2}};

static void spoil_size_small(struct cfe_config *c)
{
	c->size = CFE_CONFIG_SIZE_VER1 - 8;
}

static void spoil_no_args(struct cfe_config *c)
{
	c->args_len = 0;
}

static void spoil_args_null_entry(struct cfe_config *c)
{
	c->args = args_with_null;
	c->args_len = 2;
}

static void spoil_env_null_entry(struct cfe_config *c)
{
	c->env = args_with_null + 1;
	c->env_len = 1;
}

static void spoil_unknown_flag(struct cfe_config *c)
{
	c->flags = CFE_FLAGS_KNOWN + 1;
}

static void spoil_pad0(struct cfe_config *c)
{
	c->pad0 = 1;
}

static void spoil_pad1(struct cfe_config *c)
{
	c->pad1 = 1;
}

static void spoil_rlimit_pad(struct cfe_config *c)
{
	c->rlimits = padded_rlimit;
	c->rlimits_len = 1;
}

static void spoil_rlimits_without_pointer(struct cfe_config *c)
{
	c->rlimits_len = 1;
}

static void spoil_uid_map_pad(struct cfe_config *c)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = padded_id_map;
	c->uid_maps_len = 1;
}

static void spoil_gid_map_pad(struct cfe_config *c)
{
	c->clone_flags = CLONE_NEWUSER;
	c->gid_maps = padded_id_map;
	c->gid_maps_len = 1;
}

static void spoil_seccomp_without_len(struct cfe_config *c)
{
	c->seccomp = allow_all;
}

static void spoil_seccomp_len_without_pointer(struct cfe_config *c)
{
	c->seccomp_len = 1;
}

static void spoil_seccomp_too_long(struct cfe_config *c)
{
	c->seccomp = allow_all;
	c->seccomp_len = 4097;
}

static void spoil_mounts_without_newns(struct cfe_config *c)
{
	c->mounts = tmpfs_mount;
	c->mounts_len = 1;
}

static void spoil_pivot_root_without_newns(struct cfe_config *c)
{
	c->pivot_root = "/tmp";
}

static void spoil_mount_pad(struct cfe_config *c)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = padded_mount;
	c->mounts_len = 1;
}

static void spoil_mount_without_target(struct cfe_config *c)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = untargeted_mount;
	c->mounts_len = 1;
}

static void spoil_make_nod_two(struct cfe_config *c)
{
	c->clone_flags = CLONE_NEWNS;
	c->mounts = two_valued_make_nod;
	c->mounts_len = 1;
}

static void spoil_mount_target_too_long(struct cfe_config *c)
{
	static char target[4097];
	static struct cfe_mount m;

	memset(target, 'a', sizeof(target) - 1);
	target[0] = '/';
	target[sizeof(target) - 1] = '\0';
	m = (struct cfe_mount){.source = "tmpfs", .target = target, .fstype = "tmpfs"};
	c->clone_flags = CLONE_NEWNS;
	c->mounts = &m;
	c->mounts_len = 1;
}

static void spoil_negative_exec_fd(struct cfe_config *c)
{
	c->exec_fd = -1;
}

static void spoil_negative_cgroup_fd(struct cfe_config *c)
{
	c->cgroup_fd = -1;
}

static void spoil_file_below_minus_one(struct cfe_config *c)
{
	c->files = files_below_minus_one;
	c->files_len = 2;
}

static void spoil_groups_without_pointer(struct cfe_config *c)
{
	c->flags = CFE_FLAG_CREDENTIAL;
	c->groups_len = 1;
}

/* A child that stops itself outlives cfe_start: only a caller that takes
 * the pending handle may ask for one. */
static void spoil_stop_without_pending(struct cfe_config *c)
{
	c->flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
}

static void spoil_ptrace_seccomp_without_pending(struct cfe_config *c)
{
	c->flags = CFE_FLAG_PTRACE;
	c->seccomp = allow_all;
	c->seccomp_len = 1;
}

static const struct {
	const char *what;
	void (*spoil)(struct cfe_config *c);
	int err_no;
} invalid_configs[] = {
    {"size below version 1", spoil_size_small, EINVAL},
    {"args_len 0", spoil_no_args, EINVAL},
    {"NULL in args", spoil_args_null_entry, EINVAL},
    {"NULL in env", spoil_env_null_entry, EINVAL},
    {"unknown flag bit", spoil_unknown_flag, EINVAL},
    {"pad0", spoil_pad0, EINVAL},
    {"pad1", spoil_pad1, EINVAL},
    {"rlimit pad", spoil_rlimit_pad, EINVAL},
    {"rlimits_len without rlimits", spoil_rlimits_without_pointer, EINVAL},
    {"uid map pad", spoil_uid_map_pad, EINVAL},
    {"gid map pad", spoil_gid_map_pad, EINVAL},
    {"seccomp without seccomp_len", spoil_seccomp_without_len, EINVAL},
    {"seccomp_len without seccomp", spoil_seccomp_len_without_pointer, EINVAL},
    {"seccomp_len above BPF_MAXINSNS", spoil_seccomp_too_long, EINVAL},
    {"mounts without CLONE_NEWNS", spoil_mounts_without_newns, EINVAL},
    {"pivot_root without CLONE_NEWNS", spoil_pivot_root_without_newns, EINVAL},
    {"mount pad", spoil_mount_pad, EINVAL},
    {"mount without target", spoil_mount_without_target, EINVAL},
    {"make_nod 2", spoil_make_nod_two, EINVAL},
    {"mount target of 4096 bytes", spoil_mount_target_too_long, ENAMETOOLONG},
    {"negative exec_fd", spoil_negative_exec_fd, EINVAL},
    {"negative cgroup_fd", spoil_negative_cgroup_fd, EINVAL},
    {"files entry -2", spoil_file_below_minus_one, EINVAL},
    {"groups_len without groups", spoil_groups_without_pointer, EINVAL},
    {"STOP_BEFORE_SECCOMP without pending", spoil_stop_without_pending, EINVAL},
    {"PTRACE with seccomp without pending", spoil_ptrace_seccomp_without_pending, EINVAL},
};

static void expect_refused(const struct cfe_config *c, const char *what, int err_no)
{
	struct cfe_error err = {0};
	int32_t pid = cfe_start(c, &err, NULL);

	if (pid > 0)
		waitpid(pid, NULL, __WALL);
	if (pid != -1 || err.err_no != err_no || err.location != CFE_LOC_NONE || err.index != 0)
		fail_msg("%s: start returned %d with {%s, %s, %d}; want -1 with {%s, unknown, 0}",
			 what, pid, strerror(err.err_no), cfe_location_name(err.location),
			 err.index, strerror(err_no));
	assert_no_child_left();
}

static void test_invalid_configs_fail_before_clone(void **state)
{
	(void)state;
	require_root();
	for (size_t i = 0; i < sizeof(invalid_configs) / sizeof(invalid_configs[0]); i++) {
		struct cfe_config c = plain_config();

		invalid_configs[i].spoil(&c);
		expect_refused(&c, invalid_configs[i].what, invalid_configs[i].err_no);
	}
}

static void test_null_config(void **state)
{
	struct cfe_error err = {0};

	(void)state;
	assert_int_equal(cfe_start(NULL, &err, NULL), -1);
	assert_int_equal(err.err_no, EINVAL);
	assert_int_equal(err.location, CFE_LOC_NONE);
	assert_int_equal(err.index, 0);
}

/* A caller compiled against a later version whose new fields we do not
 * know is refused unless they are zero. */
static void test_unknown_tail_refused(void **state)
{
	struct {
		struct cfe_config c;
		uint64_t later_field;
	} big;

	(void)state;
	require_root();
	memset(&big, 0, sizeof(big));
	big.c = plain_config();
	big.c.size = sizeof(big);
	big.later_field = 1;
	expect_start_error(&big.c, E2BIG, CFE_LOC_NONE, 0);
}

/* Without a record to fill there is no start at all, valid or not. */
static void test_null_error_record(void **state)
{
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	assert_int_equal(cfe_start(&c, NULL, NULL), -1);
	assert_no_child_left();
	c.args_len = 0;
	assert_int_equal(cfe_start(&c, NULL, NULL), -1);
	assert_no_child_left();
}

static void test_invalid_config_clears_pending(void **state)
{
	struct cfe_config c = plain_config();
	struct cfe_pending *pending = (struct cfe_pending *)&c;
	struct cfe_error err = {0};

	(void)state;
	require_root();
	c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	c.pad1 = 1;
	assert_int_equal(cfe_start(&c, &err, &pending), -1);
	assert_null(pending);
	assert_int_equal(err.err_no, EINVAL);
	assert_int_equal(err.location, CFE_LOC_NONE);
	assert_no_child_left();
}

/* ---- clone and the user namespace ---- */

/* clone3's CLONE_INTO_CGROUP wants a cgroup2 directory: the kernel answers
 * EBADF for any other open file. */
static void test_clone_into_non_cgroup_fd(void **state)
{
	struct cfe_config c = probe_config();
	int fd;

	(void)state;
	require_root();
	/* A size-0 clone3 is EINVAL where clone3 exists. */
	if (syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS) {
		fprintf(stderr,
			"skipped: clone3 is not available (ENOSYS), no CLONE_INTO_CGROUP\n");
		skip();
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd > 0);
	c.cgroup_fd = fd;
	expect_probe_error(&c, EBADF, CFE_LOC_CLONE, 0);
	close(fd);
}

/* The parent's uid_map write fails (the kernel refuses overlapping
 * ranges); the child reports the parent's verdict. */
static void test_uid_map_refused(void **state)
{
	static const struct cfe_id_map overlapping[] = {
	    {.container_id = 0, .host_id = 0, .size = 1},
	    {.container_id = 0, .host_id = 1, .size = 1}};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	c.uid_maps = overlapping;
	c.uid_maps_len = 2;
	expect_probe_error(&c, EINVAL, CFE_LOC_UNSHARE_USER_READ, 0);
}

static void test_gid_map_refused(void **state)
{
	static const struct cfe_id_map empty_range[] = {
	    {.container_id = 0, .host_id = 0, .size = 0}};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	c.gid_maps = empty_range;
	c.gid_maps_len = 1;
	expect_probe_error(&c, EINVAL, CFE_LOC_UNSHARE_USER_READ, 0);
}

/* ---- credentials ---- */

/* Default maps: the parent writes "deny" to setgroups before gid_map. */
static void test_setgroups_denied_in_user_ns(void **state)
{
	static const uint32_t groups[] = {0};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	c.flags = CFE_FLAG_CREDENTIAL;
	c.groups = groups;
	c.groups_len = 1;
	expect_probe_error(&c, EPERM, CFE_LOC_SETGROUPS, 0);
}

/* The default maps map only id 0: any other id is invalid in there. */
static void test_setgid_unmapped(void **state)
{
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	c.flags = CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS;
	c.uid = 0;
	c.gid = 12345;
	expect_probe_error(&c, EINVAL, CFE_LOC_SETGID, 0);
}

static void test_setuid_unmapped(void **state)
{
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	c.flags = CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS;
	c.uid = 12345;
	c.gid = 0;
	expect_probe_error(&c, EINVAL, CFE_LOC_SETUID, 0);
}

/* ---- file descriptors and the terminal ---- */

static void test_dup3_of_closed_fd(void **state)
{
	static const int32_t files[] = {UNUSED_FD};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	assert_int_equal(fcntl(UNUSED_FD, F_GETFD), -1);
	c.files = files;
	c.files_len = 1;
	expect_probe_error(&c, EBADF, CFE_LOC_DUP3, 0);
}

/* files[k] == k keeps fd k where it is and only clears its close-on-exec
 * flag: with fd k not open, that fcntl fails. */
static void test_fcntl_of_closed_fd_in_place(void **state)
{
	struct cfe_config c = plain_config();
	int32_t files[PATH_BUF];
	int k;

	(void)state;
	require_root();
	k = dup(0);
	assert_true(k >= 3 && k < PATH_BUF);
	close(k);
	for (int i = 0; i < k; i++)
		files[i] = i < 3 ? i : -1;
	files[k] = k;
	c.files = files;
	c.files_len = (uint32_t)k + 1;
	expect_start_error(&c, EBADF, CFE_LOC_FCNTL, 0);
}

static void test_ctty_on_dev_null(void **state)
{
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_CTTY;
	expect_probe_error(&c, ENOTTY, CFE_LOC_IOCTL, 0);
}

/* ---- a forked subprocess that starts under its own conditions ---- */

/* What the subprocess saw of its start. */
struct sub_report {
	int32_t setup_err; /* errno of the subprocess's own preparation */
	int32_t pid;	   /* cfe_start's result */
	struct cfe_error err;
	int32_t finish;	  /* cfe_pending_finish's result, when a handle came */
	int32_t reaped;	  /* a returned pid was waited for */
	int32_t no_child; /* at the end, waitpid(-1) said ECHILD */
};

/* Prepares the subprocess; returns 0 or an errno. */
typedef int (*sub_setup_fn)(const void *arg);

static __attribute__((noreturn)) void
subprocess_main(const struct cfe_config *c, sub_setup_fn setup, const void *arg, int report_fd)
{
	struct sub_report rep = {0};
	struct cfe_pending *pending = NULL;

	alarm(SUBPROCESS_TIMEOUT_S);
	rep.setup_err = setup(arg);
	if (rep.setup_err == 0) {
		rep.pid = cfe_start(c, &rep.err, &pending);
		if (pending != NULL)
			rep.finish = cfe_pending_finish(pending, &rep.err);
		if (rep.pid > 0)
			rep.reaped = waitpid(rep.pid, NULL, __WALL) == rep.pid;
		rep.no_child = waitpid(-1, NULL, WNOHANG | __WALL) == -1 && errno == ECHILD;
	}
	_exit(write(report_fd, &rep, sizeof(rep)) == (ssize_t)sizeof(rep) ? 0 : 1);
}

static void run_in_subprocess(const struct cfe_config *c, sub_setup_fn setup, const void *arg,
			      struct sub_report *rep)
{
	int fds[2];
	int status;
	ssize_t n;
	pid_t s;

	memset(rep, 0, sizeof(*rep));
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	s = fork();
	assert_true(s >= 0);
	if (s == 0) {
		close(fds[0]);
		subprocess_main(c, setup, arg, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], rep, sizeof(*rep));
	close(fds[0]);
	assert_int_equal(waitpid(s, &status, 0), s);
	assert_int_equal(n, sizeof(*rep));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (rep->setup_err != 0)
		fail_msg("subprocess setup: %s", strerror(rep->setup_err));
}

static void expect_subprocess_error(const struct sub_report *rep, int err_no, uint32_t location)
{
	show_mismatch(rep->pid, &rep->err, err_no, location, 0);
	assert_child_error(rep, err_no, location, 0);
	assert_false(rep->reaped);
	assert_true(rep->no_child);
	assert_no_child_left();
}

/* ---- mounts and pivot_root ---- */

static int chroot_into(const void *dir)
{
	if (chroot(dir) != 0 || chdir("/") != 0)
		return errno;
	return 0;
}

/* Making "/" private needs "/" to be the root of a mount; a caller
 * chrooted into a plain directory is not.  No configuration of a caller
 * at a mount root gets there. */
static void test_mount_root_in_chroot(void **state)
{
	struct cfe_config c = plain_config();
	char dir[sizeof(TMPDIR_TEMPLATE)];
	struct sub_report rep;

	(void)state;
	require_root();
	make_tmpdir(dir);
	c.clone_flags = CLONE_NEWNS;
	run_in_subprocess(&c, chroot_into, dir, &rep);
	remove_tmpdir(dir);
	expect_subprocess_error(&rep, EINVAL, CFE_LOC_MOUNT_ROOT);
}

static void test_pivot_root_missing(void **state)
{
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWNS;
	c.pivot_root = NO_SUCH_PATH;
	expect_probe_error(&c, ENOENT, CFE_LOC_MOUNT_TMPFS, 0);
}

/* "dir/sub/.." names dir: the tmpfs goes on dir and hides sub, so the
 * chdir into the same path fails. */
static void test_pivot_root_hidden_by_its_tmpfs(void **state)
{
	struct cfe_config c = probe_config();
	char dir[sizeof(TMPDIR_TEMPLATE)];
	char sub[PATH_BUF], pivot[PATH_BUF];

	(void)state;
	require_root();
	make_tmpdir(dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(pivot, sizeof(pivot), "%s/sub/..", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	c.clone_flags = CLONE_NEWNS;
	c.pivot_root = pivot;
	expect_probe_error(&c, ENOENT, CFE_LOC_MOUNT_CHDIR, 0);
	assert_int_equal(rmdir(sub), 0);
	remove_tmpdir(dir);
}

/* Starts the probe with its own tmpdir as pivot_root and these mounts. */
static void expect_pivot_error(const struct cfe_mount *mounts, uint32_t mounts_len, int err_no,
			       uint32_t location, int32_t index)
{
	struct cfe_config c = probe_config();
	char dir[sizeof(TMPDIR_TEMPLATE)];

	make_tmpdir(dir);
	c.clone_flags = CLONE_NEWNS;
	c.pivot_root = dir;
	c.mounts = mounts;
	c.mounts_len = mounts_len;
	expect_probe_error(&c, err_no, location, index);
	remove_tmpdir(dir);
}

/* Mount 0 binds a file at "f"; mount 1 needs "f" to be a directory. */
static void test_mount_point_under_a_file(void **state)
{
	static const struct cfe_mount mounts[] = {
	    {.source = "/dev/null", .target = "f", .flags = MS_BIND, .make_nod = 1},
	    {.source = "tmpfs", .target = "f/sub", .fstype = "tmpfs"},
	};

	(void)state;
	require_root();
	expect_pivot_error(mounts, 2, ENOTDIR, CFE_LOC_MOUNT_MKDIR, 1);
}

static void test_bind_of_missing_source(void **state)
{
	static const struct cfe_mount mounts[] = {
	    {.source = "tmpfs", .target = "a", .fstype = "tmpfs"},
	    {.source = "/dev/null", .target = "b/null", .flags = MS_BIND, .make_nod = 1},
	    {.source = NO_SUCH_PATH, .target = "c", .flags = MS_BIND},
	};

	(void)state;
	require_root();
	expect_pivot_error(mounts, 3, ENOENT, CFE_LOC_MOUNT, 2);
}

/* pivot_root starts by making the directory "old_root" in the new root;
 * a mount point already there fails that mkdir (EEXIST is not ignored,
 * as in the reference). */
static void test_old_root_already_there(void **state)
{
	static const struct cfe_mount mounts[] = {
	    {.source = "/dev/null", .target = "old_root", .flags = MS_BIND, .make_nod = 1},
	};

	(void)state;
	require_root();
	expect_pivot_error(mounts, 1, EEXIST, CFE_LOC_PIVOT_ROOT, 0);
}

/* A tmpfs stacked on the new root: pivot_root's new root is then the top
 * mount, and "old_root", made in the one below, is not under it. */
static void test_pivot_root_covered(void **state)
{
	static const struct cfe_mount mounts[] = {
	    {.source = "tmpfs", .target = ".", .fstype = "tmpfs"},
	};

	(void)state;
	require_root();
	expect_pivot_error(mounts, 1, EINVAL, CFE_LOC_PIVOT_ROOT, 0);
}

/* ---- workdir, rlimits, seccomp ---- */

static void test_workdir_missing(void **state)
{
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.workdir = NO_SUCH_PATH;
	expect_probe_error(&c, ENOENT, CFE_LOC_CHDIR, 0);
}

static void test_rlimit_cur_above_max(void **state)
{
	static const struct cfe_rlimit rlimits[] = {
	    {.resource = RLIMIT_CORE, .cur = 0, .max = 0},
	    {.resource = RLIMIT_CPU, .cur = 10, .max = 5},
	};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.rlimits = rlimits;
	c.rlimits_len = 2;
	expect_probe_error(&c, EINVAL, CFE_LOC_SETRLIMIT, 1);
}

/* The kernel checks the program when it is loaded: it must end in RET. */
static void test_seccomp_program_without_ret(void **state)
{
	static const struct cfe_bpf_insn filter[] = {
	    {.code = BPF_LD | BPF_W | BPF_ABS, .k = 0},
	};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.seccomp = filter;
	c.seccomp_len = 1;
	expect_probe_error(&c, EINVAL, CFE_LOC_SECCOMP, 0);
}

static void test_seccomp_jump_out_of_program(void **state)
{
	static const struct cfe_bpf_insn filter[] = {
	    {.code = BPF_JMP | BPF_JA, .k = 5},
	    {.code = BPF_RET | BPF_K, .k = 0x7fff0000u},
	};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.seccomp = filter;
	c.seccomp_len = 2;
	expect_probe_error(&c, EINVAL, CFE_LOC_SECCOMP, 0);
}

/* ---- the sync callback ---- */

struct refusal {
	int32_t verdict;
	int32_t pid;
};

static int32_t refuse(void *context, int32_t pid)
{
	struct refusal *r = context;

	r->pid = pid;
	return r->verdict;
}

/* The child was killed and reaped before cfe_start returned. */
static void expect_refusal(int32_t verdict, int err_no)
{
	struct cfe_config c = probe_config();
	struct refusal r = {.verdict = verdict, .pid = 0};
	int e;

	c.sync_fn = refuse;
	c.sync_context = &r;
	expect_probe_error(&c, err_no, CFE_LOC_SYNC_CALLBACK, 0);
	assert_true(r.pid > 0);
	e = kill(r.pid, 0) == -1 ? errno : 0;
	assert_int_equal(e, ESRCH);
}

static void test_sync_callback_refuses_with_errno(void **state)
{
	(void)state;
	require_root();
	expect_refusal(7, 7);
}

static void test_sync_callback_refuses_negative(void **state)
{
	(void)state;
	require_root();
	expect_refusal(-1, ECANCELED);
}

/* ---- execve ---- */

static void test_execve_missing(void **state)
{
	static const char *const args[] = {NO_SUCH_PATH};
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	c.args = args;
	c.args_len = 1;
	expect_start_error(&c, ENOENT, CFE_LOC_EXECVE, 0);
}

static void test_execve_not_executable(void **state)
{
	char dir[sizeof(TMPDIR_TEMPLATE)], copy[PATH_BUF];
	const char *args[1];
	struct cfe_config c = probe_config();

	(void)state;
	require_root();
	make_tmpdir(dir);
	snprintf(copy, sizeof(copy), "%s/probe", dir);
	copy_file(probe_path(), copy, 0644);
	args[0] = copy;
	c.args = args;
	c.args_len = 1;
	expect_start_error(&c, EACCES, CFE_LOC_EXECVE, 0);
	assert_int_equal(unlink(copy), 0);
	remove_tmpdir(dir);
}

static void test_exec_fd_not_executable(void **state)
{
	char dir[sizeof(TMPDIR_TEMPLATE)], copy[PATH_BUF];
	struct cfe_config c = plain_config();
	int fd;

	(void)state;
	require_root();
	make_tmpdir(dir);
	snprintf(copy, sizeof(copy), "%s/probe", dir);
	copy_file(probe_path(), copy, 0644);
	fd = open(copy, O_RDONLY | O_CLOEXEC);
	assert_true(fd > 0);
	c.exec_fd = fd;
	expect_start_error(&c, EACCES, CFE_LOC_EXECVE, 0);
	close(fd);
	assert_int_equal(unlink(copy), 0);
	remove_tmpdir(dir);
}

/* A process that holds a file open for writing until released.  It is
 * another process, so the started child does not inherit its fd. */
struct writer {
	pid_t pid;
	int release_fd;
};

static void writer_start(struct writer *w, const char *path)
{
	int ready[2], release[2];
	char byte;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(release, O_CLOEXEC), 0);
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (w->pid == 0) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		alarm(SUBPROCESS_TIMEOUT_S);
		if (fd < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		/* A byte, not end-of-file: the started child inherits the
		 * write end. */
		_exit(read(release[0], &byte, 1) == 1 ? 0 : 1);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	w->release_fd = release[1];
}

/* Thread-safe, asserts nothing. */
static void writer_release(const struct writer *w)
{
	if (write(w->release_fd, "x", 1) != 1)
		perror("writer_release");
}

static void writer_reap(const struct writer *w)
{
	int status;

	assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
	close(w->release_fd);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A copy of the probe, executable, in a fresh tmpdir. */
static void make_probe_copy(char dir[sizeof(TMPDIR_TEMPLATE)], char copy[PATH_BUF])
{
	make_tmpdir(dir);
	snprintf(copy, PATH_BUF, "%s/probe", dir);
	copy_file(probe_path(), copy, 0755);
}

static void remove_probe_copy(const char *dir, const char *copy)
{
	assert_int_equal(unlink(copy), 0);
	remove_tmpdir(dir);
}

/* Held open for writing throughout: every retry fails, the last error is
 * the record. */
static void test_execve_text_busy(void **state)
{
	char dir[sizeof(TMPDIR_TEMPLATE)], copy[PATH_BUF];
	const char *args[1];
	struct cfe_config c = probe_config();
	struct probe_result r = {0};
	struct writer w;

	(void)state;
	require_root();
	make_probe_copy(dir, copy);
	writer_start(&w, copy);
	args[0] = copy;
	c.args = args;
	c.args_len = 1;
	r.pid = cfe_start(&c, &r.err, NULL);
	if (r.pid > 0)
		waitpid(r.pid, NULL, 0);
	writer_release(&w);
	writer_reap(&w);
	remove_probe_copy(dir, copy);
	show_mismatch(r.pid, &r.err, ETXTBSY, CFE_LOC_EXECVE, 0);
	assert_child_error(&r, ETXTBSY, CFE_LOC_EXECVE, 0);
	assert_no_child_left();
}

/* Whether pid is blocked in system call nr (/proc/PID/syscall). */
static int in_syscall(pid_t pid, long nr)
{
	char path[PATH_BUF], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return buf[0] >= '0' && buf[0] <= '9' && strtol(buf, NULL, 10) == nr;
}

struct retry_watch {
	const struct writer *writer;
	atomic_int child_pid;	   /* from the sync callback */
	atomic_int start_returned; /* stop watching */
	atomic_int saw_retry;	   /* the child was seen sleeping between attempts */
};

/* The sync callback only learns the child's pid for the watching thread. */
static int32_t note_child(void *context, int32_t pid)
{
	struct retry_watch *watch = context;

	atomic_store(&watch->child_pid, pid);
	return 0;
}

/* Release the writer once the started child is seen in the sleep between
 * two execve attempts: the start can then only succeed by retrying. */
static void *release_when_retrying(void *arg)
{
	struct retry_watch *watch = arg;
	const struct timespec poll_interval = {.tv_sec = 0, .tv_nsec = RETRY_POLL_US * 1000};

	while (!atomic_load(&watch->start_returned) && !atomic_load(&watch->saw_retry)) {
		pid_t pid = atomic_load(&watch->child_pid);

		if (pid > 0 && in_syscall(pid, SYS_nanosleep))
			atomic_store(&watch->saw_retry, 1);
		else
			nanosleep(&poll_interval, NULL);
	}
	writer_release(watch->writer);
	return NULL;
}

/* The writer lets go while the child waits between attempts: the start
 * succeeds and the copy runs.  The sync callback is there only to tell the
 * watching thread the child's pid. */
static void test_execve_text_busy_retried(void **state)
{
	char dir[sizeof(TMPDIR_TEMPLATE)], copy[PATH_BUF];
	const char *args[3];
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};
	struct retry_watch watch;
	struct writer w;
	pthread_t thread;
	int status = 0;
	int32_t pid;

	(void)state;
	require_root();
	make_probe_copy(dir, copy);
	writer_start(&w, copy);
	watch.writer = &w;
	atomic_init(&watch.child_pid, 0);
	atomic_init(&watch.start_returned, 0);
	atomic_init(&watch.saw_retry, 0);
	args[0] = copy;
	args[1] = "--exit";
	args[2] = "7";
	c.args = args;
	c.args_len = 3;
	c.sync_fn = note_child;
	c.sync_context = &watch;
	assert_int_equal(pthread_create(&thread, NULL, release_when_retrying, &watch), 0);
	pid = cfe_start(&c, &err, NULL);
	atomic_store(&watch.start_returned, 1);
	assert_int_equal(pthread_join(thread, NULL), 0);
	if (pid > 0)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	writer_reap(&w);
	remove_probe_copy(dir, copy);
	if (pid < 0)
		print_error("start failed: {%s, %s, %d}\n", strerror(err.err_no),
			    cfe_location_name(err.location), err.index);
	assert_true(pid > 0);
	assert_true(atomic_load(&watch.saw_retry));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	assert_no_child_left();
}

/* ---- steps no configuration makes fail, provoked by an inherited seccomp
 * filter ---- */

/* Which value the one compared argument must have. */
enum fault_value {
	FAULT_FIXED,	   /* value */
	FAULT_PARENT_SOCK, /* the parent's end of the sync socket */
	FAULT_CHILD_SOCK,  /* the child's end */
};

/* One system call refused with INJECTED_ERRNO, when argument arg (-1: any
 * call) has the value. */
struct fault {
	int nr;
	int arg;
	enum fault_value kind;
	uint64_t value;
};

/* The sync socket is the first fd cfe_start creates: it gets the two
 * lowest free numbers, the parent's end first.  Returns the number of the
 * end asked for, or -errno. */
static int predict_sync_socket(enum fault_value end)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -errno;
	close(sv[0]);
	close(sv[1]);
	return end == FAULT_PARENT_SOCK ? sv[0] : sv[1];
}

static int install_fault(const void *arg)
{
	const struct fault *f = arg;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	uint64_t value = f->value;
	int r;

	if (ctx == NULL)
		return ENOMEM;
	/* We are root: no need for no_new_privs, which would change what the
	 * child inherits. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0 && f->kind != FAULT_FIXED) {
		int fd = predict_sync_socket(f->kind);

		if (fd < 0)
			r = fd;
		else
			value = (uint64_t)fd;
	}
	if (r == 0 && f->arg < 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(INJECTED_ERRNO), f->nr, 0);
	else if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(INJECTED_ERRNO), f->nr, 1,
				     SCMP_CMP((unsigned)f->arg, SCMP_CMP_EQ, value));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return -r;
}

static int32_t accept_start(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return 0;
}

static void expect_injected_error(const struct cfe_config *c, const struct fault *f,
				  uint32_t location)
{
	struct sub_report rep;

	run_in_subprocess(c, install_fault, f, &rep);
	expect_subprocess_error(&rep, INJECTED_ERRNO, location);
}

static void test_injected_close_write(void **state)
{
	const struct fault f = {SCMP_SYS(close), 0, FAULT_PARENT_SOCK, 0};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.sync_fn = accept_start;
	expect_injected_error(&c, &f, CFE_LOC_CLOSE_WRITE);
}

static void test_injected_getpid(void **state)
{
	const struct fault f = {SCMP_SYS(getpid), -1, FAULT_FIXED, 0};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	expect_injected_error(&c, &f, CFE_LOC_GETPID);
}

static void test_injected_keep_capability(void **state)
{
	const struct fault f = {SCMP_SYS(prctl), 0, FAULT_FIXED, PR_SET_SECUREBITS};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS;
	expect_injected_error(&c, &f, CFE_LOC_KEEP_CAPABILITY);
}

static void test_injected_setsid(void **state)
{
	const struct fault f = {SCMP_SYS(setsid), -1, FAULT_FIXED, 0};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	expect_injected_error(&c, &f, CFE_LOC_SETSID);
}

static void expect_injected_pivot_error(const struct fault *f, uint32_t location)
{
	struct cfe_config c = plain_config();
	char dir[sizeof(TMPDIR_TEMPLATE)];

	make_tmpdir(dir);
	c.clone_flags = CLONE_NEWNS;
	c.pivot_root = dir;
	expect_injected_error(&c, f, location);
	remove_tmpdir(dir);
}

static void test_injected_umount(void **state)
{
	const struct fault f = {SCMP_SYS(umount2), -1, FAULT_FIXED, 0};

	(void)state;
	require_root();
	expect_injected_pivot_error(&f, CFE_LOC_PIVOT_ROOT);
}

static void test_injected_unlink(void **state)
{
	const struct fault f = {SCMP_SYS(unlinkat), 2, FAULT_FIXED, AT_REMOVEDIR};

	(void)state;
	require_root();
	expect_injected_pivot_error(&f, CFE_LOC_PIVOT_ROOT);
}

static void test_injected_mount_readonly(void **state)
{
	const struct fault f = {SCMP_SYS(mount), 3, FAULT_FIXED,
				MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOATIME | MS_NOSUID};

	(void)state;
	require_root();
	expect_injected_pivot_error(&f, CFE_LOC_PIVOT_ROOT);
}

static void test_injected_set_no_new_privs(void **state)
{
	const struct fault f = {SCMP_SYS(prctl), 0, FAULT_FIXED, PR_SET_NO_NEW_PRIVS};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_NO_NEW_PRIVS;
	expect_injected_error(&c, &f, CFE_LOC_SET_NO_NEW_PRIVS);
}

static void test_injected_drop_capability(void **state)
{
	const struct fault f = {SCMP_SYS(prctl), 0, FAULT_FIXED, PR_SET_SECUREBITS};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_DROP_CAPS;
	expect_injected_error(&c, &f, CFE_LOC_DROP_CAPABILITY);
}

static void test_injected_set_cap(void **state)
{
	const struct fault f = {SCMP_SYS(capset), -1, FAULT_FIXED, 0};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_DROP_CAPS;
	expect_injected_error(&c, &f, CFE_LOC_SET_CAP);
}

static void test_injected_ptrace_me(void **state)
{
	const struct fault f = {SCMP_SYS(ptrace), 0, FAULT_FIXED, PTRACE_TRACEME};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_PTRACE;
	expect_injected_error(&c, &f, CFE_LOC_PTRACE_ME);
}

/* With seccomp and a sync callback the child attaches after the
 * handshake; it still reports before it stops, so a failure there is the
 * start's, not a pid that exits at once. */
static void test_injected_ptrace_me_after_sync(void **state)
{
	const struct fault f = {SCMP_SYS(ptrace), 0, FAULT_FIXED, PTRACE_TRACEME};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_PTRACE;
	c.seccomp = allow_all;
	c.seccomp_len = sizeof(allow_all) / sizeof(allow_all[0]);
	c.sync_fn = accept_start;
	expect_injected_error(&c, &f, CFE_LOC_PTRACE_ME);
}

/* The stopping child outlives cfe_start: its failure comes from
 * cfe_pending_finish, and the caller reaps it. */
static void test_injected_stop(void **state)
{
	const struct fault f = {SCMP_SYS(kill), 1, FAULT_FIXED, SIGSTOP};
	struct cfe_config c = plain_config();
	struct sub_report rep;

	(void)state;
	require_root();
	c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	run_in_subprocess(&c, install_fault, &f, &rep);
	show_mismatch(rep.finish, &rep.err, INJECTED_ERRNO, CFE_LOC_STOP, 0);
	assert_true(rep.pid > 0);
	assert_int_equal(rep.finish, -1);
	assert_int_equal(rep.err.err_no, INJECTED_ERRNO);
	assert_int_equal(rep.err.location, CFE_LOC_STOP);
	assert_int_equal(rep.err.index, 0);
	assert_true(rep.reaped);
	assert_true(rep.no_child);
	assert_no_child_left();
}

static void test_injected_sync_write(void **state)
{
	const struct fault f = {SCMP_SYS(write), 0, FAULT_CHILD_SOCK, 0};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.sync_fn = accept_start;
	expect_injected_error(&c, &f, CFE_LOC_SYNC_WRITE);
}

static void test_injected_sync_read(void **state)
{
	const struct fault f = {SCMP_SYS(read), 0, FAULT_CHILD_SOCK, 0};
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.sync_fn = accept_start;
	expect_injected_error(&c, &f, CFE_LOC_SYNC_READ);
}

/* ---- found by the fuzzers ---- */

/* The child's own filter makes every call fail with EPERM, exit_group
 * included, once execve (or, with a handshake, the write of its "ready")
 * has failed.  The child must still die and its error come back, not spin
 * with the parent waiting for it.  A start that hangs is cut short by the
 * alarm; the spinning child by the CPU limit it inherits. */
static int limit_a_hang(const void *arg)
{
	const struct rlimit cpu = {.rlim_cur = 10, .rlim_max = 10};
	const struct rlimit core = {.rlim_cur = 0, .rlim_max = 0};

	(void)arg;
	if (setrlimit(RLIMIT_CPU, &cpu) != 0 || setrlimit(RLIMIT_CORE, &core) != 0)
		return errno;
	alarm(5);
	return 0;
}

static void expect_error_under_refuse_all_filter(struct cfe_config *c, uint32_t location)
{
	static const struct cfe_bpf_insn refuse_all[] = {
	    {.code = BPF_RET | BPF_K, .k = SECCOMP_RET_ERRNO | EPERM},
	};
	struct sub_report rep;

	c->seccomp = refuse_all;
	c->seccomp_len = 1;
	run_in_subprocess(c, limit_a_hang, NULL, &rep);
	expect_subprocess_error(&rep, EPERM, location);
}

static void test_filter_refusing_exit_after_failed_execve(void **state)
{
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	expect_error_under_refuse_all_filter(&c, CFE_LOC_EXECVE);
}

static void test_filter_refusing_exit_after_failed_sync_write(void **state)
{
	struct cfe_config c = plain_config();

	(void)state;
	require_root();
	c.sync_fn = accept_start;
	expect_error_under_refuse_all_filter(&c, CFE_LOC_SYNC_WRITE);
}

/* The k-th lowest fd number that is not open (from 0). */
static int free_fd(int k)
{
	int fd = -1;

	for (int i = 0; i <= k; i++)
		do
			fd++;
		while (fcntl(fd, F_GETFD) >= 0);
	return fd;
}

/* A closed fd in files whose number the start's own fds then take (the
 * sync socket's ends, the parked copy of files[2]) fails as any closed
 * one, instead of the child getting ours in its place. */
static void test_closed_fd_that_the_start_would_take(void **state)
{
	(void)state;
	require_root();
	for (int k = 0; k < 2; k++) {
		for (int sync = 0; sync <= 1; sync++) {
			struct cfe_config c = plain_config();
			int32_t files[3] = {free_fd(k), 1, 0};

			c.files = files;
			c.files_len = 3;
			c.sync_fn = sync ? accept_start : NULL;
			expect_start_error(&c, EBADF, CFE_LOC_DUP3, 0);
		}
	}
}

const struct CMUnitTest errors_tests[] = {
    cmocka_unit_test(test_location_names),
    cmocka_unit_test(test_invalid_configs_fail_before_clone),
    cmocka_unit_test(test_null_config),
    cmocka_unit_test(test_unknown_tail_refused),
    cmocka_unit_test(test_null_error_record),
    cmocka_unit_test(test_invalid_config_clears_pending),
    cmocka_unit_test(test_clone_into_non_cgroup_fd),
    cmocka_unit_test(test_uid_map_refused),
    cmocka_unit_test(test_gid_map_refused),
    cmocka_unit_test(test_setgroups_denied_in_user_ns),
    cmocka_unit_test(test_setgid_unmapped),
    cmocka_unit_test(test_setuid_unmapped),
    cmocka_unit_test(test_dup3_of_closed_fd),
    cmocka_unit_test(test_fcntl_of_closed_fd_in_place),
    cmocka_unit_test(test_ctty_on_dev_null),
    cmocka_unit_test(test_mount_root_in_chroot),
    cmocka_unit_test(test_pivot_root_missing),
    cmocka_unit_test(test_pivot_root_hidden_by_its_tmpfs),
    cmocka_unit_test(test_mount_point_under_a_file),
    cmocka_unit_test(test_bind_of_missing_source),
    cmocka_unit_test(test_old_root_already_there),
    cmocka_unit_test(test_pivot_root_covered),
    cmocka_unit_test(test_workdir_missing),
    cmocka_unit_test(test_rlimit_cur_above_max),
    cmocka_unit_test(test_seccomp_program_without_ret),
    cmocka_unit_test(test_seccomp_jump_out_of_program),
    cmocka_unit_test(test_sync_callback_refuses_with_errno),
    cmocka_unit_test(test_sync_callback_refuses_negative),
    cmocka_unit_test(test_execve_missing),
    cmocka_unit_test(test_execve_not_executable),
    cmocka_unit_test(test_exec_fd_not_executable),
    cmocka_unit_test(test_execve_text_busy),
    cmocka_unit_test(test_execve_text_busy_retried),
    cmocka_unit_test(test_injected_close_write),
    cmocka_unit_test(test_injected_getpid),
    cmocka_unit_test(test_injected_keep_capability),
    cmocka_unit_test(test_injected_setsid),
    cmocka_unit_test(test_injected_umount),
    cmocka_unit_test(test_injected_unlink),
    cmocka_unit_test(test_injected_mount_readonly),
    cmocka_unit_test(test_injected_set_no_new_privs),
    cmocka_unit_test(test_injected_drop_capability),
    cmocka_unit_test(test_injected_set_cap),
    cmocka_unit_test(test_injected_ptrace_me),
    cmocka_unit_test(test_injected_ptrace_me_after_sync),
    cmocka_unit_test(test_injected_stop),
    cmocka_unit_test(test_injected_sync_write),
    cmocka_unit_test(test_injected_sync_read),
    cmocka_unit_test(test_filter_refusing_exit_after_failed_execve),
    cmocka_unit_test(test_filter_refusing_exit_after_failed_sync_write),
    cmocka_unit_test(test_closed_fd_that_the_start_would_take),
};
const size_t errors_tests_len = sizeof(errors_tests) / sizeof(errors_tests[0]);
