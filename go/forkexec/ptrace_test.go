//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

const (
	seccompRetTrace       = 0x7ff00000
	ptraceOTraceSeccomp   = 0x80
	ptraceOExitKill       = 0x100000
	ptraceEventSeccomp    = 7
	auditArchX86_64       = 0xc000003e
	auditArchAArch64      = 0xc00000b7
	seccompDataNrOffset   = 0
	seccompDataArchOffset = 4
	traceData             = 42
)

func auditArch(t *testing.T) uint32 {
	t.Helper()
	switch runtime.GOARCH {
	case "amd64":
		return auditArchX86_64
	case "arm64":
		return auditArchAArch64
	}
	t.Skipf("no seccomp architecture constant for %s", runtime.GOARCH)
	return 0
}

// oneRuleFilter returns action for system call nr (of this architecture)
// and allows everything else (other architectures included).
func oneRuleFilter(t *testing.T, nr, action uint32) *syscall.SockFprog {
	t.Helper()
	insns := []syscall.SockFilter{
		{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS, K: seccompDataArchOffset},
		{Code: syscall.BPF_JMP | syscall.BPF_JEQ | syscall.BPF_K, Jt: 1, Jf: 0, K: auditArch(t)},
		{Code: syscall.BPF_RET | syscall.BPF_K, K: seccompRetAllow},
		{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS, K: seccompDataNrOffset},
		{Code: syscall.BPF_JMP | syscall.BPF_JEQ | syscall.BPF_K, Jt: 0, Jf: 1, K: nr},
		{Code: syscall.BPF_RET | syscall.BPF_K, K: action},
		{Code: syscall.BPF_RET | syscall.BPF_K, K: seccompRetAllow},
	}
	return &syscall.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
}

// traceGetppidFilter returns SECCOMP_RET_TRACE|42 for getppid.
func traceGetppidFilter(t *testing.T) *syscall.SockFprog {
	return oneRuleFilter(t, syscall.SYS_GETPPID, seccompRetTrace|traceData)
}

// waitTraced waits for a stop or the end of the traced child pid.
func waitTraced(t *testing.T, pid int) syscall.WaitStatus {
	t.Helper()
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		return ws
	}
}

// watchdog kills pid if the test has not finished with it in time, so
// that a tracee that never stops fails the test instead of hanging it.
func watchdog(pid int) (stop func()) {
	timer := time.AfterFunc(30*time.Second, func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return func() { timer.Stop() }
}

func nullFiles(t *testing.T) []uintptr {
	t.Helper()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })
	return []uintptr{devnull.Fd(), devnull.Fd(), 2}
}

// Ptrace with a seccomp filter: the child stops with SIGSTOP before it
// loads the filter; the tracer (the thread that called Start) sees the
// exec and each traced getppid with the filter's data.
func TestPtraceWithSeccomp(t *testing.T) {
	for _, withSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("SyncFunc=%v", withSync), func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			syncCalls := 0
			r := &forkexec.Runner{
				Args:    []string{probePath, "--getppid-loop", "3"},
				Files:   nullFiles(t),
				Ptrace:  true,
				Seccomp: traceGetppidFilter(t),
			}
			if withSync {
				r.SyncFunc = func(int) error { syncCalls++; return nil }
			}
			pid, err := r.Start()
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer watchdog(pid)()
			if withSync && syncCalls != 1 {
				t.Errorf("SyncFunc called %d times, want 1", syncCalls)
			}
			execs, seccomps := traceToExit(t, pid)
			if execs != 1 || seccomps != 3 {
				t.Errorf("saw %d exec and %d seccomp events, want 1 and 3", execs, seccomps)
			}
		})
	}
}

