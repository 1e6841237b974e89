/* Every configuration field, observed through the probe's report (or, for
 * what the probe cannot see of itself, through /proc of a sleeping probe),
 * compared with what the configuration asked for and with our own state. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The probe looks at fds below this number only. */
#define PROBE_MAX_FDS  1024
#define MAX_TEST_FILES 64
/* Longest fd link text compared (temp files, pipes, ttys). */
#define LINK_MAX_LEN 256
#define BOGUS_ARGV0  "/nonexistent-argv0"
/* Long enough to read /proc of the probe; the test kills it sooner. */
#define SLEEP_MS "10000"

/* The probe's securebits after the child set them (child.c): keep-caps
 * locked plus no-setuid-fixup (locked), and with the drop also noroot. */
#define SECUREBITS_KEPT	   0x2c
#define SECUREBITS_DROPPED 0x2f
#define NO_CAPS		   "0000000000000000"

/* ---- reading reports and /proc ---- */

static void assert_report_has(const char *json, const char *fragment)
{
	if (!json_has(json, fragment))
		fail_msg("report lacks %s: %s", fragment, json);
}

/* The report from the object "key":{ on, so that json_int finds that
 * object's keys before any same-named key elsewhere. */
static const char *json_object(const char *json, const char *key)
{
	char pattern[64];
	const char *at;

	snprintf(pattern, sizeof(pattern), "\"%s\":{", key);
	at = strstr(json, pattern);
	if (at == NULL)
		fail_msg("no object %s in report: %s", key, json);
	return at;
}

static void assert_started(const struct probe_result *r)
{
	if (r->pid <= 0)
		fail_msg("cfe_start failed: %s at %s(%d)", strerror(r->err.err_no),
			 cfe_location_name(r->err.location), r->err.index);
	if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
		fail_msg("probe ended with status 0x%x, report: %s", r->status, r->json);
	assert_int_equal(r->json[0], '{');
}

/* Append printf output to the NUL-terminated text in buf. */
__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t cap, const char *fmt,
							 ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < cap - len);
}

/* /proc/PID/name into buf, whole (or fail the test); "" when it cannot be
 * opened. */
static void read_proc(int pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (len == cap - 1)
		fail_msg("%s does not fit in %zu bytes", path, cap);
}

/* The "fds" list the probe should print: fds (ascending), then every fd
 * of ours above `above` that the child inherits (no close-on-exec). */
static void expect_fds(char *buf, size_t cap, const int *fds, size_t n, int above)
{
	int first = 1;

	buf[0] = '\0';
	append(buf, cap, "\"fds\":[");
	for (size_t i = 0; i < n; i++, first = 0)
		append(buf, cap, "%s[%d,0]", first ? "" : ",", fds[i]);
	for (int fd = above + 1; fd < PROBE_MAX_FDS; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags >= 0 && !(flags & FD_CLOEXEC)) {
			append(buf, cap, "%s[%d,0]", first ? "" : ",", fd);
			first = 0;
		}
	}
	append(buf, cap, "]");
}

/* ---- starting the probe ---- */

/* probe_run with argv[0] = argv0 (for exec_fd, where it is not the path
 * executed).  c->files must be set; the report pipe becomes fd
 * c->files_len, as with probe_run. */
static void run_probe_as(struct cfe_config *c, const char *argv0, struct probe_result *r)
{
	int32_t files[MAX_TEST_FILES];
	char out_fd_text[16];
	const char *args[3];
	int pipefd[2];

	assert_true(c->files_len > 0 && c->files_len < MAX_TEST_FILES);
	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	memcpy(files, c->files, c->files_len * sizeof(files[0]));
	files[c->files_len] = pipefd[1];
	r->out_fd = (int)c->files_len;
	snprintf(out_fd_text, sizeof(out_fd_text), "%d", r->out_fd);
	args[0] = argv0;
	args[1] = "--out-fd";
	args[2] = out_fd_text;
	c->args = args;
	c->args_len = 3;
	c->files = files;
	c->files_len++;
	r->pid = cfe_start(c, &r->err, NULL);
	close(pipefd[1]);
	r->json = read_to_end(pipefd[0]);
	close(pipefd[0]);
	if (r->pid > 0)
		assert_int_equal(waitpid(r->pid, &r->status, 0), r->pid);
	c->args = NULL;
	c->args_len = 0;
	c->files = NULL;
	c->files_len--;
}

/* cfe_start returns once the exec has begun, but the kernel closes the
 * close-on-exec fds a little later: wait until the probe is in its sleep,
 * where its state is final. */
static void wait_until_asleep(int32_t pid)
{
	const struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000000};
	char text[256];

	for (int i = 0; i < 5000; i++) {
		long nr;

		read_proc(pid, "syscall", text, sizeof(text));
		nr = strtol(text, NULL, 10);
		if (text[0] != '\0' && (nr == SYS_clock_nanosleep || nr == SYS_nanosleep))
			return;
		nanosleep(&tick, NULL);
	}
	fail_msg("probe %d never reached its sleep (/proc/PID/syscall: %s)", pid, text);
}

/* Start the probe sleeping, for reading what only /proc shows. */
static int32_t start_sleeper(struct cfe_config *c)
{
	const char *args[] = {probe_path(), "--sleep", SLEEP_MS};
	struct cfe_error err;
	int32_t pid;

	c->args = args;
	c->args_len = ARRAY_LEN(args);
	pid = cfe_start(c, &err, NULL);
	c->args = NULL;
	c->args_len = 0;
	if (pid <= 0)
		fail_msg("cfe_start failed: %s at %s(%d)", strerror(err.err_no),
			 cfe_location_name(err.location), err.index);
	wait_until_asleep(pid);
	return pid;
}

