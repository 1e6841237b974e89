/* Unit tests of the seccomp policy builder (c/src/seccomp/seccomp_policy.c):
 * its refusals, and what its programs decide, read by a small classic-BPF
 * interpreter over the kernel's struct seccomp_data instead of a start (the
 * integration suite loads them for real). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <seccomp.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "cforkexec_seccomp.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__x86_64__)
#define NATIVE_ARCH  AUDIT_ARCH_X86_64
#define FOREIGN_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define NATIVE_ARCH  AUDIT_ARCH_AARCH64
#define FOREIGN_ARCH AUDIT_ARCH_ARM
#endif

/* libseccomp asks the kernel, through seccomp(2), which actions it has;
 * valgrind, which runs this suite, does not know that system call, and
 * libseccomp then refuses SECCOMP_RET_KILL_PROCESS.  Every kernel this
 * library supports (5.3 and later) has it: tell libseccomp so. */
static int assume_kernel_actions(void **state)
{
	static int told;

	(void)state;
	if (seccomp_api_get() >= 3)
		return 0;
	if (!told)
		fprintf(stderr,
			"seccomp tests: libseccomp API level %u (seccomp(2) hidden, by valgrind?): "
			"assuming level 3, SECCOMP_RET_KILL_PROCESS\n",
			seccomp_api_get());
	told = 1;
	return seccomp_api_set(3) == 0 ? 0 : -1;
}

/* What the program returns for system call nr made through arch with
 * args (all zero when NULL); fails the test on an instruction the builder
 * should not emit or a jump out of the program. */
static uint32_t run_program_args(const struct cfe_bpf_insn *p, uint32_t len, uint32_t arch, int nr,
				 const uint64_t *args)
{
	struct seccomp_data data;
	uint32_t a = 0;

	memset(&data, 0, sizeof(data));
	data.nr = nr;
	data.arch = arch;
	if (args != NULL)
		memcpy(data.args, args, sizeof(data.args));
	for (uint32_t pc = 0; pc < len; pc++) {
		const struct cfe_bpf_insn *in = &p[pc];
		int taken = 0;

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(in->k + 4 <= sizeof(data) && in->k % 4 == 0);
			memcpy(&a, (const char *)&data + in->k, 4);
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= in->k;
			continue;
		case BPF_RET | BPF_K:
			return in->k;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = a == in->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = a > in->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = a >= in->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			taken = (a & in->k) != 0;
			break;
		default:
			fail_msg("instruction %u: unexpected code %#x", pc, in->code);
		}
		pc += taken ? in->jt : in->jf;
	}
	fail_msg("the program ran off its end");
	return 0;
}

static uint32_t run_program(const struct cfe_bpf_insn *p, uint32_t len, uint32_t arch, int nr)
{
	return run_program_args(p, len, arch, nr, NULL);
}

/* Export p and return what the program says for nr on the native
 * architecture. */
static uint32_t verdict(const struct cfe_seccomp *p, int nr)
{
	struct cfe_bpf_insn *insns = NULL;
	uint32_t len = 0, v;

	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	assert_non_null(insns);
	assert_true(len > 0 && len <= 4096);
	v = run_program(insns, len, NATIVE_ARCH, nr);
	cfe_seccomp_free_program(insns);
	return v;
}

/* What the program says for nr with its first argument arg0 (the others
 * zero) on the native architecture. */
static uint32_t verdict_arg0(const struct cfe_seccomp *p, int nr, uint64_t arg0)
{
	const uint64_t args[6] = {arg0};
	struct cfe_bpf_insn *insns = NULL;
	uint32_t len = 0, v;

	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	v = run_program_args(insns, len, NATIVE_ARCH, nr, args);
	cfe_seccomp_free_program(insns);
	return v;
}

static uint32_t program_len(const struct cfe_seccomp *p)
{
	struct cfe_bpf_insn *insns = NULL;
	uint32_t len = 0;

	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	cfe_seccomp_free_program(insns);
	return len;
}

