package main

import (
	"bufio"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Implementations as the benchmark names them.
const (
	implRef   = "ref"
	implCfe   = "cfe"
	implFloor = "posix_spawn"
	// floorConfig is the configuration name of the posix_spawn floor.
	floorConfig = "floor"
)

// Benchmarks as bench_test.go names them.
const (
	benchStart    = "Start"
	benchParallel = "StartParallel"
)

// A result line's name: Benchmark<bench>/<config>/heap=<heap>/<impl>, then
// go test's "#NN" for a repeated name and "-<GOMAXPROCS>".
var resultName = regexp.MustCompile(`^Benchmark(Start|StartParallel)/([^/]+)/heap=([^/]+)/([A-Za-z0-9_]+)(?:#\d+)?(?:-\d+)?$`)

// series names one benchmark: a configuration at a heap size run by one
// implementation.
type series struct{ bench, config, heap, impl string }

// row is a configuration at a heap size.
type row struct{ config, heap string }

// slot says which run a sample is from: the pass (one go test process of
// make bench's loop) and, within the pass, the how-manieth result of its
// series (more than one with go test -count).  The ref and cfe samples of
// one slot ran one right after the other: they form a pair.
type slot struct{ pass, rep int }

// sample is one result line's values.
type sample struct {
	slot
	ns       float64 // ns/op: start and wait
	startNs  float64 // start-ns/op: Start alone
	hasStart bool
	bytes    float64 // B/op
	allocs   float64 // allocs/op
}

// results are all the samples read, with the configurations and heaps in
// the order the table shows them.
type results struct {
	samples map[series][]sample
	// configs of BenchmarkStart (without the floor), in the order they
	// were first seen.
	configs []string
	// parallel are the configuration and heap of every
	// BenchmarkStartParallel row, in the order they were first seen.
	parallel []row
	// heaps by size, smallest first.
	heaps   []string
	passes  int
	cpu     string // go test's "cpu:" line
	skipped int    // lines named like a result that did not parse as one
}

// isPassBoundary reports whether a line of go test output starts or ends
// one process's output.
func isPassBoundary(line string) bool {
	return strings.HasPrefix(line, "goos:") || line == "PASS" || strings.HasPrefix(line, "FAIL") ||
		strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "ok\t")
}

// parse reads the concatenated output of one or more go test -bench runs.
func parse(r io.Reader) (*results, error) {
	res := &results{samples: map[series][]sample{}}
	seen := map[string]bool{}
	pass, inPass := 0, 0
	reps := map[series]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if isPassBoundary(line) {
			if inPass > 0 {
				pass, inPass = pass+1, 0
				reps = map[series]int{}
			}
			continue
		}
		if cpu, ok := strings.CutPrefix(line, "cpu:"); ok && res.cpu == "" {
			res.cpu = strings.TrimSpace(cpu)
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		m := resultName.FindStringSubmatch(fields[0])
		if m == nil {
			continue
		}
		s, ok := parseValues(fields[1:])
		if !ok {
			res.skipped++
			continue
		}
		k := series{bench: m[1], config: m[2], heap: m[3], impl: m[4]}
		s.slot = slot{pass: pass, rep: reps[k]}
		reps[k]++
		inPass++
		res.samples[k] = append(res.samples[k], s)
		if k.bench == benchStart && k.config != floorConfig && !seen["s/"+k.config] {
			seen["s/"+k.config] = true
			res.configs = append(res.configs, k.config)
		}
		if k.bench == benchParallel && !seen["p/"+k.config+"/"+k.heap] {
			seen["p/"+k.config+"/"+k.heap] = true
			res.parallel = append(res.parallel, row{k.config, k.heap})
		}
		if k.bench == benchStart && !seen["h/"+k.heap] {
			seen["h/"+k.heap] = true
			res.heaps = append(res.heaps, k.heap)
		}
	}
	if inPass > 0 {
		pass++
	}
	res.passes = pass
	sort.SliceStable(res.heaps, func(i, j int) bool { return heapMiB(res.heaps[i]) < heapMiB(res.heaps[j]) })
	return res, sc.Err()
}

// parseValues reads "N v unit v unit ...": a result needs N and ns/op.
func parseValues(fields []string) (sample, bool) {
	var s sample
	if len(fields) < 3 {
		return s, false
	}
	if _, err := strconv.ParseUint(fields[0], 10, 64); err != nil {
		return s, false
	}
	hasNs := false
	for i := 1; i+1 < len(fields); i += 2 {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return s, false
		}
		switch fields[i+1] {
		case "ns/op":
			s.ns, hasNs = v, true
		case "start-ns/op":
			s.startNs, s.hasStart = v, true
		case "B/op":
			s.bytes = v
		case "allocs/op":
			s.allocs = v
		}
	}
	return s, hasNs && s.ns > 0
}

// heapMiB is a heap name's size in MiB: "0", "256MiB", "1GiB"; -1 when
// the name is not a size.
func heapMiB(h string) float64 {
	mult := 1.0
	switch {
	case strings.HasSuffix(h, "GiB"):
		h, mult = strings.TrimSuffix(h, "GiB"), 1024
	case strings.HasSuffix(h, "MiB"):
		h = strings.TrimSuffix(h, "MiB")
	case strings.HasSuffix(h, "KiB"):
		h, mult = strings.TrimSuffix(h, "KiB"), 1.0/1024
	case h != "0":
		return -1
	}
	v, err := strconv.ParseFloat(h, 64)
	if err != nil {
		return -1
	}
	return v * mult
}
