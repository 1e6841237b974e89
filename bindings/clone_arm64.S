//go:build linux && cgo && (amd64 || arm64)

// The child entry of the C library, for aarch64 (see c/src/arch).
#include "../c/src/arch/clone_aarch64.S"
