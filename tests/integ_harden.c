/*
 * Hardening: configurations and conditions that once made a start hang,
 * leak into the caller's machine or report the wrong thing.  Each test runs
 * its start in a bounded subprocess (see run_bounded): a regression that
 * hangs fails after BOUND_S seconds instead of blocking the suite, and
 * whatever the subprocess changes (limits, namespaces, seccomp filters)
 * dies with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* How long a bounded subprocess may take before it counts as hung. */
#define BOUND_S	      10
#define BOUND_POLL_MS 10
#define MAX_FILTER    256

/* ---- a bounded subprocess ---- */

/* What the body of a bounded subprocess saw. */
struct outcome {
	int32_t setup_err; /* errno of the body's own preparation; 0 = none */
	int32_t pid;	   /* cfe_start's result */
	struct cfe_error err;
	int32_t reaped;	  /* a returned pid was waited for */
	int32_t no_child; /* at the end, waitpid(-1) said ECHILD */
	int32_t seen;	  /* what the body observed, test-specific */
	int32_t timed_out;
	int32_t killed_by; /* the body died by this signal before reporting */
};

typedef void (*body_fn)(const void *arg, struct outcome *out);

/* Start c and reap what it returned; then no child may be left. */
static void start_and_reap(const struct cfe_config *c, struct outcome *out)
{
	out->pid = cfe_start(c, &out->err, NULL);
	if (out->pid > 0)
		out->reaped = waitpid(out->pid, NULL, __WALL) == out->pid;
	out->no_child = waitpid(-1, NULL, WNOHANG | __WALL) == -1 && errno == ECHILD;
}

/* The keeper: runs body in a child that is pid 1 of a new pid namespace
 * (with a mount namespace and /proc of its own), so that killing it on a
 * timeout kills whatever the start left behind; relays its outcome (or a
 * timeout) on report_fd. */
