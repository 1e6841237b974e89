//go:build linux && cgo && (amd64 || arm64)

package seccomp_test

import (
	"testing"

	"github.com/cforkexec/cforkexec/go/seccomp"
	reflib "github.com/criyle/go-sandbox/pkg/seccomp/libseccomp"
)

// nativeJudgeNames is the judge default list less the names this
// architecture lacks, which the reference's builder would refuse.
func nativeJudgeNames(b *testing.B) []string {
	b.Helper()
	var names []string
	for _, n := range seccomp.JudgeDefaultNames() {
		if _, err := seccomp.New(seccomp.Kill).Add(seccomp.Allow, n).Build(); err == nil {
			names = append(names, n)
		}
	}
	return names
}

// BenchmarkBuild builds the same policy, the judge default list allowed and
// everything else killing the process, with this package (libseccomp,
// through cgo) and with the reference's pkg/seccomp/libseccomp.Builder (pure
// Go, github.com/elastic/go-seccomp-bpf).
func BenchmarkBuild(b *testing.B) {
	names := nativeJudgeNames(b)
	b.Run("cforkexec", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			f, err := seccomp.New(seccomp.Kill).Add(seccomp.Allow, names...).Build()
			if err != nil || len(f) == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			builder := reflib.Builder{Allow: names, Default: reflib.ActionKill}
			f, err := builder.Build()
			if err != nil || len(f) == 0 {
				b.Fatal(err)
			}
		}
	})
}
