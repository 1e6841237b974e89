//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// The soak: many starts from many goroutines at once, and starts under a
// storm of signals.  Short by default (make test); CFE_SOAK=1 (make soak)
// makes it long.
const (
	soakWorkers     = 16
	soakStall       = time.Minute // no start finished for this long: hung
	soakTick        = time.Millisecond
	soakHeapSlack   = 4 << 10 // a new runtime thread's share of the C heap
	soakThreadSlack = 4
	// New threads' stacks, the Go heap's and the race detector's shadow
	// mappings; an arena leaked by one kind of start in 8 would add
	// hundreds.
	soakMapsSlack = 32
)

func soakCounts() (mixed, storm int) {
	if os.Getenv("CFE_SOAK") == "1" {
		return 10000, 5000
	}
	return 2000, 1000
}

var errSoakRefusal = errors.New("soak: refused by SyncFunc")

var stormSignals = []os.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM}

// soakKind is one kind of start and how it must end.
type soakKind struct {
	name   string
	runner *forkexec.Runner
	check  func(pid int, err error) error // pid > 0: the reaped child's status is checked first
	fails  bool
}

func soakKinds(t *testing.T) []soakKind {
	exit0 := []string{probePath, "--exit", "0"}
	missing := []string{filepath.Join(t.TempDir(), "missing"), "--exit", "0"}
	syncOK := func(int) error { return nil }
	isChildError := func(loc forkexec.ErrorLocation, errno syscall.Errno) func(int, error) error {
		return func(_ int, err error) error {
			if ce, ok := err.(forkexec.ChildError); !ok || ce.Location != loc || ce.Err != errno {
				return fmt.Errorf("error %v, want ChildError{%v, %v}", err, errno, loc)
			}
			return nil
		}
	}
	return []soakKind{
		{name: "plain", runner: &forkexec.Runner{Args: exit0}},
		{name: "missing program", runner: &forkexec.Runner{Args: missing}, fails: true,
			check: isChildError(forkexec.LocExecve, syscall.ENOENT)},
		{name: "refusing SyncFunc", runner: &forkexec.Runner{Args: exit0, SyncFunc: func(int) error { return errSoakRefusal }}, fails: true,
			check: func(_ int, err error) error {
				if err != errSoakRefusal {
					return fmt.Errorf("error %v, want SyncFunc's", err)
				}
				return nil
			}},
		{name: "bad rlimit", runner: &forkexec.Runner{Args: exit0, RLimits: []rlimit.RLimit{{Res: 999, Rlim: syscall.Rlimit{Cur: 1, Max: 1}}}}, fails: true,
			check: isChildError(forkexec.LocSetRlimit, syscall.EINVAL)},
		{name: "user namespace", runner: &forkexec.Runner{Args: exit0, CloneFlags: syscall.CLONE_NEWUSER, SyncFunc: syncOK}},
		{name: "SyncFunc", runner: &forkexec.Runner{Args: exit0, SyncFunc: syncOK}},
		{name: "invalid", runner: &forkexec.Runner{Args: exit0, CloneFlags: syscall.CLONE_NEWNS, PivotRoot: "relative"}, fails: true,
			check: func(_ int, err error) error {
				if err == nil || !strings.Contains(err.Error(), "PivotRoot") {
					return fmt.Errorf("error %v, want one naming PivotRoot", err)
				}
				return nil
			}},
		{name: "missing program in a user namespace", runner: &forkexec.Runner{Args: missing, CloneFlags: syscall.CLONE_NEWUSER}, fails: true,
			check: isChildError(forkexec.LocExecve, syscall.ENOENT)},
	}
}

func isStormSignal(sig syscall.Signal) bool {
	for _, s := range stormSignals {
		if s == sig {
			return true
		}
	}
	return false
}