static __attribute__((noreturn)) void keeper_main(body_fn body, const void *arg, int report_fd)
{
	const struct timespec poll_interval = {.tv_sec = 0, .tv_nsec = BOUND_POLL_MS * 1000000L};
	struct outcome out = {0};
	pid_t h;

	if (unshare(CLONE_NEWPID) != 0) {
		out.setup_err = errno;
		_exit(write(report_fd, &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
	}
	h = fork();
	if (h == 0) {
		/* Our own /proc, where /proc/PID of our children (their id maps,
		 * say) is theirs. */
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
			out.setup_err = errno;
		else
			body(arg, &out);
		_exit(write(report_fd, &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
	}
	for (long waited = 0; h > 0; waited += BOUND_POLL_MS) {
		int status;

		/* A body that wrote its outcome exited; this one comes after. */
		if (waitpid(h, &status, WNOHANG) == h) {
			out.killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			_exit(write(report_fd, &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
		}
		if (waited >= BOUND_S * 1000L)
			break;
		nanosleep(&poll_interval, NULL);
	}
	if (h > 0) {
		kill(h, SIGKILL);
		waitpid(h, NULL, 0);
	}
	out.setup_err = h < 0 ? errno : 0;
	out.timed_out = h > 0;
	_exit(write(report_fd, &out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
}

static void run_bounded(body_fn body, const void *arg, struct outcome *out)
{
	int fds[2];
	int status;
	ssize_t n;
	pid_t keeper;

	memset(out, 0, sizeof(*out));
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	keeper = fork();
	assert_true(keeper >= 0);
	if (keeper == 0) {
		close(fds[0]);
		keeper_main(body, arg, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(*out));
	close(fds[0]);
	assert_int_equal(waitpid(keeper, &status, 0), keeper);
	assert_int_equal(n, sizeof(*out));
	if (out->timed_out)
		fail_msg("the start did not return within %d s", BOUND_S);
	if (out->killed_by != 0)
		fail_msg("the subprocess was killed by signal %d", out->killed_by);
	if (out->setup_err != 0)
		fail_msg("subprocess setup: %s", strerror(out->setup_err));
}

/* The start failed with exactly this record and left no child. */
static void expect_failed_start(const struct outcome *out, int err_no, uint32_t location)
{
	if (out->pid != -1 || out->err.err_no != err_no || out->err.location != location ||
	    out->err.index != 0)
		fail_msg("start returned %d with {%s, %s, %d}; want -1 with {%s, %s, 0}", out->pid,
			 strerror(out->err.err_no), cfe_location_name(out->err.location),
			 out->err.index, strerror(err_no), cfe_location_name(location));
	assert_false(out->reaped);
	assert_true(out->no_child);
}

/* ---- configurations ---- */

/* argv {probe, args...}: the probe exits at once with --exit 0. */
static const char *const *probe_exit_argv(void)
{
	static const char *args[3];

	args[0] = probe_path();
	args[1] = "--exit";
	args[2] = "0";
	return args;
}

static struct cfe_config exiting_probe(void)
{
	struct cfe_config c = probe_config();

	c.args = probe_exit_argv();
	c.args_len = 3;
	return c;
}

static int32_t accept_start(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return 0;
}

/* A filter with default_action for every system call but those in nrs,
 * which get rule_action. */
static uint32_t build_filter(uint32_t default_action, uint32_t rule_action, const int *nrs,
			     size_t n, struct cfe_bpf_insn *out, size_t cap)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);

	assert_non_null(ctx);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seccomp_rule_add(ctx, rule_action, nrs[i], 0), 0);
	return export_filter(ctx, out, cap);
}

/* A configuration started under a filter the starting process installs
 * on itself first (as root, without no_new_privs): the child inherits it. */
struct inherited_filter {
	const struct cfe_config *config;
	const struct sock_fprog *prog;
};

/* ---- 1: a filter that refuses the child's exit ---- */

/* No core file of the test's memory, whatever the caller's limit. */
static int no_core_dumps(void)
{
	const struct rlimit none = {0, 0};

	return setrlimit(RLIMIT_CORE, &none) == 0 ? 0 : errno;
}

static void start_with_config(const void *arg, struct outcome *out)
{
	out->setup_err = no_core_dumps();
	if (out->setup_err == 0)
		start_and_reap(arg, out);
}

/* Once the filter is loaded every system call fails with EPERM, exit_group
 * and exit included: the child's execve fails, and so does its exit. */
static void expect_execve_refused_by_filter(struct cfe_config *c, int err_no)
{
	struct outcome out;

	run_bounded(start_with_config, c, &out);
	expect_failed_start(&out, err_no, CFE_LOC_EXECVE);
}

static void test_filter_refusing_everything(void **state)
{
	static const struct cfe_bpf_insn refuse_all[] = {
	    {.code = BPF_RET | BPF_K, .k = SECCOMP_RET_ERRNO | EPERM}};
	struct cfe_config c = exiting_probe();

	(void)state;
	require_root();
	c.seccomp = refuse_all;
	c.seccomp_len = ARRAY_LEN(refuse_all);
	/* CLONE_VFORK: nothing to do before the exec. */
	expect_execve_refused_by_filter(&c, EPERM);
	/* A handshake: the parent writes the id maps and waits on the socket. */
	c.clone_flags = CLONE_NEWUSER;
	expect_execve_refused_by_filter(&c, EPERM);
	/* The callback, with the filter loaded after it. */
	c.clone_flags = 0;
	c.flags = CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC;
	c.sync_fn = accept_start;
	expect_execve_refused_by_filter(&c, EPERM);
}

static void test_filter_refusing_execve_and_exit(void **state)
{
	const int refused[] = {SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(exit_group),
			       SCMP_SYS(exit)};
	struct cfe_bpf_insn filter[MAX_FILTER];
	struct cfe_config c = exiting_probe();

	(void)state;
	require_root();
	c.seccomp = filter;
	c.seccomp_len = build_filter(SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(ENOENT), refused,
				     ARRAY_LEN(refused), filter, MAX_FILTER);
	expect_execve_refused_by_filter(&c, ENOENT);
	c.sync_fn = accept_start;
	expect_execve_refused_by_filter(&c, ENOENT);
}

/* ---- 2: the arena's guard page refused ---- */

/* Where the start's one mprotect(PROT_NONE) was aimed: the arena's base. */
static _Atomic(void *) guard_target;

/* Answers the one notification of the filter below: the mprotect does not
 * run and fails with ENOMEM, as with vm.max_map_count reached; its address
 * is noted first.  (cfe_start blocks every signal around the mprotect, so
 * a SIGSYS handler could not do this.) */
static void *refuse_guard_page(void *arg)
{
	int listener = *(const int *)arg;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
		return NULL;
	req = calloc(1, sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req));
	resp = calloc(1, sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp
								  : sizeof(*resp));
	if (req != NULL && resp != NULL && ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) == 0) {
		guard_target = (void *)(uintptr_t)req->data.args[0];
		resp->id = req->id;
		resp->error = -ENOMEM;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	free(req);
	free(resp);
	return NULL;
}

#define SENTINEL_BYTE 0x5a

/* Larger than the plan of a pooled arena (64 KiB). */
#define BIG_ENV_LEN (96 * 1024)

/* The clone hook runs after the failed arena was unmapped and before the
 * start releases what it holds: map a page of ours where it was. */
static void map_sentinel(void *context)
{
	long page = sysconf(_SC_PAGESIZE);
	void *at = guard_target;
	char *p;

	(void)context;
	if (at == NULL)
		return;
	p = mmap(at, (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == at)
		memset(p, SENTINEL_BYTE, (size_t)page);
}

/* 1 when the sentinel page is still mapped and holds its bytes. */
static int sentinel_intact(void)
{
	long page = sysconf(_SC_PAGESIZE);
	const unsigned char *p = guard_target;
	unsigned char resident;

	if (p == NULL || mincore((void *)p, (size_t)page, &resident) != 0)
		return 0;
	for (long i = 0; i < page; i++)
		if (p[i] != SENTINEL_BYTE)
			return 0;
	return 1;
}

struct guard_case {
	const struct cfe_config *config;
	const struct sock_fprog *filter;
};

static void start_with_guard_refused(const void *arg, struct outcome *out)
{
	const struct guard_case *g = arg;
	pthread_t supervisor;
	int listener;

	listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				SECCOMP_FILTER_FLAG_NEW_LISTENER, g->filter);
	if (listener < 0) {
		out->setup_err = errno;
		return;
	}
	/* It inherits the filter, but makes no mprotect(PROT_NONE). */
	out->setup_err = pthread_create(&supervisor, NULL, refuse_guard_page, &listener);
	if (out->setup_err != 0)
		return;
	start_and_reap(g->config, out);
	out->seen = sentinel_intact();
	pthread_join(supervisor, NULL);
	close(listener);
}

/* The guard page's mprotect fails (ENOMEM): the arena is unmapped once,
 * and what is mapped at its address afterwards is not the start's to
 * unmap. */
static void test_guard_page_refused(void **state)
{
	struct cfe_bpf_insn filter[MAX_FILTER];
	struct sock_fprog prog;
	struct cfe_config c = exiting_probe();
	struct guard_case g = {.config = &c, .filter = &prog};
	struct outcome out;
	scmp_filter_ctx ctx;
	const char *env[1];
	char *big_env;

	(void)state;
	require_root();
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	assert_non_null(ctx);
	assert_int_equal(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mprotect), 1,
					  SCMP_A2(SCMP_CMP_EQ, PROT_NONE)),
			 0);
	prog.len = (unsigned short)export_filter(ctx, filter, MAX_FILTER);
	prog.filter = (struct sock_filter *)filter;
	c.clone_hook = map_sentinel;
	/* A plan too large for the pooled arenas (arena_pool.c), so that this
	 * start maps and protects an arena of its own. */
	big_env = malloc(BIG_ENV_LEN);
	assert_non_null(big_env);
	memset(big_env, 'x', BIG_ENV_LEN - 1);
	memcpy(big_env, "BIG=", 4);
	big_env[BIG_ENV_LEN - 1] = '\0';
	env[0] = big_env;
	c.env = env;
	c.env_len = 1;
	run_bounded(start_with_guard_refused, &g, &out);
	free(big_env);
	expect_failed_start(&out, ENOMEM, CFE_LOC_NONE);
	if (!out.seen)
		fail_msg("the page mapped where the failed arena was is gone");
}

/* ---- 3: the caller's dumpable flag ---- */

/* fs.suid_dumpable: what a child's setuid sets the shared flag to. */
static int read_suid_dumpable(void)
{
	FILE *f = fopen("/proc/sys/fs/suid_dumpable", "re");
	int v = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &v), 1);
	fclose(f);
	return v;
}

struct dumpable_case {
	int before; /* the flag before the start */
	int set_in_callback;
	int through_api; /* cfe_set_dumpable, not prctl */
};

/* Through the API, 0 must hold at once and 1 must not: the child, with
 * other credentials, still runs in our memory.  EPROTO says otherwise. */
static int32_t set_dumpable_in_callback(void *context, int32_t pid)
{
	const struct dumpable_case *d = context;
	int was = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	int now;

	(void)pid;
	if (!d->through_api)
		return prctl(PR_SET_DUMPABLE, (unsigned long)d->set_in_callback, 0, 0, 0) == 0
			   ? 0
			   : EIO;
	if (cfe_set_dumpable(d->set_in_callback) != 0)
		return EIO;
	now = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	return now == (d->set_in_callback == 0 ? 0 : was) ? 0 : EPROTO;
}

/* A credential start whose callback sets the flag; seen = the flag after. */
static void start_setting_dumpable(const void *arg, struct outcome *out)
{
	const struct dumpable_case *d = arg;
	struct cfe_config c = exiting_probe();

	if (prctl(PR_SET_DUMPABLE, (unsigned long)d->before, 0, 0, 0) != 0) {
		out->setup_err = errno;
		return;
	}
	c.flags = CFE_FLAG_CREDENTIAL;
	c.uid = 65534;
	c.gid = 65534;
	c.sync_fn = set_dumpable_in_callback;
	c.sync_context = (void *)d;
	out->pid = cfe_start(&c, &out->err, NULL);
	out->seen = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (out->pid > 0)
		out->reaped = waitpid(out->pid, NULL, __WALL) == out->pid;
	out->no_child = waitpid(-1, NULL, WNOHANG | __WALL) == -1 && errno == ECHILD;
}

static void expect_dumpable_after(const struct dumpable_case *d, int want)
{
	struct outcome out;

	run_bounded(start_setting_dumpable, d, &out);
	if (out.pid < 0)
		fail_msg("start failed: {%s, %s}", strerror(out.err.err_no),
			 cfe_location_name(out.err.location));
	assert_true(out.reaped);
	assert_true(out.no_child);
	if (out.seen != want)
		fail_msg("dumpable %d before, %d set by the callback: %d after, want %d", d->before,
			 d->set_in_callback, out.seen, want);
}

/* The child's setuid leaves suid_dumpable (0 here); a callback that sets
 * something else made its choice, which the release must not undo. */
static void test_dumpable_raised_by_callback_stays(void **state)
{
	const struct dumpable_case d = {.before = 0, .set_in_callback = 1};

	(void)state;
	require_root();
	if (read_suid_dumpable() == 1) {
		fprintf(stderr, "skipped: fs.suid_dumpable is 1, a child's setuid leaves 1 too\n");
		skip();
	}
	expect_dumpable_after(&d, 1);
}

/* The callback's 0 sticks where a child's setuid leaves something else. */
static void test_dumpable_cleared_by_callback_stays(void **state)
{
	const struct dumpable_case d = {.before = 1, .set_in_callback = 0};

	(void)state;
	require_root();
	if (read_suid_dumpable() == 0) {
		fprintf(stderr, "skipped: fs.suid_dumpable is 0, the caller's 0 cannot be told "
				"from the one a child's setuid leaves\n");
		skip();
	}
	expect_dumpable_after(&d, 0);
}

/* cfe_set_dumpable in the callback is honoured whatever the sysctl: the
 * caller's 0 stays even where a child's setuid leaves 0 too. */
static void test_dumpable_cleared_through_api_stays(void **state)
{
	const struct dumpable_case d = {.before = 1, .set_in_callback = 0, .through_api = 1};

	(void)state;
	require_root();
	expect_dumpable_after(&d, 0);
}

/* And a 1 asked for in the callback waits for the child's exec, then holds. */
static void test_dumpable_raised_through_api_stays(void **state)
{
	const struct dumpable_case d = {.before = 0, .set_in_callback = 1, .through_api = 1};

	(void)state;
	require_root();
	expect_dumpable_after(&d, 1);
}

/* ---- 5: files naming an fd the start itself creates ---- */

/* Which closed number the configuration names. */
enum new_fd {
	NEW_FD_PARENT_END, /* files[2]: the lowest free fd, the socket's parent end */
	NEW_FD_CHILD_END,  /* files[2]: the next one, the socket's child end */
	NEW_FD_EXEC,	   /* exec_fd: the socket's child end */
	NEW_FD_PARKED,	   /* files[1]: where the parked copy of files[3] goes */
};

/* The numbers the start will give its new fds are the lowest free ones:
 * open the same kind of fds, note their numbers, close them, and name
 * them in the configuration.  The caller could not know them; they are
 * closed when cfe_start is called, and must be refused as such. */
static void start_naming_new_fd(const void *arg, struct outcome *out)
{
	const enum new_fd kind = *(const enum new_fd *)arg;
	int32_t files[4] = {0, 1, 2, 0};
	struct cfe_config c = exiting_probe();
	int sv[2];

	if (kind == NEW_FD_PARKED) {
		/* CLONE_VFORK: no socket, only the copy of fd 0 above files. */
		int parked = fcntl(0, F_DUPFD_CLOEXEC, 4);

		if (parked < 0) {
			out->setup_err = errno;
			return;
		}
		close(parked);
		files[1] = parked;
		c.files = files;
		c.files_len = 4;
		start_and_reap(&c, out);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		out->setup_err = errno;
		return;
	}
	close(sv[0]);
	close(sv[1]);
	if (kind == NEW_FD_EXEC)
		c.exec_fd = sv[1];
	else
		files[2] = kind == NEW_FD_PARENT_END ? sv[0] : sv[1];
	c.files = files;
	c.files_len = 3;
	c.sync_fn = accept_start;
	start_and_reap(&c, out);
}

static void expect_new_fd_refused(enum new_fd kind, uint32_t location)
{
	struct outcome out;

	run_bounded(start_naming_new_fd, &kind, &out);
	expect_failed_start(&out, EBADF, location);
}

static void test_files_naming_new_fds(void **state)
{
	(void)state;
	require_root();
	expect_new_fd_refused(NEW_FD_PARENT_END, CFE_LOC_DUP3);
	expect_new_fd_refused(NEW_FD_CHILD_END, CFE_LOC_DUP3);
	expect_new_fd_refused(NEW_FD_PARKED, CFE_LOC_DUP3);
	/* At or above files_len exec_fd is not copied: the child would have
	 * failed at its execveat. */
	expect_new_fd_refused(NEW_FD_EXEC, CFE_LOC_EXECVE);
}

/* ---- 6: host names without a UTS namespace ---- */

/* Names the start's child must not set: the body runs in a UTS namespace
 * of its own first, so a regression renames only that. */
static void start_naming_host(const void *arg, struct outcome *out)
{
	const struct cfe_config *c = arg;
	struct utsname before, after;

	if (unshare(CLONE_NEWUTS) != 0 || uname(&before) != 0) {
		out->setup_err = errno;
		return;
	}
	start_and_reap(c, out);
	out->seen = uname(&after) == 0 && strcmp(before.nodename, after.nodename) == 0 &&
		    strcmp(before.domainname, after.domainname) == 0;
}

static void expect_names_refused(const struct cfe_config *c)
{
	struct outcome out;

	run_bounded(start_naming_host, c, &out);
	if (!out.seen)
		fail_msg("the caller's host or domain name changed");
	expect_failed_start(&out, EINVAL, CFE_LOC_NONE);
}

static void test_host_names_need_uts_namespace(void **state)
{
	struct cfe_config c = exiting_probe();

	(void)state;
	require_root();
	c.hostname = "cfe-harden-host";
	expect_names_refused(&c);
	c.hostname = NULL;
	c.domainname = "cfe-harden-domain";
	expect_names_refused(&c);
	/* A user namespace of its own does not make the names its own. */
	c.clone_flags = CLONE_NEWUSER | CLONE_NEWNS;
	expect_names_refused(&c);
}

/* ---- 7: the cgroup namespace refused after the handshake ---- */

static void start_under_inherited_filter(const void *arg, struct outcome *out)
{
	const struct inherited_filter *f = arg;

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, f->prog) != 0) {
		out->setup_err = errno;
		return;
	}
	start_and_reap(f->config, out);
}

