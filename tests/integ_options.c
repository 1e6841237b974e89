/* The options appended after version 1: pidfd_out (signal and wait the
 * child through it, on the clone3 path and the legacy clone's, and no fd
 * left on any failure), parent_death_signal (the child dies with its
 * starter, thread or process, and survives without the option) and
 * CFE_FLAG_CLOSE_OTHER_FDS (a stray inheritable fd never reaches the
 * program, the files map still does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "support.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* A helper process's verdicts (see in_helper). */
#define HELPER_OK   0
#define HELPER_SKIP 77

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static void assert_no_child_left(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}

static int open_fds(void)
{
	return count_entries("/proc/self/fd");
}

/* The pid a pidfd names, from its fdinfo ("Pid:\t<pid>"). */
static int pidfd_pid(int pidfd)
{
	char path[64];
	char *text;
	const char *at;
	int fd;
	int pid;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	text = read_to_end(fd);
	close(fd);
	at = strstr(text, "Pid:\t");
	assert_non_null(at);
	pid = atoi(at + 5);
	free(text);
	return pid;
}

static const char *const *sleeper_args(void)
{
	static const char *args[4];

	args[0] = probe_path();
	args[1] = "--sleep";
	args[2] = "600000";
	return args;
}

/* The probe, sleeping for a second: a child that should have been killed
 * and was not exits 0 instead of holding the test up. */
static const char *const *short_sleeper_args(void)
{
	static const char *args[4];

	args[0] = probe_path();
	args[1] = "--sleep";
	args[2] = "1000";
	return args;
}

/* The probe, sleeping for ten minutes, with fds 0-2 of ours. */
static struct cfe_config sleeper_config(void)
{
	struct cfe_config c = {.size = sizeof(c), .args = sleeper_args(), .args_len = 3};

	return c;
}

/* Run body in a helper process, for what must not touch this one (a
 * seccomp filter, a lowered limit, a mount namespace): body _exits with
 * HELPER_OK, HELPER_SKIP (a reason on stderr) or another code naming what
 * failed (also on stderr).  cmocka's asserts must not run there. */
static void in_helper(void (*body)(void))
{
	pid_t helper;
	int status;

	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		body();
		_exit(HELPER_OK);
	}
	assert_int_equal(waitpid(helper, &status, 0), helper);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == HELPER_SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(status), HELPER_OK);
}

static __attribute__((noreturn)) void helper_exit(int code, const char *why)
{
	fprintf(stderr, "helper: %s (errno %s)\n", why, strerror(errno));
	_exit(code);
}

/* In a helper: a filter (for this thread only, inherited by its
 * children) that answers the system call nr with errno. */
static void helper_refuse(int nr, int errnum)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)errnum), nr, 0) ||
	    seccomp_load(ctx))
		helper_exit(HELPER_SKIP, "skipped: cannot load a seccomp filter");
	seccomp_release(ctx);
}

static int32_t sync_ok(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return 0;
}

static int32_t sync_refuse(void *context, int32_t pid)
{
	(void)context;
	(void)pid;
	return EPERM;
}

/* ---- pidfd ---- */

