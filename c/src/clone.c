/* Creating the child: clone3 (needed for CLONE_INTO_CGROUP), and the
 * legacy clone where clone3 is unavailable or filtered out (container
 * runtimes' default seccomp profiles answer ENOSYS to it).  CLONE_PIDFD
 * goes with both, and with CLONE_VM and CLONE_VFORK: the kernel writes the
 * pidfd before the child runs (clone3's pidfd field, the legacy clone's
 * parent_tid argument). */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include "internal.h"
#include "sys.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

long cfe_clone(const struct cfe_arena *a, uint64_t ns_flags, int vfork, int cgroup_fd,
	       int32_t *pidfd)
{
	uint64_t flags =
	    CLONE_VM | ns_flags | (vfork ? CLONE_VFORK : 0) | (pidfd != NULL ? CLONE_PIDFD : 0);
	/* The kernel stores an int there, in the parent's memory. */
	int kernel_pidfd = -1;
	struct clone_args args = {
	    .flags = flags | (cgroup_fd > 0 ? CLONE_INTO_CGROUP : 0),
	    .pidfd = pidfd != NULL ? (uintptr_t)&kernel_pidfd : 0,
	    .exit_signal = SIGCHLD,
	    .stack = (uintptr_t)a->stack,
	    .stack_size = a->stack_size,
	    .cgroup = cgroup_fd > 0 ? (uint64_t)cgroup_fd : 0,
	};
	long pid =
	    cfe_raw_clone(SYS_clone3, (long)&args, (long)sizeof(args), cfe_child_main, a->plan, 0);

	if (pid == -ENOSYS && cgroup_fd <= 0)
		pid = cfe_raw_clone(SYS_clone, (long)(flags | SIGCHLD),
				    (long)((char *)a->stack + a->stack_size), cfe_child_main,
				    a->plan, (long)&kernel_pidfd);
	if (pid > 0 && pidfd != NULL)
		*pidfd = kernel_pidfd;
	return pid;
}
