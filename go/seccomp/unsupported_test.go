//go:build linux && !(cgo && (amd64 || arm64))

package seccomp_test

import (
	"errors"
	"testing"

	"github.com/cforkexec/cforkexec/go/seccomp"
)

// Without the C builder a valid policy is refused with ErrUnsupported.
func TestUnsupported(t *testing.T) {
	f, err := seccomp.JudgeDefault()
	if f != nil || !errors.Is(err, seccomp.ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("JudgeDefault() = %v, %v; want ErrUnsupported", f, err)
	}
	if f, err := seccomp.JudgeFork(); f != nil || !errors.Is(err, seccomp.ErrUnsupported) {
		t.Errorf("JudgeFork() = %v, %v; want ErrUnsupported", f, err)
	}
	if seccomp.JudgeDefaultNames() != nil {
		t.Errorf("JudgeDefaultNames() is not nil")
	}
}