static void test_cgroup_unshare_refused(void **state)
{
	const int refused[] = {SCMP_SYS(unshare)};
	struct cfe_bpf_insn filter[MAX_FILTER];
	struct cfe_config c = exiting_probe();
	struct sock_fprog prog;
	struct inherited_filter f = {.config = &c, .prog = &prog};
	struct outcome out;

	(void)state;
	require_root();
	prog.len = (unsigned short)build_filter(SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), refused,
						ARRAY_LEN(refused), filter, MAX_FILTER);
	prog.filter = (struct sock_filter *)filter;
	c.flags = CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC;
	run_bounded(start_under_inherited_filter, &f, &out);
	expect_failed_start(&out, EPERM, CFE_LOC_UNSHARE_CGROUP);
	c.sync_fn = accept_start;
	run_bounded(start_under_inherited_filter, &f, &out);
	expect_failed_start(&out, EPERM, CFE_LOC_UNSHARE_CGROUP);
}

/* ---- 8: pivot_root onto "/" ---- */

/* The body's root becomes a fresh tmpfs (in the mount namespace the keeper
 * gave it), so that whatever a failed start leaves in "/" is in there:
 * seen = 1 when no "/old_root" is left. */
static void start_pivoting_onto_root(const void *arg, struct outcome *out)
{
	const char *pivot = arg;
	struct cfe_config c = exiting_probe();
	struct stat st;

	if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0755") != 0 || chroot("/tmp") != 0 ||
	    chdir("/") != 0 || symlink("/", "/link") != 0) {
		out->setup_err = errno;
		return;
	}
	c.clone_flags = CLONE_NEWNS;
	c.pivot_root = pivot;
	start_and_reap(&c, out);
	out->seen = lstat("/old_root", &st) != 0 && errno == ENOENT;
}

