// Package bindings is the cgo layer of cforkexec: the only Go package that
// imports "C".  It compiles the C library itself (so go get works without
// make), marshals a configuration into a single C allocation per start,
// calls cfe_start on a locked OS thread with syscall.ForkLock held around
// the clone, and reaches the caller's SyncFunc through an exported
// trampoline and a runtime/cgo.Handle.
//
// Judge services use it through github.com/cforkexec/cforkexec/go/forkexec.
package bindings

/*
#cgo CPPFLAGS: -I${SRCDIR}/../c/include -I${SRCDIR}/../c/src -D_GNU_SOURCE
#cgo CFLAGS: -std=gnu11 -O2 -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter
#cgo LDFLAGS: -lpthread
*/
import "C"
