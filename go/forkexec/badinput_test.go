//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/bindings"
	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// Malformed Runners, one table.  Each Start must fail with either the
// ChildError the reference reports for it (the step and errno, and the
// index in Mounts or RLimits), or an error whose text names the field that
// is wrong; rows that allow both (field and location set) are those where
// the reference reports a ChildError and this package may refuse the
// field before any child exists.  No child may be left, and the whole
// table, run twice, leaves the fds, the mappings and the C heap as they
// were.
//

// badWant is what one row accepts.
type badWant struct {
	bare  bool                   // the reference's bare syscall.EINVAL
	field string                 // a non-ChildError must name this
	loc   forkexec.ErrorLocation // a ChildError must be at this step
	errno syscall.Errno          // with this errno (0: any)
	index int
}

// badEnv is what rows point at besides constants.
type badEnv struct {
	closedFd uintptr // a number no fd has, well above every open one
	file     *os.File
	dir      *os.File
	devNull  *os.File
	missing  string
}

type badInput struct {
	name   string
	runner func(e *badEnv) *forkexec.Runner
	want   badWant
}

func fieldErr(field string) badWant { return badWant{field: field} }

// nulErr is what the reference returns for a NUL inside a string (its
// syscall.BytePtrFromString's): the bare EINVAL.
func nulErr() badWant { return badWant{bare: true} }

func childErr(loc forkexec.ErrorLocation, errno syscall.Errno) badWant {
	return badWant{loc: loc, errno: errno}
}

// fieldOrChildErr accepts the named refusal or the reference's ChildError.
func fieldOrChildErr(field string, loc forkexec.ErrorLocation, errno syscall.Errno) badWant {
	return badWant{field: field, loc: loc, errno: errno}
}

var exit0 = []string{"/bin/true", "--exit", "0"} // Args[0] replaced by the probe

// probeRunner is the base of every row: the probe, exiting 0.
func probeRunner(mod func(r *forkexec.Runner)) func(e *badEnv) *forkexec.Runner {
	return func(e *badEnv) *forkexec.Runner {
		r := &forkexec.Runner{Args: append([]string{probePath}, exit0[1:]...)}
		mod(r)
		return r
	}
}

func probeRunnerEnv(mod func(r *forkexec.Runner, e *badEnv)) func(e *badEnv) *forkexec.Runner {
	return func(e *badEnv) *forkexec.Runner {
		r := &forkexec.Runner{Args: append([]string{probePath}, exit0[1:]...)}
		mod(r, e)
		return r
	}
}

func bpf(insns ...syscall.SockFilter) *syscall.SockFprog {
	return &syscall.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
}

func retAllow() syscall.SockFilter {
	return syscall.SockFilter{Code: syscall.BPF_RET | syscall.BPF_K, K: seccompRetAllow}
}

func cString(s string) *byte {
	p, err := syscall.BytePtrFromString(s)
	if err != nil {
		panic(err)
	}
	return p
}

func longPath(n int) string {
	b := []byte(strings.Repeat("a", n))
	for i := 0; i < n; i += 200 {
		b[i] = '/'
	}
	return string(b)
}

func idMaps(n int) []syscall.SysProcIDMap {
	m := make([]syscall.SysProcIDMap, n)
	for i := range m {
		m[i] = syscall.SysProcIDMap{ContainerID: i, HostID: i, Size: 1}
	}
	return m
}

func tmpfsAt(target string) mount.SyscallParams {
	return mount.SyscallParams{Source: cString("tmpfs"), Target: cString(target), FsType: cString("tmpfs")}
}