static void test_action_encoding(void **state)
{
	(void)state;
	/* The kernel's SECCOMP_RET_ values, as the header promises. */
	assert_int_equal(CFE_SECCOMP_ALLOW, SECCOMP_RET_ALLOW);
	assert_int_equal(CFE_SECCOMP_KILL, SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(CFE_SECCOMP_ERRNO(13), SECCOMP_RET_ERRNO | 13);
	assert_int_equal(CFE_SECCOMP_TRACE(7), SECCOMP_RET_TRACE | 7);
}

static void test_new_refuses_bad_actions(void **state)
{
	static const uint32_t bad[] = {
	    0, /* SECCOMP_RET_KILL_THREAD: what a forgotten value holds */
	    0x12345678u,
	    CFE_SECCOMP_ALLOW | 1,
	    CFE_SECCOMP_KILL | 1,
	    CFE_SECCOMP_ERRNO(4095),
	    CFE_SECCOMP_ERRNO(-1),
	    CFE_SECCOMP_ERRNO(0x10000), /* bits that would overlap the action's */
	    CFE_SECCOMP_ERRNO(0x40000),
	    CFE_SECCOMP_TRACE(0x10000),
	    CFE_SECCOMP_TRACE(0xfff00000u),
	    CFE_SECCOMP_TRACE(-1),
	    SECCOMP_RET_TRAP,
	    SECCOMP_RET_LOG,
	};
	static const uint32_t good[] = {
	    CFE_SECCOMP_ALLOW,	     CFE_SECCOMP_KILL,	   CFE_SECCOMP_ERRNO(0),
	    CFE_SECCOMP_ERRNO(4094), CFE_SECCOMP_TRACE(0), CFE_SECCOMP_TRACE(0xffff),
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		errno = 0;
		assert_null(cfe_seccomp_new(bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		struct cfe_seccomp *p = cfe_seccomp_new(good[i]);

		assert_non_null(p);
		assert_int_equal(verdict(p, SYS_getppid), good[i]);
		cfe_seccomp_free(p);
	}
}

static void test_add_refuses_bad_input(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add(NULL, CFE_SECCOMP_KILL, "read"), -EINVAL);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, NULL), -EINVAL);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, ""), -EINVAL);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "no_such_syscall"), -EINVAL);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "READ"), -EINVAL);
	/* Known to libseccomp, but a 32-bit architecture's only. */
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "socketcall"), -EINVAL);
	assert_int_equal(cfe_seccomp_add(p, 0, "read"), -EINVAL);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ERRNO(5000), "read"), -EINVAL);
	assert_int_equal(cfe_seccomp_add_judge_defaults(NULL), -EINVAL);
	/* Nothing of that reached the policy. */
	assert_int_equal(verdict(p, SYS_read), CFE_SECCOMP_ALLOW);
	cfe_seccomp_free(p);
	/* NULL frees are no-ops. */
	cfe_seccomp_free(NULL);
	cfe_seccomp_free_program(NULL);
}

static void test_export_refuses_null(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);
	struct cfe_bpf_insn *insns = (struct cfe_bpf_insn *)&insns;
	uint32_t len = 12345;

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_export(NULL, &insns, &len), -EINVAL);
	assert_int_equal(cfe_seccomp_export(p, NULL, &len), -EINVAL);
	assert_int_equal(cfe_seccomp_export(p, &insns, NULL), -EINVAL);
	/* Left as they were. */
	assert_ptr_equal(insns, (struct cfe_bpf_insn *)&insns);
	assert_int_equal(len, 12345);
	cfe_seccomp_free(p);
}

static void test_rules_decide(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ERRNO(EPERM));

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ALLOW, "read"), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ERRNO(77), "getppid"), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_TRACE(42), "openat"), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "ptrace"), 0);
	assert_int_equal(verdict(p, SYS_read), CFE_SECCOMP_ALLOW);
	assert_int_equal(verdict(p, SYS_getppid), CFE_SECCOMP_ERRNO(77));
	assert_int_equal(verdict(p, SYS_openat), CFE_SECCOMP_TRACE(42));
	assert_int_equal(verdict(p, SYS_ptrace), CFE_SECCOMP_KILL);
	assert_int_equal(verdict(p, SYS_write), CFE_SECCOMP_ERRNO(EPERM));
	cfe_seccomp_free(p);
}

