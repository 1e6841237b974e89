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
 *           cfe_seccomp_add, or masked rules from cfe_seccomp_add_masked
 *           (the same action again is a no-op);
 *  -ENOMEM  out of memory.
 * A rule replaces the rules the judge lists (cfe_seccomp_add_judge_defaults,
 * cfe_seccomp_add_judge_fork) give its name, whichever was added first.  A
 * rule whose action is the default action is kept (it still conflicts with
 * another action for that name) but adds nothing to the program.
 */
CFE_API int cfe_seccomp_add(struct cfe_seccomp *policy, uint32_t action, const char *syscall_name);

/*
 * Give the system call named syscall_name action when its argument
 * arg_index (0 to 5, as the kernel's struct seccomp_data numbers them),
 * ANDed with mask, equals value: all 64 bits of the register, compared as
 * libseccomp's SCMP_CMP_MASKED_EQ does.  When none of the name's masked
 * rules holds, the call gets the policy's default action.  Returns 0, or:
 *  -EINVAL  as for cfe_seccomp_add, or arg_index above 5, or value with a
 *           bit outside mask (the rule could never hold);
 *  -EEXIST  the name has an unconditional rule from cfe_seccomp_add, or
 *           masked rules with another action;
 *  -ENOMEM  out of memory.
 * A name's masked rules all share one action and any of them suffices:
 * rules for one name with different actions would overlap for some
 * argument values (which action wins would be libseccomp's order, not the
 * caller's), so they are refused.  The same rule again is a no-op.  Like
 * cfe_seccomp_add's, these rules replace what the judge lists give the
 * name, whichever came first: the caller's rules for a name are the only
 * ones it has.
 *
 * A filter sees the argument registers, not memory: a flag in a struct the
 * call points to (clone3's, openat2's) cannot be tested.  Arguments of C
 * type int are seen as the caller's register holds them; glibc extends
 * them to 64 bits with their sign, so test the low 32 bits of such a value
 * with a mask of 0xffffffff.
 */
CFE_API int cfe_seccomp_add_masked(struct cfe_seccomp *policy, uint32_t action,
				   const char *syscall_name, uint32_t arg_index, uint64_t mask,
				   uint64_t value);

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
 *
 * Reviewed against what such programs call from start to exit on x86_64
 * and aarch64 (C and C++ with libstdc++'s iostreams and exceptions, Rust's
 * std, statically and dynamically linked, without threads):
 *  - sysinfo: glibc's sysconf(_SC_PHYS_PAGES); glibc 2.36's qsort asks it
 *    before sorting a large array (a program sorting 100000 ints died of
 *    SIGSYS without it).  It tells the machine's memory and load: nothing
 *    a judge hides (the program's own limits say more).
 *  - pread64 and pwrite64: I/O at an offset on fds already open, no more
 *    than read, write and lseek do.
 *  - poll and ppoll (aarch64 has ppoll only): Rust's std polls fds 0 to 2
 *    at start-up to learn whether they are open; waiting on fds already
 *    open gives nothing new.
 *  - getrlimit and prlimit64: glibc reads RLIMIT_STACK at start-up, and
 *    Rust's std for its stack guard.  Setting a limit moves a soft one up
 *    to its hard one at most, and a hard one only down (up needs
 *    CAP_SYS_RESOURCE, which a judge does not give); another process's
 *    limits need its uid, which in a judge's pid namespace only the
 *    program's own processes have.
 *  - sched_getaffinity: sysconf(_SC_NPROCESSORS_ONLN) without /sys, and
 *    Rust's available_parallelism.
 *  - clock_gettime, clock_getres, clock_nanosleep (and gettimeofday, time,
 *    nanosleep): reading clocks and sleeping; clock_settime and
 *    clock_adjtime stay out.
 * Left out on purpose: fstatfs and statfs (glibc calls them for
 * fpathconf, statvfs and shm_open, none of which these programs reach on
 * their way to exit), getdents64 (listing directories), and everything
 * above.
 */
CFE_API int cfe_seccomp_add_judge_defaults(struct cfe_seccomp *policy);

/*
 * The judge defaults (cfe_seccomp_add_judge_defaults) and what a program
 * that starts processes and waits for them needs more, as a judge's fork
 * policy: new processes, but no new namespaces.  For names without a rule
 * yet, as the defaults do:
 *  - fork, vfork (x86_64 only), and clone when its flags (argument 0 on
 *    x86_64 and aarch64 alike) have none of CLONE_NEWNS, CLONE_NEWCGROUP,
 *    CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID and
 *    CLONE_NEWNET: allowed.  A clone with any of them gets the default
 *    action.  Threads (CLONE_THREAD) are processes too here: allowed.
 *  - clone3: fails with ENOSYS.  Its flags are in memory, which a filter
 *    cannot read; glibc (fork, posix_spawn, pthread_create) falls back to
 *    clone on ENOSYS.
 *  - wait4, waitid, pipe (x86_64 only), pipe2: allowed.
 *  - kill: allowed, with any pid.  What it can reach is what the caller's
 *    start lets it reach: in a new pid namespace (CLONE_NEWPID in clone_flags), whose init
 *    the program is, only the program's own descendants; as a uid of its
 *    own, no other user's process.  A start without a pid namespace should
 *    restrict it (cfe_seccomp_add, say CFE_SECCOMP_ERRNO(EPERM)).  tkill
 *    stays out (tgkill does its work).
 * unshare, setns, mount, ptrace, socket, prctl and the rest the defaults
 * leave out stay out.  Returns 0, -EINVAL for a NULL policy, -ENOMEM when
 * out of memory (the policy then holds part of the lists).
 */
CFE_API int cfe_seccomp_add_judge_fork(struct cfe_seccomp *policy);

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
 *  -EOPNOTSUPP  libseccomp could not confirm that the kernel has
 *           SECCOMP_RET_KILL_PROCESS, which every program uses (for a
 *           foreign architecture at least), and refuses it: seccomp(2) is
 *           unavailable to this process (run under valgrind, or refused by
 *           a container's seccomp profile), or the kernel is older than
 *           4.14.  libseccomp asks once per process (seccomp_api_get()
 *           below 3 then);
 *  -ENOMEM  out of memory;
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
