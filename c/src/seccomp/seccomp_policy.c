/*
 * The seccomp policy builder (cforkexec_seccomp.h): a default action and a
 * table of (system call, action) rules, turned into a BPF program by
 * libseccomp at export.
 *
 * It lives in its own directory, apart from the core's sources in c/src,
 * because it is the only part of the library that needs libseccomp: the
 * core (and what compiles the core's files on its own: the cgo bindings,
 * the fuzzer, the aarch64 cross build) stays free of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "cforkexec_seccomp.h"

/* The kernel's limit on a classic-BPF program (BPF_MAXINSNS). */
#define MAX_PROGRAM_LEN 4096u
/* The largest errno libseccomp lets a filter return: below the kernel's
 * MAX_ERRNO (4095). */
#define MAX_FILTER_ERRNO 4094u

struct rule {
	int nr;		   /* native system call number */
	uint32_t action;   /* CFE_SECCOMP_ action */
	int from_defaults; /* added by cfe_seccomp_add_judge_defaults */
};

struct cfe_seccomp {
	uint32_t default_action;
	size_t len, cap;
	struct rule *rules;
};

/* See cfe_seccomp_add_judge_defaults() for what the list allows and why
 * the rest stays out.  Names of every architecture: each is skipped where
 * the native one lacks it. */
static const char *const judge_defaults[] = {
    /* the exec that starts the program (and, traced, any later one) */
    "execve",
    "execveat",
    /* memory */
    "brk",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "madvise",
    /* input and output on open fds */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "lseek",
    "close",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "ioctl",
    "fadvise64",
    /* looking at files: the dynamic loader, locales, /proc/self */
    "open",
    "openat",
    "stat",
    "lstat",
    "fstat",
    "newfstatat",
    "statx",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getcwd",
    /* the C library's start-up and thread bookkeeping */
    "arch_prctl",
    "set_tid_address",
    "set_robust_list",
    "rseq",
    "prlimit64",
    "getrlimit",
    "getrandom",
    "futex",
    "sched_getaffinity",
    "sched_yield",
    /* clocks, sleeping, accounting */
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "nanosleep",
    "clock_nanosleep",
    "getrusage",
    "times",
    /* who am I */
    "uname",
    "getpid",
    "gettid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    /* signals to itself: handlers, masks, raise() and abort() */
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "tgkill",
    "restart_syscall",
    /* the end */
    "exit",
    "exit_group",
};

#define JUDGE_DEFAULTS_LEN (sizeof(judge_defaults) / sizeof(judge_defaults[0]))

static int action_valid(uint32_t action)
{
	switch (action & 0xffff0000u) {
	case CFE_SECCOMP_ALLOW:
	case CFE_SECCOMP_KILL:
		return (action & 0xffffu) == 0;
	case CFE_SECCOMP_ERRNO(0):
		return (action & 0xffffu) <= MAX_FILTER_ERRNO;
	case CFE_SECCOMP_TRACE(0):
		return 1;
	default:
		return 0;
	}
}

struct cfe_seccomp *cfe_seccomp_new(uint32_t default_action)
{
	struct cfe_seccomp *p;

	if (!action_valid(default_action)) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->default_action = default_action;
	return p;
}

void cfe_seccomp_free(struct cfe_seccomp *policy)
{
	if (policy == NULL)
		return;
	free(policy->rules);
	free(policy);
}

static struct rule *find_rule(const struct cfe_seccomp *p, int nr)
{
	for (size_t i = 0; i < p->len; i++)
		if (p->rules[i].nr == nr)
			return &p->rules[i];
	return NULL;
}

static int append_rule(struct cfe_seccomp *p, int nr, uint32_t action, int from_defaults)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct rule *bigger = realloc(p->rules, cap * sizeof(*bigger));

		if (bigger == NULL)
			return -ENOMEM;
		p->rules = bigger;
		p->cap = cap;
	}
	p->rules[p->len++] = (struct rule){nr, action, from_defaults};
	return 0;
}

/* The native number of name, or -1 when the native architecture has no
 * such system call (libseccomp answers a negative "pseudo" number for a
 * name only other architectures have, and __NR_SCMP_ERROR for none). */
static int native_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);

	return nr < 0 ? -1 : nr;
}

