/* The parent's side of a start (SPEC.md §4): plan, clone, id maps, the
 * handshake, and waiting for the child's execve.  On every failure the
 * child is killed and reaped before cfe_start returns. */
#include <errno.h>
#include <pthread.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "sys.h"

struct cfe_pending {
	struct cfe_arena arena;
	struct cfe_fds fds;
	int holds_dumpable;
};

/* Everything one start owns until the child has exec'd or died. */
struct start {
	struct cfe_config config;
	struct cfe_arena arena;
	struct cfe_fds fds; /* fds.parent_sock is -1 under CLONE_VFORK */
	int holds_dumpable;
	long pid;
	int32_t pidfd; /* the child's, with config.pidfd_out; else -1 */
};

static int32_t report(struct cfe_error *err, int err_no, uint32_t location, int32_t index)
{
	*err = (struct cfe_error){.err_no = err_no, .location = location, .index = index};
	return -1;
}

static void release(struct start *s)
{
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	cfe_fds_close(&s->fds);
	cfe_arena_destroy(&s->arena);
	if (s->holds_dumpable)
		cfe_dumpable_release();
}

static void kill_and_reap(long pid)
{
	kill((pid_t)pid, SIGKILL);
	while (waitpid((pid_t)pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* 1 when a byte arrived, 0 at end-of-file, -errno on failure. */
static long read_byte(int fd)
{
	char byte;
	long r;

	do
		r = read(fd, &byte, 1);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* MSG_NOSIGNAL: a child that died early must not kill us with SIGPIPE. */
static void send_all(int fd, const void *buf, size_t len)
{
	while (send(fd, buf, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* The child's end of the socket closes at its execve (close-on-exec) or
 * its death; whatever else it sends is of no interest by now. */
static void wait_exec_or_death(int fd)
{
	while (read_byte(fd) > 0)
		;
}

/* The caller's from now on: cfe_start returns the child's pid. */
static int32_t give_pid(struct start *s)
{
	if (s->config.pidfd_out != NULL)
		*s->config.pidfd_out = s->pidfd;
	s->pidfd = -1;
	return (int32_t)s->pid;
}

/* The child has exec'd or died: return its pid, or its error.  A child
 * that owed us a report (its "ready") and died without an error record
 * was killed by a signal. */
static int32_t finish(struct start *s, struct cfe_error *err, int owed_report)
{
	const struct cfe_error *child = s->arena.plan->error;

	if (child->err_no != 0 || owed_report) {
		*err = *child;
		if (child->err_no == 0)
			*err = (struct cfe_error){.err_no = EPIPE, .location = CFE_LOC_CHILD_DIED};
		kill_and_reap(s->pid);
		release(s);
		return -1;
	}
	int32_t pid = give_pid(s);

	release(s);
	return pid;
}

static int32_t fail_after_clone(struct start *s, struct cfe_error *err, int err_no,
				uint32_t location)
{
	kill_and_reap(s->pid);
	release(s);
	return report(err, err_no, location, 0);
}

/* The sync callbacks running on this thread, innermost first (a callback
 * may start another process), for cfe_abandon_sync. */
struct sync_call {
	struct start *start;
	struct cfe_pending *pending;
	struct sync_call *outer;
};
static _Thread_local struct sync_call *running_sync;

void cfe_abandon_sync(void)
{
	struct sync_call *call = running_sync;

	if (call == NULL)
		return;
	running_sync = call->outer;
	kill_and_reap(call->start->pid);
	release(call->start);
	free(call->pending);
}

static int32_t run_sync_fn(struct start *s, struct cfe_pending *pending, struct cfe_error *err)
{
	struct sync_call call = {.start = s, .pending = pending, .outer = running_sync};
	int32_t verdict;
	const char go = 0;

	running_sync = &call;
	verdict = s->config.sync_fn(s->config.sync_context, (int32_t)s->pid);
	running_sync = call.outer;
	if (verdict != 0)
		return fail_after_clone(s, err, verdict > 0 ? verdict : ECANCELED,
					CFE_LOC_SYNC_CALLBACK);
	send_all(s->fds.parent_sock, &go, 1);
	return 0;
}

static int32_t hand_over(struct start *s, struct cfe_pending *p, struct cfe_pending **out)
{
	*p = (struct cfe_pending){
	    .arena = s->arena, .fds = s->fds, .holds_dumpable = s->holds_dumpable};
	*out = p;
	return give_pid(s);
}

/* The stop the child cannot send itself (cfe_config_parent_stops), then
 * the byte it waits for: the stop is pending before it goes on. */
static void stop_child(struct start *s)
{
	const char go = 0;

	kill((pid_t)s->pid, SIGSTOP);
	send_all(s->fds.parent_sock, &go, 1);
}

/* 1 when the child reported, else (it failed or died) 0. */
static int child_reported(struct start *s)
{
	return read_byte(s->fds.parent_sock) == 1;
}

/* Everything between the clone and the child's execve that needs us. */
static int32_t handshake(struct start *s, struct cfe_error *err, struct cfe_pending *pending,
			 struct cfe_pending **out)
{
	int32_t maps_err = 0;

	if (s->config.clone_flags & CLONE_NEWUSER) {
		maps_err = cfe_idmap_write(&s->config, (int)s->pid);
		send_all(s->fds.parent_sock, &maps_err, sizeof(maps_err));
	}
	/* With the maps refused the child fails; a child that owes us a
	 * report ("ready" for the callback, then one just before it stops)
	 * and does not send it failed or died: collect what it left. */
	if (maps_err != 0 || (s->config.sync_fn != NULL && !child_reported(s)))
		goto failed;
	if (s->config.sync_fn != NULL && run_sync_fn(s, pending, err) != 0) {
		free(pending);
		return -1;
	}
	if (pending != NULL) {
		/* A child that stops reports right before it does. */
		if (cfe_config_stops(&s->config) && !child_reported(s))
			goto failed;
		if (cfe_config_parent_stops(&s->config))
			stop_child(s);
		return hand_over(s, pending, out);
	}
	wait_exec_or_death(s->fds.parent_sock);
	return finish(s, err, 0);
failed:
	wait_exec_or_death(s->fds.parent_sock);
	free(pending);
	return finish(s, err, 1);
}

/* Starts with a handshake keep the child's end of the sync socket open
 * from its creation until just after their clone.  A child that another
 * thread's start clones meanwhile would inherit it and, if it then waited
 * for its own handshake or stopped, keep it open and delay our
 * end-of-file for as long.  So those windows never overlap.  (A CLONE_VFORK
 * child may still inherit one, but execs or dies at once.) */
static pthread_mutex_t handshake_clone_lock = PTHREAD_MUTEX_INITIALIZER;

/* The clone and what it needs: the pending handle of a child that will
 * stop, the sync socket and fd copies, the arena.  The parent's copies of
 * the child's fds are closed again once the child has its own.  Returns 0,
 * with the clone's result in s->pid, or an errno with *location. */
static int create_child(struct start *s, int with_pending, struct cfe_pending **handle,
			uint32_t *location)
{
	const int handshaking = cfe_config_needs_handshake(&s->config);
	const uint64_t all_signals = ~(uint64_t)0;
	uint64_t mask = 0;
	int cancel_state = 0;
	int e;

	*location = CFE_LOC_NONE;
	if (cfe_config_returns_pending(&s->config)) {
		if (!with_pending)
			return EINVAL;
		*handle = malloc(sizeof(**handle));
		if (*handle == NULL)
			return ENOMEM;
	}
	/* A thread cancelled in here would leave the lock held for good. */
	if (handshaking) {
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
		pthread_mutex_lock(&handshake_clone_lock);
	}
	e = cfe_fds_open(&s->fds, &s->config, handshaking, location);
	if (e == 0) {
		/* No signal handler of ours may run in the child; it restores
		 * this mask once it has reset them. */
		sys_rt_sigprocmask(SIG_SETMASK, &all_signals, &mask);
		e = cfe_arena_create(&s->arena, &s->config, &s->fds, mask);
		if (e == 0) {
			if (s->config.flags & CFE_FLAG_CREDENTIAL) {
				cfe_dumpable_hold();
				s->holds_dumpable = 1;
			}
			s->pid = cfe_clone(&s->arena, s->config.clone_flags, !handshaking,
					   s->config.cgroup_fd,
					   s->config.pidfd_out != NULL ? &s->pidfd : NULL);
		}
		sys_rt_sigprocmask(SIG_SETMASK, &mask, NULL);
		cfe_fds_close_child_side(&s->fds);
	}
	if (handshaking) {
		pthread_mutex_unlock(&handshake_clone_lock);
		pthread_setcancelstate(cancel_state, NULL);
	}
	return e;
}

int32_t cfe_start(const struct cfe_config *config, struct cfe_error *err,
		  struct cfe_pending **pending)
{
	struct start s = {
	    .fds = {.child_sock = -1, .parent_pidfd = -1, .parent_sock = -1, .exec_fd_copy = -1},
	    .pidfd = -1,
	};
	struct cfe_pending *handle = NULL;
	uint32_t location;
	int e;

	if (err == NULL)
		return -1;
	if (pending != NULL)
		*pending = NULL;
	e = cfe_config_load(config, &s.config);
	/* -1 until the start succeeds (a refused size or tail left it 0). */
	if (s.config.pidfd_out != NULL)
		*s.config.pidfd_out = -1;
	if (e != 0)
		return report(err, e, CFE_LOC_NONE, 0);
	e = create_child(&s, pending != NULL, &handle, &location);
	if (s.config.clone_hook != NULL)
		s.config.clone_hook(s.config.clone_hook_context);
	if (e != 0 || s.pid < 0) {
		free(handle);
		release(&s);
		return e != 0 ? report(err, e, location, 0)
			      : report(err, (int)-s.pid, CFE_LOC_CLONE, 0);
	}
	if (s.fds.parent_sock < 0) {
		free(handle); /* NULL: only a start with a handshake can stop */
		return finish(&s, err, 0);
	}
	return handshake(&s, err, handle, pending);
}

int32_t cfe_pending_finish(struct cfe_pending *p, struct cfe_error *err)
{
	struct cfe_error seen;

	wait_exec_or_death(p->fds.parent_sock);
	seen = *p->arena.plan->error;
	cfe_fds_close(&p->fds);
	cfe_arena_destroy(&p->arena);
	if (p->holds_dumpable)
		cfe_dumpable_release();
	free(p);
	if (seen.err_no == 0)
		return 0;
	if (err != NULL)
		*err = seen;
	return -1;
}

int32_t cfe_pending_fd(const struct cfe_pending *p)
{
	return p->fds.parent_sock;
}