static void expect_pivot_onto_root_refused(const char *pivot, uint32_t location)
{
	struct outcome out;

	run_bounded(start_pivoting_onto_root, pivot, &out);
	if (!out.seen)
		fail_msg("pivot_root \"%s\" left /old_root behind", pivot);
	expect_failed_start(&out, EINVAL, location);
}

static void test_pivot_root_onto_root(void **state)
{
	static const char *const spellings[] = {"/", "//", "/.", "/..", "/./../", "///.//"};

	(void)state;
	require_root();
	for (size_t i = 0; i < ARRAY_LEN(spellings); i++)
		expect_pivot_onto_root_refused(spellings[i], CFE_LOC_NONE);
	/* A link to "/" is only found out in the child, before it makes
	 * anything: the tmpfs it mounted is not where it is. */
	expect_pivot_onto_root_refused("/link", CFE_LOC_MOUNT_CHDIR);
}

/* ---- 9: a child that stops itself as pid 1 of a new pid namespace ---- */

/* The start, its first wait (seen = 1 when it showed a SIGSTOP stop), the
 * continue, cfe_pending_finish and the exit. */
static void start_stopping_init(const void *arg, struct outcome *out)
{
	static const struct cfe_bpf_insn allow_all[] = {
	    {.code = BPF_RET | BPF_K, .k = SECCOMP_RET_ALLOW}};
	const int traced = *(const int *)arg;
	struct cfe_config c = exiting_probe();
	struct cfe_pending *pending = NULL;
	int status = 0;

	c.clone_flags = CLONE_NEWPID;
	if (traced) {
		c.flags = CFE_FLAG_PTRACE;
		c.seccomp = allow_all;
		c.seccomp_len = ARRAY_LEN(allow_all);
	} else {
		c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	}
	out->pid = cfe_start(&c, &out->err, &pending);
	if (out->pid < 0)
		return;
	if (waitpid(out->pid, &status, WUNTRACED | __WALL) == out->pid)
		out->seen = WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP;
	if (out->seen && traced)
		ptrace(PTRACE_CONT, out->pid, 0, 0);
	else if (out->seen)
		kill(out->pid, SIGCONT);
	if (cfe_pending_finish(pending, &out->err) != 0)
		out->seen = 0;
	/* Traced: the SIGTRAP of its execve, then its exit. */
	while (waitpid(out->pid, &status, __WALL) == out->pid && WIFSTOPPED(status))
		ptrace(PTRACE_CONT, out->pid, 0, 0);
	out->reaped = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	out->no_child = waitpid(-1, NULL, WNOHANG | __WALL) == -1 && errno == ECHILD;
}