func badInputs() []badInput {
	const rlimNlimits = 16
	nul := "a\x00b"
	return []badInput{
		// Args and Env
		{"Args nil", probeRunner(func(r *forkexec.Runner) { r.Args = nil }), fieldErr("Args")},
		{"Args empty", probeRunner(func(r *forkexec.Runner) { r.Args = []string{} }), fieldErr("Args")},
		{"NUL in Args[0]", probeRunner(func(r *forkexec.Runner) { r.Args[0] = probePath + "\x00x" }), nulErr()},
		{"NUL in Args[2]", probeRunner(func(r *forkexec.Runner) { r.Args[2] = nul }), nulErr()},
		{"NUL in Env[0]", probeRunner(func(r *forkexec.Runner) { r.Env = []string{nul} }), nulErr()},
		{"NUL in Env[1]", probeRunner(func(r *forkexec.Runner) { r.Env = []string{"A=1", "B=\x00"} }), nulErr()},
		{"Args[0] empty", probeRunner(func(r *forkexec.Runner) { r.Args[0] = "" }), childErr(forkexec.LocExecve, syscall.ENOENT)},
		{"Args[0] missing", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.Args[0] = e.missing }), childErr(forkexec.LocExecve, syscall.ENOENT)},
		{"Args[0] relative, not searched", probeRunner(func(r *forkexec.Runner) { r.Args[0] = "cforkexec-no-such-program" }), childErr(forkexec.LocExecve, syscall.ENOENT)},
		{"Args[0] a directory", probeRunner(func(r *forkexec.Runner) { r.Args[0] = "/" }), childErr(forkexec.LocExecve, syscall.EACCES)},

		// the strings of a Runner
		{"NUL in WorkDir", probeRunner(func(r *forkexec.Runner) { r.WorkDir = nul }), nulErr()},
		{"NUL in PivotRoot", probeRunner(func(r *forkexec.Runner) { r.PivotRoot = "/" + nul; r.CloneFlags = syscall.CLONE_NEWNS }), nulErr()},
		{"NUL in HostName", probeRunner(func(r *forkexec.Runner) { r.HostName = nul; r.CloneFlags = syscall.CLONE_NEWUTS }), nulErr()},
		{"NUL in DomainName", probeRunner(func(r *forkexec.Runner) { r.DomainName = nul; r.CloneFlags = syscall.CLONE_NEWUTS }), nulErr()},
		{"WorkDir missing", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.WorkDir = e.missing }), childErr(forkexec.LocChdir, syscall.ENOENT)},
		{"WorkDir of 4096 bytes", probeRunner(func(r *forkexec.Runner) { r.WorkDir = longPath(4096) }), childErr(forkexec.LocChdir, syscall.ENAMETOOLONG)},
		{"WorkDir a file", probeRunner(func(r *forkexec.Runner) { r.WorkDir = probePath }), childErr(forkexec.LocChdir, syscall.ENOTDIR)},

		// ExecFile
		{"ExecFile not open", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.ExecFile = e.closedFd }), childErr(forkexec.LocExecve, syscall.EBADF)},
		{"ExecFile MaxInt32", probeRunner(func(r *forkexec.Runner) { r.ExecFile = math.MaxInt32 }), childErr(forkexec.LocExecve, syscall.EBADF)},
		{"ExecFile 1<<31", probeRunner(func(r *forkexec.Runner) { r.ExecFile = 1 << 31 }), childErr(forkexec.LocExecve, syscall.EBADF)},
		{"ExecFile ^0", probeRunner(func(r *forkexec.Runner) { r.ExecFile = ^uintptr(0) }), childErr(forkexec.LocDup3, syscall.EBADF)},
		{"ExecFile a directory", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.ExecFile = e.dir.Fd() }), childErr(forkexec.LocExecve, syscall.EACCES)},
		{"ExecFile not executable", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.ExecFile = e.devNull.Fd() }), childErr(forkexec.LocExecve, syscall.EACCES)},

		// CgroupFd
		{"CgroupFd not open", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.CgroupFd = e.closedFd }), childErr(forkexec.LocClone, syscall.EBADF)},
		{"CgroupFd MaxInt32", probeRunner(func(r *forkexec.Runner) { r.CgroupFd = math.MaxInt32 }), childErr(forkexec.LocClone, syscall.EBADF)},
		{"CgroupFd 1<<32", probeRunner(func(r *forkexec.Runner) { r.CgroupFd = 1 << 32 }), childErr(forkexec.LocClone, syscall.EINVAL)},
		{"CgroupFd a regular file", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.CgroupFd = e.file.Fd() }), childErr(forkexec.LocClone, syscall.EBADF)},

		// Files
		{"Files entry not open", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) { r.Files = []uintptr{0, 1, 2, e.closedFd} }), childErr(forkexec.LocDup3, syscall.EBADF)},
		{"Files entry MaxInt32", probeRunner(func(r *forkexec.Runner) { r.Files = []uintptr{0, 1, 2, math.MaxInt32} }), childErr(forkexec.LocDup3, syscall.EBADF)},
		{"Files entry 1<<31", probeRunner(func(r *forkexec.Runner) { r.Files = []uintptr{0, 1 << 31} }), fieldOrChildErr("Files", forkexec.LocDup3, syscall.EBADF)},
		{"Files entry ^1", probeRunner(func(r *forkexec.Runner) { r.Files = []uintptr{0, ^uintptr(1)} }), fieldOrChildErr("Files", forkexec.LocDup3, syscall.EBADF)},
		{"Files entry not open, parked", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) {
			r.Files = make([]uintptr, e.closedFd+2)
			for i := range r.Files {
				r.Files[i] = ^uintptr(0)
			}
			r.Files[e.closedFd+1] = e.closedFd
		}), childErr(forkexec.LocDup3, syscall.EBADF)},
		{"Files of 1<<20 + 1 entries", probeRunner(func(r *forkexec.Runner) {
			r.Files = make([]uintptr, 1<<20+1)
			for i := range r.Files {
				r.Files[i] = ^uintptr(0)
			}
		}), fieldOrChildErr("Files", forkexec.LocDup3, 0)},

		// RLimits
		{"RLimit cur above max", probeRunner(func(r *forkexec.Runner) {
			r.RLimits = []rlimit.RLimit{{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 2, Max: 1}}}
		}), childErr(forkexec.LocSetRlimit, syscall.EINVAL)},
		{"third RLimit cur above max", probeRunner(func(r *forkexec.Runner) {
			r.RLimits = []rlimit.RLimit{
				{Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: 10, Max: 10}},
				{Res: syscall.RLIMIT_FSIZE, Rlim: syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}},
				{Res: syscall.RLIMIT_STACK, Rlim: syscall.Rlimit{Cur: 1 << 24, Max: 1 << 23}},
			}
		}), badWant{loc: forkexec.LocSetRlimit, errno: syscall.EINVAL, index: 2}},
		{"RLimit resource RLIM_NLIMITS", probeRunner(func(r *forkexec.Runner) {
			r.RLimits = []rlimit.RLimit{{Res: rlimNlimits, Rlim: syscall.Rlimit{Cur: 1, Max: 1}}}
		}), childErr(forkexec.LocSetRlimit, syscall.EINVAL)},
		{"RLimit resource -1", probeRunner(func(r *forkexec.Runner) {
			r.RLimits = []rlimit.RLimit{{Res: -1, Rlim: syscall.Rlimit{Cur: 1, Max: 1}}}
		}), childErr(forkexec.LocSetRlimit, syscall.EINVAL)},
		{"RLimit resource 1<<32 (RLIMIT_CPU if cut to 32 bits)", probeRunner(func(r *forkexec.Runner) {
			r.RLimits = []rlimit.RLimit{{Res: 1 << 32, Rlim: syscall.Rlimit{Cur: 1, Max: 1}}}
		}), fieldOrChildErr("RLimits", forkexec.LocSetRlimit, syscall.EINVAL)},
		{"RLIMIT_NOFILE above fs.nr_open", probeRunner(func(r *forkexec.Runner) {
			r.RLimits = []rlimit.RLimit{{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 1 << 30, Max: 1 << 30}}}
		}), childErr(forkexec.LocSetRlimit, syscall.EPERM)},

		// Seccomp
		{"Seccomp of no instruction", probeRunner(func(r *forkexec.Runner) {
			p := bpf(retAllow())
			p.Len = 0
			r.Seccomp = p
		}), fieldOrChildErr("Seccomp", forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp Filter nil", probeRunner(func(r *forkexec.Runner) { r.Seccomp = &syscall.SockFprog{Len: 1} }), childErr(forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp of 4097 instructions", probeRunner(func(r *forkexec.Runner) {
			insns := make([]syscall.SockFilter, 4097)
			for i := range insns {
				insns[i] = retAllow()
			}
			r.Seccomp = bpf(insns...)
		}), fieldOrChildErr("Seccomp", forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp Len 65535 over one instruction", probeRunner(func(r *forkexec.Runner) {
			p := bpf(retAllow())
			p.Len = math.MaxUint16
			r.Seccomp = p
		}), fieldOrChildErr("Seccomp", forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp opcode 0xffff", probeRunner(func(r *forkexec.Runner) {
			r.Seccomp = bpf(syscall.SockFilter{Code: 0xffff, K: 0xdeadbeef}, retAllow())
		}), childErr(forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp without return", probeRunner(func(r *forkexec.Runner) {
			r.Seccomp = bpf(syscall.SockFilter{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS})
		}), childErr(forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp jump past the end", probeRunner(func(r *forkexec.Runner) {
			r.Seccomp = bpf(syscall.SockFilter{Code: syscall.BPF_JMP | syscall.BPF_JEQ | syscall.BPF_K, Jt: 5}, retAllow())
		}), childErr(forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp load past seccomp_data", probeRunner(func(r *forkexec.Runner) {
			r.Seccomp = bpf(syscall.SockFilter{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS, K: 4096}, retAllow())
		}), childErr(forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp division by zero", probeRunner(func(r *forkexec.Runner) {
			r.Seccomp = bpf(syscall.SockFilter{Code: syscall.BPF_ALU | syscall.BPF_DIV | syscall.BPF_K}, retAllow())
		}), childErr(forkexec.LocSeccomp, syscall.EINVAL)},
		{"Seccomp of 4096 loads without return", probeRunner(func(r *forkexec.Runner) {
			insns := make([]syscall.SockFilter, 4096)
			for i := range insns {
				insns[i] = syscall.SockFilter{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS}
			}
			r.Seccomp = bpf(insns...)
		}), childErr(forkexec.LocSeccomp, syscall.EINVAL)},

		// UIDMappings and GIDMappings
		{"UIDMappings size 0", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 0}}
		}), childErr(forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"GIDMappings size 0", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.GIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 0}}
		}), childErr(forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"UIDMappings overlapping inside", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 10}, {ContainerID: 5, HostID: 100, Size: 10}}
		}), childErr(forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"UIDMappings overlapping outside", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 10}, {ContainerID: 100, HostID: 5, Size: 10}}
		}), childErr(forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"GIDMappings overlapping inside", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.GIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 10}, {ContainerID: 5, HostID: 100, Size: 10}}
		}), childErr(forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"UIDMappings range wraps", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = []syscall.SysProcIDMap{{ContainerID: 1, HostID: 0, Size: math.MaxUint32}}
		}), childErr(forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"UIDMappings HostID -1", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: -1, Size: 1}}
		}), fieldOrChildErr("UIDMappings", forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"UIDMappings Size -1 (all ids if cut to 32 bits)", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: -1}}
		}), fieldOrChildErr("UIDMappings", forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"GIDMappings ContainerID 1<<32 (0 if cut to 32 bits)", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.GIDMappings = []syscall.SysProcIDMap{{ContainerID: 1 << 32, HostID: 0, Size: 1}}
		}), fieldOrChildErr("GIDMappings", forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"UIDMappings of 341 lines", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.UIDMappings = idMaps(341)
		}), fieldOrChildErr("UIDMappings", forkexec.LocUnshareUserRead, syscall.EINVAL)},
		{"GIDMappings of 341 lines", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.GIDMappings = idMaps(341)
		}), fieldOrChildErr("GIDMappings", forkexec.LocUnshareUserRead, syscall.EINVAL)},

		// Credential
		{"65537 Groups", probeRunner(func(r *forkexec.Runner) {
			r.Credential = &syscall.Credential{Groups: make([]uint32, 65537)}
		}), fieldOrChildErr("Groups", forkexec.LocSetGroups, syscall.EINVAL)},
		{"Uid 4294967295", probeRunner(func(r *forkexec.Runner) {
			r.Credential = &syscall.Credential{Uid: math.MaxUint32}
		}), childErr(forkexec.LocSetUid, syscall.EINVAL)},
		{"Gid 4294967295", probeRunner(func(r *forkexec.Runner) {
			r.Credential = &syscall.Credential{Gid: math.MaxUint32}
		}), childErr(forkexec.LocSetGid, syscall.EINVAL)},
		{"group 4294967295", probeRunner(func(r *forkexec.Runner) {
			r.Credential = &syscall.Credential{Groups: []uint32{math.MaxUint32}}
		}), childErr(forkexec.LocSetGroups, syscall.EINVAL)},

		// Mounts and PivotRoot
		{"Mounts[0].Target nil", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{{Source: cString("tmpfs"), FsType: cString("tmpfs")}}
		}), fieldOrChildErr("Mounts[0].Target", forkexec.LocMount, 0)},
		{"Mounts[1].Target nil", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{tmpfsAt("/tmp"), {Source: cString("/tmp"), Flags: syscall.MS_BIND}}
		}), badWant{loc: forkexec.LocMount, errno: syscall.EFAULT, index: 1}},
		{"Mounts[0].Target of 4096 bytes", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{tmpfsAt(longPath(4096))}
		}), fieldOrChildErr("Mounts[0].Target", forkexec.LocMountMkdir, syscall.ENAMETOOLONG)},
		{"Mounts[0].Target of 64 KiB", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{tmpfsAt(longPath(64 << 10))}
		}), fieldOrChildErr("Mounts[0].Target", forkexec.LocMountMkdir, syscall.ENAMETOOLONG)},
		{"Mounts without CLONE_NEWNS", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWUSER
			r.Mounts = []mount.SyscallParams{tmpfsAt("/tmp")}
		}), fieldErr("Mounts")},
		{"PivotRoot without CLONE_NEWNS", probeRunner(func(r *forkexec.Runner) { r.PivotRoot = "/tmp" }), fieldErr("PivotRoot")},
		{"PivotRoot relative", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.PivotRoot = "tmp"
		}), fieldErr("PivotRoot")},
		{"PivotRoot the root", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.PivotRoot = "/"
		}), fieldErr("PivotRoot")},
		{"PivotRoot the root, spelt //.", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.PivotRoot = "//."
		}), fieldErr("PivotRoot")},
		{"HostName without CLONE_NEWUTS", probeRunner(func(r *forkexec.Runner) { r.HostName = "judge" }), fieldErr("HostName")},
		{"DomainName without CLONE_NEWUTS", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.DomainName = "judge"
		}), fieldErr("DomainName")},
		{"Files entry naming the fd the start's socket would take", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) {
			r.Files = []uintptr{e.devNull.Fd(), e.devNull.Fd(), 2, lowestFreeFd()}
		}), childErr(forkexec.LocDup3, syscall.EBADF)},
		{"Mounts[0].Target name above NAME_MAX", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{tmpfsAt("/tmp/" + strings.Repeat("n", 300))}
		}), badWant{loc: forkexec.LocMountMkdir, errno: syscall.ENAMETOOLONG}},
		{"Mounts[0].Target empty", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{tmpfsAt("")}
		}), childErr(forkexec.LocMount, syscall.ENOENT)},
		{"Mounts[0] of an unknown FsType", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{{Source: cString("none"), Target: cString("/tmp"), FsType: cString("cforkexec-no-such-fs")}}
		}), childErr(forkexec.LocMount, syscall.ENODEV)},
		{"Mounts[1] of a missing Source", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.Mounts = []mount.SyscallParams{tmpfsAt("/tmp"),
				{Source: cString(e.missing), Target: cString("/tmp/a"), Flags: syscall.MS_BIND}}
		}), badWant{loc: forkexec.LocMount, errno: syscall.ENOENT, index: 1}},
		{"PivotRoot missing", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.PivotRoot = e.missing
		}), childErr(forkexec.LocMountTmpfs, syscall.ENOENT)},
		{"PivotRoot of 64 KiB", probeRunner(func(r *forkexec.Runner) {
			r.CloneFlags = syscall.CLONE_NEWNS
			r.PivotRoot = longPath(64 << 10)
		}), childErr(forkexec.LocMountTmpfs, syscall.ENAMETOOLONG)},

		// flags that need something else
		{"StopBeforeSeccomp with SyncFunc", probeRunner(func(r *forkexec.Runner) {
			r.StopBeforeSeccomp = true
			r.SyncFunc = func(int) error { return nil }
		}), fieldErr("StopBeforeSeccomp")},
		{"CTTY on /dev/null", probeRunnerEnv(func(r *forkexec.Runner, e *badEnv) {
			r.CTTY = true
			r.Files = []uintptr{e.devNull.Fd(), 1, 2}
		}), childErr(forkexec.LocIoctl, syscall.ENOTTY)},
	}
}

