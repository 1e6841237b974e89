//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"fmt"
	"os"
	"syscall"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// A child with a pidfd, killed if this process dies, and given no fd but
// its stdout: a shell that counts its open fds.
func ExampleStartWith() {
	r := &forkexec.Runner{
		Args:  []string{"/bin/sh", "-c", "ls /proc/self/fd | wc -l; exit 3"},
		Env:   []string{"PATH=/usr/bin:/bin"},
		Files: []uintptr{^uintptr(0), os.Stdout.Fd(), ^uintptr(0)},
	}
	child, err := forkexec.StartWith(r, forkexec.Options{
		PidFD:             true,
		ParentDeathSignal: syscall.SIGKILL,
		CloseOtherFds:     true,
	})
	if err != nil {
		fmt.Println("start:", err)
		return
	}
	defer child.Close()
	p, err := child.Process()
	if err != nil {
		fmt.Println("process:", err)
		return
	}
	state, err := p.Wait()
	if err != nil {
		fmt.Println("wait:", err)
		return
	}
	fmt.Println("exit code", state.ExitCode())
	// Output:
	// 2
	// exit code 3
}
