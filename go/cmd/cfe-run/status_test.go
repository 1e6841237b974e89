package main

import (
	"syscall"
	"testing"
	"time"
)

func TestDeriveStatus(t *testing.T) {
	const mem = 64 << 20
	base := outcome{cpuLimit: time.Second, memoryLimit: mem, seccomp: true}
	with := func(f func(*outcome)) outcome { o := base; f(&o); return o }
	cases := []struct {
		name string
		o    outcome
		want string
	}{
		{"exit 0", base, statusOK},
		{"exit 3", with(func(o *outcome) { o.exitCode = 3 }), statusRuntimeError},
		{"SIGSEGV", with(func(o *outcome) { o.signal = syscall.SIGSEGV }), statusRuntimeError},
		{"SIGXCPU", with(func(o *outcome) { o.signal = syscall.SIGXCPU }), statusTimeLimit},
		{"killed at the CPU limit", with(func(o *outcome) { o.signal, o.cpu = syscall.SIGKILL, time.Second }), statusTimeLimit},
		{"exit 0 over the CPU limit", with(func(o *outcome) { o.cpu = 1001 * time.Millisecond }), statusTimeLimit},
		{"exit 0 just under the CPU limit", with(func(o *outcome) { o.cpu = 999 * time.Millisecond }), statusOK},
		{"no CPU limit", with(func(o *outcome) { o.cpuLimit, o.cpu = 0, time.Hour }), statusOK},
		{"wall kill", with(func(o *outcome) { o.signal, o.wallKilled = syscall.SIGKILL, true }), statusWallTimeLimit},
		{"wall kill past the CPU limit", with(func(o *outcome) {
			o.signal, o.wallKilled, o.cpu = syscall.SIGKILL, true, 2*time.Second
		}), statusTimeLimit},
		{"SIGXFSZ", with(func(o *outcome) { o.signal = syscall.SIGXFSZ }), statusOutputLimit},
		{"output file full, exit 1", with(func(o *outcome) { o.exitCode, o.outputFull = 1, true }), statusOutputLimit},
		{"output file full, exit 0", with(func(o *outcome) { o.outputFull = true }), statusOutputLimit},
		{"SIGSYS under the policy", with(func(o *outcome) { o.signal = syscall.SIGSYS }), statusDisallowedSyscall},
		{"SIGSYS without a policy", with(func(o *outcome) { o.signal, o.seccomp = syscall.SIGSYS, false }), statusRuntimeError},
		{"cgroup OOM kill", with(func(o *outcome) { o.signal, o.oomKilled, o.memCgroup = syscall.SIGKILL, true, true }), statusMemoryLimit},
		{"cgroup peak at the limit, failed", with(func(o *outcome) {
			o.exitCode, o.peak, o.memCgroup = 1, mem, true
		}), statusMemoryLimit},
		{"cgroup peak under the limit, failed", with(func(o *outcome) {
			o.exitCode, o.peak, o.memCgroup = 1, mem-1, true
		}), statusRuntimeError},
		// RLIMIT_AS (memory.go): the line is --memory minus max(M/8, 4 MiB),
		// 56 MiB here, for the program's own peak (above starter_rss + 1 MiB).
		{"rlimit: SIGSEGV at the line", with(func(o *outcome) { o.signal, o.peak = syscall.SIGSEGV, 56<<20 }), statusMemoryLimit},
		{"rlimit: SIGABRT near the limit", with(func(o *outcome) { o.signal, o.peak = syscall.SIGABRT, mem-1 }), statusMemoryLimit},
		{"rlimit: SIGKILL near the limit", with(func(o *outcome) { o.signal, o.peak = syscall.SIGKILL, mem-1 }), statusMemoryLimit},
		{"rlimit: exit 1 near the limit", with(func(o *outcome) { o.exitCode, o.peak = 1, mem-1 }), statusMemoryLimit},
		{"rlimit: SIGSEGV below the line", with(func(o *outcome) { o.signal, o.peak = syscall.SIGSEGV, 56<<20-1 }), statusRuntimeError},
		{"rlimit: exit 1 at 3/4 of the limit (used, not exhausted)", with(func(o *outcome) { o.exitCode, o.peak = 1, mem/4*3 }), statusRuntimeError},
		{"rlimit: SIGFPE near the limit", with(func(o *outcome) { o.signal, o.peak = syscall.SIGFPE, mem-1 }), statusRuntimeError},
		{"rlimit: exit 0 near the limit", with(func(o *outcome) { o.peak = mem }), statusOK},
		{"rlimit: 6M limit, peak is the starter's", with(func(o *outcome) {
			o.memoryLimit, o.exitCode, o.peak, o.starterRSS = 6<<20, 3, 5<<20+4096, 5<<20
		}), statusRuntimeError},
		{"rlimit: 6M limit, peak the program's", with(func(o *outcome) {
			o.memoryLimit, o.exitCode, o.peak, o.starterRSS = 6<<20, 3, 6<<20+4096, 4<<20
		}), statusMemoryLimit},
		{"rlimit: died at exec, static size near the limit", with(func(o *outcome) {
			o.signal, o.peak, o.starterRSS, o.staticSize = syscall.SIGSEGV, 5<<20, 5<<20, mem-(2<<20)
		}), statusMemoryLimit},
		{"rlimit: exit 1 at start, static size near the limit", with(func(o *outcome) {
			o.exitCode, o.peak, o.starterRSS, o.staticSize = 1, 5<<20, 5<<20, mem-(2<<20)
		}), statusRuntimeError},
		{"rlimit: died early, small static size", with(func(o *outcome) {
			o.signal, o.peak, o.starterRSS, o.staticSize = syscall.SIGSEGV, 5<<20, 5<<20, 1<<20
		}), statusRuntimeError},
		{"no memory limit", with(func(o *outcome) { o.signal, o.memoryLimit, o.peak = syscall.SIGSEGV, 0, 1<<40 }), statusRuntimeError},
	}
	for _, c := range cases {
		if got := deriveStatus(c.o); got != c.want {
			t.Errorf("%s: deriveStatus = %s, want %s", c.name, got, c.want)
		}
	}
}
