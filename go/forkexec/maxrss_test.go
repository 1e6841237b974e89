//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// A child's wait4 Maxrss is the largest resident set of the memory it ran
// in.  A CLONE_VM child runs in the caller's memory until its execve, and
// the kernel's exec_mmap folds the peak of the memory it leaves (the
// caller's VmHWM) into the child's Maxrss; the reference's forked child
// leaves a copy that holds the caller's anonymous pages.  These tests
// measure it for both packages, and the two exact ways a judge measures a
// child's memory instead.

type maxrssMode struct {
	name string
	root bool
	// cloneVM: the reference, too, shares the caller's memory (vfork).
	cloneVM bool
	runner  func() forkexec.Runner
}

var maxrssModes = []maxrssMode{
	{"simple", false, true, func() forkexec.Runner { return forkexec.Runner{} }},
	{"SyncFunc", false, false, func() forkexec.Runner {
		return forkexec.Runner{SyncFunc: func(int) error { return nil }}
	}},
	{"user namespace + SyncFunc", true, false, func() forkexec.Runner {
		return forkexec.Runner{CloneFlags: syscall.CLONE_NEWUSER, SyncFunc: func(int) error { return nil }}
	}},
	{"credential", true, true, func() forkexec.Runner {
		return forkexec.Runner{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}},
	{"ptrace + seccomp", false, false, func() forkexec.Runner {
		return forkexec.Runner{Ptrace: true, Seccomp: allowAllFilter()}
	}},
}

// procStatusKiB is a "kB" field of /proc/PID/status.
func procStatusKiB(pid, field string) (int64, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%s/status", field, pid)
}

// holdHeapOf makes this process hold a touched []byte of size bytes (and
// little else), with its peak resident set reset to what it holds now.
// With released, the bytes are given back to the kernel after the reset:
// only the peak remains.
func holdHeapOf(t *testing.T, size int, released bool) []byte {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	held := make([]byte, size)
	for i := 0; i < len(held); i += 4096 {
		held[i] = 1
	}
	// "5" resets VmHWM to the current VmRSS.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak resident set: %v", err)
	}
	if released {
		held = nil
		runtime.GC()
		debug.FreeOSMemory()
	}
	return held
}

// rssSlackKiB bounds how far the resident set the kernel folds at an exec
// may lag /proc's VmHWM read before it: each is a read of per-CPU
// counters that may be off by a batch of max(32, 2 * CPUs) pages per CPU.
func rssSlackKiB() int64 {
	n := int64(runtime.NumCPU())
	return 2 * n * max(32, 2*n) * int64(os.Getpagesize()) / 1024
}

// startForMaxrss starts the probe's "--exit 0" through start (a tracee
// continued at each stop; with options set at its first) and returns the
// child's Maxrss in KiB, and what atExitStop saw at its exit stop.  The
// caller has locked its OS thread.
func startForMaxrss(t *testing.T, start parityStart, r forkexec.Runner, options int, atExitStop func(pid int)) int64 {
	t.Helper()
	r.Args = []string{probePath, "--exit", "0"}
	r.Files = nullFiles(t)
	// The reference's vfork child's setuid leaves this process not
	// dumpable; no later test may see that.
	dumpable, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0)
	defer syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, dumpable, 0)
	pid, err := start(r)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer watchdog(pid)()
	for stops := 0; ; stops++ {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		if _, err := syscall.Wait4(pid, &ws, syscall.WALL, &ru); err != nil {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		if !ws.Stopped() {
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("child ended with status %#x", ws)
			}
			return ru.Maxrss
		}
		if stops == 0 && options != 0 {
			if err := syscall.PtraceSetOptions(pid, options); err != nil {
				t.Fatalf("PTRACE_SETOPTIONS: %v", err)
			}
		}
		if ws.StopSignal() == syscall.SIGTRAP && ws.TrapCause() == ptraceEventExit && atExitStop != nil {
			atExitStop(pid)
		}
		if err := syscall.PtraceCont(pid, 0); err != nil {
			t.Fatalf("PTRACE_CONT: %v", err)
		}
	}
}

var maxrssPackages = []struct {
	name  string
	start parityStart
}{{"reference", referenceStart}, {"ours", ourStart}}

