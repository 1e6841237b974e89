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
// panic must not unwind into C: it is kept and re-raised by Start once the
// child is reaped.  runtime.Goexit cannot be stopped here; the child at
// least is killed and reaped before the goroutine ends.
//
//export cfeGoSync
func cfeGoSync(context unsafe.Pointer, pid C.int32_t) (verdict C.int32_t) {
	st := cgo.Handle(*(*C.uintptr_t)(context)).Value().(*syncState)
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			st.panicked, st.panicValue = true, v
			verdict = C.int32_t(syscall.ECANCELED)
			return
		}
		var ws syscall.WaitStatus
		_ = syscall.Kill(int(pid), syscall.SIGKILL)
		_, _ = syscall.Wait4(int(pid), &ws, syscall.WALL, nil)
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
