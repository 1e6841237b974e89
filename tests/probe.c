/*
 * probe: test helper for the sandbox process-start library.
 *
 * The tests start this program in various sandbox configurations and assert on
 * what it reports: one JSON object on one line describing the process state it
 * was started in (ids, credentials, namespaces, rlimits, fds, signals, root fs).
 * It must cope with a missing /proc, a near-empty read-only root and closed
 * stdio, so every value that cannot be read is printed as null instead.
 *
 * Modes (argv[1]): --exit N, --sleep MS, --getppid-loop N, --out-fd FD.
 * Build: gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o tests/probe tests/probe.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS		 1024
#define MAX_ROOT_ENTRIES 1024

extern char **environ;

/* Sized for a large environment; output is all-or-nothing, never truncated JSON. */
static char out[256 * 1024];
static size_t out_len;
static int out_overflow;

/* Per fd: -1 closed, else the FD_CLOEXEC bit. Filled before we open anything. */
static signed char fd_state[MAX_FDS];

static gid_t groups[NGROUPS_MAX];
static char root_names[64 * 1024];
static const char *root_sorted[MAX_ROOT_ENTRIES];

__attribute__((format(printf, 1, 2))) static void put(const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(out) - out_len;
	int n;

	if (out_overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + out_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		out_overflow = 1;
	else
		out_len += (size_t)n;
}

static void put_str(const char *s)
{
	put("\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put("\\%c", c);
		else if (c < 0x20)
			put("\\u%04x", c);
		else
			put("%c", c);
	}
	put("\"");
}

static void put_str_array(char *const *v, size_t n)
{
	put("[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(",");
		put_str(v[i]);
	}
	put("]");
}

/* -1 is the failure value of every call that feeds this, so it maps to null. */
static void put_int_or_null(long long v)
{
	if (v == -1)
		put("null");
	else
		put("%lld", v);
}

static void put_hex16(const char *key, uint64_t v)
{
	put(",\"%s\":\"%016llx\"", key, (unsigned long long)v);
}

static int parse_long(const char *s, long *v)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtol(s, &end, 10);
	return (errno || *end) ? -1 : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Handles the non-reporting modes; returns only if argv[1] is not one of them. */
static void run_simple_modes(int argc, char **argv)
{
	long n = 0;
	int bad;

	if (argc < 2)
		return;
	bad = parse_long(argc > 2 ? argv[2] : NULL, &n) || n < 0;
	if (strcmp(argv[1], "--exit") == 0)
		exit(bad ? 2 : (int)n);
	if (strcmp(argv[1], "--sleep") == 0) {
		if (!bad)
			sleep_ms(n);
		exit(bad ? 2 : 0);
	}
	if (strcmp(argv[1], "--getppid-loop") == 0) {
		/* Raw syscall so seccomp/ptrace tests see exactly n getppid calls. */
		for (long i = 0; !bad && i < n; i++)
			syscall(SYS_getppid);
		exit(bad ? 2 : 0);
	}
}

static void scan_fds(void)
{
	for (int fd = 0; fd < MAX_FDS; fd++) {
		int flags = fcntl(fd, F_GETFD);
		fd_state[fd] = flags < 0 ? -1 : (flags & FD_CLOEXEC) ? 1 : 0;
	}
}

static void put_cwd(void)
{
	char buf[PATH_MAX];

	put(",\"cwd\":");
	if (getcwd(buf, sizeof(buf)) && buf[0] == '/')
		put_str(buf);
	else
		put("null");
}

static void put_ids(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int n;

	if (getresuid(&ru, &eu, &su) == 0)
		put(",\"uid\":[%u,%u,%u]", ru, eu, su);
	else
		put(",\"uid\":null");
	if (getresgid(&rg, &eg, &sg) == 0)
		put(",\"gid\":[%u,%u,%u]", rg, eg, sg);
	else
		put(",\"gid\":null");

	n = getgroups(NGROUPS_MAX, groups);
	if (n < 0) {
		put(",\"groups\":null");
		return;
	}
	put(",\"groups\":[");
	for (int i = 0; i < n; i++)
		put(i ? ",%u" : "%u", groups[i]);
	put("]");
}

/* Walks a prctl per-capability query until the kernel says the cap does not exist. */
static uint64_t cap_mask_from_prctl(int option, int sub)
{
	uint64_t mask = 0;

	for (unsigned long cap = 0; cap < 64; cap++) {
		int r = sub ? prctl(option, sub, cap, 0, 0) : prctl(option, cap, 0, 0, 0);
		if (r < 0)
			break;
		if (r > 0)
			mask |= 1ULL << cap;
	}
	return mask;
}

static void put_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0) {
		put_hex16("cap_inh", (uint64_t)data[1].inheritable << 32 | data[0].inheritable);
		put_hex16("cap_prm", (uint64_t)data[1].permitted << 32 | data[0].permitted);
		put_hex16("cap_eff", (uint64_t)data[1].effective << 32 | data[0].effective);
	} else {
		put(",\"cap_inh\":null,\"cap_prm\":null,\"cap_eff\":null");
	}
	put_hex16("cap_bnd", cap_mask_from_prctl(PR_CAPBSET_READ, 0));
	put_hex16("cap_amb", cap_mask_from_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET));
}

