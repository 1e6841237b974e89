/* CFE_FLAG_CLOSE_OTHER_FDS: the child marks every fd past its files
 * close-on-exec, right after its fd shuffle.  Marking rather than closing
 * keeps the library's own fds (the handshake socket, the copy of exec_fd,
 * all numbered files_len or above) working until the execve.  Runs in the
 * child: raw system calls only. */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>

#include "internal.h"
#include "sys.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

CFE_CHILD_CODE long cfe_cloexec_each(uint32_t first, uint64_t end)
{
	for (uint64_t fd = first; fd < end; fd++) {
		long r = CFE_SYS(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC, 0, 0, 0);

		if (r < 0 && r != -EBADF)
			return r;
	}
	return 0;
}

CFE_CHILD_CODE long cfe_cloexec_from(uint32_t first)
{
	uint64_t limit[2] = {0, 0}; /* the kernel's rlimit64: cur, max */
	long r = CFE_SYS(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC, 0, 0, 0);

	/* ENOSYS before Linux 5.9, EINVAL for the flag before 5.11; EPERM
	 * from a container's seccomp profile that predates it. */
	if (r != -ENOSYS && r != -EINVAL && r != -EPERM)
		return r;
	r = CFE_SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, limit, 0, 0);
	if (r < 0)
		return r;
	return cfe_cloexec_each(first, limit[0]);
}
