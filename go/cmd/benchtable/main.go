// Command benchtable turns the output of several `go test -bench Start`
// runs of go/forkexec into the README's table (medians over the runs) and
// the data and gnuplot script of a plot of start latency against the
// caller's heap size.
//
// Usage: benchtable -plot DIR < bench-output
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A result line: BenchmarkStart/<config>/heap=<heap>/<impl>-<procs> N, then
// value-unit pairs (ns/op, start-ns/op, B/op, allocs/op).
var name = regexp.MustCompile(`^BenchmarkStart/([^/]+)/heap=([^/]+)/([a-z_]+)(-\d+)?$`)

type key struct{ config, heap, impl string }

type samples struct{ ns, bytes, allocs, start []float64 }

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func parse(r io.Reader) (map[key]*samples, []string, []string, error) {
	results := map[key]*samples{}
	var configs, heaps []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		m := name.FindStringSubmatch(fields[0])
		if m == nil {
			continue
		}
		k := key{m[1], m[2], m[3]}
		if results[k] == nil {
			results[k] = &samples{}
		}
		s := results[k]
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%q: %v", sc.Text(), err)
			}
			switch fields[i+1] {
			case "ns/op":
				s.ns = append(s.ns, v)
			case "start-ns/op":
				s.start = append(s.start, v)
			case "B/op":
				s.bytes = append(s.bytes, v)
			case "allocs/op":
				s.allocs = append(s.allocs, v)
			}
		}
		if k.config != "floor" && !seen["c"+k.config] {
			seen["c"+k.config] = true
			configs = append(configs, k.config)
		}
		if !seen["h"+k.heap] {
			seen["h"+k.heap] = true
			heaps = append(heaps, k.heap)
		}
	}
	return results, configs, heaps, sc.Err()
}

func heapMiB(h string) float64 {
	switch {
	case strings.HasSuffix(h, "GiB"):
		v, _ := strconv.ParseFloat(strings.TrimSuffix(h, "GiB"), 64)
		return v * 1024
	case strings.HasSuffix(h, "MiB"):
		v, _ := strconv.ParseFloat(strings.TrimSuffix(h, "MiB"), 64)
		return v
	}
	return 0
}

func printTable(w io.Writer, res map[key]*samples, configs, heaps []string) {
	fmt.Fprintf(w, "| configuration | heap | start + wait µs/op | / posix_spawn | / heap 0 | Start alone µs | / heap 0 | B/op | allocs/op | runs |\n")
	fmt.Fprintf(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range configs {
		base := res[key{c, heaps[0], "cfe"}]
		for _, h := range heaps {
			s := res[key{c, h, "cfe"}]
			floor := res[key{"floor", h, "posix_spawn"}]
			if s == nil || floor == nil || base == nil {
				continue
			}
			ns, start := median(s.ns), median(s.start)
			fmt.Fprintf(w, "| %s | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.0f | %.0f | %d |\n", c, h, ns/1e3,
				ns/median(floor.ns), ns/median(base.ns), start/1e3, start/median(base.start),
				median(s.bytes), median(s.allocs), len(s.ns))
		}
	}
	for _, h := range heaps {
		if f := res[key{"floor", h, "posix_spawn"}]; f != nil {
			fmt.Fprintf(w, "| posix_spawn floor | %s | %.0f | 1.00 | | | | %.0f | %.0f | %d |\n", h, median(f.ns)/1e3,
				median(f.bytes), median(f.allocs), len(f.ns))
		}
	}
}

func writePlot(dir string, res map[key]*samples, configs, heaps []string) error {
	data, err := os.Create(filepath.Join(dir, "bench.dat"))
	if err != nil {
		return err
	}
	defer data.Close()
	series := append([]string{"floor"}, configs...)
	for _, c := range series {
		impl := "cfe"
		if c == "floor" {
			impl = "posix_spawn"
		}
		fmt.Fprintf(data, "# %s\n", c)
		for _, h := range heaps {
			if s := res[key{c, h, impl}]; s != nil {
				fmt.Fprintf(data, "%g %g\n", heapMiB(h), median(s.ns)/1e3)
			}
		}
		fmt.Fprint(data, "\n\n")
	}
	host, _ := os.Hostname()
	title := fmt.Sprintf("cforkexec start latency vs caller heap (%s, %s)", host, time.Now().UTC().Format("2006-01-02"))
	var plot strings.Builder
	for i, c := range series {
		if i > 0 {
			plot.WriteString(", ")
		}
		fmt.Fprintf(&plot, "'bench.dat' index %d with linespoints title '%s'", i, c)
	}
	script := fmt.Sprintf(`set title "%s"
set xlabel "live touched heap of the caller (MiB)"
set ylabel "start + wait (µs/op, median)"
set key outside right
set grid
set xtics (0, 256, 1024)
set yrange [0:*]
set terminal pngcairo size 1200,700
set output 'bench.png'
plot %s
set terminal svg size 1200,700
set output 'bench.svg'
replot
`, title, plot.String())
	return os.WriteFile(filepath.Join(dir, "bench.gp"), []byte(script), 0o644)
}

func main() {
	dir := flag.String("plot", "", "directory for bench.dat and bench.gp (none: table only)")
	flag.Parse()
	res, configs, heaps, err := parse(os.Stdin)
	if err != nil || len(configs) == 0 {
		fmt.Fprintf(os.Stderr, "benchtable: no benchmark results read (%v)\n", err)
		os.Exit(1)
	}
	printTable(os.Stdout, res, configs, heaps)
	if *dir != "" {
		if err := writePlot(*dir, res, configs, heaps); err != nil {
			fmt.Fprintf(os.Stderr, "benchtable: %v\n", err)
			os.Exit(1)
		}
	}
}
