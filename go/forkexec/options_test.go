//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/bindings"
	"github.com/cforkexec/cforkexec/go/forkexec"
	"golang.org/x/sys/unix"
)

// sleeperRunner runs the probe for ten minutes with our fds 0-2.
func sleeperRunner() *forkexec.Runner {
	return &forkexec.Runner{Args: []string{probePath, "--sleep", "600000"}, Files: []uintptr{0, 1, 2}}
}

// pidOfPidFD is the pid a pidfd names, from its fdinfo.
func pidOfPidFD(t *testing.T, fd int) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:\t"); ok {
			pid, _ := strconv.Atoi(v)
			return pid
		}
	}
	t.Fatalf("no Pid in fdinfo %q", data)
	return 0
}

// The pidfd names the child; the child is signalled and waited for
// through it, in the CLONE_VFORK mode and with a handshake.
func TestStartWithPidFD(t *testing.T) {
	requireRoot(t)
	for _, flags := range []uintptr{0, syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID} {
		r := sleeperRunner()
		r.CloneFlags = flags
		child, err := forkexec.StartWith(r, forkexec.Options{PidFD: true})
		if err != nil {
			t.Fatalf("StartWith: %v", err)
		}
		if child.PidFD < 0 || pidOfPidFD(t, child.PidFD) != child.Pid {
			t.Fatalf("pidfd %d does not name pid %d", child.PidFD, child.Pid)
		}
		if fl, _ := unix.FcntlInt(uintptr(child.PidFD), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("pidfd not close-on-exec")
		}
		if err := unix.PidfdSendSignal(child.PidFD, unix.SIGKILL, nil, 0); err != nil {
			t.Fatalf("pidfd_send_signal: %v", err)
		}
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PIDFD, child.PidFD, &info, unix.WEXITED, nil); err != nil {
			t.Fatalf("waitid(P_PIDFD): %v", err)
		}
		if info.Code != 2 /* CLD_KILLED */ {
			t.Errorf("si_code %d, want CLD_KILLED", info.Code)
		}
		if err := child.Close(); err != nil || child.PidFD != -1 {
			t.Errorf("Close: %v, PidFD %d", err, child.PidFD)
		}
	}
	requireNoChildren(t)
}

// Process gives an *os.Process that signals and waits the child.
func TestChildProcess(t *testing.T) {
	requireRoot(t)
	child, err := forkexec.StartWith(sleeperRunner(), forkexec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if child.PidFD != -1 {
		t.Errorf("PidFD %d without asking", child.PidFD)
	}
	p, err := child.Process()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if ws := st.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("wait status %v, want killed by SIGTERM", ws)
	}
}

// No failure leaves a pidfd (or any fd, or a child) behind.
func TestStartWithPidFDFailures(t *testing.T) {
	requireRoot(t)
	syncErr := errors.New("refused")
	cases := []struct {
		name string
		r    *forkexec.Runner
		o    forkexec.Options
	}{
		{"bad signal", sleeperRunner(), forkexec.Options{PidFD: true, ParentDeathSignal: 65}},
		{"execve", &forkexec.Runner{Args: []string{"/nonexistent"}}, forkexec.Options{PidFD: true}},
		{"chdir after handshake", &forkexec.Runner{Args: []string{probePath}, WorkDir: "/nonexistent",
			CloneFlags: syscall.CLONE_NEWUSER}, forkexec.Options{PidFD: true}},
		{"SyncFunc", &forkexec.Runner{Args: []string{probePath},
			SyncFunc: func(int) error { return syncErr }}, forkexec.Options{PidFD: true}},
		{"stop", &forkexec.Runner{Args: []string{probePath}, WorkDir: "/nonexistent",
			StopBeforeSeccomp: true}, forkexec.Options{PidFD: true}},
		{"on the keeper", &forkexec.Runner{Args: []string{probePath}, WorkDir: "/nonexistent"},
			forkexec.Options{PidFD: true, ParentDeathSignal: syscall.SIGKILL}},
	}
	for _, c := range cases {
		before := countEntries(t, "/proc/self/fd")
		child, err := forkexec.StartWith(c.r, c.o)
		if err == nil {
			t.Fatalf("%s: started pid %d", c.name, child.Pid)
		}
		if child.PidFD != -1 {
			t.Errorf("%s: PidFD %d after failure", c.name, child.PidFD)
		}
		if after := countEntries(t, "/proc/self/fd"); after != before {
			t.Errorf("%s: %d fds open before, %d after", c.name, before, after)
		}
		requireNoChildren(t)
	}
}

