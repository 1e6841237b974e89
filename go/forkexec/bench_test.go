//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/bindings"
	"github.com/cforkexec/cforkexec/go/forkexec"
	reference "github.com/criyle/go-sandbox/pkg/forkexec"
	"github.com/criyle/go-sandbox/pkg/mount"
)

// Live, touched memory the benchmark process holds while it starts
// children: the point of CLONE_VM is that a start costs the same at every
// size.
var benchHeaps = []struct {
	name  string
	bytes int
}{
	{"0", 0},
	{"256MiB", 256 << 20},
	{"1GiB", 1 << 30},
}

var heldHeap []byte

func holdHeap(n int) {
	heldHeap = nil
	if n == 0 {
		debug.FreeOSMemory()
		return
	}
	heldHeap = make([]byte, n)
	for i := 0; i < n; i += os.Getpagesize() {
		heldHeap[i] = 1
	}
	// Collect and return freed memory to the kernel now, not during the
	// measurement (the scavenger's madvise calls contend with a CLONE_VM
	// child for the shared memory map).
	debug.FreeOSMemory()
}

// benchConfig is one shape of start: the reference's own benchmark
// configurations, then the handshake shapes judges use.
type benchConfig struct {
	name   string
	runner func(b *testing.B, exec *os.File) *forkexec.Runner
	// ptrace children stop and must be continued by the benchmark.
	ptrace bool
}

func plain(flags uintptr) func(*testing.B, *os.File) *forkexec.Runner {
	return func(*testing.B, *os.File) *forkexec.Runner {
		return &forkexec.Runner{Args: []string{probePath, "--exit", "0"}, CloneFlags: flags}
	}
}

func pivotRunner(flags uintptr) func(*testing.B, *os.File) *forkexec.Runner {
	return func(b *testing.B, exec *os.File) *forkexec.Runner {
		root := b.TempDir()
		var mounts []mount.SyscallParams
		for _, dir := range []string{"/usr", "/lib", "/lib64", "/bin"} {
			if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
				continue // merged /usr: a symlink, nothing to bind
			}
			m := mount.Mount{Source: dir, Target: dir[1:], Flags: syscall.MS_BIND | syscall.MS_RDONLY | syscall.MS_NOSUID}
			p, err := m.ToSyscall()
			if err != nil {
				b.Fatal(err)
			}
			mounts = append(mounts, *p)
		}
		return &forkexec.Runner{
			Args:       []string{"probe", "--exit", "0"},
			ExecFile:   exec.Fd(),
			CloneFlags: flags,
			Mounts:     mounts,
			PivotRoot:  root,
		}
	}
}

func noSync(int) error { return nil }

// traceAllFilter is an allow-all filter that traces nothing: the ptrace
// shape's cost without trace events in the measured run.
var traceAllFilter = []syscall.SockFilter{{Code: syscall.BPF_RET | syscall.BPF_K, K: 0x7fff0000}}

var benchConfigs = []benchConfig{
	{name: "simple", runner: plain(0)},
	{name: "unshare-pid", runner: plain(syscall.CLONE_NEWPID)},
	{name: "unshare-user", runner: plain(syscall.CLONE_NEWUSER)},
	{name: "unshare-uts", runner: plain(syscall.CLONE_NEWUTS)},
	{name: "unshare-cgroup", runner: plain(syscall.CLONE_NEWCGROUP)},
	{name: "unshare-ipc", runner: plain(syscall.CLONE_NEWIPC)},
	{name: "unshare-mount", runner: plain(syscall.CLONE_NEWNS)},
	{name: "unshare-net", runner: plain(syscall.CLONE_NEWNET)},
	{name: "fast-pivot", runner: pivotRunner(syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS | syscall.CLONE_NEWCGROUP)},
	{name: "unshare-all", runner: plain(forkexec.UnshareFlags)},
	{name: "pivot-all", runner: pivotRunner(forkexec.UnshareFlags)},
	{name: "syncfunc", runner: func(b *testing.B, f *os.File) *forkexec.Runner {
		r := plain(0)(b, f)
		r.SyncFunc = noSync
		return r
	}},
	{name: "syncfunc-user-dropcaps", runner: func(b *testing.B, f *os.File) *forkexec.Runner {
		r := plain(syscall.CLONE_NEWUSER)(b, f)
		r.SyncFunc, r.DropCaps = noSync, true
		return r
	}},
	{name: "ptrace-seccomp", ptrace: true, runner: func(b *testing.B, f *os.File) *forkexec.Runner {
		r := plain(0)(b, f)
		r.Ptrace = true
		r.Seccomp = &syscall.SockFprog{Len: uint16(len(traceAllFilter)), Filter: &traceAllFilter[0]}
		return r
	}},
	{name: "credential", runner: func(b *testing.B, f *os.File) *forkexec.Runner {
		r := plain(0)(b, f)
		r.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
		return r
	}},
}

