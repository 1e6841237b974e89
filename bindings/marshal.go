//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include <stdlib.h>
#include "cforkexec.h"
*/
import "C"

import (
	"fmt"
	"math"
	"path"
	"strings"
	"syscall"
	"unsafe"

	"github.com/criyle/go-sandbox/pkg/mount"
)

// block is the single C allocation of one start: the configuration, every
// string and array it points to, the error record, the pending-handle slot
// and the SyncFunc handle slot.  The library copies what the child needs,
// so it is freed as soon as cfe_start returns.
type block struct {
	base    unsafe.Pointer
	size    uintptr
	used    uintptr
	config  *C.struct_cfe_config
	err     *C.struct_cfe_error
	pending **C.struct_cfe_pending
	handle  *C.uintptr_t
	// forkLocked is 1 while the start holds syscall.ForkLock.
	forkLocked *C.int
	// pidfd receives the child's pidfd (-1 unless asked for).
	pidfd *C.int32_t
}

const ptrSize = unsafe.Sizeof(uintptr(0))

func align8(n uintptr) uintptr { return (n + 7) &^ 7 }

// cStringLen is the length of a NUL-terminated string held in Go memory.
func cStringLen(p *byte) uintptr {
	n := uintptr(0)
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return n
}

func stringsSize(v []string) uintptr {
	size := uintptr(len(v)) * ptrSize
	for _, s := range v {
		size += align8(uintptr(len(s)) + 1)
	}
	return size
}

func optionalSize(s string) uintptr {
	if s == "" {
		return 0
	}
	return align8(uintptr(len(s)) + 1)
}

func cStringSize(p *byte) uintptr {
	if p == nil {
		return 0
	}
	return align8(cStringLen(p) + 1)
}

// blockSize measures what marshal will write, so that one malloc suffices.
func blockSize(p *Params) uintptr {
	size := align8(C.sizeof_struct_cfe_config) + align8(C.sizeof_struct_cfe_error) + 4*ptrSize
	size += stringsSize(p.Args) + stringsSize(p.Env)
	size += uintptr(len(p.RLimits)) * C.sizeof_struct_cfe_rlimit
	size += align8(uintptr(len(p.Files)) * 4)
	size += uintptr(len(p.Mounts)) * C.sizeof_struct_cfe_mount
	for i := range p.Mounts {
		m := &p.Mounts[i]
		size += cStringSize(m.Source) + cStringSize(mountTarget(m)) + cStringSize(m.FsType) + cStringSize(m.Data)
	}
	size += optionalSize(p.WorkDir) + optionalSize(p.PivotRoot) + optionalSize(p.HostName) + optionalSize(p.DomainName)
	size += uintptr(len(p.UIDMappings)+len(p.GIDMappings)) * C.sizeof_struct_cfe_id_map
	if setgroupsWanted(p) {
		size += align8(uintptr(len(p.Credential.Groups)) * 4)
	}
	if p.Seccomp != nil {
		size += uintptr(filterLen(p.Seccomp)) * C.sizeof_struct_cfe_bpf_insn
	}
	return size
}

// mountTarget is m's target as the C library gets it.
func mountTarget(m *mount.SyscallParams) *byte {
	if cStringLen(m.Target) >= pathMax {
		return &tooLongTarget[0]
	}
	return m.Target
}

// filterLen is the number of instructions the C library gets for prog.
func filterLen(prog *syscall.SockFprog) int {
	if filterRefused(prog) {
		return 1
	}
	return int(prog.Len)
}

func (b *block) alloc(n uintptr) unsafe.Pointer {
	p := unsafe.Add(b.base, b.used)
	b.used += align8(n)
	if b.used > b.size {
		panic("cforkexec: marshalled configuration overflows its block")
	}
	return p
}

func (b *block) putString(s string) *C.char {
	p := b.alloc(uintptr(len(s)) + 1)
	dst := unsafe.Slice((*byte)(p), len(s)+1)
	copy(dst, s)
	dst[len(s)] = 0
	return (*C.char)(p)
}

func (b *block) putOptional(s string) *C.char {
	if s == "" {
		return nil
	}
	return b.putString(s)
}

