// Package rlimit holds one resource limit as forkexec.Runner.RLimits
// carries it, shaped as the reference module's pkg/rlimit.RLimit
// (github.com/criyle/go-sandbox v0.13.4).
//
// It stands in for that package while the reference module cannot be
// fetched here; once it can, RLimit becomes an alias of the reference type.
package rlimit

import "syscall"

// RLimit is one limit set in the child with prlimit64: Res is the resource
// (syscall.RLIMIT_*), Rlim its soft and hard values.
type RLimit struct {
	Res  int
	Rlim syscall.Rlimit
}
