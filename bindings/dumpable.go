//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include "cforkexec.h"
*/
import "C"

import "syscall"

// SetDumpable sets the process's dumpable flag through the C library, so
// that credential starts under way honour it (see cfe_set_dumpable).
func SetDumpable(dumpable bool) error {
	v := C.int32_t(0)
	if dumpable {
		v = 1
	}
	if e := C.cfe_set_dumpable(v); e != 0 {
		return syscall.Errno(e)
	}
	return nil
}
