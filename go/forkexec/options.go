package forkexec

import (
	"errors"
	"os"
	"syscall"
)

// Options are start options the reference's Runner lacks.  They go to
// StartWith next to a Runner, whose fields stay exactly the reference's.
// The zero value asks for none, and StartWith then behaves as Start.
type Options struct {
	// PidFD asks for a pidfd of the child (Child.PidFD): a handle that,
	// unlike the pid, can never come to name another process once the
	// child has been reaped (signal it with unix.PidfdSendSignal, wait for
	// it with unix.Waitid(unix.P_PIDFD, ...) or poll it).  Linux 5.3.
	PidFD bool

	// ParentDeathSignal, when not 0, is sent to the child when its
	// parent dies (PR_SET_PDEATHSIG, 1..64).  The kernel sends it when
	// the OS *thread* that started the child exits, and Go's threads come
	// and go (a goroutine that exits while locked to its thread takes the
	// thread with it), so StartWith makes every start that asks for it on
	// a keeper: a goroutine locked to an OS thread of its own for the
	// life of the process, so that the signal comes when the process
	// ends, never when some thread does.  A start takes an idle keeper,
	// or makes a new one when all are busy; keepers never end, so a
	// process has as many keeper threads as the most such starts that
	// ever ran at once (SyncFuncs included).
	//
	// The clone therefore runs on the keeper's thread, NOT the caller's,
	// and the child inherits that thread's per-thread state, not the
	// caller's: a caller that locked its goroutine and changed its
	// thread's namespaces (unshare or setns of the network, UTS, IPC or
	// mount namespace), credentials (a raw setuid on one thread), seccomp
	// filter, signal mask, scheduling or CPU affinity gets a child with
	// the process's ordinary state (its host network namespace, say)
	// when it asks for ParentDeathSignal, and one with its thread's
	// state without (TestParentDeathSignalThreadState).  Give such state
	// to the child with Runner's own fields (CloneFlags, Credential,
	// Seccomp, SyncFunc) instead.
	//
	// SyncFunc then runs on another goroutine, whose panic or
	// runtime.Goexit StartWith passes on to its caller as Start would (the
	// child killed and reaped first); it may itself call StartWith, with
	// the option too (another keeper makes that start).  With Ptrace it is
	// refused: the tracer would be the keeper's thread.
	//
	// The child gives the signal its default action and unblocks it
	// before the program runs, so a caller that ignores it (a nohup'd
	// SIGHUP) or blocks it still has it delivered; every other signal's
	// disposition and mask are as with Start.  A failure of the option
	// itself (pidfd_open of the keeper's thread refused, as by a
	// container's seccomp profile; the child's prctl) is an error naming
	// ParentDeathSignal that wraps a ChildError at location 36 and its
	// errno.  The init of a new pid namespace (CLONE_NEWPID) ignores
	// every signal it has no handler for but SIGKILL.  The kernel clears
	// the signal when the program is set-user-ID, set-group-ID or has
	// file capabilities.
	ParentDeathSignal syscall.Signal

	// CloseOtherFds keeps every fd but those of Files from the program,
	// inheritable or not: the child marks every fd from len(Files) up
	// close-on-exec right after placing Files (close_range, Linux 5.11;
	// where that is refused, each fd /proc/self/fd lists; only without a
	// procfs at /proc, one fcntl per fd below its soft RLIMIT_NOFILE,
	// which misses any fd above it).  An
	// ExecFile that is not in Files can then run an ELF program but not a
	// script.
	CloseOtherFds bool
}

// Child is a process StartWith started.
type Child struct {
	// Pid is the child's pid.
	Pid int
	// PidFD is a close-on-exec pidfd of the child when Options.PidFD
	// asked for one, else -1.  It is the caller's: Close closes it.
	PidFD int
}

// ErrOptionUnsupported is returned by StartWith for an option this build
// cannot honour (where the C core does not run), before any child exists.
var ErrOptionUnsupported = errors.New("forkexec: option not supported by this build")

// Process returns an *os.Process for the child, for Signal and Wait.  Call
// it before the child is reaped: on Linux, Go (1.23 and later) opens a
// pidfd of the pid for it, and while the child is an unreaped child of
// this process its pid cannot be reused, so the Process names the child
// for good, as Child.PidFD does.  Once the child has been waited for (by
// Wait, wait4 or a waitid on PidFD) the pid may be another process's.
func (c *Child) Process() (*os.Process, error) {
	return os.FindProcess(c.Pid)
}

// Close closes PidFD, if any, and sets it to -1.
func (c *Child) Close() error {
	if c.PidFD < 0 {
		return nil
	}
	fd := c.PidFD
	c.PidFD = -1
	return syscall.Close(fd)
}