// The options are refused with an error naming them.
func TestStartWithBadOptions(t *testing.T) {
	for _, o := range []forkexec.Options{{ParentDeathSignal: -1}, {ParentDeathSignal: 65}} {
		_, err := forkexec.StartWith(sleeperRunner(), o)
		if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "ParentDeathSignal") {
			t.Errorf("%+v: error %v, want EINVAL naming ParentDeathSignal", o, err)
		}
	}
	r := sleeperRunner()
	r.Ptrace = true
	_, err := forkexec.StartWith(r, forkexec.Options{ParentDeathSignal: syscall.SIGKILL})
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "Ptrace") {
		t.Errorf("with Ptrace: error %v, want EINVAL naming Ptrace", err)
	}
	requireNoChildren(t)
}

// openStray opens /dev/null without close-on-exec at fd 100.
func openStray(t *testing.T) {
	t.Helper()
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(fd, 100, 0); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	t.Cleanup(func() { syscall.Close(100) })
}

// probeWith runs the probe through StartWith and returns its report.
func probeWith(t *testing.T, r *forkexec.Runner, o forkexec.Options) report {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	r.Files = []uintptr{0, wr.Fd(), 2}
	r.Args = []string{probePath, "--out-fd", "1"}
	child, err := forkexec.StartWith(r, o)
	wr.Close()
	if err != nil {
		t.Fatalf("StartWith: %v", err)
	}
	run := probeRun{pid: child.Pid}
	buf := make([]byte, 0, 4096)
	for {
		chunk := make([]byte, 4096)
		n, err := rd.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			break
		}
	}
	run.out = buf
	run.status = reap(t, child.Pid)
	return decodeReport(t, run)
}

// A stray inheritable fd never reaches the program with CloseOtherFds
// (and does without it), with a handshake and after pivot_root too.
func TestStartWithCloseOtherFds(t *testing.T) {
	requireRoot(t)
	openStray(t)
	if rep := probeWith(t, &forkexec.Runner{}, forkexec.Options{}); !hasFd(rep, 100) {
		t.Fatalf("without CloseOtherFds fd 100 should be inherited: %v", rep.Fds)
	}
	root := t.TempDir()
	exe, err := os.Open(probePath)
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	for name, r := range map[string]*forkexec.Runner{
		"vfork":     {},
		"SyncFunc":  {SyncFunc: func(int) error { return nil }},
		"pivot":     {CloneFlags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID, PivotRoot: root},
		"keeper":    {},
		"pivotSync": {CloneFlags: syscall.CLONE_NEWNS, PivotRoot: root, SyncFunc: func(int) error { return nil }},
	} {
		o := forkexec.Options{CloseOtherFds: true}
		if name == "keeper" {
			o.ParentDeathSignal = syscall.SIGKILL
		}
		if r.PivotRoot != "" {
			r.ExecFile = exe.Fd()
		}
		rep := probeWith(t, r, o)
		if want := [][2]int{{0, 0}, {1, 0}, {2, 0}}; fmt.Sprint(rep.Fds) != fmt.Sprint(want) {
			t.Errorf("%s: fds %v, want exactly %v", name, rep.Fds, want)
		}
	}
}

func hasFd(rep report, fd int) bool {
	open, _ := rep.fd(fd)
	return open
}

