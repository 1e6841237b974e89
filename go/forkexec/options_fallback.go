//go:build !(linux && cgo && (amd64 || arm64))

package forkexec

import (
	"fmt"
	"syscall"
)

// StartWith starts the process r describes with the reference's Start,
// where the C core does not run.  Options.PidFD works on Linux: the pidfd
// is opened (pidfd_open) right after Start returns, while the child, which
// has exec'd and is not reaped yet, still holds its pid, so it names that
// child; a goroutine of the caller's that reaps every child meanwhile
// (wait4(-1)) would break that.  ParentDeathSignal and CloseOtherFds need
// the C core: StartWith refuses them with ErrOptionUnsupported before any
// child exists.  A pidfd that cannot be opened (another OS, Linux before
// 5.3) fails the start: the child is killed and reaped.
func StartWith(r *Runner, o Options) (Child, error) {
	switch {
	case o.ParentDeathSignal != 0:
		return Child{PidFD: -1}, fmt.Errorf("ParentDeathSignal: %w", ErrOptionUnsupported)
	case o.CloseOtherFds:
		return Child{PidFD: -1}, fmt.Errorf("CloseOtherFds: %w", ErrOptionUnsupported)
	}
	pid, err := r.Start()
	if err != nil {
		return Child{PidFD: -1}, err
	}
	child := Child{Pid: pid, PidFD: -1}
	if o.PidFD {
		if child.PidFD, err = openPidFD(pid); err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			var ws syscall.WaitStatus
			for {
				if _, e := syscall.Wait4(pid, &ws, 0, nil); e != syscall.EINTR {
					break
				}
			}
			return Child{PidFD: -1}, fmt.Errorf("forkexec: PidFD: %w", err)
		}
	}
	return child, nil
}