static void kill_sleeper(int32_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static int open_devnull(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static int open_probe(void)
{
	int fd = open(probe_path(), O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* ---- temporary files ---- */

static void make_temp_dir(char *path, size_t cap)
{
	snprintf(path, cap, "/tmp/cfe-fields-XXXXXX");
	assert_non_null(mkdtemp(path));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	assert_int_equal(nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* ---- our own state, to compare with the probe's ---- */

static void own_cap_text(char *buf, size_t cap)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	assert_int_equal(syscall(SYS_capget, &header, data), 0);
	snprintf(buf, cap, "\"cap_eff\":\"%016llx\"",
		 (unsigned long long)data[1].effective << 32 | data[0].effective);
}

/* getgroups as the probe prints it: "groups":[a,b]. */
static void own_groups_text(char *buf, size_t cap)
{
	static gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);

	assert_true(n >= 0);
	buf[0] = '\0';
	append(buf, cap, "\"groups\":[");
	for (int i = 0; i < n; i++)
		append(buf, cap, i ? ",%u" : "%u", groups[i]);
	append(buf, cap, "]");
}

/* The probe's rlimit text for one resource of ours: "name":[cur,max]. */
static void own_rlimit_text(const char *name, int resource, char *buf, size_t cap)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(resource, &rl), 0);
	snprintf(buf, cap, "\"%s\":[%lld,%lld]", name,
		 rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
		 rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
}

/* The namespace kinds the probe reports, and the clone flag creating each
 * (0: not one of cfe_config.clone_flags). */
static const struct ns_kind {
	const char *name;
	uint64_t flag;
} ns_kinds[] = {
    {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"mnt", CLONE_NEWNS},
    {"net", CLONE_NEWNET},	 {"pid", CLONE_NEWPID}, {"time", 0},
    {"user", CLONE_NEWUSER},	 {"uts", CLONE_NEWUTS},
};

/* Each namespace of the probe is new exactly when its flag is in `fresh`. */
static void assert_namespaces(const char *json, uint64_t fresh)
{
	const char *ns = json_object(json, "ns");

	for (size_t i = 0; i < ARRAY_LEN(ns_kinds); i++) {
		unsigned long long ours = self_ns_inode(ns_kinds[i].name);
		unsigned long long theirs = (unsigned long long)json_int(ns, ns_kinds[i].name);
		int is_new = ns_kinds[i].flag != 0 && (fresh & ns_kinds[i].flag) != 0;

		if (is_new && theirs == ours)
			fail_msg("%s namespace not new: %s", ns_kinds[i].name, json);
		if (!is_new && theirs != ours)
			fail_msg("%s namespace changed: %s", ns_kinds[i].name, json);
	}
}

/* ---- args, env ---- */

static void test_args_reported_exactly(void **state)
{
	static const char *const extra[] = {"with space", "quote\"d",  "back\\slash",
					    "",		  "tab\there", NULL};
	struct cfe_config c = probe_config();
	struct probe_result r;
	char expected[1024];

	(void)state;
	require_root();
	probe_run(&c, extra, &r);
	assert_started(&r);
	snprintf(expected, sizeof(expected),
		 "\"argv\":[\"%s\",\"--out-fd\",\"1\",\"with space\",\"quote\\\"d\","
		 "\"back\\\\slash\",\"\",\"tab\\u0009here\"],",
		 probe_path());
	assert_report_has(r.json, expected);
	probe_result_free(&r);
}

static void test_env_reported_exactly(void **state)
{
	static const char *const env[] = {"A=1", "SPACED=two words", "EMPTY=", "QUOTE=\"x\""};
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.env = env;
	c.env_len = ARRAY_LEN(env);
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json,
			  "\"env\":[\"A=1\",\"SPACED=two words\",\"EMPTY=\",\"QUOTE=\\\"x\\\"\"],");
	probe_result_free(&r);
}

static void test_env_empty(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json, "\"env\":[],");
	probe_result_free(&r);
}

/* ---- exec_fd ---- */

/* The program comes from exec_fd: args[0] is only argv[0], and the exec
 * fd (close-on-exec) does not show up in the child. */
static void test_exec_fd_with_bogus_argv0(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	int devnull = open_devnull();
	const int32_t files[] = {devnull, devnull, 2};
	const int want_fds[] = {0, 1, 2, 3};
	char expected[4096];

	(void)state;
	require_root();
	c.exec_fd = open_probe();
	c.files = files;
	c.files_len = ARRAY_LEN(files);
	run_probe_as(&c, BOGUS_ARGV0, &r);
	close(c.exec_fd);
	close(devnull);
	assert_started(&r);
	assert_report_has(r.json, "\"argv\":[\"" BOGUS_ARGV0 "\",\"--out-fd\",\"3\"],");
	expect_fds(expected, sizeof(expected), want_fds, ARRAY_LEN(want_fds), 3);
	assert_report_has(r.json, expected);
	probe_result_free(&r);
}

/* exec_fd sits where files puts another file: the shuffle must move it out
 * of the way first, or the execveat runs /dev/null. */
static void test_exec_fd_inside_files_range(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	int devnull = open_devnull();
	int exec_fd = open_probe();
	int32_t files[MAX_TEST_FILES];
	int want_fds[5];
	char expected[4096];

	(void)state;
	require_root();
	assert_true(exec_fd >= 3 && exec_fd + 2 < MAX_TEST_FILES);
	files[0] = devnull;
	files[1] = devnull;
	files[2] = 2;
	for (int i = 3; i < exec_fd; i++)
		files[i] = -1;
	files[exec_fd] = devnull;
	c.exec_fd = exec_fd;
	c.files = files;
	c.files_len = (uint32_t)exec_fd + 1;
	run_probe_as(&c, BOGUS_ARGV0, &r);
	close(exec_fd);
	close(devnull);
	assert_started(&r);
	want_fds[0] = 0;
	want_fds[1] = 1;
	want_fds[2] = 2;
	want_fds[3] = exec_fd;
	want_fds[4] = exec_fd + 1; /* the report pipe */
	expect_fds(expected, sizeof(expected), want_fds, ARRAY_LEN(want_fds), exec_fd + 1);
	assert_report_has(r.json, expected);
	assert_report_has(r.json, "\"argv\":[\"" BOGUS_ARGV0 "\",");
	probe_result_free(&r);
}

/* ---- rlimits ---- */

static void test_rlimits(void **state)
{
	const struct cfe_rlimit limits[] = {
	    {.resource = RLIMIT_NOFILE, .cur = 64, .max = 128},
	    {.resource = RLIMIT_CPU, .cur = 10, .max = 20},
	    {.resource = RLIMIT_FSIZE, .cur = 1u << 20, .max = 2u << 20},
	    {.resource = RLIMIT_CORE, .cur = RLIM_INFINITY, .max = RLIM_INFINITY},
	};
	struct cfe_config c = probe_config();
	struct probe_result r;
	char stack[128], nproc[128];
	const char *report;

	(void)state;
	require_root();
	c.rlimits = limits;
	c.rlimits_len = ARRAY_LEN(limits);
	own_rlimit_text("stack", RLIMIT_STACK, stack, sizeof(stack));
	own_rlimit_text("nproc", RLIMIT_NPROC, nproc, sizeof(nproc));
	probe_run(&c, NULL, &r);
	assert_started(&r);
	report = json_object(r.json, "rlimits");
	assert_report_has(report, "\"nofile\":[64,128]");
	assert_report_has(report, "\"cpu\":[10,20]");
	assert_report_has(report, "\"fsize\":[1048576,2097152]");
	assert_report_has(report, "\"core\":[-1,-1]");
	/* Limits not asked for are ours. */
	assert_report_has(report, stack);
	assert_report_has(report, nproc);
	probe_result_free(&r);
}

/* ---- files ---- */

/* Without files, the probe has what probe_run gives it plus what we let
 * it inherit, nothing else: also no sync socket when there is a handshake
 * (a user namespace needs one). */
static void test_files_default_exact(void **state)
{
	const uint64_t clone_flags[] = {0, CLONE_NEWUSER};
	const int want_fds[] = {0, 1, 2};
	char expected[4096];

	(void)state;
	require_root();
	expect_fds(expected, sizeof(expected), want_fds, ARRAY_LEN(want_fds), 2);
	for (size_t i = 0; i < ARRAY_LEN(clone_flags); i++) {
		struct cfe_config c = probe_config();
		struct probe_result r;

		c.clone_flags = clone_flags[i];
		probe_run(&c, NULL, &r);
		assert_started(&r);
		assert_report_has(r.json, expected);
		probe_result_free(&r);
	}
}

/* An fd already at its place loses close-on-exec ([fd,0] in the report);
 * -1 closes a place; one file may fill several places. */
static void test_files_in_place_and_closed(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	int doomed = open_devnull();
	int in_place = open_devnull();
	int32_t files[MAX_TEST_FILES];
	int want_fds[5];
	char expected[4096];

	(void)state;
	require_root();
	assert_true(doomed >= 3 && doomed < in_place && in_place + 2 < MAX_TEST_FILES);
	/* Inheritable, so only the -1 at its place keeps it from the child. */
	assert_int_equal(fcntl(doomed, F_SETFD, 0), 0);
	files[0] = in_place;
	files[1] = in_place;
	files[2] = 2;
	for (int i = 3; i < in_place; i++)
		files[i] = -1;
	files[in_place] = in_place;
	c.files = files;
	c.files_len = (uint32_t)in_place + 1;
	probe_run(&c, NULL, &r);
	close(in_place);
	close(doomed);
	assert_started(&r);
	assert_int_equal(r.out_fd, in_place + 1);
	want_fds[0] = 0;
	want_fds[1] = 1;
	want_fds[2] = 2;
	want_fds[3] = in_place;
	want_fds[4] = in_place + 1;
	expect_fds(expected, sizeof(expected), want_fds, ARRAY_LEN(want_fds), in_place + 1);
	assert_report_has(r.json, expected);
	probe_result_free(&r);
}

enum { F_CYCLE_A, F_CYCLE_B, F_CYCLE_C, F_SWAP_A, F_SWAP_B, F_IN_PLACE, F_CLOSED, F_COUNT };

/* Which file each child fd should be: link text of /proc/.../fd/N. */
struct fd_table {
	char link[PROBE_MAX_FDS][LINK_MAX_LEN];
};

static void read_fd_table(int pid, struct fd_table *t)
{
	char path[64];
	DIR *d;
	const struct dirent *de;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char entry[96];
		int fd = atoi(de->d_name);
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd >= PROBE_MAX_FDS)
			continue;
		snprintf(entry, sizeof(entry), "%s/%d", path, fd);
		n = readlink(entry, t->link[fd], sizeof(t->link[fd]) - 1);
		assert_true(n > 0);
	}
	closedir(d);
}

