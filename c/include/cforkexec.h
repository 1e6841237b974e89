/*
 * cforkexec — start a process the way a sandbox needs it started.
 *
 * One call, cfe_start(), creates the child (new namespaces, optionally
 * straight into a cgroup), writes its user-namespace id maps from the parent,
 * runs an optional handshake callback in the parent just before the child's
 * execve, and in the child sets up credentials, file descriptors, mounts and
 * pivot_root, rlimits, capabilities, no_new_privs, a seccomp filter and
 * PTRACE_TRACEME, in that order, before it executes the program.
 *
 * ABI rules (they make old binaries keep working with newer libraries):
 *  - struct cfe_config starts with its own size in bytes.  Fields are only
 *    ever appended.  The library accepts any size from CFE_CONFIG_SIZE_VER1
 *    up: fields past a smaller size read as zero; a larger struct whose
 *    unknown tail is not all zero is refused with E2BIG.
 *  - Fixed-width integers only, explicit padding (which must be zero),
 *    arrays as pointer + count.  Error locations are only ever appended.
 *  - Every exported symbol starts with cfe_.
 *
 * Thread-safety: every function may be called from any number of threads at
 * once.  Starts with a handshake (a user namespace, a sync callback, a child
 * that stops) take a short internal lock from the creation of their socket
 * to just after their clone, so that no other start's child inherits it.
 * Requires Linux 5.3 (clone3; the legacy clone is used where clone3 is
 * filtered out), 5.7 for cgroup_fd; see the fields appended after version
 * 1 for theirs.
 *
 * The element structs of the arrays (cfe_rlimit, cfe_mount, cfe_id_map,
 * cfe_bpf_insn) and cfe_error are fixed for good; a later version that
 * needs more adds new arrays to cfe_config.
 */
#ifndef CFORKEXEC_H
#define CFORKEXEC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks what the shared library exports; everything else is hidden. */
#if defined(__GNUC__)
#define CFE_API __attribute__((visibility("default")))
#else
#define CFE_API
#endif

/*
 * The ABI version this header describes; compare with cfe_abi_version(),
 * the version of the library actually loaded, before using what a later
 * version added (a library that is older refuses it, see
 * CFE_CONFIG_SIZE_VER2).
 *  1: the first.
 *  2: cfe_config's pidfd_out and parent_death_signal (struct size
 *     CFE_CONFIG_SIZE_VER2), CFE_FLAG_CLOSE_OTHER_FDS, location
 *     CFE_LOC_PARENT_DEATH_SIGNAL, cfe_set_dumpable(), and the cfe_seccomp_*
 *     functions of cforkexec_seccomp.h (symbol version CFORKEXEC_1.1).
 */
#define CFE_ABI_VERSION 2