// waitThreadExit blocks until the thread tid of this process has ended,
// through a thread pidfd (Linux 6.9); false where there is none.
func threadPidFD(tid int) (int, bool) {
	fd, err := unix.PidfdOpen(tid, unix.O_EXCL /* PIDFD_THREAD */)
	return fd, err == nil
}

// startOnThreadThatExits starts with start on a goroutine locked to its
// thread, which then exits (taking the thread with it); it returns once
// the thread is gone.  Go never ends the main thread (it parks it), so a
// goroutine that finds itself there keeps it, and another one tries.
func startOnThreadThatExits(t *testing.T, start func() (int, error)) int {
	t.Helper()
	type result struct {
		pid, pidfd int
		err        error
		main       bool
	}
	ch := make(chan result)
	hold := make(chan struct{})
	defer close(hold)
	launch := func() {
		runtime.LockOSThread() // never unlocked but on the main thread: the thread ends with us
		if unix.Gettid() == os.Getpid() {
			ch <- result{main: true}
			<-hold
			runtime.UnlockOSThread()
			return
		}
		pid, err := start()
		fd, ok := threadPidFD(unix.Gettid())
		if !ok {
			fd = -1
		}
		ch <- result{pid, fd, err, false}
	}
	go launch()
	res := <-ch
	for res.main {
		go launch()
		res = <-ch
	}
	if res.err != nil {
		t.Fatalf("start: %v", res.err)
	}
	if res.pidfd < 0 {
		killAndReap(t, res.pid)
		t.Skip("no thread pidfds (PIDFD_THREAD, Linux 6.9): cannot tell when the thread has ended")
	}
	defer unix.Close(res.pidfd)
	// A guard, not a timing: the thread ends at once, but a run must never
	// hang CI should a thread outlive its goroutine.
	fds := []unix.PollFd{{Fd: int32(res.pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 60_000)
		if err == unix.EINTR {
			continue
		}
		if n == 0 {
			killAndReap(t, res.pid)
			t.Fatal("the starting thread has not ended within 60 s of its goroutine")
		}
		break
	}
	return res.pid
}

// The hazard StartWith avoids: a child started (by the bindings, straight)
// from a thread that then exits gets its parent-death signal then.
func TestParentDeathSignalFollowsThread(t *testing.T) {
	requireRoot(t)
	pid := startOnThreadThatExits(t, func() (int, error) {
		pid, _, f, err := bindings.StartOptions((*bindings.Params)(sleeperRunner()),
			bindings.Options{ParentDeathSignal: syscall.SIGUSR1})
		if err == nil && f != (bindings.Failure{}) {
			err = fmt.Errorf("failed: %+v", f)
		}
		return pid, err
	})
	if ws := reap(t, pid); !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
		t.Fatalf("wait status %v, want killed by SIGUSR1 when its thread ended", ws)
	}
}

// Through StartWith, a goroutine that locks its thread, starts and exits
// (ending its thread) does not take the child with it: the keeper's
// thread is the parent.  A SIGUSR1 sent at the thread's end would be
// pending, and delivered before our SIGTERM.
func TestParentDeathSignalSurvivesCallerThread(t *testing.T) {
	requireRoot(t)
	pid := startOnThreadThatExits(t, func() (int, error) {
		child, err := forkexec.StartWith(sleeperRunner(), forkexec.Options{ParentDeathSignal: syscall.SIGUSR1})
		return child.Pid, err
	})
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if ws := reap(t, pid); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("wait status %v, want killed by our SIGTERM only", ws)
	}
}

