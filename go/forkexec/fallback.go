//go:build !(linux && cgo && (amd64 || arm64))

package forkexec

import reference "github.com/criyle/go-sandbox/pkg/forkexec"

// Runner is the reference package's own Runner where the C core does not
// run (no cgo, or an OS or architecture other than Linux on amd64 or
// arm64): the same fields and the reference's Start, so a program that
// imports this package builds and behaves exactly as with the reference.
type Runner = reference.Runner
