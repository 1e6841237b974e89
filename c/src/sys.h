/* The system calls the library makes without libc: the child between clone
 * and execve shares the parent's memory (CLONE_VM), so it may not touch
 * errno, locks or any other libc state.  Every function returns the
 * kernel's value: >= 0 on success, -errno on failure. */
#ifndef CFE_SYS_H
#define CFE_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

/* Code that runs in the child, on its own stack in the parent's memory:
 * no stack protector (its canary lives in the parent's thread-local
 * storage), no sanitizer (their runtimes take locks and write shared
 * state) and no profiling hooks, whatever the compiler's defaults or a cgo
 * build add.  (Coverage builds, --coverage, still count in shared memory.) */
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define CFE_NO_STACK_PROTECTOR no_stack_protector,
#endif
#endif
#ifndef CFE_NO_STACK_PROTECTOR
#define CFE_NO_STACK_PROTECTOR
#endif
#if defined(__clang__)
#define CFE_CHILD_CODE                                                                             \
	__attribute__((CFE_NO_STACK_PROTECTOR no_instrument_function,                              \
		       no_sanitize("address", "undefined", "thread", "memory")))
#else
#define CFE_CHILD_CODE                                                                             \
	__attribute__((CFE_NO_STACK_PROTECTOR no_instrument_function,                              \
		       no_sanitize("address", "undefined", "thread")))
#endif

#if defined(__x86_64__)
#include "arch/syscall_x86_64.h"
#elif defined(__aarch64__)
#include "arch/syscall_aarch64.h"
#else
#error "cforkexec supports x86_64 and aarch64"
#endif

#define CFE_SYS(nr, a1, a2, a3, a4, a5, a6)                                                        \
	cfe_syscall6((nr), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), (long)(a6))

/* The kernel's struct sigaction (not glibc's): handler, flags, restorer,
 * then a 64-bit mask. */
struct cfe_ksigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

/* clone or clone3 from assembly: see arch/clone_*.S. */
long cfe_raw_clone(long nr, long a1, long a2, int (*fn)(void *), void *arg, long parent_tid);

static inline CFE_CHILD_CODE long sys_close(int fd)
{
	return CFE_SYS(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline CFE_CHILD_CODE long sys_read(int fd, void *buf, size_t len)
{
	return CFE_SYS(SYS_read, fd, buf, len, 0, 0, 0);
}

static inline CFE_CHILD_CODE long sys_write(int fd, const void *buf, size_t len)
{
	return CFE_SYS(SYS_write, fd, buf, len, 0, 0, 0);
}

static inline CFE_CHILD_CODE long sys_getpid(void)
{
	return CFE_SYS(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

static inline CFE_CHILD_CODE long sys_prctl(int option, unsigned long a2)
{
	return CFE_SYS(SYS_prctl, option, a2, 0, 0, 0, 0);
}

static inline CFE_CHILD_CODE long sys_rt_sigaction(int sig, const struct cfe_ksigaction *act,
						   struct cfe_ksigaction *old)
{
	return CFE_SYS(SYS_rt_sigaction, sig, act, old, sizeof(uint64_t), 0, 0);
}

static inline CFE_CHILD_CODE long sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return CFE_SYS(SYS_rt_sigprocmask, how, set, old, sizeof(uint64_t), 0, 0);
}

#endif
