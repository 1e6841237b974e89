/* What the parts of the library share.  Nothing here is exported. */
#ifndef CFE_INTERNAL_H
#define CFE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cforkexec.h"

#define CFE_HIDDEN __attribute__((visibility("hidden")))

/* Longest mount target, including its terminating NUL: the child builds its
 * parent directories in a buffer of this size on its own stack. */
#define CFE_PATH_MAX 4096

/* Most BPF instructions the kernel accepts in one filter (BPF_MAXINSNS). */
#define CFE_BPF_MAXINSNS 4096

/* Most entries of files: the kernel's default fs.nr_open. */
#define CFE_FILES_MAX (1u << 20)

/* Most supplementary groups (NGROUPS_MAX). */
#define CFE_GROUPS_MAX 65536

/* Most lines of a uid_map or gid_map the kernel takes (since Linux 4.15). */
#define CFE_ID_MAP_LINES_MAX 340

/* Most strings of argv, and of envp, execve takes (MAX_ARG_STRINGS). */
#define CFE_ARG_STRINGS_MAX 0x7fffffffu

/* The highest signal number (_NSIG), the most PR_SET_PDEATHSIG takes. */
#define CFE_SIGNAL_MAX 64

/* ETXTBSY retries of execve, 1 ms apart, as the reference does. */
#define CFE_ETXTBSY_RETRIES 50

/* ---- configuration (config.c) ---- */

/* The largest struct size accepted at all, as clone3 bounds its own. */
#define CFE_CONFIG_SIZE_MAX 4096u

/* Copy a caller's configuration of any supported size into *out (zeroing
 * what the caller's version lacks) and check it.  Returns 0 or an errno:
 * EINVAL, E2BIG (unknown non-zero tail), ENAMETOOLONG (mount target). */
CFE_HIDDEN int cfe_config_load(const struct cfe_config *config, struct cfe_config *out);

/* Whether the child outlives cfe_start by stopping itself before execve. */
CFE_HIDDEN int cfe_config_stops(const struct cfe_config *c);

/* Whether cfe_start returns before the child's execve, with a pending
 * handle: the child stops itself, or CFE_FLAG_RETURN_BEFORE_EXEC. */
CFE_HIDDEN int cfe_config_returns_pending(const struct cfe_config *c);

/* Whether the parent sends the stop (cfe_config_stops) rather than the
 * child: the init of a new pid namespace ignores a SIGSTOP it sends itself
 * (unless traced, as it is with ptrace and a filter), but not one from the
 * parent, in an ancestor namespace. */
CFE_HIDDEN int cfe_config_parent_stops(const struct cfe_config *c);

/* Whether the parent has anything to do between clone and execve (id maps,
 * the sync callback, a stop) or returns before it; without either the child
 * runs under CLONE_VFORK. */
CFE_HIDDEN int cfe_config_needs_handshake(const struct cfe_config *c);

/* ---- file descriptor shuffle (fdplan.c) ---- */

enum cfe_fd_op_kind {
	CFE_FD_DUP,	      /* dup3(from, to, 0) */
	CFE_FD_CLEAR_CLOEXEC, /* fcntl(to, F_SETFD, 0): already at its place */
	CFE_FD_CLOSE,	      /* close(to), errors ignored */
};

/* One step of the child's fd shuffle; fd_plan makes one per entry of
 * files, run in order. */
struct cfe_fd_op {
	int32_t kind;
	int32_t from;
	int32_t to;
};

/* Whether files[i] is overwritten by an earlier step of the shuffle before
 * step i reads it (it sits below its place), so the parent must park a copy
 * of it out of the child's way first. */
CFE_HIDDEN int cfe_fd_needs_park(const int32_t *files, uint32_t i);

/* Plan the child's shuffle: step i puts files[i] at fd i, or closes fd i for
 * -1.  parked[k] holds the copy of the k-th entry (in order of i) for which
 * cfe_fd_needs_park is true.  Writes n ops. */
CFE_HIDDEN void cfe_fd_plan(const int32_t *files, uint32_t n, const int32_t *parked,
			    struct cfe_fd_op *ops);

/* ---- the parent's fds of one start (fds.c) ---- */

/* What the parent opens for one start.  The copies are close-on-exec and
 * numbered files_len or above, so the child's shuffle, which writes only
 * fds 0..files_len-1, cannot overwrite them, and nothing the child
 * inherits is overwritten by them.  The child gets its own copy of the fd
 * table at the clone, so all but parent_sock are closed right after it. */
