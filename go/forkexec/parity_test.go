//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cforkexec/cforkexec/go/forkexec"
	reference "github.com/criyle/go-sandbox/pkg/forkexec"
	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// The side-by-side harness: each configuration of parityCases starts the
// probe once through the reference package and once through ours, in this
// process, and the two outcomes must be the same: what Start returned (the
// pid, or the error: its kind, a ChildError's fields, the identity of a
// SyncFunc's error, a panic's value), the probe's whole report, what
// SyncFunc and the tracer saw, and the child's wait status.

// parityIgnored are the report fields left out of the comparison.  (The
// probe reports no time.)
var parityIgnored = []struct{ field, why string }{
	{"pid", "the child's own pid, new in every run; checked instead against the pid Start returned"},
}

// parityNormalised are the report fields compared after a rewrite, because
// their raw values legitimately differ between two runs.
var parityNormalised = []struct {
	field, how string
	rewrite    func(v, pid any, callerNS map[string]string) any
}{
	{"sid", `"=pid" when it is the child's own pid (setsid makes it so)`, samePid},
	{"pgid", `"=pid" when it is the child's own pid`, samePid},
	{"ns", `each kind "caller" when it is this process's namespace, else "new": a namespace created for the run has a new inode`,
		func(v, _ any, callerNS map[string]string) any {
			ns, ok := v.(map[string]any)
			if !ok {
				return v
			}
			for kind, ino := range ns {
				switch {
				case ino == nil:
				case fmt.Sprint(ino) == callerNS[kind]:
					ns[kind] = "caller"
				default:
					ns[kind] = "new"
				}
			}
			return ns
		}},
}

func samePid(v, pid any, _ map[string]string) any {
	if v == pid {
		return "=pid"
	}
	return v
}

// errParitySync is what a case's SyncFunc refuses with; the outcome checks
// its identity.
var errParitySync = errors.New("parity: refused by SyncFunc")

// parityPanic is what a case's SyncFunc panics with.
var parityPanic = &struct{ msg string }{"parity: SyncFunc panics"}

// parityHangAfter is how long a Start may take before the run counts as
// hung (the stuck child is then killed, which ends the Start), unless the
// case says otherwise.
const parityHangAfter = 20 * time.Second

type parityDrive int

const (
	driveWait  parityDrive = iota // reap the child
	driveStop                     // the child stops itself: see the stop, SIGCONT, reap
	driveTrace                    // ptrace the child to its end from the thread that called Start
)

type parityCase struct {
	name string
	root bool
	// build returns a fresh Runner for one run.  Files nil means
	// {/dev/null, the report pipe, 2} and Args nil "probe --out-fd 1".
	build func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner
	drive parityDrive
	// traceOptions are set at the tracee's first stop (driveTrace).
	traceOptions int
	// thread runs on the thread that calls Start, just before it; its
	// result undoes it just after.
	thread func() func()
	// afterStart observes the child once Start has returned.
	afterStart func(fx *parityFixture, pid int) string
	// inDir runs the case in a directory of its fixture, "cwd" (Start
	// and the child inherit it).
	inDir bool
	// afterRun observes what the run left behind, and cleans it up.
	afterRun func(fx *parityFixture) string
	// hangAfter, when set, replaces parityHangAfter: for a case that
	// hangs in the reference.
	hangAfter time.Duration
	// differ, when set, says why ours is expected to differ from the
	// reference (and where doc.go says so); the outcomes must then indeed
	// differ.
	differ string
	// refSkip, when set, says why the reference is not run at all (it
	// would change this machine).
	refSkip string
	// ours checks what ours does (nil: oursExit0), so that a row where
	// both fail alike for a reason of the test's cannot pass.
	ours func(o *parityOutcome) error
}

// parityFixture is shared by a case's two runs, so that nothing in them
// differs but the package.
type parityFixture struct {
	dir     string
	devnull *os.File
	memo    map[string]any
}

// once returns the value mk made the first time key was asked for.
func (fx *parityFixture) once(key string, mk func() any) any {
	if v, ok := fx.memo[key]; ok {
		return v
	}
	v := mk()
	fx.memo[key] = v
	return v
}

// parityRun is one run's state that its Runner's SyncFunc writes into.
type parityRun struct {
	fx        *parityFixture
	out       uintptr // the report pipe's write end
	syncCalls int
	syncSeen  []string
}

// stdFiles is {/dev/null, the report pipe, 2}.
func (x *parityRun) stdFiles() []uintptr { return []uintptr{x.fx.devnull.Fd(), x.out, 2} }

// sync returns a SyncFunc that counts its calls, records what observe
// saw and returns observe's error.
func (x *parityRun) sync(observe func(pid int) (string, error)) func(int) error {
	return func(pid int) error {
		x.syncCalls++
		seen, err := observe(pid)
		x.syncSeen = append(x.syncSeen, seen)
		return err
	}
}

// syncOK is a SyncFunc that only counts its calls.
func (x *parityRun) syncOK() func(int) error {
	return x.sync(func(int) (string, error) { return "", nil })
}

type parityOutcome struct {
	pid        int
	err        error
	panicked   any
	goexited   bool // the goroutine that called Start ended inside it
	hung       bool
	status     string // how the child ended (or stopped and ended)
	report     map[string]any
	out        string
	syncCalls  int
	syncSeen   []string
	afterStart string
	afterRun   string
	trace      []string
	leftover   []string // children of ours found after the run (then killed)
	problems   []string // the run itself went wrong
}

// start is one package's Start.
type parityStart func(r forkexec.Runner) (int, error)

func ourStart(r forkexec.Runner) (int, error) { return r.Start() }

func referenceStart(r forkexec.Runner) (int, error) {
	ref := reference.Runner(r)
	return ref.Start()
}

func TestParitySideBySide(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	callerNS := map[string]string{}
	for _, kind := range []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"} {
		callerNS[kind] = fmt.Sprint(selfNS(t, kind))
	}
	seen := map[string]bool{}
	cases := parityCases()
	for i := range cases {
		c := &cases[i]
		if seen[c.name] {
			t.Fatalf("two cases named %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			if c.root {
				requireRoot(t)
			}
			requireNoChildren(t)
			fx := &parityFixture{dir: t.TempDir(), devnull: devnull, memo: map[string]any{}}
			var ref *parityOutcome
			if c.refSkip == "" {
				ref = runParity(t, c, fx, referenceStart, callerNS)
			}
			ours := runParity(t, c, fx, ourStart, callerNS)
			if ref != nil {
				for _, p := range ref.problems {
					t.Errorf("reference run: %s", p)
				}
			}
			for _, p := range ours.problems {
				t.Errorf("our run: %s", p)
			}
			if len(ours.leftover) > 0 {
				t.Errorf("our Start left children behind: %v", ours.leftover)
			}
			check := c.ours
			if check == nil {
				check = oursExit0
			}
			if err := check(ours); err != nil {
				t.Errorf("ours: %v", err)
			}
			if ref == nil {
				return
			}
			if deliberateBoundingSet(ref, ours) {
				t.Logf("bounding set emptied by ours, %v in the reference (deliberate: doc.go, What is different)", ref.report["cap_bnd"])
				ours.report["cap_bnd"] = ref.report["cap_bnd"]
			}
			diffs := diffOutcomes(ref.lines(), ours.lines())
			switch {
			case c.differ == "" && len(diffs) > 0:
				t.Errorf("ours differs from the reference:\n%s", strings.Join(diffs, "\n"))
			case c.differ != "" && len(diffs) == 0:
				t.Errorf("expected to differ (%s), but both give:\n%s", c.differ, strings.Join(ours.lines(), "\n"))
			case c.differ != "":
				t.Logf("differs as expected (%s):\n%s", c.differ, strings.Join(diffs, "\n"))
			}
		})
	}
}

