//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"syscall"
	"unsafe"
)

// cfeGoSync is the C library's sync callback: it finds the start's
// syncState through the handle stored at context and runs SyncFunc.  A
// panic must not unwind through the C library: it is kept and re-raised by
// Start once the child is reaped (a nil recover() is a panic(nil) under
// GODEBUG=panicnil=1, or runtime.Goexit, which Start handles).
//
//export cfeGoSync
func cfeGoSync(context unsafe.Pointer, pid C.int32_t) (verdict C.int32_t) {
	st := cgo.Handle(*(*C.uintptr_t)(context)).Value().(*syncState)
	st.pid = int(pid)
	returned := false
	defer func() {
		if !returned {
			st.panicked, st.panicValue = true, recover()
			verdict = C.int32_t(syscall.ECANCELED)
		}
	}()
	err := st.fn(int(pid))
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
