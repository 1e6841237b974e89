/* Integration tests of the seccomp policy builder (cforkexec_seccomp.h):
 * programs it exported, loaded by real starts of the probe, allow, fail
 * with the errno asked, stop for the tracer and kill as their policy says;
 * the judge default runs the probe to its exit, and the judge lists run
 * tests/policy_prog.c's ordinary programs and kill its hostile ones. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cforkexec_seccomp.h"
#include "children.h"
#include "support.h"

#define TRACE_DATA    42
#define GETPPID_CALLS 3

/* A policy of default with one rule (action for name, when name is not
 * NULL) and, when judge, the judge defaults; exported into c. */
static void use_policy(struct cfe_config *c, uint32_t default_action, int judge, uint32_t action,
		       const char *name)
{
	struct cfe_seccomp *p = cfe_seccomp_new(default_action);
	struct cfe_bpf_insn *insns = NULL;
	uint32_t len = 0;

	assert_non_null(p);
	if (judge)
		assert_int_equal(cfe_seccomp_add_judge_defaults(p), 0);
	if (name != NULL)
		assert_int_equal(cfe_seccomp_add(p, action, name), 0);
	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	cfe_seccomp_free(p);
	c->seccomp = insns;
	c->seccomp_len = len;
}

static void drop_policy(struct cfe_config *c)
{
	cfe_seccomp_free_program((struct cfe_bpf_insn *)c->seccomp);
	c->seccomp = NULL;
	c->seccomp_len = 0;
}

static void assert_started(const struct probe_result *r)
{
	if (r->pid < 0)
		fail_msg("cfe_start: errno %d at %s", r->err.err_no,
			 cfe_location_name(r->err.location));
}

/* The judge default with a killing default runs the probe to the exit
 * status it asks for: everything a static C program does from its start to
 * exit_group is on the list (any other call would show as SIGSYS). */
static void test_judge_default_runs_probe(void **state)
{
	static const char *const exit7[] = {"--exit", "7", NULL};
	static const char *const sleep1[] = {"--sleep", "1", NULL};
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	use_policy(&c, CFE_SECCOMP_KILL, 1, 0, NULL);
	/* probe_run puts --out-fd first, which makes "--exit 7" the report
	 * mode: that calls what the list lacks (getresuid, ...), and the
	 * default kills it.  The simple modes need argv[1]: below. */
	probe_run(&c, exit7, &r);
	assert_started(&r);
	assert_true(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS);
	probe_result_free(&r);
	for (int i = 0; i < 2; i++) {
		const char *const *mode = i == 0 ? exit7 : sleep1;
		const char *args[] = {probe_path(), mode[0], mode[1]};
		struct cfe_error err;
		int status;
		int32_t pid;

		c.args = args;
		c.args_len = 3;
		pid = cfe_start(&c, &err, NULL);
		if (pid < 0)
			fail_msg("cfe_start: errno %d at %s", err.err_no,
				 cfe_location_name(err.location));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status))
			fail_msg("probe %s: wait status %#x (signal %d)", mode[0], status,
				 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		assert_int_equal(WEXITSTATUS(status), i == 0 ? 7 : 0);
	}
	drop_policy(&c);
}

/* With a default that fails calls instead of killing, the probe's report
 * shows both sides of the judge default: getppid and uname allowed,
 * getresuid (not on the list) failed. */
static void test_judge_default_allows_and_forbids(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	use_policy(&c, CFE_SECCOMP_ERRNO(ENOSYS), 1, 0, NULL);
	probe_run(&c, NULL, &r);
	assert_started(&r);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		fail_msg("probe: wait status %#x, report: %s", r.status, r.json);
	assert_true(json_int(r.json, "ppid") > 0);
	assert_false(json_has(r.json, "\"hostname\":null"));
	assert_true(json_has(r.json, "\"uid\":null"));
	/* prctl is not on the list. */
	assert_true(json_has(r.json, "\"seccomp\":null"));
	probe_result_free(&r);
	drop_policy(&c);
}

/* getppid fails with the errno asked: the probe's static glibc returns the
 * kernel's value as it is (getppid cannot fail, so it keeps no errno). */
static void test_errno_action(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	use_policy(&c, CFE_SECCOMP_ALLOW, 0, CFE_SECCOMP_ERRNO(77), "getppid");
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	assert_int_equal(json_int(r.json, "ppid"), -77);
	/* The rest is allowed. */
	assert_int_equal(json_int(r.json, "seccomp"), 2);
	assert_false(json_has(r.json, "\"uid\":null"));
	probe_result_free(&r);
	drop_policy(&c);
}

