package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// machine is what the plot's title says the results are from.
type machine struct {
	host  string
	cpus  int
	model string
	date  time.Time
}

func (m machine) String() string {
	return fmt.Sprintf("%s, %d CPUs, %s, %s", m.host, m.cpus, m.model, m.date.UTC().Format("2006-01-02 15:04 UTC"))
}

// cpuModel is the first "model name" of a /proc/cpuinfo, "" when it has
// none (arm64 has no model name line).
func cpuModel(cpuinfo io.Reader) string {
	sc := bufio.NewScanner(cpuinfo)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// thisMachine describes the machine running this command (make bench runs
// it where the benchmarks ran): hostname, nproc (the CPUs this process may
// run on) and the CPU model from /proc/cpuinfo, else from go test's header.
func thisMachine(goTestCPU string) machine {
	m := machine{cpus: runtime.NumCPU(), date: time.Now()}
	m.host, _ = os.Hostname()
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		m.model = cpuModel(f)
		f.Close()
	}
	if m.model == "" {
		m.model = goTestCPU
	}
	if m.model == "" {
		m.model = "unknown CPU"
	}
	return m
}

// palette gives each configuration its colour, the same for both
// packages.
var palette = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
	"#bcbd22", "#393b79", "#e7ba52", "#637939", "#ad494a", "#7b4173", "#6baed6", "#fd8d3c",
}

// gpString quotes s for gnuplot (double quotes: \n is a line break).
func gpString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// line is one line of the plot: a data set and how it is drawn.
type line struct {
	key    series
	title  string // "" for none in the key
	colour string
	style  string // dash type, point type, width
}

// plotLines are the lines of the plot: the posix_spawn floor, then, for
// every configuration, the reference dashed and ours solid in the
// configuration's colour.
func plotLines(r *results) []line {
	lines := []line{{floorKey(""), "posix_spawn floor", "#000000", "dt 1 pt 5 lw 2.5"}}
	for i, c := range r.configs {
		colour := palette[i%len(palette)]
		lines = append(lines,
			line{startKey(c, "", implRef), "", colour, "dt 2 pt 6 lw 1.2"},
			line{startKey(c, "", implCfe), c, colour, "dt 1 pt 7 lw 1.5"})
	}
	return lines
}

// writePlot writes bench.dat (a block of heap MiB, median µs and samples
// for every line) and bench.gp, which draws bench.png and bench.svg from
// it, into dir.
func writePlot(dir string, r *results, m machine) error {
	var data, plot strings.Builder
	blocks := 0
	for _, l := range plotLines(r) {
		var points strings.Builder
		for _, h := range r.heaps {
			k := l.key
			k.heap = h
			if n := len(r.samples[k]); n > 0 && heapMiB(h) >= 0 {
				fmt.Fprintf(&points, "%g %.1f %d\n", heapMiB(h), r.medianOf(k, nsOf)/1e3, n)
			}
		}
		if points.Len() == 0 {
			continue
		}
		fmt.Fprintf(&data, "# index %d: %s %s (heap MiB, start + wait µs median, samples)\n%s\n\n", blocks, l.key.config, l.key.impl, points.String())
		title := "notitle"
		if l.title != "" {
			title = "title " + gpString(l.title)
		}
		fmt.Fprintf(&plot, ", \\\n  'bench.dat' index %d using 1:2 with linespoints lc rgb '%s' %s %s", blocks, l.colour, l.style, title)
		blocks++
	}
	if blocks == 0 {
		return fmt.Errorf("no data to plot")
	}
	var xtics []string
	maxMiB := 0.0
	for _, h := range r.heaps {
		if v := heapMiB(h); v >= 0 {
			xtics = append(xtics, fmt.Sprintf("%s %g", gpString(h), v))
			maxMiB = max(maxMiB, v)
		}
	}
	title := "start + wait latency against the caller's heap: cforkexec (solid) and go-sandbox forkexec v0.13.4 (dashed)\n" + m.String()
	script := fmt.Sprintf(`# Written by go/cmd/benchtable; run in this directory: gnuplot bench.gp
set encoding utf8
set terminal pngcairo size 1400,820 noenhanced font ',10'
set output 'bench.png'
set title %s
set xlabel "caller's live, touched heap (linear in MiB)"
set ylabel %s
set logscale y
set grid xtics ytics mytics
set key outside right top
set xtics (%s)
set xrange [%g:%g]
plot keyentry with linespoints lc rgb '#555555' dt 2 pt 6 title 'reference (dashed)', \
  keyentry with linespoints lc rgb '#555555' dt 1 pt 7 title 'cforkexec (solid)'%s
set terminal svg size 1400,820 noenhanced font ',10'
set output 'bench.svg'
replot
unset output
`, gpString(title), gpString("start + wait (µs per start, median of the samples, log scale)"),
		strings.Join(xtics, ", "), -0.04*maxMiB-1, 1.04*maxMiB+1, plot.String())
	if err := os.WriteFile(filepath.Join(dir, "bench.dat"), []byte(data.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bench.gp"), []byte(script), 0o644)
}
