//go:build linux && !(cgo && (amd64 || arm64))

package forkexec

import "golang.org/x/sys/unix"

// openPidFD opens a close-on-exec pidfd of pid (pidfds always are).
func openPidFD(pid int) (int, error) {
	return unix.PidfdOpen(pid, 0)
}