struct cfe_fds {
	int32_t child_sock; /* the child's end of the sync socket, or -1 */
	/* with parent_death_signal: a pidfd of the starting thread (of the
	 * process before Linux 6.9), which the child polls; else -1 */
	int32_t parent_pidfd;
	int32_t parent_sock;  /* ours, or -1 */
	int32_t exec_fd;      /* what the child executes (0: args[0]) */
	int32_t exec_fd_copy; /* our copy of the caller's exec_fd, or -1 */
	int32_t *parked;      /* see cfe_fd_plan; malloc'd, NULL when none */
	uint32_t parked_len;
};

/* Check that the caller's fds are open, then create the sync socket (when
 * with_socket) and the copies.  Returns 0 or an errno, with nothing left
 * open on failure; *location (when not NULL) then says where: for a closed
 * fd, the child's step that would have failed with it (CFE_LOC_DUP3, or
 * CFE_LOC_EXECVE for an exec_fd that is not copied); else CFE_LOC_NONE,
 * with EMFILE when no fd is left for a copy below RLIMIT_NOFILE (except
 * EBADF, an fd closed meanwhile: CFE_LOC_DUP3); CFE_LOC_PARENT_DEATH_SIGNAL
 * when the pidfd of the starting thread cannot be opened. */
CFE_HIDDEN int cfe_fds_open(struct cfe_fds *f, const struct cfe_config *c, int with_socket,
			    uint32_t *location);

/* Close what only the child needs: after the clone it has its own. */
CFE_HIDDEN void cfe_fds_close_child_side(struct cfe_fds *f);

/* Close everything that is left. */
CFE_HIDDEN void cfe_fds_close(struct cfe_fds *f);

/* ---- user-namespace id maps (idmap.c) ---- */

/* Format maps as uid_map/gid_map text ("container host size\n" per line), or
 * "0 <self_id> 1\n" when maps is NULL.  Returns the length, or -1 when it
 * does not fit in cap bytes. */
CFE_HIDDEN long cfe_idmap_format(const struct cfe_id_map *maps, uint32_t n, uint32_t self_id,
				 char *buf, size_t cap);

/* Write uid_map, setgroups and gid_map of pid as the configuration asks.
 * Returns 0 or the errno of the first failure. */
CFE_HIDDEN int cfe_idmap_write(const struct cfe_config *c, int pid);

/* ---- what the child reads (plan.c) ---- */

struct cfe_child_plan {
	/* execve */
	const char *path;
	char *const *argv;
	char *const *envp;
	int32_t exec_fd;

	/* the child's end of the sync socket, and the parent's, which the
	 * child closes first; -1 under CLONE_VFORK, where there is none */
	int32_t sock;
	int32_t parent_sock;

	uint32_t flags;
	uint64_t clone_flags;
	int32_t has_sync;
	int32_t do_setgroups;
	int32_t parent_stops; /* cfe_config_parent_stops */
	/* PR_SET_PDEATHSIG (0 = none), and the pidfd that tells whether the
	 * starting thread is still alive (struct cfe_fds) */
	int32_t parent_death_signal;
	int32_t parent_pidfd;
	/* the highest capability the kernel knows, for emptying the bounding
	 * set; -1 when unknown: drop until the kernel says EINVAL */
	int32_t cap_last;

	uint32_t uid;
	uint32_t gid;
	uint32_t groups_len;
	const uint32_t *groups;

	const struct cfe_fd_op *fd_ops;
	size_t fd_ops_len;

	const struct cfe_mount *mounts;
	uint32_t mounts_len;
	const char *pivot_root;
	const char *hostname;
	const char *domainname;
	size_t hostname_len;
	size_t domainname_len;
	const char *workdir;

	const struct cfe_rlimit *rlimits;
	uint32_t rlimits_len;

	/* the kernel's struct sock_fprog; len 0 = no filter */
	struct {
		uint16_t len;
		const struct cfe_bpf_insn *filter;
	} seccomp;

	/* the caller's signal mask, restored before execve */
	uint64_t sigmask;

	/* written by the child when a step fails; read by the parent once
	 * the child has exec'd or died */
	struct cfe_error *error;
};

/* A bump allocator run twice over the same code: once with base NULL to
 * measure, once to copy into base.  Each string is measured once, in the
 * first run, which records its length in lens (lens_cap of them, in
 * order); the second copies that length, so a caller's string that changes
 * in between can neither overflow the arena nor lose its NUL. */
struct cfe_bump {
	char *base;
	size_t used;
	size_t *lens;
	size_t lens_cap;
	size_t strings; /* strings copied so far in this run */
};

