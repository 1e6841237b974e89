//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include <stdlib.h>
#include "cforkexec.h"

extern int32_t cfeGoSync(void *context, int32_t pid);
extern void cfeGoCloneHook(void *context);
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"syscall"
	"unsafe"
)

// syncState carries one start's SyncFunc into the trampoline and its
// outcome back out.
type syncState struct {
	fn         func(int) error
	pid        int
	err        error
	panicked   bool
	panicValue any
}

// Start starts the process p describes and returns its pid.  A step of the
// child that failed comes back as a non-zero Failure (with err nil); the
// error SyncFunc returned comes back unchanged as err; a configuration the
// library refuses is a descriptive err wrapping the errno.  In every failure
// the child has been killed and reaped.
//
// A panic in SyncFunc is recovered on the C boundary (it cannot unwind
// through C), the child is killed and reaped, and the same value is
// re-panicked from Start.  runtime.Goexit in SyncFunc (t.Fatal, say) ends
// the goroutine, as with the reference; the C library's frames are skipped,
// so the trampoline has the library kill and reap the child and release
// what the start held before they are.
//
// Start locks the calling goroutine to its OS thread for the whole start:
// the clone, the id maps, SyncFunc and the ack all run on that thread, which
// is the tracer of a Ptrace child.  syscall.ForkLock is held for writing
// around the clone only: the library's clone hook releases it.
func Start(p *Params) (int, Failure, error) {
	pid, _, f, err := start(p, nil)
	return pid, f, err
}

// StartOptions is Start with the options o; it also returns the child's
// pidfd, which the caller owns, when o.PidFD (else, and on every failure,
// -1).  A bad option is refused with a descriptive error wrapping EINVAL.
// o.ParentDeathSignal is tied to the OS thread that calls it: the caller
// must make sure that thread lives as long as the child should.
func StartOptions(p *Params, o Options) (pid, pidfd int, f Failure, err error) {
	return start(p, &o)
}

func start(p *Params, o *Options) (int, int, Failure, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	var b block
	if err := b.marshal(p, o); err != nil {
		return 0, -1, Failure{}, err
	}
	defer C.free(b.base)

	var st *syncState
	if p.SyncFunc != nil {
		st = &syncState{fn: p.SyncFunc}
		h := cgo.NewHandle(st)
		defer h.Delete()
		*b.handle = C.uintptr_t(h)
		b.config.sync_fn = C.cfe_sync_fn(C.cfeGoSync)
		b.config.sync_context = unsafe.Pointer(b.handle)
	}

	// Go's own forks must not run while the child's fd table is copied:
	// an fd another goroutine is creating may not be close-on-exec yet.
	syscall.ForkLock.Lock()
	*b.forkLocked = 1
	b.config.clone_hook = C.cfe_clone_hook(C.cfeGoCloneHook)
	b.config.clone_hook_context = unsafe.Pointer(b.forkLocked)
	pid := C.cfe_start(b.config, b.err, b.pending)
	if *b.forkLocked != 0 { // refused before any clone: the hook did not run
		*b.forkLocked = 0
		syscall.ForkLock.Unlock()
	}
	if pending := *b.pending; pending != nil {
		// The child stops itself before execve and still runs on the
		// library's stack; release it once it has exec'd or died.
		go func() { C.cfe_pending_finish(pending, nil) }()
	}
	if pid > 0 {
		return int(pid), int(*b.pidfd), Failure{}, nil
	}
	f, err := failureOf(b.err, st)
	return 0, -1, f, err
}

func failureOf(e *C.struct_cfe_error, st *syncState) (Failure, error) {
	errno := syscall.Errno(e.err_no)
	switch e.location {
	case C.CFE_LOC_SYNC_CALLBACK:
		if st.panicked {
			panic(st.panicValue)
		}
		return Failure{}, st.err
	case C.CFE_LOC_NONE:
		if errno != syscall.EINVAL && errno != syscall.E2BIG {
			// No resource for the start (EMFILE, ENOMEM, ...): the bare
			// errno, as the reference returns its socketpair's.
			return Failure{}, errno
		}
		return Failure{}, fmt.Errorf("cforkexec: start refused: %w", errno)
	case C.CFE_LOC_CHILD_DIED:
		// Killed before it reported back: the reference's ChildError
		// with EPIPE and no location.
		return Failure{Errno: errno}, nil
	}
	return Failure{Errno: errno, Location: int(e.location), Index: int(e.index)}, nil
}