/* Start c, signal the child through its pidfd and wait for it there. */
static void signal_and_wait_through_pidfd(const struct cfe_config *given)
{
	struct cfe_config c = *given;
	struct cfe_error err;
	siginfo_t info = {0};
	int32_t pidfd = 1234;
	int32_t pid;

	c.pidfd_out = &pidfd;
	pid = cfe_start(&c, &err, NULL);
	assert_true(pid > 0);
	assert_true(pidfd >= 0);
	assert_int_equal(fcntl(pidfd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(pidfd_pid(pidfd), pid);
	/* The init of a new pid namespace takes SIGKILL only. */
	assert_int_equal(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
	assert_int_equal(waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED), 0);
	assert_int_equal(info.si_pid, pid);
	assert_int_equal(info.si_code, CLD_KILLED);
	assert_int_equal(info.si_status, SIGKILL);
	close(pidfd);
	assert_no_child_left();
}

static void test_pidfd_vfork(void **state)
{
	struct cfe_config c = sleeper_config();
	int before = open_fds();

	(void)state;
	require_root();
	signal_and_wait_through_pidfd(&c);
	assert_int_equal(open_fds(), before);
}

static void test_pidfd_handshake(void **state)
{
	struct cfe_config c = sleeper_config();
	int before = open_fds();

	(void)state;
	require_root();
	c.sync_fn = sync_ok;
	c.clone_flags = CLONE_NEWUSER | CLONE_NEWPID;
	signal_and_wait_through_pidfd(&c);
	assert_int_equal(open_fds(), before);
}

/* Where clone3 answers ENOSYS (a container's seccomp profile), the
 * legacy clone gets the pidfd through its parent_tid argument: a helper
 * process filters clone3 out and starts the probe there. */
static void test_pidfd_legacy_clone(void **state)
{
	const char *const args[] = {probe_path(), "--exit", "7"};
	pid_t helper;
	int status;

	(void)state;
	require_root();
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		struct cfe_config c = {.size = sizeof(c), .args = args, .args_len = 3};
		struct cfe_error err;
		siginfo_t info = {0};
		int32_t pidfd = -2;
		int32_t pid;

		if (ctx == NULL ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) ||
		    seccomp_load(ctx))
			_exit(10);
		seccomp_release(ctx);
		if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
			_exit(11);
		c.pidfd_out = &pidfd;
		pid = cfe_start(&c, &err, NULL);
		if (pid <= 0 || pidfd < 0 || pidfd_pid(pidfd) != pid)
			_exit(12);
		if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) != 0 ||
		    info.si_pid != pid || info.si_code != CLD_EXITED || info.si_status != 7)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(helper, &status, 0), helper);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Every way a start fails leaves *pidfd_out at -1, no fd and no child. */
static void expect_failure_without_fd(const struct cfe_config *given, int err_no, uint32_t location)
{
	struct cfe_config c = *given;
	struct cfe_error err = {0};
	struct cfe_pending *pending = NULL;
	int before = open_fds();
	int32_t pidfd = 1234;
	int32_t pid;

	c.pidfd_out = &pidfd;
	pid = cfe_start(&c, &err, &pending);
	assert_int_equal(pid, -1);
	assert_null(pending);
	assert_int_equal(err.err_no, err_no);
	assert_int_equal(err.location, location);
	assert_int_equal(pidfd, -1);
	assert_int_equal(open_fds(), before);
	assert_no_child_left();
}

static void test_pidfd_failure_paths(void **state)
{
	static const char *const missing[] = {"/nonexistent/program"};
	struct cfe_config c;

	(void)state;
	require_root();
	/* refused before any clone */
	c = sleeper_config();
	c.parent_death_signal = 65;
	expect_failure_without_fd(&c, EINVAL, CFE_LOC_NONE);
	/* the child fails a step, under CLONE_VFORK and with a handshake */
	c = sleeper_config();
	c.args = missing;
	c.args_len = 1;
	expect_failure_without_fd(&c, ENOENT, CFE_LOC_EXECVE);
	c.clone_flags = CLONE_NEWUSER;
	expect_failure_without_fd(&c, ENOENT, CFE_LOC_EXECVE);
	c = sleeper_config();
	c.workdir = "/nonexistent";
	c.sync_fn = sync_ok;
	expect_failure_without_fd(&c, ENOENT, CFE_LOC_CHDIR);
	/* the sync callback refuses */
	c = sleeper_config();
	c.sync_fn = sync_refuse;
	expect_failure_without_fd(&c, EPERM, CFE_LOC_SYNC_CALLBACK);
	/* a child that would stop, or return early, fails before it reports */
	c = sleeper_config();
	c.workdir = "/nonexistent";
	c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	expect_failure_without_fd(&c, ENOENT, CFE_LOC_CHDIR);
	c.flags = CFE_FLAG_RETURN_BEFORE_EXEC;
	c.sync_fn = sync_ok;
	expect_failure_without_fd(&c, ENOENT, CFE_LOC_CHDIR);
}

