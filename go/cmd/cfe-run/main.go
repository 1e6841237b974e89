//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain is the whole command: parse, run, print the JSON line, and the
// exit status (0: a result was printed; 1: it could not be, or the run's
// directory or cgroup could not be removed; 2: bad usage).
func realMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, helpText)
		return 0
	}
	if err != nil {
		return 2
	}
	res, cleanup := run(o)
	line, err := json.Marshal(res)
	if err == nil {
		_, err = fmt.Fprintf(stdout, "%s\n", line)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cfe-run: writing the result: %v\n", err)
		return 1
	}
	if cleanup != nil {
		fmt.Fprintf(stderr, "cfe-run: cleaning up: %v\n", cleanup)
		return 1
	}
	return 0
}