// deliberateBoundingSet tells the one difference every row may show: with
// DropCaps and without no_new_privs, ours empties the
// bounding set (no exec can regain a capability) where the reference
// leaves it full.  Ours must then report it empty and no_new_privs off;
// everything else is compared as usual.
func deliberateBoundingSet(ref, ours *parityOutcome) bool {
	if ref.report == nil || ours.report == nil {
		return false
	}
	const empty = "0000000000000000"
	return ours.report["cap_bnd"] == empty && ref.report["cap_bnd"] != empty &&
		fmt.Sprint(ours.report["no_new_privs"]) == "0" && fmt.Sprint(ours.report["cap_prm"]) == empty
}

// runParity starts one run of c through start on a goroutine locked to
// its thread, drives the child to its end and collects the outcome.
func runParity(t *testing.T, c *parityCase, fx *parityFixture, start parityStart, callerNS map[string]string) *parityOutcome {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	x := &parityRun{fx: fx, out: wr.Fd()}
	r := c.build(t, fx, x)
	if r.Files == nil {
		r.Files = x.stdFiles()
	}
	if r.Args == nil {
		r.Args = []string{probePath, "--out-fd", "1"}
	}

	if c.inDir {
		cwd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chdir(caseDir(t, fx, "cwd", 0o755)); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := os.Chdir(cwd); err != nil {
				t.Fatal(err)
			}
		}()
	}
	// The reference's vfork child's setuid leaves this process not
	// dumpable; no later test may see that.
	dumpableBefore, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0)
	defer syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, dumpableBefore, 0)
	hangAfter := parityHangAfter
	if c.hangAfter > 0 {
		hangAfter = c.hangAfter
	}
	o := &parityOutcome{}
	outDone := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(rd)
		outDone <- data
	}()
	started := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		// Also when SyncFunc ends this goroutine (runtime.Goexit).
		defer wr.Close()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		startRecovered(o, start, r, c.thread, started)
		wr.Close()
		if o.err != nil || o.panicked != nil || o.pid <= 0 {
			return
		}
		if c.afterStart != nil {
			o.afterStart = c.afterStart(fx, o.pid)
		}
		stop := watchdog(o.pid)
		defer stop()
		switch c.drive {
		case driveWait:
			o.status = waitEnd(o, o.pid, 0)
		case driveStop:
			o.status = waitStopThenEnd(o, o.pid)
		case driveTrace:
			o.status = traceEnd(o, o.pid, c.traceOptions)
		}
	}()
	select {
	case <-started:
	case <-time.After(hangAfter):
		o.hung = true
		killChildren(t)
		<-started
	}
	<-finished
	// A child left behind may hold the pipe open: end it before reading.
	o.leftover = children(t)
	if len(o.leftover) > 0 {
		killChildren(t)
	}
	o.out = string(<-outDone)
	o.syncCalls, o.syncSeen = x.syncCalls, x.syncSeen
	if c.afterRun != nil {
		o.afterRun = c.afterRun(fx)
	}
	if line := bytes.TrimSpace([]byte(o.out)); len(line) > 0 {
		o.report = normaliseReport(o, line, callerNS)
	}
	return o
}

func startRecovered(o *parityOutcome, start parityStart, r forkexec.Runner, thread func() func(), started chan<- struct{}) {
	defer close(started)
	defer func() {
		if v := recover(); v != nil {
			o.panicked, o.goexited = v, false
		}
	}()
	if thread != nil {
		defer thread()()
	}
	o.goexited = true // until Start returns
	o.pid, o.err = start(r)
	o.goexited = false
}

// killChildren kills and reaps every child of ours (a stuck or abandoned
// start's).
func killChildren(t *testing.T) {
	t.Helper()
	for _, c := range children(t) {
		var pid int
		if _, err := fmt.Sscanf(c, "/proc/%d", &pid); err != nil {
			t.Fatalf("child %q: %v", c, err)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != syscall.EINTR {
				break
			}
		}
	}
}

func wait4(pid, options int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, options, nil)
		if err != syscall.EINTR {
			return ws, err
		}
	}
}

func endStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("killed by %v", ws.Signal())
	case ws.Stopped():
		return fmt.Sprintf("stopped by signal %d", int(ws.StopSignal()))
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}

func waitEnd(o *parityOutcome, pid, options int) string {
	ws, err := wait4(pid, options)
	if err != nil {
		o.problems = append(o.problems, fmt.Sprintf("wait4(%d): %v", pid, err))
		return "wait4 failed"
	}
	return endStatus(ws)
}

func waitStopThenEnd(o *parityOutcome, pid int) string {
	ws, err := wait4(pid, syscall.WUNTRACED)
	if err != nil {
		o.problems = append(o.problems, fmt.Sprintf("wait4(%d): %v", pid, err))
		return "wait4 failed"
	}
	if !ws.Stopped() {
		return endStatus(ws) + " without a stop"
	}
	first := endStatus(ws)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		o.problems = append(o.problems, fmt.Sprintf("SIGCONT: %v", err))
	}
	return first + ", then " + waitEnd(o, pid, 0)
}

// traceEnd follows a tracee to its end, noting each stop.
func traceEnd(o *parityOutcome, pid, options int) string {
	optionsSet := false
	for {
		ws, err := wait4(pid, syscall.WALL)
		if err != nil {
			o.problems = append(o.problems, fmt.Sprintf("wait4(%d): %v", pid, err))
			return "wait4 failed"
		}
		if !ws.Stopped() {
			return endStatus(ws)
		}
		inject := 0
		sig := ws.StopSignal()
		switch cause := ws.TrapCause(); {
		case sig == syscall.SIGTRAP && cause == syscall.PTRACE_EVENT_EXEC:
			o.trace = append(o.trace, "exec")
		case sig == syscall.SIGTRAP && cause == ptraceEventSeccomp:
			msg, err := syscall.PtraceGetEventMsg(pid)
			o.trace = append(o.trace, fmt.Sprintf("seccomp(%d, %v)", msg, err))
		case sig == syscall.SIGTRAP && cause == ptraceEventExit:
			o.trace = append(o.trace, "exit-stop")
		case sig == syscall.SIGTRAP && cause == 0:
			o.trace = append(o.trace, "SIGTRAP")
		case sig == syscall.SIGSTOP:
			o.trace = append(o.trace, "SIGSTOP")
		default:
			o.trace = append(o.trace, fmt.Sprintf("signal %v cause %d", sig, cause))
			inject = int(sig)
		}
		if !optionsSet {
			optionsSet = true
			if err := syscall.PtraceSetOptions(pid, options); err != nil {
				o.problems = append(o.problems, fmt.Sprintf("PTRACE_SETOPTIONS: %v", err))
			}
		}
		if err := syscall.PtraceCont(pid, inject); err != nil {
			o.problems = append(o.problems, fmt.Sprintf("PTRACE_CONT: %v", err))
			return "lost"
		}
	}
}

const ptraceEventExit = 6

// normaliseReport decodes the probe's report and rewrites the fields of
// parityIgnored and parityNormalised.
func normaliseReport(o *parityOutcome, line []byte, callerNS map[string]string) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var rep map[string]any
	if err := dec.Decode(&rep); err != nil {
		o.problems = append(o.problems, fmt.Sprintf("report %q: %v", line, err))
		return nil
	}
	pid := rep["pid"]
	if n, ok := pid.(json.Number); !ok || (n.String() != fmt.Sprint(o.pid) && n.String() != "1") {
		o.problems = append(o.problems, fmt.Sprintf("report's pid %v is neither Start's %d nor 1", pid, o.pid))
	}
	for _, f := range parityIgnored {
		delete(rep, f.field)
	}
	for _, f := range parityNormalised {
		rep[f.field] = f.rewrite(rep[f.field], pid, callerNS)
	}
	return rep
}