/* A struct refused as a whole is not read: *pidfd_out is untouched. */
static void test_pidfd_untouched_when_struct_refused(void **state)
{
	struct {
		struct cfe_config c;
		uint64_t tail; // cppcheck-suppress unusedStructMember
	} big = {.c = sleeper_config(), .tail = 1};
	struct cfe_error err;
	int32_t pidfd = 1234;

	(void)state;
	big.c.size = sizeof(big);
	big.c.pidfd_out = &pidfd;
	assert_int_equal(cfe_start(&big.c, &err, NULL), -1);
	assert_int_equal(err.err_no, E2BIG);
	assert_int_equal(pidfd, 1234);
}

/* A child that outlives cfe_start (it stops, or the start returns before
 * its execve) comes with its pidfd; the caller keeps it whatever
 * cfe_pending_finish says later. */
static void test_pidfd_pending(void **state)
{
	struct cfe_config c = sleeper_config();
	struct cfe_pending *pending = NULL;
	struct cfe_error err;
	siginfo_t info = {0};
	int before = open_fds();
	int32_t pidfd = -2;
	int32_t pid;

	(void)state;
	require_root();
	c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	c.pidfd_out = &pidfd;
	pid = cfe_start(&c, &err, &pending);
	assert_true(pid > 0);
	assert_non_null(pending);
	assert_int_equal(pidfd_pid(pidfd), pid);
	assert_int_equal(waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WSTOPPED), 0);
	assert_int_equal(info.si_code, CLD_STOPPED);
	assert_int_equal(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0), 0);
	assert_int_equal(cfe_pending_finish(pending, &err), 0);
	assert_int_equal(waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED), 0);
	assert_int_equal(info.si_status, SIGKILL);
	close(pidfd);

	/* failing after the start returned: the pidfd is still the caller's */
	c = sleeper_config();
	c.workdir = "/nonexistent";
	c.flags = CFE_FLAG_RETURN_BEFORE_EXEC;
	c.pidfd_out = &pidfd;
	pid = cfe_start(&c, &err, &pending);
	assert_true(pid > 0);
	assert_true(pidfd >= 0);
	assert_int_equal(cfe_pending_finish(pending, &err), -1);
	assert_int_equal(err.err_no, ENOENT);
	assert_int_equal(err.location, CFE_LOC_CHDIR);
	assert_int_equal(waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED), 0);
	assert_int_equal(info.si_pid, pid);
	close(pidfd);
	assert_int_equal(open_fds(), before);
	assert_no_child_left();
}

/* ---- parent-death signal ---- */

/* What the starter does with the parent-death signal before it starts. */
enum starter_signal {
	STARTER_AS_IS,
	STARTER_IGNORES, /* SIG_IGN, as nohup does with SIGHUP */
	STARTER_BLOCKS,	 /* in its signal mask */
};

