//go:build linux && cgo && (amd64 || arm64)

// The child entry of the C library, for x86_64 (see c/src/arch).
#include "../c/src/arch/clone_x86_64.S"
