//go:build linux

package forkexec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const (
	referenceImport = `"github.com/criyle/go-sandbox/pkg/forkexec"`
	ourImport       = `"github.com/cforkexec/cforkexec/go/forkexec"`
)

// A judge's code compiles after the swap with nothing but the import line
// changed: testdata/judge is built as written (against the reference) and
// again with the import replaced through an overlay.
func TestJudgeSwapCompiles(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: ", err)
	}
	src := filepath.Join("testdata", "judge", "main.go")
	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(orig, []byte(referenceImport)) != 1 || bytes.Contains(orig, []byte(ourImport)) {
		t.Fatalf("%s must import the reference's forkexec exactly once", src)
	}
	build := func(t *testing.T, overlay string) {
		t.Helper()
		args := []string{"build", "-o", os.DevNull}
		if overlay != "" {
			args = append(args, "-overlay", overlay)
		}
		cmd := exec.Command(gobin, append(args, "./testdata/judge")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	t.Run("reference", func(t *testing.T) { build(t, "") })
	t.Run("cforkexec", func(t *testing.T) {
		dir := t.TempDir()
		swapped := filepath.Join(dir, "main.go")
		if err := os.WriteFile(swapped, bytes.Replace(orig, []byte(referenceImport), []byte(ourImport), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		abs, err := filepath.Abs(src)
		if err != nil {
			t.Fatal(err)
		}
		overlay, err := json.Marshal(map[string]map[string]string{"Replace": {abs: swapped}})
		if err != nil {
			t.Fatal(err)
		}
		overlayFile := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		build(t, overlayFile)
	})
}
