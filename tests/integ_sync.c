/* The handshake, ptrace, stop-before-seccomp and concurrency: when the
 * callback runs, what a child that outlives cfe_start needs, threads, the
 * parent's dumpable flag, the clone3 fallback and leaks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#define REPORT_MAX	 16384
#define MAX_FILTER	 256
#define TRACE_DATA	 42
#define GETPPID_CALLS	 3
#define START_THREADS	 64
#define DUMPABLE_THREADS 32
#define MIXED_STARTS	 200
#define NO_SUCH_PROGRAM	 "/nonexistent/cforkexec-sync-test"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* ---- helpers that never assert, for threads and forked processes ---- */

/* What the sync callback saw of the child and what it does. */
struct sync_record {
	int32_t verdict; /* returned by the callback */
	int signal;	 /* sent to the child before returning; 0 = none */
	int delay_ms;	 /* slept before returning */
	int calls;
	int32_t pid;
	int alive;  /* kill(pid, 0) == 0 */
	char state; /* field 3 of /proc/PID/stat */
	char exe[PATH_MAX];
	unsigned uid_map[3]; /* first line of /proc/PID/uid_map */
};

/* The context pointer the callback last received on this thread. */
static _Thread_local void *last_sync_context;

static void read_proc_exe(int pid, char *out, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, out, cap - 1);
	out[n < 0 ? 0 : n] = '\0';
}

static char read_proc_state(int pid)
{
	char path[64], buf[512];
	const char *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void read_uid_map(int pid, unsigned map[3])
{
	char path[64];
	FILE *f;

	map[0] = map[1] = map[2] = UINT_MAX;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fscanf(f, "%u %u %u", &map[0], &map[1], &map[2]) != 3)
		map[0] = map[1] = map[2] = UINT_MAX;
	fclose(f);
}

static int32_t record_sync(void *context, int32_t pid)
{
	struct sync_record *s = context;

	last_sync_context = context;
	s->calls++;
	s->pid = pid;
	s->alive = kill(pid, 0) == 0;
	s->state = read_proc_state(pid);
	read_proc_exe(pid, s->exe, sizeof(s->exe));
	read_uid_map(pid, s->uid_map);
	if (s->delay_ms > 0) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = s->delay_ms * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (s->signal != 0)
		kill(pid, s->signal);
	return s->verdict;
}

static void use_sync(struct cfe_config *c, struct sync_record *s)
{
	c->sync_fn = record_sync;
	c->sync_context = s;
}

/* One start reporting on a pipe. */
struct run {
	int32_t pid;
	struct cfe_error err;
	int status;
	char json[REPORT_MAX];
};

static size_t read_report(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* Start path (the probe when NULL) with argv {path, --out-fd, 1[, tag]} and
 * files {closed, pipe, 2} under c, read the report to EOF and reap the
 * child.  Returns 0, or -1 when the test's own plumbing failed. */
static int run_probe(struct cfe_config *c, const char *path, const char *tag, struct run *r)
{
	const char *args[] = {path ? path : probe_path(), "--out-fd", "1", tag};
	int32_t files[3];
	int pipefd[2];
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	files[0] = -1;
	files[1] = pipefd[1];
	files[2] = 2;
	c->args = args;
	c->args_len = tag ? 4 : 3;
	c->files = files;
	c->files_len = 3;
	r->pid = cfe_start(c, &r->err, NULL);
	close(pipefd[1]);
	read_report(pipefd[0], r->json, sizeof(r->json));
	close(pipefd[0]);
	if (r->pid > 0 && waitpid(r->pid, &r->status, 0) != r->pid)
		ret = -1;
	c->args = NULL;
	c->args_len = 0;
	c->files = NULL;
	c->files_len = 0;
	return ret;
}

static int exited_zero(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int same_error(const struct cfe_error *e, int err_no, uint32_t location)
{
	return e->err_no == err_no && e->location == location && e->index == 0;
}

/* ---- helpers for the main thread ---- */

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	const struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}

static void assert_reaped_and_gone(int pid)
{
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
	assert_false(pid_exists(pid));
}

static void assert_run_error(const struct run *r, int err_no, uint32_t location)
{
	assert_int_equal(r->pid, -1);
	assert_int_equal(r->err.err_no, err_no);
	assert_int_equal(r->err.location, location);
	assert_int_equal(r->err.index, 0);
}

static void assert_run_ok(const struct run *r)
{
	assert_true(r->pid > 0);
	assert_true(exited_zero(r->status));
	assert_int_equal(json_int(r->json, "pid"), r->pid);
}

static void wait_status(int pid, int *status, int options)
{
	int r;

	do
		r = waitpid(pid, status, options);
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, pid);
}

static void canonical_path(const char *path, char *out)
{
	assert_non_null(realpath(path, out));
}

static void self_exe(char *out)
{
	read_proc_exe(getpid(), out, PATH_MAX);
	assert_true(out[0] == '/');
}

