/* CFE_FLAG_CLOSE_OTHER_FDS: the child marks every fd past its files
 * close-on-exec, right after its fd shuffle.  Marking rather than closing
 * keeps the library's own fds (the handshake socket, the copy of exec_fd,
 * all numbered files_len or above) working until the execve.  Runs in the
 * child: raw system calls only. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/statfs.h>

#include "internal.h"
#include "sys.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

/* The room for one getdents64 call, on the child's stack (64 KiB, see
 * plan.c; its deepest other frame, a mount target's path, is never live
 * at the same time): about 80 entries of /proc/self/fd a call. */
#define LISTING_SIZE 2048

/* The head of the kernel's struct linux_dirent64, read in place. */
struct __attribute__((may_alias)) dirent64_head {
	uint64_t ino; // cppcheck-suppress unusedStructMember
	int64_t off;  // cppcheck-suppress unusedStructMember
	uint16_t reclen;
	uint8_t type; // cppcheck-suppress unusedStructMember
	char name[];
};

/* One fd close-on-exec; one that is not open is nothing to do. */
static CFE_CHILD_CODE long mark_cloexec(uint64_t fd)
{
	long r = CFE_SYS(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC, 0, 0, 0);

	return r == -EBADF ? 0 : r;
}

CFE_CHILD_CODE long cfe_cloexec_each(uint32_t first, uint64_t end)
{
	for (uint64_t fd = first; fd < end; fd++) {
		long r = mark_cloexec(fd);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The fd an entry names; 0 for "." and "..". */
static CFE_CHILD_CODE int fd_of_name(const char *name, uint32_t *fd)
{
	uint32_t n = 0;

	if (name[0] == '\0')
		return 0;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9' || n > (INT32_MAX - 9) / 10)
			return 0;
		n = n * 10 + (uint32_t)(*name - '0');
	}
	*fd = n;
	return 1;
}

/* Mark what one getdents64 call returned; the directory's own fd is
 * listed too (it is close-on-exec already). */
static CFE_CHILD_CODE long mark_listed(const char *buf, long len, uint32_t first)
{
	for (long at = 0; at < len;) {
		const struct dirent64_head *d = (const struct dirent64_head *)(buf + at);
		uint32_t fd;

		at += d->reclen;
		if (fd_of_name(d->name, &fd) && fd >= first) {
			long r = mark_cloexec(fd);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

CFE_CHILD_CODE long cfe_cloexec_listed(uint32_t first)
{
	char buf[LISTING_SIZE] __attribute__((aligned(8)));
	struct statfs st = {0};
	long dir = CFE_SYS(SYS_openat, AT_FDCWD, "/proc/self/fd",
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
	long r;

	/* No listing to read (no /proc in a chroot, no fd left for the
	 * directory): the caller's bounded loop. */
	if (dir < 0)
		return 1;
	r = CFE_SYS(SYS_fstatfs, dir, &st, 0, 0, 0, 0);
	/* Something else mounted there could list anything, or nothing. */
	if (r == 0 && st.f_type != PROC_SUPER_MAGIC)
		r = 1;
	while (r == 0) {
		r = CFE_SYS(SYS_getdents64, dir, buf, sizeof(buf), 0, 0, 0);
		if (r <= 0)
			break;
		r = mark_listed(buf, r, first);
	}
	sys_close((int)dir);
	return r;
}

CFE_CHILD_CODE long cfe_cloexec_from(uint32_t first)
{
	uint64_t limit[2] = {0, 0}; /* the kernel's rlimit64: cur, max */
	long r = CFE_SYS(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC, 0, 0, 0);

	/* ENOSYS before Linux 5.9, EINVAL for the flag before 5.11; EPERM
	 * from a container's seccomp profile that predates it. */
	if (r != -ENOSYS && r != -EINVAL && r != -EPERM)
		return r;
	r = cfe_cloexec_listed(first);
	if (r != 1)
		return r;
	/* Without /proc, the fds that can be open: those below the soft
	 * limit, but for one opened before the limit was lowered. */
	r = CFE_SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, limit, 0, 0);
	if (r < 0)
		return r;
	return cfe_cloexec_each(first, limit[0]);
}