/* A trace action without a tracer fails the call with ENOSYS. */
static void test_trace_action_without_tracer(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	use_policy(&c, CFE_SECCOMP_ALLOW, 0, CFE_SECCOMP_TRACE(TRACE_DATA), "getppid");
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(json_int(r.json, "ppid"), -ENOSYS);
	probe_result_free(&r);
	drop_policy(&c);
}

static void test_kill_action(void **state)
{
	const char *args[] = {probe_path(), "--getppid-loop", "1"};
	struct cfe_config c = probe_config();
	struct cfe_error err;
	int status;
	int32_t pid;

	(void)state;
	require_root();
	use_policy(&c, CFE_SECCOMP_ALLOW, 0, CFE_SECCOMP_KILL, "getppid");
	c.args = args;
	c.args_len = 3;
	pid = cfe_start(&c, &err, NULL);
	if (pid < 0)
		fail_msg("cfe_start: errno %d at %s", err.err_no, cfe_location_name(err.location));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	drop_policy(&c);
	assert_int_equal(count_own_children(), 0);
}

static int is_seccomp_event(int status)
{
	return WIFSTOPPED(status) && (status >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
}

/* With CFE_FLAG_PTRACE this thread traces the probe; each getppid stops
 * it with the trace action's data. */
static void test_trace_action(void **state)
{
	const char *args[] = {probe_path(), "--getppid-loop", "3"};
	struct cfe_config c = probe_config();
	struct cfe_pending *pending = NULL;
	struct cfe_error err = {0};
	int seccomps = 0, status;
	int32_t pid;

	(void)state;
	require_root();
	use_policy(&c, CFE_SECCOMP_ALLOW, 0, CFE_SECCOMP_TRACE(TRACE_DATA), "getppid");
	c.args = args;
	c.args_len = 3;
	c.flags = CFE_FLAG_PTRACE;
	pid = cfe_start(&c, &err, &pending);
	if (pid < 0)
		fail_msg("cfe_start: errno %d at %s", err.err_no, cfe_location_name(err.location));
	assert_non_null(pending);
	/* It stops itself before loading the filter (SPEC §3 step 19). */
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_true(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
	assert_int_equal(
	    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL), 0);
	assert_int_equal(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	for (;;) {
		int deliver = 0;

		assert_int_equal(waitpid(pid, &status, __WALL), pid);
		if (!WIFSTOPPED(status))
			break;
		if (is_seccomp_event(status)) {
			unsigned long msg = 0;

			assert_int_equal(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), 0);
			assert_int_equal(msg, TRACE_DATA);
			seccomps++;
		} else if (WSTOPSIG(status) != SIGTRAP) {
			deliver = WSTOPSIG(status);
		}
		assert_int_equal(ptrace(PTRACE_CONT, pid, 0, deliver), 0);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(seccomps, GETPPID_CALLS);
	assert_int_equal(cfe_pending_finish(pending, &err), 0);
	drop_policy(&c);
}

/* Number of ints the qsort test sorts: enough for glibc's qsort to ask
 * sysinfo how much memory the machine has. */
#define QSORT_INTS 100000

/* policy-prog's exit status for a call that should have been stopped. */
#define PROG_RAN 3

/* Start policy-prog with mode (and arg unless NULL) under the judge
 * defaults (fork_list 0) or the fork list (1), every other call killing the
 * process; its standard output comes back in *out unless out is NULL (then
 * it is dropped).  Returns the wait status. */
static int run_policy_prog(int fork_list, const char *mode, const char *arg, char **out)
{
	const char *args[] = {policy_prog_path(), mode, arg};
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_KILL);
	struct cfe_config c = probe_config();
	struct cfe_bpf_insn *insns = NULL;
	struct cfe_error err;
	int32_t files[3];
	uint32_t len = 0;
	int pipefd[2], status;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int32_t pid;
	char *text;

	assert_non_null(p);
	assert_true(devnull >= 0);
	assert_int_equal(
	    fork_list ? cfe_seccomp_add_judge_fork(p) : cfe_seccomp_add_judge_defaults(p), 0);
	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	cfe_seccomp_free(p);
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	files[0] = devnull;
	files[1] = pipefd[1];
	files[2] = 2;
	c.args = args;
	c.args_len = arg != NULL ? 3 : 2;
	c.files = files;
	c.files_len = 3;
	c.seccomp = insns;
	c.seccomp_len = len;
	pid = cfe_start(&c, &err, NULL);
	close(pipefd[1]);
	close(devnull);
	cfe_seccomp_free_program(insns);
	if (pid < 0)
		fail_msg("cfe_start: errno %d at %s", err.err_no, cfe_location_name(err.location));
	text = read_to_end(pipefd[0]);
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (out != NULL)
		*out = text;
	else
		free(text);
	return status;
}

static void assert_exited(int status, int code, const char *what)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		fail_msg("policy-prog %s: wait status %#x (signal %d), want exit %d", what, status,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0, code);
}