// A starter process is killed: its child dies with the signal (also where
// the starter ignored it), or without the option lives on (ours, as a
// subreaper, to end).
func TestParentDeathSignalStarterKilled(t *testing.T) {
	requireRoot(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	for _, c := range []struct {
		sig    syscall.Signal
		ignore bool
	}{{syscall.SIGUSR1, false}, {0, false}, {syscall.SIGHUP, true}} {
		sig := c.sig
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), deathStarterEnv+"="+strconv.Itoa(int(sig)), "CFE_TEST_PROBE="+probePath)
		if c.ignore {
			// A nohup'd starter: the program gets the signal all the same.
			cmd.Env = append(cmd.Env, deathStarterIgnoreEnv+"=1")
		}
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var pid int
		if _, err := fmt.Fscan(out, &pid); err != nil {
			t.Fatalf("starter: %v", err)
		}
		cmd.Process.Kill()
		cmd.Wait()
		// Ours now; a parent-death SIGUSR1 is pending before our SIGTERM.
		syscall.Kill(pid, syscall.SIGTERM)
		ws := reap(t, pid)
		want := sig
		if sig == 0 {
			want = syscall.SIGTERM
		}
		if !ws.Signaled() || ws.Signal() != want {
			t.Errorf("ParentDeathSignal %d: wait status %v, want killed by %v", sig, ws, want)
		}
	}
	requireNoChildren(t)
}

// A SyncFunc of a start on the keeper's thread that panics or calls
// runtime.Goexit does so in StartWith's caller, the child killed and
// reaped; the keeper's thread goes on starting.
func TestParentDeathSignalSyncFuncPanicAndGoexit(t *testing.T) {
	requireRoot(t)
	o := forkexec.Options{ParentDeathSignal: syscall.SIGKILL}
	func() {
		defer func() {
			if v := recover(); v != "sync panic" {
				t.Errorf("recovered %v, want the SyncFunc's panic", v)
			}
		}()
		r := sleeperRunner()
		r.SyncFunc = func(int) error { panic("sync panic") }
		forkexec.StartWith(r, o)
		t.Error("StartWith returned after a SyncFunc panic")
	}()
	requireNoChildren(t)
	returned := make(chan bool)
	go func() {
		ok := false
		defer func() { returned <- ok }()
		r := sleeperRunner()
		r.SyncFunc = func(int) error { runtime.Goexit(); return nil }
		forkexec.StartWith(r, o)
		ok = true
	}()
	if <-returned {
		t.Error("StartWith returned after a SyncFunc's runtime.Goexit")
	}
	requireNoChildren(t)
	var seen int
	r := sleeperRunner()
	r.SyncFunc = func(pid int) error { seen = pid; return nil }
	child, err := forkexec.StartWith(r, o)
	if err != nil || seen != child.Pid {
		t.Fatalf("after them: StartWith %v, SyncFunc saw pid %d of %d", err, seen, child.Pid)
	}
	killAndReap(t, child.Pid)
}

// Where pidfd_open is refused (a container's seccomp profile), the error
// names ParentDeathSignal and wraps a ChildError at location 36 and the
// errno.  In a starter process, all of whose threads get the filter.
func TestParentDeathSignalPidfdOpenRefused(t *testing.T) {
	requireRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), pidfdRefusedEnv+"=1", "CFE_TEST_PROBE="+probePath)
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 77 {
		t.Skipf("cannot load a seccomp filter: %s", out)
	}
	if err != nil {
		t.Fatalf("starter: %v: %s", err, out)
	}
	t.Logf("%s", out)
}

// guard waits for done, failing the test should it never come: a guard
// against a deadlock, not a timing.
func guard(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s: not done within 2 minutes (deadlocked?)", what)
	}
}

// A SyncFunc may itself start with a ParentDeathSignal: another keeper
// makes that start while the first one's waits for the SyncFunc.
func TestParentDeathSignalNestedStart(t *testing.T) {
	requireRoot(t)
	o := forkexec.Options{ParentDeathSignal: syscall.SIGKILL}
	var inner forkexec.Child
	var innerErr error
	r := sleeperRunner()
	r.SyncFunc = func(int) error {
		inner, innerErr = forkexec.StartWith(sleeperRunner(), o)
		return nil
	}
	done := make(chan struct{})
	var outer forkexec.Child
	var err error
	go func() {
		defer close(done)
		outer, err = forkexec.StartWith(r, o)
	}()
	guard(t, done, "StartWith from a SyncFunc")
	if err != nil || innerErr != nil {
		t.Fatalf("outer start: %v, inner start: %v", err, innerErr)
	}
	killAndReap(t, inner.Pid)
	killAndReap(t, outer.Pid)
	requireNoChildren(t)
}

