//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests of the security review's findings: each fails on the
// cfe-run before the fix.

// runOut runs cfe-run with --stdout to a new file and the flags, expects
// exit status 0 and returns the result and the program's output.
func runOut(t *testing.T, spec runSpec, args ...string) (result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	r := cfeRunSpec(t, spec, append([]string{"--stdout", out}, args...)...)
	if r.code != 0 {
		t.Fatalf("cfe-run %q: exit status %d, stderr:\n%s", args, r.code, r.stderr)
	}
	got, _ := os.ReadFile(out)
	return r.res, string(got)
}

// wantStatus fails the test unless res has the status.
func wantStatus(t *testing.T, res result, status string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %s, want %s; result %+v", res.Status, status, res)
	}
}

// wantRunnerError fails the test unless res is a runner_error at step
// whose message contains text.
func wantRunnerError(t *testing.T, res result, step, text string) {
	t.Helper()
	if res.Status != statusRunnerError || res.Error == nil || res.Error.Step != step ||
		!strings.Contains(res.Error.Message, text) {
		t.Fatalf("result %+v (error %+v), want runner_error at %s saying %q", res, res.Error, step, text)
	}
}

// needCore skips a test of what only the C core does: without it
// (CGO_ENABLED=0) runs start without a parent-death signal, the judge
// policy is the reference builder's, and the reference's start fails
// (ENOENT, a runner_error) on the remount of a nested mount.
func needCore(t *testing.T) {
	t.Helper()
	if !withCore {
		t.Skip("skip: this build starts runs through the reference's fallback, not the C core")
	}
}

// privateMounts is a wrapper that runs cfe-run in a private mount
// namespace of its own after the shell commands setup (nothing is
// mounted on the host), or skips the test where that is refused.
func privateMounts(t *testing.T, setup string) []string {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("skip: no unshare(1) to make a private mount namespace")
	}
	if out, err := exec.Command("unshare", "--mount", "--propagation", "private", "true").CombinedOutput(); err != nil {
		t.Skipf("skip: unshare --mount refused: %v %s", err, out)
	}
	return []string{"unshare", "--mount", "--propagation", "private", "sh", "-ec", setup + `; exec "$0" "$@"`}
}