// The child's Maxrss, in each mode, for both packages, at several caller
// heaps.  Ours folds the caller's peak in every mode (CLONE_VM); so does
// the reference where it uses vfork.
func TestChildMaxrss(t *testing.T) {
	if testing.Short() {
		t.Skip("holds up to 1 GiB of heap")
	}
	if raceEnabled {
		t.Skip("holds up to 1 GiB of heap, twice that with the race detector's shadow memory, for numbers that are not a run's without it")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var table []string
	slack := rssSlackKiB()
	for _, heap := range []struct {
		name     string
		size     int
		released bool
	}{{"0", 0, false}, {"256 MiB", 256 << 20, false}, {"1 GiB", 1 << 30, false}, {"1 GiB, freed", 1 << 30, true}} {
		held := holdHeapOf(t, heap.size, heap.released)
		hwm, err := procStatusKiB("self", "VmHWM")
		if err != nil {
			t.Fatal(err)
		}
		anon, err := procStatusKiB("self", "RssAnon")
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("| %-12s | %5d | %5d |", heap.name, hwm/1024, anon/1024)
		for _, m := range maxrssModes {
			if m.root && rootReason != "" {
				line += " skipped |"
				continue
			}
			got := map[string]int64{}
			for _, pkg := range maxrssPackages {
				got[pkg.name] = startForMaxrss(t, pkg.start, m.runner(), 0, nil)
			}
			line += fmt.Sprintf(" %5d / %5d |", got["reference"]/1024, got["ours"]/1024)
			// The exec folds the caller's peak into the child's Maxrss.
			if got["ours"] < hwm-slack {
				t.Errorf("heap %s, %s: our child's Maxrss %d KiB is below the caller's VmHWM %d KiB (less %d KiB of counter slack)",
					heap.name, m.name, got["ours"], hwm, slack)
			}
			if m.cloneVM && got["reference"] < hwm-slack {
				t.Errorf("heap %s, %s: the reference's vfork child's Maxrss %d KiB is below the caller's VmHWM %d KiB",
					heap.name, m.name, got["reference"], hwm)
			}
		}
		table = append(table, line)
		runtime.KeepAlive(held)
	}
	header := "| caller heap  | VmHWM | RssAnon |"
	for _, m := range maxrssModes {
		header += " " + m.name + " ref / ours |"
	}
	t.Logf("child's wait4 Maxrss in MiB (caller's VmHWM and RssAnon when it starts):\n%s\n%s", header, strings.Join(table, "\n"))
}

// memoryCgroup makes a cgroup whose memory peak the kernel keeps: under
// cgroup v2 where its root delegates the memory controller (memory.peak),
// else under a v1 memory hierarchy (memory.max_usage_in_bytes, the v1
// name of the same counter).  It returns the directory and the peak file.
func memoryCgroup(t *testing.T) (dir, peak string) {
	t.Helper()
	requireRoot(t)
	name := fmt.Sprintf("cforkexec-gotest-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "_"))
	if v2 := cgroup2Mount(t); v2 != "" {
		if ctl, err := os.ReadFile(v2 + "/cgroup.subtree_control"); err == nil && slices.Contains(strings.Fields(string(ctl)), "memory") {
			dir, peak = v2+"/"+name, "memory.peak"
		}
	}
	if dir == "" {
		if v1 := cgroup1MemoryMount(t); v1 != "" {
			dir, peak = v1+"/"+name, "memory.max_usage_in_bytes"
		}
	}
	if dir == "" {
		t.Skip("no cgroup with the memory controller")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Rmdir(dir); err != nil {
			t.Errorf("removing cgroup %s: %v", dir, err)
		}
	})
	return dir, peak
}

// cgroup1MemoryMount is the mount point of a cgroup v1 hierarchy with the
// memory controller ("" when there is none).
func cgroup1MemoryMount(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if ok && len(fields) >= 5 && len(after) >= 3 && after[0] == "cgroup" &&
			slices.Contains(strings.Split(after[2], ","), "memory") {
			return fields[4]
		}
	}
	return ""
}

// The two exact measures of a child's memory leave the caller's out:
// VmHWM of /proc/PID/status at the tracee's exit stop (PTRACE_O_TRACEEXIT;
// the new memory's own peak, for a judge that traces), and the memory
// peak of a cgroup the child enters before its execve (through SyncFunc,
// or CgroupFd under cgroup v2), where the caller's memory is not charged.
func TestChildMemoryMeasuredExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("holds 256 MiB of heap")
	}
	const heap = 256 << 20
	const small = 64 << 10 // KiB: the probe is a few hundred
	held := holdHeapOf(t, heap, false)
	defer runtime.KeepAlive(held)
	for _, pkg := range maxrssPackages {
		for _, m := range []maxrssMode{maxrssModes[0], maxrssModes[1], maxrssModes[4]} {
			t.Run(pkg.name+"/VmHWM at the exit stop/"+m.name, func(t *testing.T) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				r := m.runner()
				r.Ptrace = true
				var hwm int64 = -1
				maxrss := startForMaxrss(t, pkg.start, r, syscall.PTRACE_O_TRACEEXIT|ptraceOExitKill, func(pid int) {
					var err error
					if hwm, err = procStatusKiB(strconv.Itoa(pid), "VmHWM"); err != nil {
						t.Error(err)
					}
				})
				t.Logf("VmHWM at the exit stop %d KiB; Maxrss %d KiB", hwm, maxrss)
				if hwm <= 0 || hwm > small {
					t.Errorf("VmHWM at the exit stop = %d KiB, want the probe's own, above 0 and below %d KiB", hwm, small)
				}
			})
		}
		for _, m := range []maxrssMode{maxrssModes[1], maxrssModes[2]} {
			t.Run(pkg.name+"/cgroup peak/"+m.name, func(t *testing.T) {
				if m.root {
					requireRoot(t)
				}
				dir, peakFile := memoryCgroup(t)
				r := m.runner()
				r.SyncFunc = func(pid int) error {
					return os.WriteFile(dir+"/cgroup.procs", []byte(strconv.Itoa(pid)), 0)
				}
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				maxrss := startForMaxrss(t, pkg.start, r, 0, nil)
				data, err := os.ReadFile(dir + "/" + peakFile)
				if err != nil {
					t.Fatal(err)
				}
				peak, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s %d KiB; Maxrss %d KiB", peakFile, peak/1024, maxrss)
				if peak <= 0 || peak/1024 > small {
					t.Errorf("%s = %d bytes, want the probe's own, above 0 and below %d KiB", peakFile, peak, small)
				}
			})
		}
	}
}
