//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// asCommand makes the test binary run as cfe-run itself (realMain), so
// the tests run the very code main does, race detector included.
const asCommand = "CFE_RUN_TEST_AS_COMMAND"

// noRaceExitSleep spares each command of a -race test binary the race
// runtime's one-second sleep at exit.
const noRaceExitSleep = "GORACE=atexit_sleep_ms=0"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildDir  string // the compiled test program's directory
	judged    string // testdata/judged.c, compiled
	buildErr  error
)

// judgedProgram is testdata/judged.c compiled with gcc (static where libc's
// archive is there), or the test is skipped when gcc is missing.
func judgedProgram(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			buildErr = fmt.Errorf("skip: gcc is not installed: %v", err)
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "cfe-run-test-prog-"); buildErr != nil {
			return
		}
		judged = filepath.Join(buildDir, "judged")
		var out []byte
		for _, static := range []bool{true, false} {
			args := []string{"-O1", "-Wall", "-Werror", "-o", judged, "testdata/judged.c"}
			if static {
				args = append(args, "-static")
			}
			if out, buildErr = exec.Command(gcc, args...).CombinedOutput(); buildErr == nil {
				return
			}
		}
		buildErr = fmt.Errorf("gcc: %v\n%s", buildErr, out)
	})
	if buildErr != nil {
		if strings.HasPrefix(buildErr.Error(), "skip: ") {
			t.Skip(buildErr)
		}
		t.Fatal(buildErr)
	}
	return judged
}

// cmdResult is one cfe-run command's outcome.
type cmdResult struct {
	code           int
	stdout, stderr string
	res            result
}

// cfeRun runs cfe-run with args and a TMPDIR of its own, decodes its JSON
// line when it printed one, and checks that it left neither its run
// directory nor a cgroup behind.
func cfeRun(t *testing.T, extra []*os.File, args ...string) cmdResult {
	t.Helper()
	return cfeRunSpec(t, runSpec{extra: extra}, args...)
}

// runSpec is how cfeRunSpec runs cfe-run: with extra inherited files, in
// the given TMPDIR ("": a new one), under a wrapper command (wrap, then
// cfe-run and its arguments), with stdout to a file (stdout, else a pipe).
type runSpec struct {
	extra  []*os.File
	tmp    string
	wrap   []string
	stdout *os.File
}

// newRunTmp is a TMPDIR for runs, removed after the test: not under
// t.TempDir(), whose parent only root may search, since the run's
// directory must be reachable by the run's unprivileged uid.
func newRunTmp(t *testing.T) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "cfe-run-test-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o711); err != nil {
		t.Fatal(err)
	}
	return tmp
}

func cfeRunSpec(t *testing.T, spec runSpec, args ...string) cmdResult {
	t.Helper()
	tmp := spec.tmp
	if tmp == "" {
		tmp = newRunTmp(t)
	}
	argv := append(append(append([]string{}, spec.wrap...), os.Args[0]), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), asCommand+"=1", "TMPDIR="+tmp, noRaceExitSleep)
	cmd.ExtraFiles = spec.extra
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if spec.stdout != nil {
		cmd.Stdout = spec.stdout
	}
	err := cmd.Run()
	if spec.stdout != nil {
		got, _ := os.ReadFile(spec.stdout.Name())
		stdout.Write(got)
	}
	r := cmdResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("cfe-run %q: %v", args, err)
	}
	if r.code == 0 && !(len(args) == 1 && (args[0] == "--help" || args[0] == "-h")) {
		if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "\n") {
			t.Fatalf("cfe-run %q: want one JSON line, stdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &r.res); err != nil {
			t.Fatalf("cfe-run %q: %v in %s", args, err, r.stdout)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("cfe-run %q left %s in TMPDIR", args, e.Name())
	}
	if dir := ownCgroup2Dir(); dir != "" {
		stale, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("cfe-run-%d-*", cmd.Process.Pid)))
		for _, s := range stale {
			t.Errorf("cfe-run %q left cgroup %s", args, s)
		}
	}
	return r
}