/* Another architecture's system call kills the process, whatever the
 * policy; so does an x32 one on x86_64. */
static void test_foreign_architecture_kills(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);
	struct cfe_bpf_insn *insns = NULL;
	uint32_t len = 0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add_judge_defaults(p), 0);
	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	assert_int_equal(run_program(insns, len, NATIVE_ARCH, SYS_read), CFE_SECCOMP_ALLOW);
	assert_int_equal(run_program(insns, len, FOREIGN_ARCH, SYS_read), CFE_SECCOMP_KILL);
	assert_int_equal(run_program(insns, len, FOREIGN_ARCH, 3), CFE_SECCOMP_KILL);
#if defined(__x86_64__)
	assert_int_equal(run_program(insns, len, NATIVE_ARCH, 0x40000000 | SYS_read),
			 CFE_SECCOMP_KILL);
#endif
	cfe_seccomp_free_program(insns);
	cfe_seccomp_free(p);
}

static void test_same_name_twice(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ERRNO(5), "getppid"), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ERRNO(5), "getppid"), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ERRNO(6), "getppid"), -EEXIST);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "getppid"), -EEXIST);
	assert_int_equal(verdict(p, SYS_getppid), CFE_SECCOMP_ERRNO(5));
	/* A rule with the default action is kept, and conflicts, but costs
	 * nothing in the program. */
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ALLOW, "read"), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "read"), -EEXIST);
	cfe_seccomp_free(p);
}

static void test_default_action_rule_adds_nothing(void **state)
{
	struct cfe_seccomp *a = cfe_seccomp_new(CFE_SECCOMP_KILL);
	struct cfe_seccomp *b = cfe_seccomp_new(CFE_SECCOMP_KILL);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(cfe_seccomp_add(b, CFE_SECCOMP_KILL, "read"), 0);
	assert_int_equal(cfe_seccomp_add(b, CFE_SECCOMP_KILL, "write"), 0);
	assert_int_equal(program_len(a), program_len(b));
	cfe_seccomp_free(a);
	cfe_seccomp_free(b);
}

/* What a judge needs is allowed, what it forbids gets the default. */
static void test_judge_defaults(void **state)
{
	static const int allowed[] = {
		SYS_execve,
		SYS_brk,
		SYS_mmap,
		SYS_munmap,
		SYS_read,
		SYS_write,
		SYS_close,
		SYS_openat,
		SYS_newfstatat,
		SYS_exit_group,
		SYS_exit,
		SYS_futex,
		SYS_rt_sigaction,
		SYS_rt_sigreturn,
		SYS_clock_gettime,
		SYS_getrandom,
		SYS_rseq,
		SYS_prlimit64,
		SYS_set_tid_address,
		SYS_tgkill,
		SYS_uname,
		SYS_clock_nanosleep,
		SYS_ioctl,
		SYS_restart_syscall,
		SYS_sysinfo,
		SYS_pread64,
		SYS_pwrite64,
		SYS_ppoll,
		SYS_sched_getaffinity,
		SYS_getrlimit,
#if defined(__x86_64__)
		SYS_poll,
		SYS_arch_prctl,
		SYS_open,
		SYS_stat,
		SYS_fstat,
#endif
	};
	static const int forbidden[] = {
		SYS_clone,
		SYS_clone3,
		SYS_socket,
		SYS_connect,
		SYS_ptrace,
		SYS_mount,
		SYS_kill,
		SYS_tkill,
		SYS_prctl,
		SYS_setuid,
		SYS_unlinkat,
		SYS_renameat2,
		SYS_unshare,
		SYS_setns,
		SYS_bpf,
		SYS_seccomp,
		SYS_pivot_root,
		SYS_chroot,
		SYS_wait4,
		SYS_pipe2,
		SYS_fstatfs,
#if defined(__x86_64__)
		SYS_fork,
		SYS_vfork,
		SYS_pipe,
#endif
	};
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ERRNO(ENOSYS));
	struct cfe_bpf_insn *insns = NULL;
	uint32_t len = 0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add_judge_defaults(p), 0);
	/* Twice is the same as once. */
	assert_int_equal(cfe_seccomp_add_judge_defaults(p), 0);
	assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
	for (size_t i = 0; i < ARRAY_LEN(allowed); i++)
		if (run_program(insns, len, NATIVE_ARCH, allowed[i]) != CFE_SECCOMP_ALLOW)
			fail_msg("system call %d is not allowed", allowed[i]);
	for (size_t i = 0; i < ARRAY_LEN(forbidden); i++)
		if (run_program(insns, len, NATIVE_ARCH, forbidden[i]) != CFE_SECCOMP_ERRNO(ENOSYS))
			fail_msg("system call %d is not forbidden", forbidden[i]);
	cfe_seccomp_free_program(insns);
	cfe_seccomp_free(p);
}

