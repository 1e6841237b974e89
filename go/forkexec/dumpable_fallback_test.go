//go:build linux && !(cgo && (amd64 || arm64))

package forkexec_test

import (
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// Without the C core SetDumpable is the plain prctl.
func TestSetDumpableFallback(t *testing.T) {
	get := func() int {
		v, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0)
		if e != 0 {
			t.Fatalf("PR_GET_DUMPABLE: %v", e)
		}
		return int(v)
	}
	before := get()
	defer syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, uintptr(before), 0)
	for _, v := range []bool{false, true} {
		if err := forkexec.SetDumpable(v); err != nil {
			t.Fatal(err)
		}
		if got, want := get(), map[bool]int{false: 0, true: 1}[v]; got != want {
			t.Errorf("SetDumpable(%v): flag %d, want %d", v, got, want)
		}
	}
}