// ownCgroup2Dir is this process's cgroup v2 directory ("" without one):
// where the runs' cgroups would be.
func ownCgroup2Dir() string {
	mi, err1 := os.ReadFile("/proc/self/mountinfo")
	self, err2 := os.ReadFile("/proc/self/cgroup")
	if err1 != nil || err2 != nil {
		return ""
	}
	dir, err := cgroup2Dir(string(mi), string(self))
	if err != nil {
		return ""
	}
	return dir
}

func TestRunStatuses(t *testing.T) {
	prog := judgedProgram(t)
	nonExec := filepath.Join(buildDir, "not-executable")
	if err := os.WriteFile(nonExec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	intOf := func(p *int) string {
		if p == nil {
			return "null"
		}
		return strconv.Itoa(*p)
	}
	cases := []struct {
		name   string
		flags  []string
		argv   []string
		status string
		check  func(t *testing.T, r result, out string)
	}{
		{"exit 0", nil, []string{prog, "exit", "0"}, statusOK, func(t *testing.T, r result, _ string) {
			if intOf(r.ExitCode) != "0" || r.Signal != nil || r.Error != nil {
				t.Errorf("exit_code %s signal %s error %v, want 0, null, null", intOf(r.ExitCode), intOf(r.Signal), r.Error)
			}
		}},
		{"exit 3", nil, []string{prog, "exit", "3"}, statusRuntimeError, func(t *testing.T, r result, _ string) {
			if intOf(r.ExitCode) != "3" || r.Signal != nil {
				t.Errorf("exit_code %s signal %s, want 3 and null", intOf(r.ExitCode), intOf(r.Signal))
			}
		}},
		{"infinite loop", []string{"--time", "0.5", "--wall-time", "10"}, []string{prog, "loop"}, statusTimeLimit,
			func(t *testing.T, r result, _ string) {
				if r.CPUTimeMs < 500 {
					t.Errorf("cpu_time_ms %d, want at least the limit (500)", r.CPUTimeMs)
				}
			}},
		{"sleep", []string{"--time", "0.5", "--wall-time", "1"}, []string{prog, "sleep"}, statusWallTimeLimit,
			func(t *testing.T, r result, _ string) {
				if intOf(r.Signal) != "9" {
					t.Errorf("signal %s, want 9 (cfe-run's kill)", intOf(r.Signal))
				}
			}},
		{"unbounded allocation", []string{"--memory", "64M"}, []string{prog, "alloc"}, statusMemoryLimit,
			func(t *testing.T, r result, _ string) {
				if r.Limits.MemoryBytes.Value != 64<<20 || r.Limits.MemoryBytes.By == "none" {
					t.Errorf("limits.memory_bytes %+v, want 64 MiB enforced", r.Limits.MemoryBytes)
				}
			}},
		{"unbounded writing", []string{"--output", "1M"}, []string{prog, "write"}, statusOutputLimit,
			func(t *testing.T, _ result, out string) {
				if len(out) != 1<<20 {
					t.Errorf("stdout has %d bytes, want exactly the limit (1 MiB)", len(out))
				}
			}},
		{"forbidden syscall", nil, []string{prog, "socket"}, statusDisallowedSyscall, func(t *testing.T, r result, _ string) {
			if intOf(r.Signal) != "31" {
				t.Errorf("signal %s, want 31 (SIGSYS)", intOf(r.Signal))
			}
		}},
		{"socket without the policy", []string{"--seccomp", "off"}, []string{prog, "socket"}, statusRuntimeError,
			func(t *testing.T, r result, _ string) {
				// No network namespace device to reach, but the call itself works.
				if intOf(r.ExitCode) != "5" {
					t.Errorf("exit_code %s, want 5 (socket succeeded)", intOf(r.ExitCode))
				}
			}},
		{"SIGSEGV", nil, []string{prog, "segv"}, statusRuntimeError, func(t *testing.T, r result, _ string) {
			if intOf(r.Signal) != "11" || r.ExitCode != nil {
				t.Errorf("signal %s exit_code %s, want 11 and null", intOf(r.Signal), intOf(r.ExitCode))
			}
		}},
		{"missing program", nil, []string{filepath.Join(buildDir, "no-such-program")}, statusRunnerError,
			func(t *testing.T, r result, _ string) {
				if r.Error == nil || r.Error.Step != "execve" || r.Error.ErrnoName != "ENOENT" {
					t.Errorf("error %+v, want step execve, ENOENT", r.Error)
				}
			}},
		{"non-executable program", nil, []string{nonExec}, statusRunnerError, func(t *testing.T, r result, _ string) {
			if r.Error == nil || r.Error.Step != "execve" || r.Error.ErrnoName != "EACCES" {
				t.Errorf("error %+v, want step execve, EACCES", r.Error)
			}
		}},
		{"a directory", nil, []string{buildDir}, statusRunnerError, func(t *testing.T, r result, _ string) {
			if r.Error == nil || r.Error.Step != "program" || r.Error.ErrnoName != "EACCES" {
				t.Errorf("error %+v, want step program, EACCES", r.Error)
			}
		}},
		{"sum of stdin", []string{"--stdin", "STDIN"}, []string{prog, "sum"}, statusOK, func(t *testing.T, _ result, out string) {
			if out != "60\n" {
				t.Errorf("stdout %q, want \"60\\n\"", out)
			}
		}},
		{"the program's view", nil, []string{prog, "whoami"}, statusOK, func(t *testing.T, _ result, out string) {
			if out != "uid=0 gid=0 cwd=/w w=writable\n" {
				t.Errorf("stdout %q, want uid 0, gid 0, in a writable /w", out)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out, in := filepath.Join(dir, "out"), filepath.Join(dir, "in")
			if err := os.WriteFile(in, []byte("10 20\n30\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			flags := append([]string{"--stdout", out}, c.flags...)
			for i, f := range flags {
				if f == "STDIN" {
					flags[i] = in
				}
			}
			r := cfeRun(t, nil, append(append(flags, "--"), c.argv...)...)
			if r.code != 0 {
				t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
			}
			if r.res.Status != c.status {
				t.Fatalf("status %s, want %s; result %s", r.res.Status, c.status, r.stdout)
			}
			got, _ := os.ReadFile(out)
			c.check(t, r.res, string(got))
		})
	}
}

// A fork bomb under the fork policy is held by the process limit and ends
// with the run: afterwards no process of its uid is left.  Where this
// build refuses the fork policy (no go/seccomp), it runs without a filter:
// the process limit is what is tested.
func TestRunForkBomb(t *testing.T) {
	prog := judgedProgram(t)
	policy := "fork"
	if _, err := forkFilter(); err != nil {
		t.Logf("--seccomp=fork is refused here, the fork bomb runs with --seccomp=off: %v", err)
		policy = "off"
	}
	uid := 300000 + os.Getpid()%100000 // this test's own host uid
	before := hostProcesses(t, -1)
	out := filepath.Join(t.TempDir(), "out")
	r := cfeRun(t, nil, "--seccomp", policy, "--procs", "8", "--time", "0.5", "--wall-time", "1",
		"--uid", strconv.Itoa(uid), "--gid", strconv.Itoa(uid), "--stdout", out, "--", prog, "forkbomb")
	if r.code != 0 {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	if r.res.Status != statusTimeLimit && r.res.Status != statusWallTimeLimit {
		t.Errorf("status %s, want time_limit or wall_time_limit; result %s", r.res.Status, r.stdout)
	}
	if r.res.Limits.Procs.By != "rlimit_nproc" && r.res.Limits.Procs.By != "cgroup_v2" {
		t.Errorf("limits.procs %+v, want enforced", r.res.Limits.Procs)
	}
	got, _ := os.ReadFile(out)
	if n := strings.Count(string(got), "EAGAIN\n"); n < 1 || n > 8 {
		t.Errorf("%d processes saw fork fail with EAGAIN, want 1 to 8 (the limit)", n)
	}
	if left := hostProcesses(t, uid); left != 0 {
		t.Errorf("%d processes of uid %d are left after the run", left, uid)
	}
	t.Logf("host processes: %d before the run, %d after (other work on the machine moves this)",
		before, hostProcesses(t, -1))
}

// hostProcesses counts the host's processes whose real uid is uid (any
// uid: -1).
func hostProcesses(t *testing.T, uid int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if uid < 0 {
			n++
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue // gone meanwhile
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] == strconv.Itoa(uid) {
				n++
			}
		}
	}
	return n
}

// An fd cfe-run inherits without close-on-exec never reaches the program.
func TestRunNoInheritedFds(t *testing.T) {
	prog := judgedProgram(t)
	stray, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer stray.Close()
	out := filepath.Join(t.TempDir(), "out")
	r := cfeRun(t, []*os.File{stray, stray}, "--stdout", out, "--", prog, "fds")
	if r.code != 0 || r.res.Status != statusOK {
		t.Fatalf("exit status %d, result %s, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "fds=0\n" {
		t.Errorf("the program saw %q, want no fd above 2 (fds=0)", got)
	}
}

func TestBadUsage(t *testing.T) {
	cases := map[string][]string{
		"no program":          {},
		"no program after --": {"--time", "1", "--"},
		"empty program":       {"--", ""},
		"unknown flag":        {"--bogus", "--", "x"},
		"bad number":          {"--time", "fast", "--", "x"},
		"negative time":       {"--time=-1", "--", "x"},
		"bad size":            {"--memory", "12X", "--", "x"},
		"bad procs":           {"--procs", "-3", "--", "x"},
		"bad seccomp":         {"--seccomp", "maybe", "--", "x"},
		"uid 0":               {"--uid", "0", "--", "x"},
		"empty stdin":         {"--stdin", "", "--", "x"},
		"flag without value":  {"--memory"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := cfeRun(t, nil, args...)
			if r.code != 2 {
				t.Errorf("exit status %d, want 2; stdout %q", r.code, r.stdout)
			}
			if r.stdout != "" || !strings.HasPrefix(r.stderr, "cfe-run: ") || !strings.Contains(r.stderr, "usage:") {
				t.Errorf("stdout %q stderr %q: want nothing on stdout, a message and the usage line on stderr",
					r.stdout, r.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		r := cfeRun(t, nil, arg)
		if r.code != 0 {
			t.Fatalf("%s: exit status %d", arg, r.code)
		}
		for _, want := range []string{"--time", "--wall-time", "--memory", "--output", "--procs", "--files",
			"--uid", "--gid", "--seccomp", "--stdin", "--stdout", "--stderr", "Example:", statusOK, statusTimeLimit,
			statusWallTimeLimit, statusMemoryLimit, statusOutputLimit, statusRuntimeError, statusDisallowedSyscall,
			statusRunnerError, "Exit status"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s does not mention %q", arg, want)
			}
		}
	}
}

// A TMPDIR the run's uid cannot reach is a runner_error at workdir.
func TestRunUnreachableTmpdir(t *testing.T) {
	prog := judgedProgram(t)
	closed := t.TempDir() // its parent is 0700
	cmd := exec.Command(os.Args[0], "--", prog, "exit", "0")
	cmd.Env = append(os.Environ(), asCommand+"=1", "TMPDIR="+closed, noRaceExitSleep)
	out, err := cmd.Output()
	var res result
	if err != nil || json.Unmarshal(out, &res) != nil {
		t.Fatalf("cfe-run: %v, stdout %s", err, out)
	}
	if res.Status != statusRunnerError || res.Error == nil || res.Error.Step != "workdir" || res.Error.ErrnoName != "EACCES" {
		t.Errorf("result %s, want runner_error at workdir, EACCES", out)
	}
	if left, _ := os.ReadDir(closed); len(left) != 0 {
		t.Errorf("%d entries left in TMPDIR", len(left))
	}
}

// A run whose stdio cannot be opened is a runner_error naming the file.
func TestRunStdioErrors(t *testing.T) {
	prog := judgedProgram(t)
	missing := filepath.Join(t.TempDir(), "missing", "file")
	for _, flag := range []string{"stdin", "stdout", "stderr"} {
		r := cfeRun(t, nil, "--"+flag, missing, "--", prog, "exit", "0")
		if r.code != 0 || r.res.Status != statusRunnerError || r.res.Error == nil || r.res.Error.Step != flag ||
			r.res.Error.ErrnoName != "ENOENT" {
			t.Errorf("--%s missing: exit status %d, result %s", flag, r.code, r.stdout)
		}
	}
}
