package main

import (
	"syscall"
	"time"
)

// The statuses of a run.
const (
	statusOK                = "ok"
	statusTimeLimit         = "time_limit"
	statusWallTimeLimit     = "wall_time_limit"
	statusMemoryLimit       = "memory_limit"
	statusOutputLimit       = "output_limit"
	statusRuntimeError      = "runtime_error"
	statusDisallowedSyscall = "disallowed_syscall"
	statusRunnerError       = "runner_error"
)

// outcome is what a finished run left: how it ended and what it used,
// with the limits it ran under.
type outcome struct {
	exitCode   int            // when signal == 0
	signal     syscall.Signal // 0: it exited
	cpu        time.Duration
	peak       uint64 // bytes
	starterRSS uint64 // starter_rss_bytes: cfe-run's part of a rusage peak
	staticSize uint64 // PROGRAM's ELF static size (memory.go), 0: unknown
	wallKilled bool   // cfe-run's wall-clock timer killed it
	oomKilled  bool   // the run's cgroup counted an OOM kill
	outputFull bool   // --stdout or --stderr is a regular file of --output bytes or more:
	// the program reached the limit (its write failed with EFBIG)

	cpuLimit    time.Duration // 0: none
	memoryLimit uint64        // 0: none
	memCgroup   bool          // memory enforced by cgroup v2 (else RLIMIT_AS)
	seccomp     bool          // the judge policy was loaded
}

// failed is a run that did not exit 0.
func (o outcome) failed() bool { return o.signal != 0 || o.exitCode != 0 }

// deriveStatus names how a run ended; the first rule that holds wins (the
// help text lists them in this order).
func deriveStatus(o outcome) string {
	switch {
	case o.signal == syscall.SIGXCPU || (o.cpuLimit > 0 && o.cpu >= o.cpuLimit):
		return statusTimeLimit
	case o.wallKilled:
		return statusWallTimeLimit
	case o.signal == syscall.SIGXFSZ || o.outputFull:
		return statusOutputLimit
	case o.signal == syscall.SIGSYS && o.seccomp:
		return statusDisallowedSyscall
	case o.oomKilled:
		return statusMemoryLimit
	case o.failed() && o.memoryLimit > 0 && o.overMemory():
		return statusMemoryLimit
	case o.failed():
		return statusRuntimeError
	}
	return statusOK
}