static int dumpable(void)
{
	return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/* A start that stops itself before execve, checked to be stopped. */
struct stopped {
	int32_t pid;
	struct cfe_pending *pending;
	int report_fd; /* read end of the pipe the probe reports on */
};

static void start_stopped(struct cfe_config *c, const char *path, struct stopped *s)
{
	const char *args[] = {path ? path : probe_path(), "--out-fd", "1"};
	struct cfe_error err;
	int32_t files[3];
	int pipefd[2];
	int status;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	files[0] = -1;
	files[1] = pipefd[1];
	files[2] = 2;
	c->args = args;
	c->args_len = 3;
	c->files = files;
	c->files_len = 3;
	c->flags |= CFE_FLAG_STOP_BEFORE_SECCOMP;
	s->pending = NULL;
	s->pid = cfe_start(c, &err, &s->pending);
	close(pipefd[1]);
	s->report_fd = pipefd[0];
	/* The library copied what the child needs: ours may go now. */
	c->args = NULL;
	c->files = NULL;
	if (s->pid < 0)
		fail_msg("cfe_start: errno %d at %s", err.err_no, cfe_location_name(err.location));
	assert_non_null(s->pending);
	wait_status(s->pid, &status, WUNTRACED);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(WSTOPSIG(status), SIGSTOP);
}

/* SIGCONT the stopped child, let cfe_pending_finish see its exec (0) or
 * failure (-1, *err), read its report and reap it. */
static int32_t continue_stopped(struct stopped *s, struct cfe_error *err, char *json, size_t cap,
				int *status)
{
	int32_t r;

	assert_int_equal(kill(s->pid, SIGCONT), 0);
	r = cfe_pending_finish(s->pending, err);
	s->pending = NULL;
	read_report(s->report_fd, json, cap);
	close(s->report_fd);
	wait_status(s->pid, status, 0);
	return r;
}

/* A filter that allows everything but one system call, which gets action. */
static uint32_t one_rule_filter(uint32_t action, int syscall_nr, struct cfe_bpf_insn *out,
				size_t cap)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	assert_non_null(ctx);
	assert_int_equal(seccomp_rule_add(ctx, action, syscall_nr, 0), 0);
	return export_filter(ctx, out, cap);
}

/* Allows everything but traces getppid with TRACE_DATA. */
static uint32_t trace_getppid_filter(struct cfe_bpf_insn *out, size_t cap)
{
	return one_rule_filter(SCMP_ACT_TRACE(TRACE_DATA), SCMP_SYS(getppid), out, cap);
}

static int tracer_of(int pid)
{
	char path[64], line[256];
	int tracer = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return tracer;
}

static int is_event(int status, int event)
{
	return WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (event << 8));
}

/* ---- 1..3: the sync callback ---- */

/* With CLONE_VM the child in the callback is still the test binary; once
 * cfe_start has returned it is the probe. */
static void test_sync_sees_child_before_exec(void **state)
{
	const char *args[] = {probe_path(), "--sleep", "10000"};
	struct cfe_config c = probe_config();
	struct sync_record s = {0};
	char own_exe[PATH_MAX], probe_exe[PATH_MAX], after[PATH_MAX];
	struct cfe_error err;
	int32_t pid;
	int status;

	(void)state;
	require_root();
	self_exe(own_exe);
	canonical_path(probe_path(), probe_exe);
	c.args = args;
	c.args_len = 3;
	use_sync(&c, &s);
	last_sync_context = NULL;
	pid = cfe_start(&c, &err, NULL);
	assert_true(pid > 0);
	read_proc_exe(pid, after, sizeof(after));
	assert_int_equal(kill(pid, SIGKILL), 0);
	wait_status(pid, &status, 0);

	assert_int_equal(s.calls, 1);
	assert_ptr_equal(last_sync_context, &s);
	assert_int_equal(s.pid, pid);
	assert_true(s.alive);
	assert_string_equal(s.exe, own_exe);
	assert_string_equal(after, probe_exe);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void check_refusal(int32_t verdict, int expected_errno)
{
	struct cfe_config c = probe_config();
	struct sync_record s = {.verdict = verdict};
	struct probe_result r;

	use_sync(&c, &s);
	probe_run(&c, NULL, &r);
	assert_child_error(&r, expected_errno, CFE_LOC_SYNC_CALLBACK, 0);
	/* The child never reached its execve. */
	assert_string_equal(r.json, "");
	assert_int_equal(s.calls, 1);
	assert_reaped_and_gone(s.pid);
	probe_result_free(&r);
}

static void test_sync_refusal_kills_and_reaps(void **state)
{
	(void)state;
	require_root();
	check_refusal(42, 42);
	check_refusal(EPERM, EPERM);
	/* Not an errno: the header promises ECANCELED. */
	check_refusal(-1, ECANCELED);
	assert_no_children();
}

static void test_sync_with_userns_and_cgroup_unshare(void **state)
{
	struct cfe_config c = probe_config();
	struct sync_record s = {0};
	struct probe_result r;

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	c.flags = CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC;
	use_sync(&c, &s);
	probe_run(&c, NULL, &r);
	if (r.pid < 0)
		fail_msg("cfe_start: errno %d at %s", r.err.err_no,
			 cfe_location_name(r.err.location));
	assert_true(exited_zero(r.status));
	/* The parent wrote the default map before the callback ran. */
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.pid, r.pid);
	assert_int_equal(s.uid_map[0], 0);
	assert_int_equal(s.uid_map[1], geteuid());
	assert_int_equal(s.uid_map[2], 1);
	assert_true(json_has(r.json, "\"uid\":[0,0,0]"));
	assert_true((unsigned long long)json_int(r.json, "user") != self_ns_inode("user"));
	assert_true((unsigned long long)json_int(r.json, "cgroup") != self_ns_inode("cgroup"));
	probe_result_free(&r);
}

