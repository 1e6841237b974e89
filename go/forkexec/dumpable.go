//go:build linux && cgo && (amd64 || arm64)

package forkexec

import (
	"fmt"

	"github.com/cforkexec/cforkexec/bindings"
)

// SetDumpable sets the process's dumpable flag (prctl PR_SET_DUMPABLE) in
// agreement with the Credential starts under way; the reference has no
// such function.
//
// A Credential start's child changes its credentials while it still runs in
// the caller's memory, which makes the caller non-dumpable until the child
// has exec'd (nobody may attach to the child and so reach the caller);
// Start then restores the flag.  A plain prctl made meanwhile cannot always
// be told from the child's change (PR_SET_DUMPABLE 0 where the
// fs.suid_dumpable sysctl is 0, its default) and is undone by that restore.
// SetDumpable is honoured exactly: false takes effect at once, true once
// the last Credential start under way is over, and that start's restore
// leaves the flag as asked.  With no such start under way it is the prctl.
func SetDumpable(dumpable bool) error {
	if err := bindings.SetDumpable(dumpable); err != nil {
		return fmt.Errorf("forkexec: set dumpable: %w", err)
	}
	return nil
}
