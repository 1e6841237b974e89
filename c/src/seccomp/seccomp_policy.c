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
#include <sched.h>
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

/* The number of a system call's arguments a condition may name. */
#define MAX_ARGS 6u

/* One rule.  A name has either one unconditional rule or any number of
 * masked ones with one action (cfe_seccomp_add_masked says why), all from
 * the caller or all from a list. */
struct rule {
	int nr;		   /* native system call number */
	uint32_t action;   /* CFE_SECCOMP_ action */
	int from_defaults; /* added by cfe_seccomp_add_judge_defaults or _fork */
	int masked;	   /* applies only when (args[arg] & mask) == value */
	unsigned int arg;
	uint64_t mask, value;
};

/* A rule of a built-in list, by name. */
struct list_rule {
	const char *name;
	uint32_t action;
	int masked;
	unsigned int arg;
	uint64_t mask, value;
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
    "pwrite64",
    "lseek",
    "close",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "ioctl",
    "fadvise64",
    /* waiting on open fds: Rust's start-up asks poll whether fds 0-2 are
     * open (aarch64 has ppoll only) */
    "poll",
    "ppoll",
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
    /* glibc's sysconf(_SC_PHYS_PAGES): qsort of glibc 2.36 asks it before
     * sorting a large array */
    "sysinfo",
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

/* The flags that make clone create namespaces.  CLONE_NEWTIME is not one
 * of them: clone3 and unshare alone know it, and in clone's flags its bit
 * is part of the exit signal. */
#define CLONE_NEW_NAMESPACES                                                                       \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)

/* See cfe_seccomp_add_judge_fork(): what the judge defaults lack for a
 * program that starts processes and waits for them. */
static const struct list_rule judge_fork[] = {
    {.name = "fork", .action = CFE_SECCOMP_ALLOW},
    {.name = "vfork", .action = CFE_SECCOMP_ALLOW},
    /* flags, the first argument on x86_64 and aarch64 alike, without a
     * namespace */
    {.name = "clone",
     .action = CFE_SECCOMP_ALLOW,
     .masked = 1,
     .arg = 0,
     .mask = CLONE_NEW_NAMESPACES,
     .value = 0},
    /* its flags are in memory, which a filter cannot read: glibc falls back
     * to clone on ENOSYS */
    {.name = "clone3", .action = CFE_SECCOMP_ERRNO(ENOSYS)},
    {.name = "wait4", .action = CFE_SECCOMP_ALLOW},
    {.name = "waitid", .action = CFE_SECCOMP_ALLOW},
    {.name = "pipe", .action = CFE_SECCOMP_ALLOW},
    {.name = "pipe2", .action = CFE_SECCOMP_ALLOW},
    {.name = "kill", .action = CFE_SECCOMP_ALLOW},
};

#define JUDGE_FORK_LEN (sizeof(judge_fork) / sizeof(judge_fork[0]))

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

/* Whether nr has a rule, the caller's or a list's. */
static int has_rule(const struct cfe_seccomp *p, int nr)
{
	for (size_t i = 0; i < p->len; i++)
		if (p->rules[i].nr == nr)
			return 1;
	return 0;
}

/* A caller's rule replaces a list's rules for its name: drop them.  It
 * only makes room: when it drops a rule, the append that follows cannot
 * fail, so a failed add leaves the policy as it was. */
static void drop_list_rules(struct cfe_seccomp *p, int nr)
{
	size_t kept = 0;

	for (size_t i = 0; i < p->len; i++)
		if (p->rules[i].nr != nr || !p->rules[i].from_defaults)
			p->rules[kept++] = p->rules[i];
	p->len = kept;
}

static int append_rule(struct cfe_seccomp *p, const struct rule *r)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct rule *bigger = realloc(p->rules, cap * sizeof(*bigger));

		if (bigger == NULL)
			return -ENOMEM;
		p->rules = bigger;
		p->cap = cap;
	}
	p->rules[p->len++] = *r;
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

/* A caller's rule r (nr set) into the policy, by the rules of
 * cfe_seccomp_add and cfe_seccomp_add_masked. */
