//go:build linux

package forkexec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// probePath is the probe built by TestMain; tests run it through Runner.
var probePath string

// rootReason is why the tests that need root skip ("" when we are root).
var rootReason string

// TestMain builds tests/probe.c, the program that reports the state it was
// started in as one JSON line.
func TestMain(m *testing.M) {
	if sig := os.Getenv(deathStarterEnv); sig != "" {
		probePath = os.Getenv("CFE_TEST_PROBE")
		os.Exit(deathStarter(sig))
	}
	if os.Getenv(pidfdRefusedEnv) != "" {
		probePath = os.Getenv("CFE_TEST_PROBE")
		os.Exit(pidfdRefusedStarter())
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cforkexec-gotest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot make a temporary directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	src, err := filepath.Abs(filepath.Join("..", "..", "tests", "probe.c"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Credential tests run the probe as nobody, without capabilities.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	probePath = filepath.Join(dir, "probe")
	gcc := exec.Command("gcc", "-std=gnu11", "-D_GNU_SOURCE", "-O2", "-static", "-o", probePath, src)
	if out, err := gcc.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the probe failed: %v\n%s", err, out)
		return 1
	}
	if os.Geteuid() != 0 {
		rootReason = "needs root (namespaces, mounts, credentials, cgroups); running as uid " +
			strconv.Itoa(os.Geteuid())
		fmt.Fprintln(os.Stderr, "not root: the tests that need root will skip:", rootReason)
	}
	return m.Run()
}

func requireRoot(t testing.TB) {
	t.Helper()
	if rootReason != "" {
		t.Skip(rootReason)
	}
}

// report is the probe's JSON line (see tests/probe.c); null values decode
// as nil pointers, or as 0 in the ns map.
type report struct {
	Pid        int                  `json:"pid"`
	Ppid       int                  `json:"ppid"`
	Argv       []string             `json:"argv"`
	Env        []string             `json:"env"`
	Cwd        *string              `json:"cwd"`
	UID        []uint32             `json:"uid"`
	GID        []uint32             `json:"gid"`
	Groups     []uint32             `json:"groups"`
	CapInh     *string              `json:"cap_inh"`
	CapPrm     *string              `json:"cap_prm"`
	CapEff     *string              `json:"cap_eff"`
	CapBnd     string               `json:"cap_bnd"`
	CapAmb     string               `json:"cap_amb"`
	Securebits *int                 `json:"securebits"`
	NoNewPrivs *int                 `json:"no_new_privs"`
	Seccomp    *int                 `json:"seccomp"`
	Dumpable   *int                 `json:"dumpable"`
	NS         map[string]uint64    `json:"ns"`
	Hostname   *string              `json:"hostname"`
	Domainname *string              `json:"domainname"`
	Rlimits    map[string]*[2]int64 `json:"rlimits"`
	Fds        [][2]int             `json:"fds"`
	Sigmask    *string              `json:"sigmask"`
	Sigign     string               `json:"sigign"`
	Sighandled string               `json:"sighandled"`
	Sid        *int                 `json:"sid"`
	Pgid       *int                 `json:"pgid"`
	TtyNr      *int64               `json:"tty_nr"`
	Ctty       int                  `json:"ctty"`
	Root       []string             `json:"root"`
	RootFlags  *struct {
		Ro, Nosuid, Nodev, Noexec, Noatime int
	} `json:"root_flags"`
}

// fd returns whether fd is open in the probe and its close-on-exec bit.
func (r *report) fd(fd int) (open, cloexec bool) {
	for _, f := range r.Fds {
		if f[0] == fd {
			return true, f[1] != 0
		}
	}
	return false, false
}

// probeRun is one start of the probe: its pid, wait status and output.
type probeRun struct {
	pid    int
	status syscall.WaitStatus
	out    []byte
}

// startProbe starts the probe under r with its report written to a pipe:
// when r.Files is nil, Files becomes {/dev/null, pipe, 2} and the report
// goes to fd 1; otherwise the pipe is appended to r.Files.  Args becomes
// "probe --out-fd N extra..." unless r.Args is already set (then it must
// carry "--out-fd N" itself: 1 when Files is nil, else len(Files)).  It
// returns the error of Start and, on success, the reaped child's pid,
// wait status and output.  A start that fails leaves nothing to reap.
func startProbe(t *testing.T, r *forkexec.Runner, extra ...string) (probeRun, error) {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()

	outFd := len(r.Files)
	if r.Files == nil {
		r.Files = []uintptr{devnull.Fd(), wr.Fd(), 2}
		outFd = 1
	} else {
		r.Files = append(r.Files, wr.Fd())
	}
	if r.Args == nil {
		r.Args = append([]string{probePath, "--out-fd", strconv.Itoa(outFd)}, extra...)
	}
	return startWithPipe(t, r, rd, wr)
}

// startWithPipe starts r whose report goes to the pipe wr, which it closes
// once Start returns, then reads rd to its end and reaps the child.
func startWithPipe(t *testing.T, r *forkexec.Runner, rd, wr *os.File) (probeRun, error) {
	t.Helper()
	pid, err := r.Start()
	wr.Close()
	if err != nil {
		if pid != 0 {
			t.Errorf("Start failed (%v) but returned pid %d", err, pid)
		}
		return probeRun{}, err
	}
	run := probeRun{pid: pid}
	run.out, err = io.ReadAll(rd)
	if err != nil {
		t.Errorf("reading the report: %v", err)
	}
	run.status = reap(t, pid)
	return run, nil
}

// runProbe is startProbe that must succeed, with a probe that exits 0 and
// prints a report.
func runProbe(t *testing.T, r *forkexec.Runner, extra ...string) report {
	t.Helper()
	run, err := startProbe(t, r, extra...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return decodeReport(t, run)
}

// decodeReport checks that the probe exited 0 and decodes its report.
func decodeReport(t *testing.T, run probeRun) report {
	t.Helper()
	if !run.status.Exited() || run.status.ExitStatus() != 0 {
		t.Fatalf("probe ended with wait status %#x, output %q", run.status, run.out)
	}
	var rep report
	if err := json.Unmarshal(bytes.TrimSpace(run.out), &rep); err != nil {
		t.Fatalf("probe report %q: %v", run.out, err)
	}
	if rep.Pid == 0 {
		t.Fatalf("probe report without a pid: %q", run.out)
	}
	return rep
}

// reap waits for pid (which must be our child) and returns its status.
func reap(t testing.TB, pid int) syscall.WaitStatus {
	t.Helper()
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || got != pid {
			t.Fatalf("wait4(%d) = %d, %v", pid, got, err)
		}
		return ws
	}
}

// killAndReap ends a child a test left behind after a failure.
func killAndReap(t testing.TB, pid int) {
	t.Helper()
	_ = syscall.Kill(pid, syscall.SIGKILL)
	reap(t, pid)
}

// children lists every process whose parent is this process, zombies
// included, read from /proc/*/stat.
func children(t testing.TB) []string {
	t.Helper()
	self := os.Getpid()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process went away meanwhile
		}
		// comm may hold spaces and ')': the fields after the last ')'
		// are "state ppid ...".
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 {
			t.Fatalf("cannot parse %s: %q", path, s)
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == self {
			found = append(found, fmt.Sprintf("%s (state %s)", filepath.Dir(path), fields[0]))
		}
	}
	return found
}

// requireNoChildren fails when any child of ours is left, running or
// zombie.  Every test reaps its own successful children, so whatever is
// found was left by a Start that failed.
func requireNoChildren(t testing.TB) {
	t.Helper()
	if left := children(t); len(left) > 0 {
		t.Fatalf("children left behind: %v", left)
	}
}

// startFail runs a Start that must fail with a ChildError value and leave
// no child behind.
func startFail(t *testing.T, r *forkexec.Runner, extra ...string) forkexec.ChildError {
	t.Helper()
	run, err := startProbe(t, r, extra...)
	if err == nil {
		t.Fatalf("Start succeeded (pid %d, status %#x, report %q); want a ChildError", run.pid, run.status, run.out)
	}
	ce, ok := err.(forkexec.ChildError)
	if !ok {
		t.Fatalf("Start error %v is a %T, not a forkexec.ChildError value", err, err)
	}
	requireNoChildren(t)
	return ce
}

// wantChildError compares a ChildError with what a test expects.
func wantChildError(t *testing.T, got forkexec.ChildError, loc forkexec.ErrorLocation, index int, errno syscall.Errno) {
	t.Helper()
	want := forkexec.ChildError{Err: errno, Location: loc, Index: index}
	if got != want {
		t.Fatalf("ChildError = %+v (%v), want %+v (%v)", got, got, want, want)
	}
}

// selfNS is the inode of this process's namespace of a kind.
func selfNS(t testing.TB, kind string) uint64 {
	t.Helper()
	fi, err := os.Stat("/proc/self/ns/" + kind)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