/* A 3-cycle and a swap among fds that are all inside the files range, so
 * every move overwrites a file still needed; checked by identity. */
static void test_files_permutation(void **state)
{
	static struct fd_table seen, want;
	struct cfe_config c = probe_config();
	char dir[64], name[F_COUNT][96];
	int fd[F_COUNT];
	int32_t files[MAX_TEST_FILES];
	int n = 0;
	int32_t pid;

	(void)state;
	require_root();
	make_temp_dir(dir, sizeof(dir));
	for (int i = 0; i < F_COUNT; i++) {
		snprintf(name[i], sizeof(name[i]), "%s/f%d", dir, i);
		fd[i] = open(name[i], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		assert_true(fd[i] >= 3 && fd[i] < MAX_TEST_FILES);
		if (fd[i] + 1 > n)
			n = fd[i] + 1;
	}
	/* Inheritable unless files closes it. */
	assert_int_equal(fcntl(fd[F_CLOSED], F_SETFD, 0), 0);
	for (int i = 0; i < n; i++)
		files[i] = -1;
	files[0] = fd[F_CYCLE_C];
	files[1] = 1;
	files[2] = 2;
	files[fd[F_CYCLE_A]] = fd[F_CYCLE_B];
	files[fd[F_CYCLE_B]] = fd[F_CYCLE_C];
	files[fd[F_CYCLE_C]] = fd[F_CYCLE_A];
	files[fd[F_SWAP_A]] = fd[F_SWAP_B];
	files[fd[F_SWAP_B]] = fd[F_SWAP_A];
	files[fd[F_IN_PLACE]] = fd[F_IN_PLACE];
	c.files = files;
	c.files_len = (uint32_t)n;

	/* What the child should hold: files by place, then what it inherits. */
	read_fd_table(getpid(), &want);
	for (int i = 0; i < PROBE_MAX_FDS; i++) {
		int flags = fcntl(i, F_GETFD);

		if (i < n || flags < 0 || (flags & FD_CLOEXEC))
			want.link[i][0] = '\0';
	}
	snprintf(want.link[0], LINK_MAX_LEN, "%s", name[F_CYCLE_C]);
	assert_true(readlink("/proc/self/fd/1", want.link[1], LINK_MAX_LEN - 1) > 0);
	assert_true(readlink("/proc/self/fd/2", want.link[2], LINK_MAX_LEN - 1) > 0);
	snprintf(want.link[fd[F_CYCLE_A]], LINK_MAX_LEN, "%s", name[F_CYCLE_B]);
	snprintf(want.link[fd[F_CYCLE_B]], LINK_MAX_LEN, "%s", name[F_CYCLE_C]);
	snprintf(want.link[fd[F_CYCLE_C]], LINK_MAX_LEN, "%s", name[F_CYCLE_A]);
	snprintf(want.link[fd[F_SWAP_A]], LINK_MAX_LEN, "%s", name[F_SWAP_B]);
	snprintf(want.link[fd[F_SWAP_B]], LINK_MAX_LEN, "%s", name[F_SWAP_A]);
	snprintf(want.link[fd[F_IN_PLACE]], LINK_MAX_LEN, "%s", name[F_IN_PLACE]);

	pid = start_sleeper(&c);
	read_fd_table(pid, &seen);
	kill_sleeper(pid);
	for (int i = 0; i < F_COUNT; i++)
		close(fd[i]);
	remove_tree(dir);
	/* Inherited fds above the range are test_files_keep_inherited's
	 * business; here: nothing else, no parked copy left over. */
	for (int i = 0; i < PROBE_MAX_FDS; i++)
		if ((i < n || seen.link[i][0] != '\0') && strcmp(seen.link[i], want.link[i]) != 0)
			fail_msg("child fd %d is \"%s\", expected \"%s\"", i, seen.link[i],
				 want.link[i]);
}

/* The lowest fd >= from such that it and the next are both free. */
static int free_fd_pair(int from)
{
	for (int fd = from; fd < PROBE_MAX_FDS - 1; fd++)
		if (fcntl(fd, F_GETFD) < 0 && fcntl(fd + 1, F_GETFD) < 0)
			return fd;
	fail_msg("no two free fds above %d", from);
	return -1;
}

/* "Every other fd without close-on-exec is inherited as usual", also the
 * one just above the highest fd files names, where a shuffle that parks
 * files at fixed numbers would put them. */
static void test_files_keep_inherited(void **state)
{
	static struct fd_table seen;
	struct cfe_config c = probe_config();
	char dir[64], top_name[96], inherited_name[96], own_stdin[LINK_MAX_LEN] = "";
	int32_t files[3];
	int top, inherited, tmp;
	int32_t pid;

	(void)state;
	require_root();
	make_temp_dir(dir, sizeof(dir));
	snprintf(top_name, sizeof(top_name), "%s/top", dir);
	snprintf(inherited_name, sizeof(inherited_name), "%s/inherited", dir);
	top = free_fd_pair(100);
	tmp = open(top_name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(tmp >= 0);
	assert_int_equal(dup3(tmp, top, O_CLOEXEC), top);
	close(tmp);
	tmp = open(inherited_name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(tmp >= 0);
	inherited = top + 1;
	assert_int_equal(dup2(tmp, inherited), inherited);
	close(tmp);
	assert_true(readlink("/proc/self/fd/0", own_stdin, sizeof(own_stdin) - 1) > 0);
	/* files[1] = 0 sits below its place: it must be moved aside first. */
	files[0] = top;
	files[1] = 0;
	files[2] = 2;
	c.files = files;
	c.files_len = ARRAY_LEN(files);
	pid = start_sleeper(&c);
	read_fd_table(pid, &seen);
	kill_sleeper(pid);
	close(top);
	close(inherited);
	remove_tree(dir);
	assert_string_equal(seen.link[0], top_name);
	assert_string_equal(seen.link[1], own_stdin);
	assert_string_equal(seen.link[inherited], inherited_name);
	assert_string_equal(seen.link[top], "");
}

/* ---- workdir ---- */

static void test_workdir(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	char dir[64], real[PATH_MAX], expected[PATH_MAX + 16];

	(void)state;
	require_root();
	make_temp_dir(dir, sizeof(dir));
	assert_non_null(realpath(dir, real));
	c.workdir = dir;
	probe_run(&c, NULL, &r);
	assert_int_equal(rmdir(dir), 0);
	assert_started(&r);
	snprintf(expected, sizeof(expected), "\"cwd\":\"%s\",", real);
	assert_report_has(r.json, expected);
	probe_result_free(&r);
}

/* ---- the defaults: the child has our state where nothing was asked ---- */

static void test_defaults_inherited(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct utsname u;
	char cwd[PATH_MAX], text[PATH_MAX + 64];
	uid_t ruid, euid, suid;

	(void)state;
	require_root();
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), "\"cwd\":\"%s\",", cwd);
	assert_report_has(r.json, text);
	assert_int_equal(getresuid(&ruid, &euid, &suid), 0);
	snprintf(text, sizeof(text), "\"uid\":[%u,%u,%u]", ruid, euid, suid);
	assert_report_has(r.json, text);
	own_cap_text(text, sizeof(text));
	assert_report_has(r.json, text);
	own_groups_text(text, sizeof(text));
	assert_report_has(r.json, text);
	assert_int_equal(json_int(r.json, "securebits"), prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	assert_int_equal(json_int(r.json, "no_new_privs"), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	assert_int_equal(json_int(r.json, "seccomp"), prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	assert_int_equal(uname(&u), 0);
	snprintf(text, sizeof(text), "\"hostname\":\"%s\",", u.nodename);
	assert_report_has(r.json, text);
	assert_namespaces(r.json, 0);
	assert_int_equal(json_int(r.json, "ppid"), getpid());
	probe_result_free(&r);
}

/* ---- setsid ---- */

static void test_setsid(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(json_int(r.json, "pid"), r.pid);
	assert_int_equal(json_int(r.json, "sid"), r.pid);
	assert_int_equal(json_int(r.json, "pgid"), r.pid);
	probe_result_free(&r);
}

/* ---- seccomp, no_new_privs ---- */

static void test_seccomp_allow_all(void **state)
{
	const struct cfe_bpf_insn allow[] = {{BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW}};
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.seccomp = allow;
	c.seccomp_len = ARRAY_LEN(allow);
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(json_int(r.json, "seccomp"), SECCOMP_MODE_FILTER);
	assert_int_equal(json_int(r.json, "no_new_privs"), 1);
	probe_result_free(&r);
}

static void test_flag_no_new_privs(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	assert_int_equal(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	c.flags = CFE_FLAG_NO_NEW_PRIVS;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(json_int(r.json, "no_new_privs"), 1);
	assert_int_equal(json_int(r.json, "seccomp"), 0);
	probe_result_free(&r);
}

/* ---- clone_flags ---- */

static void test_clone_flags_each_namespace(void **state)
{
	(void)state;
	require_root();
	for (size_t i = 0; i < ARRAY_LEN(ns_kinds); i++) {
		struct cfe_config c = probe_config();
		struct probe_result r;

		if (ns_kinds[i].flag == 0)
			continue;
		c.clone_flags = ns_kinds[i].flag;
		probe_run(&c, NULL, &r);
		assert_started(&r);
		assert_namespaces(r.json, ns_kinds[i].flag);
		if (ns_kinds[i].flag == CLONE_NEWPID) {
			assert_int_equal(json_int(r.json, "pid"), 1);
			assert_int_equal(json_int(r.json, "ppid"), 0);
		}
		probe_result_free(&r);
	}
}

static void test_clone_flags_all_namespaces(void **state)
{
	const uint64_t all = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS |
			     CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.clone_flags = all;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_namespaces(r.json, all);
	assert_int_equal(json_int(r.json, "pid"), 1);
	probe_result_free(&r);
}

static void do_nothing(int sig)
{
	(void)sig;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Bits outside the namespace flags are masked off: with CLONE_FILES the
 * child's fd shuffle would rewrite our own stdio, with CLONE_SIGHAND its
 * signal reset would reset our handlers, with CLONE_PARENT it would not be
 * our child. */
static void test_clone_flags_non_namespace_bits_ignored(void **state)
{
	const char *const args[] = {probe_path(), "--exit", "0"};
	struct cfe_config c = probe_config();
	struct sigaction handler, old, now;
	struct stat before[3], after[3];
	struct cfe_error err;
	char dir[64], path[96];
	int32_t files[3];
	int32_t pid;
	int status, marker;

	(void)state;
	require_root();
	make_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/marker", dir);
	marker = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(marker >= 0);
	for (int i = 0; i < 3; i++) {
		files[i] = marker;
		assert_int_equal(fstat(i, &before[i]), 0);
	}
	memset(&handler, 0, sizeof(handler));
	handler.sa_handler = do_nothing;
	assert_int_equal(sigaction(SIGUSR1, &handler, &old), 0);
	c.args = args;
	c.args_len = ARRAY_LEN(args);
	c.files = files;
	c.files_len = ARRAY_LEN(files);
	c.clone_flags = CLONE_FILES | CLONE_SIGHAND | CLONE_PARENT;
	pid = cfe_start(&c, &err, NULL);
	assert_int_equal(sigaction(SIGUSR1, &old, &now), 0);
	close(marker);
	remove_tree(dir);
	if (pid <= 0)
		fail_msg("cfe_start failed: %s at %s(%d)", strerror(err.err_no),
			 cfe_location_name(err.location), err.index);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_ptr_equal(now.sa_handler, do_nothing);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fstat(i, &after[i]), 0);
		assert_true(same_file(&before[i], &after[i]));
	}
}

/* ---- mounts and pivot_root ---- */

/* Per-mount options and fstype of the topmost mount at mount_point in a
 * mountinfo text; returns 0 when there is none. */
static int find_mount(const char *mountinfo, const char *mount_point, char *options, char *fstype)
{
	const char *line = mountinfo;
	int found = 0;

	while (*line) {
		const char *end = strchr(line, '\n');
		char point[PATH_MAX], opts[256], type[64];
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %*s %*s %4095s %255s", point, opts) == 2 &&
		    strcmp(point, mount_point) == 0 && sep != NULL && (end == NULL || sep < end) &&
		    sscanf(sep + 3, "%63s", type) == 1) {
			strcpy(options, opts);
			strcpy(fstype, type);
			found = 1;
		}
		if (end == NULL)
			break;
		line = end + 1;
	}
	return found;
}

static int has_option(const char *options, const char *option)
{
	size_t len = strlen(option);

	for (const char *p = options; p != NULL; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, option, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return 1;
	}
	return 0;
}

/* Assert the mount at point exists in mountinfo with the given fstype (NULL:
 * any) and read-only state. */
static void assert_mount(const char *mountinfo, const char *point, const char *fstype, int ro)
{
	char options[256], type[64];

	if (!find_mount(mountinfo, point, options, type))
		fail_msg("no mount at %s in:\n%s", point, mountinfo);
	if (fstype != NULL && strcmp(type, fstype) != 0)
		fail_msg("mount at %s is %s, expected %s", point, type, fstype);
	if (has_option(options, "ro") != ro)
		fail_msg("mount at %s has options %s, expected %s", point, options,
			 ro ? "ro" : "rw");
}

static int is_kind(const char *path, mode_t kind)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == kind;
}

/* A tmpfs, a read-only bind of a directory and a bind of a file (make_nod),
 * with missing mount points created; none of it visible outside. */
static void test_mounts(void **state)
{
	static char child_info[65536], own_info[65536];
	struct cfe_config c = probe_config();
	char dir[64], tmpfs[96], src[96], ro[96], ro_parent[96], file[96], nod[96];
	struct cfe_mount mounts[3];
	int32_t pid;

	(void)state;
	require_root();
	make_temp_dir(dir, sizeof(dir));
	snprintf(tmpfs, sizeof(tmpfs), "%s/tmpfs", dir);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(ro_parent, sizeof(ro_parent), "%s/ro", dir);
	snprintf(ro, sizeof(ro), "%s/ro/a/b", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(nod, sizeof(nod), "%s/nod/file", dir);
	assert_int_equal(mkdir(src, 0755), 0);
	write_file(file, "bound\n");
	memset(mounts, 0, sizeof(mounts));
	mounts[0] = (struct cfe_mount){
	    .source = "tmpfs", .target = tmpfs, .fstype = "tmpfs", .data = "size=1m"};
	mounts[1] = (struct cfe_mount){.source = src, .target = ro, .flags = MS_BIND | MS_RDONLY};
	mounts[2] =
	    (struct cfe_mount){.source = file, .target = nod, .flags = MS_BIND, .make_nod = 1};
	c.clone_flags = CLONE_NEWNS;
	c.mounts = mounts;
	c.mounts_len = ARRAY_LEN(mounts);
	pid = start_sleeper(&c);
	read_proc(pid, "mountinfo", child_info, sizeof(child_info));
	read_proc(getpid(), "mountinfo", own_info, sizeof(own_info));
	kill_sleeper(pid);

	assert_mount(child_info, tmpfs, "tmpfs", 0);
	assert_mount(child_info, ro, NULL, 1);
	assert_mount(child_info, nod, NULL, 0);
	assert_null(strstr(own_info, dir));
	/* The mount points were made in the (shared) file system. */
	assert_true(is_kind(tmpfs, S_IFDIR));
	assert_true(is_kind(ro, S_IFDIR));
	assert_true(is_kind(nod, S_IFREG));
	assert_true(is_kind(ro_parent, S_IFDIR));
	remove_tree(dir);
}

/* The sandbox shape: a new root holding exactly the mounts, read-only,
 * with the probe run through exec_fd from outside it. */
static void test_pivot_root(void **state)
{
	static char info[65536];
	const uint64_t flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS;
	struct cfe_config c = probe_config();
	struct probe_result r;
	char dir[64], root[96], file[96], probe_real[PATH_MAX], *slash;
	struct cfe_mount mounts[3];
	DIR *d;
	int32_t pid;

	(void)state;
	require_root();
	make_temp_dir(dir, sizeof(dir));
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	write_file(file, "bound\n");
	assert_non_null(realpath(probe_path(), probe_real));
	slash = strrchr(probe_real, '/');
	assert_non_null(slash);
	*slash = '\0';
	mounts[0] =
	    (struct cfe_mount){.source = probe_real, .target = "bin", .flags = MS_BIND | MS_RDONLY};
	mounts[1] = (struct cfe_mount){.source = "tmpfs", .target = "tmp", .fstype = "tmpfs"};
	mounts[2] = (struct cfe_mount){
	    .source = file, .target = "etc/file", .flags = MS_BIND | MS_RDONLY, .make_nod = 1};
	c.clone_flags = flags;
	c.pivot_root = root;
	c.mounts = mounts;
	c.mounts_len = ARRAY_LEN(mounts);
	c.hostname = "cfe-pivot";
	c.exec_fd = open_probe();

	pid = start_sleeper(&c);
	read_proc(pid, "mountinfo", info, sizeof(info));
	kill_sleeper(pid);
	assert_mount(info, "/", "tmpfs", 1);
	assert_mount(info, "/bin", NULL, 1);
	assert_mount(info, "/etc/file", NULL, 1);
	assert_mount(info, "/tmp", "tmpfs", 0);

	probe_run(&c, NULL, &r);
	close(c.exec_fd);
	assert_started(&r);
	assert_report_has(r.json, "\"root\":[\"bin\",\"etc\",\"tmp\"],");
	assert_report_has(r.json, "\"root_flags\":{\"ro\":1,\"nosuid\":1,");
	assert_report_has(r.json, "\"noatime\":1}");
	assert_report_has(r.json, "\"cwd\":\"/\",");
	assert_report_has(r.json, "\"hostname\":\"cfe-pivot\",");
	assert_report_has(r.json, "\"uid\":[0,0,0]");
	assert_int_equal(json_int(r.json, "pid"), 1);
	probe_result_free(&r);
	/* Everything happened on the child's tmpfs: the directory is empty. */
	d = opendir(root);
	assert_non_null(d);
	for (const struct dirent *de = readdir(d); de != NULL; de = readdir(d))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fail_msg("%s/%s left behind", root, de->d_name);
	closedir(d);
	remove_tree(dir);
}

/* ---- hostname, domainname ---- */

static void test_hostname_domainname(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct utsname before, after;

	(void)state;
	require_root();
	assert_int_equal(uname(&before), 0);
	c.clone_flags = CLONE_NEWUTS;
	c.hostname = "cfe-fields-host";
	c.domainname = "cfe-fields-domain";
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json,
			  "\"hostname\":\"cfe-fields-host\",\"domainname\":\"cfe-fields-domain\"");
	assert_int_equal(uname(&after), 0);
	assert_string_equal(before.nodename, after.nodename);
	assert_string_equal(before.domainname, after.domainname);
	probe_result_free(&r);
}

/* Without a UTS namespace of its own the names would be the caller's:
 * refused before any child exists (in a user namespace, so that a
 * regression lacks the right to change ours). */
static void test_hostname_without_uts_namespace(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct utsname before, after;

	(void)state;
	require_root();
	assert_int_equal(uname(&before), 0);
	c.clone_flags = CLONE_NEWUSER;
	c.hostname = "cfe-fields-nouts";
	c.domainname = "cfe-fields-nouts";
	probe_run(&c, NULL, &r);
	assert_child_error(&r, EINVAL, CFE_LOC_NONE, 0);
	assert_string_equal(r.json, "");
	assert_int_equal(uname(&after), 0);
	assert_string_equal(before.nodename, after.nodename);
	assert_string_equal(before.domainname, after.domainname);
	probe_result_free(&r);
}

/* ---- uid_maps, gid_maps ---- */

/* The lines of a uid_map/gid_map text as "a b c;" triples. */
static void normalize_map(const char *text, char *out, size_t cap)
{
	const char *p = text;
	unsigned a, b, n;
	int used;

	out[0] = '\0';
	while (sscanf(p, " %u %u %u%n", &a, &b, &n, &used) == 3) {
		append(out, cap, "%u %u %u;", a, b, n);
		p += used;
	}
}

static void test_id_maps_default(void **state)
{
	struct cfe_config c = probe_config();
	char text[256], got[256], want[64];
	int32_t pid;

	(void)state;
	require_root();
	c.clone_flags = CLONE_NEWUSER;
	pid = start_sleeper(&c);
	read_proc(pid, "uid_map", text, sizeof(text));
	normalize_map(text, got, sizeof(got));
	snprintf(want, sizeof(want), "0 %u 1;", geteuid());
	read_proc(pid, "gid_map", text, sizeof(text));
	kill_sleeper(pid);
	assert_string_equal(got, want);
	normalize_map(text, got, sizeof(got));
	snprintf(want, sizeof(want), "0 %u 1;", getegid());
	assert_string_equal(got, want);
}

static const struct cfe_id_map test_uid_maps[] = {{0, 0, 1, 0}, {1000, 100000, 10, 0}};
static const struct cfe_id_map test_gid_maps[] = {{0, 0, 1, 0}, {1000, 200000, 10, 0}};

static void set_test_maps(struct cfe_config *c)
{
	c->clone_flags = CLONE_NEWUSER;
	c->uid_maps = test_uid_maps;
	c->uid_maps_len = ARRAY_LEN(test_uid_maps);
	c->gid_maps = test_gid_maps;
	c->gid_maps_len = ARRAY_LEN(test_gid_maps);
}

/* Both map lines are written; a credential in the mapped range is the
 * probe's id inside and the mapped id outside. */
static void test_id_maps_explicit(void **state)
{
	static char status[8192];
	struct cfe_config c = probe_config();
	struct probe_result r;
	char uid_text[256], gid_text[256], got[256];
	int32_t pid;

	(void)state;
	require_root();
	set_test_maps(&c);
	c.flags = CFE_FLAG_CREDENTIAL;
	c.uid = 1005;
	c.gid = 1007;
	pid = start_sleeper(&c);
	read_proc(pid, "uid_map", uid_text, sizeof(uid_text));
	read_proc(pid, "gid_map", gid_text, sizeof(gid_text));
	read_proc(pid, "status", status, sizeof(status));
	kill_sleeper(pid);
	normalize_map(uid_text, got, sizeof(got));
	assert_string_equal(got, "0 0 1;1000 100000 10;");
	normalize_map(gid_text, got, sizeof(got));
	assert_string_equal(got, "0 0 1;1000 200000 10;");
	assert_non_null(strstr(status, "\nUid:\t100005\t100005\t100005\t100005\n"));
	assert_non_null(strstr(status, "\nGid:\t200007\t200007\t200007\t200007\n"));

	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json, "\"uid\":[1005,1005,1005],\"gid\":[1007,1007,1007]");
	probe_result_free(&r);
}

/* ---- cgroup_fd ---- */

/* The mount point and root of the first cgroup2 mount, or 0. */
static int find_cgroup2(char *mount_point, char *root)
{
	char *info = malloc(65536);
	char *save = NULL;
	int found = 0;

	assert_non_null(info);
	read_proc(getpid(), "mountinfo", info, 65536);
	for (char *line = strtok_r(info, "\n", &save); line != NULL && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *sep = strstr(line, " - ");

		found = sep != NULL && strncmp(sep, " - cgroup2 ", 11) == 0 &&
			sscanf(line, "%*s %*s %*s %4095s %4095s", root, mount_point) == 2;
	}
	free(info);
	return found;
}

static void test_cgroup_fd(void **state)
{
	static char cgroup[4096];
	struct cfe_config c = probe_config();
	char mount_point[PATH_MAX], root[PATH_MAX], dir[PATH_MAX + 32], expected[PATH_MAX + 64];
	const char *name;
	int32_t pid;

	(void)state;
	require_root();
	if (!find_cgroup2(mount_point, root)) {
		fprintf(stderr, "skipped: no cgroup2 mount in /proc/self/mountinfo\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/cfe-fields-XXXXXX", mount_point);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "skipped: cannot create a cgroup under %s: %s\n", mount_point,
			strerror(errno));
		skip();
	}
	name = strrchr(dir, '/') + 1;
	snprintf(expected, sizeof(expected), "0::%s%s%s\n", root, strcmp(root, "/") ? "/" : "",
		 name);
	c.cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(c.cgroup_fd > 0);
	pid = start_sleeper(&c);
	read_proc(pid, "cgroup", cgroup, sizeof(cgroup));
	kill_sleeper(pid);
	close(c.cgroup_fd);
	assert_int_equal(rmdir(dir), 0);
	if (strstr(cgroup, expected) == NULL)
		fail_msg("child not in %s: /proc/PID/cgroup is\n%s", expected, cgroup);
}