/* A caller's rule wins over the defaults, added before or after them. */
static void test_rule_wins_over_defaults(void **state)
{
	struct cfe_seccomp *before = cfe_seccomp_new(CFE_SECCOMP_KILL);
	struct cfe_seccomp *after = cfe_seccomp_new(CFE_SECCOMP_KILL);

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	assert_int_equal(cfe_seccomp_add(before, CFE_SECCOMP_TRACE(1), "execve"), 0);
	assert_int_equal(cfe_seccomp_add_judge_defaults(before), 0);
	assert_int_equal(cfe_seccomp_add_judge_defaults(after), 0);
	assert_int_equal(cfe_seccomp_add(after, CFE_SECCOMP_TRACE(1), "execve"), 0);
	assert_int_equal(verdict(before, SYS_execve), CFE_SECCOMP_TRACE(1));
	assert_int_equal(verdict(after, SYS_execve), CFE_SECCOMP_TRACE(1));
	assert_int_equal(verdict(after, SYS_read), CFE_SECCOMP_ALLOW);
	/* Once replaced, the name's action is the caller's: another conflicts. */
	assert_int_equal(cfe_seccomp_add(after, CFE_SECCOMP_KILL, "execve"), -EEXIST);
	cfe_seccomp_free(before);
	cfe_seccomp_free(after);
}

static void test_judge_default_names(void **state)
{
	uint32_t n = 0;

	(void)state;
	while (cfe_seccomp_judge_default_name(n) != NULL)
		n++;
	assert_true(n > 20);
	assert_null(cfe_seccomp_judge_default_name(n));
	assert_null(cfe_seccomp_judge_default_name(UINT32_MAX));
	assert_string_equal(cfe_seccomp_judge_default_name(0), "execve");
	for (uint32_t i = 0; i < n; i++) {
		struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);
		const char *name = cfe_seccomp_judge_default_name(i);
		int rc;

		assert_non_null(p);
		/* Every name is a system call here, or another architecture's. */
		rc = cfe_seccomp_add(p, CFE_SECCOMP_KILL, name);
		assert_true(rc == 0 || rc == -EINVAL);
		cfe_seccomp_free(p);
	}
}

/* The handle only records: a changed policy exports a changed program,
 * and an exported program outlives its policy. */
static void test_export_again(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);
	struct cfe_bpf_insn *first = NULL;
	uint32_t first_len = 0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_export(p, &first, &first_len), 0);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "getppid"), 0);
	assert_int_equal(verdict(p, SYS_getppid), CFE_SECCOMP_KILL);
	cfe_seccomp_free(p);
	assert_int_equal(run_program(first, first_len, NATIVE_ARCH, SYS_getppid),
			 CFE_SECCOMP_ALLOW);
	cfe_seccomp_free_program(first);
}

/* The clone flags a fork, posix_spawn and a thread use, and what a
 * sandbox escape would add. */
#define FORK_FLAGS  (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)
#define SPAWN_FLAGS (CLONE_VM | CLONE_VFORK | SIGCHLD)
#define THREAD_FLAGS                                                                               \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

/* A masked rule holds exactly when (arg & mask) == value, on all 64 bits,
 * and gives the default action otherwise. */
