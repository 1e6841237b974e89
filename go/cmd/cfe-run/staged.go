package main

import "path/filepath"

// stagedName is the name PROGRAM or a --file file has under /prog: its
// base name ("program" for a path without one).
func stagedName(path string) string {
	name := filepath.Base(path)
	if name == "." || name == ".." || name == "/" {
		name = "program"
	}
	return name
}
