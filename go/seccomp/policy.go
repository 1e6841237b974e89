//go:build linux

package seccomp

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/criyle/go-sandbox/pkg/seccomp"
)

// Action is what a filter does with a system call, in the kernel's
// encoding of a filter's return value (SECCOMP_RET_*: the action in the
// high 16 bits, its data in the low 16). Only Allow, Kill, Errno(n) and
// Trace(n) are valid; the zero Action (the kernel's kill-thread) is not.
type Action uint32

const (
	// Allow lets the system call run.
	Allow Action = 0x7fff0000
	// Kill kills the whole process (SECCOMP_RET_KILL_PROCESS): its wait
	// status shows SIGSYS.
	Kill Action = 0x80000000
)

const (
	actionErrno Action = 0x00050000
	actionTrace Action = 0x7ff00000
	actionMask  Action = 0xffff0000
	dataMask    Action = 0x0000ffff
	// maxErrno is the largest errno libseccomp lets a filter return.
	maxErrno = 4094
)

// Errno fails the system call with e, which must be at most 4094
// (libseccomp's limit); Errno(0) makes it return 0 without running. A
// larger e gives an invalid Action, which Build refuses.
func Errno(e syscall.Errno) Action {
	if e > maxErrno {
		// Not masked: its bits would reach the action's.
		return actionErrno | dataMask
	}
	return actionErrno | Action(e)
}

// Trace stops the process for its tracer (a PTRACE_EVENT_SECCOMP stop whose
// PTRACE_GETEVENTMSG is data), which decides what happens. Without a
// tracer attached with PTRACE_O_TRACESECCOMP the call fails with ENOSYS
// (the kernel's rule).
func Trace(data uint16) Action {
	return actionTrace | Action(data)
}

// Valid reports whether a is Allow, Kill, Errno(n) with n <= 4094, or
// Trace(n).
func (a Action) Valid() bool {
	switch a & actionMask {
	case Allow, Kill:
		return a&dataMask == 0
	case actionErrno:
		return a&dataMask <= maxErrno
	case actionTrace:
		return true
	}
	return false
}

// String spells a as the function or constant that makes it: "Allow",
// "Kill", "Errno(13)", "Trace(42)"; an invalid one as "Action(0x...)".
func (a Action) String() string {
	if !a.Valid() {
		return fmt.Sprintf("Action(%#x)", uint32(a))
	}
	switch a & actionMask {
	case Allow:
		return "Allow"
	case Kill:
		return "Kill"
	case actionErrno:
		return fmt.Sprintf("Errno(%d)", uint32(a&dataMask))
	}
	return fmt.Sprintf("Trace(%d)", uint32(a&dataMask))
}

// ErrUnsupported is what Build and JudgeDefault return, wrapped with the
// reason, where this package has no builder: without cgo, or on an OS or
// architecture other than Linux on amd64 or arm64. It is
// errors.ErrUnsupported.
var ErrUnsupported = errors.ErrUnsupported

// Builder collects a policy. Its methods return it, so that calls chain;
// mistakes (an invalid action, an unknown name, two actions for one name)
// are reported by Build, which names them. The zero Builder is not usable:
// make one with New. A Builder is not safe for use by several goroutines
// at once.
type Builder struct {
	def   Action
	judge bool
	rules []rule
}

type rule struct {
	action Action
	name   string
}

// New starts a policy whose system calls all get def until rules say
// otherwise.
func New(def Action) *Builder {
	return &Builder{def: def}
}

// Add gives each named system call (as in <asm/unistd.h> without __NR_,
// e.g. "openat") the action a. A name must be a system call of the
// architecture the program runs on ("open" is not one on arm64). The same
// name with the same action again changes nothing; with another action
// Build fails. A name given here keeps its action whatever
// AddJudgeDefaults says, before or after.
func (b *Builder) Add(a Action, names ...string) *Builder {
	for _, n := range names {
		b.rules = append(b.rules, rule{a, n})
	}
	return b
}

// AddJudgeDefaults allows the judge default list (see JudgeDefaultNames and
// cfe_seccomp_add_judge_defaults in c/include/cforkexec_seccomp.h, which
// says why each call is on it or not): what a statically or dynamically
// linked C or C++ program needs to start, read, write, allocate, read the
// clock, sleep and exit, but no new processes or threads, no signals to
// others, no sockets, ptrace, mount, prctl, identity changes or file
// system changes. Names the architecture lacks are skipped.
func (b *Builder) AddJudgeDefaults() *Builder {
	b.judge = true
	return b
}

// Build returns the policy as a filter for forkexec.Runner.Seccomp (through
// its SockFprog method). The error names what is wrong: a default action or
// rule action that is not valid, a name that is not a system call here
// (wrapping syscall.EINVAL), a name given two actions (wrapping
// syscall.EEXIST); or it wraps ErrUnsupported (see there).
func (b *Builder) Build() (seccomp.Filter, error) {
	if !b.def.Valid() {
		return nil, fmt.Errorf("seccomp: default action %v is not Allow, Kill, Errno(n <= %d) or Trace(n): %w",
			b.def, maxErrno, syscall.EINVAL)
	}
	for _, r := range b.rules {
		if !r.action.Valid() {
			return nil, fmt.Errorf("seccomp: action %v for %q is not Allow, Kill, Errno(n <= %d) or Trace(n): %w",
				r.action, r.name, maxErrno, syscall.EINVAL)
		}
	}
	return build(b)
}

// JudgeDefault is New(Kill).AddJudgeDefaults().Build(): the judge default
// list allowed, every other system call killing the process.
func JudgeDefault() (seccomp.Filter, error) {
	return New(Kill).AddJudgeDefaults().Build()
}
