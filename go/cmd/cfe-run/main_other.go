//go:build !linux

package main

import (
	"fmt"
	"os"
)

// cfe-run needs Linux namespaces; elsewhere it only says so.
func main() {
	fmt.Fprintln(os.Stderr, "cfe-run: Linux only")
	os.Exit(2)
}
