//go:build linux

package main

// The judge's syscall policies.  This file is the one place that knows
// them: --seccomp=judge is go/seccomp's JudgeDefault (libseccomp), for
// ordinary programs; --seccomp=fork its JudgeFork, the same plus fork and
// clone without new namespaces, for programs that must start processes.
// Where go/seccomp cannot build a filter (no cgo, or an architecture
// without the C core), the reference's pure-Go builder makes the judge
// policy from the lists below, and the fork policy is refused: that
// builder has no argument conditions to keep clone out of namespaces.

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"

	sandboxseccomp "github.com/criyle/go-sandbox/pkg/seccomp"
	"github.com/criyle/go-sandbox/pkg/seccomp/libseccomp"

	"github.com/cforkexec/cforkexec/go/seccomp"
)

// judgeAllowCommon (the fallback's list) are the syscalls a single-threaded C or C++ solution
// makes on every architecture: compute, allocate, read and write its open
// files, open files in the sandbox, ask the time, sleep, exit.  execve
// and execveat are there because the filter is loaded before the
// program's own execve; the program may therefore exec other programs of
// the read-only root, still inside every namespace and limit.  Nothing
// that makes processes or threads, sockets, mounts or traces.  The same
// names as go/seccomp's list (tgkill for raise and abort, sysinfo for
// glibc's qsort, ppoll and amd64's poll for Rust's start-up).
var judgeAllowCommon = []string{
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
	"fstat", "statx", "fcntl", "dup", "dup3", "ioctl",
	"openat", "faccessat", "faccessat2", "readlinkat", "getcwd",
	"mmap", "mprotect", "munmap", "brk", "mremap", "madvise",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
	"uname", "set_tid_address", "set_robust_list", "rseq", "futex", "prlimit64", "getrlimit",
	"getrandom", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"sched_yield", "sched_getaffinity", "tgkill",
	"clock_gettime", "clock_getres", "gettimeofday", "times", "getrusage", "sysinfo",
	"nanosleep", "clock_nanosleep", "ppoll",
	"execve", "execveat", "exit", "exit_group",
}

// judgeAllowArch are the calls an architecture has under its own name or
// only there (older ones its libc still uses), by GOARCH.
var judgeAllowArch = map[string][]string{
	"amd64": {"newfstatat", "open", "stat", "lstat", "access", "readlink", "dup2", "arch_prctl", "time", "fadvise64", "poll"},
	"arm64": {"fstatat"}, // the same call as amd64's newfstatat, by the name the builder knows
}

// policyFilter is the filter Runner.Seccomp takes for a --seccomp value:
// nil for "off", which runs the program with no syscall filter at all.
func policyFilter(policy string) (*syscall.SockFprog, error) {
	switch policy {
	case "judge":
		return judgeFilter()
	case "fork":
		return forkFilter()
	case "off":
		return nil, nil
	}
	return nil, fmt.Errorf("no syscall policy %q", policy)
}

// judgeFilter is the judge's default policy as the filter Runner.Seccomp
// takes: go/seccomp's JudgeDefault (its list and reasons are in
// c/include/cforkexec_seccomp.h), every other syscall killing the whole
// process (SIGSYS), as does a syscall of another architecture's ABI.  The
// fallback's program differs there: the reference's builder kills another
// architecture's calls too (int 0x80), but fails x32 calls with ENOSYS.
func judgeFilter() (*syscall.SockFprog, error) {
	filter, err := seccomp.JudgeDefault()
	if errors.Is(err, seccomp.ErrUnsupported) {
		filter, err = fallbackJudgeFilter()
	}
	if err != nil {
		return nil, err
	}
	return filter.SockFprog(), nil
}

// forkFilter is the judge's policy for programs that must start processes:
// go/seccomp's JudgeFork, the judge default list plus fork, vfork, clone
// without any CLONE_NEW* flag, clone3 failing with ENOSYS (glibc then
// uses clone), wait4, waitid, pipe, pipe2 and kill; everything else kills
// the process, a clone into a new namespace included.  Without go/seccomp
// it is refused: the reference's builder cannot test clone's flags, and a
// fork policy without that test would let the program make namespaces.
func forkFilter() (*syscall.SockFprog, error) {
	filter, err := seccomp.JudgeFork()
	if errors.Is(err, seccomp.ErrUnsupported) {
		return nil, fmt.Errorf("--seccomp=fork needs go/seccomp (cgo on linux/amd64 or linux/arm64) to keep clone out of new namespaces; "+
			"this build has only the reference's builder, which cannot test a syscall's arguments: %w", err)
	}
	if err != nil {
		return nil, err
	}
	return filter.SockFprog(), nil
}

// fallbackJudgeFilter builds the lists above with the reference's pure-Go
// builder, where go/seccomp cannot build: the same intent, its own program.
func fallbackJudgeFilter() (sandboxseccomp.Filter, error) {
	extra, ok := judgeAllowArch[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("no judge syscall policy for %s (use --seccomp=off)", runtime.GOARCH)
	}
	b := libseccomp.Builder{
		Allow:   append(append([]string(nil), judgeAllowCommon...), extra...),
		Default: libseccomp.ActionKill,
	}
	return b.Build()
}
