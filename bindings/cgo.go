//go:build linux && cgo && (amd64 || arm64)

package bindings

// The C library's sources are compiled into this package (the c_*.c files
// include them), with the flags the Makefile builds it with.

/*
#cgo CPPFLAGS: -I${SRCDIR}/../c/include -I${SRCDIR}/../c/src -D_GNU_SOURCE
#cgo CFLAGS: -std=gnu11 -O2 -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter
#cgo LDFLAGS: -lpthread
*/
import "C"