static void starter_prepare(int sig, enum starter_signal how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	if (how == STARTER_IGNORES && signal(sig, SIG_IGN) == SIG_ERR)
		_exit(2);
	if (how == STARTER_BLOCKS && sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		_exit(2);
}

/* A starter process starts the sleeper with c, reports its pid, and is
 * killed; this process, a subreaper, inherits the sleeper.  Returns its
 * wait status. */
static int status_after_starter_killed_how(struct cfe_config *c, int end_signal,
					   enum starter_signal how)
{
	int pipefd[2];
	int32_t pid = 0;
	pid_t starter;
	int status;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	starter = fork();
	assert_true(starter >= 0);
	if (starter == 0) {
		struct cfe_error err;

		starter_prepare(c->parent_death_signal, how);
		pid = cfe_start(c, &err, NULL);
		if (write(pipefd[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &pid, sizeof(pid)), sizeof(pid));
	close(pipefd[0]);
	assert_true(pid > 0);
	assert_int_equal(kill(starter, SIGKILL), 0);
	assert_int_equal(waitpid(starter, &status, 0), starter);
	/* The sleeper is ours now; a parent-death signal was sent (and is
	 * pending, if not yet acted on) before the starter could be reaped,
	 * and SIGUSR1 is delivered before our SIGTERM. */
	kill(pid, end_signal);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_no_child_left();
	return status;
}

static int status_after_starter_killed(struct cfe_config *c, int end_signal)
{
	return status_after_starter_killed_how(c, end_signal, STARTER_AS_IS);
}

/* The init of a new pid namespace ignores every signal it has no handler
 * for but SIGKILL: SIGTERM ends the sleeper where the parent-death signal
 * did not, SIGKILL in a new pid namespace. */
static void expect_death_signal(struct cfe_config *c, int sig)
{
	const int end_signal = (c->clone_flags & CLONE_NEWPID) ? SIGKILL : SIGTERM;
	int status;

	c->parent_death_signal = sig;
	status = status_after_starter_killed(c, end_signal);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig != 0 ? sig : end_signal);
}

static void test_death_signal_when_starter_killed(void **state)
{
	struct cfe_config c = sleeper_config();

	(void)state;
	require_root();
	expect_death_signal(&c, SIGUSR1);
	c.sync_fn = sync_ok;
	expect_death_signal(&c, SIGUSR2);
	c.clone_flags = CLONE_NEWPID | CLONE_NEWUSER;
	expect_death_signal(&c, SIGKILL);
	c.sync_fn = NULL;
	c.clone_flags = CLONE_NEWPID;
	expect_death_signal(&c, SIGKILL);
}

/* setuid clears the signal: the child sets it again after. */
static void test_death_signal_with_credential(void **state)
{
	struct cfe_config c = sleeper_config();

	(void)state;
	require_root();
	c.flags = CFE_FLAG_CREDENTIAL;
	c.uid = 65534;
	c.gid = 65534;
	expect_death_signal(&c, SIGUSR1);
}

/* A starter that ignores (nohup) or blocks the signal: the program gets
 * it all the same, deliverable with its default action, and dies. */
static void test_death_signal_ignored_or_blocked_by_starter(void **state)
{
	const enum starter_signal hows[] = {STARTER_IGNORES, STARTER_BLOCKS};

	(void)state;
	require_root();
	for (size_t i = 0; i < ARRAY_LEN(hows); i++) {
		struct cfe_config c = sleeper_config();
		int status;

		c.parent_death_signal = SIGHUP;
		status = status_after_starter_killed_how(&c, SIGTERM, hows[i]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGHUP)
			fail_msg("starter %s SIGHUP: wait status %#x, want killed by SIGHUP",
				 hows[i] == STARTER_IGNORES ? "ignoring" : "blocking", status);
		c.sync_fn = sync_ok;
		c.clone_flags = CLONE_NEWUSER;
		status = status_after_starter_killed_how(&c, SIGTERM, hows[i]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGHUP)
			fail_msg("with a handshake, starter %s SIGHUP: wait status %#x",
				 hows[i] == STARTER_IGNORES ? "ignoring" : "blocking", status);
	}
}

/* Where pidfd_open is refused (a container's seccomp profile), the start
 * fails before any clone at the option's location, leaving nothing. */
static void refused_pidfd_open_body(void)
{
	struct cfe_config c = sleeper_config();
	struct cfe_error err = {0};
	int before = open_fds();
	int32_t pidfd = 1234;

	helper_refuse(SCMP_SYS(pidfd_open), EPERM);
	c.parent_death_signal = SIGKILL;
	c.pidfd_out = &pidfd;
	if (cfe_start(&c, &err, NULL) != -1)
		helper_exit(10, "started although pidfd_open is refused");
	if (err.err_no != EPERM || err.location != CFE_LOC_PARENT_DEATH_SIGNAL) {
		fprintf(stderr, "helper: error %d at %u (%s)\n", err.err_no, err.location,
			cfe_location_name(err.location));
		helper_exit(11, "want EPERM at parent_death_signal");
	}
	if (pidfd != -1 || open_fds() != before || waitpid(-1, NULL, WNOHANG) != -1)
		helper_exit(12, "a pidfd, an fd or a child left");
	c.sync_fn = sync_ok;
	if (cfe_start(&c, &err, NULL) != -1 || err.location != CFE_LOC_PARENT_DEATH_SIGNAL)
		helper_exit(13, "with a handshake: not refused at parent_death_signal");
	if (open_fds() != before)
		helper_exit(14, "with a handshake: an fd left");
}

static void test_death_signal_pidfd_open_refused(void **state)
{
	(void)state;
	require_root();
	in_helper(refused_pidfd_open_body);
}

static void test_no_death_signal_child_survives(void **state)
{
	struct cfe_config c = sleeper_config();

	(void)state;
	require_root();
	expect_death_signal(&c, 0);
	c.clone_flags = CLONE_NEWPID;
	expect_death_signal(&c, 0);
}

struct thread_start {
	struct cfe_config config;
	int32_t pid;
	struct cfe_pending *pending;
	int thread_pidfd; /* the starting thread's, where asked for */
};

static void *start_and_exit(void *arg)
{
	struct thread_start *t = arg;
	struct cfe_error err;

	t->pid = cfe_start(&t->config, &err, &t->pending);
	return NULL;
}

/* The signal follows the starting thread, not the process: a thread that
 * starts the sleeper and ends kills it while this process lives on. */
static void test_death_signal_when_thread_ends(void **state)
{
	struct thread_start t = {.config = sleeper_config()};
	pthread_t thread;
	int status;

	(void)state;
	require_root();
	t.config.parent_death_signal = SIGUSR1;
	assert_int_equal(pthread_create(&thread, NULL, start_and_exit, &t), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(t.pid > 0);
	assert_int_equal(waitpid(t.pid, &status, 0), t.pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGUSR1);
}

/* A thread pidfd of the calling thread, or -1 where the kernel has none. */
static int own_thread_pidfd(void)
{
	return (int)syscall(SYS_pidfd_open, gettid(), PIDFD_THREAD);
}

static void *start_and_exit_with_pidfd(void *arg)
{
	struct thread_start *t = arg;

	t->thread_pidfd = own_thread_pidfd();
	return start_and_exit(t);
}

/* Block until the thread behind pidfd has ended (its end has sent every
 * parent-death signal by then), failing the test after a generous
 * guard, should it never end. */
static void wait_thread_gone(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int n;

	do
		n = poll(&p, 1, 60000);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		fail_msg("the starting thread has not ended within 60 s of its join");
	close(pidfd);
}

/* The race: a thread that ends right after a start that returns before
 * the child's execve may end before the child has set its signal.  Either
 * the signal kills it or the child sees the thread gone, reports ESRCH at
 * the option's location and exits with 128 + the signal; never does it
 * run on (the short sleeper would exit 0).  Exact with thread pidfds. */
static void test_death_signal_thread_ends_first(void **state)
{
	int probe_fd = own_thread_pidfd();

	(void)state;
	require_root();
	if (probe_fd < 0) {
		fprintf(stderr, "skipped: no thread pidfds (PIDFD_THREAD, Linux 6.9): %s\n",
			strerror(errno));
		skip();
	}
	close(probe_fd);
	for (int i = 0; i < 20; i++) {
		struct thread_start t = {.config = sleeper_config()};
		struct cfe_error err = {0};
		pthread_t thread;
		int finished;
		int status;

		t.config.args = short_sleeper_args();
		t.config.parent_death_signal = SIGUSR1;
		t.config.flags = CFE_FLAG_RETURN_BEFORE_EXEC;
		assert_int_equal(pthread_create(&thread, NULL, start_and_exit_with_pidfd, &t), 0);
		assert_int_equal(pthread_join(thread, NULL), 0);
		assert_true(t.pid > 0);
		assert_true(t.thread_pidfd >= 0);
		wait_thread_gone(t.thread_pidfd);
		finished = cfe_pending_finish(t.pending, &err);
		assert_int_equal(waitpid(t.pid, &status, 0), t.pid);
		if (WIFEXITED(status)) {
			assert_int_equal(WEXITSTATUS(status), 128 + SIGUSR1);
			assert_int_equal(finished, -1);
			assert_int_equal(err.err_no, ESRCH);
			assert_int_equal(err.location, CFE_LOC_PARENT_DEATH_SIGNAL);
		} else {
			assert_true(WIFSIGNALED(status));
			assert_int_equal(WTERMSIG(status), SIGUSR1);
		}
	}
}

/* The same, made certain: the child's prctl(PR_SET_PDEATHSIG) waits (a
 * seccomp user notification, answered by this helper) until its starting
 * thread has ended, so it finds the thread gone; cfe_pending_finish must
 * say so, not report a start whose program never ran as a success. */
struct notified_start {
	struct thread_start start;
	int notify_fd;
};

static void *start_under_notify(void *arg)
{
	struct notified_start *n = arg;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	n->notify_fd = -1;
	/* This thread only (no TSYNC): its child inherits the filter. */
	if (ctx == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(prctl), 1,
			     SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG)) ||
	    seccomp_load(ctx))
		return NULL;
	n->notify_fd = seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	if (n->notify_fd < 0)
		return NULL;
	return start_and_exit_with_pidfd(&n->start);
}

static void thread_gone_body(void)
{
	struct notified_start n = {.start = {.config = sleeper_config()}};
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct pollfd notified;
	struct pollfd gone;
	struct cfe_error err = {0};
	pthread_t thread;
	int status;

	n.start.config.args = short_sleeper_args();
	n.start.config.parent_death_signal = SIGUSR1;
	n.start.config.flags = CFE_FLAG_RETURN_BEFORE_EXEC;
	if (pthread_create(&thread, NULL, start_under_notify, &n) != 0 ||
	    pthread_join(thread, NULL) != 0)
		helper_exit(10, "thread");
	if (n.notify_fd < 0)
		helper_exit(HELPER_SKIP, "skipped: no seccomp user notification");
	if (n.start.thread_pidfd < 0)
		helper_exit(HELPER_SKIP, "skipped: no thread pidfds (PIDFD_THREAD, Linux 6.9)");
	if (n.start.pid <= 0)
		helper_exit(11, "start failed");
	/* Guards, not timings: both happen at once. */
	gone = (struct pollfd){.fd = n.start.thread_pidfd, .events = POLLIN};
	if (poll(&gone, 1, 60000) != 1)
		helper_exit(12, "the starting thread did not end");
	notified = (struct pollfd){.fd = n.notify_fd, .events = POLLIN};
	if (poll(&notified, 1, 60000) != 1)
		helper_exit(13, "the child never asked for its parent-death signal");
	if (seccomp_notify_alloc(&req, &resp) != 0 || seccomp_notify_receive(n.notify_fd, req) != 0)
		helper_exit(14, "receive the notification");
	if ((int32_t)req->pid != n.start.pid)
		helper_exit(15, "the notification is not the child's");
	*resp =
	    (struct seccomp_notif_resp){.id = req->id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
	if (seccomp_notify_respond(n.notify_fd, resp) != 0)
		helper_exit(16, "respond to the notification");
	seccomp_notify_free(req, resp);
	if (cfe_pending_finish(n.start.pending, &err) != -1)
		helper_exit(17, "cfe_pending_finish reported success for a child that never ran");
	if (err.err_no != ESRCH || err.location != CFE_LOC_PARENT_DEATH_SIGNAL) {
		fprintf(stderr, "helper: error %d at %u\n", err.err_no, err.location);
		helper_exit(18, "want ESRCH at parent_death_signal");
	}
	if (waitpid(n.start.pid, &status, 0) != n.start.pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 128 + SIGUSR1)
		helper_exit(19, "the child did not exit with 128 + SIGUSR1");
	close(n.notify_fd);
	close(n.start.thread_pidfd);
}

static void test_death_signal_thread_gone_reported(void **state)
{
	(void)state;
	require_root();
	in_helper(thread_gone_body);
}

/* ---- closing stray fds ---- */

/* An inheritable fd (no O_CLOEXEC) at 100. */
static int open_stray(void)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 100), 100);
	close(fd);
	return 100;
}

