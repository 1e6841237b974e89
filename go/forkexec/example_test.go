//go:build linux

package forkexec_test

import (
	"fmt"
	"os"
	"syscall"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// A program started in new pid and UTS namespaces, with its stdout the
// caller's; SyncFunc is where a judge puts the child into its cgroup.
func ExampleRunner() {
	r := forkexec.Runner{
		Args:       []string{"/bin/sh", "-c", "echo hello from pid $$ on $(hostname)"},
		Env:        []string{"PATH=/usr/bin:/bin"},
		Files:      []uintptr{0, os.Stdout.Fd(), 2},
		CloneFlags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS,
		HostName:   "sandbox",
		SyncFunc: func(pid int) error {
			return nil // e.g. write pid to the run's cgroup.procs
		},
	}
	pid, err := r.Start()
	if err != nil {
		fmt.Println("start:", err)
		return
	}
	var status syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &status, 0, nil); err != nil {
		fmt.Println("wait:", err)
		return
	}
	fmt.Println("exit status", status.ExitStatus())
	// Output:
	// hello from pid 1 on sandbox
	// exit status 0
}
