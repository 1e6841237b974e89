//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"golang.org/x/sys/unix"
)

// run runs the program once and returns its result; cleanup reports what
// could not be removed afterwards (the run's directory or cgroup).
func run(o *options) (res result, cleanup error) {
	// First: SIGINT, SIGTERM and SIGHUP are noted from here on instead of
	// ending cfe-run, so that whatever setup has made is removed.  One
	// that comes before the start stops the run there; after it, it kills
	// the run (startAndWait).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	res.Limits = limits{
		CPUTimeMs:   by(uint64(ms(o.cpu)), "rlimit_cpu"),
		WallTimeMs:  by(uint64(ms(o.wall)), "timer"),
		OutputBytes: by(o.output, "rlimit_fsize"),
		Files:       by(o.files, "rlimit_nofile"),
		MemoryBytes: by(o.memory, "rlimit_as"),
		Procs:       by(o.procs, "rlimit_nproc"),
		WorkBytes:   by(o.workSize, "tmpfs"),
		Seccomp:     o.seccomp,
	}
	res.MemorySource, res.CPUSource = "rusage_maxrss", "rusage"
	fail := func(e *runError) (result, error) {
		res.Status, res.Error = statusRunnerError, e
		return res, cleanup
	}

	dir, err := newRunDir(o.uid, o.gid)
	if err != nil {
		return fail(stepError("workdir", err))
	}
	defer func() {
		if err := dir.remove(); err != nil {
			cleanup = errors.Join(cleanup, err)
		}
	}()
	exe, err := stageProgram(o.program, dir)
	if err != nil {
		return fail(stepError("program", err))
	}
	for _, f := range o.staged {
		if err := stageFile(f, dir); err != nil {
			return fail(stepError("file", fmt.Errorf("%s: %w", f, err)))
		}
	}

	stdio, err := openStdio(o)
	if err != nil {
		var e *stdioError
		errors.As(err, &e)
		return fail(stepError(e.step, e.err))
	}
	defer stdio.close()

	var filter *syscall.SockFprog
	if o.seccomp != "off" {
		if filter, err = policyFilter(o.seccomp); err != nil {
			return fail(stepError("seccomp", err))
		}
	}

	cg, why, err := chooseCgroup(o)
	if err != nil {
		return fail(stepError("cgroup", err))
	}
	if cg == nil {
		res.Limits.Cgroup = "not used: " + why
	} else {
		defer func() {
			if err := cg.remove(); err != nil {
				cleanup = errors.Join(cleanup, err)
			}
		}()
		res.Limits.Cgroup = "v2 " + cg.dir
		res.Limits.MemoryBytes = by(o.memory, "cgroup_v2")
		res.Limits.Procs = by(o.procs, "cgroup_v2")
	}

	// Under RLIMIT_AS a program whose static size alone is over the
	// limit cannot even be loaded (memory.go).
	static := staticSize(filepath.Join(dir.prog, filepath.Base(exe)))
	if cg == nil && o.memory > 0 && static+stackAllowance > o.memory {
		res.Status, res.MemoryBytes, res.MemorySource = statusMemoryLimit, static, "elf_static_size"
		return res, cleanup
	}

	tmpBytes := o.output
	if tmpBytes == 0 {
		tmpBytes = defaultOutput
	}
	mounts, err := buildMounts(dir, tmpBytes, o.workSize)
	if err != nil {
		return fail(stepError("mounts", err))
	}
	r := &forkexec.Runner{
		Args:       append([]string{exe}, o.args...),
		Env:        programEnv,
		RLimits:    buildRLimits(o, cg != nil),
		Files:      []uintptr{stdio.in.Fd(), stdio.out.Fd(), stdio.err.Fd()},
		WorkDir:    workInside,
		Seccomp:    filter,
		CloneFlags: forkexec.UnshareFlags,
		Mounts:     mounts,
		PivotRoot:  dir.root,
		HostName:   "cfe-run",
		DomainName: "cfe-run",
		// uid and gid 0 of the new user namespace are the unprivileged
		// host ids; the Credential makes the child take them (until then it
		// is still the host's root, merely unmapped).
		UIDMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(o.uid), Size: 1}},
		GIDMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(o.gid), Size: 1}},
		Credential:  &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true},
		NoNewPrivs:  true,
		DropCaps:    true,
	}
	if cg != nil {
		r.CgroupFd = cg.fd.Fd()
	}

	select {
	case s := <-sigs:
		return fail(interruptedError(s, "before the start"))
	default:
	}
	res.StarterRSS = resetOwnPeak()
	w := startAndWait(r, o.wall, sigs)
	runtime.KeepAlive(stdio)
	if w.err != nil {
		var ce forkexec.ChildError
		if errors.As(w.err, &ce) {
			return fail(&runError{Step: ce.Location.String(), Location: int(ce.Location), Index: ce.Index,
				Errno: int(ce.Err), ErrnoName: unix.ErrnoName(ce.Err), Message: ce.Error()})
		}
		return fail(stepError("start", w.err))
	}

	out := outcome{
		wallKilled:  w.wallKilled,
		cpu:         time.Duration(w.rusage.Utime.Nano() + w.rusage.Stime.Nano()),
		peak:        uint64(w.rusage.Maxrss) * 1024,
		starterRSS:  res.StarterRSS,
		staticSize:  static,
		cpuLimit:    o.cpu,
		memoryLimit: o.memory,
		memCgroup:   cg != nil,
		seccomp:     filter != nil,
		outputFull:  o.output > 0 && (stdio.full(stdio.out, o.output) || stdio.full(stdio.err, o.output)),
	}
	if w.status.Signaled() {
		out.signal = w.status.Signal()
		n := int(out.signal)
		res.Signal = &n
	} else {
		out.exitCode = w.status.ExitStatus()
		res.ExitCode = &out.exitCode
	}
	if cg != nil {
		if p, ok := cg.peak(); ok {
			out.peak, res.MemorySource = p, "cgroup_memory.peak"
		}
		if c, ok := cg.cpuTime(); ok {
			out.cpu, res.CPUSource = c, "cgroup_cpu.stat"
		}
		out.oomKilled = cg.oomKilled()
	}
	res.Status = deriveStatus(out)
	res.CPUTimeMs, res.MemoryBytes, res.WallTimeMs = ms(out.cpu), out.peak, ms(w.wall)
	if w.interrupted != nil {
		res.Status, res.Error = statusRunnerError, interruptedError(w.interrupted, "and killed the run")
	}
	return res, cleanup
}