static void expect_fds(struct cfe_config *c, const char *fds, int stray_seen)
{
	struct probe_result r;

	probe_run(c, NULL, &r);
	if (r.pid <= 0)
		fail_msg("start failed: %s at %s", strerror(r.err.err_no),
			 cfe_location_name(r.err.location));
	if (stray_seen != json_has(r.json, "[100,0]"))
		fail_msg("stray fd 100 %s: %s", stray_seen ? "missing" : "reached the child",
			 r.json);
	if (fds != NULL && !json_has(r.json, fds))
		fail_msg("want %s in %s", fds, r.json);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 0);
	probe_result_free(&r);
}

static void test_close_other_fds(void **state)
{
	const char *exact = "\"fds\":[[0,0],[1,0],[2,0]]";
	struct cfe_config c = probe_config();
	int stray = open_stray();

	(void)state;
	require_root();
	expect_fds(&c, NULL, 1); /* the test can fail */
	c.flags = CFE_FLAG_CLOSE_OTHER_FDS;
	expect_fds(&c, exact, 0);
	c.sync_fn = sync_ok; /* the socket must still work */
	expect_fds(&c, exact, 0);
	c.clone_flags = CLONE_NEWUSER | CLONE_NEWPID;
	expect_fds(&c, exact, 0);
	c.flags |= CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS;
	expect_fds(&c, exact, 0);
	close(stray);
}

