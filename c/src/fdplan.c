/* Planning the child's fd shuffle in the parent, where it can be tested:
 * the child only replays the ops.  Two passes, as every exec does it: first
 * every fd that would be overwritten before it is read is moved above all
 * fds involved, then each file is put at its place. */
#include <stddef.h>

#include "internal.h"

static int32_t highest_fd(const int32_t *files, uint32_t n, int32_t sock, int32_t exec_fd)
{
	int32_t high = sock > exec_fd ? sock : exec_fd;

	for (uint32_t i = 0; i < n; i++)
		if (files[i] > high)
			high = files[i];
	return high;
}

static int is_below_place(const int32_t *files, uint32_t i)
{
	return files[i] >= 0 && files[i] < (int32_t)i;
}

static void add_op(struct cfe_fd_op *ops, size_t *len, int32_t kind, int32_t from, int32_t to,
		   int32_t cloexec)
{
	ops[*len] = (struct cfe_fd_op){.kind = kind, .from = from, .to = to, .cloexec = cloexec};
	(*len)++;
}

size_t cfe_fd_plan(const int32_t *files, uint32_t n, int32_t sock, int32_t exec_fd,
		   struct cfe_fd_op *ops, int32_t *sock_out, int32_t *exec_fd_out)
{
	int32_t next = highest_fd(files, n, sock, exec_fd) + 1;
	int32_t first_moved;
	size_t len = 0;

	if (next < (int32_t)n)
		next = (int32_t)n;
	/* The sync socket and the exec fd must survive pass 2, which writes
	 * fds 0..n-1. */
	if (sock >= 0 && sock < (int32_t)n) {
		add_op(ops, &len, CFE_FD_DUP, sock, next, 1);
		sock = next++;
	}
	if (exec_fd > 0 && exec_fd < (int32_t)n) {
		add_op(ops, &len, CFE_FD_DUP, exec_fd, next, 1);
		exec_fd = next++;
	}
	/* Pass 1: a file below its place would be overwritten by an earlier
	 * step of pass 2 before it is read; park it above everything. */
	first_moved = next;
	for (uint32_t i = 0; i < n; i++)
		if (is_below_place(files, i))
			add_op(ops, &len, CFE_FD_DUP, files[i], next++, 1);
	/* Pass 2, meeting the parked files in the same order.  dup3 refuses
	 * equal fds, and an fd already in place keeps its close-on-exec flag
	 * unless it is cleared. */
	for (uint32_t i = 0; i < n; i++) {
		int32_t from = is_below_place(files, i) ? first_moved++ : files[i];

		if (from == -1)
			add_op(ops, &len, CFE_FD_CLOSE, -1, (int32_t)i, 0);
		else if (from == (int32_t)i)
			add_op(ops, &len, CFE_FD_CLEAR_CLOEXEC, from, from, 0);
		else
			add_op(ops, &len, CFE_FD_DUP, from, (int32_t)i, 0);
	}
	*sock_out = sock;
	*exec_fd_out = exec_fd;
	return len;
}
