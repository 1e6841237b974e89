//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include <stdint.h>

// The library's own cleanup of a start whose callback will not return
// (c/src/start.c).
extern void cfe_abandon_sync(void);
*/
import "C"

import (
	"runtime/cgo"
	"syscall"
	"unsafe"
)

// cfeGoSync is the C library's sync callback: it finds the start's
// syncState through the handle stored at context and runs SyncFunc.  A
// panic must not unwind through the C library: callSync keeps it (nil
// included) for Start to re-raise once the child is reaped.  Only
// runtime.Goexit gets past callSync: the goroutine ends, the library's
// frames below this one are skipped, so the library is told to kill and
// reap the child and release the start now, while they still exist.
//
//export cfeGoSync
func cfeGoSync(context unsafe.Pointer, pid C.int32_t) (verdict C.int32_t) {
	st := cgo.Handle(*(*C.uintptr_t)(context)).Value().(*syncState)
	returned := false
	defer func() {
		if !returned {
			C.cfe_abandon_sync()
		}
	}()
	verdict = st.callSync(int(pid))
	returned = true
	return verdict
}

// callSync runs SyncFunc and returns the library's verdict: 0 to go on,
// ECANCELED when it failed or panicked.
func (st *syncState) callSync(pid int) (verdict C.int32_t) {
	st.pid = pid
	returned := false
	defer func() {
		if !returned {
			st.panicked, st.panicValue = true, recover()
			verdict = C.int32_t(syscall.ECANCELED)
		}
	}()
	err := st.fn(pid)
	returned = true
	if err != nil {
		st.err = err
		return C.int32_t(syscall.ECANCELED)
	}
	return 0
}

// cfeGoCloneHook runs right after the clone: from here on the child has its
// own fd table, and Go's forks may go on.  context points at the start's
// "ForkLock held" flag.
//
//export cfeGoCloneHook
func cfeGoCloneHook(context unsafe.Pointer) {
	held := (*C.int)(context)
	if *held != 0 {
		*held = 0
		syscall.ForkLock.Unlock()
	}
}
