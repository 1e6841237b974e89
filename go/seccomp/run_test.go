//go:build linux && cgo && (amd64 || arm64)

package seccomp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/cforkexec/cforkexec/go/seccomp"
)

// probePath is tests/probe.c, built by TestMain.
var probePath string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cforkexec-seccomp-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	probePath = filepath.Join(dir, "probe")
	gcc := exec.Command("gcc", "-std=gnu11", "-D_GNU_SOURCE", "-O2", "-static", "-o", probePath,
		filepath.Join("..", "..", "tests", "probe.c"))
	if out, err := gcc.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the probe failed: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

func build(t *testing.T, b *seccomp.Builder) *syscall.SockFprog {
	t.Helper()
	f, err := b.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(f) == 0 {
		t.Fatal("Build returned an empty filter")
	}
	return f.SockFprog()
}

// start runs the probe with args under filter, its stdout a pipe, and
// returns what it wrote and its wait status.
func start(t *testing.T, filter *syscall.SockFprog, args ...string) ([]byte, syscall.WaitStatus) {
	t.Helper()
	return startProgram(t, filter, probePath, args...)
}

// startProgram is start for any program path.
func startProgram(t *testing.T, filter *syscall.SockFprog, path string, args ...string) ([]byte, syscall.WaitStatus) {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	r := forkexec.Runner{
		Args:    append([]string{path}, args...),
		Files:   []uintptr{0, wr.Fd(), 2},
		Seccomp: filter,
	}
	pid, err := r.Start()
	wr.Close()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	out, err := io.ReadAll(rd)
	if err != nil {
		t.Errorf("reading the probe's output: %v", err)
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		t.Fatalf("wait4: %v", err)
	}
	return out, ws
}

// report is the part of the probe's report these tests read.
type report struct {
	Ppid     int     `json:"ppid"`
	UID      []int   `json:"uid"`
	Hostname *string `json:"hostname"`
	Seccomp  *int    `json:"seccomp"`
}

func startReport(t *testing.T, filter *syscall.SockFprog) report {
	t.Helper()
	out, ws := start(t, filter, "--out-fd", "1")
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("probe: wait status %#x, output %q", ws, out)
	}
	var rep report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("probe report %q: %v", out, err)
	}
	return rep
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the probe's start uses namespaces elsewhere, and seccomp without no_new_privs needs CAP_SYS_ADMIN; uid " +
			strconv.Itoa(os.Geteuid()))
	}
}

// The judge default with a killing default runs a static C program to the
// exit it asks for (any call off the list would show as SIGSYS).
func TestJudgeDefaultAllows(t *testing.T) {
	requireRoot(t)
	f, err := seccomp.JudgeDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		exit int
	}{{[]string{"--exit", "7"}, 7}, {[]string{"--sleep", "1"}, 0}} {
		out, ws := start(t, f.SockFprog(), c.args...)
		if !ws.Exited() || ws.ExitStatus() != c.exit {
			t.Errorf("probe %v: wait status %#x (signal %v), want exit %d; output %q",
				c.args, ws, ws.Signal(), c.exit, out)
		}
	}
}

// With a failing default, the report shows both sides of the list.
func TestJudgeDefaultForbids(t *testing.T) {
	requireRoot(t)
	rep := startReport(t, build(t, seccomp.New(seccomp.Errno(syscall.ENOSYS)).AddJudgeDefaults()))
	if rep.Ppid <= 0 || rep.Hostname == nil {
		t.Errorf("getppid or uname (on the list) failed: ppid %d, hostname %v", rep.Ppid, rep.Hostname)
	}
	if rep.UID != nil || rep.Seccomp != nil {
		t.Errorf("getresuid or prctl (off the list) ran: uid %v, seccomp %v", rep.UID, rep.Seccomp)
	}
}

// getppid fails with the errno asked: the probe's static glibc hands the
// kernel's value back as it is.
func TestErrno(t *testing.T) {
	requireRoot(t)
	rep := startReport(t, build(t, seccomp.New(seccomp.Allow).Add(seccomp.Errno(77), "getppid")))
	if rep.Ppid != -77 {
		t.Errorf("getppid returned %d, want -77", rep.Ppid)
	}
	if rep.Seccomp == nil || *rep.Seccomp != 2 || rep.UID == nil {
		t.Errorf("the rest is not allowed: seccomp %v, uid %v", rep.Seccomp, rep.UID)
	}
}

