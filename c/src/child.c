/*
 * The child's life from clone to execve, top to bottom, in the order of
 * SPEC.md §3.  It runs on its own stack in the parent's memory (CLONE_VM),
 * so it makes raw system calls only and writes nothing outside that
 * stack but its error record.  A failed step records {errno, location,
 * index} and exits; the parent reads the record once the child is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <termios.h>
#include <time.h>

#include "internal.h"
#include "sys.h"

/* Kept across setuid so that the child can still unshare a cgroup
 * namespace and drop capabilities itself; locked so the program cannot
 * change it. */
#define SECUREBITS_KEEP                                                                            \
	(SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED)

/* No way back to privilege: root is not special, setuid does not grant. */
#define SECUREBITS_DROP (SECUREBITS_KEEP | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED)

/* Remounting a bind read-only must keep the flags the kernel locks on it. */
#define MS_KEPT_ON_REMOUNT                                                                         \
	(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME)

/* A seccomp filter (the caller's, or ours once loaded) may refuse
 * exit_group and exit, but no filter stops a fault: its signal kills us
 * even when blocked or ignored.  No core file first, where the limit can
 * still be set: it would hold the parent's memory, which we share. */
static CFE_CHILD_CODE __attribute__((noreturn)) void child_exit(int status)
{
	const uint64_t no_core[2] = {0, 0}; /* the kernel's rlimit64: cur, max */

	CFE_SYS(SYS_exit_group, status, 0, 0, 0, 0, 0);
	CFE_SYS(SYS_exit, status, 0, 0, 0, 0, 0);
	CFE_SYS(SYS_prlimit64, 0, RLIMIT_CORE, no_core, NULL, 0, 0);
	__builtin_trap();
}

/* The one write outside our stack: the parent reads it once we are gone. */
static CFE_CHILD_CODE void record(const struct cfe_child_plan *p, uint32_t location, int32_t index,
				  long ret)
{
	p->error->err_no = (int32_t)-ret;
	p->error->location = location;
	p->error->index = index;
}

static CFE_CHILD_CODE __attribute__((noreturn)) void
fail(const struct cfe_child_plan *p, uint32_t location, int32_t index, long ret)
{
	record(p, location, index, ret);
	/* The errno is the exit status too, as with the reference: a child
	 * that fails after cfe_start returned (past its stop) says why. */
	child_exit((int)((-ret) & 0xff));
}

static CFE_CHILD_CODE int flag(const struct cfe_child_plan *p, uint32_t f)
{
	return (p->flags & f) != 0;
}

/* A handler of the parent's would run on our stack in the parent's memory;
 * reset them all before the caller's mask lets any signal in.  Ignored
 * signals stay ignored, as execve keeps them, but for the parent-death
 * signal: ignored (a nohup'd SIGHUP) the kernel would discard it, blocked
 * it would stay pending, and the program would outlive its starter. */
static CFE_CHILD_CODE void child_reset_signals(const struct cfe_child_plan *p)
{
	const struct cfe_ksigaction dfl = {.handler = (uintptr_t)SIG_DFL};
	const struct cfe_ksigaction ign = {.handler = (uintptr_t)SIG_IGN};
	struct cfe_ksigaction old = {0};
	uint64_t mask = p->sigmask;

	for (int sig = 1; sig < 65; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sys_rt_sigaction(sig, &dfl, &old) == 0 && old.handler == (uintptr_t)SIG_IGN &&
		    sig != p->parent_death_signal)
			sys_rt_sigaction(sig, &ign, NULL);
	}
	if (p->parent_death_signal > 0)
		mask &= ~((uint64_t)1 << (p->parent_death_signal - 1));
	sys_rt_sigprocmask(SIG_SETMASK, &mask, NULL);
}

/* PR_SET_PDEATHSIG, then whether the starting thread still lives: if it
 * ended before the prctl, the kernel will never send the signal, so we
 * end as it would have had us end (a new pid namespace's init could not
 * signal itself), with a record first (ESRCH): a parent that returned
 * before our execve must not take this exit for a run of the program.  A
 * thread that ends after the prctl sends it: the kernel's reparenting and
 * the pidfd's readability change together under its tasklist lock. */