static void test_masked_rule_decides(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ERRNO(EPERM));

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_ALLOW, "clone", 0,
						CLONE_NEWUSER | CLONE_NEWNET, 0),
			 0);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "getppid", 2, 0xff00, 0x1200),
			 0);
	assert_int_equal(verdict_arg0(p, SYS_clone, FORK_FLAGS), CFE_SECCOMP_ALLOW);
	assert_int_equal(verdict_arg0(p, SYS_clone, FORK_FLAGS | CLONE_NEWPID), CFE_SECCOMP_ALLOW);
	assert_int_equal(verdict_arg0(p, SYS_clone, FORK_FLAGS | CLONE_NEWUSER),
			 CFE_SECCOMP_ERRNO(EPERM));
	assert_int_equal(verdict_arg0(p, SYS_clone, CLONE_NEWNET), CFE_SECCOMP_ERRNO(EPERM));
	/* The high half is compared too: mask 0 there, so anything goes. */
	assert_int_equal(verdict_arg0(p, SYS_clone, 0xffffffff00000000ull | FORK_FLAGS),
			 CFE_SECCOMP_ALLOW);
	/* Another argument than the first. */
	{
		const uint64_t hit[6] = {0, 0, 0x12ab}, miss[6] = {0, 0, 0x13ab};
		struct cfe_bpf_insn *insns = NULL;
		uint32_t len = 0;

		assert_int_equal(cfe_seccomp_export(p, &insns, &len), 0);
		assert_int_equal(run_program_args(insns, len, NATIVE_ARCH, SYS_getppid, hit),
				 CFE_SECCOMP_KILL);
		assert_int_equal(run_program_args(insns, len, NATIVE_ARCH, SYS_getppid, miss),
				 CFE_SECCOMP_ERRNO(EPERM));
		cfe_seccomp_free_program(insns);
	}
	/* Two masked rules with one action: either suffices. */
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_ALLOW, "clone", 0, 0xff, 0), 0);
	assert_int_equal(verdict_arg0(p, SYS_clone, CLONE_NEWUSER), CFE_SECCOMP_ALLOW);
	assert_int_equal(verdict_arg0(p, SYS_clone, CLONE_NEWUSER | SIGCHLD),
			 CFE_SECCOMP_ERRNO(EPERM));
	cfe_seccomp_free(p);
}

static void test_add_masked_refuses_bad_input(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add_masked(NULL, CFE_SECCOMP_KILL, "clone", 0, 1, 0), -EINVAL);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, NULL, 0, 1, 0), -EINVAL);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "no_such_syscall", 0, 1, 0),
			 -EINVAL);
	assert_int_equal(cfe_seccomp_add_masked(p, 0, "clone", 0, 1, 0), -EINVAL);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "clone", 6, 1, 0), -EINVAL);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "clone", UINT32_MAX, 1, 0),
			 -EINVAL);
	/* A value with a bit outside the mask could never match. */
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "clone", 0, 0xf0, 0x1),
			 -EINVAL);
	assert_int_equal(cfe_seccomp_add_judge_fork(NULL), -EINVAL);
	/* Nothing of that reached the policy. */
	assert_int_equal(verdict_arg0(p, SYS_clone, 0x1), CFE_SECCOMP_ALLOW);
	cfe_seccomp_free(p);
}

/* A name's caller rules are one unconditional rule or masked rules with
 * one action. */
static void test_masked_rule_conflicts(void **state)
{
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_ALLOW);

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "getppid"), 0);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "getppid", 0, 1, 0), -EEXIST);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "clone", 0, 1, 0), 0);
	/* The same rule again is a no-op; another action conflicts; so does an
	 * unconditional rule. */
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_KILL, "clone", 0, 1, 0), 0);
	assert_int_equal(cfe_seccomp_add_masked(p, CFE_SECCOMP_ERRNO(1), "clone", 0, 2, 0),
			 -EEXIST);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_KILL, "clone"), -EEXIST);
	assert_int_equal(cfe_seccomp_add(p, CFE_SECCOMP_ALLOW, "clone"), -EEXIST);
	assert_int_equal(verdict_arg0(p, SYS_clone, 2), CFE_SECCOMP_KILL);
	assert_int_equal(verdict_arg0(p, SYS_clone, 3), CFE_SECCOMP_ALLOW);
	cfe_seccomp_free(p);
}