/* ---- credential, capabilities ---- */

static void test_credential(void **state)
{
	static const uint32_t groups[] = {65534, 100};
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.flags = CFE_FLAG_CREDENTIAL;
	c.uid = 65534;
	c.gid = 65534;
	c.groups = groups;
	c.groups_len = ARRAY_LEN(groups);
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json, "\"uid\":[65534,65534,65534],\"gid\":[65534,65534,65534]");
	/* The kernel keeps supplementary groups sorted. */
	assert_report_has(r.json, "\"groups\":[100,65534]");
	assert_report_has(r.json, "\"cap_inh\":\"" NO_CAPS "\",\"cap_prm\":\"" NO_CAPS
				  "\",\"cap_eff\":\"" NO_CAPS "\"");
	assert_report_has(r.json, "\"cap_amb\":\"" NO_CAPS "\"");
	assert_int_equal(json_int(r.json, "securebits"), SECUREBITS_DROPPED);
	probe_result_free(&r);
}

static void test_credential_no_setgroups(void **state)
{
	static const uint32_t groups[] = {65534, 100};
	struct cfe_config c = probe_config();
	struct probe_result r;
	char ours[4096];

	(void)state;
	require_root();
	own_groups_text(ours, sizeof(ours));
	c.flags = CFE_FLAG_CREDENTIAL | CFE_FLAG_NO_SETGROUPS;
	c.uid = 65534;
	c.gid = 65534;
	c.groups = groups;
	c.groups_len = ARRAY_LEN(groups);
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json, "\"uid\":[65534,65534,65534],\"gid\":[65534,65534,65534]");
	assert_report_has(r.json, ours);
	probe_result_free(&r);
}

