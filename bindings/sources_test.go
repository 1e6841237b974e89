//go:build linux && cgo && (amd64 || arm64)

package bindings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every C source of the library must be compiled into this package by a
// wrapper file; a new c/src file without one fails to link only later.
func TestEveryCSourceHasAWrapper(t *testing.T) {
	sources, err := filepath.Glob("../c/src/*.c")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no C sources found: %v", err)
	}
	for _, src := range sources {
		name := filepath.Base(src)
		wrapper := "c_" + name
		text, err := os.ReadFile(wrapper)
		if err != nil {
			t.Errorf("%s has no wrapper %s in bindings/: %v", src, wrapper, err)
			continue
		}
		if !strings.Contains(string(text), `#include "../c/src/`+name+`"`) {
			t.Errorf("%s does not include ../c/src/%s", wrapper, name)
		}
	}
}