static int add_caller_rule(struct cfe_seccomp *p, const struct rule *r)
{
	for (size_t i = 0; i < p->len; i++) {
		const struct rule *old = &p->rules[i];

		if (old->nr != r->nr || old->from_defaults)
			continue;
		/* The name is the caller's already: only more of the same kind
		 * and action, and the same rule again, are no conflict. */
		if (old->masked != r->masked || old->action != r->action)
			return -EEXIST;
		if (!r->masked ||
		    (old->arg == r->arg && old->mask == r->mask && old->value == r->value))
			return 0;
	}
	drop_list_rules(p, r->nr);
	return append_rule(p, r);
}

int cfe_seccomp_add(struct cfe_seccomp *policy, uint32_t action, const char *syscall_name)
{
	struct rule r = {.action = action};

	if (policy == NULL || syscall_name == NULL || !action_valid(action))
		return -EINVAL;
	r.nr = native_nr(syscall_name);
	if (r.nr < 0)
		return -EINVAL;
	return add_caller_rule(policy, &r);
}

int cfe_seccomp_add_masked(struct cfe_seccomp *policy, uint32_t action, const char *syscall_name,
			   uint32_t arg_index, uint64_t mask, uint64_t value)
{
	struct rule r = {
	    .action = action, .masked = 1, .arg = arg_index, .mask = mask, .value = value};

	if (policy == NULL || syscall_name == NULL || !action_valid(action) ||
	    arg_index >= MAX_ARGS || (value & ~mask) != 0)
		return -EINVAL;
	r.nr = native_nr(syscall_name);
	if (r.nr < 0)
		return -EINVAL;
	return add_caller_rule(policy, &r);
}

/* A list's rules, but for the names that have rules already (the caller's,
 * or this or another list's). */
static int add_list(struct cfe_seccomp *p, const struct list_rule *list, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		struct rule r = {
		    .nr = native_nr(list[i].name),
		    .action = list[i].action,
		    .from_defaults = 1,
		    .masked = list[i].masked,
		    .arg = list[i].arg,
		    .mask = list[i].mask,
		    .value = list[i].value,
		};
		int rc;

		if (r.nr < 0 || has_rule(p, r.nr))
			continue;
		rc = append_rule(p, &r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cfe_seccomp_add_judge_defaults(struct cfe_seccomp *policy)
{
	if (policy == NULL)
		return -EINVAL;
	for (size_t i = 0; i < JUDGE_DEFAULTS_LEN; i++) {
		struct list_rule r = {.name = judge_defaults[i], .action = CFE_SECCOMP_ALLOW};
		int rc = add_list(policy, &r, 1);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int cfe_seccomp_add_judge_fork(struct cfe_seccomp *policy)
{
	int rc = cfe_seccomp_add_judge_defaults(policy);

	if (rc < 0)
		return rc;
	return add_list(policy, judge_fork, JUDGE_FORK_LEN);
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

static int add_to_context(scmp_filter_ctx ctx, const struct rule *r)
{
	struct scmp_arg_cmp cond = {
	    .arg = r->arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = r->mask, .datum_b = r->value};

	if (!r->masked)
		return seccomp_rule_add(ctx, r->action, r->nr, 0);
	return seccomp_rule_add(ctx, r->action, r->nr, 1, cond);
}

/* The context libseccomp builds the program from: the native architecture
 * only, a foreign one killing the process, the rules that differ from the
 * default. */
static int build_context(const struct cfe_seccomp *p, scmp_filter_ctx *out)
{
	scmp_filter_ctx ctx;
	int rc;

	/* Every program kills the process on a foreign architecture: libseccomp
	 * lets it only when seccomp(2) told it the kernel has
	 * SECCOMP_RET_KILL_PROCESS (API level 3), and refuses that action
	 * otherwise, seccomp_init with a NULL.  A kernel before 4.14 lacks it;
	 * more often seccomp(2) is hidden (valgrind) or refused (a container's
	 * seccomp profile).  Then nothing can be built truthfully. */
	if (seccomp_api_get() < 3)
		return -EOPNOTSUPP;
	/* The action is valid and supported: only memory is left to fail. */
	ctx = seccomp_init(p->default_action);
	if (ctx == NULL)
		return -ENOMEM;
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, CFE_SECCOMP_KILL);
	for (size_t i = 0; rc == 0 && i < p->len; i++)
		if (p->rules[i].action != p->default_action)
			rc = add_to_context(ctx, &p->rules[i]);
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