/* Bits of cfe_config.flags. */
enum cfe_flag {
	/* Credential is set: change to uid/gid/groups in the child. */
	CFE_FLAG_CREDENTIAL = 1u << 0,
	/* With CFE_FLAG_CREDENTIAL: do not call setgroups. */
	CFE_FLAG_NO_SETGROUPS = 1u << 1,
	/* The child calls PTRACE_TRACEME; the caller's thread is its tracer. */
	CFE_FLAG_PTRACE = 1u << 2,
	/* Set PR_SET_NO_NEW_PRIVS (implied by a seccomp filter). */
	CFE_FLAG_NO_NEW_PRIVS = 1u << 3,
	/* The child stops itself with SIGSTOP before loading seccomp.  With
	 * CLONE_NEWPID (and without CFE_FLAG_PTRACE and a filter) the child,
	 * init of its pid namespace, would ignore its own SIGSTOP: the
	 * parent sends it instead, once the child reported (the reference's
	 * child does not stop there). */
	CFE_FLAG_STOP_BEFORE_SECCOMP = 1u << 4,
	/* Write "allow" to /proc/PID/setgroups when gid_maps are given. */
	CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS = 1u << 5,
	/* Drop every capability before execve: the effective, permitted,
	 * inheritable and ambient sets are emptied and the securebits locked
	 * (noroot), so that neither a setuid-root program nor one with file
	 * capabilities gets any back: without no_new_privs the bounding set
	 * is emptied too (the reference leaves it full); with no_new_privs
	 * (CFE_FLAG_NO_NEW_PRIVS or a seccomp filter) the kernel grants
	 * nothing at exec, and the bounding set, whose emptying costs about
	 * 2 us per capability, is left as it is.  CFE_FLAG_CREDENTIAL alone
	 * drops capabilities as the reference does: all but the bounding
	 * set, so a file-capability program may regain its own unless
	 * no_new_privs is set. */
	CFE_FLAG_DROP_CAPS = 1u << 6,
	/* Unshare the cgroup namespace after the handshake (and then drop
	 * capabilities and load seccomp there). */
	CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC = 1u << 7,
	/* Make fd 0 the child's controlling terminal. */
	CFE_FLAG_CTTY = 1u << 8,
	/* Return as soon as the parent's part is done (right after the
	 * clone, or after the id maps and the sync callback) instead of
	 * waiting for the child's execve, with a struct cfe_pending handle:
	 * cfe_pending_fd() becomes readable (end-of-file) once the child has
	 * exec'd or died, and cfe_pending_finish() then tells whether a step
	 * failed.  The calling thread is free meanwhile (a language runtime
	 * waits in its event loop).  Not a flag of the reference. */
	CFE_FLAG_RETURN_BEFORE_EXEC = 1u << 9,
	/* Appended after version 1.  No fd but those of files reaches the
	 * program: right after its fd shuffle (before any mount) the child
	 * marks every fd from files_len up close-on-exec, with
	 * close_range(files_len, ~0U, CLOSE_RANGE_CLOEXEC) (Linux 5.11).
	 * Where that is refused (ENOSYS before 5.9, EINVAL before 5.11, EPERM
	 * from a container's seccomp profile) it reads its fd table from
	 * /proc/self/fd (the caller's /proc: no mount of the start's is made
	 * yet) and marks each fd listed there from files_len up with
	 * fcntl(F_SETFD, FD_CLOEXEC); only where that directory cannot be
	 * opened or is not a procfs (a chroot without /proc, say) does it
	 * call that fcntl on each fd below its soft RLIMIT_NOFILE, which
	 * misses an fd at or above that limit (one opened before the limit
	 * was lowered) and costs one system call per fd below it (a million
	 * where the limit was raised that far).  The library's own fds (the handshake
	 * socket, a copy of exec_fd) keep working until the execve.  An
	 * exec_fd that is not in files is close-on-exec then, so it can run
	 * an ELF program but not a script (the interpreter could not open
	 * /dev/fd/N), as with fexecve(3).  A failure is reported at
	 * CFE_LOC_FCNTL.  Not a flag of the reference. */
	CFE_FLAG_CLOSE_OTHER_FDS = 1u << 10,
};

/* Every flag this version knows; other bits are refused with EINVAL. */
#define CFE_FLAGS_KNOWN 0x7ffu

/* The namespace flags clone_flags may carry (the Go UnshareFlags value);
 * other bits are ignored, as the reference does. */
#define CFE_UNSHARE_FLAGS 0x7e020000ull

/* One resource limit, set in the child with prlimit64. */
struct cfe_rlimit {
	uint32_t resource; /* RLIMIT_* */
	uint32_t pad;	   /* must be zero */
	uint64_t cur;
	uint64_t max;
};

/* One mount(2) call made in the child's mount namespace, in list order.
 * Missing parent directories of target are created first; with make_nod the
 * last component is created as an empty regular file (for binding a file).
 * A bind mount with MS_RDONLY is remounted read-only, keeping the source's
 * nosuid, nodev, noexec and atime flags; with MS_REC, only the top mount
 * becomes read-only (as with the reference), not the mounts below it.
 * With pivot_root, a relative target is relative to the new root. */
struct cfe_mount {
	const char *source; /* may be NULL */
	const char *target; /* required, shorter than 4096 bytes */
	const char *fstype; /* may be NULL */
	const char *data;   /* may be NULL */
	uint64_t flags;	    /* MS_* */
	uint32_t make_nod;  /* 0 or 1 */
	uint32_t pad;	    /* must be zero */
};

