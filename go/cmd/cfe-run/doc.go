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
// Files: flags.go and units.go read the command line, sandbox.go lays out
// the run's directory, mounts and rlimits, cgroup.go finds and manages
// the run's cgroup, policy.go is the syscall policy, run.go starts, times
// and reaps the program, status.go derives the status, result.go is the
// JSON.
package main