// check is why a row's outcome is wrong, or nil.
func (w badWant) check(pid int, err error) error {
	if err == nil {
		return fmt.Errorf("Start succeeded with pid %d", pid)
	}
	if pid != 0 {
		return fmt.Errorf("Start failed (%v) but returned pid %d", err, pid)
	}
	if w.bare {
		if err != syscall.EINVAL {
			return fmt.Errorf("error %q (%T); want the bare syscall.EINVAL", err, err)
		}
		return nil
	}
	var ce forkexec.ChildError
	if errors.As(err, &ce) {
		if _, isValue := err.(forkexec.ChildError); !isValue {
			return fmt.Errorf("error %v holds a ChildError but is a %T", err, err)
		}
		if w.loc == 0 {
			return fmt.Errorf("ChildError %+v (%v); want an error naming %s", ce, ce, w.field)
		}
		if ce.Location != w.loc || ce.Index != w.index || (w.errno != 0 && ce.Err != w.errno) {
			return fmt.Errorf("ChildError %+v (%v); want {Err: %v, Location: %v, Index: %d}", ce, ce, w.errno, w.loc, w.index)
		}
		return nil
	}
	if w.field == "" {
		return fmt.Errorf("error %q (%T); want a ChildError at %v", err, err, w.loc)
	}
	if !strings.Contains(err.Error(), w.field) {
		return fmt.Errorf("error %q (%T) does not name %s", err, err, w.field)
	}
	return nil
}

