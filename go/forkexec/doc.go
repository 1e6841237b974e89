// Package forkexec starts a sandboxed process: new namespaces, user-id maps
// written by the parent, a SyncFunc handshake just before execve, mounts and
// pivot_root, rlimits, credentials, capability drop, no_new_privs, a seccomp
// filter and ptrace.  It is a drop-in replacement for the package of the
// same name in github.com/criyle/go-sandbox (v0.13.4): the same Runner
// fields, the same Start() (int, error), the same ChildError values.
//
// # Switching
//
// Change one import line:
//
//	import "github.com/criyle/go-sandbox/pkg/forkexec"
//
// becomes
//
//	import "github.com/cforkexec/cforkexec/go/forkexec"
//
// # Where the C core runs
//
// On Linux on amd64 and arm64, built with cgo (the default where a C
// compiler is installed), Start runs the C library.  Everywhere else the
// reference builds — CGO_ENABLED=0, the other Linux architectures, darwin —
// Runner, ChildError, ErrorLocation, the Loc constants and UnshareFlags are
// the reference package's own (type aliases), so the program builds and
// behaves exactly as with the reference.
//
// # What is different
//
// Only what is better:
//   - The child is created with CLONE_VM by a C library (libcforkexec), so a
//     start costs the same whatever the size of the caller's heap; the
//     reference forks a full copy of the Go process whenever a handshake is
//     needed (user namespace, SyncFunc, ptrace stop).
//   - Start locks the goroutine to its OS thread for the whole start itself.
//   - With a handshake (a user namespace, SyncFunc, a stop),
//     syscall.ForkLock is held only around the clone, not while SyncFunc
//     runs or the child sets itself up.  (Without one the clone uses
//     CLONE_VFORK and returns at the child's execve, as Go's own
//     forkExec does.)
//   - Refused up front with EINVAL instead of misbehaving: Mounts or
//     PivotRoot without CLONE_NEWNS (which would change the caller's own
//     mount table), a relative PivotRoot (which never worked), and
//     StopBeforeSeccomp with a SyncFunc but without Ptrace and Seccomp
//     (the child would stop before the handshake and Start would wait for
//     it forever).
//   - A panic in SyncFunc kills and reaps the child, then re-panics from
//     Start with the same value.
//   - Parked file descriptors never overwrite an fd the child inherits.
//
// While a child with a Credential runs in the caller's memory (until its
// execve), the caller is not dumpable (the kernel's doing, for the shared
// memory descriptor); the flag is restored once the last such child has
// exec'd or died.
//
// # Ptrace
//
// The tracer of a Ptrace child is the OS thread that called Start.  As with
// the reference, the caller must call runtime.LockOSThread before Start and
// make every ptrace call on that same thread.
package forkexec
