// Package seccomp builds seccomp filters from system call names with
// libseccomp, for forkexec.Runner.Seccomp:
//
//	filter, err := seccomp.New(seccomp.Kill).
//		AddJudgeDefaults().
//		Add(seccomp.Errno(syscall.EACCES), "socket").
//		Build()
//	...
//	runner.Seccomp = filter.SockFprog()
//
// A policy is a default action and one action per named system call:
// Allow, Kill (the whole process, which dies of SIGSYS), Errno(n) (the
// call fails with n) and Trace(n) (the tracer gets a PTRACE_EVENT_SECCOMP
// stop with n). AddMasked makes a rule hold only for some values of an
// argument ((arg & mask) == value). JudgeDefault is the judge's policy for
// an ordinary program (AddJudgeDefaults, everything else killing the
// process); JudgeFork the one for a program that must start processes
// (AddJudgeFork: fork and clone, but no clone into a new namespace). The
// filter is the reference's seccomp.Filter
// (github.com/criyle/go-sandbox/pkg/seccomp), so code written for the
// reference takes it as it is.
//
// The filter is for the architecture the program runs on: a system call
// made through another architecture's convention (int 0x80 or x32 on
// amd64) kills the process whatever the policy. It does not set
// no_new_privs; forkexec.Runner does whenever it loads a filter.
//
// This is the only package of the module that needs libseccomp: it
// compiles the C library's builder (c/src/seccomp/seccomp_policy.c, the
// same code the C API cfe_seccomp_* of cforkexec_seccomp.h runs) with cgo
// and links libseccomp through pkg-config (Debian: libseccomp-dev). It has
// that code where go/forkexec has its C core, Linux on amd64 or arm64 with
// cgo. On Linux elsewhere (no cgo, another architecture) it compiles, and
// Build and JudgeDefault return an error that wraps errors.ErrUnsupported
// (see ErrUnsupported). On other operating systems, which have no seccomp
// (nor the reference's seccomp.Filter), it is empty.
package seccomp