static void expect_init_stops(int traced)
{
	struct outcome out;

	run_bounded(start_stopping_init, &traced, &out);
	if (out.pid < 0)
		fail_msg("start failed: {%s, %s}", strerror(out.err.err_no),
			 cfe_location_name(out.err.location));
	if (!out.seen)
		fail_msg("%s: the first wait did not see the child stopped",
			 traced ? "ptrace with seccomp" : "STOP_BEFORE_SECCOMP");
	assert_true(out.reaped);
	assert_true(out.no_child);
}

/* The init of a pid namespace ignores a SIGSTOP it sends itself (unless
 * traced); one from the parent, an ancestor namespace, stops it. */
static void test_stop_as_pid_namespace_init(void **state)
{
	(void)state;
	require_root();
	expect_init_stops(0);
	expect_init_stops(1);
}

/* ---- 10: no fd left for the parent's copies ---- */

#define NOFILE_LIMIT 64

/* fd 0 is needed at the last place of files, below which the child's
 * shuffle writes: the parent copies it at or above files_len, which the
 * lowered limit does not leave room for.  With exhaust, files fits below
 * the limit but every fd above it is taken. */
static void start_without_fds_to_copy(const void *arg, struct outcome *out)
{
	const int exhaust = *(const int *)arg;
	const struct rlimit limit = {NOFILE_LIMIT, NOFILE_LIMIT};
	int32_t files[NOFILE_LIMIT + 8];
	uint32_t n = exhaust ? 8 : NOFILE_LIMIT + 8;
	struct cfe_config c = exiting_probe();

	for (uint32_t i = 0; i < n; i++)
		files[i] = i < 3 ? (int32_t)i : -1;
	files[n - 1] = 0;
	c.files = files;
	c.files_len = n;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
		out->setup_err = errno;
		return;
	}
	while (exhaust && fcntl(0, F_DUPFD_CLOEXEC, 0) >= 0)
		;
	start_and_reap(&c, out);
}