func (b *block) putCString(src *byte) *C.char {
	if src == nil {
		return nil
	}
	n := cStringLen(src) + 1
	p := b.alloc(n)
	copy(unsafe.Slice((*byte)(p), n), unsafe.Slice(src, n))
	return (*C.char)(p)
}

func (b *block) putStrings(v []string) **C.char {
	if len(v) == 0 {
		return nil
	}
	arr := unsafe.Slice((**C.char)(b.alloc(uintptr(len(v))*ptrSize)), len(v))
	for i, s := range v {
		arr[i] = b.putString(s)
	}
	return &arr[0]
}

// The kernel's limits that the configuration meets before a child exists.
const (
	bpfMaxInsns = 4096 // BPF_MAXINSNS
	ngroupsMax  = 65536
	pathMax     = 4096 // PATH_MAX, the terminating NUL included
	filesMax    = 1 << 20
	// neverOpenFd is a descriptor number no process can have open: the
	// kernel caps RLIMIT_NOFILE (fs.nr_open) at 2147483584.
	neverOpenFd = math.MaxInt32
)

// refusedFilter is a filter of one instruction that does not return, which
// the kernel's seccomp refuses with EINVAL.  It stands for a Seccomp that
// the reference hands to the kernel as it is and the kernel refuses with
// EINVAL (no instructions, a nil Filter, more than BPF_MAXINSNS), so that
// the child fails at the same step as the reference's, in every mode.
var refusedFilter = C.struct_cfe_bpf_insn{code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS}

func filterRefused(prog *syscall.SockFprog) bool {
	return prog.Len == 0 || prog.Filter == nil || prog.Len > bpfMaxInsns
}

// tooLongTarget stands for a mount target of PATH_MAX bytes or more: its
// one component is longer than NAME_MAX, so the child's mkdir of it fails
// with ENAMETOOLONG, as the reference's mkdir of the target does (and
// nothing is created on the way).
var tooLongTarget = []byte("/" + strings.Repeat("x", 256) + "\x00")

// StepFailure is marshal's error for a configuration that the reference
// takes and that fails at a step of its child there, with an error that
// marshal knows before any child exists: forkexec.Runner.Start returns it
// as that step's ChildError.  (The steps before it are not run, so a
// failure they would have had first is not seen.)
type StepFailure struct{ Failure }

func (f StepFailure) Error() string {
	return fmt.Sprintf("cforkexec: fails at step %d (index %d): %v", f.Location, f.Index, f.Errno)
}

// The reference's locations of the steps StepFailure names.
const (
	locClone           = 1
	locUnshareUserRead = 3
	locSetGroups       = 6
	locDup3            = 9
	locMount           = 16
)

// checkStrings finds a NUL inside a string, which the reference's
// syscall.BytePtrFromString refuses with a bare EINVAL.
func checkStrings(v ...string) error {
	for _, s := range v {
		if strings.IndexByte(s, 0) >= 0 {
			return syscall.EINVAL
		}
	}
	return nil
}

func refused(format string, args ...any) error {
	return fmt.Errorf("cforkexec: "+format+": %w", append(args, syscall.EINVAL)...)
}

// setgroupsWanted is whether the child calls setgroups, as the reference
// decides it.
func setgroupsWanted(p *Params) bool {
	cred := p.Credential
	return cred != nil && !cred.NoSetGroups &&
		!(p.GIDMappings != nil && !p.GIDMappingsEnableSetgroups && len(cred.Groups) == 0)
}