// describeError names an error by what a caller can test: its kind, a
// ChildError's fields, an errno, or the identity of SyncFunc's error.
func describeError(err error) string {
	switch e := err.(type) {
	case nil:
		return "nil"
	case forkexec.ChildError:
		return fmt.Sprintf("ChildError{Err: %d (%v), Location: %d (%v), Index: %d}", int(e.Err), e.Err, int(e.Location), e.Location, e.Index)
	case reference.ChildError:
		return fmt.Sprintf("ChildError{Err: %d (%v), Location: %d (%v), Index: %d}", int(e.Err), e.Err, int(e.Location), e.Location, e.Index)
	case syscall.Errno:
		return fmt.Sprintf("syscall.Errno %d (%v)", int(e), e)
	}
	if err == errParitySync {
		return "the very error SyncFunc returned"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Sprintf("%T wrapping syscall.Errno %d (%v)", err, int(errno), errno)
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// lines is the outcome as the comparable lines of text.
func (o *parityOutcome) lines() []string {
	var l []string
	switch {
	case o.hung:
		l = append(l, "start: hung (until its child was killed), then "+describeError(o.err))
	case o.goexited:
		l = append(l, "start: its goroutine ended (runtime.Goexit)")
	case o.panicked == parityPanic:
		l = append(l, "start: panicked with SyncFunc's value")
	case o.panicked != nil:
		l = append(l, fmt.Sprintf("start: panicked with %T %v", o.panicked, o.panicked))
	case o.err != nil:
		l = append(l, "start: "+describeError(o.err))
	default:
		l = append(l, "start: a pid")
	}
	l = append(l, "child: "+o.status)
	l = append(l, fmt.Sprintf("SyncFunc: %d calls, saw %q", o.syncCalls, o.syncSeen))
	if o.afterStart != "" {
		l = append(l, "after Start: "+o.afterStart)
	}
	if o.afterRun != "" {
		l = append(l, "after the run: "+o.afterRun)
	}
	if len(o.trace) > 0 {
		l = append(l, "trace: "+strings.Join(o.trace, " "))
	}
	l = append(l, fmt.Sprintf("children left: %d", len(o.leftover)))
	if o.report == nil {
		l = append(l, fmt.Sprintf("output: %q", o.out))
		return l
	}
	keys := make([]string, 0, len(o.report))
	for k := range o.report {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := json.Marshal(o.report[k])
		l = append(l, fmt.Sprintf("report %s: %s", k, v))
	}
	return l
}

// diffOutcomes lists the lines that are not in both, each side's marked.
func diffOutcomes(ref, ours []string) []string {
	var d []string
	for _, l := range ref {
		if !slices.Contains(ours, l) {
			d = append(d, "  reference: "+l)
		}
	}
	for _, l := range ours {
		if !slices.Contains(ref, l) {
			d = append(d, "  ours:      "+l)
		}
	}
	return d
}

// fixed is a build for a Runner that needs nothing of the run.
func fixed(r forkexec.Runner) func(*testing.T, *parityFixture, *parityRun) forkexec.Runner {
	return func(*testing.T, *parityFixture, *parityRun) forkexec.Runner { return r }
}

// withSync is a build that adds a counting SyncFunc to r.
func withSync(r forkexec.Runner) func(*testing.T, *parityFixture, *parityRun) forkexec.Runner {
	return func(_ *testing.T, _ *parityFixture, x *parityRun) forkexec.Runner {
		r.SyncFunc = x.syncOK()
		return r
	}
}

// withSyncError is a build that adds a SyncFunc refusing with
// errParitySync to r.
func withSyncError(r forkexec.Runner) func(*testing.T, *parityFixture, *parityRun) forkexec.Runner {
	return func(_ *testing.T, _ *parityFixture, x *parityRun) forkexec.Runner {
		r.SyncFunc = x.sync(func(int) (string, error) { return "", errParitySync })
		return r
	}
}

// probeFile is the probe opened once for a case (for ExecFile).
func probeFile(t *testing.T, fx *parityFixture) *os.File {
	return fx.once("probe", func() any {
		f, err := os.Open(probePath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}).(*os.File)
}

// caseDir is a directory of the fixture's, made once.
func caseDir(t *testing.T, fx *parityFixture, name string, mode os.FileMode) string {
	return fx.once("dir:"+name, func() any {
		dir := fx.dir + "/" + name
		if err := os.Mkdir(dir, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		return dir
	}).(string)
}

// caseCgroup is a cgroup v2 directory made once for the case, and an open
// fd of it.
func caseCgroup(t *testing.T, fx *parityFixture) (string, *os.File) {
	dir := fx.once("cgroup", func() any { return testCgroup(t) }).(string)
	f := fx.once("cgroup fd", func() any {
		f, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}).(*os.File)
	return dir, f
}

// cgroupOf is the cgroup v2 path of pid, as the last element.
func cgroupOf(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "0::") {
			return "v2 cgroup …/" + line[strings.LastIndexByte(line, '/')+1:], err
		}
	}
	return "no v2 cgroup", err
}

// observeExe names what the child runs while SyncFunc runs.
func observeExe(pid int) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if exe == self {
		exe = "the caller's program"
	}
	return exe, err
}

// observeIDMaps is what the parent sees of the child's user namespace.
func observeIDMaps(pid int) (string, error) {
	var state userNSState
	err := observeUserNS(&state)(pid)
	return fmt.Sprintf("uid_map %v gid_map %v setgroups %s", state.uidMap, state.gidMap, state.setgroups), err
}

// observeMounts lists the child's mount points with their options.
func observeMounts(pid int) (string, error) {
	opts, err := mountOptions(pid)
	var l []string
	for mp, o := range opts {
		l = append(l, mp+" "+strings.Join(o, ","))
	}
	sort.Strings(l)
	return strings.Join(l, "; "), err
}

// oursExit0 checks that ours returned a pid and the child exited 0 (after
// its stop, if it stopped).
func oursExit0(o *parityOutcome) error {
	if o.err != nil || o.panicked != nil || o.pid <= 0 || !strings.HasSuffix(o.status, "exit 0") {
		return fmt.Errorf("Start = %d, %s (panic %v); child %q; want a pid and exit 0", o.pid, describeError(o.err), o.panicked, o.status)
	}
	return nil
}

// oursSyncError checks that ours returned SyncFunc's very error, once
// SyncFunc ran.
func oursSyncError(o *parityOutcome) error {
	if o.err != errParitySync || o.pid != 0 || o.syncCalls != 1 {
		return fmt.Errorf("Start = %d, %s after %d SyncFunc calls; want SyncFunc's error", o.pid, describeError(o.err), o.syncCalls)
	}
	return nil
}

// oursChildError checks that ours failed with exactly this ChildError,
// before returning a pid.
func oursChildError(errno syscall.Errno, loc forkexec.ErrorLocation, index int) func(*parityOutcome) error {
	return func(o *parityOutcome) error {
		want := forkexec.ChildError{Err: errno, Location: loc, Index: index}
		if ce, ok := o.err.(forkexec.ChildError); !ok || ce != want || o.pid != 0 {
			return fmt.Errorf("Start = %d, %s; want %s", o.pid, describeError(o.err), describeError(want))
		}
		return nil
	}
}

// oursErrno checks that ours returned this bare errno, as the reference's
// syscall.BytePtrFromString does.
func oursErrno(errno syscall.Errno) func(*parityOutcome) error {
	return func(o *parityOutcome) error {
		if o.err != errno || o.pid != 0 {
			return fmt.Errorf("Start = %d, %s; want the bare %s", o.pid, describeError(o.err), describeError(errno))
		}
		return nil
	}
}

// oursRefused checks that ours refused the configuration with an error
// that wraps errno and names the field, and started nothing.
func oursRefused(errno syscall.Errno, field string) func(*parityOutcome) error {
	return func(o *parityOutcome) error {
		var ce forkexec.ChildError
		if o.pid != 0 || o.panicked != nil || errors.As(o.err, &ce) || !errors.Is(o.err, errno) ||
			!strings.Contains(fmt.Sprint(o.err), field) || o.syncCalls != 0 {
			return fmt.Errorf("Start = %d, %s (panic %v, %d SyncFunc calls); want a refusal naming %s and wrapping %v",
				o.pid, describeError(o.err), o.panicked, o.syncCalls, field, errno)
		}
		return nil
	}
}

const (
	traceOptions      = ptraceOTraceSeccomp | syscall.PTRACE_O_TRACEEXEC | ptraceOExitKill
	judgeTraceOptions = ptraceOTraceSeccomp | ptraceOExitKill | syscall.PTRACE_O_TRACEFORK |
		syscall.PTRACE_O_TRACECLONE | syscall.PTRACE_O_TRACEEXEC | syscall.PTRACE_O_TRACEVFORK
)

// parityCases is the one table: every configuration of the field, sync,
// handshake, ptrace and error suites, the checks of the configuration made
// before any child exists, and the shapes of go-sandbox's runners.  (Made
// once TestMain has built the probe.)
func parityCases() []parityCase {
	return slices.Concat(parityFieldCases(), paritySyncCases(), parityErrorCases(),
		parityRefusalCases(), parityJudgeCases())
}

func parityFieldCases() []parityCase {
	cases := []parityCase{
		{name: "fields/plain", build: fixed(forkexec.Runner{})},
		{name: "fields/Args", build: fixed(forkexec.Runner{
			Args: []string{probePath, "--out-fd", "1", "two words", "", "ünïcødé", `quote" back\slash`, "tab\tnewline\n"},
		})},
		{name: "fields/Env", build: fixed(forkexec.Runner{Env: []string{"A=1", "EMPTY=", "SPACES=a b c", "NOEQUALS", "UNICODE=ü"}})},
		{name: "fields/ExecFile", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Args: []string{"/nonexistent/argv0", "--out-fd", "1"}, ExecFile: probeFile(t, fx).Fd()}
		}},
		{name: "fields/ExecFile-closed-by-Files", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			prog := probeFile(t, fx).Fd()
			files := closedFiles(int(prog) + 2)
			files[0] = fx.devnull.Fd()
			files = append(files, x.out)
			return forkexec.Runner{Args: []string{"argv0", "--out-fd", fmt.Sprint(len(files) - 1)}, ExecFile: prog, Files: files}
		}},
		{name: "fields/RLimits", build: fixed(forkexec.Runner{RLimits: []rlimit.RLimit{
			{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 64, Max: 128}},
			{Res: syscall.RLIMIT_CORE, Rlim: syscall.Rlimit{Cur: 0, Max: 0}},
			{Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: 7, Max: 9}},
			{Res: syscall.RLIMIT_FSIZE, Rlim: syscall.Rlimit{Cur: 1 << 20, Max: 1 << 21}},
			{Res: syscall.RLIMIT_STACK, Rlim: syscall.Rlimit{Cur: 4 << 20, Max: 8 << 20}},
			{Res: syscall.RLIMIT_AS, Rlim: syscall.Rlimit{Cur: 1 << 30, Max: 1 << 31}},
		}})},
		{name: "fields/Files-close-and-place", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{fx.devnull.Fd(), x.out, ^uintptr(0)}}
		}},
		{name: "fields/Files-at-own-number", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			k := int(fx.devnull.Fd())
			files := closedFiles(k + 1)
			files[k] = uintptr(k)
			files = append(files, x.out)
			return forkexec.Runner{Args: []string{probePath, "--out-fd", fmt.Sprint(k + 1)}, Files: files}
		}},
		{name: "fields/Files-shuffle", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			w := int(x.out)
			files := closedFiles(w + 4)
			files[0], files[w], files[w+3] = fx.devnull.Fd(), fx.devnull.Fd(), uintptr(w)
			return forkexec.Runner{Args: []string{probePath, "--out-fd", fmt.Sprint(w + 3)}, Files: files}
		}},
		{name: "fields/Files-cover-sync-socket", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			files := closedFiles(unopenedFd(t, 3) + 8)
			files[0] = fx.devnull.Fd()
			files = append(files, x.out)
			return forkexec.Runner{Args: []string{probePath, "--out-fd", fmt.Sprint(len(files) - 1)}, Files: files, SyncFunc: x.syncOK()}
		}},
		{name: "fields/WorkDir", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{WorkDir: caseDir(t, fx, "work", 0o755)}
		}},
		{name: "fields/Seccomp", build: fixed(forkexec.Runner{Seccomp: allowAllFilter()})},
		{name: "fields/NoNewPrivs", build: fixed(forkexec.Runner{NoNewPrivs: true})},
		{
			name: "fields/signal-mask-and-ignored-signals",
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				signal.Ignore(syscall.SIGUSR2)
				t.Cleanup(func() { signal.Reset(syscall.SIGUSR2) })
				return forkexec.Runner{SyncFunc: x.syncOK()}
			},
			thread: func() func() {
				block := sigbit(syscall.SIGUSR1)
				var old uint64
				rawSigprocmask(sigBlock, &block, &old)
				return func() { rawSigprocmask(sigSetmask, &old, nil) }
			},
		},
		{name: "fields/CloneFlags-masked", root: true, build: fixed(forkexec.Runner{CloneFlags: syscall.CLONE_NEWUTS | 0x80})},
		{name: "fields/Mounts-and-PivotRoot", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{
				Args:       []string{"/bin/probe", "--out-fd", "1"},
				CloneFlags: syscall.CLONE_NEWNS,
				PivotRoot:  caseDir(t, fx, "root", 0o755),
				WorkDir:    "/w",
				Mounts: mountParams(t,
					mount.Mount{Source: filepath.Dir(probePath), Target: "bin", Flags: syscall.MS_BIND | syscall.MS_RDONLY | syscall.MS_NOSUID},
					mount.Mount{Source: os.DevNull, Target: "dev/null", Flags: syscall.MS_BIND},
					mount.Mount{Source: "tmpfs", Target: "w", FsType: "tmpfs", Data: "size=1m"},
					mount.Mount{Source: "tmpfs", Target: "deep/er/dir", FsType: "tmpfs"},
				),
				SyncFunc: x.sync(observeMounts),
			}
		}},
		{name: "fields/HostName-DomainName", root: true, build: fixed(forkexec.Runner{
			CloneFlags: syscall.CLONE_NEWUTS, HostName: "judge-box", DomainName: "judge.example",
		})},
		{name: "fields/ID-maps-setgroups-allowed", root: true, build: idMapsRunner(true, []uint32{7, 8})},
		{name: "fields/ID-maps-setgroups-denied", root: true, build: idMapsRunner(false, nil)},
		{name: "fields/ID-maps-default", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{CloneFlags: syscall.CLONE_NEWUSER, SyncFunc: x.sync(observeIDMaps)}
		}},
		{
			name: "fields/CgroupFd", root: true,
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				_, cg := caseCgroup(t, fx)
				return forkexec.Runner{Args: []string{probePath, "--sleep", "300"}, CgroupFd: cg.Fd()}
			},
			// While the child sleeps: a zombie's cgroup is the root.
			afterStart: func(_ *parityFixture, pid int) string {
				s, err := cgroupOf(pid)
				return fmt.Sprint(s, " ", err)
			},
		},
		{name: "fields/CgroupFd-with-SyncFunc", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			_, cg := caseCgroup(t, fx)
			return forkexec.Runner{CgroupFd: cg.Fd(), SyncFunc: x.sync(cgroupOf)}
		}},
		{name: "fields/Credential", root: true, build: fixed(forkexec.Runner{
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{65534}},
		})},
		// The caller's dumpable flag, which a CLONE_VM child's setuid
		// clears (both packages clone so here).
		{name: "fields/Credential-caller-dumpable", root: true,
			build: fixed(forkexec.Runner{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}),
			thread: func() func() {
				_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 1, 0)
				return func() {}
			},
			afterRun: func(fx *parityFixture) string {
				d, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0)
				return fmt.Sprint("the caller's dumpable flag: ", d)
			},
			differ: "doc.go: the caller's dumpable flag is restored; the reference's vfork child's setuid leaves the caller not dumpable",
			ours: func(o *parityOutcome) error {
				if err := oursExit0(o); err != nil {
					return err
				}
				if o.afterRun != "the caller's dumpable flag: 1" {
					return fmt.Errorf("%s, want 1", o.afterRun)
				}
				return nil
			}},
		{name: "fields/Credential-NoSetGroups", root: true, build: fixed(forkexec.Runner{
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{1, 2}, NoSetGroups: true},
		})},
		{name: "fields/DropCaps", root: true, build: fixed(forkexec.Runner{DropCaps: true})},
		{name: "fields/UnshareCgroupAfterSync", root: true, build: withSync(forkexec.Runner{
			UnshareCgroupAfterSync: true, DropCaps: true, Seccomp: allowAllFilter(),
		})},
		{name: "fields/CTTY", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{casePty(t, fx).Fd(), x.out}, CTTY: true}
		}},
		{name: "fields/tty-without-CTTY", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{casePty(t, fx).Fd(), x.out}}
		}},
		{name: "fields/StopBeforeSeccomp", drive: driveStop, build: fixed(forkexec.Runner{
			StopBeforeSeccomp: true, Seccomp: allowAllFilter(),
		})},
		{name: "fields/StopBeforeSeccomp-without-filter", drive: driveStop, build: fixed(forkexec.Runner{StopBeforeSeccomp: true})},
		// An fd the caller leaves open on exec, just above every Files
		// entry: where the reference's child moves its socket first.
		{name: "fields/inherited-fd-above-Files",
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				n := inheritedFd(t, fx)
				files := append(x.stdFiles(), closedFiles(n-4)...)
				return forkexec.Runner{Files: files}
			},
			differ: "doc.go: fds moved out of the way never overwrite an fd the child inherits",
			ours: func(o *parityOutcome) error {
				fds, _ := json.Marshal(o.report["fds"])
				if want := fmt.Sprintf("[%d,0]", inheritedFdNumber); !strings.Contains(string(fds), want) {
					return fmt.Errorf("fds %s, want the inherited %s", fds, want)
				}
				return nil
			}},
	}
	for _, ns := range namespaceKinds {
		cases = append(cases, parityCase{
			name: "fields/CloneFlags-" + ns.kind, root: true,
			build: fixed(forkexec.Runner{CloneFlags: ns.flag}),
		})
	}
	return cases
}