// lowestFreeFd is the number the next fd of this process would take.
func lowestFreeFd() uintptr {
	fd, err := syscall.Dup(0)
	if err != nil {
		return 3
	}
	syscall.Close(fd)
	return uintptr(fd)
}

func openBadEnv(t *testing.T) *badEnv {
	t.Helper()
	open := func(path string, flags int) *os.File {
		f, err := os.OpenFile(path, flags, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	e := &badEnv{
		file:    open(probePath, os.O_RDONLY),
		dir:     open("/", os.O_RDONLY),
		devNull: open(os.DevNull, os.O_RDONLY),
		missing: "/nonexistent-cforkexec-badinput",
	}
	// Well above every fd this process has, so that nothing a start
	// opens takes its number.
	e.closedFd = uintptr(countEntries(t, "/proc/self/fd") + 500)
	if _, err := fcntlGetfd(e.closedFd); err != syscall.EBADF {
		t.Fatalf("fd %d: %v, want EBADF", e.closedFd, err)
	}
	return e
}

func fcntlGetfd(fd uintptr) (uintptr, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFD, 0)
	if e != 0 {
		return 0, e
	}
	return r, nil
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// runBadInputs starts every row once and returns what went wrong.
func runBadInputs(t *testing.T, rows []badInput, e *badEnv) []string {
	var failures []string
	for _, row := range rows {
		r := row.runner(e)
		pid, err := r.Start()
		if pid > 0 {
			killAndReap(t, pid)
		}
		if bad := row.want.check(pid, err); bad != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", row.name, bad))
		}
		if left := children(t); len(left) > 0 {
			failures = append(failures, fmt.Sprintf("%s: children left behind: %v", row.name, left))
			for _, c := range left {
				var p int
				if _, scanErr := fmt.Sscanf(c, "/proc/%d", &p); scanErr == nil {
					killAndReap(t, p)
				}
			}
		}
	}
	return failures
}

// usage is what a run of the table could leak.
type usage struct{ fds, maps, heap, threads int }

func measureUsage(t *testing.T) usage {
	t.Helper()
	runtime.GC()
	return usage{
		fds:     countEntries(t, "/proc/self/fd"),
		maps:    countLines(t, "/proc/self/maps"),
		heap:    bindings.CHeapInUse(),
		threads: countEntries(t, "/proc/self/task"),
	}
}

// Every malformed Runner is refused with an error naming the field or the
// step, leaves no child, and, the table run twice, nothing else behind.
func TestBadInputs(t *testing.T) {
	requireRoot(t)
	rows := badInputs()
	if len(rows) < 60 {
		t.Fatalf("%d rows, want at least 60", len(rows))
	}
	// One OS thread for every start, so that malloc's per-thread caches
	// do not move figures from one measure to the next, and idle threads
	// for the runtime, whose new ones cost C heap and mappings.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	spareThreads(8)
	e := openBadEnv(t)
	failures := runBadInputs(t, rows, e)
	var before, after usage
	// A thread the runtime starts meanwhile, or a mapping its heap (or
	// the race detector's shadow) takes, is no leak of ours: run again.
	// A leak shows in every run.
	for attempt := 0; attempt < 3; attempt++ {
		before = measureUsage(t)
		failures = append(failures, runBadInputs(t, rows, e)...)
		after = measureUsage(t)
		if after == before {
			break
		}
	}
	t.Logf("%d bad inputs: %+v before a run of the table, %+v after", len(rows), before, after)
	for _, f := range failures {
		t.Error(f)
	}
	if after != before {
		t.Errorf("a run of the table changed what this process holds: %+v before, %+v after", before, after)
	}
	requireNoChildren(t)
}
