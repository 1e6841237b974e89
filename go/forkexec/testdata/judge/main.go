// A judge service's start code as it is written against the reference
// package: mounts from mount.Builder, limits from rlimit.RLimits, errors
// inspected as forkexec.ChildError.  The swap test builds it as it is and
// again with only the forkexec import line changed to cforkexec's.
package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/criyle/go-sandbox/pkg/forkexec"
	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

func main() {
	mounts, err := mount.NewBuilder().
		WithBind("/usr", "usr", true).
		WithBind("/lib", "lib", true).
		WithBind("/lib64", "lib64", true).
		WithTmpfs("w", "size=8m").
		WithProc().
		FilterNotExist().
		Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	limits := rlimit.RLimits{CPU: 1, CPUHard: 2, Data: 256 << 20, OpenFile: 64, DisableCore: true}
	r := forkexec.Runner{
		Args:                   []string{"/usr/bin/true"},
		Files:                  []uintptr{0, 1, 2},
		RLimits:                limits.PrepareRLimit(),
		Mounts:                 mounts,
		PivotRoot:              os.TempDir(),
		CloneFlags:             forkexec.UnshareFlags,
		WorkDir:                "/w",
		HostName:               "judge",
		UIDMappings:            []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		SyncFunc:               func(pid int) error { return nil },
		DropCaps:               true,
		UnshareCgroupAfterSync: true,
	}
	pid, err := r.Start()
	var ce forkexec.ChildError
	if errors.As(err, &ce) && ce.Location == forkexec.LocExecve {
		fmt.Println("exec failed:", ce.Err)
	} else if ce, ok := err.(forkexec.ChildError); ok {
		fmt.Printf("failed at %v(%d): %v\n", ce.Location, ce.Index, ce.Err)
	}
	fmt.Println(pid)
}