// inheritedFdNumber is the fd inheritedFd opens.
const inheritedFdNumber = 100

// inheritedFd opens /dev/null at inheritedFdNumber without close-on-exec,
// once for the case, and returns the number.
func inheritedFd(t *testing.T, fx *parityFixture) int {
	return fx.once("inherited", func() any {
		if fdOpenNow(inheritedFdNumber) {
			t.Skipf("fd %d is taken", inheritedFdNumber)
		}
		if err := syscall.Dup3(int(fx.devnull.Fd()), inheritedFdNumber, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Close(inheritedFdNumber) })
		return inheritedFdNumber
	}).(int)
}

// closedFiles is a Files of n entries that all close their fd.
func closedFiles(n int) []uintptr {
	files := make([]uintptr, n)
	for i := range files {
		files[i] = ^uintptr(0)
	}
	return files
}

func idMapsRunner(enable bool, groups []uint32) func(*testing.T, *parityFixture, *parityRun) forkexec.Runner {
	return func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
		return forkexec.Runner{
			CloneFlags:                 syscall.CLONE_NEWUSER,
			UIDMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 1000}},
			GIDMappings:                []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}, {ContainerID: 1, HostID: 200000, Size: 1000}},
			GIDMappingsEnableSetgroups: enable,
			Credential:                 &syscall.Credential{Uid: 5, Gid: 7, Groups: groups},
			SyncFunc:                   x.sync(observeIDMaps),
		}
	}
}

