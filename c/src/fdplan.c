/* Planning the child's fd shuffle in the parent, where it can be tested:
 * the child only replays the ops.  Step i writes fd i, so a file that sits
 * below its place would already be overwritten when its step reads it; the
 * parent parks a copy of each such file out of the way beforehand (fds.c). */
#include <stddef.h>

#include "internal.h"

int cfe_fd_needs_park(const int32_t *files, uint32_t i)
{
	return files[i] >= 0 && files[i] < (int32_t)i;
}

void cfe_fd_plan(const int32_t *files, uint32_t n, const int32_t *parked, struct cfe_fd_op *ops)
{
	uint32_t next_parked = 0;

	for (uint32_t i = 0; i < n; i++) {
		int32_t from = cfe_fd_needs_park(files, i) ? parked[next_parked++] : files[i];

		/* dup3 refuses equal fds, and an fd already in place keeps its
		 * close-on-exec flag unless it is cleared. */
		if (from == -1)
			ops[i] =
			    (struct cfe_fd_op){.kind = CFE_FD_CLOSE, .from = -1, .to = (int32_t)i};
		else if (from == (int32_t)i)
			ops[i] = (struct cfe_fd_op){
			    .kind = CFE_FD_CLEAR_CLOEXEC, .from = from, .to = from};
		else
			ops[i] =
			    (struct cfe_fd_op){.kind = CFE_FD_DUP, .from = from, .to = (int32_t)i};
	}
}
