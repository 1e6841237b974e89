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
	judge bool // AddJudgeDefaults
	fork  bool // AddJudgeFork
	rules []rule
}

// rule is one Add name or one AddMasked.
type rule struct {
	action Action
	name   string
	masked bool // applies when (args[arg] & mask) == value
	arg    uint
	mask   uint64
	value  uint64
}

// String spells r as in an error message: "Kill", or "Allow when
// arg 0 & 0x7e020000 == 0x0".
func (r rule) String() string {
	if !r.masked {
		return r.action.String()
	}
	return fmt.Sprintf("%v when arg %d & %#x == %#x", r.action, r.arg, r.mask, r.value)
}

// maxArg is the last argument a masked rule may test.
const maxArg = 5

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
		b.rules = append(b.rules, rule{action: a, name: n})
	}
	return b
}

// AddMasked gives the named system call the action a when its argument
// arg (0 to 5, as the kernel's struct seccomp_data numbers them) ANDed with
// mask equals value, compared on all 64 bits. When none of a name's masked
// rules holds, the call gets the default action. A name's masked rules all
// share one action, and any of them suffices: Build fails (wrapping
// syscall.EEXIST) when a name also has an Add rule or masked rules with
// another action, since overlapping rules with different actions would be
// decided by libseccomp's order rather than the caller's. It also fails
// (wrapping syscall.EINVAL) for arg above 5 and for value with a bit
// outside mask. Like Add's, these rules replace what AddJudgeDefaults and
// AddJudgeFork give the name, before or after. A filter sees registers,
// not memory: flags in a struct the call points to (clone3's) cannot be
// tested. See cfe_seccomp_add_masked in c/include/cforkexec_seccomp.h.
func (b *Builder) AddMasked(a Action, name string, arg uint, mask, value uint64) *Builder {
	b.rules = append(b.rules, rule{action: a, name: name, masked: true, arg: arg, mask: mask, value: value})
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

// AddJudgeFork adds the judge default list (AddJudgeDefaults) and what a
// program that starts processes and waits for them needs more: fork,
// vfork (amd64), clone when its flags have none of the CLONE_NEW*
// namespace flags (a clone with one gets the default action), clone3
// failing with ENOSYS (its flags are in memory, which a filter cannot
// read; glibc falls back to clone), wait4, waitid, pipe (amd64), pipe2 and
// kill. kill may name any pid: confine it with a pid namespace (the
// program as its init reaches only its own descendants) and a uid of its
// own. unshare, setns, mount, ptrace, sockets and the rest the defaults
// leave out stay out. See cfe_seccomp_add_judge_fork in
// c/include/cforkexec_seccomp.h.
func (b *Builder) AddJudgeFork() *Builder {
	b.judge, b.fork = true, true
	return b
}

// Build returns the policy as a filter for forkexec.Runner.Seccomp (through
// its SockFprog method). The error names what is wrong: a default action or
// rule action that is not valid or a masked rule's argument or mask (both
// wrapping syscall.EINVAL), a name that is not a system call here
// (wrapping syscall.EINVAL), a name given two actions or rules of both
// kinds (wrapping syscall.EEXIST); where libseccomp cannot confirm that the
// kernel has SECCOMP_RET_KILL_PROCESS (seccomp(2) hidden, by valgrind, or
// refused, by a container's profile) it wraps syscall.EOPNOTSUPP; or it
// wraps ErrUnsupported (see there).
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
		if r.masked && r.arg > maxArg {
			return nil, fmt.Errorf("seccomp: masked rule for %q tests argument %d; system calls have 0 to %d: %w",
				r.name, r.arg, maxArg, syscall.EINVAL)
		}
		if r.masked && r.value&^r.mask != 0 {
			return nil, fmt.Errorf("seccomp: masked rule for %q: value %#x has bits outside mask %#x, it could never hold: %w",
				r.name, r.value, r.mask, syscall.EINVAL)
		}
	}
	return build(b)
}

// JudgeDefault is New(Kill).AddJudgeDefaults().Build(): the judge default
// list allowed, every other system call killing the process.
func JudgeDefault() (seccomp.Filter, error) {
	return New(Kill).AddJudgeDefaults().Build()
}

// JudgeFork is New(Kill).AddJudgeFork().Build(): the judge's policy for
// programs that must start processes, every system call off the lists
// killing the process (a clone asking for a namespace included).
func JudgeFork() (seccomp.Filter, error) {
	return New(Kill).AddJudgeFork().Build()
}
