//go:build linux && cgo && (amd64 || arm64)

package forkexec

import (
	"syscall"

	"github.com/cforkexec/cforkexec/bindings"
	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// UnshareFlags are the namespace flags CloneFlags may carry; other bits are
// ignored.
const UnshareFlags = syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS |
	syscall.CLONE_NEWPID | syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS | syscall.CLONE_NEWCGROUP

// Runner describes how to start one process.  Fields, order and types are
// those of the reference package's Runner.
type Runner struct {
	// Args and Env are execve's argv and envp; Args[0] is the program
	// (not searched in PATH) unless ExecFile is set.
	Args []string
	Env  []string

	// ExecFile, when > 0, is an open fd of the program, run with
	// execveat(ExecFile, "", AT_EMPTY_PATH).
	ExecFile uintptr

	// RLimits are set in the child with prlimit64, in order.
	RLimits []rlimit.RLimit

	// Files[i] becomes fd i of the child; ^uintptr(0) closes fd i.
	Files []uintptr

	// WorkDir is the child's working directory, entered after PivotRoot.
	WorkDir string

	// Seccomp is a filter loaded with SECCOMP_FILTER_FLAG_TSYNC; it implies
	// NoNewPrivs.
	Seccomp *syscall.SockFprog

	// CloneFlags are the namespaces to create (masked with UnshareFlags).
	CloneFlags uintptr

	// Mounts are made in order in the new mount namespace (CLONE_NEWNS
	// needed); with PivotRoot, relative targets are inside the new root.
	//
	// Before each mount the child creates the directories leading to
	// Target and Target itself (an empty file instead, with MakeNod),
	// existing ones being fine.  It derives them from Target and does not
	// read Prefixes: the reference creates exactly the Prefixes that its
	// mount.Mount.ToSyscall (and so mount.Builder.Build) computes from
	// Target, every prefix that ends before a '/' past the first byte,
	// then Target, and those are the very paths derived here (a doubled
	// or trailing '/' only repeats a path that then exists).  Hand-made
	// Prefixes that differ from Target's are not honoured.
	Mounts []mount.SyscallParams

	// PivotRoot, when set, becomes the child's root: a tmpfs is mounted
	// on it, Mounts are made inside, then pivot_root and a read-only,
	// nosuid, noatime remount of the new root.
	PivotRoot string

	// HostName and DomainName are set when given, best effort (they need
	// CLONE_NEWUTS).
	HostName, DomainName string

	// UIDMappings and GIDMappings are written by the parent for a new user
	// namespace; nil maps 0 to the caller's effective id.
	UIDMappings []syscall.SysProcIDMap
	GIDMappings []syscall.SysProcIDMap

	// CgroupFd, when > 0, is a cgroup v2 directory the child starts in
	// (clone3 with CLONE_INTO_CGROUP, Linux 5.7+).
	CgroupFd uintptr

	// Credential sets the child's uid, gid and groups.
	Credential *syscall.Credential

	// SyncFunc is called with the child's pid once the child is set up and
	// waiting just before its execve (e.g. to put it in a cgroup).  With
	// Seccomp and neither Ptrace nor UnshareCgroupAfterSync the filter is
	// loaded by then: it must allow the child's one-byte write and read.
	// An error kills and reaps the child, and Start returns that very
	// error.  runtime.Goexit in it ends the calling goroutine, as with
	// the reference, after the child has been killed and reaped.
	SyncFunc func(int) error

	// Ptrace makes the child call PTRACE_TRACEME.  The caller must lock its
	// OS thread (runtime.LockOSThread) before Start and trace on it.
	Ptrace bool

	// NoNewPrivs sets PR_SET_NO_NEW_PRIVS (implied by Seccomp).
	NoNewPrivs bool

	// StopBeforeSeccomp makes the child stop itself with SIGSTOP before it
	// loads the filter (implied by Ptrace with Seccomp).
	StopBeforeSeccomp bool

	// GIDMappingsEnableSetgroups leaves setgroups allowed in the new user
	// namespace when GIDMappings are given.
	GIDMappingsEnableSetgroups bool

	// DropCaps drops every capability before execve.
	DropCaps bool

	// UnshareCgroupAfterSync unshares the cgroup namespace after SyncFunc
	// (which may have moved the child into its cgroup).
	UnshareCgroupAfterSync bool

	// CTTY makes fd 0 the child's controlling terminal.
	CTTY bool
}

// Start starts the process and returns its pid.  On failure it returns a
// ChildError value naming the failed step (also for a configuration whose
// step fails as surely as the reference's child would), the very error
// SyncFunc returned, the bare syscall.EINVAL for a NUL byte in a string (as
// the reference), or an error naming a field that the reference would
// panic, hang or change the caller's machine with; in every case the child
// has been killed and reaped.
//
// Start locks the goroutine to its OS thread for the whole start.  With
// Ptrace, the caller must already have locked it (the tracer is the thread
// that calls Start) and must make its ptrace calls from that thread.
func (r *Runner) Start() (int, error) {
	pid, failure, err := bindings.Start((*bindings.Params)(r))
	if err = startError(failure, err); err != nil {
		return 0, err
	}
	return pid, nil
}

// startError is what Start returns for the outcome of a start: nil, the
// ChildError of a step, or err.
func startError(failure bindings.Failure, err error) error {
	if step, ok := err.(bindings.StepFailure); ok {
		failure, err = step.Failure, nil
	}
	if err != nil {
		return err
	}
	if failure != (bindings.Failure{}) {
		return ChildError{Err: failure.Errno, Location: ErrorLocation(failure.Location), Index: failure.Index}
	}
	return nil
}
