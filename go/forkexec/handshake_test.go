package forkexec_test

import (
	"errors"
	"runtime"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

const seccompRetKillProcess = 0x80000000

// killWriteFilter kills the process at its first write(2).
func killWriteFilter(t *testing.T) *syscall.SockFprog {
	return oneRuleFilter(t, syscall.SYS_WRITE, seccompRetKillProcess)
}

// The filter is loaded before the handshake and kills the child at its
// "ready": Start fails with the reference's plain EPIPE, SyncFunc is never
// called, and no child is left.
func TestChildKilledBeforeHandshake(t *testing.T) {
	requireRoot(t)
	calls := 0
	r := &forkexec.Runner{
		Seccomp:  killWriteFilter(t),
		SyncFunc: func(int) error { calls++; return nil },
	}
	_, err := startProbe(t, r)
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Start: %v, want EPIPE", err)
	}
	if calls != 0 {
		t.Errorf("SyncFunc called %d times", calls)
	}
	requireNoChildren(t)
}

// A child that stops itself reports its setup first, so a failed step is a
// ChildError, as with the reference, not a pid that exits at once.
func TestStoppingChildReportsSetupFailure(t *testing.T) {
	requireRoot(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, ptrace := range []bool{false, true} {
		r := &forkexec.Runner{
			Args:              []string{probePath, "--exit", "0"},
			WorkDir:           "/nonexistent-workdir",
			StopBeforeSeccomp: !ptrace,
			Ptrace:            ptrace,
		}
		if ptrace {
			r.Seccomp = allowAllFilter()
		}
		pid, err := r.Start()
		var ce forkexec.ChildError
		if !errors.As(err, &ce) || ce.Location != forkexec.LocChdir || ce.Err != syscall.ENOENT {
			t.Fatalf("ptrace=%v: Start = %d, %v; want a chdir ChildError", ptrace, pid, err)
		}
		requireNoChildren(t)
	}
}

// runtime.Goexit cannot be stopped at the C boundary, but the child it
// would strand is killed and reaped before the goroutine ends.
func TestGoexitInSyncFuncLeavesNoChild(t *testing.T) {
	requireRoot(t)
	done := make(chan int)
	go func() {
		pid := 0
		defer func() { done <- pid }()
		r := &forkexec.Runner{
			Args: []string{probePath, "--exit", "0"},
			SyncFunc: func(p int) error {
				pid = p
				runtime.Goexit()
				return nil
			},
		}
		_, _ = r.Start()
		t.Error("Start returned after SyncFunc called runtime.Goexit")
	}()
	pid := <-done
	if pid == 0 {
		t.Fatal("SyncFunc was not called")
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("child %d still exists after Goexit (kill: %v)", pid, err)
	}
	requireNoChildren(t)
}