/* ---- 4..7: children that outlive cfe_start ---- */

/* SPEC §3 steps 18-20: handshake, PTRACE_TRACEME, SIGSTOP, then the filter
 * is loaded under our eyes; this thread is the tracer. */
static void run_traced_seccomp(int with_sync)
{
	const char *args[] = {probe_path(), "--getppid-loop", "3"};
	struct cfe_bpf_insn filter[MAX_FILTER];
	struct cfe_config c = probe_config();
	struct sync_record s = {0};
	struct cfe_pending *pending = NULL;
	struct cfe_error err = {0};
	int execs = 0, seccomps = 0, seccomps_before_exec = 0;
	int32_t pid;
	int status;

	c.args = args;
	c.args_len = 3;
	c.flags = CFE_FLAG_PTRACE;
	c.seccomp = filter;
	c.seccomp_len = trace_getppid_filter(filter, MAX_FILTER);
	if (with_sync)
		use_sync(&c, &s);
	pid = cfe_start(&c, &err, &pending);
	if (pid < 0)
		fail_msg("cfe_start: errno %d at %s", err.err_no, cfe_location_name(err.location));
	assert_non_null(pending);
	if (with_sync) {
		assert_int_equal(s.calls, 1);
		assert_int_equal(s.pid, pid);
		/* Called before the stop, while the child waited for the ack. */
		assert_true(s.state != 'T' && s.state != 't' && s.state != '?');
	}
	wait_status(pid, &status, __WALL);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(WSTOPSIG(status), SIGSTOP);
	assert_int_equal(tracer_of(pid), (int)syscall(SYS_gettid));
	assert_int_equal(ptrace(PTRACE_SETOPTIONS, pid, 0,
				PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL),
			 0);
	assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	for (;;) {
		int deliver = 0;

		wait_status(pid, &status, __WALL);
		if (!WIFSTOPPED(status))
			break;
		if (is_event(status, PTRACE_EVENT_EXEC)) {
			execs++;
		} else if (is_event(status, PTRACE_EVENT_SECCOMP)) {
			unsigned long msg = 0;

			assert_int_equal(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), 0);
			assert_int_equal(msg, TRACE_DATA);
			seccomps++;
			seccomps_before_exec += execs == 0;
		} else {
			deliver = WSTOPSIG(status);
		}
		assert_int_equal(ptrace(PTRACE_CONT, pid, 0, deliver), 0);
	}
	assert_true(exited_zero(status));
	assert_int_equal(execs, 1);
	assert_int_equal(seccomps, GETPPID_CALLS);
	assert_int_equal(seccomps_before_exec, 0);
	assert_int_equal(cfe_pending_finish(pending, &err), 0);
	if (with_sync)
		assert_int_equal(s.calls, 1);
}

static void test_ptrace_seccomp(void **state)
{
	(void)state;
	require_root();
	run_traced_seccomp(0);
}

static void test_ptrace_seccomp_with_sync(void **state)
{
	(void)state;
	require_root();
	run_traced_seccomp(1);
}

static void test_ptrace_without_seccomp(void **state)
{
	const char *args[] = {probe_path(), "--out-fd", "1"};
	struct cfe_config c = probe_config();
	/* Any non-NULL value: cfe_start must overwrite it with NULL. */
	struct cfe_pending *pending = (struct cfe_pending *)&c;
	char probe_exe[PATH_MAX], exe[PATH_MAX], json[REPORT_MAX];
	struct cfe_error err;
	int32_t files[3];
	int pipefd[2];
	int32_t pid;
	int status;

	(void)state;
	require_root();
	canonical_path(probe_path(), probe_exe);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	files[0] = -1;
	files[1] = pipefd[1];
	files[2] = 2;
	c.args = args;
	c.args_len = 3;
	c.files = files;
	c.files_len = 3;
	c.flags = CFE_FLAG_PTRACE;
	pid = cfe_start(&c, &err, &pending);
	close(pipefd[1]);
	assert_true(pid > 0);
	assert_null(pending);
	/* The legacy SIGTRAP after a traced execve. */
	wait_status(pid, &status, 0);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(WSTOPSIG(status), SIGTRAP);
	assert_int_equal(tracer_of(pid), (int)syscall(SYS_gettid));
	read_proc_exe(pid, exe, sizeof(exe));
	assert_string_equal(exe, probe_exe);
	assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	wait_status(pid, &status, 0);
	read_report(pipefd[0], json, sizeof(json));
	close(pipefd[0]);
	assert_true(exited_zero(status));
	assert_int_equal(json_int(json, "pid"), pid);
	assert_int_equal(json_int(json, "seccomp"), 0);
}

