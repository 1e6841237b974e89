// Command cfe-run runs one program as a programming judge would and
// prints one JSON line with the result:
//
//	cfe-run [flags] -- PROGRAM [ARGS...]
//
// The program starts through go/forkexec (the C library) in new user, pid,
// mount, UTS, IPC, network and cgroup namespaces, as an unprivileged host
// uid, without capabilities, with no_new_privs and the judge's seccomp
// policy (policy.go), in a read-only root made with the reference's
// mount.Builder, under CPU, wall-clock, memory, output, process and
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
// # Known limits
//
// The judge policy allows execve (the filter is loaded before the
// program's own), so the program may exec other programs of the read-only
// root.  /w is a directory on the host's disk: --output bounds each file
// the program writes, not their number.  RLIMIT_CPU is per process and in
// whole seconds; a program that forks (--seccomp=off) is bounded in total
// by the wall-clock limit, or under cgroup v2 measured over the cgroup.
//
// Files: flags.go and units.go read the command line, sandbox.go lays out
// the run's directory, mounts and rlimits, cgroup.go finds and manages
// the run's cgroup, policy.go is the syscall policy, run.go starts, times
// and reaps the program, status.go derives the status, result.go is the
// JSON.
package main
