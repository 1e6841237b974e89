//go:build linux && cgo && (amd64 || arm64)

package bindings

import (
	"syscall"

	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// Params is one start's configuration.  Its fields are, in order and type,
// those of forkexec.Runner, which converts to it without copying; see
// forkexec.Runner for what each one means.
type Params struct {
	Args                       []string
	Env                        []string
	ExecFile                   uintptr
	RLimits                    []rlimit.RLimit
	Files                      []uintptr
	WorkDir                    string
	Seccomp                    *syscall.SockFprog
	CloneFlags                 uintptr
	Mounts                     []mount.SyscallParams
	PivotRoot                  string
	HostName, DomainName       string
	UIDMappings                []syscall.SysProcIDMap
	GIDMappings                []syscall.SysProcIDMap
	CgroupFd                   uintptr
	Credential                 *syscall.Credential
	SyncFunc                   func(int) error
	Ptrace                     bool
	NoNewPrivs                 bool
	StopBeforeSeccomp          bool
	GIDMappingsEnableSetgroups bool
	DropCaps                   bool
	UnshareCgroupAfterSync     bool
	CTTY                       bool
}

// Options are the C library's start options that the reference's Runner
// lacks (struct cfe_config's fields appended after version 1); the zero
// value asks for none of them.
type Options struct {
	// PidFD asks for a close-on-exec pidfd of the child (pidfd_out).
	PidFD bool
	// ParentDeathSignal, when not 0, is sent to the child when the thread
	// that started it exits (parent_death_signal, 1..64).
	ParentDeathSignal syscall.Signal
	// CloseOtherFds keeps every fd but those of Files from the program
	// (CFE_FLAG_CLOSE_OTHER_FDS).
	CloseOtherFds bool
}

// Failure is a step of the child that failed: the errno, the location
// (the Go ErrorLocation number; 0 for a child killed before it reported)
// and the index in Mounts or RLimits.  The zero value is no failure.
type Failure struct {
	Errno    syscall.Errno
	Location int
	Index    int
}