static void test_stop_before_seccomp(void **state)
{
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};
	char json[REPORT_MAX];
	struct pollfd pfd;
	struct stopped s;
	int status;

	(void)state;
	require_root();
	start_stopped(&c, NULL, &s);
	pfd = (struct pollfd){.fd = cfe_pending_fd(s.pending), .events = POLLIN};
	assert_true(pfd.fd >= 0);
	/* Stopped before its execve: nothing to read yet. */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(kill(s.pid, SIGCONT), 0);
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(continue_stopped(&s, &err, json, sizeof(json), &status), 0);
	assert_true(exited_zero(status));
	assert_int_equal(json_int(json, "pid"), s.pid);
	assert_int_equal(json_int(json, "seccomp"), 0);
}

static void test_stop_before_seccomp_needs_pending(void **state)
{
	const char *args[] = {probe_path()};
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};

	(void)state;
	require_root();
	c.args = args;
	c.args_len = 1;
	c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	assert_int_equal(cfe_start(&c, &err, NULL), -1);
	assert_int_equal(err.err_no, EINVAL);
	assert_int_equal(err.location, CFE_LOC_NONE);
	assert_int_equal(err.index, 0);
	assert_no_children();
	/* Refused before it opened anything: it closed nothing of ours. */
	for (int fd = 0; fd < 3; fd++)
		assert_true(fcntl(fd, F_GETFD) >= 0);
}

static void test_pending_child_fails_after_start(void **state)
{
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};
	char json[REPORT_MAX];
	struct stopped s;
	int status;

	(void)state;
	require_root();
	start_stopped(&c, NO_SUCH_PROGRAM, &s);
	assert_int_equal(continue_stopped(&s, &err, json, sizeof(json), &status), -1);
	assert_int_equal(err.err_no, ENOENT);
	assert_int_equal(err.location, CFE_LOC_EXECVE);
	assert_int_equal(err.index, 0);
	/* cfe_pending_finish left it for us to reap (continue_stopped did). */
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_string_equal(json, "");
}

/* ---- 8..9: threads and the dumpable flag ---- */

enum start_mode {
	MODE_PLAIN,
	MODE_USERNS_SYNC,
	MODE_CREDENTIAL,
	/* a credential start whose handshake is slow, to overlap others */
	MODE_CREDENTIAL_SLOW_SYNC,
};

/* test_threads_start_at_once cycles through the first three modes. */
#define MIXED_MODES 3

struct worker {
	pthread_t thread;
	pthread_barrier_t *barrier;
	int index;
	enum start_mode mode;
	unsigned long long host_user_ns;
	struct sync_record sync;
	struct run run;
	const char *problem; /* NULL when every check passed */
};