// casePty is a pseudo-terminal's slave opened once for the case.
func casePty(t *testing.T, fx *parityFixture) *os.File {
	return fx.once("pty", func() any {
		_, slave := openPty(t)
		return slave
	}).(*os.File)
}

// rawSigprocmask changes the calling thread's signal mask (64 signals).
func rawSigprocmask(how int, set, old *uint64) {
	_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, uintptr(how), uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
}

// syncThreadTid is the thread that calls Start in the thread-checking
// case (its two runs are sequential).
var syncThreadTid int

func paritySyncCases() []parityCase {
	cases := []parityCase{
		{name: "sync/sees-the-child-before-its-exec", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{SyncFunc: x.sync(observeExe)}
		}},
		{
			name: "sync/runs-on-the-calling-thread",
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{SyncFunc: x.sync(func(int) (string, error) {
					return fmt.Sprint("on the calling thread: ", syscall.Gettid() == syncThreadTid), nil
				})}
			},
			thread: func() func() { syncThreadTid = syscall.Gettid(); return func() {} },
		},
		{name: "sync/may-fork-and-exec", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{SyncFunc: x.sync(func(int) (string, error) {
				return "", exec.Command(probePath, "--exit", "0").Run()
			})}
		}},
		{
			name: "sync/panics",
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{Args: []string{probePath, "--exit", "0"}, SyncFunc: x.sync(func(int) (string, error) {
					panic(parityPanic)
				})}
			},
			differ: "doc.go: a panic in SyncFunc; the reference leaves its child blocked before execve, ours kills and reaps it",
			ours: func(o *parityOutcome) error {
				if o.panicked != parityPanic || len(o.leftover) != 0 {
					return fmt.Errorf("panic %v, children left %v; want SyncFunc's panic and no child", o.panicked, o.leftover)
				}
				return nil
			},
		},
		{name: "sync/Goexit", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Args: []string{probePath, "--exit", "0"}, SyncFunc: x.sync(func(int) (string, error) {
				runtime.Goexit()
				return "", nil
			})}
		},
			differ: "doc.go: runtime.Goexit in SyncFunc; the reference leaves its child blocked before execve, ours kills and reaps it",
			ours: func(o *parityOutcome) error {
				if !o.goexited || len(o.leftover) != 0 {
					return fmt.Errorf("goroutine ended %v, children left %v; want it ended and no child", o.goexited, o.leftover)
				}
				return nil
			}},
		{name: "handshake/filter-kills-the-child-at-its-ready", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Seccomp: killWriteFilter(t), SyncFunc: x.syncOK()}
		}, ours: oursChildError(syscall.EPIPE, 0, 0)},
		{name: "handshake/stop-after-a-failed-step", drive: driveStop,
			build:  fixed(forkexec.Runner{WorkDir: "/nonexistent-workdir", StopBeforeSeccomp: true}),
			differ: "doc.go: a step that fails before the child stops is Start's ChildError; the reference returns the pid of a child that exits with the errno",
			ours:   oursChildError(syscall.ENOENT, forkexec.LocChdir, 0)},
		{name: "handshake/ptrace-stop-after-a-failed-step", drive: driveTrace, traceOptions: traceOptions,
			build:  fixed(forkexec.Runner{WorkDir: "/nonexistent-workdir", Ptrace: true, Seccomp: allowAllFilter()}),
			differ: "doc.go: a step that fails before the child stops is Start's ChildError; the reference returns the pid of a child that exits with the errno",
			ours:   oursChildError(syscall.ENOENT, forkexec.LocChdir, 0)},
		{name: "ptrace/with-seccomp", drive: driveTrace, traceOptions: traceOptions, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Args: []string{probePath, "--getppid-loop", "3"}, Ptrace: true, Seccomp: traceGetppidFilter(t)}
		}},
		{name: "ptrace/with-seccomp-and-SyncFunc", drive: driveTrace, traceOptions: traceOptions, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Args: []string{probePath, "--getppid-loop", "3"}, Ptrace: true, Seccomp: traceGetppidFilter(t), SyncFunc: x.syncOK()}
		}},
		{name: "ptrace/with-seccomp-and-UnshareCgroupAfterSync", root: true, drive: driveTrace, traceOptions: traceOptions,
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{
					Ptrace: true, Seccomp: traceGetppidFilter(t), UnshareCgroupAfterSync: true, DropCaps: true, SyncFunc: x.syncOK(),
				}
			}},
		{name: "ptrace/without-seccomp", drive: driveTrace, traceOptions: traceOptions, build: fixed(forkexec.Runner{Ptrace: true})},
		{name: "ptrace/SyncFunc-error", drive: driveTrace, traceOptions: traceOptions, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{
				Args: []string{probePath, "--getppid-loop", "3"}, Ptrace: true, Seccomp: traceGetppidFilter(t),
				SyncFunc: x.sync(func(int) (string, error) { return "", errParitySync }),
			}
		}, ours: oursSyncError},
	}
	for _, c := range []struct {
		name string
		root bool
		r    forkexec.Runner
	}{
		{"plain", false, forkexec.Runner{}},
		{"user-namespace", true, forkexec.Runner{CloneFlags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID}},
		{"credential", true, forkexec.Runner{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}},
		{"unshare-cgroup", true, forkexec.Runner{UnshareCgroupAfterSync: true, DropCaps: true, Seccomp: allowAllFilter()}},
	} {
		cases = append(cases, parityCase{name: "sync/error-" + c.name, root: c.root, build: withSyncError(c.r), ours: oursSyncError})
	}
	return cases
}

