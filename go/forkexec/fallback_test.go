//go:build linux && !(cgo && (amd64 || arm64))

package forkexec_test

import (
	"errors"
	"reflect"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
	reference "github.com/criyle/go-sandbox/pkg/forkexec"
)

// Without the C core the package is the reference itself.
func TestFallbackIsTheReference(t *testing.T) {
	for _, pair := range [][2]any{
		{forkexec.Runner{}, reference.Runner{}},
		{forkexec.ChildError{}, reference.ChildError{}},
		{forkexec.LocExecve, reference.LocExecve},
	} {
		if a, b := reflect.TypeOf(pair[0]), reflect.TypeOf(pair[1]); a != b {
			t.Errorf("type %v is not the reference's %v", a, b)
		}
	}
}

func TestFallbackStarts(t *testing.T) {
	rep := runProbe(t, &forkexec.Runner{Env: []string{"A=1"}})
	if len(rep.Env) != 1 || rep.Env[0] != "A=1" {
		t.Errorf("probe saw environment %q, want [A=1]", rep.Env)
	}
	synced := 0
	runProbe(t, &forkexec.Runner{SyncFunc: func(pid int) error { synced = pid; return nil }})
	if synced == 0 {
		t.Error("SyncFunc was not called")
	}
}

func TestFallbackErrors(t *testing.T) {
	ce := startFail(t, &forkexec.Runner{Args: []string{"/nonexistent/program"}})
	wantChildError(t, ce, forkexec.LocExecve, 0, syscall.ENOENT)
	refused := errors.New("refused")
	_, err := startProbe(t, &forkexec.Runner{SyncFunc: func(int) error { return refused }})
	if err != refused {
		t.Errorf("Start = %v, want the SyncFunc's error", err)
	}
	requireNoChildren(t)
}

func TestFallbackNamespacesAndFiles(t *testing.T) {
	requireRoot(t)
	rep := runProbe(t, &forkexec.Runner{CloneFlags: syscall.CLONE_NEWUTS, HostName: "fallback"})
	if rep.NS["uts"] == selfNS(t, "uts") {
		t.Error("the probe ran in the caller's uts namespace")
	}
	if open, cloexec := rep.fd(1); !open || cloexec {
		t.Errorf("fd 1 in the probe: open %v, close-on-exec %v; want open and inherited", open, cloexec)
	}
}

func TestFallbackStopBeforeSeccomp(t *testing.T) {
	pid, err := (&forkexec.Runner{Args: []string{probePath, "--exit", "0"}, StopBeforeSeccomp: true}).Start()
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil || !ws.Stopped() {
		t.Errorf("wait4 = %#x, %v; want a stop", ws, err)
	}
	killAndReap(t, pid)
}
