// Package bindings is the cgo layer of cforkexec: the only Go package that
// imports "C".  It compiles the C library itself (so go get works without
// make), marshals a configuration into a single C allocation per start,
// calls cfe_start on a locked OS thread with syscall.ForkLock held around
// the clone, and reaches the caller's SyncFunc through an exported
// trampoline and a runtime/cgo.Handle.
//
// It has content only where the C core runs: Linux on amd64 or arm64 with
// cgo enabled.  Elsewhere it is empty, and go/forkexec delegates to the
// reference package instead.
//
// Judge services use it through github.com/cforkexec/cforkexec/go/forkexec.
package bindings