static const char *worker_check(struct worker *w)
{
	char tag[32], user_ns[64];

	snprintf(tag, sizeof(tag), "\"thread-%d\"", w->index);
	snprintf(user_ns, sizeof(user_ns), "\"user\":%llu,", w->host_user_ns);
	if (w->run.pid < 0)
		return "cfe_start failed";
	if (!exited_zero(w->run.status))
		return "probe did not exit 0";
	if (!json_has(w->run.json, tag))
		return "report lacks the thread's argument";
	switch (w->mode) {
	case MODE_USERNS_SYNC:
		if (w->sync.calls != 1 || w->sync.pid != w->run.pid)
			return "callback not called once with the pid";
		if (json_has(w->run.json, user_ns))
			return "not in a new user namespace";
		return json_has(w->run.json, "\"uid\":[0,0,0]") ? NULL
								: "not root in the namespace";
	case MODE_CREDENTIAL:
	case MODE_CREDENTIAL_SLOW_SYNC:
		return json_has(w->run.json, "\"uid\":[65534,65534,65534]") ? NULL
									    : "uid not 65534";
	default:
		return NULL;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct cfe_config c = probe_config();
	char tag[32];

	snprintf(tag, sizeof(tag), "thread-%d", w->index);
	if (w->mode == MODE_USERNS_SYNC) {
		c.clone_flags = CLONE_NEWUSER;
		use_sync(&c, &w->sync);
	} else if (w->mode == MODE_CREDENTIAL || w->mode == MODE_CREDENTIAL_SLOW_SYNC) {
		c.flags = CFE_FLAG_CREDENTIAL;
		c.uid = 65534;
		c.gid = 65534;
	}
	if (w->mode == MODE_CREDENTIAL_SLOW_SYNC) {
		w->sync.delay_ms = 5;
		use_sync(&c, &w->sync);
	}
	pthread_barrier_wait(w->barrier);
	if (run_probe(&c, NULL, tag, &w->run) != 0)
		w->problem = "waitpid failed";
	else
		w->problem = worker_check(w);
	return NULL;
}

/* n threads released at once by a barrier; mode(i) picks each one's start. */
static void run_workers(int n, enum start_mode (*mode)(int))
{
	struct worker *w = calloc((size_t)n, sizeof(*w));
	pthread_barrier_t barrier;

	assert_non_null(w);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		w[i].barrier = &barrier;
		w[i].index = i;
		w[i].mode = mode(i);
		w[i].host_user_ns = self_ns_inode("user");
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
	pthread_barrier_destroy(&barrier);
	for (int i = 0; i < n; i++)
		if (w[i].problem != NULL)
			fail_msg("thread %d (mode %d): %s; errno %d at %s; report %s", i, w[i].mode,
				 w[i].problem, w[i].run.err.err_no,
				 cfe_location_name(w[i].run.err.location), w[i].run.json);
	free(w);
}

static enum start_mode mixed_mode(int i)
{
	return (enum start_mode)(i % MIXED_MODES);
}

static enum start_mode slow_credential_mode(int i)
{
	(void)i;
	return MODE_CREDENTIAL_SLOW_SYNC;
}

static void test_threads_start_at_once(void **state)
{
	int fds;

	(void)state;
	require_root();
	fds = count_open_fds();
	run_workers(START_THREADS, mixed_mode);
	assert_int_equal(count_open_fds(), fds);
	assert_no_children();
}

static void set_credential(struct cfe_config *c)
{
	c->flags |= CFE_FLAG_CREDENTIAL;
	c->uid = 65534;
	c->gid = 65534;
}

/* SPEC §6: a CLONE_VM child's setuid clears the shared mm's dumpable flag;
 * the library must give the parent its value back. */
static void test_dumpable_restored(void **state)
{
	struct cfe_config c = probe_config();
	struct sync_record refuse = {.verdict = EPERM};
	struct cfe_error err = {0};
	char json[REPORT_MAX];
	struct stopped s;
	struct run r;
	int status;

	(void)state;
	require_root();
	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);

	set_credential(&c);
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	assert_run_ok(&r);
	assert_true(json_has(r.json, "\"uid\":[65534,65534,65534]"));
	assert_int_equal(dumpable(), 1);

	run_workers(DUMPABLE_THREADS, slow_credential_mode);
	assert_int_equal(dumpable(), 1);

	assert_int_equal(run_probe(&c, NO_SUCH_PROGRAM, NULL, &r), 0);
	assert_run_error(&r, ENOENT, CFE_LOC_EXECVE);
	assert_int_equal(dumpable(), 1);
	use_sync(&c, &refuse);
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	assert_run_error(&r, EPERM, CFE_LOC_SYNC_CALLBACK);
	assert_int_equal(dumpable(), 1);
	c.sync_fn = NULL;

	start_stopped(&c, NULL, &s);
	assert_int_equal(continue_stopped(&s, &err, json, sizeof(json), &status), 0);
	assert_true(exited_zero(status));
	assert_int_equal(dumpable(), 1);
	c.flags &= ~(uint32_t)CFE_FLAG_STOP_BEFORE_SECCOMP;

	/* The value from before the start comes back, not a hard-coded 1. */
	assert_int_equal(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	assert_int_equal(dumpable(), 0);
	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	assert_run_ok(&r);
	assert_no_children();
}

/* ---- 10: clone3 filtered out ---- */

enum fallback_exit {
	FALLBACK_OK,
	FALLBACK_NO_FILTER,
	FALLBACK_FILTER_INEFFECTIVE,
	FALLBACK_PLAIN_FAILED,
	FALLBACK_USERNS_FAILED,
	FALLBACK_CGROUP_NOT_ENOSYS,
};

static int deny_clone3(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ok;

	if (ctx == NULL)
		return -1;
	/* libseccomp sets no_new_privs by default (SCMP_FLTATR_CTL_NNP). */
	ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) == 0 &&
	     seccomp_load(ctx) == 0;
	seccomp_release(ctx);
	return ok ? 0 : -1;
}

/* Runs in a forked child: no cmocka here, the exit code says what failed. */
static int fallback_child(void)
{
	struct cfe_config c = probe_config();
	struct sync_record s = {0};
	struct run run;
	struct run *r = &run;
	int cgroup_fd;

	if (deny_clone3() != 0)
		return FALLBACK_NO_FILTER;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return FALLBACK_FILTER_INEFFECTIVE;
	if (run_probe(&c, NULL, "plain", r) != 0 || r->pid < 0 || !exited_zero(r->status) ||
	    !json_has(r->json, "\"plain\""))
		return FALLBACK_PLAIN_FAILED;
	c.clone_flags = CLONE_NEWUSER;
	use_sync(&c, &s);
	if (run_probe(&c, NULL, "userns", r) != 0 || r->pid < 0 || !exited_zero(r->status) ||
	    !json_has(r->json, "\"userns\"") || s.calls != 1 || s.pid != r->pid)
		return FALLBACK_USERNS_FAILED;
	c = probe_config();
	cgroup_fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_fd < 0)
		cgroup_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c.cgroup_fd = cgroup_fd;
	/* CLONE_INTO_CGROUP exists only in clone3: no fallback. */
	if (run_probe(&c, NULL, NULL, r) != 0 || !same_error(&r->err, ENOSYS, CFE_LOC_CLONE) ||
	    r->pid != -1)
		return FALLBACK_CGROUP_NOT_ENOSYS;
	close(cgroup_fd);
	return FALLBACK_OK;
}