// soakStart starts one of kind k and checks how it ended.  In a storm, a
// child killed by one of the storm's signals is fine (killed is true).
func soakStart(k *soakKind, storm bool) (killed bool, bad error) {
	pid, err := k.runner.Start()
	if pid > 0 {
		var ws syscall.WaitStatus
		for {
			_, werr := syscall.Wait4(pid, &ws, 0, nil)
			if werr == syscall.EINTR {
				continue
			}
			if werr != nil {
				return false, fmt.Errorf("%s: wait4(%d): %v", k.name, pid, werr)
			}
			break
		}
		if storm && ws.Signaled() && isStormSignal(ws.Signal()) {
			return true, nil
		}
		if k.fails || !ws.Exited() || ws.ExitStatus() != 0 {
			return false, fmt.Errorf("%s: started pid %d, which ended with status %#x", k.name, pid, ws)
		}
		return false, nil
	}
	// A child that owed the parent a report and was killed first.
	if ce, ok := err.(forkexec.ChildError); storm && ok && ce.Err == syscall.EPIPE {
		return true, nil
	}
	if !k.fails {
		return false, fmt.Errorf("%s: %v", k.name, err)
	}
	if bad := k.check(pid, err); bad != nil {
		return false, fmt.Errorf("%s: %v", k.name, bad)
	}
	return false, nil
}

// soakPool is soakWorkers goroutines, each locked to its own OS thread for
// every round, so that each thread runs the same starts in every round and
// malloc's per-thread caches end each round alike.
type soakPool struct {
	kinds    []soakKind
	rounds   []chan soakRound
	done     sync.WaitGroup
	finished atomic.Int64
	killed   atomic.Int64
	mu       sync.Mutex
	failures []string
}

type soakRound struct {
	starts int
	storm  bool
	wg     *sync.WaitGroup
}

func newSoakPool(kinds []soakKind) *soakPool {
	p := &soakPool{kinds: kinds}
	for w := 0; w < soakWorkers; w++ {
		ch := make(chan soakRound)
		p.rounds = append(p.rounds, ch)
		p.done.Add(1)
		go p.work(w, ch)
	}
	return p
}

func (p *soakPool) work(w int, rounds chan soakRound) {
	defer p.done.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for r := range rounds {
		for i := w; i < r.starts; i += soakWorkers {
			killed, bad := soakStart(&p.kinds[i%len(p.kinds)], r.storm)
			p.finished.Add(1)
			if killed {
				p.killed.Add(1)
			}
			if bad != nil {
				p.mu.Lock()
				if len(p.failures) < 20 {
					p.failures = append(p.failures, bad.Error())
				}
				p.mu.Unlock()
			}
		}
		r.wg.Done()
	}
}

// run makes the workers share starts (kinds in turn) and waits for them.
func (p *soakPool) run(starts int, storm bool) {
	var wg sync.WaitGroup
	wg.Add(soakWorkers)
	for _, ch := range p.rounds {
		ch <- soakRound{starts: starts, storm: storm, wg: &wg}
	}
	wg.Wait()
}

func (p *soakPool) close() {
	for _, ch := range p.rounds {
		close(ch)
	}
	p.done.Wait()
}

// watchdog panics (failing the test binary with every goroutine's stack)
// when no start finishes for soakStall; stop it before returning.
func (p *soakPool) watchdog() (stop func()) {
	quit := make(chan struct{})
	go func() {
		last := int64(-1)
		for {
			select {
			case <-quit:
				return
			case <-time.After(soakStall):
			}
			now := p.finished.Load()
			if now == last {
				panic(fmt.Sprintf("soak: hung: no start finished in %v (%d so far)", soakStall, now))
			}
			last = now
		}
	}()
	return func() { close(quit) }
}

func (p *soakPool) report(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.failures {
		t.Error(f)
	}
}

// soakUsage is what starts could leak in this process.
type soakUsage struct{ fds, threads, maps, heap int }

func soakMeasure(t *testing.T) soakUsage {
	t.Helper()
	u := measureUsage(t)
	return soakUsage{fds: u.fds, threads: u.threads, maps: u.maps, heap: u.heap}
}