int cfe_seccomp_add(struct cfe_seccomp *policy, uint32_t action, const char *syscall_name)
{
	struct rule *r;
	int nr;

	if (policy == NULL || syscall_name == NULL || !action_valid(action))
		return -EINVAL;
	nr = native_nr(syscall_name);
	if (nr < 0)
		return -EINVAL;
	r = find_rule(policy, nr);
	if (r == NULL)
		return append_rule(policy, nr, action, 0);
	if (r->from_defaults) {
		*r = (struct rule){nr, action, 0};
		return 0;
	}
	return r->action == action ? 0 : -EEXIST;
}

int cfe_seccomp_add_judge_defaults(struct cfe_seccomp *policy)
{
	if (policy == NULL)
		return -EINVAL;
	for (size_t i = 0; i < JUDGE_DEFAULTS_LEN; i++) {
		int nr = native_nr(judge_defaults[i]);
		int rc;

		if (nr < 0 || find_rule(policy, nr) != NULL)
			continue;
		rc = append_rule(policy, nr, CFE_SECCOMP_ALLOW, 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

const char *cfe_seccomp_judge_default_name(uint32_t i)
{
	return i < JUDGE_DEFAULTS_LEN ? judge_defaults[i] : NULL;
}

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
/* libseccomp measures the program, then writes it into our buffer. */
static int export_program(scmp_filter_ctx ctx, struct cfe_bpf_insn **insns, size_t *bytes)
{
	size_t len = 0;
	int rc = seccomp_export_bpf_mem(ctx, NULL, &len);

	if (rc < 0)
		return rc;
	if (len > MAX_PROGRAM_LEN * sizeof(**insns))
		return -E2BIG;
	*insns = malloc(len ? len : 1);
	if (*insns == NULL)
		return -ENOMEM;
	rc = seccomp_export_bpf_mem(ctx, *insns, &len);
	if (rc < 0) {
		free(*insns);
		return rc;
	}
	*bytes = len;
	return 0;
}
#else
/* Before libseccomp 2.6 the program can only be written to an fd: a memfd,
 * read back whole. */
static int export_program(scmp_filter_ctx ctx, struct cfe_bpf_insn **insns, size_t *bytes)
{
	int fd = memfd_create("cfe-seccomp", MFD_CLOEXEC);
	struct stat st;
	size_t done = 0;
	int rc;

	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc == 0 && fstat(fd, &st) < 0)
		rc = -errno;
	if (rc == 0 && (uint64_t)st.st_size > MAX_PROGRAM_LEN * sizeof(**insns))
		rc = -E2BIG;
	if (rc == 0) {
		*insns = malloc(st.st_size ? (size_t)st.st_size : 1);
		if (*insns == NULL)
			rc = -ENOMEM;
	}
	while (rc == 0 && done < (size_t)st.st_size) {
		ssize_t n =
		    pread(fd, (char *)*insns + done, (size_t)st.st_size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			free(*insns);
			*insns = NULL;
		} else {
			done += (size_t)n;
		}
	}
	close(fd);
	if (rc == 0)
		*bytes = done;
	return rc;
}
#endif

/* The context libseccomp builds the program from: the native architecture
 * only, a foreign one killing the process, the rules that differ from the
 * default. */
static int build_context(const struct cfe_seccomp *p, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	int rc;

	/* The action is valid: out of memory, or a kernel before 4.14 that
	 * lacks SECCOMP_RET_KILL_PROCESS, which libseccomp asks it about. */
	if (ctx == NULL)
		return -ENOMEM;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, CFE_SECCOMP_KILL);
	for (size_t i = 0; rc == 0 && i < p->len; i++)
		if (p->rules[i].action != p->default_action)
			rc = seccomp_rule_add(ctx, p->rules[i].action, p->rules[i].nr, 0);
	if (rc < 0) {
		seccomp_release(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

int cfe_seccomp_export(const struct cfe_seccomp *policy, struct cfe_bpf_insn **insns, uint32_t *len)
{
	struct cfe_bpf_insn *program = NULL;
	scmp_filter_ctx ctx;
	size_t bytes = 0;
	int rc;

	if (policy == NULL || insns == NULL || len == NULL)
		return -EINVAL;
	rc = build_context(policy, &ctx);
	if (rc < 0)
		return rc;
	rc = export_program(ctx, &program, &bytes);
	seccomp_release(ctx);
	if (rc < 0)
		return rc;
	*insns = program;
	*len = (uint32_t)(bytes / sizeof(*program));
	return 0;
}

void cfe_seccomp_free_program(struct cfe_bpf_insn *insns)
{
	free(insns);
}