static void test_clone3_filtered_falls_back(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	require_root();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fallback_child());
	wait_status(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), FALLBACK_OK);
}

/* ---- 11..12: leaks, signal handlers ---- */

static void one_mixed_start(int kind)
{
	struct cfe_rlimit bad_limit = {.resource = 999, .cur = 1, .max = 1};
	struct sync_record s = {.verdict = kind == 2 ? 7 : 0};
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};
	char json[REPORT_MAX];
	struct stopped st;
	struct run r;
	int status;

	switch (kind) {
	case 0:
		assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
		assert_run_ok(&r);
		break;
	case 1:
		assert_int_equal(run_probe(&c, NO_SUCH_PROGRAM, NULL, &r), 0);
		assert_run_error(&r, ENOENT, CFE_LOC_EXECVE);
		break;
	case 2:
		use_sync(&c, &s);
		assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
		assert_run_error(&r, 7, CFE_LOC_SYNC_CALLBACK);
		break;
	case 3:
		c.clone_flags = CLONE_NEWUSER;
		use_sync(&c, &s);
		assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
		assert_run_ok(&r);
		break;
	case 4:
		start_stopped(&c, NULL, &st);
		assert_int_equal(continue_stopped(&st, &err, json, sizeof(json), &status), 0);
		assert_true(exited_zero(status));
		break;
	case 5:
		c.rlimits = &bad_limit;
		c.rlimits_len = 1;
		assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
		assert_run_error(&r, EINVAL, CFE_LOC_SETRLIMIT);
		break;
	case 6:
		c.clone_flags = CLONE_NEWUSER;
		assert_int_equal(run_probe(&c, NO_SUCH_PROGRAM, NULL, &r), 0);
		assert_run_error(&r, ENOENT, CFE_LOC_EXECVE);
		break;
	default:
		/* refused before any child exists */
		c.pad0 = 1;
		assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
		assert_run_error(&r, EINVAL, CFE_LOC_NONE);
		break;
	}
}

static void test_no_leaks_over_mixed_starts(void **state)
{
	int fds;

	(void)state;
	require_root();
	fds = count_open_fds();
	for (int i = 0; i < MIXED_STARTS; i++)
		one_mixed_start(i % 8);
	assert_int_equal(count_open_fds(), fds);
	assert_no_children();
}

static volatile sig_atomic_t usr1_handled;

static void count_usr1(int sig)
{
	(void)sig;
	usr1_handled++;
}

/* The child runs in our memory: a handler of ours run there would corrupt
 * it.  It resets them, so SIGUSR1 kills it instead.  The child then dies
 * without an error record, which the parent cannot tell from an execve
 * (EOF on the socket): like the reference, cfe_start reports success with
 * a pid that is already dead. */
static void test_child_does_not_run_our_handlers(void **state)
{
	struct sigaction sa = {.sa_handler = count_usr1}, old;
	struct sync_record s = {.signal = SIGUSR1};
	struct cfe_config c = probe_config();
	int handled_during_start, handled_by_us;
	sigset_t usr1, old_mask;
	struct run r;

	(void)state;
	require_root();
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &usr1, &old_mask), 0);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	usr1_handled = 0;
	use_sync(&c, &s);
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	handled_during_start = usr1_handled;
	/* The handler was live in this thread all along. */
	assert_int_equal(raise(SIGUSR1), 0);
	handled_by_us = usr1_handled - handled_during_start;
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old_mask, NULL), 0);

	assert_int_equal(handled_during_start, 0);
	assert_int_equal(handled_by_us, 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(r.pid, s.pid);
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGUSR1);
	assert_string_equal(r.json, "");
}

/* Kills the process at its first write. */
static uint32_t kill_on_write_filter(struct cfe_bpf_insn *out, size_t cap)
{
	return one_rule_filter(SCMP_ACT_KILL_PROCESS, SCMP_SYS(write), out, cap);
}

/* The filter is loaded before the handshake, so it kills the child at its
 * "ready": the child dies owing us a report, and the start fails with
 * EPIPE (the reference's answer) instead of returning a dead pid. */
static void test_child_killed_before_ready(void **state)
{
	struct cfe_bpf_insn filter[64];
	struct sync_record s = {.verdict = 0};
	struct cfe_config c = probe_config();
	struct run r;

	(void)state;
	require_root();
	c.seccomp = filter;
	c.seccomp_len = kill_on_write_filter(filter, 64);
	use_sync(&c, &s);
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	assert_run_error(&r, EPIPE, CFE_LOC_CHILD_DIED);
	assert_int_equal(s.calls, 0);
	assert_no_children();
}

