/* The fds the parent opens for one start: the sync socket and the copies
 * that keep what the child still needs out of the way of its fd shuffle.
 * They are made in the parent with F_DUPFD_CLOEXEC at or above files_len:
 * such a number is free in the child's copy of our fd table, so the child
 * never has to pick a number itself and cannot overwrite an fd it
 * inherits. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* A close-on-exec copy of fd numbered at least min. */
static int copy_above(int fd, uint32_t min, int32_t *out)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, (int)min);

	if (copy < 0)
		return errno;
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
	f->parked = calloc(count, sizeof(*f->parked));
	if (f->parked == NULL)
		return ENOMEM;
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

/* Whether fd is open; where it is not, *where is the step of the child's
 * that would fail on it. */
static int is_open(int32_t fd, uint32_t step, uint32_t *where)
{
	if (fcntl(fd, F_GETFD) >= 0)
		return 1;
	*where = step;
	return 0;
}

/* Every fd the caller hands over must be open before we open ours: ours
 * take the lowest free numbers, so one of them could take a closed one's,
 * and the child would then duplicate or execute ours in its place.  A
 * closed one fails where the child would have failed on it. */
static int check_caller_fds(const struct cfe_config *c, uint32_t *where)
{
	int32_t n = (int32_t)c->files_len;

	if (c->exec_fd > 0 && c->exec_fd < n && !is_open(c->exec_fd, CFE_LOC_DUP3, where))
		return EBADF;
	for (int32_t i = 0; i < n; i++) {
		int32_t fd = c->files[i];

		if (fd >= 0 && !is_open(fd, fd == i ? CFE_LOC_FCNTL : CFE_LOC_DUP3, where))
			return EBADF;
	}
	if (c->exec_fd > 0 && c->exec_fd >= n && !is_open(c->exec_fd, CFE_LOC_EXECVE, where))
		return EBADF;
	return 0;
}

int cfe_fds_open(struct cfe_fds *f, const struct cfe_config *c, int with_socket, uint32_t *location)
{
	int err;
	uint32_t where = CFE_LOC_NONE;

	*f = (struct cfe_fds){
	    .child_sock = -1, .parent_sock = -1, .exec_fd = c->exec_fd, .exec_fd_copy = -1};
	err = check_caller_fds(c, &where);
	if (err == 0 && with_socket)
		err = open_socket(f, c->files_len);
	if (err == 0 && c->exec_fd > 0 && c->exec_fd < (int32_t)c->files_len) {
		err = copy_above(c->exec_fd, c->files_len, &f->exec_fd_copy);
		f->exec_fd = f->exec_fd_copy;
		where = CFE_LOC_DUP3;
	}
	if (err == 0) {
		err = park_files(f, c);
		where = err == ENOMEM ? CFE_LOC_NONE : CFE_LOC_DUP3;
	}
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
	for (uint32_t i = 0; i < f->parked_len; i++)
		close(f->parked[i]);
	free(f->parked);
	f->child_sock = -1;
	f->exec_fd_copy = -1;
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
