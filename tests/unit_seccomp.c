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

/* What the program returns for system call nr made through arch (its
 * arguments all zero); fails the test on an instruction the builder should
 * not emit or a jump out of the program. */
static uint32_t run_program(const struct cfe_bpf_insn *p, uint32_t len, uint32_t arch, int nr)
{
	struct seccomp_data data;
	uint32_t a = 0;

	memset(&data, 0, sizeof(data));
	data.nr = nr;
	data.arch = arch;
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
#if defined(__x86_64__)
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
#if defined(__x86_64__)
		SYS_fork,
		SYS_vfork,
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
};
const size_t seccomp_tests_len = sizeof(seccomp_tests) / sizeof(seccomp_tests[0]);
