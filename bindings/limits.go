//go:build linux && cgo && (amd64 || arm64)

package bindings

import (
	"math"
	"syscall"
)

// The kernel's limit on the lines of a uid_map or gid_map.
const idMapLinesMax = 340

// checkValues refuses values that the C configuration's 32-bit fields
// would cut short into other, valid ones (the reference passes a resource
// of 1<<32 on, and the kernel, which takes 32 bits, sets RLIMIT_CPU), and
// gives the reference's ChildError for id maps the kernel refuses (too many
// lines, ids outside 0..2^32-1: the parent's write of the map fails and the
// child reports it at unshare_user_read).
func checkValues(p *Params) error {
	for i, r := range p.RLimits {
		if r.Res < math.MinInt32 || r.Res > math.MaxUint32 {
			return refused("RLimits[%d].Res = %d is not a resource", i, r.Res)
		}
	}
	if p.CloneFlags&syscall.CLONE_NEWUSER == 0 {
		return nil // the reference does not read the maps then
	}
	for _, maps := range [...][]syscall.SysProcIDMap{p.UIDMappings, p.GIDMappings} {
		if len(maps) > idMapLinesMax {
			return StepFailure{Failure{Errno: syscall.EINVAL, Location: locUnshareUserRead}}
		}
		for _, m := range maps {
			for _, v := range [...]int{m.ContainerID, m.HostID, m.Size} {
				if v < 0 || v > math.MaxUint32 {
					return StepFailure{Failure{Errno: syscall.EINVAL, Location: locUnshareUserRead}}
				}
			}
		}
	}
	return nil
}
