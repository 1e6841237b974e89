//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

func setDumpableRaw(t *testing.T, v uintptr) {
	t.Helper()
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, v, 0); e != 0 {
		t.Fatalf("PR_SET_DUMPABLE %d: %v", v, e)
	}
}

// SetDumpable called from SyncFunc during a Credential start is what the
// flag is once Start returns, whatever fs.suid_dumpable is; true waits for
// the child's exec (the flag stays cleared inside SyncFunc).
func TestSetDumpableDuringCredentialStart(t *testing.T) {
	requireRoot(t)
	before := dumpable(t)
	defer setDumpableRaw(t, before)
	for _, want := range []bool{false, true} {
		setDumpableRaw(t, map[bool]uintptr{false: 1, true: 0}[want])
		var during uintptr
		r := &forkexec.Runner{
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534},
			SyncFunc: func(int) error {
				if err := forkexec.SetDumpable(want); err != nil {
					return err
				}
				during = dumpable(t)
				return nil
			},
		}
		run, err := startProbe(t, r)
		if err != nil {
			t.Fatalf("SetDumpable(%v): Start: %v", want, err)
		}
		decodeReport(t, run)
		if want && during != 0 {
			t.Errorf("SetDumpable(true) in SyncFunc: the flag is %d while the child runs in our memory, want 0", during)
		}
		wantAfter := map[bool]uintptr{false: 0, true: 1}[want]
		if got := dumpable(t); got != wantAfter {
			t.Errorf("SetDumpable(%v) in SyncFunc: the flag is %d after Start, want %d", want, got, wantAfter)
		}
	}
}

// Outside starts it is the prctl.
func TestSetDumpableOutsideStarts(t *testing.T) {
	before := dumpable(t)
	defer setDumpableRaw(t, before)
	for _, v := range []bool{false, true, false} {
		if err := forkexec.SetDumpable(v); err != nil {
			t.Fatal(err)
		}
		if got, want := dumpable(t), map[bool]uintptr{false: 0, true: 1}[v]; got != want {
			t.Errorf("SetDumpable(%v): flag %d, want %d", v, got, want)
		}
	}
}