/* The length lens records for a NULL string. */
#define CFE_BUMP_NULL SIZE_MAX

/* Reserve (first run) or make (second run) a NUL-terminated copy of at
 * most max bytes of s; NULL for NULL, and in the first run. */
CFE_HIDDEN const char *cfe_bump_strdup(struct cfe_bump *b, const char *s, size_t max);

/* One mapping per start: a guard page, the child's stack, then the plan
 * and copies of everything it points to. */
struct cfe_arena {
	void *base;
	size_t size;
	void *stack; /* lowest usable address of the stack */
	size_t stack_size;
	struct cfe_child_plan *plan;
};

/* Map an arena and copy into it what the child of c needs, with the fds
 * the parent prepared.  Returns 0 or an errno. */
CFE_HIDDEN int cfe_arena_create(struct cfe_arena *a, const struct cfe_config *c,
				const struct cfe_fds *fds, uint64_t sigmask);

CFE_HIDDEN void cfe_arena_destroy(struct cfe_arena *a);

/* ---- arenas kept for reuse (arena_pool.c) ---- */

/* How many arenas of the pooled size a process keeps for later starts. */
#define CFE_ARENA_POOL_SLOTS 4

/* An arena of the pooled size (guard page already protected), or NULL. */
CFE_HIDDEN void *cfe_arena_pool_take(void);

/* Keep an arena of the pooled size for a later start: 1, or 0 when the pool
 * is full (the caller unmaps it). */
CFE_HIDDEN int cfe_arena_pool_put(void *base);

/* ---- the child (child.c) ---- */

/* The child's whole life from clone to execve; never returns. */
CFE_HIDDEN int cfe_child_main(void *plan);

/* ---- close-on-exec for every other fd (cloexec.c), run in the child ---- */

/* Mark every fd from first up close-on-exec: close_range where the kernel
 * has CLOSE_RANGE_CLOEXEC, else each fd /proc/self/fd lists
 * (cfe_cloexec_listed), else, without a procfs there, cfe_cloexec_each up
 * to the soft RLIMIT_NOFILE.  Returns 0 or -errno. */
CFE_HIDDEN long cfe_cloexec_from(uint32_t first);

/* Mark each fd from first up that /proc/self/fd lists close-on-exec,
 * reading the directory with raw getdents64 into a buffer on the stack.
 * Returns 0, -errno, or 1 when there is no procfs at /proc (the caller
 * then falls back to cfe_cloexec_each). */
CFE_HIDDEN long cfe_cloexec_listed(uint32_t first);

/* The fallback: fcntl(F_SETFD, FD_CLOEXEC) on each fd in [first, end);
 * fds that are not open are skipped.  Returns 0 or -errno. */
CFE_HIDDEN long cfe_cloexec_each(uint32_t first, uint64_t end);

/* ---- clone (clone.c) ---- */

/* Create the child running cfe_child_main on the arena's stack.  With
 * pidfd not NULL, also a pidfd of it there (CLONE_PIDFD); *pidfd is
 * untouched when the clone fails.  Returns its pid or -errno. */
CFE_HIDDEN long cfe_clone(const struct cfe_arena *a, uint64_t ns_flags, int vfork, int cgroup_fd,
			  int32_t *pidfd);

/* ---- the parent's side (start.c) ---- */

/* For a language runtime whose sync callback can end its thread's current
 * task without returning (Go's runtime.Goexit): called from that callback
 * while it unwinds, it kills and reaps the child of the innermost start
 * whose callback runs on this thread and releases everything that start
 * holds, which the callback's caller in cfe_start will never do.  Does
 * nothing when no callback runs on this thread. */
CFE_HIDDEN void cfe_abandon_sync(void);

/* ---- the parent's dumpable flag (dumpable.c) ---- */

/* Call before a start whose child changes credentials (which makes the
 * shared memory descriptor, and so the parent, non-dumpable). */
CFE_HIDDEN void cfe_dumpable_hold(void);

/* Call once that child has exec'd or died; the last release restores the
 * flag the process had at the first hold, unless the caller changed it
 * meanwhile (see cfe_dumpable_restore_value). */
CFE_HIDDEN void cfe_dumpable_release(void);

/* The last release's rule: the value to set, or -1 to leave the flag as it
 * is.  saved is the flag at the first hold, left_by_child what a child's
 * credential change sets it to (fs.suid_dumpable), now its value at the
 * release.  Only a flag that still holds left_by_child is restored: any
 * other value was the caller's choice. */
CFE_HIDDEN int cfe_dumpable_restore_value(int saved, int left_by_child, int now);

#endif