/* One line of a uid_map or gid_map: "container host size". */
struct cfe_id_map {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
	uint32_t pad; /* must be zero */
};

/* One classic-BPF instruction; the layout of the kernel's struct sock_filter. */
struct cfe_bpf_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/*
 * Called in the parent, on the thread that called cfe_start, once the child
 * is set up and waiting just before its execve (SPEC order: with a seccomp
 * filter and neither CFE_FLAG_PTRACE nor CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC,
 * the filter is already loaded then, so it must allow the child's write and
 * read of one byte on its socket).  Return 0 to let it go on; anything else
 * makes cfe_start kill and reap the child and fail with location
 * CFE_LOC_SYNC_CALLBACK and err_no = the value returned (when it is
 * positive, else ECANCELED).
 */
typedef int32_t (*cfe_sync_fn)(void *context, int32_t pid);

/*
 * Called in the parent, on the thread that called cfe_start, exactly once
 * by every cfe_start whose configuration is valid: right after the clone,
 * or after the failure that prevented it, and before anything else of the
 * start.  (Under CLONE_VFORK, with no handshake, the clone itself returns
 * only once the child has exec'd or died.)  A language runtime uses it to
 * release the lock it holds against its own fork-and-exec (Go's
 * syscall.ForkLock) as early as possible.
 */
typedef void (*cfe_clone_hook)(void *context);

/*
 * The whole configuration of one start.  Zero means "not set" everywhere.
 * The library reads it only during cfe_start and copies what the child
 * needs, so the caller may free it as soon as cfe_start returns.
 */
struct cfe_config {
	uint64_t size; /* sizeof(struct cfe_config) as the caller compiled it */

	/* argv (args_len >= 1) and envp, each at most 0x7fffffff strings
	 * (execve's MAX_ARG_STRINGS).  args[0] is the path executed unless
	 * exec_fd is set; it is not searched in PATH.  env NULL (or env_len 0)
	 * is an empty environment, not the caller's. */
	const char *const *args;
	const char *const *env;
	uint32_t args_len;
	uint32_t env_len;

	/* > 0: execveat(exec_fd, "", AT_EMPTY_PATH) instead of args[0]. */
	int32_t exec_fd;
	uint32_t rlimits_len;
	const struct cfe_rlimit *rlimits;

	/* files[i] becomes fd i in the child, -1 closes fd i; every other fd
	 * without close-on-exec is inherited as usual. */
	const int32_t *files;
	uint32_t files_len;

	/* seccomp filter, loaded with SECCOMP_FILTER_FLAG_TSYNC; 0 = none. */
	uint32_t seccomp_len;
	const struct cfe_bpf_insn *seccomp;

	const char *workdir; /* chdir after mounts and pivot_root; NULL = stay */

	/* CLONE_NEW* flags; masked with CFE_UNSHARE_FLAGS. */
	uint64_t clone_flags;

	const struct cfe_mount *mounts;
	uint32_t mounts_len;
	uint32_t pad0; /* must be zero */

	/* Absolute path of the directory made the child's new read-only root
	 * (tmpfs, mounts, pivot_root); needs CLONE_NEWNS.  "/" itself, under
	 * any spelling ("//", "/.", "/..") is refused (EINVAL); a path that
	 * leads there otherwise (a link to "/") fails in the child with
	 * EINVAL at CFE_LOC_MOUNT_CHDIR, before it makes anything. */
	const char *pivot_root;
	/* Set in the child's new UTS namespace, failures ignored (as the
	 * reference does); without CLONE_NEWUTS they would rename the
	 * caller's machine, and are refused (EINVAL), unlike the reference,
	 * which sets them there. */
	const char *hostname;
	const char *domainname;

	/* With CLONE_NEWUSER: NULL writes "0 <euid> 1" / "0 <egid> 1".  At
	 * most 340 lines each, as the kernel takes. */
	const struct cfe_id_map *uid_maps;
	const struct cfe_id_map *gid_maps;
	uint32_t uid_maps_len;
	uint32_t gid_maps_len;