/* The fork list: processes, but no namespaces, and the defaults' refusals
 * stay. */
static void test_judge_fork(void **state)
{
	static const int allowed[] = {
		SYS_wait4,
		SYS_waitid,
		SYS_pipe2,
		SYS_kill,
		SYS_read,
		SYS_execve,
		SYS_exit_group,
#if defined(__x86_64__)
		SYS_fork,
		SYS_vfork,
		SYS_pipe,
#endif
	};
	static const int forbidden[] = {
	    SYS_unshare, SYS_setns, SYS_mount, SYS_ptrace,  SYS_socket,
	    SYS_prctl,	 SYS_tkill, SYS_bpf,   SYS_seccomp, SYS_pivot_root,
	};
	static const uint64_t namespaces[] = {
	    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET,
	};
	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_KILL);

	(void)state;
	assert_non_null(p);
	assert_int_equal(cfe_seccomp_add_judge_fork(p), 0);
	assert_int_equal(cfe_seccomp_add_judge_fork(p), 0);
	for (size_t i = 0; i < ARRAY_LEN(allowed); i++)
		if (verdict(p, allowed[i]) != CFE_SECCOMP_ALLOW)
			fail_msg("system call %d is not allowed", allowed[i]);
	for (size_t i = 0; i < ARRAY_LEN(forbidden); i++)
		if (verdict(p, forbidden[i]) != CFE_SECCOMP_KILL)
			fail_msg("system call %d is not forbidden", forbidden[i]);
	assert_int_equal(verdict_arg0(p, SYS_clone, FORK_FLAGS), CFE_SECCOMP_ALLOW);
	assert_int_equal(verdict_arg0(p, SYS_clone, SPAWN_FLAGS), CFE_SECCOMP_ALLOW);
	assert_int_equal(verdict_arg0(p, SYS_clone, THREAD_FLAGS), CFE_SECCOMP_ALLOW);
	for (size_t i = 0; i < ARRAY_LEN(namespaces); i++)
		if (verdict_arg0(p, SYS_clone, FORK_FLAGS | namespaces[i]) != CFE_SECCOMP_KILL)
			fail_msg("clone with namespace flag %#llx is not killed",
				 (unsigned long long)namespaces[i]);
	assert_int_equal(verdict(p, SYS_clone3), CFE_SECCOMP_ERRNO(ENOSYS));
	cfe_seccomp_free(p);
}

/* The caller's rules replace the fork list's, before or after it. */
static void test_rule_wins_over_fork_list(void **state)
{
	struct cfe_seccomp *before = cfe_seccomp_new(CFE_SECCOMP_KILL);
	struct cfe_seccomp *after = cfe_seccomp_new(CFE_SECCOMP_KILL);

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	assert_int_equal(cfe_seccomp_add(before, CFE_SECCOMP_ERRNO(EAGAIN), "clone"), 0);
	assert_int_equal(
	    cfe_seccomp_add_masked(before, CFE_SECCOMP_ERRNO(EPERM), "kill", 0, 0xffffffffu, 1), 0);
	assert_int_equal(cfe_seccomp_add_judge_fork(before), 0);
	assert_int_equal(cfe_seccomp_add_judge_fork(after), 0);
	assert_int_equal(cfe_seccomp_add(after, CFE_SECCOMP_ERRNO(EAGAIN), "clone"), 0);
	assert_int_equal(
	    cfe_seccomp_add_masked(after, CFE_SECCOMP_ERRNO(EPERM), "kill", 0, 0xffffffffu, 1), 0);
	for (int i = 0; i < 2; i++) {
		const struct cfe_seccomp *p = i == 0 ? before : after;

		/* clone's masked rule is gone: every clone gets the caller's. */
		assert_int_equal(verdict_arg0(p, SYS_clone, FORK_FLAGS), CFE_SECCOMP_ERRNO(EAGAIN));
		assert_int_equal(verdict_arg0(p, SYS_clone, CLONE_NEWUSER),
				 CFE_SECCOMP_ERRNO(EAGAIN));
		/* kill's unconditional allow is gone too: the rest gets the
		 * default. */
		assert_int_equal(verdict_arg0(p, SYS_kill, 1), CFE_SECCOMP_ERRNO(EPERM));
		assert_int_equal(verdict_arg0(p, SYS_kill, 2), CFE_SECCOMP_KILL);
		assert_int_equal(verdict(p, SYS_wait4), CFE_SECCOMP_ALLOW);
	}
	/* The replaced name is the caller's now: another kind conflicts. */
	assert_int_equal(cfe_seccomp_add_masked(after, CFE_SECCOMP_ERRNO(EAGAIN), "clone", 0, 1, 0),
			 -EEXIST);
	cfe_seccomp_free(before);
	cfe_seccomp_free(after);
}

