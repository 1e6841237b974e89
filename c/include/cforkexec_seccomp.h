/*
 * cforkexec_seccomp — seccomp policies written as system call names, built
 * with libseccomp into the classic-BPF program struct cfe_config.seccomp
 * takes.
 *
 *	struct cfe_seccomp *p = cfe_seccomp_new(CFE_SECCOMP_KILL);
 *	cfe_seccomp_add_judge_defaults(p);
 *	cfe_seccomp_add(p, CFE_SECCOMP_ERRNO(EACCES), "socket");
 *	cfe_seccomp_export(p, &insns, &len);   (then config.seccomp = insns)
 *	cfe_seccomp_free(p);
 *	... cfe_start(&config, ...) ...
 *	cfe_seccomp_free_program(insns);
 *
 * A policy is a default action and one action per named system call.  The
 * handle only records them: libseccomp builds the program in
 * cfe_seccomp_export, so a policy can be changed and exported again.
 *
 * The program is for the architecture this library was built for (the
 * native one): a system call made through another architecture's calling
 * convention (int 0x80 or x32 on x86_64) kills the whole process, whatever
 * the policy (libseccomp's "bad architecture" check, whose own default would
 * kill the thread only; this library asks for the process).  The program
 * says nothing about no_new_privs: cfe_start sets it whenever a filter is
 * given (CFE_FLAG_NO_NEW_PRIVS is implied).
 *
 * Errors are negative errno values, as libseccomp's own functions return
 * them; functions that return a pointer return NULL and set errno.  Every
 * function may be called from any thread; one handle must not be used by
 * two threads at once.
 *
 * libcforkexec.so.1 links libseccomp itself; a static link against
 * libcforkexec.a adds -lseccomp (pkg-config --static --libs cforkexec says
 * so).  Nothing else in the library needs libseccomp: a static link that
 * calls no cfe_seccomp_ function pulls none of it in.
 */
#ifndef CFORKEXEC_SECCOMP_H
#define CFORKEXEC_SECCOMP_H

#include <stdint.h>

#include "cforkexec.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Actions, in the kernel's encoding of a filter's return value
 * (SECCOMP_RET_*: the action in the high 16 bits, its data in the low 16).
 * These four are the only values accepted; 0 (the kernel's
 * SECCOMP_RET_KILL_THREAD, what an uninitialised variable holds) is not one.
 */

/* Let the system call run. */
#define CFE_SECCOMP_ALLOW 0x7fff0000u
/* Kill the whole process (SECCOMP_RET_KILL_PROCESS): it dies of SIGSYS,
 * which its wait status shows. */
#define CFE_SECCOMP_KILL 0x80000000u
/* Fail the system call with errno n, 0 <= n <= 4094 (libseccomp's limit,
 * one below the kernel's MAX_ERRNO); 0 makes it return 0 without running.
 * Larger or negative n give a value that is refused (their bits never
 * reach the action's: n is evaluated twice). */
#define CFE_SECCOMP_ERRNO(n) (0x00050000u | ((uint32_t)(n) >> 16 ? 0xffffu : (uint32_t)(n)))
/* Stop the process for its tracer (PTRACE_EVENT_SECCOMP, with n,
 * 0 <= n <= 0xffff, from PTRACE_GETEVENTMSG), which decides what happens;
 * without a tracer attached with PTRACE_O_TRACESECCOMP the system call
 * fails with ENOSYS (the kernel's rule).  Other n give a value that is
 * refused (n is evaluated twice). */
#define CFE_SECCOMP_TRACE(n) (0x7ff00000u | ((uint32_t)(n) >> 16 ? 0x10000u : (uint32_t)(n)))

/* A policy under construction; opaque. */
struct cfe_seccomp;

/*
 * A new policy whose system calls all get default_action until rules say
 * otherwise.  Returns NULL with errno EINVAL for a value that is not one of
 * the CFE_SECCOMP_ actions above, ENOMEM when out of memory.  Free it with
 * cfe_seccomp_free().
 */
CFE_API struct cfe_seccomp *cfe_seccomp_new(uint32_t default_action);

