//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/bindings"
	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

const (
	leakStarts  = 10000
	leakWarmUp  = 200
	heapSlack   = 4 << 10 // malloc noise: freed chunks held in thread caches
	threadSlack = 4
)

// resources are what a start could leak in this process.
type resources struct {
	heap, fds, threads int
}

func countEntries(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func measure(t *testing.T) resources {
	t.Helper()
	return resources{
		heap:    bindings.CHeapInUse(),
		fds:     countEntries(t, "/proc/self/fd"),
		threads: countEntries(t, "/proc/self/task"),
	}
}

var errLeakSync = errors.New("refused by SyncFunc")

// leakStart is one start of a kind; it reaps what it starts and returns
// an error for anything but the expected outcome.
type leakStart func() error

func waitExit0(pid int) error {
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("child %d ended with status %#x", pid, ws)
	}
	return nil
}

func wantSuccess(r *forkexec.Runner) leakStart {
	return func() error {
		pid, err := r.Start()
		if err != nil {
			return err
		}
		return waitExit0(pid)
	}
}

func wantChildFailure(r *forkexec.Runner, loc forkexec.ErrorLocation) leakStart {
	return func() error {
		pid, err := r.Start()
		if err == nil {
			_ = waitExit0(pid)
			return fmt.Errorf("start succeeded, want a failure at %v", loc)
		}
		if ce, ok := err.(forkexec.ChildError); !ok || ce.Location != loc {
			return fmt.Errorf("error %v, want a ChildError at %v", err, loc)
		}
		return nil
	}
}

// stopAndContinue starts a child that stops itself before seccomp,
// waits for the stop, continues it and waits for its exit.
func stopAndContinue(r *forkexec.Runner) leakStart {
	return func() error {
		pid, err := r.Start()
		if err != nil {
			return err
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil {
			return err
		}
		if !ws.Stopped() {
			return fmt.Errorf("child %d: status %#x, want stopped", pid, ws)
		}
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			return err
		}
		return waitExit0(pid)
	}
}

// parkingFiles is a Files list of n entries that makes the library park
// copies out of the way: fds 1 and 2 come from fd 0, below their places,
// and the rest are closed.
func parkingFiles(n int) []uintptr {
	files := make([]uintptr, n)
	for i := range files {
		files[i] = ^uintptr(0)
	}
	files[0], files[1], files[2] = 0, 0, 0
	return files
}

func leakMix(t *testing.T) []leakStart {
	exit0 := []string{probePath, "--exit", "0"}
	missing := filepath.Join(t.TempDir(), "missing")
	prog, err := os.Open(probePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prog.Close() })
	return []leakStart{
		// Parked files, and the sync socket parked above Files too.
		wantSuccess(&forkexec.Runner{Args: exit0, Files: parkingFiles(32), SyncFunc: func(int) error { return nil }}),
		// ExecFile at a number Files covers: parked as well.
		wantSuccess(&forkexec.Runner{Args: []string{"probe", "--exit", "0"}, ExecFile: prog.Fd(), Files: parkingFiles(int(prog.Fd()) + 1)}),
		wantSuccess(&forkexec.Runner{Args: exit0}),
		wantSuccess(&forkexec.Runner{Args: exit0, CloneFlags: syscall.CLONE_NEWUSER, SyncFunc: func(int) error { return nil }}),
		wantSuccess(&forkexec.Runner{Args: exit0, Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{65534}}}),
		wantChildFailure(&forkexec.Runner{Args: []string{missing}}, forkexec.LocExecve),
		func() error {
			_, err := (&forkexec.Runner{Args: exit0, SyncFunc: func(int) error { return errLeakSync }}).Start()
			if err != errLeakSync {
				return fmt.Errorf("error %v, want SyncFunc's", err)
			}
			return nil
		},
		stopAndContinue(&forkexec.Runner{Args: exit0, StopBeforeSeccomp: true}),
		wantChildFailure(&forkexec.Runner{Args: exit0, RLimits: []rlimit.RLimit{{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 2, Max: 1}}}}, forkexec.LocSetRlimit),
		wantSuccess(&forkexec.Runner{Args: exit0, Seccomp: allowAllFilter(), Env: []string{"A=1", "B=2"}}),
		wantChildFailure(&forkexec.Runner{Args: exit0, CloneFlags: syscall.CLONE_NEWUSER, UIDMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 0}}}, forkexec.LocUnshareUserRead),
		wantSuccess(&forkexec.Runner{Args: exit0, CloneFlags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS, HostName: "leak", UnshareCgroupAfterSync: true, DropCaps: true, SyncFunc: func(int) error { return nil }}),
	}
}

// quiesce measures until two samples 20 ms apart agree (at most 2 s): the
// release of a child that stopped itself runs on a goroutine and may lag
// behind the child's exit by a moment.
func quiesce(t *testing.T) resources {
	t.Helper()
	prev := measure(t)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		now := measure(t)
		if now == prev {
			break
		}
		prev = now
	}
	return prev
}

// spareThreads makes the Go runtime create n OS threads and keep them idle
// for reuse.  Each new thread costs some C heap (glibc's and cgo's thread
// start), which is no leak of the library's; with threads to spare the
// runtime needs no new ones during the measured starts.
func spareThreads(n int) {
	var started, done sync.WaitGroup
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			started.Done()
			<-release
			runtime.UnlockOSThread()
		}()
	}
	started.Wait()
	close(release)
	done.Wait()
}

// 10,000 mixed starts leak no C memory, no fd and no thread.
func TestNoLeaksOverManyStarts(t *testing.T) {
	if bindings.CHeapInUse() < 0 {
		t.Skip("the C heap cannot be measured with this C library (mallinfo2 needs glibc 2.33)")
	}
	requireRoot(t)
	if testing.Short() {
		t.Skip("10,000 starts take a while; skipped with -short")
	}
	// One OS thread for every start: freed chunks that glibc keeps in a
	// thread's cache count as in use, and would vary with the thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	mix := leakMix(t)
	run := func(from, to int) {
		for i := from; i < to; i++ {
			if err := mix[i%len(mix)](); err != nil {
				t.Fatalf("start %d (kind %d): %v", i, i%len(mix), err)
			}
		}
	}
	spareThreads(8)
	begin := time.Now()
	run(0, leakWarmUp)
	base := quiesce(t)
	run(leakWarmUp, leakStarts)
	end := quiesce(t)
	requireNoChildren(t)
	t.Logf("%d starts in %v; after warm-up: C heap %d B, %d fds, %d threads; at the end: C heap %d B, %d fds, %d threads",
		leakStarts, time.Since(begin).Round(time.Millisecond), base.heap, base.fds, base.threads, end.heap, end.fds, end.threads)
	if end.heap > base.heap+heapSlack {
		t.Errorf("C heap grew by %d B over %d starts (slack %d B)", end.heap-base.heap, leakStarts-leakWarmUp, heapSlack)
	}
	if end.fds != base.fds {
		t.Errorf("open fds went from %d to %d", base.fds, end.fds)
	}
	if end.threads > base.threads+threadSlack {
		t.Errorf("threads went from %d to %d (slack %d)", base.threads, end.threads, threadSlack)
	}
}
