//go:build linux && !(cgo && (amd64 || arm64))

package seccomp

import (
	"fmt"
	"runtime"

	"github.com/criyle/go-sandbox/pkg/seccomp"
)

// build has no builder to run here: the C one needs cgo, and go/forkexec
// has no C core to load its filter either. A second, pure-Go builder could
// answer the same policy with another program (another system call table,
// other architecture checks), so none is offered.
func build(*Builder) (seccomp.Filter, error) {
	return nil, fmt.Errorf("seccomp: no policy builder on %s/%s without cgo (it runs on linux/amd64 and linux/arm64 with cgo): %w",
		runtime.GOOS, runtime.GOARCH, ErrUnsupported)
}

// JudgeDefaultNames is nil here: the list lives in the C builder.
func JudgeDefaultNames() []string {
	return nil
}
