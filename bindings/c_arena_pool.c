//go:build linux && cgo && (amd64 || arm64)

// Compiles the C library's arena_pool.c into this package, so that go get
// and go test work without running make first.
#include "../c/src/arena_pool.c"
