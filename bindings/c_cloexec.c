//go:build linux && cgo && (amd64 || arm64)

// Compiles the C library's cloexec.c into this package, so that go get and
// go test work without running make first.
#include "../c/src/cloexec.c"
