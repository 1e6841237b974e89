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
	size := align8(C.sizeof_struct_cfe_config) + align8(C.sizeof_struct_cfe_error) + 3*ptrSize
	size += stringsSize(p.Args) + stringsSize(p.Env)
	size += uintptr(len(p.RLimits)) * C.sizeof_struct_cfe_rlimit
	size += align8(uintptr(len(p.Files)) * 4)
	size += uintptr(len(p.Mounts)) * C.sizeof_struct_cfe_mount
	for i := range p.Mounts {
		m := &p.Mounts[i]
		size += cStringSize(m.Source) + cStringSize(m.Target) + cStringSize(m.FsType) + cStringSize(m.Data)
	}
	size += optionalSize(p.WorkDir) + optionalSize(p.PivotRoot) + optionalSize(p.HostName) + optionalSize(p.DomainName)
	size += uintptr(len(p.UIDMappings)+len(p.GIDMappings)) * C.sizeof_struct_cfe_id_map
	if p.Credential != nil {
		size += align8(uintptr(len(p.Credential.Groups)) * 4)
	}
	if p.Seccomp != nil {
		size += uintptr(p.Seccomp.Len) * C.sizeof_struct_cfe_bpf_insn
	}
	return size
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

// checkStrings refuses a NUL inside a string, as syscall.BytePtrFromString
// does for the reference.
func checkStrings(field string, v ...string) error {
	for i, s := range v {
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("cforkexec: %s[%d] contains a NUL byte: %w", field, i, syscall.EINVAL)
		}
	}
	return nil
}

func checkParams(p *Params) error {
	if len(p.Args) == 0 {
		return fmt.Errorf("cforkexec: Args is empty: %w", syscall.EINVAL)
	}
	if err := checkStrings("Args", p.Args...); err != nil {
		return err
	}
	if err := checkStrings("Env", p.Env...); err != nil {
		return err
	}
	if err := checkStrings("WorkDir/PivotRoot/HostName/DomainName", p.WorkDir, p.PivotRoot, p.HostName, p.DomainName); err != nil {
		return err
	}
	if p.ExecFile > math.MaxInt32 {
		return fmt.Errorf("cforkexec: ExecFile %d is not a file descriptor: %w", p.ExecFile, syscall.EINVAL)
	}
	if p.CgroupFd > math.MaxInt32 {
		return fmt.Errorf("cforkexec: CgroupFd %d is not a file descriptor: %w", p.CgroupFd, syscall.EINVAL)
	}
	for i, f := range p.Files {
		if f != ^uintptr(0) && f > math.MaxInt32 {
			return fmt.Errorf("cforkexec: Files[%d] = %d is not a file descriptor: %w", i, f, syscall.EINVAL)
		}
	}
	for i := range p.Mounts {
		if p.Mounts[i].Target == nil {
			return fmt.Errorf("cforkexec: Mounts[%d].Target is nil: %w", i, syscall.EINVAL)
		}
	}
	if p.Seccomp != nil && (p.Seccomp.Len == 0 || p.Seccomp.Filter == nil) {
		return fmt.Errorf("cforkexec: Seccomp has no instructions: %w", syscall.EINVAL)
	}
	return checkLimits(p)
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
			target: b.putCString(m.Target),
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

// marshal lays p out in one C allocation, which the caller frees (b.base).
func (b *block) marshal(p *Params) error {
	if err := checkParams(p); err != nil {
		return err
	}
	size := blockSize(p)
	base := C.malloc(C.size_t(size))
	if base == nil {
		return syscall.ENOMEM
	}
	*b = block{base: base, size: size}
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

	c := b.config
	c.args = b.putStrings(p.Args)
	c.args_len = C.uint32_t(len(p.Args))
	c.env = b.putStrings(p.Env)
	c.env_len = C.uint32_t(len(p.Env))
	c.exec_fd = C.int32_t(p.ExecFile)
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
		if len(cred.Groups) > 0 {
			g := unsafe.Slice((*C.uint32_t)(b.alloc(uintptr(len(cred.Groups))*4)), len(cred.Groups))
			for i, id := range cred.Groups {
				g[i] = C.uint32_t(id)
			}
			c.groups = &g[0]
			c.groups_len = C.uint32_t(len(cred.Groups))
		}
	}
	c.flags = configFlags(p)
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
		arr[i] = C.int32_t(int32(f)) // ^uintptr(0) becomes -1: close fd i
	}
	c.files = &arr[0]
	c.files_len = C.uint32_t(len(files))
}

func (b *block) putSeccomp(c *C.struct_cfe_config, prog *syscall.SockFprog) {
	if prog == nil {
		return
	}
	n := int(prog.Len)
	arr := unsafe.Slice((*C.struct_cfe_bpf_insn)(b.alloc(uintptr(n)*C.sizeof_struct_cfe_bpf_insn)), n)
	for i, insn := range unsafe.Slice(prog.Filter, n) {
		arr[i] = C.struct_cfe_bpf_insn{code: C.uint16_t(insn.Code), jt: C.uint8_t(insn.Jt), jf: C.uint8_t(insn.Jf), k: C.uint32_t(insn.K)}
	}
	c.seccomp = &arr[0]
	c.seccomp_len = C.uint32_t(n)
}
