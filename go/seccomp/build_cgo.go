//go:build linux && cgo && (amd64 || arm64)

package seccomp

/*
#cgo CPPFLAGS: -I${SRCDIR}/../../c/include -D_GNU_SOURCE
#cgo CFLAGS: -std=gnu11 -O2 -fvisibility=hidden -Wall -Wextra
#cgo pkg-config: libseccomp
#include <stdlib.h>
#include "cforkexec_seccomp.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/criyle/go-sandbox/pkg/seccomp"
)

// build runs the C builder: the policy's actions are valid (Build checked).
func build(b *Builder) (seccomp.Filter, error) {
	p, err := C.cfe_seccomp_new(C.uint32_t(b.def))
	if p == nil {
		return nil, fmt.Errorf("seccomp: cfe_seccomp_new: %w", err)
	}
	defer C.cfe_seccomp_free(p)
	switch {
	case b.fork:
		if rc := C.cfe_seccomp_add_judge_fork(p); rc < 0 {
			return nil, fmt.Errorf("seccomp: judge fork list: %w", syscall.Errno(-rc))
		}
	case b.judge:
		if rc := C.cfe_seccomp_add_judge_defaults(p); rc < 0 {
			return nil, fmt.Errorf("seccomp: judge defaults: %w", syscall.Errno(-rc))
		}
	}
	for i, r := range b.rules {
		name := C.CString(r.name)
		var rc C.int
		if r.masked {
			// arg <= 5: Build checked.
			rc = C.cfe_seccomp_add_masked(p, C.uint32_t(r.action), name, C.uint32_t(r.arg),
				C.uint64_t(r.mask), C.uint64_t(r.value))
		} else {
			rc = C.cfe_seccomp_add(p, C.uint32_t(r.action), name)
		}
		C.free(unsafe.Pointer(name))
		switch {
		case rc == -C.int(syscall.EINVAL):
			return nil, fmt.Errorf("seccomp: %q is not a system call on %s/%s: %w",
				r.name, runtime.GOOS, runtime.GOARCH, syscall.EINVAL)
		case rc == -C.int(syscall.EEXIST):
			return nil, conflict(b.rules, i)
		case rc < 0:
			return nil, fmt.Errorf("seccomp: %q: %w", r.name, syscall.Errno(-rc))
		}
	}
	var insns *C.struct_cfe_bpf_insn
	var n C.uint32_t
	if rc := C.cfe_seccomp_export(p, &insns, &n); rc < 0 {
		if rc == -C.int(syscall.EOPNOTSUPP) {
			return nil, fmt.Errorf("seccomp: exporting the filter: libseccomp cannot confirm that the kernel has SECCOMP_RET_KILL_PROCESS "+
				"(seccomp(2) is hidden, by valgrind say, or refused, by a container's seccomp profile; or the kernel is before 4.14): %w",
				syscall.EOPNOTSUPP)
		}
		return nil, fmt.Errorf("seccomp: exporting the filter: %w", syscall.Errno(-rc))
	}
	defer C.cfe_seccomp_free_program(insns)
	// struct cfe_bpf_insn has the layout of the kernel's sock_filter.
	filter := make(seccomp.Filter, int(n))
	copy(filter, unsafe.Slice((*syscall.SockFilter)(unsafe.Pointer(insns)), int(n)))
	return filter, nil
}

// conflict is the error for rules[i], whose name an earlier rule gave
// another action or a rule of the other kind (Add against AddMasked).
func conflict(rules []rule, i int) error {
	for _, r := range rules[:i] {
		if r.name != rules[i].name {
			continue
		}
		if !r.masked && !rules[i].masked && r.action != rules[i].action {
			return fmt.Errorf("seccomp: %q has two actions, %v and %v: %w",
				r.name, r.action, rules[i].action, syscall.EEXIST)
		}
		if r.masked != rules[i].masked || r.action != rules[i].action {
			return fmt.Errorf("seccomp: %q has rules %v and %v; a name takes one Add action or masked rules of one action: %w",
				r.name, r, rules[i], syscall.EEXIST)
		}
	}
	return fmt.Errorf("seccomp: %q (%v) names a system call an earlier rule gave another action: %w",
		rules[i].name, rules[i], syscall.EEXIST)
}

// JudgeDefaultNames is the judge default list that AddJudgeDefaults allows,
// every architecture's names included (those this one lacks are skipped).
func JudgeDefaultNames() []string {
	var names []string
	for i := C.uint32_t(0); ; i++ {
		n := C.cfe_seccomp_judge_default_name(i)
		if n == nil {
			return names
		}
		names = append(names, C.GoString(n))
	}
}