/* A child that will stop reports its setup first: a failed step is a
 * failed start, not a pid whose first wait shows an exit. */
static void test_stopping_child_reports_setup_failure(void **state)
{
	struct cfe_bpf_insn filter[1] = {{.code = 0x06, .k = 0x7fff0000}}; /* RET ALLOW */
	const char *args[] = {probe_path(), "--exit", "0"};

	(void)state;
	require_root();
	for (int ptrace = 0; ptrace <= 1; ptrace++) {
		struct cfe_config c = probe_config();
		struct cfe_pending *pending = (struct cfe_pending *)&c; /* must be reset */
		struct cfe_error err;

		c.args = args;
		c.args_len = 3;
		c.workdir = "/nonexistent-workdir";
		if (ptrace) {
			c.flags = CFE_FLAG_PTRACE;
			c.seccomp = filter;
			c.seccomp_len = 1;
		} else {
			c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
		}
		assert_int_equal(cfe_start(&c, &err, &pending), -1);
		assert_true(same_error(&err, ENOENT, CFE_LOC_CHDIR));
		assert_null(pending);
		assert_no_children();
	}
}

/* Stopping before a handshake that the caller could never let happen (it
 * does not know the pid to continue) is refused up front. */
static void test_stop_before_sync_refused(void **state)
{
	const char *args[] = {probe_path(), "--exit", "0"};
	struct sync_record s = {.verdict = 0};
	struct cfe_config c = probe_config();
	struct cfe_pending *pending = NULL;
	struct cfe_error err;

	(void)state;
	require_root();
	c.args = args;
	c.args_len = 3;
	c.flags = CFE_FLAG_STOP_BEFORE_SECCOMP;
	use_sync(&c, &s);
	assert_int_equal(cfe_start(&c, &err, &pending), -1);
	assert_true(same_error(&err, EINVAL, CFE_LOC_NONE));
	assert_int_equal(s.calls, 0);
	assert_no_children();
}

struct hook_record {
	int calls;
	pthread_t thread;
	int when; /* event_clock at the last call */
};

static int event_clock; /* orders the hook and the sync callback */

static void record_hook(void *context)
{
	struct hook_record *h = context;

	h->calls++;
	h->thread = pthread_self();
	h->when = ++event_clock;
}

static int32_t order_sync(void *context, int32_t pid)
{
	(void)pid;
	*(int *)context = ++event_clock;
	return 0;
}

/* The clone hook runs once, on the calling thread, whether the clone
 * worked or not, and before the handshake (the sync callback). */
static void test_clone_hook(void **state)
{
	struct hook_record h = {.calls = 0};
	struct cfe_config c = probe_config();
	int32_t files[10];
	int sync_when = 0;
	struct run r;
	int devnull;

	(void)state;
	require_root();
	c.clone_hook = record_hook;
	c.clone_hook_context = &h;
	c.clone_flags = CLONE_NEWUSER;
	c.sync_fn = order_sync;
	c.sync_context = &sync_when;
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	assert_run_ok(&r);
	assert_int_equal(h.calls, 1);
	assert_true(pthread_equal(h.thread, pthread_self()));
	assert_true(h.when < sync_when);

	/* A clone that fails: cgroup_fd that is not a cgroup directory. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(devnull >= 0);
	c = probe_config();
	c.clone_hook = record_hook;
	c.clone_hook_context = &h;
	c.cgroup_fd = devnull;
	assert_int_equal(run_probe(&c, NULL, NULL, &r), 0);
	assert_int_equal(r.pid, -1);
	assert_int_equal(r.err.location, CFE_LOC_CLONE);
	assert_int_equal(h.calls, 2);

	/* No clone at all: an fd of files that cannot be copied. */
	for (int i = 0; i < 10; i++)
		files[i] = -1;
	assert_true(devnull < 9);
	files[9] = devnull;
	close(devnull); /* now a closed fd below its place */
	c = probe_config();
	c.clone_hook = record_hook;
	c.clone_hook_context = &h;
	c.args = (const char *const[]){probe_path()};
	c.args_len = 1;
	c.files = files;
	c.files_len = 10;
	assert_int_equal(cfe_start(&c, &r.err, NULL), -1);
	assert_true(same_error(&r.err, EBADF, CFE_LOC_DUP3));
	assert_int_equal(h.calls, 3);
	assert_no_children();
}

/* ---- CFE_FLAG_RETURN_BEFORE_EXEC ---- */

/* A start that returns before the child's execve, with its pending handle
 * and the read end of the pipe the probe reports on. */
struct returned {
	int32_t pid;
	struct cfe_pending *pending;
	int report_fd;
	struct cfe_error err;
};

