// Package mount holds the raw mount(2) parameters that forkexec.Runner.Mounts
// carries, shaped as the reference module's pkg/mount.SyscallParams
// (github.com/criyle/go-sandbox v0.13.4).
//
// It stands in for that package while the reference module cannot be
// fetched here; once it can, SyscallParams becomes an alias of the
// reference type and Runner values convert both ways.
package mount

import "syscall"

// SyscallParams are the arguments of one mount(2) call made in the child's
// mount namespace: NUL-terminated strings (nil for none) and MS_* flags.
// Prefixes lists the parent directories of Target that the reference
// creates; cforkexec derives them from Target and ignores this field.
// MakeNod makes the last component an empty file (to bind a file on it).
type SyscallParams struct {
	Source, Target, FsType, Data *byte
	Flags                        uintptr
	Prefixes                     []*byte
	MakeNod                      bool
}

// Mount describes a mount with Go strings.
type Mount struct {
	Source, Target, FsType, Data string
	Flags                        uintptr
	MakeNod                      bool
}

// ToSyscall converts m to raw parameters; an empty Data becomes nil.
func (m *Mount) ToSyscall() (*SyscallParams, error) {
	p := &SyscallParams{Flags: m.Flags, MakeNod: m.MakeNod}
	var err error
	if p.Source, err = syscall.BytePtrFromString(m.Source); err != nil {
		return nil, err
	}
	if p.Target, err = syscall.BytePtrFromString(m.Target); err != nil {
		return nil, err
	}
	if p.FsType, err = syscall.BytePtrFromString(m.FsType); err != nil {
		return nil, err
	}
	if m.Data != "" {
		if p.Data, err = syscall.BytePtrFromString(m.Data); err != nil {
			return nil, err
		}
	}
	return p, nil
}