static void assert_sigsys(int status, const char *what)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		fail_msg("policy-prog %s: wait status %#x, want death by SIGSYS", what, status);
}

/* A C program sorting 100000 ints with qsort (glibc's asks sysinfo) and
 * printing them runs to exit 0 under the judge default, and under the fork
 * list, which holds the defaults. */
static void test_judge_default_runs_qsort(void **state)
{
	(void)state;
	require_root();
	for (int fork_list = 0; fork_list < 2; fork_list++) {
		char *out = NULL, *line;
		long lines = 0, previous = -1;
		int status = run_policy_prog(fork_list, "qsort", "100000", &out);

		assert_exited(status, 0, "qsort");
		for (line = out; *line != '\0'; lines++) {
			char *end;
			long v = strtol(line, &end, 10);

			assert_true(end != line && *end == '\n');
			assert_true(v >= previous);
			previous = v;
			line = end + 1;
		}
		assert_int_equal(lines, QSORT_INTS);
		free(out);
	}
}

/* poll with a zero timeout, as Rust's start-up calls it. */
static void test_judge_default_runs_poll(void **state)
{
	(void)state;
	require_root();
	assert_exited(run_policy_prog(0, "poll", NULL, NULL), 0, "poll");
}

/* Under the fork list a program forks a child that exits 0 and waits for
 * it; the judge default alone kills it at the fork. */
static void test_fork_list_fork_and_wait(void **state)
{
	(void)state;
	require_root();
	assert_exited(run_policy_prog(1, "fork-wait", NULL, NULL), 0, "fork-wait");
	assert_sigsys(run_policy_prog(0, "fork-wait", NULL, NULL), "fork-wait (judge default)");
	assert_int_equal(count_own_children(), 0);
}

/* No namespaces and no sockets under the fork list: a clone with
 * CLONE_NEWUSER, unshare(CLONE_NEWUSER) and socket kill the process. */
static void test_fork_list_kills_namespaces_and_sockets(void **state)
{
	static const char *const modes[] = {"clone-newuser", "unshare-user", "socket"};

	(void)state;
	require_root();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		assert_sigsys(run_policy_prog(1, modes[i], NULL, NULL), modes[i]);
	assert_int_equal(count_own_children(), 0);
}

/* clone3 fails with ENOSYS under the fork list (policy-prog exits 0 then,
 * PROG_RAN when a child was made). */
static void test_fork_list_clone3_enosys(void **state)
{
	(void)state;
	require_root();
	assert_exited(run_policy_prog(1, "clone3", NULL, NULL), 0, "clone3");
	/* Without a filter clone3 makes the child: the program can tell. */
	{
		const char *args[] = {policy_prog_path(), "clone3"};
		struct cfe_config c = probe_config();
		struct cfe_error err;
		int status;
		int32_t pid;

		c.args = args;
		c.args_len = 2;
		pid = cfe_start(&c, &err, NULL);
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_exited(status, PROG_RAN, "clone3 (no filter)");
	}
}

const struct CMUnitTest seccomp_tests[] = {
    cmocka_unit_test(test_judge_default_runs_probe),
    cmocka_unit_test(test_judge_default_allows_and_forbids),
    cmocka_unit_test(test_errno_action),
    cmocka_unit_test(test_trace_action_without_tracer),
    cmocka_unit_test(test_kill_action),
    cmocka_unit_test(test_trace_action),
    cmocka_unit_test(test_judge_default_runs_qsort),
    cmocka_unit_test(test_judge_default_runs_poll),
    cmocka_unit_test(test_fork_list_fork_and_wait),
    cmocka_unit_test(test_fork_list_kills_namespaces_and_sockets),
    cmocka_unit_test(test_fork_list_clone3_enosys),
};
const size_t seccomp_tests_len = sizeof(seccomp_tests) / sizeof(seccomp_tests[0]);