// Finding 1: SIGKILL of cfe-run kills the program (its parent-death
// signal), and the run directory it leaves is swept by the next run.
func TestRunDiesWithCfeRun(t *testing.T) {
	needCore(t)
	prog := judgedProgram(t)
	tmp := newRunTmp(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(os.Args[0], "--time", "0", "--wall-time", "0", "--stdout", out, "--", prog, "ready-sleep")
	cmd.Env = append(os.Environ(), asCommand+"=1", "TMPDIR="+tmp, noRaceExitSleep)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var child int
	for i := 0; child == 0; i++ {
		if i == 3000 {
			t.Fatal("the program did not say it was ready")
		}
		if got, _ := os.ReadFile(out); string(got) == "ready\n" {
			child = childOf(t, cmd.Process.Pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// The program sleeps 30 s: well before that, it must be gone.
	for i := 0; alive(child); i++ {
		if i == 1000 {
			t.Fatalf("the program (pid %d) outlived cfe-run's SIGKILL by 10 s", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, runDirPrefix+"*"))
	if len(left) != 1 {
		t.Fatalf("%d run directories after the SIGKILL, want the killed run's one: %q", len(left), left)
	}
	// The next run removes it (cfeRunSpec checks TMPDIR is empty after).
	r := cfeRunSpec(t, runSpec{tmp: tmp}, "--", prog, "exit", "0")
	if r.code != 0 || r.res.Status != statusOK {
		t.Fatalf("the next run: exit status %d, %s %s", r.code, r.stdout, r.stderr)
	}
}

// childOf is the one child process of pid (cfe-run: its program).
func childOf(t *testing.T, pid int) int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var kids []string
	for _, task := range tasks {
		b, _ := os.ReadFile(task)
		kids = append(kids, strings.Fields(string(b))...)
	}
	if len(kids) != 1 {
		t.Fatalf("cfe-run (pid %d) has children %q, want one", pid, kids)
	}
	n, err := strconv.Atoi(kids[0])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// alive says whether pid is a process that has not ended (a zombie has).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// Finding 2: a mount nested under a bound host directory is not carried
// into the sandbox writable; the binds are nosuid and nodev.
func TestRunNestedMountReadOnly(t *testing.T) {
	needCore(t)
	prog := judgedProgram(t)
	if fi, err := os.Stat("/usr/local"); err != nil || !fi.IsDir() {
		t.Skip("skip: no /usr/local to mount on")
	}
	wrap := privateMounts(t, "mount -t tmpfs -o size=1m,mode=1777 cfe-run-test /usr/local")
	for dir, want := range map[string]string{
		"/usr/local": "write=EROFS ro=1 nosuid=1 nodev=1\n",
		"/usr":       "write=EROFS ro=1 nosuid=1 nodev=1\n",
	} {
		// --seccomp off: the probe's statfs is outside the judge policy.
		res, out := runOut(t, runSpec{wrap: wrap}, "--seccomp", "off", "--", prog, "probe", dir)
		if res.Error != nil {
			t.Fatalf("%s: %+v", dir, res.Error)
		}
		wantStatus(t, res, statusOK)
		if out != want {
			t.Errorf("%s inside: %q, want %q", dir, out, want)
		}
	}
}

// Finding 3: /w is a tmpfs of --work-size, not the host's disk; --file
// copies input files to /prog.
func TestRunWorkTmpfsAndFiles(t *testing.T) {
	prog := judgedProgram(t)
	res, out := runOut(t, runSpec{}, "--work-size", "4M", "--", prog, "fill", "16")
	wantStatus(t, res, statusOK)
	if out != "ENOSPC after 4 MiB\n" && out != "ENOSPC after 3 MiB\n" {
		t.Errorf("writing 16 MiB to /w under --work-size 4M: %q, want ENOSPC at 4 MiB", out)
	}
	if res.Limits.WorkBytes != (limit{Value: 4 << 20, By: "tmpfs"}) {
		t.Errorf("limits.work_bytes %+v, want 4 MiB by tmpfs", res.Limits.WorkBytes)
	}
	input := filepath.Join(t.TempDir(), "input.txt")
	if err := os.WriteFile(input, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, out = runOut(t, runSpec{}, "--file", input, "--", prog, "cat", "/prog/input.txt")
	wantStatus(t, res, statusOK)
	if out != "hello\n" {
		t.Errorf("/prog/input.txt reads %q, want the --file's content", out)
	}
	res, out = runOut(t, runSpec{}, "--seccomp", "off", "--file", input, "--", prog, "probe", "/prog")
	wantStatus(t, res, statusOK)
	if out != "write=EROFS ro=1 nosuid=1 nodev=1\n" {
		t.Errorf("/prog: %q, want read-only", out)
	}
}

// compile builds testdata/NAME.c statically (dynamically where that
// fails) into a temporary directory, or skips without gcc.
func compile(t *testing.T, name string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("skip: gcc is not installed")
	}
	exe := filepath.Join(t.TempDir(), name)
	var out []byte
	for _, static := range []string{"-static", "-O1"} {
		if out, err = exec.Command(gcc, "-O1", "-Wall", "-Werror", static, "-o", exe, "testdata/"+name+".c").
			CombinedOutput(); err == nil {
			return exe
		}
	}
	t.Fatalf("gcc: %v\n%s", err, out)
	return ""
}

// Finding 4: the memory status under rlimits.
func TestRunMemoryStatus(t *testing.T) {
	prog := judgedProgram(t)
	t.Run("static array over the limit", func(t *testing.T) {
		res, _ := runOut(t, runSpec{}, "--memory", "256M", "--", compile(t, "bigstatic"))
		if res.Limits.MemoryBytes.By != "rlimit_as" {
			t.Skipf("skip: memory enforced by %s here, not RLIMIT_AS", res.Limits.MemoryBytes.By)
		}
		wantStatus(t, res, statusMemoryLimit)
		if res.ExitCode != nil || res.Signal != nil || res.MemorySource != "elf_static_size" ||
			res.MemoryBytes < 300<<20 {
			t.Errorf("result %+v, want not started (no exit code or signal), 300 MiB from the ELF file", res)
		}
	})
	t.Run("used 48M of 64M, then exit 1", func(t *testing.T) {
		res, _ := runOut(t, runSpec{}, "--memory", "64M", "--", prog, "use", "48")
		wantStatus(t, res, statusRuntimeError)
	})
	t.Run("exit 3 under 6M", func(t *testing.T) {
		res, _ := runOut(t, runSpec{}, "--memory", "6M", "--", prog, "exit", "3")
		wantStatus(t, res, statusRuntimeError)
	})
	t.Run("allocation until it fails", func(t *testing.T) {
		res, _ := runOut(t, runSpec{}, "--memory", "32M", "--", prog, "alloc")
		wantStatus(t, res, statusMemoryLimit)
	})
}

// Finding 5, documented: the program is its pid namespace's init, so an
// abort() shows up as SIGSEGV.
func TestRunAbortIsSIGSEGV(t *testing.T) {
	needCore(t)
	res, _ := runOut(t, runSpec{}, "--", judgedProgram(t), "abort")
	wantStatus(t, res, statusRuntimeError)
	if res.Signal == nil || *res.Signal != int(syscall.SIGSEGV) {
		t.Errorf("signal %v, want 11 as doc.go and --help say", res.Signal)
	}
}

// Findings 6, 8 and 9: stdio and PROGRAM that are FIFOs, terminals or the
// same file are refused (never waited on), and two names of one output
// share one open file.
func TestRunStdioRefusals(t *testing.T) {
	prog := judgedProgram(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, []byte("1 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A reader keeps the FIFO openable for writing without blocking.
	reader, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, c := range []struct {
		name, step, text string
		args             []string
	}{
		{"FIFO stdin", "stdin", "not a regular file", []string{"--stdin", fifo, "--", prog, "sum"}},
		{"FIFO stdout", "stdout", "not a regular file", []string{"--stdout", fifo, "--", prog, "exit", "0"}},
		{"FIFO stderr", "stderr", "not a regular file", []string{"--stderr", fifo, "--", prog, "exit", "0"}},
		{"FIFO PROGRAM", "program", "not a regular file", []string{"--", fifo}},
		{"FIFO --file", "file", "not a regular file", []string{"--file", fifo, "--", prog, "exit", "0"}},
		{"stdout is stdin", "stdout", "--stdin file", []string{"--stdin", in, "--stdout", in, "--", prog, "sum"}},
		{"stderr is stdin", "stderr", "--stdin file", []string{"--stdin", in, "--stderr", dir + "/./in", "--", prog, "sum"}},
		{"/dev/stdout", "stdout", "not a regular file", []string{"--stdout", "/dev/stdout", "--", prog, "exit", "0"}},
		{"bare name not in PATH", "program", "not a program in $PATH", []string{"--", "cfe-run-no-such-program"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := cfeRun(t, nil, c.args...)
			if r.code != 0 {
				t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
			}
			wantRunnerError(t, r.res, c.step, c.text)
		})
	}
	if got, _ := os.ReadFile(in); string(got) != "1 2\n" {
		t.Errorf("--stdin file now holds %q: truncated", got)
	}
	t.Run("terminal stdin", func(t *testing.T) {
		if _, err := os.Stat("/dev/ptmx"); err != nil {
			t.Skip("skip: no /dev/ptmx")
		}
		r := cfeRun(t, nil, "--stdin", "/dev/ptmx", "--", prog, "exit", "0")
		wantRunnerError(t, r.res, "stdin", "terminal")
	})
	t.Run("stdout is cfe-run's own stdout file", func(t *testing.T) {
		own, err := os.Create(filepath.Join(t.TempDir(), "json"))
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		r := cfeRunSpec(t, runSpec{stdout: own}, "--stdout", own.Name(), "--", prog, "exit", "0")
		wantRunnerError(t, r.res, "stdout", "cfe-run's own standard output")
	})
	t.Run("one output under two names", func(t *testing.T) {
		out := filepath.Join(dir, "both")
		r := cfeRun(t, nil, "--stderr", dir+"/./both", "--stdout", out, "--", prog, "both")
		wantStatus(t, r.res, statusOK)
		if got, _ := os.ReadFile(out); string(got) != "out\nerr\n" {
			t.Errorf("the shared output holds %q, want \"out\\nerr\\n\"", got)
		}
	})
}

// Finding 7: --cgroup takes only a delegated cgroup v2 directory, and
// says why another is refused.
func TestRunCgroupFlag(t *testing.T) {
	prog := judgedProgram(t)
	r := cfeRun(t, nil, "--cgroup", t.TempDir(), "--", prog, "exit", "0")
	wantRunnerError(t, r.res, "cgroup", "not a cgroup v2 directory")
	own := ownCgroup2Dir()
	if own == "" {
		t.Skip("skip: no cgroup v2 hierarchy here")
	}
	if delegated(own) == nil {
		t.Skipf("skip: %s has the controllers delegated", own)
	}
	r = cfeRun(t, nil, "--cgroup", own, "--", prog, "exit", "0")
	wantRunnerError(t, r.res, "cgroup", "controller is not in its cgroup.subtree_control")
}

// Finding 8: a $TMPDIR on a noexec mount is said to be the problem.
func TestRunNoexecTmpdir(t *testing.T) {
	prog := judgedProgram(t)
	tmp := newRunTmp(t)
	wrap := privateMounts(t, "mount -t tmpfs -o noexec,mode=0711 cfe-run-test "+tmp)
	r := cfeRunSpec(t, runSpec{tmp: tmp, wrap: wrap}, "--", prog, "exit", "0")
	wantRunnerError(t, r.res, "workdir", "noexec")
}

// Finding 9: flags that would mean something else than they say.
func TestBadUsageHardened(t *testing.T) {
	cases := map[string][]string{
		"time rounding to 0":    {"--time", "1e-10", "--", "x"},
		"time of 0.4ns":         {"--time", "0.4ns", "--", "x"},
		"wall time below 1ms":   {"--wall-time", "500us", "--", "x"},
		"work size 0":           {"--work-size", "0", "--", "x"},
		"--file named PROGRAM":  {"--file", "/a/x", "--", "/b/x"},
		"two --file, same name": {"--file", "/a/in", "--file", "/b/in", "--", "x"},
		"empty --file":          {"--file", "", "--", "x"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := cfeRun(t, nil, args...)
			if r.code != 2 || r.stdout != "" || !bytes.Contains([]byte(r.stderr), []byte("usage:")) {
				t.Errorf("exit status %d, stdout %q, stderr %q: want 2, nothing, a message and the usage line",
					r.code, r.stdout, r.stderr)
			}
		})
	}
}