func parityErrorCases() []parityCase {
	cases := []parityCase{
		{name: "errors/dup3", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{uintptr(unopenedFd(t, 900)), x.out, 2}}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "errors/fcntl", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			fd := unopenedFd(t, 64)
			files := closedFiles(fd + 1)
			files[fd] = uintptr(fd)
			return forkexec.Runner{Files: files}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocFcntl, 0)},
		{name: "errors/ioctl", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{fx.devnull.Fd(), x.out}, CTTY: true}
		}, ours: oursChildError(syscall.ENOTTY, forkexec.LocIoctl, 0)},
		{name: "errors/unshare_user_read", root: true, build: fixed(forkexec.Runner{
			CloneFlags:  syscall.CLONE_NEWUSER,
			UIDMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 10}, {ContainerID: 5, HostID: 1000, Size: 10}},
		}), ours: oursChildError(syscall.EINVAL, forkexec.LocUnshareUserRead, 0)},
		{name: "errors/mount(tmpfs)", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, PivotRoot: fx.dir + "/missing"}
		}, ours: oursChildError(syscall.ENOENT, forkexec.LocMountTmpfs, 0)},
		{name: "errors/mount(mkdir)", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			file := fx.once("file", func() any {
				file := fx.dir + "/file"
				if err := os.WriteFile(file, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return file
			}).(string)
			return forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, Mounts: mountParams(t,
				mount.Mount{Source: "tmpfs", Target: fx.dir + "/a", FsType: "tmpfs"},
				mount.Mount{Source: "tmpfs", Target: file + "/sub", FsType: "tmpfs"},
			)}
		}, ours: oursChildError(syscall.ENOTDIR, forkexec.LocMountMkdir, 1)},
		{name: "errors/mount-index", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, Mounts: mountParams(t,
				mount.Mount{Source: "tmpfs", Target: fx.dir + "/a", FsType: "tmpfs"},
				mount.Mount{Source: "tmpfs", Target: fx.dir + "/b", FsType: "tmpfs"},
				mount.Mount{Source: fx.dir + "/missing", Target: fx.dir + "/c", Flags: syscall.MS_BIND},
			)}
		}, ours: oursChildError(syscall.ENOENT, forkexec.LocMount, 2)},
		{name: "errors/chdir", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{WorkDir: fx.dir + "/missing"}
		}, ours: oursChildError(syscall.ENOENT, forkexec.LocChdir, 0)},
		{name: "errors/setrlimit-index", build: fixed(forkexec.Runner{RLimits: []rlimit.RLimit{
			{Res: syscall.RLIMIT_CORE, Rlim: syscall.Rlimit{Cur: 0, Max: 0}},
			{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 10, Max: 5}},
		}}), ours: oursChildError(syscall.EINVAL, forkexec.LocSetRlimit, 1)},
		{name: "errors/seccomp-invalid-filter", build: fixed(forkexec.Runner{Seccomp: endlessFilter()}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "errors/execve-ENOENT", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Args: []string{fx.dir + "/missing"}}
		}, ours: oursChildError(syscall.ENOENT, forkexec.LocExecve, 0)},
		{name: "errors/execve-EACCES", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			path := fx.once("data", func() any {
				path := fx.dir + "/data"
				if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			}).(string)
			return forkexec.Runner{Args: []string{path}}
		}, ours: oursChildError(syscall.EACCES, forkexec.LocExecve, 0)},
		// Another process holds the program open for writing and lets go
		// within the retries.
		{name: "errors/execve-ETXTBSY-retried", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			path := fx.once("copy", func() any {
				path, w := copyProbe(t)
				w.Close()
				return path
			}).(string)
			w, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			holder := exec.Command(probePath, "--sleep", "20")
			holder.ExtraFiles = []*os.File{w}
			err = holder.Start()
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			fx.memo["holder"] = holder
			return forkexec.Runner{Args: []string{path, "--out-fd", "1"}}
		},
			// The start went through: the holder has let go.
			afterStart: func(fx *parityFixture, _ int) string {
				return fmt.Sprint("holder: ", fx.memo["holder"].(*exec.Cmd).Wait())
			}},
		{name: "errors/execve-ETXTBSY", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			path := fx.once("busy", func() any {
				path, w := copyProbe(t)
				t.Cleanup(func() { w.Close() })
				return path
			}).(string)
			return forkexec.Runner{Args: []string{path}}
		}, ours: oursChildError(syscall.ETXTBSY, forkexec.LocExecve, 0)},
	}
	for _, c := range []struct {
		name  string
		cred  syscall.Credential
		loc   forkexec.ErrorLocation
		errno syscall.Errno
	}{
		{"setgroups", syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{0}}, forkexec.LocSetGroups, syscall.EPERM},
		{"setgid", syscall.Credential{Uid: 0, Gid: 1, NoSetGroups: true}, forkexec.LocSetGid, syscall.EINVAL},
		{"setuid", syscall.Credential{Uid: 1, Gid: 0, NoSetGroups: true}, forkexec.LocSetUid, syscall.EINVAL},
	} {
		cred := c.cred
		cases = append(cases, parityCase{name: "errors/" + c.name + "-in-a-user-namespace", root: true,
			build: fixed(forkexec.Runner{CloneFlags: syscall.CLONE_NEWUSER, Credential: &cred}),
			ours:  oursChildError(c.errno, c.loc, 0)})
	}
	return cases
}

