//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"bytes"
	"errors"
	"os"
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
// "ready": Start fails as the reference does, with a ChildError of EPIPE
// and no location; SyncFunc is never called, and no child is left.
func TestChildKilledBeforeHandshake(t *testing.T) {
	requireRoot(t)
	calls := 0
	r := &forkexec.Runner{
		Seccomp:  killWriteFilter(t),
		SyncFunc: func(int) error { calls++; return nil },
	}
	_, err := startProbe(t, r)
	if ce, ok := err.(forkexec.ChildError); !ok || ce != (forkexec.ChildError{Err: syscall.EPIPE}) {
		t.Fatalf("Start: %#v, want ChildError{Err: EPIPE}", err)
	}
	if calls != 0 {
		t.Errorf("SyncFunc called %d times", calls)
	}
	requireNoChildren(t)
}

// A child that stops itself reports its setup first, so a failed step is a
// ChildError, not a pid that exits at once (the reference's Start returns
// such a pid when there is no SyncFunc: doc.go, What is different).
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
// would strand is killed and reaped before the goroutine ends, and the
// credential change's hold on the dumpable flag is dropped.
func TestGoexitInSyncFuncLeavesNoChild(t *testing.T) {
	requireRoot(t)
	done := make(chan int)
	go func() {
		pid := 0
		defer func() { done <- pid }()
		r := &forkexec.Runner{
			Args:       []string{probePath, "--exit", "0"},
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534},
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
	if d, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0); d != 1 {
		t.Errorf("dumpable is %d after the abandoned start, want 1", d)
	}
}

// mapCount is the number of mappings of this process.
func mapCount(t *testing.T) int {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(maps, []byte("\n"))
}

// A start abandoned by runtime.Goexit in SyncFunc leaves nothing behind:
// no fd (the start's socket), no mapping (the child's stack), no C heap.
func TestGoexitInSyncFuncLeaksNothing(t *testing.T) {
	requireRoot(t)
	const starts = 50
	goexitStart := func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			r := &forkexec.Runner{
				Args:     []string{probePath, "--exit", "0"},
				SyncFunc: func(int) error { runtime.Goexit(); return nil },
			}
			_, _ = r.Start()
		}()
		<-done
	}
	for i := 0; i < 5; i++ {
		goexitStart()
	}
	before, maps := measure(t), mapCount(t)
	for i := 0; i < starts; i++ {
		goexitStart()
	}
	after, mapsAfter := measure(t), mapCount(t)
	requireNoChildren(t)
	if after.fds != before.fds {
		t.Errorf("open fds %d -> %d over %d abandoned starts", before.fds, after.fds, starts)
	}
	if mapsAfter-maps >= starts/2 {
		t.Errorf("mappings %d -> %d over %d abandoned starts", maps, mapsAfter, starts)
	}
	if before.heap >= 0 && after.heap-before.heap > heapSlack {
		t.Errorf("C heap in use %d -> %d bytes over %d abandoned starts", before.heap, after.heap, starts)
	}
}

// Whatever way a start ends, it leaves syscall.ForkLock free.
func TestForkLockFreeAfterEveryOutcome(t *testing.T) {
	requireRoot(t)
	refused := errors.New("refused")
	runners := map[string]*forkexec.Runner{
		"success":        {Args: []string{probePath, "--exit", "0"}},
		"userns":         {Args: []string{probePath, "--exit", "0"}, CloneFlags: syscall.CLONE_NEWUSER},
		"child fails":    {Args: []string{"/nonexistent"}},
		"sync refuses":   {Args: []string{probePath, "--exit", "0"}, SyncFunc: func(int) error { return refused }},
		"invalid":        {},
		"dup3 in parent": {Args: []string{probePath}, Files: []uintptr{0, 1, 2, ^uintptr(0), 999, 3}},
	}
	for name, r := range runners {
		pid, err := r.Start()
		if err == nil {
			reap(t, pid)
		}
		if !syscall.ForkLock.TryLock() {
			t.Fatalf("%s: ForkLock still held after Start (err %v)", name, err)
		}
		syscall.ForkLock.Unlock()
	}
	requireNoChildren(t)
}

// panic(nil) in SyncFunc (recover() sees nil under GODEBUG=panicnil=1, the
// default for modules older than Go 1.21) still fails the start and
// re-panics; it is not mistaken for success.
func TestNilPanicInSyncFunc(t *testing.T) {
	requireRoot(t)
	t.Setenv("GODEBUG", "panicnil=1")
	pid := 0
	panicked := func() (p bool) {
		defer func() { p = true; _ = recover() }()
		r := &forkexec.Runner{
			Args:     []string{probePath, "--exit", "0"},
			SyncFunc: func(p int) error { pid = p; panic(nil) },
		}
		_, _ = r.Start()
		return false
	}()
	if !panicked {
		t.Fatal("Start returned after SyncFunc panicked")
	}
	if pid == 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
		t.Errorf("child %d not killed and reaped", pid)
	}
	requireNoChildren(t)
}