/* When libseccomp could not learn that the kernel has
 * SECCOMP_RET_KILL_PROCESS (seccomp(2) hidden or refused), export says
 * so, whatever the policy's actions: the foreign-architecture check uses
 * it. */
static void test_export_without_kill_process(void **state)
{
	const unsigned int level = seccomp_api_get();
	struct cfe_bpf_insn *insns = (struct cfe_bpf_insn *)&insns;
	struct cfe_seccomp *kill = cfe_seccomp_new(CFE_SECCOMP_KILL);
	struct cfe_seccomp *allow = cfe_seccomp_new(CFE_SECCOMP_ALLOW);
	uint32_t len = 12345;

	(void)state;
	assert_non_null(kill);
	assert_non_null(allow);
	assert_int_equal(seccomp_api_set(2), 0);
	assert_int_equal(cfe_seccomp_export(kill, &insns, &len), -EOPNOTSUPP);
	assert_int_equal(cfe_seccomp_export(allow, &insns, &len), -EOPNOTSUPP);
	assert_ptr_equal(insns, (struct cfe_bpf_insn *)&insns);
	assert_int_equal(len, 12345);
	assert_int_equal(seccomp_api_set(level), 0);
	assert_int_equal(program_len(kill) > 0, 1);
	cfe_seccomp_free(kill);
	cfe_seccomp_free(allow);
}

const struct CMUnitTest seccomp_tests[] = {
    cmocka_unit_test_setup(test_action_encoding, assume_kernel_actions),
    cmocka_unit_test_setup(test_new_refuses_bad_actions, assume_kernel_actions),
    cmocka_unit_test_setup(test_add_refuses_bad_input, assume_kernel_actions),
    cmocka_unit_test_setup(test_export_refuses_null, assume_kernel_actions),
    cmocka_unit_test_setup(test_rules_decide, assume_kernel_actions),
    cmocka_unit_test_setup(test_foreign_architecture_kills, assume_kernel_actions),
    cmocka_unit_test_setup(test_same_name_twice, assume_kernel_actions),
    cmocka_unit_test_setup(test_default_action_rule_adds_nothing, assume_kernel_actions),
    cmocka_unit_test_setup(test_judge_defaults, assume_kernel_actions),
    cmocka_unit_test_setup(test_rule_wins_over_defaults, assume_kernel_actions),
    cmocka_unit_test_setup(test_judge_default_names, assume_kernel_actions),
    cmocka_unit_test_setup(test_export_again, assume_kernel_actions),
    cmocka_unit_test_setup(test_masked_rule_decides, assume_kernel_actions),
    cmocka_unit_test_setup(test_add_masked_refuses_bad_input, assume_kernel_actions),
    cmocka_unit_test_setup(test_masked_rule_conflicts, assume_kernel_actions),
    cmocka_unit_test_setup(test_judge_fork, assume_kernel_actions),
    cmocka_unit_test_setup(test_rule_wins_over_fork_list, assume_kernel_actions),
    cmocka_unit_test_setup(test_export_without_kill_process, assume_kernel_actions),
};
const size_t seccomp_tests_len = sizeof(seccomp_tests) / sizeof(seccomp_tests[0]);
