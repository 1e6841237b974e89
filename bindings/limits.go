//go:build linux && cgo && (amd64 || arm64)

package bindings

import (
	"fmt"
	"math"
	"syscall"
)

// What the C library refuses before any child exists, checked here first
// so that the error names the field (the library can only say EINVAL);
// and values that the C configuration's 32-bit fields would cut short into
// other, valid ones.
const (
	seccompMaxInsns = 4096    // BPF_MAXINSNS
	filesMax        = 1 << 20 // fs.nr_open's default
	groupsMax       = 65536   // NGROUPS_MAX
	idMapLinesMax   = 340     // the kernel's limit on uid_map and gid_map
	mountTargetMax  = 4096    // the child builds a target's parents in this much
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("cforkexec: "+format+": %w", append(args, syscall.EINVAL)...)
}

func checkIDMaps(field string, maps []syscall.SysProcIDMap) error {
	if len(maps) > idMapLinesMax {
		return invalid("%s has %d lines, more than the kernel's %d", field, len(maps), idMapLinesMax)
	}
	for i, m := range maps {
		for _, v := range [...]int{m.ContainerID, m.HostID, m.Size} {
			if v < 0 || v > math.MaxUint32 {
				return invalid("%s[%d] = %+v holds a value outside 0..%d", field, i, m, uint32(math.MaxUint32))
			}
		}
	}
	return nil
}

// checkLimits is the part of checkParams that bounds counts and values.
func checkLimits(p *Params) error {
	if p.Seccomp != nil && p.Seccomp.Len > seccompMaxInsns {
		// Checked before marshal reads Len instructions from Filter.
		return invalid("Seccomp has %d instructions, more than the kernel's %d", p.Seccomp.Len, seccompMaxInsns)
	}
	if len(p.Files) > filesMax {
		return invalid("Files has %d entries, more than %d", len(p.Files), filesMax)
	}
	for i, r := range p.RLimits {
		if r.Res < math.MinInt32 || r.Res > math.MaxUint32 {
			return invalid("RLimits[%d].Res = %d is not a resource", i, r.Res)
		}
	}
	if err := checkIDMaps("UIDMappings", p.UIDMappings); err != nil {
		return err
	}
	if err := checkIDMaps("GIDMappings", p.GIDMappings); err != nil {
		return err
	}
	if p.Credential != nil && len(p.Credential.Groups) > groupsMax {
		return invalid("Credential.Groups has %d groups, more than %d", len(p.Credential.Groups), groupsMax)
	}
	for i := range p.Mounts {
		if n := cStringLen(p.Mounts[i].Target); n >= mountTargetMax {
			return invalid("Mounts[%d].Target is %d bytes long, more than %d", i, n, mountTargetMax-1)
		}
	}
	return checkCombinations(p)
}

// checkCombinations refuses fields that need another one.
func checkCombinations(p *Params) error {
	newNS := p.CloneFlags&syscall.CLONE_NEWNS != 0
	if len(p.Mounts) > 0 && !newNS {
		// They would change the caller's own mount table.
		return invalid("Mounts need CLONE_NEWNS in CloneFlags")
	}
	if p.PivotRoot != "" && !newNS {
		return invalid("PivotRoot needs CLONE_NEWNS in CloneFlags")
	}
	if p.PivotRoot != "" && p.PivotRoot[0] != '/' {
		return invalid("PivotRoot %q is not an absolute path", p.PivotRoot)
	}
	if p.StopBeforeSeccomp && p.SyncFunc != nil && !(p.Ptrace && p.Seccomp != nil) {
		// The reference's child stops before its handshake there, and its
		// Start waits for a handshake that never comes.
		return invalid("StopBeforeSeccomp with SyncFunc (and not Ptrace with Seccomp): the child would stop before SyncFunc could run")
	}
	return nil
}