	/* > 0: start the child in this cgroup v2 directory (clone3). */
	int32_t cgroup_fd;

	/* Credential, used with CFE_FLAG_CREDENTIAL. */
	uint32_t uid;
	uint32_t gid;
	uint32_t groups_len;
	const uint32_t *groups;

	uint32_t flags; /* enum cfe_flag bits */
	uint32_t pad1;	/* must be zero */

	/* Must return normally: a longjmp or exception out of it leaves the
	 * child blocked before its execve and what the start holds (its
	 * socket, its memory, the dumpable hold of a credential change) lost.
	 * NULL = no handshake. */
	cfe_sync_fn sync_fn;
	void *sync_context;

	cfe_clone_hook clone_hook; /* NULL = none */
	void *clone_hook_context;

	/* ---- appended after version 1 (CFE_CONFIG_SIZE_VER2) ---- */

	/* Not NULL: ask for a pidfd of the child (clone's CLONE_PIDFD, Linux
	 * 5.2; see pidfd_open(2)), a handle that cannot come to name another
	 * process once the child is reaped, as its pid can.  When cfe_start
	 * returns a pid, *pidfd_out is a close-on-exec pidfd of that child,
	 * which the caller owns and closes (also when the child outlives the
	 * call through a struct cfe_pending, whatever cfe_pending_finish then
	 * says).  When cfe_start fails, *pidfd_out is -1 and no fd is left
	 * open; a struct refused as a whole (its size, an unknown non-zero
	 * tail: nothing of it is read) leaves it untouched.  The kernel
	 * writes it during the clone, in the caller's memory: it must stay
	 * valid until cfe_start returns. */
	int32_t *pidfd_out;

	/* > 0: the child's parent-death signal (PR_SET_PDEATHSIG, 1..64; any
	 * other non-zero value is refused with EINVAL).  The kernel sends it
	 * to the child when its parent *thread* exits, the thread that called
	 * cfe_start: not when the process does, but as soon as that thread
	 * ends, even while other threads go on.  The child sets it first
	 * thing (again after a credential change, which clears it), and then
	 * checks, on a pidfd of that thread it inherits, that the thread is
	 * still alive: if it already ended, the signal was never sent, and
	 * the child exits with status 128 + the signal instead of going on.
	 * That pidfd is exact (a thread pidfd, PIDFD_THREAD) on Linux 6.9
	 * and later; before, it is a pidfd of the process, readable only once
	 * every thread has ended, so a starting thread that ends before the
	 * child has set its signal while the process lives on goes unseen
	 * (the child's parent then is another thread, whose end sends the
	 * signal) and a process whose threads all end in that window may be
	 * missed too.  The starting thread cannot end during cfe_start but
	 * with the process, unless cfe_start returns before the child's
	 * execve (struct cfe_pending).  The kernel clears the signal when
	 * the program executed is set-user-ID, set-group-ID or has file
	 * capabilities, and the program may change it.  The child gives this
	 * one signal its default action (SIG_DFL, where the caller's thread
	 * ignores it: a nohup'd SIGHUP would be discarded) and takes it out
	 * of the signal mask the program is executed with (where the caller
	 * blocks it, it would stay pending): the program starts with it
	 * deliverable, every other signal as the caller had it.  A child
	 * that finds the thread already gone writes an error record, ESRCH
	 * at CFE_LOC_PARENT_DEATH_SIGNAL, before it exits with 128 + the
	 * signal: cfe_start reports it, or cfe_pending_finish where the
	 * start returned before the execve.  Where the pidfd of the starting
	 * thread cannot be opened (a container's seccomp profile refusing
	 * pidfd_open with EPERM), cfe_start fails before the clone with that
	 * errno at CFE_LOC_PARENT_DEATH_SIGNAL.  The init of a new
	 * pid namespace (CLONE_NEWPID) ignores every signal it has no
	 * handler for but SIGKILL, so there, short of a handler installed by
	 * the program, only SIGKILL has an effect.  0 = none: no extra system
	 * call is made. */
	int32_t parent_death_signal;
	uint32_t pad2; /* must be zero */
};

