//go:build linux && cgo && (amd64 || arm64)

package seccomp_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/seccomp"
	sandboxseccomp "github.com/criyle/go-sandbox/pkg/seccomp"
)

// policyProg is tests/policy_prog.c, what the judge lists are tried on,
// compiled with gcc, linked statically or not; the test is skipped when
// gcc (or, static, libc's archive) is missing.
func policyProg(t *testing.T, static bool) string {
	t.Helper()
	i := 0
	if static {
		i = 1
	}
	progs[i].once.Do(func() {
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			progs[i].skip = "gcc is not installed: " + err.Error()
			return
		}
		path := filepath.Join(filepath.Dir(probePath), "policy-prog-"+strconv.Itoa(i))
		args := []string{"-std=gnu11", "-D_GNU_SOURCE", "-O2", "-o", path, filepath.Join("..", "..", "tests", "policy_prog.c")}
		if static {
			args = append(args, "-static")
		}
		if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
			progs[i].skip = "gcc cannot build tests/policy_prog.c here: " + err.Error() + "\n" + string(out)
			return
		}
		progs[i].path = path
	})
	if progs[i].skip != "" {
		t.Skip(progs[i].skip)
	}
	return progs[i].path
}

var progs [2]struct {
	once       sync.Once
	path, skip string
}

// policyProgExitRan is policy_prog's exit status for a call that should
// have been stopped but ran.
const policyProgExitRan = 3

// filterOf is what one of the Judge functions builds, for Runner.Seccomp.
func filterOf(t *testing.T, judge func() (sandboxseccomp.Filter, error)) *syscall.SockFprog {
	t.Helper()
	filter, err := judge()
	if err != nil || len(filter) == 0 {
		t.Fatalf("%d instructions, %v", len(filter), err)
	}
	return filter.SockFprog()
}

func wantExit(t *testing.T, what string, ws syscall.WaitStatus, code int) {
	t.Helper()
	if !ws.Exited() || ws.ExitStatus() != code {
		t.Errorf("%s: wait status %#x (signal %v), want exit %d", what, ws, ws.Signal(), code)
	}
}

func wantSIGSYS(t *testing.T, what string, ws syscall.WaitStatus) {
	t.Helper()
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Errorf("%s: wait status %#x, want death by SIGSYS", what, ws)
	}
}

// A C program sorting 100000 ints with qsort (glibc 2.36's asks sysinfo)
// and printing them, linked statically and dynamically, and one polling
// with a zero timeout (as Rust's start-up does) run to exit 0 under the
// judge policies.
func TestJudgePoliciesRunOrdinaryPrograms(t *testing.T) {
	requireRoot(t)
	const n = 100000
	for _, static := range []bool{true, false} {
		prog := policyProg(t, static)
		for name, f := range map[string]func() (sandboxseccomp.Filter, error){"default": seccomp.JudgeDefault, "fork": seccomp.JudgeFork} {
			what := name + " static=" + strconv.FormatBool(static)
			out, ws := startProgram(t, filterOf(t, f), prog, "qsort", strconv.Itoa(n))
			wantExit(t, what+" qsort", ws, 0)
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) != n {
				t.Errorf("%s qsort: %d lines, want %d", what, len(lines), n)
			}
			prev := -1
			for i, l := range lines {
				v, err := strconv.Atoi(l)
				if err != nil || v < prev {
					t.Errorf("%s qsort: line %d %q is not a number at least %d", what, i, l, prev)
					break
				}
				prev = v
			}
			_, ws = startProgram(t, filterOf(t, f), prog, "poll")
			wantExit(t, what+" poll", ws, 0)
		}
	}
}