static void test_flag_drop_caps(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.flags = CFE_FLAG_DROP_CAPS;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json, "\"uid\":[0,0,0]");
	assert_report_has(r.json, "\"cap_prm\":\"" NO_CAPS "\",\"cap_eff\":\"" NO_CAPS "\"");
	assert_int_equal(json_int(r.json, "securebits"), SECUREBITS_DROPPED);
	probe_result_free(&r);
}

/* ---- setgroups in a user namespace ---- */

/* Setgroups works inside the namespace only with the flag. */
static void test_flag_gid_mappings_enable_setgroups(void **state)
{
	static const uint32_t groups[] = {1002, 1001};
	struct cfe_config c = probe_config();
	struct probe_result r;
	char text[64];
	int32_t pid;

	(void)state;
	require_root();
	set_test_maps(&c);
	c.flags = CFE_FLAG_CREDENTIAL | CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS;
	c.uid = 1000;
	c.gid = 1000;
	c.groups = groups;
	c.groups_len = ARRAY_LEN(groups);
	pid = start_sleeper(&c);
	read_proc(pid, "setgroups", text, sizeof(text));
	kill_sleeper(pid);
	assert_string_equal(text, "allow\n");

	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_report_has(r.json, "\"uid\":[1000,1000,1000],\"gid\":[1000,1000,1000],"
				  "\"groups\":[1001,1002]");
	probe_result_free(&r);
}

