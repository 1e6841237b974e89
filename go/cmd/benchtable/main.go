// Command benchtable turns the output of `go test -bench Start` runs of
// go/forkexec (make bench's passes, appended to one file) into a markdown
// report: a table of the reference (go-sandbox forkexec) next to ours for
// every configuration and heap, the parallel rows, and the acceptance
// criteria as a PASS/FAIL checklist.  With -plot it also writes the data
// and gnuplot script of a plot of start latency against the caller's heap.
//
// The ref and cfe samples of one pass ran one right after the other: a
// ratio is the median of the per-pass ratios of such pairs.  The command
// reports; its exit status does not depend on the criteria.
//
// Usage: benchtable [-plot DIR] [FILE...] (standard input without FILE)
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	dir := flag.String("plot", "", "directory for bench.dat and bench.gp (none: no plot)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: benchtable [-plot DIR] [FILE...] < go test -bench output")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, *dir, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir string, files []string) error {
	in := io.Reader(os.Stdin)
	if len(files) > 0 {
		var readers []io.Reader
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			readers = append(readers, f)
		}
		in = io.MultiReader(readers...)
	}
	r, err := parse(in)
	if err != nil {
		return err
	}
	if len(r.samples) == 0 {
		return fmt.Errorf("no benchmark results read")
	}
	if r.skipped > 0 {
		fmt.Fprintf(os.Stderr, "benchtable: %d result lines could not be read and were left out\n", r.skipped)
	}
	m := thisMachine(r.cpu)
	fmt.Fprintf(w, "# make bench: %s\n\n", m)
	printTable(w, r)
	printCriteria(w, criteria(r))
	if dir != "" {
		return writePlot(dir, r, m)
	}
	return nil
}
