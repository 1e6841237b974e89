//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/bindings"
	"github.com/cforkexec/cforkexec/go/forkexec"
)

// Runner and bindings.Params must keep identical fields, in the same order
// and types, so that Start converts one into the other without copying.
var (
	_ = bindings.Params(forkexec.Runner{})
	_ = forkexec.Runner(bindings.Params{})
)

// The reference's location names, in the reference's order (1 = clone).
var referenceLocationNames = []string{
	"clone", "close_write", "unshare_user_read", "getpid", "keep_capability",
	"setgroups", "setgid", "setuid", "dup3", "fcntl", "setsid", "ioctl",
	"mount(root)", "mount(tmpfs)", "mount(chdir)", "mount", "mount(mkdir)",
	"pivot_root", "umount", "unlink", "mount(readonly)", "chdir", "setrlimt",
	"set_no_new_privs", "drop_capability", "set_cap", "ptrace_me", "stop",
	"seccomp", "sync_write", "sync_read", "execve",
}

func TestLocationsMatchReferenceAndCLibrary(t *testing.T) {
	locations := []forkexec.ErrorLocation{
		forkexec.LocClone, forkexec.LocCloseWrite, forkexec.LocUnshareUserRead,
		forkexec.LocGetPid, forkexec.LocKeepCapability, forkexec.LocSetGroups,
		forkexec.LocSetGid, forkexec.LocSetUid, forkexec.LocDup3, forkexec.LocFcntl,
		forkexec.LocSetSid, forkexec.LocIoctl, forkexec.LocMountRoot,
		forkexec.LocMountTmpfs, forkexec.LocMountChdir, forkexec.LocMount,
		forkexec.LocMountMkdir, forkexec.LocPivotRoot, forkexec.LocUmount,
		forkexec.LocUnlink, forkexec.LocMountRootReadonly, forkexec.LocChdir,
		forkexec.LocSetRlimit, forkexec.LocSetNoNewPrivs, forkexec.LocDropCapability,
		forkexec.LocSetCap, forkexec.LocPtraceMe, forkexec.LocStop, forkexec.LocSeccomp,
		forkexec.LocSyncWrite, forkexec.LocSyncRead, forkexec.LocExecve,
	}
	if len(locations) != 32 || len(referenceLocationNames) != 32 {
		t.Fatalf("test tables have %d locations and %d names, want 32", len(locations), len(referenceLocationNames))
	}
	for i, loc := range locations {
		n := i + 1
		want := referenceLocationNames[i]
		if int(loc) != n {
			t.Errorf("location %q = %d, want %d", want, int(loc), n)
		}
		if got := loc.String(); got != want {
			t.Errorf("ErrorLocation(%d).String() = %q, want %q", n, got, want)
		}
		if got := bindings.LocationName(n); got != want {
			t.Errorf("C library's name of location %d = %q, want %q", n, got, want)
		}
	}
	for _, loc := range []forkexec.ErrorLocation{0, -1, 33, 1000} {
		if got := loc.String(); got != "unknown" {
			t.Errorf("ErrorLocation(%d).String() = %q, want \"unknown\"", int(loc), got)
		}
	}
	if got := bindings.LocationName(0); got != "unknown" {
		t.Errorf("C library's name of location 0 = %q, want \"unknown\"", got)
	}
}

func TestChildErrorText(t *testing.T) {
	cases := []struct {
		err  forkexec.ChildError
		want string
	}{
		{forkexec.ChildError{Err: syscall.ENOENT, Location: forkexec.LocMount, Index: 2}, "mount(2): no such file or directory"},
		{forkexec.ChildError{Err: syscall.EACCES, Location: forkexec.LocExecve, Index: 0}, "execve: permission denied"},
		{forkexec.ChildError{Err: syscall.EINVAL, Location: forkexec.LocSetRlimit, Index: 1}, "setrlimt(1): invalid argument"},
		{forkexec.ChildError{Err: syscall.EPERM, Location: 0}, "unknown: operation not permitted"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%+v.Error() = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestUnshareFlagsValue(t *testing.T) {
	if forkexec.UnshareFlags != 0x7e020000 {
		t.Fatalf("UnshareFlags = %#x, want 0x7e020000", forkexec.UnshareFlags)
	}
	want := syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID |
		syscall.CLONE_NEWUSER | syscall.CLONE_NEWUTS | syscall.CLONE_NEWCGROUP
	if forkexec.UnshareFlags != want {
		t.Fatalf("UnshareFlags = %#x, want the seven CLONE_NEW* flags %#x", forkexec.UnshareFlags, want)
	}
}

// A failed Start returns the ChildError as a value: a type assertion and
// errors.As both find it.
func TestFailedStartReturnsChildErrorValue(t *testing.T) {
	r := &forkexec.Runner{Args: []string{"/nonexistent/cforkexec-program"}}
	pid, err := r.Start()
	if err == nil {
		killAndReap(t, pid)
		t.Fatal("Start of a missing program succeeded")
	}
	if pid != 0 {
		t.Errorf("failed Start returned pid %d, want 0", pid)
	}
	ce, ok := err.(forkexec.ChildError)
	if !ok {
		t.Fatalf("err.(forkexec.ChildError) failed: err is %T %v", err, err)
	}
	want := forkexec.ChildError{Err: syscall.ENOENT, Location: forkexec.LocExecve}
	if ce != want {
		t.Errorf("ChildError = %+v, want %+v", ce, want)
	}
	var viaAs forkexec.ChildError
	if !errors.As(err, &viaAs) || viaAs != want {
		t.Errorf("errors.As(err, *ChildError) = %+v, want %+v", viaAs, want)
	}
	if err.Error() != "execve: no such file or directory" {
		t.Errorf("Error() = %q", err.Error())
	}
	requireNoChildren(t)
}

func TestABIVersion(t *testing.T) {
	if v := bindings.ABIVersion(); v != 2 {
		t.Fatalf("ABIVersion() = %d, want 2", v)
	}
}
