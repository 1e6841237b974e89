// Package forkexec starts a sandboxed process: new namespaces, user-id maps
// written by the parent, a SyncFunc handshake just before execve, mounts and
// pivot_root, rlimits, credentials, capability drop, no_new_privs, a seccomp
// filter and ptrace.  It is a drop-in replacement for the package of the
// same name in github.com/criyle/go-sandbox (v0.13.4): the same Runner
// fields, the same Start() (int, error), the same ChildError values.
//
// # Switching
//
// Change one import line:
//
//	import "github.com/criyle/go-sandbox/pkg/forkexec"
//
// becomes
//
//	import "github.com/cforkexec/cforkexec/go/forkexec"
//
// # Where the C core runs
//
// On Linux on amd64 and arm64, built with cgo (the default where a C
// compiler is installed), Start runs the C library.  Everywhere else the
// reference builds — CGO_ENABLED=0, the other Linux architectures, darwin —
// Runner, ChildError, ErrorLocation, the Loc constants and UnshareFlags are
// the reference package's own (type aliases), so the program builds and
// behaves exactly as with the reference.
//
// # What is different
//
// TestParitySideBySide starts every configuration of this package's tests,
// and go-sandbox's ptrace runner, unshare runner and container init shapes,
// through the reference and through this package in one process, and
// compares what Start returns, the child's whole report of its state, what
// SyncFunc and a tracer see, and the wait status.  They are the same except
// in the rows named below (TestParitySideBySide/<row>), each of which pins
// what this package does.  Where the reference takes a configuration and its child
// fails at a step, Start returns the same ChildError, also where this
// package knows the failure before any child exists (then the steps before
// it are not run, so a failure they would have had first is not seen); a
// NUL byte in a string is the bare syscall.EINVAL, as in the reference.
//
// What is better:
//
//   - The child is created with CLONE_VM by a C library (libcforkexec), so a
//     start costs the same whatever the size of the caller's heap; the
//     reference forks a full copy of the Go process whenever a handshake is
//     needed (user namespace, SyncFunc, ptrace stop).  (The child's Maxrss
//     shows it: see below.)
//
//   - Start locks the goroutine to its OS thread for the whole start itself.
//
//   - Refused up front with an error that wraps EINVAL and names the field,
//     instead of misbehaving: an empty Args (the reference panics:
//     checks/no-Args); Mounts or PivotRoot without CLONE_NEWNS (the
//     reference mounts in, and pivots, the caller's own mount namespace:
//     checks/Mounts-without-CLONE_NEWNS, checks/PivotRoot-without-CLONE_NEWNS);
//     a relative PivotRoot (the reference resolves it twice, from the
//     caller's directory and then from inside the new root, so it gets
//     through only with a path that names the same directory from both, as
//     ../../tmp/root does, and with "." it makes old_root in the caller's
//     directory: checks/relative-PivotRoot, checks/PivotRoot-dot);
//     StopBeforeSeccomp with a SyncFunc but without Ptrace and Seccomp (the
//     child stops before the handshake and the reference's Start waits for
//     it forever: checks/StopBeforeSeccomp-with-SyncFunc); more than 1<<20
//     Files where RLIMIT_NOFILE allows more (fs.nr_open raised; below it,
//     it is the reference's dup3 EBADF: checks/Files-more-than-1<<20).
//
//   - A panic in SyncFunc kills and reaps the child, then re-panics from
//     Start with the same value; the reference leaves its child blocked
//     before execve (sync/panics).  So does runtime.Goexit in SyncFunc,
//     which ends the goroutine in both (sync/Goexit).
//
//   - The caller's dumpable flag, which the child's setuid clears in the
//     memory it shares with the caller, is restored; the reference's
//     vfork child leaves the caller not dumpable for good
//     (fields/Credential-caller-dumpable).  A plain prctl that clears the
//     flag during such a start may be undone by that restore where
//     fs.suid_dumpable is 0 (it cannot be told from the child's change);
//     SetDumpable, which the reference lacks, is honoured exactly
//     (TestSetDumpableDuringCredentialStart).
//
//   - Files moved out of the way never overwrite an fd the child inherits;
//     the reference's child moves its socket onto the first fd above every
//     Files entry, closing whatever was there (fields/inherited-fd-above-Files).
//
//   - A step that fails before the child stops itself (StopBeforeSeccomp,
//     or Ptrace with Seccomp) is Start's ChildError; the reference returns
//     the pid of a child that exits with the errno as its status
//     (handshake/stop-after-a-failed-step,
//     handshake/ptrace-stop-after-a-failed-step).
//
//   - A start without a handshake makes no fd; the reference's always makes
//     a socket pair and fails with EMFILE where no fd is free
//     (checks/no-free-fd).
//
//   - Hardened where the reference would let a start weaken the sandbox or
//     the caller: HostName or DomainName without CLONE_NEWUTS (the reference
//     renames the caller's host) and a PivotRoot naming "/" (the
//     reference's pivot_root fails and leaves old_root in the caller's
//     root) are refused up front with an error naming the field; a failed
//     unshare of the cgroup namespace after SyncFunc
//     (UnshareCgroupAfterSync) is a ChildError at location 35, where the
//     reference ignores it and runs the program in the caller's cgroup
//     namespace (ErrorLocation(35).String() is "unknown", as the
//     reference's String() says of numbers it does not know); a Files entry
//     or ExecFile that is not open when Start is called is EBADF at dup3
//     (or execve), even where its number would have become the start's own
//     socket, which the reference hands to the program; StopBeforeSeccomp
//     with CLONE_NEWPID really stops the child, which as its pid
//     namespace's init ignores its own SIGSTOP in the reference.
//
//   - DropCaps also empties the bounding and ambient capability sets when
//     no_new_privs is off, so that no exec of a setuid-root or
//     file-capability program gets a capability back; the reference
//     leaves the bounding set full (every fields/ and handshake/ row with
//     DropCaps; TestParitySideBySide logs it).  With no_new_privs
//     (NoNewPrivs, or a Seccomp filter) the kernel grants nothing at exec
//     and the bounding set is left as it is.  A Credential without
//     DropCaps drops capabilities as the reference does.
//
//   - A seccomp filter that refuses exit and exit_group cannot make Start
//     hang: the failed child ends with a fault.
//
// syscall.ForkLock is held for writing around the clone only, as in the
// reference (with CLONE_VFORK, until the child's execve).
//
// # Memory of the child (Maxrss)
//
// The rusage Maxrss that wait4 gives for a child is the largest resident
// set of any memory the child ran in.  A CLONE_VM child runs in the
// caller's memory until its execve, and the kernel's exec (exec_mmap)
// folds the peak of the memory it leaves, the caller's VmHWM, into the
// child's Maxrss.  This package's child is a CLONE_VM child in every mode;
// the reference's is one only where it uses vfork (no handshake), and
// elsewhere a forked copy of the caller that holds the caller's anonymous
// pages (its RssAnon).  Measured by TestChildMaxrss (probe --exit 0; the
// caller holding a touched []byte of the heap size, its VmHWM reset to its
// resident set just before; "freed": 1 GiB touched, then given back to the
// kernel, so only the caller's peak remains; Linux 6.18, 2 CPUs), Maxrss in
// MiB, reference / this package:
//
//	caller heap    VmHWM  RssAnon  simple       SyncFunc     user ns +    credential   ptrace +
//	                                                         SyncFunc                  seccomp
//	0                  7        1     7 /    7     2 /    7     2 /    7     7 /    7     2 /    7
//	256 MiB          263      258   263 /  263   259 /  263   259 /  263   263 /  263   259 /  263
//	1 GiB           1032     1027  1032 / 1032  1028 / 1032  1028 / 1032  1032 / 1032  1028 / 1032
//	1 GiB, freed    1032        3  1032 / 1032     4 / 1032     4 / 1032  1032 / 1032     4 / 1032
//
// So wait4's Maxrss is at least the caller's peak resident set with this
// package, whatever the mode, where the reference's is its current
// anonymous memory in the handshake modes.  go-sandbox's ptrace and
// unshare runners compare that Maxrss with the memory limit: in a caller
// whose peak exceeds the limit, every run would be over it.  (Writing "5"
// to /proc/self/clear_refs resets the caller's VmHWM to its current
// resident set.)  A judge measures the child's own memory exactly, as
// TestChildMemoryMeasuredExactly checks for both packages, with:
//   - the memory peak of a cgroup the child enters before its execve:
//     memory.peak under cgroup v2 (memory.max_usage_in_bytes under v1, what
//     the test machine has); the child gets there through SyncFunc (writing
//     its pid to cgroup.procs, as the unshare runner and container init
//     shapes can) or through CgroupFd (v2, in every mode; not checked on
//     the test machine, whose memory controller is on v1).  The caller's
//     memory, which the child shares until its execve, stays charged to the
//     caller's cgroup.
//   - VmHWM of /proc/PID/status at the tracee's exit stop
//     (PTRACE_O_TRACEEXIT, which go-sandbox's ptracer does not set): the
//     peak of the memory the program itself ran in, for a judge that
//     traces (Ptrace, with or without Seccomp), per traced process.
//
// While a child with a Credential runs in the caller's memory (until its
// execve), the caller is not dumpable (the kernel's doing, for the shared
// memory descriptor); the flag is restored once the last such child has
// exec'd or died.
//
// # Ptrace
//
// The tracer of a Ptrace child is the OS thread that called Start.  As with
// the reference, the caller must call runtime.LockOSThread before Start and
// make every ptrace call on that same thread.
//
// # Beyond the reference
//
// StartWith(r, Options{...}) starts r with options the reference lacks,
// Runner's fields staying exactly the reference's: a pidfd of the child
// (PidFD), a parent-death signal (ParentDeathSignal, safe against Go's
// threads coming and going: such starts run on keeper threads locked for
// the life of the process, as many as the most such starts ever at once)
// and no fd but Files reaching the program (CloseOtherFds).
//
// Beware: with ParentDeathSignal the child is cloned from a keeper's
// thread, not the caller's, and inherits none of the per-thread state the
// caller's locked thread may have (a network namespace it unshared, a
// seccomp filter, a signal mask): it gets the process's ordinary state.
// See Options.ParentDeathSignal.  It returns a Child, whose Process method gives an
// *os.Process.  Where the C core does not run, PidFD works through the
// reference and the other two are refused with ErrOptionUnsupported.
package forkexec
