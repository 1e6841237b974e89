// Command cfe-run runs one program as a programming judge would and
// prints one JSON line with the result:
//
//	cfe-run [flags] -- PROGRAM [ARGS...]
//
// The program starts through go/forkexec (the C library) in new user, pid,
// mount, UTS, IPC, network and cgroup namespaces, as an unprivileged host
// uid, without capabilities, with no_new_privs and the judge's seccomp
// policy (policy.go), in a read-only root of the reference's
// mount.SyscallParams (read-only, nosuid, nodev binds; tmpfs /w and /tmp), under CPU, wall-clock, memory, output, process and
// open-file limits: cgroup v2 memory.max and pids.max in a per-run cgroup
// it is cloned into where this process's cgroup v2 cgroup can delegate the
// memory and pids controllers, rlimits otherwise.  helpText (help.go,
// printed by --help) is the operator's manual: flags, units, defaults,
// what the program sees, the JSON keys, how each status is derived and
// the exit status.
//
// # Peak memory
//
// With a cgroup, memory_bytes is the cgroup's memory.peak: the program's
// own memory and nothing else.  Without one it is wait4's rusage Maxrss,
// and the library's child is a CLONE_VM child that runs in cfe-run's
// memory until its execve, whose peak resident set the kernel folds into
// the child's Maxrss (go/forkexec's doc.go, "Memory of the child").  So
// cfe-run resets its own peak to its current resident set just before the
// start (clear_refs) and reports that as starter_rss_bytes: a Maxrss near
// it means the program's own peak was at most that (about 5 MiB here),
// above it the figure is the program's.  Better measures exist and were
// left out: a cgroup v1 memory cgroup joined through SyncFunc
// (memory.max_usage_in_bytes; where the controllers are on v1, as on this
// project's machines: a third way beside v2 and rlimits), or VmHWM at a
// ptrace exit stop (the run traced).
//
// Under rlimits the memory status follows a rule (memory.go, and --help):
// the peak counts as the program's only above starter_rss_bytes plus
// 1 MiB (below, it may be cfe-run's, and subtracting the floor would be
// wrong above it: there the peak is the program's alone); a failed run is
// memory_limit when that peak is within max(M/8, 4 MiB) of --memory M.  A
// program whose ELF static size (PT_LOAD memsz, plus 1 MiB of stack and
// start-up) is over M is memory_limit without being started, since its
// execve would fail past the point of no return (SIGSEGV).  A single
// allocation larger than what is left fails without raising the peak and
// stays a runtime_error; cgroup v2 (--cgroup) has no such blind spot.
//
// # The run's life
//
// SIGINT, SIGTERM and SIGHUP are caught from the first line of run(), so
// a run stopped during setup is cleaned up too.  The program starts with
// forkexec.StartWith: a parent-death SIGKILL (the only signal the init of
// a pid namespace cannot ignore) ends it, and with it the whole run, when
// cfe-run dies of anything, and CloseOtherFds gives it no fd but its
// stdio.  A cfe-run killed by SIGKILL cannot remove its host directory
// (root/, the pivot root's mount point, and prog/, the staged files);
// each such directory is flock'ed by its cfe-run, and the next cfe-run
// with the same $TMPDIR removes those no process holds.
//
// # Known limits
//
// The judge policy allows execve (the filter is loaded before the
// program's own), so the program may exec other programs of the read-only
// root.  /w and /tmp are tmpfs (memory, --work-size and the output size
// each, 4096 inodes), counted by a cgroup's memory.max but not by
// RLIMIT_AS.  RLIMIT_CPU is per process and in whole seconds; a program
// that forks (--seccomp=fork) is bounded in total by the wall-clock limit,
// or under cgroup v2 measured over the cgroup.  The program is pid 1 of
// its pid namespace: raise() of a signal without a handler does nothing,
// and abort() or a failed assert() shows up as SIGSEGV (x86-64 glibc's
// abort ends with a faulting instruction once SIGABRT was dropped).
// Making it a child of an init of cfe-run's would fix that, at the cost
// of a second program in the sandbox; not done.  Standard output and
// error must be regular files or /dev/null (RLIMIT_FSIZE bounds only
// regular files; a pipe would need cfe-run to copy and count), and a
// terminal is refused as standard input.  The cgroup v2 path needs a
// delegated cgroup (--cgroup): auto-detection finds one only where
// cfe-run's own cgroup may give its children the controllers, which a
// non-root cgroup holding processes (cfe-run's, under systemd or in a
// container) cannot (EBUSY).  Builds without cgo run without the
// parent-death signal.
//
// Files: flags.go and units.go read the command line, sandbox.go lays out
// the run's directory, mounts and rlimits, stdio.go opens and checks the
// standard files, cgroup.go finds and manages the run's cgroup, policy.go
// is the syscall policy, run.go starts, times and reaps the program,
// memory.go and status.go derive the status, result.go is the JSON.
package main