/* The files map arrives, the stray fd does not, and an exec_fd without
 * close-on-exec runs the program yet is not inherited. */
static void test_close_other_fds_files_and_exec_fd(void **state)
{
	struct cfe_config c = probe_config();
	int stray = open_stray();
	int32_t files[5];
	int exec_fd;

	(void)state;
	require_root();
	files[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	files[1] = 1;
	files[2] = 2;
	files[3] = -1;
	files[4] = stray;
	c.files = files;
	c.files_len = 5;
	c.flags = CFE_FLAG_CLOSE_OTHER_FDS;
	exec_fd = open(probe_path(), O_RDONLY);
	assert_int_equal(dup2(exec_fd, 120), 120);
	close(exec_fd);
	c.exec_fd = 120;
	/* files[4] = the stray one, given on purpose: fd 4; the report on 5 */
	expect_fds(&c, "\"fds\":[[0,0],[1,0],[2,0],[4,0],[5,0]]", 0);
	c.files_len = 3;
	expect_fds(&c, "\"fds\":[[0,0],[1,0],[2,0],[3,0]]", 0);
	close(120);
	close(files[0]);
	close(stray);
}

/* After pivot_root there is no /proc: the sweep runs before the mounts. */
static void test_close_other_fds_pivot_root(void **state)
{
	char dir[] = "/tmp/cfe-options-XXXXXX";
	char root[64];
	struct cfe_config c = probe_config();
	int stray = open_stray();

	(void)state;
	require_root();
	assert_non_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	c.clone_flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID;
	c.pivot_root = root;
	c.exec_fd = open(probe_path(), O_RDONLY | O_CLOEXEC);
	assert_true(c.exec_fd >= 0);
	c.flags = CFE_FLAG_CLOSE_OTHER_FDS;
	expect_fds(&c, "\"fds\":[[0,0],[1,0],[2,0]]", 0);
	c.sync_fn = sync_ok;
	expect_fds(&c, "\"fds\":[[0,0],[1,0],[2,0]]", 0);
	close(c.exec_fd);
	close(stray);
	assert_int_equal(rmdir(root), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The fallback of a kernel without close_range's CLOSE_RANGE_CLOEXEC, or
 * a container's seccomp profile that refuses it, forced by a filter that
 * answers ENOSYS.  Stray fds at 500, below the soft RLIMIT_NOFILE of 512,
 * and at 900, opened before the limit was lowered to it.  With /proc
 * (read_proc) neither reaches the program; without, the bounded loop's
 * documented miss: 900 does. */
static const char *fallback_start(uint32_t flags, uint32_t uid)
{
	const char *args[] = {probe_path(), "--out-fd", "1"};
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};
	int32_t files[3] = {0, -1, 2};
	int pipefd[2];
	int status;
	char *json;
	int32_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		helper_exit(20, "pipe");
	files[1] = pipefd[1];
	c.args = args;
	c.args_len = 3;
	c.files = files;
	c.files_len = 3;
	c.flags = CFE_FLAG_CLOSE_OTHER_FDS | flags;
	c.uid = uid;
	c.gid = uid;
	pid = cfe_start(&c, &err, NULL);
	close(pipefd[1]);
	if (pid <= 0) {
		fprintf(stderr, "helper: %s at %s\n", strerror(err.err_no),
			cfe_location_name(err.location));
		helper_exit(21, "start failed");
	}
	json = read_to_end(pipefd[0]);
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		helper_exit(22, "the probe failed");
	if (!strstr(json, "[2,0]")) {
		fprintf(stderr, "helper: report %s\n", json);
		helper_exit(23, "no report of the fds");
	}
	return json;
}

static void stray_fds_near_and_above_limit(void)
{
	struct rlimit lim = {.rlim_cur = 1024, .rlim_max = 1024};
	int fd = open("/dev/null", O_RDONLY);

	helper_refuse(SCMP_SYS(close_range), ENOSYS);
	if (syscall(SYS_close_range, 3, ~0u, 4u) != -1 || errno != ENOSYS)
		helper_exit(30, "close_range not refused");
	if (fd < 0 || setrlimit(RLIMIT_NOFILE, &lim) != 0 || dup2(fd, 900) != 900 ||
	    dup2(fd, 500) != 500)
		helper_exit(31, "stray fds");
	close(fd);
	lim.rlim_cur = 512;
	if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
		helper_exit(32, "lower the limit");
}

static void expect_strays(const char *json, int seen500, int seen900, const char *what)
{
	if ((strstr(json, "[500,") != NULL) != seen500 ||
	    (strstr(json, "[900,") != NULL) != seen900) {
		fprintf(stderr, "helper: %s: want fd 500 %s and 900 %s: %s\n", what,
			seen500 ? "open" : "gone", seen900 ? "open" : "gone", json);
		helper_exit(40, "stray fds");
	}
	free((void *)json);
}

static void cloexec_listed_body(void)
{
	stray_fds_near_and_above_limit();
	expect_strays(fallback_start(0, 0), 0, 0, "fallback");
	/* a child that is no longer root and not dumpable reads its own */
	expect_strays(fallback_start(CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS, 65534), 0, 0,
		      "fallback as nobody");
}

static void cloexec_without_proc_body(void)
{
	stray_fds_near_and_above_limit();
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/proc", "tmpfs", 0, NULL) != 0)
		helper_exit(HELPER_SKIP, "skipped: cannot hide /proc in a mount namespace");
	expect_strays(fallback_start(0, 0), 0, 1, "fallback without /proc");
}

static void test_close_other_fds_fallback(void **state)
{
	(void)state;
	require_root();
	in_helper(cloexec_listed_body);
	in_helper(cloexec_without_proc_body);
}

const struct CMUnitTest options_tests[] = {
    cmocka_unit_test(test_pidfd_vfork),
    cmocka_unit_test(test_pidfd_handshake),
    cmocka_unit_test(test_pidfd_legacy_clone),
    cmocka_unit_test(test_pidfd_failure_paths),
    cmocka_unit_test(test_pidfd_untouched_when_struct_refused),
    cmocka_unit_test(test_pidfd_pending),
    cmocka_unit_test(test_death_signal_when_starter_killed),
    cmocka_unit_test(test_death_signal_with_credential),
    cmocka_unit_test(test_death_signal_ignored_or_blocked_by_starter),
    cmocka_unit_test(test_death_signal_pidfd_open_refused),
    cmocka_unit_test(test_no_death_signal_child_survives),
    cmocka_unit_test(test_death_signal_when_thread_ends),
    cmocka_unit_test(test_death_signal_thread_ends_first),
    cmocka_unit_test(test_death_signal_thread_gone_reported),
    cmocka_unit_test(test_close_other_fds),
    cmocka_unit_test(test_close_other_fds_files_and_exec_fd),
    cmocka_unit_test(test_close_other_fds_pivot_root),
    cmocka_unit_test(test_close_other_fds_fallback),
};
const size_t options_tests_len = sizeof(options_tests) / sizeof(options_tests[0]);