static void put_prctl_state(void)
{
	put(",\"securebits\":");
	put_int_or_null(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	put(",\"no_new_privs\":");
	put_int_or_null(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	put(",\"seccomp\":");
	put_int_or_null(prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	put(",\"dumpable\":");
	put_int_or_null(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

static void put_namespaces(void)
{
	static const char *const kinds[] = {"cgroup", "ipc",  "mnt",  "net",
					    "pid",    "time", "user", "uts"};
	char path[64];
	struct stat st;

	put(",\"ns\":{");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i]);
		put("%s\"%s\":", i ? "," : "", kinds[i]);
		if (stat(path, &st) == 0)
			put("%llu", (unsigned long long)st.st_ino);
		else
			put("null");
	}
	put("}");
}

static void put_uts(void)
{
	struct utsname u;

	if (uname(&u) < 0) {
		put(",\"hostname\":null,\"domainname\":null");
		return;
	}
	put(",\"hostname\":");
	put_str(u.nodename);
	put(",\"domainname\":");
	put_str(u.domainname);
}

static void put_rlim_value(const char *prefix, rlim_t v)
{
	if (v == RLIM_INFINITY)
		put("%s-1", prefix);
	else
		put("%s%llu", prefix, (unsigned long long)v);
}

static void put_rlimits(void)
{
	static const struct {
		const char *name;
		int resource;
	} limits[] = {
	    /* clang-format off */
	    {"as", RLIMIT_AS}, {"core", RLIMIT_CORE}, {"cpu", RLIMIT_CPU}, {"data", RLIMIT_DATA},
	    {"fsize", RLIMIT_FSIZE}, {"locks", RLIMIT_LOCKS}, {"memlock", RLIMIT_MEMLOCK},
	    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE}, {"nofile", RLIMIT_NOFILE},
	    {"nproc", RLIMIT_NPROC}, {"rss", RLIMIT_RSS}, {"rtprio", RLIMIT_RTPRIO},
	    {"rttime", RLIMIT_RTTIME}, {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
	    /* clang-format on */
	};

	put(",\"rlimits\":{");
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit r;

		put("%s\"%s\":", i ? "," : "", limits[i].name);
		if (prlimit(0, limits[i].resource, NULL, &r) < 0) {
			put("null");
			continue;
		}
		put_rlim_value("[", r.rlim_cur);
		put_rlim_value(",", r.rlim_max);
		put("]");
	}
	put("}");
}

static void put_fds(void)
{
	int first = 1;

	put(",\"fds\":[");
	for (int fd = 0; fd < MAX_FDS; fd++) {
		if (fd_state[fd] < 0)
			continue;
		put("%s[%d,%d]", first ? "" : ",", fd, fd_state[fd]);
		first = 0;
	}
	put("]");
}

/* Kernel layout; glibc's struct sigaction differs and its wrapper hides signals 32/33. */
struct kernel_sigaction {
	void *handler;
	/* Only handler is read; the rest gives the kernel room to write. */
	unsigned long flags; /* cppcheck-suppress unusedStructMember */
	void *restorer;	     /* cppcheck-suppress unusedStructMember */
	uint64_t mask;	     /* cppcheck-suppress unusedStructMember */
};

static void put_signals(void)
{
	uint64_t blocked = 0, ignored = 0, handled = 0;

	/* Raw syscall: glibc's sigprocmask would not show its internal signals. */
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked, sizeof(blocked)) == 0)
		put_hex16("sigmask", blocked);
	else
		put(",\"sigmask\":null");

	for (int sig = 1; sig <= 64; sig++) {
		struct kernel_sigaction ka;

		memset(&ka, 0, sizeof(ka));
		if (syscall(SYS_rt_sigaction, sig, NULL, &ka, sizeof(uint64_t)) < 0)
			continue;
		if (ka.handler == (void *)SIG_IGN)
			ignored |= 1ULL << (sig - 1);
		else if (ka.handler != (void *)SIG_DFL)
			handled |= 1ULL << (sig - 1);
	}
	put_hex16("sigign", ignored);
	put_hex16("sighandled", handled);
}