func soakCompare(t *testing.T, phase string, before, after soakUsage) {
	t.Helper()
	t.Logf("%s: %+v before, %+v after", phase, before, after)
	if after.fds != before.fds {
		t.Errorf("%s: open fds went from %d to %d", phase, before.fds, after.fds)
	}
	// The runtime may start a thread or two meanwhile, each with a stack
	// and some C heap; a leak per start would be far larger.
	if after.threads > before.threads+soakThreadSlack {
		t.Errorf("%s: threads went from %d to %d", phase, before.threads, after.threads)
	}
	if after.maps > before.maps+soakMapsSlack {
		t.Errorf("%s: mappings went from %d to %d", phase, before.maps, after.maps)
	}
	if after.heap > before.heap+soakHeapSlack {
		t.Errorf("%s: C heap in use grew from %d to %d B", phase, before.heap, after.heap)
	}
	requireNoChildren(t)
}

// Many mixed starts from 16 goroutines at once leak nothing and leave no
// child.
func TestSoakMixedStarts(t *testing.T) {
	requireRoot(t)
	starts, _ := soakCounts()
	kinds := soakKinds(t)
	spareThreads(2 * soakWorkers)
	p := newSoakPool(kinds)
	defer p.close()
	defer p.watchdog()()

	p.run(soakWorkers*len(kinds)*2, false) // warm-up
	before := soakMeasure(t)
	begin := time.Now()
	p.run(starts, false)
	elapsed := time.Since(begin)
	after := soakMeasure(t)
	t.Logf("%d mixed starts (%d kinds) from %d goroutines in %v", starts, len(kinds), soakWorkers, elapsed.Round(time.Millisecond))
	p.report(t)
	soakCompare(t, "mixed", before, after)
}

// Starts from 16 goroutines while SIGUSR1, SIGUSR2 and SIGALRM arrive 1000
// times a second each, sent to this process group: this process, which
// receives them through os/signal, and every child before its setsid, which
// must die of them (its handlers reset) rather than run the runtime's.
// Nothing crashes or hangs, every start ends as it should or with its
// child killed by the storm, and nothing leaks.
func TestSoakSignalStorm(t *testing.T) {
	requireRoot(t)
	_, starts := soakCounts()
	kinds := soakKinds(t)

	// Our own process group: the storm must reach nobody else (go test,
	// other test binaries).
	pgid := syscall.Getpgrp()
	if err := syscall.Setpgid(0, 0); err != nil {
		t.Fatalf("setpgid: %v", err)
	}
	defer func() {
		if err := syscall.Setpgid(0, pgid); err != nil {
			t.Errorf("setpgid back to %d: %v", pgid, err)
		}
	}()
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, stormSignals...)
	var received atomic.Int64
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range sigs {
			received.Add(1)
		}
	}()
	defer func() { signal.Stop(sigs); close(sigs); <-drained }()

	spareThreads(2 * soakWorkers)
	p := newSoakPool(kinds)
	defer p.close()
	defer p.watchdog()()

	var ticks atomic.Int64
	storm := func(run func()) {
		quit := make(chan struct{})
		stopped := make(chan struct{})
		flowing := make(chan struct{})
		go func() {
			defer close(stopped)
			ticker := time.NewTicker(soakTick)
			defer ticker.Stop()
			for {
				for _, s := range stormSignals {
					_ = syscall.Kill(0, s.(syscall.Signal))
				}
				if ticks.Add(1) == 1 {
					close(flowing)
				}
				select {
				case <-quit:
					return
				case <-ticker.C:
				}
			}
		}()
		<-flowing
		run()
		close(quit)
		<-stopped
	}

	storm(func() { p.run(soakWorkers*len(kinds)*2, true) }) // warm-up
	before := soakMeasure(t)
	killedBefore, receivedBefore := p.killed.Load(), received.Load()
	ticks.Store(0)
	begin := time.Now()
	storm(func() { p.run(starts, true) })
	elapsed := time.Since(begin)
	after := soakMeasure(t)
	t.Logf("%d starts from %d goroutines under %d ticks of %d signals in %v: %d received here, %d children killed by them",
		starts, soakWorkers, ticks.Load(), len(stormSignals), elapsed.Round(time.Millisecond),
		received.Load()-receivedBefore, p.killed.Load()-killedBefore)
	p.report(t)
	soakCompare(t, "storm", before, after)
}