static void start_returning(struct cfe_config *c, const char *path, struct returned *r)
{
	const char *args[] = {path ? path : probe_path(), "--out-fd", "1"};
	int32_t files[3];
	int pipefd[2];

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	files[0] = -1;
	files[1] = pipefd[1];
	files[2] = 2;
	c->args = args;
	c->args_len = 3;
	c->files = files;
	c->files_len = 3;
	c->flags |= CFE_FLAG_RETURN_BEFORE_EXEC;
	r->pending = NULL;
	r->pid = cfe_start(c, &r->err, &r->pending);
	close(pipefd[1]);
	r->report_fd = pipefd[0];
	c->args = NULL;
	c->files = NULL;
	if (r->pid < 0)
		fail_msg("cfe_start: errno %d at %s", r->err.err_no,
			 cfe_location_name(r->err.location));
	assert_non_null(r->pending);
}

/* Wait for the exec as an event loop would (poll the handle's fd), then
 * finish, read the report and reap. */
static int32_t finish_returned(struct returned *r, char *json, size_t cap, int *status)
{
	struct pollfd pfd = {.fd = cfe_pending_fd(r->pending), .events = POLLIN};
	int32_t result;

	assert_true(pfd.fd >= 0);
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	result = cfe_pending_finish(r->pending, &r->err);
	r->pending = NULL;
	if (result != 0)
		kill(r->pid, SIGKILL);
	read_report(r->report_fd, json, cap);
	close(r->report_fd);
	wait_status(r->pid, status, 0);
	return result;
}

static void test_return_before_exec(void **state)
{
	struct cfe_config c = probe_config();
	char json[REPORT_MAX];
	struct returned r;
	int status;

	(void)state;
	require_root();
	start_returning(&c, NULL, &r);
	assert_int_equal(finish_returned(&r, json, sizeof(json), &status), 0);
	assert_true(exited_zero(status));
	assert_int_equal(json_int(json, "pid"), r.pid);
	assert_no_children();
}

static void test_return_before_exec_failure(void **state)
{
	struct cfe_config c = probe_config();
	char json[REPORT_MAX];
	struct returned r;
	int status;

	(void)state;
	require_root();
	start_returning(&c, NO_SUCH_PROGRAM, &r);
	assert_int_equal(finish_returned(&r, json, sizeof(json), &status), -1);
	assert_true(same_error(&r.err, ENOENT, CFE_LOC_EXECVE));
	assert_string_equal(json, "");
	assert_no_children();
}

static void test_return_before_exec_after_handshake(void **state)
{
	struct cfe_config c = probe_config();
	struct sync_record rec = {0};
	char json[REPORT_MAX];
	struct returned r;
	int status;

	(void)state;
	require_root();
	use_sync(&c, &rec);
	c.clone_flags = CLONE_NEWUSER;
	start_returning(&c, NULL, &r);
	assert_int_equal(rec.calls, 1);
	assert_int_equal(rec.pid, r.pid);
	assert_int_equal(finish_returned(&r, json, sizeof(json), &status), 0);
	assert_true(exited_zero(status));
	/* Root in its namespace, mapped to us by the parent before it returned. */
	assert_true(json_has(json, "\"uid\":[0,0,0]"));
	assert_int_equal(rec.uid_map[1], geteuid());
	assert_no_children();
}

static void test_return_before_exec_needs_pending(void **state)
{
	const char *args[] = {probe_path()};
	struct cfe_config c = probe_config();
	struct cfe_error err = {0};

	(void)state;
	require_root();
	c.args = args;
	c.args_len = 1;
	c.flags = CFE_FLAG_RETURN_BEFORE_EXEC;
	assert_int_equal(cfe_start(&c, &err, NULL), -1);
	assert_true(same_error(&err, EINVAL, CFE_LOC_NONE));
	assert_no_children();
}

const struct CMUnitTest sync_tests[] = {
    cmocka_unit_test(test_child_killed_before_ready),
    cmocka_unit_test(test_stopping_child_reports_setup_failure),
    cmocka_unit_test(test_stop_before_sync_refused),
    cmocka_unit_test(test_clone_hook),
    cmocka_unit_test(test_sync_sees_child_before_exec),
    cmocka_unit_test(test_sync_refusal_kills_and_reaps),
    cmocka_unit_test(test_sync_with_userns_and_cgroup_unshare),
    cmocka_unit_test(test_ptrace_seccomp),
    cmocka_unit_test(test_ptrace_seccomp_with_sync),
    cmocka_unit_test(test_ptrace_without_seccomp),
    cmocka_unit_test(test_stop_before_seccomp),
    cmocka_unit_test(test_stop_before_seccomp_needs_pending),
    cmocka_unit_test(test_pending_child_fails_after_start),
    cmocka_unit_test(test_threads_start_at_once),
    cmocka_unit_test(test_dumpable_restored),
    cmocka_unit_test(test_clone3_filtered_falls_back),
    cmocka_unit_test(test_no_leaks_over_mixed_starts),
    cmocka_unit_test(test_child_does_not_run_our_handlers),
    cmocka_unit_test(test_return_before_exec),
    cmocka_unit_test(test_return_before_exec_failure),
    cmocka_unit_test(test_return_before_exec_after_handshake),
    cmocka_unit_test(test_return_before_exec_needs_pending),
};
const size_t sync_tests_len = sizeof(sync_tests) / sizeof(sync_tests[0]);
