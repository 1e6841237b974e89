/* The fds the parent opens for one start: the sync socket and the copies
 * that keep what the child still needs out of the way of its fd shuffle.
 * They are made in the parent with F_DUPFD_CLOEXEC at or above files_len:
 * such a number is free in the child's copy of our fd table, so the child
 * never has to pick a number itself and cannot overwrite an fd it
 * inherits. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* A close-on-exec copy of fd numbered at least min.  F_DUPFD answers
 * EINVAL for a min at or above RLIMIT_NOFILE: no fd is left for the copy,
 * as with EMFILE. */
static int copy_above(int fd, uint32_t min, int32_t *out)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, (int)min);

	if (copy < 0)
		return errno == EINVAL ? EMFILE : errno;
	*out = copy;
	return 0;
}

static int park_files(struct cfe_fds *f, const struct cfe_config *c)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < c->files_len; i++)
		count += (uint32_t)cfe_fd_needs_park(c->files, i);
	if (count == 0)
		return 0;
	/* malloc, not calloc: glibc's calloc does not take from the thread
	 * cache that free fills, so each start would leave one more chunk
	 * cached, up to the cache's bound, and a check of the C heap over
	 * repeated starts would see it grow. */
	f->parked = malloc(count * sizeof(*f->parked));
	if (f->parked == NULL)
		return ENOMEM;
	memset(f->parked, 0xff, count * sizeof(*f->parked)); /* every entry -1 */
	for (uint32_t i = 0; i < c->files_len; i++) {
		int err;

		if (!cfe_fd_needs_park(c->files, i))
			continue;
		err = copy_above(c->files[i], c->files_len, &f->parked[f->parked_len]);
		if (err != 0)
			return err;
		f->parked_len++;
	}
	return 0;
}

static int open_socket(struct cfe_fds *f, uint32_t files_len)
{
	int sv[2];
	int err = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return errno;
	f->parent_sock = sv[0];
	f->child_sock = sv[1];
	if (sv[1] < (int)files_len) {
		err = copy_above(sv[1], files_len, &f->child_sock);
		close(sv[1]);
		if (err != 0)
			f->child_sock = -1;
	}
	return err;
}

/* Every fd the child will take from the caller must be open before we
 * open anything: a closed one's number may be the one our socket or a copy
 * is about to get, and the child would hand that to the program.  Fails
 * as the child's step would: dup3 for files (an entry already at its
 * place is left to the child's fcntl, as it can only meet the parent's
 * end of the socket, which the child closes first), dup3 for an exec_fd
 * we copy, else execve. */
static int caller_fds_open(const struct cfe_config *c, uint32_t *where)
{
	for (uint32_t i = 0; i < c->files_len; i++) {
		if (c->files[i] >= 0 && c->files[i] != (int32_t)i &&
		    fcntl(c->files[i], F_GETFD) < 0) {
			*where = CFE_LOC_DUP3;
			return errno;
		}
	}
	if (c->exec_fd > 0 && fcntl(c->exec_fd, F_GETFD) < 0) {
		*where = c->exec_fd < (int32_t)c->files_len ? CFE_LOC_DUP3 : CFE_LOC_EXECVE;
		return errno;
	}
	return 0;
}

/* A pidfd of the calling thread, readable once it has ended (Linux 6.9);
 * where the kernel does not know PIDFD_THREAD, one of the process,
 * readable once every thread has.  Both are close-on-exec.  Its number
 * may be below files_len: the child polls it before its fd shuffle. */
static int open_parent_pidfd(int32_t *out)
{
	long fd = syscall(SYS_pidfd_open, (long)gettid(), PIDFD_THREAD);

	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_pidfd_open, (long)getpid(), 0L);
	if (fd < 0)
		return errno;
	*out = (int32_t)fd;
	return 0;
}

int cfe_fds_open(struct cfe_fds *f, const struct cfe_config *c, int with_socket, uint32_t *location)
{
	uint32_t where = CFE_LOC_NONE;
	int err;

	*f = (struct cfe_fds){.child_sock = -1,
			      .parent_pidfd = -1,
			      .parent_sock = -1,
			      .exec_fd = c->exec_fd,
			      .exec_fd_copy = -1};
	err = caller_fds_open(c, &where);
	if (err == 0 && with_socket)
		err = open_socket(f, c->files_len);
	if (err == 0 && c->exec_fd > 0 && c->exec_fd < (int32_t)c->files_len) {
		err = copy_above(c->exec_fd, c->files_len, &f->exec_fd_copy);
		f->exec_fd = f->exec_fd_copy;
	}
	if (err == 0)
		err = park_files(f, c);
	/* Refused (a container's seccomp profile answers pidfd_open with
	 * EPERM): the option cannot be honoured, and says so. */
	if (err == 0 && c->parent_death_signal != 0) {
		err = open_parent_pidfd(&f->parent_pidfd);
		if (err != 0)
			where = CFE_LOC_PARENT_DEATH_SIGNAL;
	}
	/* The caller's fds were open: a copy that fails is ours (EMFILE, no
	 * fd left below RLIMIT_NOFILE), unless another thread closed one
	 * meanwhile, which the child's dup3 would have met. */
	if (err == EBADF && where == CFE_LOC_NONE)
		where = CFE_LOC_DUP3;
	if (err != 0)
		cfe_fds_close(f);
	if (location != NULL)
		*location = err != 0 ? where : CFE_LOC_NONE;
	return err;
}

void cfe_fds_close_child_side(struct cfe_fds *f)
{
	if (f->child_sock >= 0)
		close(f->child_sock);
	if (f->exec_fd_copy >= 0)
		close(f->exec_fd_copy);
	if (f->parent_pidfd >= 0)
		close(f->parent_pidfd);
	for (uint32_t i = 0; i < f->parked_len; i++)
		close(f->parked[i]);
	free(f->parked);
	f->child_sock = -1;
	f->exec_fd_copy = -1;
	f->parent_pidfd = -1;
	f->parked = NULL;
	f->parked_len = 0;
}

void cfe_fds_close(struct cfe_fds *f)
{
	cfe_fds_close_child_side(f);
	if (f->parent_sock >= 0)
		close(f->parent_sock);
	f->parent_sock = -1;
}