static void test_no_fd_for_copies(void **state)
{
	struct outcome out;
	int exhaust = 0;

	(void)state;
	require_root();
	/* F_DUPFD above the limit is EINVAL: there is no such fd. */
	run_bounded(start_without_fds_to_copy, &exhaust, &out);
	expect_failed_start(&out, EMFILE, CFE_LOC_NONE);
	exhaust = 1;
	run_bounded(start_without_fds_to_copy, &exhaust, &out);
	expect_failed_start(&out, EMFILE, CFE_LOC_NONE);
}

/* ---- dropped capabilities stay dropped across execve ---- */

#define NO_CAPS "0000000000000000"

/* A copy of the probe in a fresh directory anyone may enter, owned by
 * root; the caller makes it setuid or gives it file capabilities. */
static void copy_probe(char dir[sizeof("/tmp/cfe-harden-XXXXXX")], char *copy, size_t cap)
{
	char buf[65536];
	int in = open(probe_path(), O_RDONLY | O_CLOEXEC);
	int out;
	ssize_t n;

	strcpy(dir, "/tmp/cfe-harden-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(copy, cap, "%s/probe", dir);
	out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	assert_int_equal(close(out), 0);
}

/* Run path as uid 65534 with DROP_CAPS; returns its report (free it), or
 * NULL with *err when the start failed. */
static char *run_dropped(const char *path, uint32_t flags, struct cfe_error *err)
{
	const char *args[] = {path, "--out-fd", "1"};
	struct cfe_config c = probe_config();
	int32_t files[3];
	int pipefd[2];
	int status;
	int32_t pid;
	char *json;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	files[0] = -1;
	files[1] = pipefd[1];
	files[2] = 2;
	c.args = args;
	c.args_len = 3;
	c.files = files;
	c.files_len = 3;
	c.flags = CFE_FLAG_CREDENTIAL | CFE_FLAG_DROP_CAPS | flags;
	c.uid = 65534;
	c.gid = 65534;
	pid = cfe_start(&c, err, NULL);
	close(pipefd[1]);
	json = read_to_end(pipefd[0]);
	close(pipefd[0]);
	if (pid < 0) {
		free(json);
		return NULL;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return json;
}

/* With no_new_privs the bounding set is left as it is (the kernel grants
 * nothing at exec then), so only the other sets are checked. */
static void expect_no_caps(const char *json, uint32_t flags, const char *what)
{
	static const char *const sets[] = {"cap_inh", "cap_prm", "cap_eff", "cap_amb", "cap_bnd"};
	size_t n = ARRAY_LEN(sets) - ((flags & CFE_FLAG_NO_NEW_PRIVS) ? 1 : 0);

	for (size_t i = 0; i < n; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\"%s\":\"" NO_CAPS "\"", sets[i]);
		if (!json_has(json, want))
			fail_msg("%s: %s is not empty: %s", what, sets[i], json);
	}
}

/* The kernel's struct vfs_cap_data, revision 2, as setcap writes it:
 * CAP_NET_RAW permitted, and with effective the file's effective bit.
 * Returns 0 or an errno. */
static int give_net_raw(const char *path, int effective)
{
	const uint32_t magic = VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0);
	const uint32_t caps[5] = {magic, 1u << CAP_NET_RAW, 0, 0, 0};

	return setxattr(path, "security.capability", caps, sizeof(caps), 0) == 0 ? 0 : errno;
}