// endlessFilter never returns: the kernel refuses it with EINVAL.
func endlessFilter() *syscall.SockFprog {
	insns := []syscall.SockFilter{{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS, K: 0}}
	return &syscall.SockFprog{Len: 1, Filter: &insns[0]}
}

func parityRefusalCases() []parityCase {
	return []parityCase{
		{name: "checks/no-Args", build: fixed(forkexec.Runner{Args: []string{}}),
			differ: "doc.go: refused; the reference panics (index out of range)",
			ours:   oursRefused(syscall.EINVAL, "Args")},
		{name: "checks/NUL-in-Args[0]", build: fixed(forkexec.Runner{Args: []string{probePath + "\x00", "--exit", "0"}}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/NUL-in-Args[1]", build: fixed(forkexec.Runner{Args: []string{probePath, "a\x00b"}}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/NUL-in-Env", build: fixed(forkexec.Runner{Env: []string{"A=\x00"}}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/NUL-in-WorkDir", build: fixed(forkexec.Runner{WorkDir: "/\x00"}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/NUL-in-HostName", build: fixed(forkexec.Runner{HostName: "a\x00"}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/NUL-in-DomainName", build: fixed(forkexec.Runner{DomainName: "a\x00"}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/NUL-in-PivotRoot", build: fixed(forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, PivotRoot: "/\x00"}), ours: oursErrno(syscall.EINVAL)},
		{name: "checks/Seccomp-empty", build: fixed(forkexec.Runner{Seccomp: &syscall.SockFprog{}}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "checks/Seccomp-Len-0", build: fixed(forkexec.Runner{Seccomp: &syscall.SockFprog{Filter: allowAllFilter().Filter}}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "checks/Seccomp-Filter-nil", build: fixed(forkexec.Runner{Seccomp: &syscall.SockFprog{Len: 3}}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "checks/Seccomp-too-long", build: fixed(forkexec.Runner{Seccomp: longFilter(4097)}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "checks/Seccomp-longest", build: fixed(forkexec.Runner{Seccomp: longFilter(4096)})},
		{name: "checks/Seccomp-empty-with-SyncFunc", build: withSync(forkexec.Runner{Seccomp: &syscall.SockFprog{}}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "checks/Seccomp-empty-after-sync", root: true, build: withSync(forkexec.Runner{
			Seccomp: &syscall.SockFprog{}, UnshareCgroupAfterSync: true,
		}), ours: oursChildError(syscall.EINVAL, forkexec.LocSeccomp, 0)},
		{name: "checks/Seccomp-empty-StopBeforeSeccomp", drive: driveStop,
			build: fixed(forkexec.Runner{Seccomp: &syscall.SockFprog{}, StopBeforeSeccomp: true}),
			ours:  oursStatus("stopped by signal 19, then exit 22")},
		{name: "checks/Seccomp-empty-Ptrace", drive: driveTrace, traceOptions: traceOptions,
			build: fixed(forkexec.Runner{Seccomp: &syscall.SockFprog{}, Ptrace: true}),
			ours:  oursStatus("exit 22")},
		{name: "checks/ExecFile-above-MaxInt32", build: fixed(forkexec.Runner{Args: []string{"argv0"}, ExecFile: 1 << 31}), ours: oursChildError(syscall.EBADF, forkexec.LocExecve, 0)},
		{name: "checks/ExecFile-all-ones", build: fixed(forkexec.Runner{Args: []string{"argv0"}, ExecFile: ^uintptr(0)}), ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "checks/ExecFile-not-open", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Args: []string{"argv0"}, ExecFile: uintptr(unopenedFd(t, 900))}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocExecve, 0)},
		{name: "checks/ExecFile-not-open-below-a-Files-entry", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			high := fx.once("high fd", func() any { return highDup(t, fx.devnull, 300) }).(uintptr)
			return forkexec.Runner{Args: []string{"argv0"}, ExecFile: uintptr(unopenedFd(t, 200)), Files: append(x.stdFiles(), high)}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "checks/CgroupFd-not-open", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{CgroupFd: uintptr(unopenedFd(t, 900))}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocClone, 0)},
		{name: "checks/CgroupFd-above-MaxInt32", build: fixed(forkexec.Runner{CgroupFd: 1 << 31}), ours: oursChildError(syscall.EINVAL, forkexec.LocClone, 0)},
		{name: "checks/Files-above-MaxInt32", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{fx.devnull.Fd(), x.out, 2, 1 << 31}}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "checks/Files-minus-2", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			return forkexec.Runner{Files: []uintptr{fx.devnull.Fd(), x.out, 2, ^uintptr(1)}}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "checks/Files-as-many-as-RLIMIT_NOFILE", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			var rl syscall.Rlimit
			if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
				t.Fatal(err)
			}
			files := closedFiles(int(rl.Cur) - 1)
			files[0], files[1], files[2] = fx.devnull.Fd(), x.out, 2
			return forkexec.Runner{Files: files}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "checks/Files-more-than-1<<20", build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			files := closedFiles(1<<20 + 1)
			files[0], files[1], files[2] = fx.devnull.Fd(), x.out, 2
			return forkexec.Runner{Files: files}
		}, ours: oursChildError(syscall.EBADF, forkexec.LocDup3, 0)},
		{name: "checks/Mount-without-Target", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			tmpfs, _ := syscall.BytePtrFromString("tmpfs")
			return forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, Mounts: []mount.SyscallParams{{Source: tmpfs, FsType: tmpfs}}}
		}, ours: oursChildError(syscall.EFAULT, forkexec.LocMount, 0)},
		{name: "checks/Mount-Target-too-long", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			target := fx.dir + strings.Repeat("/"+strings.Repeat("d", 200), 21)
			return forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, Mounts: mountParams(t, mount.Mount{Source: "tmpfs", Target: target, FsType: "tmpfs"})}
		}, ours: oursChildError(syscall.ENAMETOOLONG, forkexec.LocMountMkdir, 0)},
		{name: "checks/Credential-too-many-groups", root: true, build: fixed(forkexec.Runner{
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: make([]uint32, 65537)},
		}), ours: oursChildError(syscall.EINVAL, forkexec.LocSetGroups, 0)},
		{name: "checks/Credential-too-many-groups-NoSetGroups", root: true, build: fixed(forkexec.Runner{
			Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: make([]uint32, 65537), NoSetGroups: true},
		})},
		// A relative PivotRoot that climbs to / names the new root from
		// inside it too: the one kind the reference gets through.
		{name: "checks/relative-PivotRoot", root: true,
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{Args: []string{"/bin/probe", "--out-fd", "1"}, CloneFlags: syscall.CLONE_NEWNS,
					PivotRoot: relativeToCwd(t, caseDir(t, fx, "root", 0o755)),
					Mounts:    mountParams(t, mount.Mount{Source: filepath.Dir(probePath), Target: "bin", Flags: syscall.MS_BIND | syscall.MS_RDONLY})}
			},
			differ: "doc.go: a relative PivotRoot is refused; the reference resolves it from two directories",
			ours:   oursRefused(syscall.EINVAL, "PivotRoot")},
		// "." names the caller's directory under the tmpfs mounted on it:
		// the reference makes old_root there, on the file system itself.
		{name: "checks/PivotRoot-dot", root: true, inDir: true,
			build: fixed(forkexec.Runner{CloneFlags: syscall.CLONE_NEWNS, PivotRoot: "."}),
			afterRun: func(fx *parityFixture) string {
				old := fx.dir + "/cwd/old_root"
				_, err := os.Stat(old)
				_ = os.Remove(old)
				return fmt.Sprint("old_root in the caller's directory: ", err == nil)
			},
			differ: "doc.go: a relative PivotRoot is refused; with \".\" the reference makes old_root in the caller's directory",
			ours:   oursRefused(syscall.EINVAL, "PivotRoot")},
		{name: "checks/StopBeforeSeccomp-with-SyncFunc", build: withSync(forkexec.Runner{StopBeforeSeccomp: true}),
			hangAfter: 300 * time.Millisecond,
			differ:    "doc.go: refused; the reference's child stops before the handshake and Start waits for it forever",
			ours:      oursRefused(syscall.EINVAL, "StopBeforeSeccomp")},
		{name: "checks/Mounts-without-CLONE_NEWNS", refSkip: "it would mount on this machine's own mount table",
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{Mounts: mountParams(t, mount.Mount{Source: "tmpfs", Target: fx.dir + "/m", FsType: "tmpfs"})}
			},
			ours: oursRefused(syscall.EINVAL, "CLONE_NEWNS")},
		{name: "checks/PivotRoot-without-CLONE_NEWNS", refSkip: "it would mount a tmpfs and pivot_root in this machine's own mount namespace",
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{PivotRoot: caseDir(t, fx, "root", 0o755)}
			},
			ours: oursRefused(syscall.EINVAL, "CLONE_NEWNS")},
		// The reference's socket takes two fds even where no handshake
		// needs it.
		{name: "checks/no-free-fd", thread: noFreeFd,
			build:  fixed(forkexec.Runner{Args: []string{probePath, "--exit", "0"}, Files: []uintptr{}}),
			differ: "doc.go: a start without a handshake needs no new fd; the reference's fails with EMFILE",
			ours:   oursStatus("exit 0")},
		{name: "checks/no-free-fd-with-SyncFunc", thread: noFreeFd,
			build: withSync(forkexec.Runner{Args: []string{probePath, "--exit", "0"}, Files: []uintptr{}}),
			ours: func(o *parityOutcome) error {
				if o.err != syscall.EMFILE || o.pid != 0 || o.syncCalls != 0 {
					return fmt.Errorf("Start = %d, %s after %d SyncFunc calls; want EMFILE before any", o.pid, describeError(o.err), o.syncCalls)
				}
				return nil
			}},
	}
}