/* Field 7 of /proc/self/stat; comm may contain spaces and ')', so parse after the last ')'. */
static long long read_tty_nr(void)
{
	char buf[1024];
	char *p;
	ssize_t n;
	long long tty;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %lld", &tty) != 1)
		return -1;
	return tty;
}

static void put_session(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	put(",\"sid\":");
	put_int_or_null(getsid(0));
	put(",\"pgid\":");
	put_int_or_null(getpgid(0));
	put(",\"tty_nr\":");
	put_int_or_null(read_tty_nr());
	put(",\"ctty\":%d", fd >= 0);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Collects the names in "/" into root_sorted; returns their count or -1. */
static long list_root(void)
{
	DIR *d = opendir("/");
	const struct dirent *de;
	size_t n = 0, used = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL && n < MAX_ROOT_ENTRIES) {
		size_t len = strlen(de->d_name) + 1;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (used + len > sizeof(root_names))
			break;
		memcpy(root_names + used, de->d_name, len);
		root_sorted[n++] = root_names + used;
		used += len;
	}
	closedir(d);
	qsort(root_sorted, n, sizeof(root_sorted[0]), cmp_names);
	return (long)n;
}

static void put_root(void)
{
	long n = list_root();
	struct statvfs sv;

	put(",\"root\":");
	if (n < 0)
		put("null");
	else
		put_str_array((char *const *)root_sorted, (size_t)n);

	put(",\"root_flags\":");
	if (statvfs("/", &sv) < 0) {
		put("null");
		return;
	}
	put("{\"ro\":%d,\"nosuid\":%d,\"nodev\":%d,\"noexec\":%d,\"noatime\":%d}",
	    !!(sv.f_flag & ST_RDONLY), !!(sv.f_flag & ST_NOSUID), !!(sv.f_flag & ST_NODEV),
	    !!(sv.f_flag & ST_NOEXEC), !!(sv.f_flag & ST_NOATIME));
}

int main(int argc, char **argv)
{
	int out_fd = STDOUT_FILENO;
	size_t nenv = 0;
	long v;

	run_simple_modes(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--out-fd") == 0) {
		if (parse_long(argc > 2 ? argv[2] : NULL, &v) || v < 0 || v > INT_MAX)
			exit(2);
		out_fd = (int)v;
	}
	/* First, so that nothing the probe opens later shows up in the list. */
	scan_fds();

	put("{\"pid\":%d,\"ppid\":%d,\"argv\":", (int)getpid(), (int)getppid());
	put_str_array(argv, (size_t)argc);
	while (environ && environ[nenv])
		nenv++;
	put(",\"env\":");
	put_str_array(environ, nenv);
	put_cwd();
	put_ids();
	put_caps();
	put_prctl_state();
	put_namespaces();
	put_uts();
	put_rlimits();
	put_fds();
	put_signals();
	put_session();
	put_root();
	put("}\n");

	/* A cut-off object would only confuse the tests; report failure instead. */
	if (out_overflow)
		return 1;
	return write_all(out_fd, out, out_len) < 0 ? 1 : 0;
}
