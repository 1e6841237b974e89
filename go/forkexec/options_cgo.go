//go:build linux && cgo && (amd64 || arm64)

package forkexec

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"

	"github.com/cforkexec/cforkexec/bindings"
)

// StartWith starts the process r describes, as Start does, with the
// options o, and returns its pid and, when asked, its pidfd.  It returns
// the same errors as Start, one wrapping syscall.EINVAL that names the
// option for a bad one (a ParentDeathSignal outside 1..64, or with
// Ptrace), and, for a failure of the parent-death signal itself, an error
// that names ParentDeathSignal and wraps the ChildError (location 36,
// whose String() is "unknown" as the reference says of numbers it does
// not know) and its errno, for errors.As and errors.Is.  On failure the
// child has been killed and reaped and no fd is left open.
func StartWith(r *Runner, o Options) (Child, error) {
	if o.ParentDeathSignal != 0 && r.Ptrace {
		return Child{PidFD: -1}, fmt.Errorf("forkexec: ParentDeathSignal with Ptrace: "+
			"the tracer would be the thread that starts such children, not the caller's: %w", syscall.EINVAL)
	}
	if o.ParentDeathSignal != 0 {
		return startOnKeeper(r, o)
	}
	return startWith(r, o)
}

func startWith(r *Runner, o Options) (Child, error) {
	pid, pidfd, failure, err := bindings.StartOptions((*bindings.Params)(r), bindings.Options(o))
	if err = startError(failure, err); err != nil {
		if ce, ok := err.(ChildError); ok && ce.Location == locParentDeathSignal {
			err = optionError{option: "ParentDeathSignal", err: ce}
		}
		return Child{PidFD: -1}, err
	}
	return Child{Pid: pid, PidFD: pidfd}, nil
}

// locParentDeathSignal is the C library's location of a failure of the
// parent-death signal: the pidfd of the starting thread refused (a
// container's seccomp profile), the child's prctl, or a starting thread
// found gone.
const locParentDeathSignal ErrorLocation = 36

// optionError is a ChildError of a step that only an option adds, named
// after the option.
type optionError struct {
	option string
	err    ChildError
}

func (e optionError) Error() string {
	return "forkexec: " + e.option + ": " + e.err.Err.Error()
}

// Unwrap gives errors.As the ChildError and errors.Is its errno.
func (e optionError) Unwrap() []error {
	return []error{e.err, e.err.Err}
}

// keepers are the goroutines that make the starts with a parent-death
// signal, each locked to its OS thread for the life of the process so
// that the thread, its children's parent for the kernel, never exits.  A
// start takes an idle one, or makes one when all are busy (their
// SyncFuncs still running, say), and gives it back when done: there are
// as many as the most such starts that ever ran at once.
var keepers struct {
	mu   sync.Mutex
	idle []chan func()
}

// newKeeper starts a keeper goroutine and returns the channel it takes
// its jobs from.
func newKeeper() chan func() {
	jobs := make(chan func())
	go func() {
		runtime.LockOSThread() // never unlocked: the thread must not end
		for job := range jobs {
			job()
		}
	}()
	return jobs
}

// onKeeper runs job on an idle keeper's thread and waits for it; job must
// return normally.
func onKeeper(job func()) {
	keepers.mu.Lock()
	var jobs chan func()
	if n := len(keepers.idle); n > 0 {
		jobs = keepers.idle[n-1]
		keepers.idle = keepers.idle[:n-1]
	}
	keepers.mu.Unlock()
	if jobs == nil {
		jobs = newKeeper()
	}
	done := make(chan struct{})
	jobs <- func() {
		defer close(done)
		job()
	}
	<-done
	keepers.mu.Lock()
	keepers.idle = append(keepers.idle, jobs)
	keepers.mu.Unlock()
}

func startOnKeeper(r *Runner, o Options) (Child, error) {
	on := *r
	var call *syncCall
	if r.SyncFunc != nil {
		call = &syncCall{fn: r.SyncFunc}
		on.SyncFunc = call.run
	}
	var (
		child      Child
		err        error
		returned   bool
		panicValue any
	)
	onKeeper(func() {
		defer func() {
			if !returned {
				panicValue = recover()
			}
		}()
		child, err = startWith(&on, o)
		returned = true
	})
	switch {
	case !returned:
		panic(panicValue)
	case call != nil && call.panicked:
		panic(call.panicValue)
	case call != nil && call.exited:
		runtime.Goexit()
	}
	return child, err
}

// syncCall runs a SyncFunc on a goroutine of its own, so that its panic or
// runtime.Goexit ends that goroutine rather than the keeper's, and is
// passed on to the caller of StartWith once the child is gone.
type syncCall struct {
	fn         func(int) error
	panicked   bool
	panicValue any
	exited     bool
}

// errSyncAborted tells the library that SyncFunc panicked or exited its
// goroutine; the caller never sees it.
var errSyncAborted = fmt.Errorf("forkexec: SyncFunc did not return")

func (c *syncCall) run(pid int) error {
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		returned := false
		defer func() {
			if !returned {
				// A panic's value is never nil (since Go 1.21): nil
				// is runtime.Goexit.
				c.panicValue = recover()
				c.panicked = c.panicValue != nil
				c.exited = c.panicValue == nil
			}
		}()
		err = c.fn(pid)
		returned = true
	}()
	<-done
	if c.panicked || c.exited {
		return errSyncAborted
	}
	return err
}
