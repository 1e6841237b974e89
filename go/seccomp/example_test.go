//go:build linux && cgo && (amd64 || arm64)

package seccomp_test

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/cforkexec/cforkexec/go/seccomp"
)

// A judge's policy: the default list, sockets refused with EACCES, every
// other system call killing the program.
func ExampleBuilder() {
	filter, err := seccomp.New(seccomp.Kill).
		AddJudgeDefaults().
		Add(seccomp.Errno(syscall.EACCES), "socket", "connect").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	r := forkexec.Runner{
		Args:    []string{"/usr/bin/true"},
		Seccomp: filter.SockFprog(),
	}
	fmt.Println("filter ok:", len(filter) > 0 && r.Seccomp.Len == uint16(len(filter)))

	// A name that is no system call here is refused, and named.
	_, err = seccomp.New(seccomp.Kill).Add(seccomp.Allow, "read", "no_such_call").Build()
	fmt.Println("refused:", errors.Is(err, syscall.EINVAL), strings.Contains(err.Error(), `"no_such_call"`))
	// Output:
	// filter ok: true
	// refused: true true
}
