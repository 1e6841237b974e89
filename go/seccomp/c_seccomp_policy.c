//go:build linux && cgo && (amd64 || arm64)

// Compiles the C library's seccomp policy builder into this package, as
// bindings/ does with the core, so that go get works without make.
#include "../../c/src/seccomp/seccomp_policy.c"