static void test_setgroups_denied_without_flag(void **state)
{
	struct cfe_config c = probe_config();
	char text[64];
	int32_t pid;

	(void)state;
	require_root();
	set_test_maps(&c);
	pid = start_sleeper(&c);
	read_proc(pid, "setgroups", text, sizeof(text));
	kill_sleeper(pid);
	assert_string_equal(text, "deny\n");
}

/* ---- sync_fn, unshare cgroup after sync ---- */

struct sync_seen {
	const void *context;
	int32_t pid;
	int calls;
	int alive;
};

static int32_t record_sync(void *context, int32_t pid)
{
	struct sync_seen *seen = context;

	seen->context = context;
	seen->pid = pid;
	seen->calls++;
	seen->alive = pid_exists(pid);
	return 0;
}

static void test_sync_fn_context(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct sync_seen seen = {0};

	(void)state;
	require_root();
	c.sync_fn = record_sync;
	c.sync_context = &seen;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(seen.calls, 1);
	assert_ptr_equal(seen.context, &seen);
	assert_int_equal(seen.pid, r.pid);
	assert_int_equal(json_int(r.json, "pid"), r.pid);
	assert_true(seen.alive);
	probe_result_free(&r);
}

/* Only the cgroup namespace is new; capabilities stay unless dropped. */
static void test_flag_unshare_cgroup_after_sync(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct sync_seen seen = {0};
	char caps[128];

	(void)state;
	require_root();
	own_cap_text(caps, sizeof(caps));
	c.flags = CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC;
	c.sync_fn = record_sync;
	c.sync_context = &seen;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(seen.calls, 1);
	assert_namespaces(r.json, CLONE_NEWCGROUP);
	assert_report_has(r.json, caps);
	assert_int_equal(json_int(r.json, "securebits"), SECUREBITS_KEPT);
	probe_result_free(&r);
}

