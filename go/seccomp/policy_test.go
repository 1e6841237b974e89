//go:build linux

package seccomp_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/seccomp"
)

func TestActionEncoding(t *testing.T) {
	// The kernel's SECCOMP_RET_ values.
	for _, c := range []struct {
		a    seccomp.Action
		want uint32
		text string
	}{
		{seccomp.Allow, 0x7fff0000, "Allow"},
		{seccomp.Kill, 0x80000000, "Kill"},
		{seccomp.Errno(syscall.EACCES), 0x00050000 | 13, "Errno(13)"},
		{seccomp.Errno(0), 0x00050000, "Errno(0)"},
		{seccomp.Trace(42), 0x7ff00000 | 42, "Trace(42)"},
	} {
		if uint32(c.a) != c.want || !c.a.Valid() || c.a.String() != c.text {
			t.Errorf("%s = %#x (valid %v, %q), want %#x", c.text, uint32(c.a), c.a.Valid(), c.a.String(), c.want)
		}
	}
	for _, bad := range []seccomp.Action{0, 0x12345678, seccomp.Allow | 1, seccomp.Kill | 1,
		seccomp.Errno(4095), seccomp.Errno(0x10000), seccomp.Errno(0x40000), 0x00030000 /* trap */} {
		if bad.Valid() {
			t.Errorf("%#x is valid", uint32(bad))
		}
		if !strings.HasPrefix(bad.String(), "Action(0x") {
			t.Errorf("%#x spells %q", uint32(bad), bad.String())
		}
	}
}

// Invalid actions are refused by Build, in every build, naming them.
func TestBuildRefusesInvalidActions(t *testing.T) {
	for _, c := range []struct {
		b    *seccomp.Builder
		want string
	}{
		{seccomp.New(0), "default action Action(0x0)"},
		{seccomp.New(seccomp.Errno(5000)), "default action Action(0x5ffff)"},
		{seccomp.New(seccomp.Allow).Add(seccomp.Kill, "read").Add(1, "write"), `action Action(0x1) for "write"`},
	} {
		_, err := c.b.Build()
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Build: %v; want an EINVAL error naming %s", err, c.want)
		}
	}
}