// benchRounds is how many times BenchmarkStart runs each configuration
// through each package at each heap (CFE_BENCH_ROUNDS, default 1; make
// bench sets it): sub-benchmarks of later rounds are named "...#01" on.
func benchRounds() int {
	if n, err := strconv.Atoi(os.Getenv("CFE_BENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// starter is a Runner of either package.
type starter interface{ Start() (int, error) }

// packages are the two sides of every benchmark, run one after the other
// for each configuration and heap so that both see the same machine.
type benchPackage struct {
	name string
	of   func(*forkexec.Runner) starter
}

var packages = []benchPackage{
	{"ref", func(r *forkexec.Runner) starter { ref := reference.Runner(*r); return &ref }},
	{"cfe", func(r *forkexec.Runner) starter { return r }},
}

// inOrderOf is the order of the packages in a round: the reference first
// in even rounds, ours first in odd ones, so that neither always inherits
// the other's deferred kernel work (a network namespace is torn down
// after its last process exits, on a kernel worker, while the next
// starts run).
func inOrderOf(round int) []benchPackage {
	if round%2 == 0 {
		return packages
	}
	return []benchPackage{packages[1], packages[0]}
}

// startAndWait is one benchmark op: a start and the wait for the child,
// continuing a traced child through its stops.  It returns how long Start
// itself took.
func startAndWait(b *testing.B, r starter, ptrace bool) time.Duration {
	t0 := time.Now()
	pid, err := r.Start()
	took := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	for {
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, syscall.WALL, nil); err != nil {
			b.Fatal(err)
		}
		if ws.Exited() || ws.Signaled() {
			return took
		}
		if !ptrace || !ws.Stopped() {
			b.Fatalf("unexpected wait status %#x", ws)
		}
		if err := syscall.PtraceCont(pid, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStart(b *testing.B) {
	requireRoot(b)
	exec, err := os.Open(probePath)
	if err != nil {
		b.Fatal(err)
	}
	defer exec.Close()
	rounds := benchRounds()
	for _, heap := range benchHeaps {
		holdHeap(heap.bytes)
		// Each round runs every configuration through both packages, one
		// right after the other, and the floor: the pairs of a ratio are
		// seconds apart at most, and the rounds spread each
		// configuration over the whole measurement of its heap.
		for round := 0; round < rounds; round++ {
			for _, c := range benchConfigs {
				for _, pkg := range inOrderOf(round) {
					b.Run(fmt.Sprintf("%s/heap=%s/%s", c.name, heap.name, pkg.name), func(b *testing.B) {
						r := pkg.of(c.runner(b, exec))
						if c.ptrace {
							runtime.LockOSThread()
							defer runtime.UnlockOSThread()
						}
						var inStart time.Duration
						b.ReportAllocs()
						b.ResetTimer()
						for i := 0; i < b.N; i++ {
							inStart += startAndWait(b, r, c.ptrace)
						}
						// Start alone, without the child's run and the wait.
						b.ReportMetric(float64(inStart.Nanoseconds())/float64(b.N), "start-ns/op")
					})
				}
			}
			b.Run(fmt.Sprintf("floor/heap=%s/posix_spawn", heap.name), func(b *testing.B) {
				args := []string{probePath, "--exit", "0"}
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := bindings.SpawnAndWait(args); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	holdHeap(0)
}

func BenchmarkStartParallel(b *testing.B) {
	requireRoot(b)
	for round := 0; round < benchRounds(); round++ {
		for _, c := range []benchConfig{benchConfigs[0], benchConfigs[11]} {
			for _, pkg := range inOrderOf(round) {
				b.Run(c.name+"/heap=0/"+pkg.name, func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						r := pkg.of(c.runner(nil, nil))
						for pb.Next() {
							startAndWait(b, r, false)
						}
					})
				})
			}
		}
	}
}