// Eight starts at once whose SyncFuncs wait for one another (a barrier
// all eight must reach): each start needs a keeper of its own, or they
// deadlock.
func TestParentDeathSignalConcurrentStarts(t *testing.T) {
	requireRoot(t)
	const n = 8
	var barrier sync.WaitGroup
	barrier.Add(n)
	var wg sync.WaitGroup
	pids := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := sleeperRunner()
			r.SyncFunc = func(int) error {
				barrier.Done()
				barrier.Wait()
				return nil
			}
			child, err := forkexec.StartWith(r, forkexec.Options{ParentDeathSignal: syscall.SIGKILL})
			pids[i], errs[i] = child.Pid, err
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	guard(t, done, "eight concurrent starts")
	for i := range n {
		if errs[i] != nil {
			t.Errorf("start %d: %v", i, errs[i])
			continue
		}
		killAndReap(t, pids[i])
	}
	requireNoChildren(t)
}

// netNS is the inode of the network namespace of path (a /proc ns link).
func netNS(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// probeNetNS starts the probe with o and returns the inode of its network
// namespace, from its report; no testing.T: it runs off the test's
// goroutine.
func probeNetNS(o forkexec.Options) (uint64, error) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	r := &forkexec.Runner{Args: []string{probePath, "--out-fd", "1"}, Files: []uintptr{0, wr.Fd(), 2}}
	child, err := forkexec.StartWith(r, o)
	wr.Close()
	if err != nil {
		return 0, err
	}
	out, _ := io.ReadAll(rd)
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(child.Pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	var rep struct {
		NS map[string]uint64 `json:"ns"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.NS["net"] == 0 {
		return 0, fmt.Errorf("probe report %q: %v", out, err)
	}
	return rep.NS["net"], nil
}

// Pins what Options.ParentDeathSignal documents: the child is cloned from
// a keeper's thread and inherits its state, not the caller's.  A caller
// whose locked thread unshared its network namespace gets a child there
// without the option, and in the process's (host) namespace with it.
func TestParentDeathSignalThreadState(t *testing.T) {
	requireRoot(t)
	type result struct {
		host, thread, without, with uint64
		err                         error
		main                        bool
	}
	ch := make(chan result)
	run := func() {
		runtime.LockOSThread()
		if unix.Gettid() == os.Getpid() {
			// The main thread is parked, not ended, by a goroutine that
			// exits locked: its namespace must stay the process's.
			runtime.UnlockOSThread()
			ch <- result{main: true}
			return
		}
		// Never unlocked: the thread, its namespace changed, ends with us.
		var res result
		if res.host, res.err = netNS("/proc/thread-self/ns/net"); res.err != nil {
			ch <- res
			return
		}
		if res.err = unix.Unshare(unix.CLONE_NEWNET); res.err != nil {
			ch <- res
			return
		}
		if res.thread, res.err = netNS("/proc/thread-self/ns/net"); res.err == nil {
			if res.without, res.err = probeNetNS(forkexec.Options{}); res.err == nil {
				res.with, res.err = probeNetNS(forkexec.Options{ParentDeathSignal: syscall.SIGKILL})
			}
		}
		ch <- res
	}
	go run()
	res := <-ch
	for res.main {
		go run()
		res = <-ch
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.thread == res.host {
		t.Fatalf("unshare(CLONE_NEWNET) left the thread in namespace %d", res.host)
	}
	if res.without != res.thread {
		t.Errorf("without ParentDeathSignal: child in net namespace %d, want the caller thread's %d", res.without, res.thread)
	}
	if res.with != res.host {
		t.Errorf("with ParentDeathSignal: child in net namespace %d, want the keeper's (the host's) %d", res.with, res.host)
	}
	requireNoChildren(t)
}
