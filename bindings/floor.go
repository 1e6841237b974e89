//go:build linux && cgo && (amd64 || arm64)

package bindings

/*
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

// Starts path with argv and no environment, waits for it, and returns its
// wait status, or -errno when posix_spawn failed.
static int spawn_and_wait(const char *path, char *const argv[])
{
	static char *const no_env[] = {NULL};
	pid_t pid;
	int status;
	int err = posix_spawn(&pid, path, NULL, NULL, argv, no_env);

	if (err != 0)
		return -err;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status;
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// SpawnAndWait starts args[0] with libc's posix_spawn (no environment) and
// waits for it: the floor that benchmarks compare a start with, called
// through cgo as a start is.  It returns the wait status.
func SpawnAndWait(args []string) (syscall.WaitStatus, error) {
	size := blockSize(&Params{Args: args}) // strings and pointers, rounded
	base := C.malloc(C.size_t(size + ptrSize))
	if base == nil {
		return 0, syscall.ENOMEM
	}
	defer C.free(base)
	b := block{base: base, size: size + ptrSize}
	argv := unsafe.Slice((**C.char)(b.alloc(uintptr(len(args)+1)*ptrSize)), len(args)+1)
	for i, s := range args {
		argv[i] = b.putString(s)
	}
	argv[len(args)] = nil
	r := C.spawn_and_wait(argv[0], &argv[0])
	if r < 0 {
		return 0, syscall.Errno(-r)
	}
	return syscall.WaitStatus(r), nil
}