static void test_flag_unshare_cgroup_after_sync_drop_caps(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct sync_seen seen = {0};

	(void)state;
	require_root();
	c.flags = CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC | CFE_FLAG_DROP_CAPS;
	c.sync_fn = record_sync;
	c.sync_context = &seen;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	assert_int_equal(seen.calls, 1);
	assert_namespaces(r.json, CLONE_NEWCGROUP);
	assert_report_has(r.json, "\"cap_prm\":\"" NO_CAPS "\",\"cap_eff\":\"" NO_CAPS "\"");
	assert_int_equal(json_int(r.json, "securebits"), SECUREBITS_DROPPED);
	probe_result_free(&r);
}

/* ---- CTTY ---- */

static int open_pty_slave(int *master)
{
	const char *name;
	int slave;

	*master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(*master >= 0);
	assert_int_equal(fcntl(*master, F_SETFD, FD_CLOEXEC), 0);
	assert_int_equal(grantpt(*master), 0);
	assert_int_equal(unlockpt(*master), 0);
	name = ptsname(*master);
	assert_non_null(name);
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	return slave;
}

static void run_with_tty(uint32_t flags, struct probe_result *r)
{
	struct cfe_config c = probe_config();
	int master;
	int32_t files[1];

	files[0] = open_pty_slave(&master);
	c.files = files;
	c.files_len = ARRAY_LEN(files);
	c.flags = flags;
	probe_run(&c, NULL, r);
	close(files[0]);
	close(master);
}

static void test_flag_ctty(void **state)
{
	struct probe_result r;

	(void)state;
	require_root();
	run_with_tty(CFE_FLAG_CTTY, &r);
	assert_started(&r);
	assert_int_equal(json_int(r.json, "ctty"), 1);
	assert_int_equal(json_int(r.json, "sid"), r.pid);
	assert_true(json_int(r.json, "tty_nr") != 0);
	probe_result_free(&r);

	run_with_tty(0, &r);
	assert_started(&r);
	assert_int_equal(json_int(r.json, "ctty"), 0);
	assert_int_equal(json_int(r.json, "tty_nr"), 0);
	probe_result_free(&r);
}

