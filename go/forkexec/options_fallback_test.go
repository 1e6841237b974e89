//go:build linux && !(cgo && (amd64 || arm64))

package forkexec_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"golang.org/x/sys/unix"
)

// Without the C core, PidFD works through the reference (pidfd_open right
// after Start) and the other options are refused before any child exists.
func TestFallbackStartWith(t *testing.T) {
	requireRoot(t)
	for _, o := range []forkexec.Options{{ParentDeathSignal: syscall.SIGKILL}, {CloseOtherFds: true}} {
		child, err := forkexec.StartWith(&forkexec.Runner{Args: []string{probePath}}, o)
		if !errors.Is(err, forkexec.ErrOptionUnsupported) || child.PidFD != -1 {
			t.Errorf("%+v: %v, PidFD %d; want ErrOptionUnsupported", o, err, child.PidFD)
		}
	}
	requireNoChildren(t)
	r := &forkexec.Runner{Args: []string{probePath, "--sleep", "600000"}, Files: []uintptr{0, 1, 2}}
	child, err := forkexec.StartWith(r, forkexec.Options{PidFD: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(child.PidFD))
	if err != nil || !strings.Contains(string(data), "Pid:\t"+strconv.Itoa(child.Pid)+"\n") {
		t.Fatalf("pidfd %d does not name %d: %q %v", child.PidFD, child.Pid, data, err)
	}
	if err := unix.PidfdSendSignal(child.PidFD, unix.SIGKILL, nil, 0); err != nil {
		t.Fatal(err)
	}
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PIDFD, child.PidFD, &info, unix.WEXITED, nil); err != nil {
		t.Fatal(err)
	}
	child.Close()
	requireNoChildren(t)
}