// Under JudgeFork a program forks a child that exits 0 and waits for it
// (JudgeDefault kills it there); a clone into a new user namespace,
// unshare and socket kill it; clone3 fails with ENOSYS.
func TestJudgeFork(t *testing.T) {
	requireRoot(t)
	prog := policyProg(t, true)
	fork := filterOf(t, seccomp.JudgeFork)
	_, ws := startProgram(t, fork, prog, "fork-wait")
	wantExit(t, "fork-wait", ws, 0)
	_, ws = startProgram(t, filterOf(t, seccomp.JudgeDefault), prog, "fork-wait")
	wantSIGSYS(t, "fork-wait under JudgeDefault", ws)
	for _, mode := range []string{"clone-newuser", "unshare-user", "socket"} {
		_, ws = startProgram(t, fork, prog, mode)
		wantSIGSYS(t, mode, ws)
	}
	_, ws = startProgram(t, fork, prog, "clone3")
	wantExit(t, "clone3", ws, 0)
	// Without a filter the program can tell clone3 ran.
	_, ws = startProgram(t, nil, prog, "clone3")
	wantExit(t, "clone3 without a filter", ws, policyProgExitRan)
}

// A caller's rule replaces the fork list's for its name, and a masked rule
// of the caller's decides alone.
func TestRulesOverJudgeFork(t *testing.T) {
	requireRoot(t)
	prog := policyProg(t, true)
	f := build(t, seccomp.New(seccomp.Kill).AddJudgeFork().Add(seccomp.Kill, "clone"))
	_, ws := startProgram(t, f, prog, "fork-wait")
	wantSIGSYS(t, "fork-wait with clone killed", ws)
	// Only a clone whose flags are exactly fork's: glibc's fork passes
	// CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD.
	const forkFlags = 0x01000000 | 0x00200000 | uint64(syscall.SIGCHLD)
	f = build(t, seccomp.New(seccomp.Kill).AddMasked(seccomp.Allow, "clone", 0, 0xffffffff, forkFlags).AddJudgeFork())
	_, ws = startProgram(t, f, prog, "fork-wait")
	wantExit(t, "fork-wait with fork's flags allowed", ws, 0)
	_, ws = startProgram(t, f, prog, "clone-newuser")
	wantSIGSYS(t, "clone-newuser with fork's flags allowed", ws)
}

func TestAddMaskedRefuses(t *testing.T) {
	for _, c := range []struct {
		b    *seccomp.Builder
		want string
		errn syscall.Errno
	}{
		{seccomp.New(seccomp.Kill).AddMasked(seccomp.Allow, "clone", 6, 1, 0), `"clone" tests argument 6`, syscall.EINVAL},
		{seccomp.New(seccomp.Kill).AddMasked(seccomp.Allow, "clone", 0, 0xf0, 1), "value 0x1 has bits outside mask 0xf0", syscall.EINVAL},
		{seccomp.New(seccomp.Kill).AddMasked(0, "clone", 0, 1, 0), `action Action(0x0) for "clone"`, syscall.EINVAL},
		{seccomp.New(seccomp.Kill).AddMasked(seccomp.Allow, "no_such_call", 0, 1, 0), `"no_such_call" is not a system call`, syscall.EINVAL},
		{seccomp.New(seccomp.Kill).Add(seccomp.Allow, "clone").AddMasked(seccomp.Allow, "clone", 0, 1, 0),
			`"clone" has rules Allow and Allow when arg 0 & 0x1 == 0x0`, syscall.EEXIST},
		{seccomp.New(seccomp.Kill).AddMasked(seccomp.Allow, "clone", 0, 1, 0).AddMasked(seccomp.Errno(1), "clone", 1, 1, 1),
			`"clone" has rules Allow when arg 0 & 0x1 == 0x0 and Errno(1) when arg 1 & 0x1 == 0x1`, syscall.EEXIST},
	} {
		_, err := c.b.Build()
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.errn) {
			t.Errorf("Build: %v; want an error wrapping %v with %s", err, c.errn, c.want)
		}
	}
	// The same masked rule twice, and two of one action, are fine.
	if _, err := seccomp.New(seccomp.Kill).AddJudgeFork().
		AddMasked(seccomp.Allow, "clone", 0, 1, 0).AddMasked(seccomp.Allow, "clone", 0, 1, 0).
		AddMasked(seccomp.Allow, "clone", 1, 2, 2).Build(); err != nil {
		t.Errorf("Build: %v", err)
	}
}
