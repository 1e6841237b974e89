package main

import (
	"errors"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// result is the JSON line cfe-run prints.  The key order is the field
// order; --help explains each key.
type result struct {
	Status       string    `json:"status"`
	ExitCode     *int      `json:"exit_code"`
	Signal       *int      `json:"signal"`
	CPUTimeMs    int64     `json:"cpu_time_ms"`
	MemoryBytes  uint64    `json:"memory_bytes"`
	WallTimeMs   int64     `json:"wall_time_ms"`
	Error        *runError `json:"error"`
	Limits       limits    `json:"limits"`
	MemorySource string    `json:"memory_source"`
	CPUSource    string    `json:"cpu_source"`
	StarterRSS   uint64    `json:"starter_rss_bytes"`
}

// runError is a run that could not start: Step is the library's name of
// the child's failed step (Location its number, Index its place in the
// mount or rlimit list) or, with Location 0, a step of cfe-run itself.
type runError struct {
	Step      string `json:"step"`
	Location  int    `json:"location"`
	Index     int    `json:"index"`
	Errno     int    `json:"errno"`
	ErrnoName string `json:"errno_name"`
	Message   string `json:"message"`
}

// limit is one limit's value (0: none) and what enforced it.
type limit struct {
	Value uint64 `json:"value"`
	By    string `json:"by"`
}

// limits are the limits of the run.  Cgroup is "v2 DIR" (the run's
// cgroup, removed since) or why cgroup v2 was not used.
type limits struct {
	CPUTimeMs   limit  `json:"cpu_time_ms"`
	WallTimeMs  limit  `json:"wall_time_ms"`
	MemoryBytes limit  `json:"memory_bytes"`
	OutputBytes limit  `json:"output_bytes"`
	Procs       limit  `json:"procs"`
	Files       limit  `json:"files"`
	WorkBytes   limit  `json:"work_bytes"`
	Seccomp     string `json:"seccomp"`
	Cgroup      string `json:"cgroup"`
}

// by is how a limit of value n is enforced: "none" for no limit.
func by(n uint64, how string) limit {
	if n == 0 {
		return limit{By: "none"}
	}
	return limit{Value: n, By: how}
}

// ms is a duration in whole milliseconds.
func ms(d time.Duration) int64 { return d.Milliseconds() }

// stepError is a failed step of cfe-run's own, with the errno inside err
// when there is one.
func stepError(step string, err error) *runError {
	e := &runError{Step: step, Message: step + ": " + err.Error()}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		e.Errno, e.ErrnoName = int(errno), unix.ErrnoName(errno)
	}
	return e
}