/*
 * Give the system call named syscall_name (as in <asm/unistd.h> without
 * the __NR_ prefix, e.g. "openat") action.  Returns 0, or:
 *  -EINVAL  policy or syscall_name NULL, action not a CFE_SECCOMP_ action,
 *           or a name that is not a system call of the native architecture
 *           (unknown to libseccomp, or another architecture's only, like
 *           "open" on aarch64): the caller knows which name it passed;
 *  -EEXIST  the name already has another action from an earlier
 *           cfe_seccomp_add (the same action again is a no-op);
 *  -ENOMEM  out of memory.
 * A rule replaces the judge defaults' action for its name, whichever was
 * added first.  A rule whose action is the default action is kept (it
 * still conflicts with another action for that name) but adds nothing to
 * the program.
 */
CFE_API int cfe_seccomp_add(struct cfe_seccomp *policy, uint32_t action, const char *syscall_name);

/*
 * Allow the judge default list (cfe_seccomp_judge_default_name) but for the
 * names that already have a rule from cfe_seccomp_add, which keep theirs.
 * Names the native architecture lacks ("open" on aarch64, "arch_prctl"
 * outside x86_64) are skipped, so the same list serves every architecture.
 * Returns 0, -EINVAL for a NULL policy, -ENOMEM when out of memory.
 *
 * The list is what a statically or dynamically linked C or C++ program
 * needs to start, read its input, write its output, allocate, read the
 * clock, sleep and exit (abort() included), with the default action as the
 * verdict on everything else: no new processes or threads (fork, vfork,
 * clone, clone3), no signals to other processes (kill, tkill; tgkill stays
 * for raise() and abort(), and a judge's pid namespace holds no other
 * process to reach), no sockets, no ptrace, no mount, no prctl, no
 * privilege or identity changes, no writes to the file system beyond fds
 * already open (no unlink, rename, mkdir, truncate, chmod).  openat and
 * open are allowed with any flags: a read-only view of the file system is
 * the caller's business (read-only mounts, a pivot root).  ioctl is allowed
 * (stdio asks TCGETS of character devices); the terminal tricks it could do
 * need a terminal fd and, for another session's terminal, CAP_SYS_ADMIN,
 * neither of which a judge gives.  execve and execveat are allowed: the
 * start itself execs after the filter is loaded (SPEC §3), and a judge
 * that wants exactly one exec traces them (cfe_seccomp_add with
 * CFE_SECCOMP_TRACE).
 *
 * Of the probe of this project's tests, a default action other than
 * CFE_SECCOMP_ALLOW blocks what its report mode uses beyond the list
 * (getresuid, getgroups, capget, prctl, getsid, getpgid, getdents64,
 * statfs, ...); its --exit and --sleep modes need nothing else.
 */
CFE_API int cfe_seccomp_add_judge_defaults(struct cfe_seccomp *policy);

/*
 * The i-th name of the judge default list (from 0), all architectures'
 * names included, or NULL past its end; a static string.
 */
CFE_API const char *cfe_seccomp_judge_default_name(uint32_t i);

/*
 * Build the policy into a classic-BPF program for struct cfe_config's
 * seccomp and seccomp_len: *insns receives a malloc'd array of *len
 * instructions, to be freed with cfe_seccomp_free_program() (cfe_start
 * copies what it needs: free it once cfe_start has returned).  The policy
 * is unchanged.  Returns 0, or:
 *  -EINVAL  a NULL argument;
 *  -E2BIG   the program is longer than the kernel's 4096 instructions;
 *  -ENOMEM  out of memory (or libseccomp refusing CFE_SECCOMP_KILL as the
 *           default action on a kernel before 4.14, which lacks it);
 *  another negative errno from libseccomp (its documented -ECANCELED for
 *           an internal failure, say).
 * On failure *insns and *len are left as they were.
 *
 * With libseccomp 2.6 and later the program comes from
 * seccomp_export_bpf_mem; older versions (Debian 12 has 2.5.4) lack it,
 * and seccomp_export_bpf writes it into a close-on-exec memfd that is read
 * back and closed (that also fails with the errno of memfd_create, EMFILE
 * say).
 */
CFE_API int cfe_seccomp_export(const struct cfe_seccomp *policy, struct cfe_bpf_insn **insns,
			       uint32_t *len);

/* Free a program from cfe_seccomp_export(); NULL is a no-op. */
CFE_API void cfe_seccomp_free_program(struct cfe_bpf_insn *insns);

/* Free a policy; NULL is a no-op.  Programs exported from it stay valid. */
CFE_API void cfe_seccomp_free(struct cfe_seccomp *policy);

#ifdef __cplusplus
}
#endif

#endif