/* ---- signal state ---- */

/* Kernel layout, as the probe reads it. */
struct kernel_sigaction {
	void *handler;
	/* Only handler is read; the rest gives the kernel room to write. */
	unsigned long flags; /* cppcheck-suppress unusedStructMember */
	void *restorer;	     /* cppcheck-suppress unusedStructMember */
	uint64_t mask;	     /* cppcheck-suppress unusedStructMember */
};

static uint64_t own_ignored_signals(void)
{
	uint64_t ignored = 0;

	for (int sig = 1; sig <= 64; sig++) {
		struct kernel_sigaction ka;

		memset(&ka, 0, sizeof(ka));
		if (syscall(SYS_rt_sigaction, sig, NULL, &ka, sizeof(uint64_t)) == 0 &&
		    ka.handler == (void *)SIG_IGN)
			ignored |= 1ULL << (sig - 1);
	}
	return ignored;
}

static uint64_t own_sigmask(void)
{
	uint64_t mask = 0;

	assert_int_equal(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, sizeof(mask)), 0);
	return mask;
}

/* The caller's mask at cfe_start, ignored signals still ignored, handled
 * ones back to default. */
static void test_signal_state(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;
	struct sigaction ignore, handle, old_usr2, old_term;
	sigset_t block, old_mask;
	uint64_t mask, ignored;
	char text[128];

	(void)state;
	require_root();
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	memset(&handle, 0, sizeof(handle));
	handle.sa_handler = do_nothing;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	assert_int_equal(sigaction(SIGUSR2, &ignore, &old_usr2), 0);
	assert_int_equal(sigaction(SIGTERM, &handle, &old_term), 0);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
	mask = own_sigmask();
	ignored = own_ignored_signals();
	probe_run(&c, NULL, &r);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old_mask, NULL), 0);
	assert_int_equal(sigaction(SIGTERM, &old_term, NULL), 0);
	assert_int_equal(sigaction(SIGUSR2, &old_usr2, NULL), 0);
	assert_started(&r);

	assert_true(mask & (1ULL << (SIGUSR1 - 1)));
	snprintf(text, sizeof(text), "\"sigmask\":\"%016llx\"", (unsigned long long)mask);
	assert_report_has(r.json, text);
	assert_true(ignored & (1ULL << (SIGUSR2 - 1)));
	snprintf(text, sizeof(text), "\"sigign\":\"%016llx\"", (unsigned long long)ignored);
	assert_report_has(r.json, text);
	assert_report_has(r.json, "\"sighandled\":\"" NO_CAPS "\"");
	probe_result_free(&r);
}

/* ---- the size rule ---- */

/* A caller compiled against a later version: our struct plus a tail. */
struct config_with_tail {
	struct cfe_config config;
	unsigned char tail[64];
};

static void test_size_ver1(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.size = CFE_CONFIG_SIZE_VER1;
	probe_run(&c, NULL, &r);
	assert_started(&r);
	probe_result_free(&r);
}

static void test_size_larger_zero_tail(void **state)
{
	struct config_with_tail big;
	struct probe_result r;

	(void)state;
	require_root();
	memset(&big, 0, sizeof(big));
	big.config = probe_config();
	big.config.size = sizeof(big);
	probe_run(&big.config, NULL, &r);
	assert_started(&r);
	probe_result_free(&r);
}

static void test_size_larger_nonzero_tail(void **state)
{
	struct config_with_tail big;
	struct probe_result r;

	(void)state;
	require_root();
	memset(&big, 0, sizeof(big));
	big.config = probe_config();
	big.config.size = sizeof(big);
	big.tail[sizeof(big.tail) - 1] = 1;
	probe_run(&big.config, NULL, &r);
	assert_child_error(&r, E2BIG, CFE_LOC_NONE, 0);
	assert_string_equal(r.json, "");
	probe_result_free(&r);
}

static void test_size_too_small(void **state)
{
	struct cfe_config c = probe_config();
	struct probe_result r;

	(void)state;
	require_root();
	c.size = CFE_CONFIG_SIZE_VER1 - 8;
	probe_run(&c, NULL, &r);
	assert_child_error(&r, EINVAL, CFE_LOC_NONE, 0);
	assert_string_equal(r.json, "");
	probe_result_free(&r);
}

const struct CMUnitTest fields_tests[] = {
    cmocka_unit_test(test_args_reported_exactly),
    cmocka_unit_test(test_env_reported_exactly),
    cmocka_unit_test(test_env_empty),
    cmocka_unit_test(test_exec_fd_with_bogus_argv0),
    cmocka_unit_test(test_exec_fd_inside_files_range),
    cmocka_unit_test(test_rlimits),
    cmocka_unit_test(test_files_default_exact),
    cmocka_unit_test(test_files_in_place_and_closed),
    cmocka_unit_test(test_files_permutation),
    cmocka_unit_test(test_files_keep_inherited),
    cmocka_unit_test(test_workdir),
    cmocka_unit_test(test_defaults_inherited),
    cmocka_unit_test(test_setsid),
    cmocka_unit_test(test_seccomp_allow_all),
    cmocka_unit_test(test_flag_no_new_privs),
    cmocka_unit_test(test_clone_flags_each_namespace),
    cmocka_unit_test(test_clone_flags_all_namespaces),
    cmocka_unit_test(test_clone_flags_non_namespace_bits_ignored),
    cmocka_unit_test(test_mounts),
    cmocka_unit_test(test_pivot_root),
    cmocka_unit_test(test_hostname_domainname),
    cmocka_unit_test(test_hostname_without_uts_namespace),
    cmocka_unit_test(test_id_maps_default),
    cmocka_unit_test(test_id_maps_explicit),
    cmocka_unit_test(test_cgroup_fd),
    cmocka_unit_test(test_credential),
    cmocka_unit_test(test_credential_no_setgroups),
    cmocka_unit_test(test_flag_drop_caps),
    cmocka_unit_test(test_flag_gid_mappings_enable_setgroups),
    cmocka_unit_test(test_setgroups_denied_without_flag),
    cmocka_unit_test(test_sync_fn_context),
    cmocka_unit_test(test_flag_unshare_cgroup_after_sync),
    cmocka_unit_test(test_flag_unshare_cgroup_after_sync_drop_caps),
    cmocka_unit_test(test_flag_ctty),
    cmocka_unit_test(test_signal_state),
    cmocka_unit_test(test_size_ver1),
    cmocka_unit_test(test_size_larger_zero_tail),
    cmocka_unit_test(test_size_larger_nonzero_tail),
    cmocka_unit_test(test_size_too_small),
};
const size_t fields_tests_len = sizeof(fields_tests) / sizeof(fields_tests[0]);