static CFE_CHILD_CODE void child_set_parent_death_signal(const struct cfe_child_plan *p)
{
	const struct timespec now = {0};
	struct pollfd parent = {.fd = p->parent_pidfd, .events = POLLIN};
	long r = sys_prctl(PR_SET_PDEATHSIG, (unsigned long)p->parent_death_signal);

	if (r < 0)
		fail(p, CFE_LOC_PARENT_DEATH_SIGNAL, 0, r);
	r = CFE_SYS(SYS_ppoll, &parent, 1, &now, NULL, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_PARENT_DEATH_SIGNAL, 0, r);
	if (r > 0) {
		record(p, CFE_LOC_PARENT_DEATH_SIGNAL, 0, -ESRCH);
		child_exit(128 + p->parent_death_signal);
	}
}

/* The parent writes our id maps (it has the capabilities we lack in its
 * namespace) and then sends its verdict. */
static CFE_CHILD_CODE void child_wait_id_maps(const struct cfe_child_plan *p)
{
	int32_t verdict = 0;
	long r = sys_read(p->sock, &verdict, sizeof(verdict));

	if (r >= 0 && r != (long)sizeof(verdict))
		r = -EINVAL;
	if (r >= 0 && verdict != 0)
		r = -verdict;
	if (r < 0)
		fail(p, CFE_LOC_UNSHARE_USER_READ, 0, r);
}

static CFE_CHILD_CODE void child_set_credential(const struct cfe_child_plan *p)
{
	long r;

	if (p->do_setgroups) {
		r = CFE_SYS(SYS_setgroups, p->groups_len, p->groups, 0, 0, 0, 0);
		if (r < 0)
			fail(p, CFE_LOC_SETGROUPS, 0, r);
	}
	r = CFE_SYS(SYS_setgid, p->gid, 0, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_SETGID, 0, r);
	r = CFE_SYS(SYS_setuid, p->uid, 0, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_SETUID, 0, r);
}

/* The parent parked everything this could overwrite (fds.c). */
static CFE_CHILD_CODE void child_setup_fds(const struct cfe_child_plan *p)
{
	for (size_t i = 0; i < p->fd_ops_len; i++) {
		const struct cfe_fd_op *op = &p->fd_ops[i];
		long r;

		if (op->kind == CFE_FD_CLOSE) {
			sys_close(op->to);
		} else if (op->kind == CFE_FD_CLEAR_CLOEXEC) {
			r = CFE_SYS(SYS_fcntl, op->to, F_SETFD, 0, 0, 0, 0);
			if (r < 0)
				fail(p, CFE_LOC_FCNTL, 0, r);
		} else {
			r = CFE_SYS(SYS_dup3, op->from, op->to, 0, 0, 0, 0);
			if (r < 0)
				fail(p, CFE_LOC_DUP3, 0, r);
		}
	}
}

/* mkdir each parent of target (and target itself, or with make_nod an
 * empty file in its place); existing ones are fine.  The plan's copy of
 * target fits in path; the bound holds whatever it holds. */
