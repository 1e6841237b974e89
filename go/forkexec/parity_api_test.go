//go:build linux

package forkexec_test

import (
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
	reference "github.com/criyle/go-sandbox/pkg/forkexec"
)

// A judge's Runner literal converts as it is: the same fields, in the same
// order, with the same types (the reference's mount and rlimit included).
var _ = forkexec.Runner(reference.Runner{})

// Every location, ours next to the reference's, in the reference's order.
var locationPairs = []struct {
	ours forkexec.ErrorLocation
	ref  reference.ErrorLocation
}{
	{forkexec.LocClone, reference.LocClone},
	{forkexec.LocCloseWrite, reference.LocCloseWrite},
	{forkexec.LocUnshareUserRead, reference.LocUnshareUserRead},
	{forkexec.LocGetPid, reference.LocGetPid},
	{forkexec.LocKeepCapability, reference.LocKeepCapability},
	{forkexec.LocSetGroups, reference.LocSetGroups},
	{forkexec.LocSetGid, reference.LocSetGid},
	{forkexec.LocSetUid, reference.LocSetUid},
	{forkexec.LocDup3, reference.LocDup3},
	{forkexec.LocFcntl, reference.LocFcntl},
	{forkexec.LocSetSid, reference.LocSetSid},
	{forkexec.LocIoctl, reference.LocIoctl},
	{forkexec.LocMountRoot, reference.LocMountRoot},
	{forkexec.LocMountTmpfs, reference.LocMountTmpfs},
	{forkexec.LocMountChdir, reference.LocMountChdir},
	{forkexec.LocMount, reference.LocMount},
	{forkexec.LocMountMkdir, reference.LocMountMkdir},
	{forkexec.LocPivotRoot, reference.LocPivotRoot},
	{forkexec.LocUmount, reference.LocUmount},
	{forkexec.LocUnlink, reference.LocUnlink},
	{forkexec.LocMountRootReadonly, reference.LocMountRootReadonly},
	{forkexec.LocChdir, reference.LocChdir},
	{forkexec.LocSetRlimit, reference.LocSetRlimit},
	{forkexec.LocSetNoNewPrivs, reference.LocSetNoNewPrivs},
	{forkexec.LocDropCapability, reference.LocDropCapability},
	{forkexec.LocSetCap, reference.LocSetCap},
	{forkexec.LocPtraceMe, reference.LocPtraceMe},
	{forkexec.LocStop, reference.LocStop},
	{forkexec.LocSeccomp, reference.LocSeccomp},
	{forkexec.LocSyncWrite, reference.LocSyncWrite},
	{forkexec.LocSyncRead, reference.LocSyncRead},
	{forkexec.LocExecve, reference.LocExecve},
}

func TestParityUnshareFlags(t *testing.T) {
	if forkexec.UnshareFlags != reference.UnshareFlags {
		t.Errorf("UnshareFlags = %#x, reference %#x", forkexec.UnshareFlags, reference.UnshareFlags)
	}
}

func TestParityLocations(t *testing.T) {
	if len(locationPairs) != int(reference.LocExecve) {
		t.Fatalf("table has %d locations, the reference %d", len(locationPairs), int(reference.LocExecve))
	}
	for i, p := range locationPairs {
		if int(p.ours) != int(p.ref) || int(p.ours) != i+1 {
			t.Errorf("location %d: ours = %d, reference = %d", i+1, int(p.ours), int(p.ref))
		}
		if p.ours.String() != p.ref.String() {
			t.Errorf("location %d: String() = %q, reference %q", i+1, p.ours.String(), p.ref.String())
		}
	}
	// Out of range, including the numbers the C library appends.
	for _, n := range []int{0, -1, -32, 33, 34, 35, 1000, int(^uint(0) >> 1)} {
		ours, ref := forkexec.ErrorLocation(n).String(), reference.ErrorLocation(n).String()
		if ours != ref {
			t.Errorf("ErrorLocation(%d).String() = %q, reference %q", n, ours, ref)
		}
	}
}

func TestParityChildErrorText(t *testing.T) {
	errnos := []syscall.Errno{0, syscall.EPERM, syscall.ENOENT, syscall.EINVAL, syscall.EPIPE, syscall.E2BIG, 4095}
	indexes := []int{0, 1, 2, 7, -1}
	locations := append([]int{0, 33, -5}, func() []int {
		var all []int
		for _, p := range locationPairs {
			all = append(all, int(p.ours))
		}
		return all
	}()...)
	for _, loc := range locations {
		for _, e := range errnos {
			for _, idx := range indexes {
				ours := forkexec.ChildError{Err: e, Location: forkexec.ErrorLocation(loc), Index: idx}
				ref := reference.ChildError{Err: e, Location: reference.ErrorLocation(loc), Index: idx}
				if ours.Error() != ref.Error() {
					t.Errorf("ChildError{%d, %d, %d}.Error() = %q, reference %q", e, loc, idx, ours.Error(), ref.Error())
				}
			}
		}
	}
}