// checkParams returns what the reference returns for the same
// configuration before its child runs (a bare EINVAL for a NUL, as
// syscall.BytePtrFromString gives it), refuses with a descriptive error
// what the reference would panic, hang or change this machine with, and
// returns a StepFailure for what the reference's child fails at with an
// error known already.
func checkParams(p *Params) error {
	if len(p.Args) == 0 {
		// The reference indexes Args[0] and panics.
		return refused("Args is empty")
	}
	if err := checkStrings(p.Args...); err != nil {
		return err
	}
	if err := checkStrings(p.Env...); err != nil {
		return err
	}
	if err := checkStrings(p.WorkDir, p.HostName, p.DomainName, p.PivotRoot); err != nil {
		return err
	}
	newNS := p.CloneFlags&syscall.CLONE_NEWNS != 0
	switch {
	case len(p.Mounts) > 0 && !newNS:
		return refused("Mounts without CLONE_NEWNS would mount in the caller's mount namespace")
	case p.PivotRoot != "" && !newNS:
		return refused("PivotRoot without CLONE_NEWNS would pivot the caller's mount namespace")
	case p.PivotRoot != "" && p.PivotRoot[0] != '/':
		return refused("PivotRoot %q is relative", p.PivotRoot)
	case p.PivotRoot != "" && path.Clean(p.PivotRoot) == "/":
		// pivot_root onto the root fails, leaving old_root in it.
		return refused("PivotRoot %q is the root itself", p.PivotRoot)
	case p.StopBeforeSeccomp && p.SyncFunc != nil && !(p.Ptrace && p.Seccomp != nil):
		return refused("StopBeforeSeccomp with SyncFunc (without Ptrace and Seccomp) stops the child before the handshake")
	case (p.HostName != "" || p.DomainName != "") && p.CloneFlags&syscall.CLONE_NEWUTS == 0:
		return refused("HostName or DomainName without CLONE_NEWUTS would rename the caller's host")
	}
	if p.CgroupFd > math.MaxInt32 {
		// clone3 refuses a cgroup fd above INT_MAX.
		return StepFailure{Failure{Errno: syscall.EINVAL, Location: locClone}}
	}
	if setgroupsWanted(p) && len(p.Credential.Groups) > ngroupsMax {
		return StepFailure{Failure{Errno: syscall.EINVAL, Location: locSetGroups}}
	}
	if err := checkReferenceFds(p); err != nil {
		return err
	}
	if len(p.Files) > filesMax {
		// Only where RLIMIT_NOFILE is above fs.nr_open's default.
		return refused("Files has %d entries, more than %d", len(p.Files), filesMax)
	}
	for i := range p.Mounts {
		if p.Mounts[i].Target == nil {
			// mount(2) with a NULL target.
			return StepFailure{Failure{Errno: syscall.EFAULT, Location: locMount, Index: i}}
		}
	}
	return checkValues(p)
}

// checkReferenceFds fails where the reference's child fails to move its
// fds.  It moves its socket end, ExecFile when it is below, and each file
// below its place in Files to the first numbers above every Files entry
// (dup3 refuses a number at RLIMIT_NOFILE or above), and it moves an
// ExecFile below them even when it is not open.
func checkReferenceFds(p *Params) error {
	if len(p.Files) == 0 && p.ExecFile == 0 {
		return nil
	}
	ebadf := StepFailure{Failure{Errno: syscall.EBADF, Location: locDup3}}
	next := len(p.Files)
	moved := 1 // the socket
	for i, f := range p.Files {
		if f == ^uintptr(0) || f > math.MaxInt64 {
			continue // closes fd i, or (as an int) below 0: never moved
		}
		if f > math.MaxInt32 {
			return ebadf // the first free number would be past any limit
		}
		next = max(next, int(f))
		if int(f) < i {
			moved++
		}
	}
	next++ // the first number above every entry
	if p.ExecFile > math.MaxInt64 || (p.ExecFile > 0 && int(p.ExecFile) < next) {
		moved++
		if p.ExecFile > math.MaxInt32 || !fdOpen(int(p.ExecFile)) {
			return ebadf
		}
	}
	var lim syscall.Rlimit
	if len(p.Files) > 0 && syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && uint64(next+moved-1) >= lim.Cur {
		return ebadf
	}
	return nil
}

func fdOpen(fd int) bool {
	_, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return e == 0
}

// fdNumber is f as the C library's fd: any number above MaxInt32 becomes
// one that is never open, which the child fails to dup3 or execveat with
// EBADF as the reference's does.
func fdNumber(f uintptr) C.int32_t {
	if f > neverOpenFd {
		return neverOpenFd
	}
	return C.int32_t(f)
}

func boolFlag(v bool, f C.uint32_t) C.uint32_t {
	if v {
		return f
	}
	return 0
}