static void expect_started(const char *json, const struct cfe_error *err, const char *what)
{
	if (json == NULL)
		fail_msg("%s: start failed: {%s, %s}", what, strerror(err->err_no),
			 cfe_location_name(err->location));
}

/* Neither a setuid-root program nor one with file capabilities gets any
 * capability back after DROP_CAPS: without no_new_privs the bounding and
 * ambient sets are emptied too; with it the kernel grants nothing at exec.
 * (Without it, a file whose effective bit is set but whose permitted
 * capabilities cannot all be granted is refused by the kernel's execve;
 * with it, it runs without them.) */
static void dropped_caps_not_regained(uint32_t flags)
{
	char dir[sizeof("/tmp/cfe-harden-XXXXXX")], copy[256];
	struct cfe_error setuid_err = {0}, file_err = {0}, effective_err = {0};
	char *setuid_root, *file_caps = NULL, *effective = NULL;
	int xattr_err;

	require_root();
	copy_probe(dir, copy, sizeof(copy));
	assert_int_equal(chmod(copy, 04755), 0);
	setuid_root = run_dropped(copy, flags, &setuid_err);
	assert_int_equal(chmod(copy, 0755), 0);
	xattr_err = give_net_raw(copy, 0);
	if (xattr_err == 0) {
		file_caps = run_dropped(copy, flags, &file_err);
		xattr_err = give_net_raw(copy, 1);
	}
	if (xattr_err == 0)
		effective = run_dropped(copy, flags, &effective_err);
	assert_int_equal(unlink(copy), 0);
	assert_int_equal(rmdir(dir), 0);

	expect_started(setuid_root, &setuid_err, "setuid root");
	assert_true(json_has(setuid_root, "\"uid\":[65534,"));
	expect_no_caps(setuid_root, flags, "setuid root");
	free(setuid_root);
	if (xattr_err != 0) {
		fprintf(stderr, "skipped: no file capabilities in /tmp: %s\n", strerror(xattr_err));
		skip();
	}
	expect_started(file_caps, &file_err, "cap_net_raw+p");
	expect_no_caps(file_caps, flags, "cap_net_raw+p");
	free(file_caps);
	if (flags & CFE_FLAG_NO_NEW_PRIVS) {
		/* no_new_privs: runs, granted nothing. */
		expect_started(effective, &effective_err, "cap_net_raw+ep");
		expect_no_caps(effective, flags, "cap_net_raw+ep");
		free(effective);
		return;
	}
	if (effective != NULL)
		fail_msg("cap_net_raw+ep ran: %s", effective);
	assert_int_equal(effective_err.err_no, EPERM);
	assert_int_equal(effective_err.location, CFE_LOC_EXECVE);
}