// Ptrace with seccomp and UnshareCgroupAfterSync: the handshake, the
// cgroup namespace and the capability drop all come before PTRACE_TRACEME
// and the stop; the program runs traced and filtered.  The probe's report
// makes one getppid call.
func TestPtraceSeccompUnshareCgroupAfterSync(t *testing.T) {
	requireRoot(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	syncCalls := 0
	r := &forkexec.Runner{
		Args:                   []string{probePath, "--out-fd", "1"},
		Files:                  []uintptr{0, wr.Fd(), 2},
		Ptrace:                 true,
		Seccomp:                traceGetppidFilter(t),
		UnshareCgroupAfterSync: true,
		DropCaps:               true,
		SyncFunc:               func(int) error { syncCalls++; return nil },
	}
	pid, err := r.Start()
	wr.Close()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer watchdog(pid)()
	execs, seccomps := traceToExit(t, pid)
	out, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	if syncCalls != 1 || execs != 1 || seccomps != 1 {
		t.Errorf("SyncFunc calls %d, exec events %d, seccomp events %d; want 1, 1, 1", syncCalls, execs, seccomps)
	}
	// traceToExit has checked the exit status; decode the report alone.
	rep := decodeReport(t, probeRun{pid: pid, out: out})
	if rep.NS["cgroup"] == selfNS(t, "cgroup") {
		t.Errorf("cgroup namespace is the caller's")
	}
	wantNoCaps(t, rep)
	wantInt(t, "seccomp", rep.Seccomp, 2)
}

// traceToExit follows a tracee from its first SIGSTOP to its exit 0 and
// counts its exec and seccomp events; the exec must come first.
func traceToExit(t *testing.T, pid int) (execs, seccomps int) {
	t.Helper()
	ws := waitTraced(t, pid)
	if !ws.Stopped() || ws.StopSignal() != syscall.SIGSTOP {
		killAndReapTraced(t, pid)
		t.Fatalf("first wait status %#x, want a SIGSTOP stop", ws)
	}
	if err := syscall.PtraceSetOptions(pid, ptraceOTraceSeccomp|syscall.PTRACE_O_TRACEEXEC|ptraceOExitKill); err != nil {
		killAndReapTraced(t, pid)
		t.Fatalf("PTRACE_SETOPTIONS from the thread that called Start: %v", err)
	}
	if err := syscall.PtraceCont(pid, 0); err != nil {
		killAndReapTraced(t, pid)
		t.Fatalf("PTRACE_CONT: %v", err)
	}
	for {
		ws = waitTraced(t, pid)
		switch {
		case ws.Exited():
			if ws.ExitStatus() != 0 {
				t.Errorf("tracee exited %d, want 0", ws.ExitStatus())
			}
			return execs, seccomps
		case ws.Signaled():
			t.Fatalf("tracee killed by %v", ws.Signal())
		case !ws.Stopped():
			t.Fatalf("unexpected wait status %#x", ws)
		}
		inject := 0
		switch {
		case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == syscall.PTRACE_EVENT_EXEC:
			execs++
		case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == ptraceEventSeccomp:
			if execs == 0 {
				t.Errorf("seccomp event before the exec: the filter traced the child's setup")
			}
			seccomps++
			msg, err := syscall.PtraceGetEventMsg(pid)
			if err != nil || msg != traceData {
				t.Errorf("seccomp event message = %d, %v; want %d", msg, err, traceData)
			}
		default:
			t.Errorf("unexpected stop %#x (signal %v)", ws, ws.StopSignal())
			inject = int(ws.StopSignal())
		}
		if err := syscall.PtraceCont(pid, inject); err != nil {
			killAndReapTraced(t, pid)
			t.Fatalf("PTRACE_CONT: %v", err)
		}
	}
}

func killAndReapTraced(t *testing.T, pid int) {
	t.Helper()
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for {
		ws := waitTraced(t, pid)
		if ws.Exited() || ws.Signaled() {
			return
		}
	}
}

// Ptrace without seccomp: PTRACE_TRACEME right before execve, so the
// first stop is the exec's SIGTRAP, in the new program.
func TestPtraceWithoutSeccomp(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, err := (&forkexec.Runner{
		Args:   []string{probePath, "--exit", "0"},
		Files:  nullFiles(t),
		Ptrace: true,
	}).Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer watchdog(pid)()
	ws := waitTraced(t, pid)
	if !ws.Stopped() || ws.StopSignal() != syscall.SIGTRAP {
		killAndReapTraced(t, pid)
		t.Fatalf("first wait status %#x, want a SIGTRAP stop", ws)
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || exe != probePath {
		t.Errorf("stopped tracee runs %q (%v), want the probe %q (stopped after exec)", exe, err, probePath)
	}
	if err := syscall.PtraceCont(pid, 0); err != nil {
		killAndReapTraced(t, pid)
		t.Fatalf("PTRACE_CONT from the thread that called Start: %v", err)
	}
	ws = waitTraced(t, pid)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("tracee ended with status %#x, want exit 0", ws)
	}
}

// With Ptrace and seccomp the handshake comes before PTRACE_TRACEME; a
// failing SyncFunc still kills and reaps the child.
func TestPtraceSyncFuncError(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	refused := errors.New("tracer not ready")
	var child int
	_, err := (&forkexec.Runner{
		Args:     []string{probePath, "--getppid-loop", "3"},
		Files:    nullFiles(t),
		Ptrace:   true,
		Seccomp:  traceGetppidFilter(t),
		SyncFunc: func(pid int) error { child = pid; return refused },
	}).Start()
	if err != refused {
		t.Fatalf("Start error = %v, want SyncFunc's %v", err, refused)
	}
	if child == 0 || !processGone(child) {
		t.Errorf("child %d still exists", child)
	}
	requireNoChildren(t)
}