static CFE_CHILD_CODE long make_mount_point(const struct cfe_mount *m)
{
	char path[CFE_PATH_MAX];
	size_t len = 0;
	long r;

	while (len < CFE_PATH_MAX - 1 && m->target[len] != '\0') {
		path[len] = m->target[len];
		len++;
	}
	path[len] = '\0';
	for (size_t i = 1; i <= len; i++) {
		if (i < len && !(path[i] == '/' && path[i - 1] != '/'))
			continue;
		path[i] = '\0';
		if (i == len && m->make_nod)
			r = CFE_SYS(SYS_mknodat, AT_FDCWD, path, S_IFREG | 0755, 0, 0, 0);
		else
			r = CFE_SYS(SYS_mkdirat, AT_FDCWD, path, 0755, 0, 0, 0);
		if (r < 0 && r != -EEXIST)
			return r;
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

static CFE_CHILD_CODE long mount_one(const struct cfe_mount *m)
{
	struct statfs st = {0};
	unsigned long flags;
	long r = CFE_SYS(SYS_mount, m->source, m->target, m->fstype, m->flags, m->data, 0);

	if (r < 0 || (m->flags & (MS_BIND | MS_RDONLY)) != (MS_BIND | MS_RDONLY))
		return r;
	/* MS_RDONLY is ignored on a bind: remount, keeping what is locked. */
	r = CFE_SYS(SYS_statfs, m->target, &st, 0, 0, 0, 0);
	if (r < 0)
		return r;
	flags =
	    (unsigned long)m->flags | MS_REMOUNT | ((unsigned long)st.f_flags & MS_KEPT_ON_REMOUNT);
	return CFE_SYS(SYS_mount, "", m->target, m->fstype, flags, m->data, 0);
}

static CFE_CHILD_CODE void child_pivot_root(const struct cfe_child_plan *p)
{
	static const char old_root[] = "old_root";
	long r = CFE_SYS(SYS_mkdirat, AT_FDCWD, old_root, 0755, 0, 0, 0);

	if (r < 0)
		fail(p, CFE_LOC_PIVOT_ROOT, 0, r);
	r = CFE_SYS(SYS_pivot_root, p->pivot_root, old_root, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_PIVOT_ROOT, 0, r);
	r = CFE_SYS(SYS_umount2, old_root, MNT_DETACH, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_PIVOT_ROOT, 0, r);
	r = CFE_SYS(SYS_unlinkat, AT_FDCWD, old_root, AT_REMOVEDIR, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_PIVOT_ROOT, 0, r);
	r = CFE_SYS(SYS_mount, "tmpfs", "/", "tmpfs",
		    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOATIME | MS_NOSUID, "", 0);
	if (r < 0)
		fail(p, CFE_LOC_PIVOT_ROOT, 0, r);
}

/* Mount the tmpfs of the new root and go into it.  A lookup does not
 * enter a mount stacked on the process's root, so a pivot_root that is "/"
 * under another name (a link to it) would leave us in the old root, and
 * old_root would be made there, in the caller's file system: we must be
 * on another device than the directory was. */
static CFE_CHILD_CODE void child_enter_new_root(const struct cfe_child_plan *p)
{
	struct stat below = {0};
	struct stat here = {0};
	long r = CFE_SYS(SYS_newfstatat, AT_FDCWD, p->pivot_root, &below, 0, 0, 0);

	if (r < 0)
		fail(p, CFE_LOC_MOUNT_TMPFS, 0, r);
	r = CFE_SYS(SYS_mount, "tmpfs", p->pivot_root, "tmpfs", 0, "", 0);
	if (r < 0)
		fail(p, CFE_LOC_MOUNT_TMPFS, 0, r);
	r = CFE_SYS(SYS_chdir, p->pivot_root, 0, 0, 0, 0, 0);
	if (r >= 0)
		r = CFE_SYS(SYS_newfstatat, AT_FDCWD, ".", &here, 0, 0, 0);
	if (r >= 0 && here.st_dev == below.st_dev)
		r = -EINVAL;
	if (r < 0)
		fail(p, CFE_LOC_MOUNT_CHDIR, 0, r);
}

static CFE_CHILD_CODE void child_setup_mounts(const struct cfe_child_plan *p)
{
	long r;

	/* Nothing we mount may propagate back to the caller's namespace. */
	if (p->clone_flags & CLONE_NEWNS) {
		r = CFE_SYS(SYS_mount, "none", "/", NULL, MS_REC | MS_PRIVATE, NULL, 0);
		if (r < 0)
			fail(p, CFE_LOC_MOUNT_ROOT, 0, r);
	}
	if (p->pivot_root)
		child_enter_new_root(p);
	for (uint32_t i = 0; i < p->mounts_len; i++) {
		r = make_mount_point(&p->mounts[i]);
		if (r < 0)
			fail(p, CFE_LOC_MOUNT_MKDIR, (int32_t)i, r);
		r = mount_one(&p->mounts[i]);
		if (r < 0)
			fail(p, CFE_LOC_MOUNT, (int32_t)i, r);
	}
	if (p->pivot_root)
		child_pivot_root(p);
}

/* Empty every set, the bounding set too (while CAP_SETPCAP is still
 * ours): a program with file capabilities would get back those the
 * bounding set still holds, whatever the securebits say. */
static CFE_CHILD_CODE int no_new_privs(const struct cfe_child_plan *p)
{
	return flag(p, CFE_FLAG_NO_NEW_PRIVS) || p->seccomp.len > 0;
}

static CFE_CHILD_CODE void child_drop_caps(const struct cfe_child_plan *p)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
	const long last = p->cap_last >= 0 ? p->cap_last : 63;
	long r = sys_prctl(PR_SET_SECUREBITS, SECUREBITS_DROP);

	if (r < 0)
		fail(p, CFE_LOC_DROP_CAPABILITY, 0, r);
	/* DropCaps: no exec may grant anything back.  The bounding set only
	 * limits what an exec may grant, and with no_new_privs (set by now
	 * when asked for) it grants nothing; each drop costs a credential
	 * copy, about 2 us.  A Credential alone keeps the reference's full
	 * bounding set. */
	const int empty_bounding = flag(p, CFE_FLAG_DROP_CAPS) && !no_new_privs(p);

	for (long cap = 0; cap <= last && empty_bounding; cap++) {
		r = sys_prctl(PR_CAPBSET_DROP, (unsigned long)cap);
		if (r == -EINVAL && p->cap_last < 0)
			break;
		if (r < 0)
			fail(p, CFE_LOC_DROP_CAPABILITY, 0, r);
	}
	r = CFE_SYS(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_SET_CAP, 0, r);
	r = CFE_SYS(SYS_capset, &header, data, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_SET_CAP, 0, r);
}

static CFE_CHILD_CODE void child_load_seccomp(const struct cfe_child_plan *p)
{
	long r = CFE_SYS(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
			 &p->seccomp, 0, 0, 0);

	if (r < 0)
		fail(p, CFE_LOC_SECCOMP, 0, r);
}

static CFE_CHILD_CODE void child_report_ready(const struct cfe_child_plan *p)
{
	const char byte = 0;
	long r = sys_write(p->sock, &byte, 1);

	if (r < 0)
		fail(p, CFE_LOC_SYNC_WRITE, 0, r);
}

/* Tell the parent we are ready, wait for its go, then do what must follow
 * the handshake (the callback may have moved us into a cgroup). */
static CFE_CHILD_CODE void child_sync(const struct cfe_child_plan *p, int load_seccomp)
{
	char byte = 0;
	long r;

	if (p->has_sync) {
		child_report_ready(p);
		r = sys_read(p->sock, &byte, 1);
		if (r == 0)
			r = -EPIPE;
		if (r < 0)
			fail(p, CFE_LOC_SYNC_READ, 0, r);
	}
	if (!flag(p, CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC))
		return;
	/* Unlike the reference, which ignores it: a child asked to have a
	 * cgroup namespace of its own must not run without one. */
	r = CFE_SYS(SYS_unshare, CLONE_NEWCGROUP, 0, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_UNSHARE_CGROUP, 0, r);
	if (flag(p, CFE_FLAG_DROP_CAPS) || flag(p, CFE_FLAG_CREDENTIAL))
		child_drop_caps(p);
	if (load_seccomp && p->seccomp.len > 0)
		child_load_seccomp(p);
}

static CFE_CHILD_CODE void child_ptrace_me(const struct cfe_child_plan *p)
{
	long r = CFE_SYS(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0, 0);

	if (r < 0)
		fail(p, CFE_LOC_PTRACE_ME, 0, r);
}

/* As the init of a new pid namespace we would ignore our own SIGSTOP: the
 * parent sends it and then a byte, so the stop is pending before the byte
 * lets us go on. */
static CFE_CHILD_CODE void child_stop(const struct cfe_child_plan *p, long pid)
{
	char byte = 0;
	long r;

	if (p->parent_stops) {
		r = sys_read(p->sock, &byte, 1);
		if (r == 0)
			r = -EPIPE;
	} else {
		r = CFE_SYS(SYS_kill, pid, SIGSTOP, 0, 0, 0, 0);
	}
	if (r < 0)
		fail(p, CFE_LOC_STOP, 0, r);
}

static CFE_CHILD_CODE __attribute__((noreturn)) void child_exec(const struct cfe_child_plan *p)
{
	const struct timespec retry_interval = {.tv_sec = 0, .tv_nsec = 1000000};
	long r;

	/* ETXTBSY: another start may still hold a just-written executable
	 * open for writing until it execs; wait for it a little. */
	for (int attempt = 0;; attempt++) {
		if (p->exec_fd > 0)
			r = CFE_SYS(SYS_execveat, p->exec_fd, "", p->argv, p->envp, AT_EMPTY_PATH,
				    0);
		else
			r = CFE_SYS(SYS_execve, p->path, p->argv, p->envp, 0, 0, 0);
		if (r != -ETXTBSY || attempt == CFE_ETXTBSY_RETRIES)
			break;
		CFE_SYS(SYS_nanosleep, &retry_interval, NULL, 0, 0, 0, 0);
	}
	fail(p, CFE_LOC_EXECVE, 0, r);
}

CFE_CHILD_CODE int cfe_child_main(void *arg)
{
	const struct cfe_child_plan *p = arg;
	int ptrace_seccomp = flag(p, CFE_FLAG_PTRACE) && p->seccomp.len > 0;
	int credential = flag(p, CFE_FLAG_CREDENTIAL);
	long pid;
	long r;

	child_reset_signals(p);
	if (p->parent_death_signal != 0)
		child_set_parent_death_signal(p);
	if (p->parent_sock >= 0) {
		r = sys_close(p->parent_sock);
		if (r < 0)
			fail(p, CFE_LOC_CLOSE_WRITE, 0, r);
	}
	if (p->clone_flags & CLONE_NEWUSER)
		child_wait_id_maps(p);
	pid = sys_getpid();
	if (pid < 0)
		fail(p, CFE_LOC_GETPID, 0, pid);
	if (credential || flag(p, CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC)) {
		r = sys_prctl(PR_SET_SECUREBITS, SECUREBITS_KEEP);
		if (r < 0)
			fail(p, CFE_LOC_KEEP_CAPABILITY, 0, r);
	}
	if (credential) {
		child_set_credential(p);
		/* A change of uid or gid clears the parent-death signal. */
		if (p->parent_death_signal != 0)
			child_set_parent_death_signal(p);
	}
	child_setup_fds(p);
	if (flag(p, CFE_FLAG_CLOSE_OTHER_FDS)) {
		r = cfe_cloexec_from((uint32_t)p->fd_ops_len);
		if (r < 0)
			fail(p, CFE_LOC_FCNTL, 0, r);
	}
	r = CFE_SYS(SYS_setsid, 0, 0, 0, 0, 0, 0);
	if (r < 0)
		fail(p, CFE_LOC_SETSID, 0, r);
	if (flag(p, CFE_FLAG_CTTY)) {
		r = CFE_SYS(SYS_ioctl, 0, TIOCSCTTY, 1, 0, 0, 0);
		if (r < 0)
			fail(p, CFE_LOC_IOCTL, 0, r);
	}
	child_setup_mounts(p);
	/* Best effort, as the reference; only ever in our own UTS namespace
	 * (config.c refuses names without one). */
	if (p->hostname)
		CFE_SYS(SYS_sethostname, p->hostname, p->hostname_len, 0, 0, 0, 0);
	if (p->domainname)
		CFE_SYS(SYS_setdomainname, p->domainname, p->domainname_len, 0, 0, 0, 0);
	if (p->workdir) {
		r = CFE_SYS(SYS_chdir, p->workdir, 0, 0, 0, 0, 0);
		if (r < 0)
			fail(p, CFE_LOC_CHDIR, 0, r);
	}
	for (uint32_t i = 0; i < p->rlimits_len; i++) {
		const struct cfe_rlimit *rl = &p->rlimits[i];

		r = CFE_SYS(SYS_prlimit64, 0, rl->resource, &rl->cur, NULL, 0, 0);
		if (r < 0)
			fail(p, CFE_LOC_SETRLIMIT, (int32_t)i, r);
	}
	if (no_new_privs(p)) {
		r = CFE_SYS(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
		if (r < 0)
			fail(p, CFE_LOC_SET_NO_NEW_PRIVS, 0, r);
	}
	if ((credential || flag(p, CFE_FLAG_DROP_CAPS)) &&
	    !flag(p, CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC))
		child_drop_caps(p);
	/* With both, the filter may trace execve: the tracer must be attached
	 * (and the handshake done) before the filter is loaded. */
	if (ptrace_seccomp) {
		child_sync(p, 0);
		child_ptrace_me(p);
	}
	/* Stop before seccomp: kill may be filtered afterwards.  The parent
	 * returns our pid once we report that every step so far went well. */
	if (flag(p, CFE_FLAG_STOP_BEFORE_SECCOMP) || ptrace_seccomp) {
		child_report_ready(p);
		child_stop(p, pid);
	}
	if (p->seccomp.len > 0 &&
	    (!flag(p, CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC) || flag(p, CFE_FLAG_PTRACE)))
		child_load_seccomp(p);
	if (!ptrace_seccomp)
		child_sync(p, 1);
	if (flag(p, CFE_FLAG_PTRACE) && p->seccomp.len == 0)
		child_ptrace_me(p);
	child_exec(p);
}
