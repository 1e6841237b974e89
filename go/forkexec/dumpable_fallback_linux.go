//go:build linux && !(cgo && (amd64 || arm64))

package forkexec

import (
	"fmt"
	"syscall"
)

// SetDumpable sets the process's dumpable flag (prctl PR_SET_DUMPABLE).
// Where the C core does not run, starts are the reference's, which never
// restore the flag after a Credential start: this is the plain prctl.
func SetDumpable(dumpable bool) error {
	v := uintptr(0)
	if dumpable {
		v = 1
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, v, 0); e != 0 {
		return fmt.Errorf("forkexec: set dumpable: %w", e)
	}
	return nil
}