func configFlags(p *Params) C.uint32_t {
	f := boolFlag(p.Credential != nil, C.CFE_FLAG_CREDENTIAL) |
		boolFlag(p.Ptrace, C.CFE_FLAG_PTRACE) |
		boolFlag(p.NoNewPrivs, C.CFE_FLAG_NO_NEW_PRIVS) |
		boolFlag(p.StopBeforeSeccomp, C.CFE_FLAG_STOP_BEFORE_SECCOMP) |
		boolFlag(p.GIDMappingsEnableSetgroups, C.CFE_FLAG_GID_MAPPINGS_ENABLE_SETGROUPS) |
		boolFlag(p.DropCaps, C.CFE_FLAG_DROP_CAPS) |
		boolFlag(p.UnshareCgroupAfterSync, C.CFE_FLAG_UNSHARE_CGROUP_AFTER_SYNC) |
		boolFlag(p.CTTY, C.CFE_FLAG_CTTY)
	if p.Credential != nil && p.Credential.NoSetGroups {
		f |= C.CFE_FLAG_NO_SETGROUPS
	}
	return f
}

func (b *block) putIDMaps(v []syscall.SysProcIDMap) *C.struct_cfe_id_map {
	if v == nil {
		return nil
	}
	// A non-nil empty list is "given" (the reference tests != nil), so it
	// gets a non-NULL pointer even with nothing behind it.
	p := (*C.struct_cfe_id_map)(b.alloc(uintptr(len(v)) * C.sizeof_struct_cfe_id_map))
	arr := unsafe.Slice(p, len(v))
	for i, m := range v {
		arr[i] = C.struct_cfe_id_map{container_id: C.uint32_t(m.ContainerID), host_id: C.uint32_t(m.HostID), size: C.uint32_t(m.Size)}
	}
	return p
}

func (b *block) putMounts(c *C.struct_cfe_config, v []mount.SyscallParams) {
	if len(v) == 0 {
		return
	}
	arr := unsafe.Slice((*C.struct_cfe_mount)(b.alloc(uintptr(len(v))*C.sizeof_struct_cfe_mount)), len(v))
	for i := range v {
		m := &v[i]
		arr[i] = C.struct_cfe_mount{
			source: b.putCString(m.Source),
			target: b.putCString(mountTarget(m)),
			fstype: b.putCString(m.FsType),
			data:   b.putCString(m.Data),
			flags:  C.uint64_t(m.Flags),
		}
		if m.MakeNod {
			arr[i].make_nod = 1
		}
	}
	c.mounts = &arr[0]
	c.mounts_len = C.uint32_t(len(v))
}

// checkOptions refuses what the C library would refuse with a bare
// EINVAL, naming the field.
func checkOptions(o *Options) error {
	if o != nil && (o.ParentDeathSignal < 0 || o.ParentDeathSignal > signalMax) {
		return refused("ParentDeathSignal %d is not a signal (1..%d)", int(o.ParentDeathSignal), signalMax)
	}
	return nil
}

// signalMax is the highest signal number, _NSIG.
const signalMax = 64

func (b *block) putOptions(c *C.struct_cfe_config, o *Options) {
	if o == nil {
		return
	}
	if o.PidFD {
		c.pidfd_out = b.pidfd
	}
	c.parent_death_signal = C.int32_t(o.ParentDeathSignal)
	if o.CloseOtherFds {
		c.flags |= C.CFE_FLAG_CLOSE_OTHER_FDS
	}
}

