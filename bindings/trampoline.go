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
// syncState through the handle stored at context, lets other forks proceed
// (the clone is done), and runs SyncFunc.  A panic must not unwind into C:
// it is kept and re-raised by Start once the child is reaped.
//
//export cfeGoSync
func cfeGoSync(context unsafe.Pointer, pid C.int32_t) (verdict C.int32_t) {
	st := cgo.Handle(*(*C.uintptr_t)(context)).Value().(*syncState)
	if st.forkLocked {
		st.forkLocked = false
		syscall.ForkLock.Unlock()
	}
	defer func() {
		if v := recover(); v != nil {
			st.panicked, st.panicValue = true, v
			verdict = C.int32_t(syscall.ECANCELED)
		}
	}()
	if err := st.fn(int(pid)); err != nil {
		st.err = err
		return C.int32_t(syscall.ECANCELED)
	}
	return 0
}
