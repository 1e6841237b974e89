//go:build !linux

package forkexec

import "fmt"

// openPidFD fails: pidfds are Linux's.
func openPidFD(int) (int, error) {
	return -1, fmt.Errorf("pidfds need Linux: %w", ErrOptionUnsupported)
}