// marshal lays p and the options o (nil: none) out in one C allocation,
// which the caller frees (b.base).
func (b *block) marshal(p *Params, o *Options) error {
	if err := checkParams(p); err != nil {
		return err
	}
	if err := checkOptions(o); err != nil {
		return err
	}
	size := blockSize(p)
	base := C.malloc(C.size_t(size))
	if base == nil {
		return syscall.ENOMEM
	}
	*b = block{base: base, size: size}
	// A string another goroutine grows between blockSize and the copy
	// makes alloc panic: the block is not the caller's to free yet.
	defer func() {
		if r := recover(); r != nil {
			C.free(base)
			panic(r)
		}
	}()
	b.config = (*C.struct_cfe_config)(b.alloc(C.sizeof_struct_cfe_config))
	*b.config = C.struct_cfe_config{size: C.sizeof_struct_cfe_config}
	b.err = (*C.struct_cfe_error)(b.alloc(C.sizeof_struct_cfe_error))
	*b.err = C.struct_cfe_error{}
	b.pending = (**C.struct_cfe_pending)(b.alloc(ptrSize))
	*b.pending = nil
	b.handle = (*C.uintptr_t)(b.alloc(ptrSize))
	*b.handle = 0
	b.forkLocked = (*C.int)(b.alloc(ptrSize))
	*b.forkLocked = 0
	b.pidfd = (*C.int32_t)(b.alloc(ptrSize))
	*b.pidfd = -1

	c := b.config
	c.args = b.putStrings(p.Args)
	c.args_len = C.uint32_t(len(p.Args))
	c.env = b.putStrings(p.Env)
	c.env_len = C.uint32_t(len(p.Env))
	c.exec_fd = fdNumber(p.ExecFile)
	b.putRLimits(c, p)
	b.putFiles(c, p.Files)
	b.putSeccomp(c, p.Seccomp)
	c.workdir = b.putOptional(p.WorkDir)
	c.clone_flags = C.uint64_t(p.CloneFlags)
	b.putMounts(c, p.Mounts)
	c.pivot_root = b.putOptional(p.PivotRoot)
	c.hostname = b.putOptional(p.HostName)
	c.domainname = b.putOptional(p.DomainName)
	c.uid_maps = b.putIDMaps(p.UIDMappings)
	c.uid_maps_len = C.uint32_t(len(p.UIDMappings))
	c.gid_maps = b.putIDMaps(p.GIDMappings)
	c.gid_maps_len = C.uint32_t(len(p.GIDMappings))
	c.cgroup_fd = C.int32_t(p.CgroupFd)
	if cred := p.Credential; cred != nil {
		c.uid = C.uint32_t(cred.Uid)
		c.gid = C.uint32_t(cred.Gid)
		if setgroupsWanted(p) && len(cred.Groups) > 0 {
			g := unsafe.Slice((*C.uint32_t)(b.alloc(uintptr(len(cred.Groups))*4)), len(cred.Groups))
			for i, id := range cred.Groups {
				g[i] = C.uint32_t(id)
			}
			c.groups = &g[0]
			c.groups_len = C.uint32_t(len(cred.Groups))
		}
	}
	c.flags = configFlags(p)
	b.putOptions(c, o)
	return nil
}

func (b *block) putRLimits(c *C.struct_cfe_config, p *Params) {
	if len(p.RLimits) == 0 {
		return
	}
	arr := unsafe.Slice((*C.struct_cfe_rlimit)(b.alloc(uintptr(len(p.RLimits))*C.sizeof_struct_cfe_rlimit)), len(p.RLimits))
	for i, r := range p.RLimits {
		arr[i] = C.struct_cfe_rlimit{resource: C.uint32_t(r.Res), cur: C.uint64_t(r.Rlim.Cur), max: C.uint64_t(r.Rlim.Max)}
	}
	c.rlimits = &arr[0]
	c.rlimits_len = C.uint32_t(len(p.RLimits))
}

func (b *block) putFiles(c *C.struct_cfe_config, files []uintptr) {
	if len(files) == 0 {
		return
	}
	arr := unsafe.Slice((*C.int32_t)(b.alloc(uintptr(len(files))*4)), len(files))
	for i, f := range files {
		arr[i] = -1 // ^uintptr(0): close fd i
		if f != ^uintptr(0) {
			arr[i] = fdNumber(f)
		}
	}
	c.files = &arr[0]
	c.files_len = C.uint32_t(len(files))
}

func (b *block) putSeccomp(c *C.struct_cfe_config, prog *syscall.SockFprog) {
	if prog == nil {
		return
	}
	n := filterLen(prog)
	arr := unsafe.Slice((*C.struct_cfe_bpf_insn)(b.alloc(uintptr(n)*C.sizeof_struct_cfe_bpf_insn)), n)
	if filterRefused(prog) {
		arr[0] = refusedFilter
		c.seccomp = &arr[0]
		c.seccomp_len = 1
		return
	}
	for i, insn := range unsafe.Slice(prog.Filter, n) {
		arr[i] = C.struct_cfe_bpf_insn{code: C.uint16_t(insn.Code), jt: C.uint8_t(insn.Jt), jf: C.uint8_t(insn.Jf), k: C.uint32_t(insn.K)}
	}
	c.seccomp = &arr[0]
	c.seccomp_len = C.uint32_t(n)
}