/* The size of the first version of struct cfe_config. */
#define CFE_CONFIG_SIZE_VER1 216u

/* The size of the second: pidfd_out, parent_death_signal and
 * CFE_FLAG_CLOSE_OTHER_FDS.  A library of the first version refuses a
 * struct that sets any of them (E2BIG for an unknown non-zero tail, EINVAL
 * for the flag); one that leaves them zero works with both. */
#define CFE_CONFIG_SIZE_VER2 232u

/* Where a start failed.  1..32 are the Go ErrorLocation values; 33 and
 * up are this library's. */
enum cfe_location {
	CFE_LOC_NONE = 0, /* in the parent before a child existed */
	CFE_LOC_CLONE = 1,
	CFE_LOC_CLOSE_WRITE,
	CFE_LOC_UNSHARE_USER_READ,
	CFE_LOC_GETPID,
	CFE_LOC_KEEP_CAPABILITY,
	CFE_LOC_SETGROUPS,
	CFE_LOC_SETGID,
	CFE_LOC_SETUID,
	CFE_LOC_DUP3,
	CFE_LOC_FCNTL,
	CFE_LOC_SETSID,
	CFE_LOC_IOCTL,
	CFE_LOC_MOUNT_ROOT,
	CFE_LOC_MOUNT_TMPFS,
	CFE_LOC_MOUNT_CHDIR,
	CFE_LOC_MOUNT,
	CFE_LOC_MOUNT_MKDIR,
	CFE_LOC_PIVOT_ROOT,
	CFE_LOC_UMOUNT,
	CFE_LOC_UNLINK,
	CFE_LOC_MOUNT_ROOT_READONLY,
	CFE_LOC_CHDIR,
	CFE_LOC_SETRLIMIT,
	CFE_LOC_SET_NO_NEW_PRIVS,
	CFE_LOC_DROP_CAPABILITY,
	CFE_LOC_SET_CAP,
	CFE_LOC_PTRACE_ME,
	CFE_LOC_STOP,
	CFE_LOC_SECCOMP,
	CFE_LOC_SYNC_WRITE,
	CFE_LOC_SYNC_READ,
	CFE_LOC_EXECVE = 32,
	/* The sync callback returned non-zero. */
	CFE_LOC_SYNC_CALLBACK = 33,
	/* The child died before it reported back, without an error record:
	 * killed by a signal (a seccomp filter's kill action, say).  err_no is
	 * EPIPE, as the reference reports it. */
	CFE_LOC_CHILD_DIED = 34,
	/* With CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC, unshare(CLONE_NEWCGROUP)
	 * failed.  The reference ignores this failure (the child would run
	 * in the caller's cgroup namespace); this library reports it. */
	CFE_LOC_UNSHARE_CGROUP = 35,
	/* With parent_death_signal: the pidfd of the starting thread could
	 * not be opened (in the parent, before the clone), the child's prctl
	 * failed, or the child found the starting thread gone (ESRCH). */
	CFE_LOC_PARENT_DEATH_SIGNAL = 36,
};

/* Why a start failed. */
struct cfe_error {
	int32_t err_no;	   /* errno value, > 0 */
	uint32_t location; /* enum cfe_location */
	int32_t index;	   /* position in mounts or rlimits, else 0 */
	uint32_t pad;
};

/*
 * A child that outlives cfe_start before its execve: it stops itself
 * (CFE_FLAG_STOP_BEFORE_SECCOMP, or CFE_FLAG_PTRACE with a seccomp filter),
 * or the caller asked not to wait for its execve
 * (CFE_FLAG_RETURN_BEFORE_EXEC); it needs its stack until it has exec'd or
 * died.
 */
struct cfe_pending;