func TestKill(t *testing.T) {
	requireRoot(t)
	out, ws := start(t, build(t, seccomp.New(seccomp.Allow).Add(seccomp.Kill, "getppid")), "--getppid-loop", "1")
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Fatalf("wait status %#x, want death by SIGSYS; output %q", ws, out)
	}
}

const (
	ptraceOTraceSeccomp = 0x80
	ptraceOExitKill     = 0x100000
	ptraceEventSeccomp  = 7
)

// With Ptrace, the thread that called Start traces the probe: each getppid
// stops it with the trace action's data.
func TestTrace(t *testing.T) {
	requireRoot(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := forkexec.Runner{
		Args:    []string{probePath, "--getppid-loop", "3"},
		Files:   []uintptr{0, 1, 2},
		Seccomp: build(t, seccomp.New(seccomp.Allow).Add(seccomp.Trace(42), "getppid")),
		Ptrace:  true,
	}
	pid, err := r.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	wait := func() syscall.WaitStatus {
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
			if err != syscall.EINTR {
				if err != nil {
					t.Fatalf("wait4: %v", err)
				}
				return ws
			}
		}
	}
	ws := wait()
	if !ws.Stopped() || ws.StopSignal() != syscall.SIGSTOP {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("first wait status %#x, want the SIGSTOP before the filter", ws)
	}
	if err := syscall.PtraceSetOptions(pid, ptraceOTraceSeccomp|ptraceOExitKill); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("PTRACE_SETOPTIONS: %v", err)
	}
	events := 0
	for inject := 0; ; {
		if err := syscall.PtraceCont(pid, inject); err != nil {
			t.Fatalf("PTRACE_CONT: %v", err)
		}
		ws = wait()
		if !ws.Stopped() {
			break
		}
		inject = 0
		switch {
		case ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == ptraceEventSeccomp:
			events++
			if msg, err := syscall.PtraceGetEventMsg(pid); err != nil || msg != 42 {
				t.Errorf("event message %d, %v; want 42", msg, err)
			}
		case ws.StopSignal() != syscall.SIGTRAP:
			inject = int(ws.StopSignal())
		}
	}
	if !ws.Exited() || ws.ExitStatus() != 0 || events != 3 {
		t.Errorf("probe ended with wait status %#x after %d seccomp events; want exit 0 after 3", ws, events)
	}
}

// Names that are no system call here are refused, naming them.
func TestBadNames(t *testing.T) {
	for _, name := range []string{"", "no_such_syscall", "READ", "socketcall"} {
		_, err := seccomp.New(seccomp.Kill).AddJudgeDefaults().Add(seccomp.Allow, "read", name).Build()
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(name)) || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("name %q: Build error %v; want an EINVAL error naming it", name, err)
		}
	}
}

func TestTwoActionsForOneName(t *testing.T) {
	_, err := seccomp.New(seccomp.Allow).Add(seccomp.Errno(5), "getppid").Add(seccomp.Kill, "getppid").Build()
	if err == nil || !strings.Contains(err.Error(), `"getppid" has two actions, Errno(5) and Kill`) ||
		!errors.Is(err, syscall.EEXIST) {
		t.Errorf("Build error %v; want EEXIST naming getppid and both actions", err)
	}
	// The same action twice, and a rule over the defaults, are fine.
	if _, err := seccomp.New(seccomp.Kill).AddJudgeDefaults().Add(seccomp.Trace(1), "execve", "execve").Build(); err != nil {
		t.Errorf("Build: %v", err)
	}
}

// The list has the calls a judge needs and none it forbids.
func TestJudgeDefaultNames(t *testing.T) {
	names := strings.Join(seccomp.JudgeDefaultNames(), " ")
	for _, want := range []string{"execve", "read", "write", "mmap", "exit_group"} {
		if !strings.Contains(" "+names+" ", " "+want+" ") {
			t.Errorf("%q is not in the list %s", want, names)
		}
	}
	for _, bad := range []string{"fork", "clone", "clone3", "vfork", "socket", "ptrace", "kill", "mount", "prctl"} {
		if strings.Contains(" "+names+" ", " "+bad+" ") {
			t.Errorf("%q is in the list", bad)
		}
	}
}