// interruptedError is the runner_error of a run cfe-run was told to stop.
func interruptedError(s os.Signal, what string) *runError {
	return &runError{Step: "interrupted", Message: fmt.Sprintf("cfe-run got %v %s", s, what)}
}

// resetOwnPeak makes this process's peak resident set its current one
// (clear_refs 5) and returns it.  The child shares this memory until its
// execve, which folds this peak into the child's rusage Maxrss: resetting
// it keeps cfe-run's start-up (flag parsing, the filter, the copy) out of
// the program's measure; what remains is this figure.
func resetOwnPeak() uint64 {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// waited is how a started run ended.
type waited struct {
	err         error // Start's
	status      syscall.WaitStatus
	rusage      syscall.Rusage
	wall        time.Duration
	wallKilled  bool
	interrupted os.Signal // SIGINT, SIGTERM or SIGHUP that made cfe-run kill the run
}

// startAndWait starts r, kills it at the wall-clock limit (0: none) or
// when a signal comes on sigs, and reaps it.  The kill happens only
// while the child is known not to be reaped (waitid with WNOWAIT first),
// so it can never hit a recycled pid.  The child is its pid namespace's
// init: its death ends every other process of the run.
func startAndWait(r *forkexec.Runner, wall time.Duration, sigs <-chan os.Signal) (w waited) {
	begin := time.Now()
	pid, err := start(r)
	if err != nil {
		w.err = err
		return w
	}
	var mu sync.Mutex
	exited := false
	kill := func(mark func()) {
		mu.Lock()
		defer mu.Unlock()
		if !exited {
			mark()
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if wall > 0 {
		timer := time.AfterFunc(wall-time.Since(begin), func() { kill(func() { w.wallKilled = true }) })
		defer timer.Stop()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case s := <-sigs:
			kill(func() { w.interrupted = s })
		case <-done:
		}
	}()

	var info unix.Siginfo
	for {
		err = unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	w.wall = time.Since(begin)
	mu.Lock()
	exited = true
	mu.Unlock()
	for {
		_, err = syscall.Wait4(pid, &w.status, 0, &w.rusage)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		w.err = fmt.Errorf("wait4: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// A timer that fired as the program was ending on its own did not
	// end it.
	if w.wallKilled && !(w.status.Signaled() && w.status.Signal() == syscall.SIGKILL) {
		w.wallKilled = false
	}
	return w
}

// start starts r so that the program dies with cfe-run, whatever kills
// cfe-run (SIGKILL included), and gets no fd but its three stdio ones.
// The parent-death signal is SIGKILL because the program is the init of
// its pid namespace, which ignores every other signal it has no handler
// for; its death ends every process of the run.  Builds without the C
// library (no cgo) refuse both options: there the run starts without a
// parent-death signal, and the fds cfe-run inherited are made
// close-on-exec first (closeInheritedFds) so that none reaches the
// program; its own are all close-on-exec already (Go opens them so).
func start(r *forkexec.Runner) (int, error) {
	child, err := forkexec.StartWith(r, forkexec.Options{ParentDeathSignal: syscall.SIGKILL, CloseOtherFds: true})
	if errors.Is(err, forkexec.ErrOptionUnsupported) {
		closeInheritedFds()
		return r.Start()
	}
	return child.Pid, err
}

// closeInheritedFds makes every fd above 2 that this process inherited
// close-on-exec, so that none reaches the program (the shell's stray fds
// would otherwise).
func closeInheritedFds() {
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
