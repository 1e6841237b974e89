//go:build linux && cgo && (amd64 || arm64)

package forkexec

import (
	"fmt"
	"syscall"
)

// ErrorLocation names the step of the child that failed.  The numbers are
// those of the reference package and of the C library's locations.
type ErrorLocation int

// The steps of the child, in the order of the reference package.
const (
	LocClone ErrorLocation = iota + 1
	LocCloseWrite
	LocUnshareUserRead
	LocGetPid
	LocKeepCapability
	LocSetGroups
	LocSetGid
	LocSetUid
	LocDup3
	LocFcntl
	LocSetSid
	LocIoctl
	LocMountRoot
	LocMountTmpfs
	LocMountChdir
	LocMount
	LocMountMkdir
	LocPivotRoot
	LocUmount
	LocUnlink
	LocMountRootReadonly
	LocChdir
	LocSetRlimit
	LocSetNoNewPrivs
	LocDropCapability
	LocSetCap
	LocPtraceMe
	LocStop
	LocSeccomp
	LocSyncWrite
	LocSyncRead
	LocExecve
)

var locationNames = [...]string{
	"unknown", "clone", "close_write", "unshare_user_read", "getpid", "keep_capability",
	"setgroups", "setgid", "setuid", "dup3", "fcntl", "setsid", "ioctl", "mount(root)",
	"mount(tmpfs)", "mount(chdir)", "mount", "mount(mkdir)", "pivot_root", "umount", "unlink",
	"mount(readonly)", "chdir", "setrlimt", "set_no_new_privs", "drop_capability", "set_cap",
	"ptrace_me", "stop", "seccomp", "sync_write", "sync_read", "execve",
}

// String is the location's name as the reference spells it ("setrlimt"
// included), or "unknown".
func (e ErrorLocation) String() string {
	if e >= LocClone && e <= LocExecve {
		return locationNames[e]
	}
	return locationNames[0]
}

// ChildError is a step of the child that failed: its errno, where, and the
// index in Mounts or RLimits for the steps that run over a list.  Start
// returns it as a value.
type ChildError struct {
	Err      syscall.Errno
	Location ErrorLocation
	Index    int
}

// Error is "<location>(<index>): <errno text>", without "(<index>)" when
// Index is 0.
func (e ChildError) Error() string {
	if e.Index > 0 {
		return fmt.Sprintf("%s(%d): %s", e.Location, e.Index, e.Err.Error())
	}
	return fmt.Sprintf("%s: %s", e.Location, e.Err.Error())
}