// oursStatus checks that ours returned a pid and how the child ended.
func oursStatus(want string) func(*parityOutcome) error {
	return func(o *parityOutcome) error {
		if o.err != nil || o.pid <= 0 || o.status != want {
			return fmt.Errorf("Start = %d, %s; child %q; want a pid and %q", o.pid, describeError(o.err), o.status, want)
		}
		return nil
	}
}

// noFreeFd lowers RLIMIT_NOFILE to the lowest fd this process has free,
// so that it can open no more; the result restores it.
func noFreeFd() func() {
	low := 0
	for fdOpenNow(low) {
		low++
	}
	var old syscall.Rlimit
	lowered := syscall.Rlimit{Cur: uint64(low), Max: ^uint64(0)}
	if err := prlimitNofile(nil, &old); err != nil {
		panic(err)
	}
	lowered.Max = old.Max
	if err := prlimitNofile(&lowered, nil); err != nil {
		panic(err)
	}
	return func() {
		if err := prlimitNofile(&old, nil); err != nil {
			panic(err)
		}
	}
}

func fdOpenNow(fd int) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return e == 0
}

// prlimitNofile sets and gets RLIMIT_NOFILE without syscall.Setrlimit,
// which would change what os/exec gives its children.
func prlimitNofile(set, old *syscall.Rlimit) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// longFilter allows everything, in n instructions.
func longFilter(n int) *syscall.SockFprog {
	insns := make([]syscall.SockFilter, n)
	for i := range insns {
		insns[i] = syscall.SockFilter{Code: syscall.BPF_RET | syscall.BPF_K, K: seccompRetAllow}
	}
	return &syscall.SockFprog{Len: uint16(n), Filter: &insns[0]}
}

// highDup is a copy of f at the first free fd from at, closed when the
// test ends.
func highDup(t *testing.T, f *os.File, at int) uintptr {
	fd := unopenedFd(t, at)
	if err := syscall.Dup3(int(f.Fd()), fd, syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return uintptr(fd)
}

// relativeToCwd is dir as a path relative to this process's working
// directory that climbs to / first, so that it names dir as well from
// inside dir (or anything no deeper than the climb).
func relativeToCwd(t *testing.T, dir string) string {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Repeat("../", strings.Count(cwd, "/")+strings.Count(dir, "/")) + strings.TrimPrefix(dir, "/")
}

// The shapes in which go-sandbox's runners start a program.
func parityJudgeCases() []parityCase {
	return []parityCase{
		// runner/ptrace (through ptracer.Tracer): Ptrace with a filter that
		// traces, traced to the end with the tracer's options.
		{name: "judge/ptrace-runner", drive: driveTrace, traceOptions: judgeTraceOptions,
			build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
				return forkexec.Runner{
					Args:     []string{"probe", "--out-fd", "1"},
					Env:      []string{"PATH=/usr/bin:/bin"},
					ExecFile: probeFile(t, fx).Fd(),
					RLimits: []rlimit.RLimit{
						{Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: 2, Max: 3}},
						{Res: syscall.RLIMIT_FSIZE, Rlim: syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}},
						{Res: syscall.RLIMIT_STACK, Rlim: syscall.Rlimit{Cur: 8 << 20, Max: 8 << 20}},
					},
					WorkDir:                caseDir(t, fx, "work", 0o755),
					Seccomp:                traceGetppidFilter(t),
					Ptrace:                 true,
					SyncFunc:               x.syncOK(),
					UnshareCgroupAfterSync: os.Getuid() == 0,
				}
			}},
		// runner/unshare: new namespaces, a pivot root with read-only
		// binds (built as a judge builds them), SyncFunc, DropCaps and
		// RLimits, the filter loaded after the sync.
		{name: "judge/unshare-runner", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			mounts, err := mount.NewBuilder().
				WithBind(filepath.Dir(probePath), "bin", true).
				WithBind(os.DevNull, "dev/null", false).
				WithTmpfs("w", "size=8m").
				WithTmpfs("tmp", "size=8m").
				WithProc().
				Build()
			if err != nil {
				t.Fatal(err)
			}
			return forkexec.Runner{
				Args:    []string{"/bin/probe", "--out-fd", "1"},
				Env:     []string{"PATH=/bin"},
				RLimits: []rlimit.RLimit{{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 256, Max: 256}}, {Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: 2, Max: 3}}},
				WorkDir: "/w",
				Seccomp: allowAllFilter(),
				CloneFlags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS |
					syscall.CLONE_NEWCGROUP | syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET,
				Mounts:                 mounts,
				PivotRoot:              caseDir(t, fx, "root", 0o755),
				HostName:               "go-sandbox",
				DomainName:             "go-sandbox",
				SyncFunc:               x.sync(observeMounts),
				NoNewPrivs:             true,
				DropCaps:               true,
				UnshareCgroupAfterSync: true,
			}
		}},
		// container's init: each program started inside the container with
		// a credential, a cgroup fd, the filter after the sync.
		{name: "judge/container-init", root: true, build: func(t *testing.T, fx *parityFixture, x *parityRun) forkexec.Runner {
			_, cg := caseCgroup(t, fx)
			return forkexec.Runner{
				Args:                   []string{probePath, "--out-fd", "1"},
				Env:                    []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/w"},
				ExecFile:               probeFile(t, fx).Fd(),
				RLimits:                []rlimit.RLimit{{Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: 2, Max: 3}}},
				WorkDir:                caseDir(t, fx, "work", 0o755),
				NoNewPrivs:             true,
				DropCaps:               true,
				SyncFunc:               x.sync(cgroupOf),
				Credential:             &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true},
				Seccomp:                allowAllFilter(),
				CgroupFd:               cg.Fd(),
				UnshareCgroupAfterSync: true,
			}
		}},
	}
}
