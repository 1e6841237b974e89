//go:build linux

package main

// The judge's syscall policy.  This file is the one place that knows it:
// go/seccomp's JudgeDefault (libseccomp), the project's one judge policy;
// where that package cannot build a filter (no cgo, or an architecture
// without the C core), the reference's pure-Go builder with the list below.

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
// that makes processes or threads, sockets, mounts or traces.
var judgeAllowCommon = []string{
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
	"fstat", "statx", "fcntl", "dup", "dup3", "ioctl",
	"openat", "faccessat", "faccessat2", "readlinkat", "getcwd",
	"mmap", "mprotect", "munmap", "brk", "mremap", "madvise",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall",
	"uname", "set_tid_address", "set_robust_list", "rseq", "futex", "prlimit64", "getrlimit",
	"getrandom", "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "sched_yield",
	"clock_gettime", "clock_getres", "gettimeofday", "times", "getrusage", "sysinfo",
	"nanosleep", "clock_nanosleep",
	"execve", "execveat", "exit", "exit_group",
}

// judgeAllowArch are the calls an architecture has under its own name or
// only there (older ones its libc still uses), by GOARCH.
var judgeAllowArch = map[string][]string{
	"amd64": {"newfstatat", "open", "stat", "lstat", "access", "readlink", "dup2", "arch_prctl", "time", "fadvise64"},
	"arm64": {"fstatat"}, // the same call as amd64's newfstatat, by the name the builder knows
}

// judgeFilter is the judge's default policy as the filter Runner.Seccomp
// takes: go/seccomp's JudgeDefault (its list and reasons are in
// c/include/cforkexec_seccomp.h), every other syscall killing the whole
// process (SIGSYS), as does a syscall of another architecture's ABI.
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
