//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// processGone reports whether pid no longer exists at all (not even as a
// zombie).
func processGone(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return errors.Is(err, os.ErrNotExist)
}

// SyncFunc runs once, with the pid Start returns, while the child still
// runs the caller's program image (it has not exec'd yet).
func TestSyncFuncCalledOnceBeforeExec(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	var exe string
	var readErr error
	r := &forkexec.Runner{SyncFunc: func(pid int) error {
		pids = append(pids, pid)
		exe, readErr = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		return nil
	}}
	run, err := startProbe(t, r)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	rep := decodeReport(t, run)
	if len(pids) != 1 || pids[0] != run.pid {
		t.Fatalf("SyncFunc called with %v; want once, with the pid %d Start returned", pids, run.pid)
	}
	if rep.Pid != run.pid {
		t.Errorf("the probe reports pid %d, Start returned %d", rep.Pid, run.pid)
	}
	if readErr != nil {
		t.Fatalf("readlink /proc/%d/exe in SyncFunc: %v", run.pid, readErr)
	}
	if exe != self {
		t.Errorf("in SyncFunc the child runs %q, want the test binary %q (not yet exec'd)", exe, self)
	}
}

type syncError struct{ n int }

func (e *syncError) Error() string { return fmt.Sprintf("sync error %d", e.n) }

var errSyncSentinel = errors.New("sync refused")

type namedRunner struct {
	name string
	r    forkexec.Runner
}

// syncFailureConfigs are starts with a SyncFunc in each handshake mode.
func syncFailureConfigs() []namedRunner {
	return []namedRunner{
		{"plain", forkexec.Runner{}},
		{"user namespace", forkexec.Runner{CloneFlags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID}},
		{"credential", forkexec.Runner{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}},
		{"unshare cgroup", forkexec.Runner{UnshareCgroupAfterSync: true, DropCaps: true, Seccomp: allowAllFilter()}},
	}
}

// SyncFunc's error comes back unchanged, the child killed and reaped.
func TestSyncFuncErrorReturnedUnchanged(t *testing.T) {
	wrapped := fmt.Errorf("cgroup setup: %w", errSyncSentinel)
	for _, c := range syncFailureConfigs() {
		for _, want := range []error{&syncError{7}, wrapped} {
			kind := "custom type"
			if want == wrapped {
				kind = "wrapped sentinel"
			}
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				if c.name != "plain" {
					requireRoot(t)
				}
				r := c.r
				var child int
				r.SyncFunc = func(pid int) error { child = pid; return want }
				_, err := startProbe(t, &r)
				if err != want {
					t.Fatalf("Start error = %v (%T), want the very value SyncFunc returned: %v", err, err, want)
				}
				if !errors.Is(err, want) {
					t.Errorf("errors.Is(err, SyncFunc's error) is false")
				}
				if want == wrapped && !errors.Is(err, errSyncSentinel) {
					t.Errorf("the wrapped sentinel is lost")
				}
				var se *syncError
				if want != wrapped && (!errors.As(err, &se) || se.n != 7) {
					t.Errorf("errors.As(err, *syncError) = %v", se)
				}
				if _, ok := err.(forkexec.ChildError); ok {
					t.Errorf("a SyncFunc error came back as a ChildError")
				}
				if child == 0 || !processGone(child) {
					t.Errorf("child %d still exists after Start failed", child)
				}
				requireNoChildren(t)
			})
		}
	}
}

type panicValue struct{ msg string }

// A panic in SyncFunc kills and reaps the child, then Start panics with
// the same value.
func TestSyncFuncPanic(t *testing.T) {
	for _, c := range syncFailureConfigs() {
		t.Run(c.name, func(t *testing.T) {
			if c.name != "plain" {
				requireRoot(t)
			}
			thrown := &panicValue{"boom"}
			var child int
			r := c.r
			r.Args = []string{probePath, "--exit", "0"}
			r.SyncFunc = func(pid int) error {
				child = pid
				panic(thrown)
			}
			caught, pid := startRecovering(&r)
			if caught != thrown {
				t.Fatalf("Start panicked with %v (%T), want the SyncFunc's value %v", caught, caught, thrown)
			}
			if pid != 0 {
				t.Errorf("Start returned pid %d instead of panicking", pid)
			}
			if child == 0 || !processGone(child) {
				t.Errorf("child %d still exists after the panic", child)
			}
			requireNoChildren(t)
		})
	}
}

func startRecovering(r *forkexec.Runner) (caught any, pid int) {
	defer func() { caught = recover() }()
	pid, _ = r.Start()
	return nil, pid
}

// The clone, SyncFunc and the ack run on the caller's OS thread.
func TestSyncFuncRunsOnCallingThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	var syncTid int
	runProbe(t, &forkexec.Runner{SyncFunc: func(int) error { syncTid = syscall.Gettid(); return nil }})
	if syncTid != tid {
		t.Errorf("SyncFunc ran on thread %d, the caller's is %d", syncTid, tid)
	}
}

// syscall.ForkLock is released before SyncFunc runs: a SyncFunc that
// starts a process with os/exec must not deadlock.
func TestSyncFuncMayForkExec(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		_, err := startProbeNoT(&forkexec.Runner{
			Args:     []string{probePath, "--exit", "0"},
			SyncFunc: func(int) error { return exec.Command(probePath, "--exit", "0").Run() },
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Start with an os/exec SyncFunc: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Start with an os/exec SyncFunc did not return in 20 s: ForkLock held across SyncFunc?")
	}
}

// startProbeNoT starts r and reaps it, for goroutines other than the
// test's.
func startProbeNoT(r *forkexec.Runner) (syscall.WaitStatus, error) {
	pid, err := r.Start()
	if err != nil {
		return 0, err
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if err == nil && (!ws.Exited() || ws.ExitStatus() != 0) {
		err = fmt.Errorf("child %d ended with wait status %#x", pid, ws)
	}
	return ws, err
}

// Many goroutines start at once, each SyncFunc seeing its own child.
func TestConcurrentStartsWithSyncFunc(t *testing.T) {
	requireRoot(t)
	const goroutines, starts = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*starts)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < starts; i++ {
				var seen int
				r := &forkexec.Runner{
					Args:     []string{probePath, "--exit", "0"},
					SyncFunc: func(pid int) error { seen = pid; return nil },
				}
				if g%2 == 1 {
					r.CloneFlags = syscall.CLONE_NEWUSER
				}
				pid, err := r.Start()
				if err != nil {
					errs <- err
					continue
				}
				if seen != pid {
					errs <- fmt.Errorf("SyncFunc saw pid %d, Start returned %d", seen, pid)
				}
				var ws syscall.WaitStatus
				if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Exited() || ws.ExitStatus() != 0 {
					errs <- fmt.Errorf("child %d: wait4 %v, status %#x", pid, err, ws)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	requireNoChildren(t)
}