/*
 * Start a process.  Returns its pid (> 0), or -1 with *err filled; on every
 * failure the child, if one was created, has been killed and reaped.
 *
 * When the child outlives the call before its execve (see struct
 * cfe_pending), *pending receives a handle that the caller must pass to
 * cfe_pending_finish() once (for a child that stops itself, after it has
 * been continued); pending must then not be NULL (EINVAL).  In every other
 * case *pending, when pending is not NULL, is set to NULL.
 *
 * err must not be NULL.  Errors found before the clone have location
 * CFE_LOC_NONE (but for closed fds, below, and a refused pidfd of the
 * starting thread, see parent_death_signal): EINVAL for an invalid
 * configuration, E2BIG for an unknown non-zero tail, ENAMETOOLONG for a
 * mount target that is too long, or the errno of a failed resource
 * allocation.  That is EMFILE, too, when the start finds no fd below
 * RLIMIT_NOFILE for its socket or for the copies it makes of fds of files
 * and exec_fd, at or above files_len, out of the way of the child's
 * shuffle (a files_len at or above the limit leaves none).
 *
 * Every fd of files (but one already at its place, files[i] == i, which
 * the child's fcntl checks) and exec_fd must be open when cfe_start is
 * called.  A closed one is refused before the start opens anything, with
 * EBADF at CFE_LOC_DUP3, or at CFE_LOC_EXECVE for an exec_fd at or above
 * files_len (what the child would have reported): its number could
 * otherwise be that of an fd the start creates (its socket, a copy), which
 * the child would hand to the program.
 *
 * With CFE_FLAG_CREDENTIAL the child's setuid, in the memory it shares
 * with the caller, sets the caller's PR_GET_DUMPABLE flag to the
 * fs.suid_dumpable sysctl until the child has exec'd or died (nobody may
 * attach to it meanwhile).  Once the last such start of the process is
 * over, the flag is restored to its value before the first, if it still
 * holds that sysctl value; a value the caller set meanwhile stays.  A
 * caller's write of the sysctl's own value (PR_SET_DUMPABLE 0 where it is
 * 0, the default) cannot be told from the child's and is undone: set the
 * flag with cfe_set_dumpable() instead, which is honoured exactly.
 *
 * A failed child ends even under a seccomp filter that refuses exit_group
 * and exit: it then dies by a fault (SIGILL, SIGTRAP on aarch64; its core
 * limit lowered to 0 first where the filter allows), and the start still
 * reports the step that failed.
 *
 * A child that stops itself may not have stopped yet when cfe_start
 * returns: wait for the stop (waitpid with WUNTRACED, or the tracer's
 * wait) before continuing it, or the SIGCONT may come first and be lost.
 *
 * Not for use between fork() and exec in a process whose other threads may
 * be inside cfe_start: a start holds an internal lock around its clone.
 */
CFE_API int32_t cfe_start(const struct cfe_config *config, struct cfe_error *err,
			  struct cfe_pending **pending);

/*
 * Wait until the pending child has exec'd or died, then release what it
 * needed.  Returns -1 with *err (if not NULL) filled when a step failed
 * after cfe_start returned, else 0: it exec'd, or died without a report
 * (killed by a signal).  The child is not reaped: the caller waits for it
 * as for any child (and, after a failure, kills and reaps it).  Frees
 * pending, which must not be NULL, in every case.
 */
CFE_API int32_t cfe_pending_finish(struct cfe_pending *pending, struct cfe_error *err);

/* The file descriptor that becomes readable when the pending child has
 * exec'd or died, for callers that poll; owned by pending. */
CFE_API int32_t cfe_pending_fd(const struct cfe_pending *pending);

/*
 * Set the calling process's dumpable flag (PR_SET_DUMPABLE) to value, 0 or
 * 1, in agreement with the credential starts under way (see cfe_start):
 * while one is, 0 takes effect at once and 1 once the last of them is over
 * (a child with other credentials still runs in the caller's memory, and
 * nobody may attach to it); either way the last start's restore leaves the
 * flag at value.  With no such start under way it is PR_SET_DUMPABLE.
 * Returns 0, EINVAL for any other value, or prctl's errno.
 */
CFE_API int32_t cfe_set_dumpable(int32_t value);

/* CFE_ABI_VERSION of the library actually loaded. */
CFE_API uint32_t cfe_abi_version(void);

/* The name of a location, as the Go ErrorLocation.String() spells it
 * ("unknown" for numbers it does not know); a static string. */
CFE_API const char *cfe_location_name(uint32_t location);

#ifdef __cplusplus
}
#endif

#endif
