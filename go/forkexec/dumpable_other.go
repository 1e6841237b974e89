//go:build !linux

package forkexec

import (
	"errors"
	"fmt"
)

// SetDumpable is Linux's prctl PR_SET_DUMPABLE; elsewhere it returns an
// error wrapping errors.ErrUnsupported.
func SetDumpable(dumpable bool) error {
	return fmt.Errorf("forkexec: set dumpable %v: %w", dumpable, errors.ErrUnsupported)
}
