//go:build linux

package main

import (
	"runtime"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
)

// Every name of the policy is a syscall of each architecture it is given
// for, so the filter builds there too (the builder refuses unknown names).
func TestJudgePolicyNames(t *testing.T) {
	archName := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}
	for goarch, extra := range judgeAllowArch {
		info, err := arch.GetInfo(archName[goarch])
		if err != nil {
			t.Fatalf("%s: %v", goarch, err)
		}
		seen := map[string]bool{}
		for _, name := range append(append([]string(nil), judgeAllowCommon...), extra...) {
			if _, ok := info.SyscallNames[name]; !ok {
				t.Errorf("%s has no syscall %q", goarch, name)
			}
			if seen[name] {
				t.Errorf("%s: %q twice", goarch, name)
			}
			seen[name] = true
		}
		for _, forbidden := range []string{"fork", "vfork", "clone", "clone3", "socket", "ptrace", "mount", "kill", "unshare"} {
			if seen[forbidden] {
				t.Errorf("%s: the judge policy allows %s", goarch, forbidden)
			}
		}
	}
}

func TestJudgeFilterBuilds(t *testing.T) {
	f, err := judgeFilter()
	if _, ok := judgeAllowArch[runtime.GOARCH]; !ok {
		if err == nil {
			t.Errorf("a filter for %s, which the policy does not know", runtime.GOARCH)
		}
		return
	}
	if err != nil || f == nil || f.Len == 0 || f.Filter == nil {
		t.Fatalf("judgeFilter() = %v, %v", f, err)
	}
	// The fallback's own program, built here too so that it is known to
	// build where it is used (without cgo).
	if fb, err := fallbackJudgeFilter(); err != nil || len(fb) == 0 {
		t.Fatalf("fallbackJudgeFilter() = %d instructions, %v", len(fb), err)
	}
}