static void test_dropped_caps_not_regained(void **state)
{
	(void)state;
	dropped_caps_not_regained(0);
}

static void test_dropped_caps_not_regained_no_new_privs(void **state)
{
	(void)state;
	dropped_caps_not_regained(CFE_FLAG_NO_NEW_PRIVS);
}

const struct CMUnitTest harden_tests[] = {
    cmocka_unit_test(test_filter_refusing_everything),
    cmocka_unit_test(test_filter_refusing_execve_and_exit),
    cmocka_unit_test(test_guard_page_refused),
    cmocka_unit_test(test_dumpable_raised_by_callback_stays),
    cmocka_unit_test(test_dumpable_cleared_by_callback_stays),
    cmocka_unit_test(test_dumpable_cleared_through_api_stays),
    cmocka_unit_test(test_dumpable_raised_through_api_stays),
    cmocka_unit_test(test_files_naming_new_fds),
    cmocka_unit_test(test_host_names_need_uts_namespace),
    cmocka_unit_test(test_cgroup_unshare_refused),
    cmocka_unit_test(test_pivot_root_onto_root),
    cmocka_unit_test(test_stop_as_pid_namespace_init),
    cmocka_unit_test(test_no_fd_for_copies),
    cmocka_unit_test(test_dropped_caps_not_regained),
    cmocka_unit_test(test_dropped_caps_not_regained_no_new_privs),
};
const size_t harden_tests_len = sizeof(harden_tests) / sizeof(harden_tests[0]);
