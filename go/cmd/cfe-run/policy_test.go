//go:build linux

package main

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"

	"github.com/cforkexec/cforkexec/go/seccomp"
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

// Each --seccomp value has its filter: off none, fork one that differs from
// judge's (or, without go/seccomp, a refusal naming the reason).
func TestPolicyFilters(t *testing.T) {
	if f, err := policyFilter("off"); f != nil || err != nil {
		t.Errorf(`policyFilter("off") = %v, %v; want no filter`, f, err)
	}
	if _, err := policyFilter("maybe"); err == nil {
		t.Error(`policyFilter("maybe") built a filter`)
	}
	judge, err := policyFilter("judge")
	if _, ok := judgeAllowArch[runtime.GOARCH]; !ok || err != nil {
		t.Skipf("no judge policy here: %v", err)
	}
	fork, err := policyFilter("fork")
	if errors.Is(err, seccomp.ErrUnsupported) {
		if !strings.Contains(err.Error(), "--seccomp=fork needs go/seccomp") {
			t.Errorf("the fork policy's refusal does not say why: %v", err)
		}
		return
	}
	if err != nil || fork == nil || fork.Len == 0 {
		t.Fatalf(`policyFilter("fork") = %v, %v`, fork, err)
	}
	if fork.Len == judge.Len {
		t.Errorf("the fork and judge filters have the same length, %d", fork.Len)
	}
}
