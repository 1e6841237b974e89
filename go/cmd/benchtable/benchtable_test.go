package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// res is a result line of bench_test.go's shape, times in µs (start < 0:
// no start-ns/op).
func res(name string, us, startUs, bytes, allocs float64) string {
	if startUs < 0 {
		return fmt.Sprintf("Benchmark%s-2 \t 200\t %.0f ns/op\t %.0f B/op\t %.0f allocs/op", name, us*1e3, bytes, allocs)
	}
	return fmt.Sprintf("Benchmark%s-2 \t 200\t %.0f ns/op\t %.0f start-ns/op\t %.0f B/op\t %.0f allocs/op", name, us*1e3, startUs*1e3, bytes, allocs)
}

// makeBenchPass is one pass of make bench (go test -count 1) with the
// given ns/op of syncfunc/heap=0/cfe (0: the sample is missing) and
// simple/heap=0/cfe.
func makeBenchPass(simpleCfe, syncCfe, sync1GCfe float64) []string {
	lines := []string{"goos: linux", "goarch: amd64", "pkg: github.com/cforkexec/cforkexec/go/forkexec", "cpu: Test CPU @ 1GHz",
		res("Start/simple/heap=0/ref", 1000, 500, 160, 5),
		res("Start/simple/heap=0/cfe", simpleCfe, 300, 0, 0),
		res("Start/syncfunc/heap=0/ref", 2000, 1500, 160, 5),
	}
	if syncCfe > 0 {
		lines = append(lines, res("Start/syncfunc/heap=0/cfe", syncCfe, 500, 112, 2))
	}
	lines = append(lines,
		res("Start/floor/heap=0/posix_spawn", 800, -1, 0, 0),
		res("Start/simple/heap=1GiB/ref", 1200, 600, 160, 5),
		res("Start/simple/heap=1GiB/cfe", simpleCfe*1.1, 300, 0, 0),
		res("Start/syncfunc/heap=1GiB/ref", 40000, 39000, 160, 5),
		res("Start/syncfunc/heap=1GiB/cfe", sync1GCfe, 500, 112, 2),
		res("Start/floor/heap=1GiB/posix_spawn", 900, -1, 0, 0),
		res("StartParallel/simple/heap=0/ref", 500, -1, 234, 5),
		res("StartParallel/simple/heap=0/cfe", 400, -1, 45, 0),
		res("StartParallel/syncfunc/heap=0/ref", 1000, -1, 234, 5),
		res("StartParallel/syncfunc/heap=0/cfe", 400, -1, 300, 3),
		"PASS", "ok  \tgithub.com/cforkexec/cforkexec/go/forkexec\t31.762s")
	return lines
}

// synthetic is three passes of make bench; pass 2 has no
// syncfunc/heap=0/cfe sample, so that row has 2 pairs and 3 ref samples.
func synthetic() string {
	var lines []string
	lines = append(lines, makeBenchPass(800, 1000, 1100)...)
	lines = append(lines, makeBenchPass(900, 0, 1200)...)
	lines = append(lines, makeBenchPass(1000, 1400, 1300)...)
	// Noise make bench and go test may print.
	lines = append(lines, "bench pass 4 of 3", "--- FAIL: BenchmarkStart/simple", "BenchmarkStart/simple/heap=0/cfe-2 \t 20\t abc ns/op")
	return strings.Join(lines, "\n") + "\n"
}

func mustParse(t *testing.T, in string) *results {
	t.Helper()
	r, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 || (math.IsNaN(a) && math.IsNaN(b)) }

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, math.NaN()},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},      // odd: the middle one
		{[]float64{4, 1, 3, 2}, 2.5}, // even: the mean of the middle two
	} {
		if got := median(tc.in); !near(got, tc.want) {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestHeapMiB(t *testing.T) {
	for in, want := range map[string]float64{"0": 0, "256MiB": 256, "1GiB": 1024, "512KiB": 0.5, "big": -1, "xGiB": -1} {
		if got := heapMiB(in); got != want {
			t.Errorf("heapMiB(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	r := mustParse(t, synthetic())
	if r.passes != 3 {
		t.Errorf("passes = %d, want 3", r.passes)
	}
	if r.skipped != 1 {
		t.Errorf("skipped = %d, want 1 (the abc ns/op line)", r.skipped)
	}
	if r.cpu != "Test CPU @ 1GHz" {
		t.Errorf("cpu = %q", r.cpu)
	}
	if want := []string{"simple", "syncfunc"}; !reflect.DeepEqual(r.configs, want) {
		t.Errorf("configs = %v, want %v", r.configs, want)
	}
	if want := []string{"0", "1GiB"}; !reflect.DeepEqual(r.heaps, want) {
		t.Errorf("heaps = %v, want %v", r.heaps, want)
	}
	if want := []row{{"simple", "0"}, {"syncfunc", "0"}}; !reflect.DeepEqual(r.parallel, want) {
		t.Errorf("parallel = %v, want %v", r.parallel, want)
	}
	got := r.samples[startKey("syncfunc", "0", implCfe)]
	if len(got) != 2 || got[0].slot != (slot{0, 0}) || got[1].slot != (slot{2, 0}) || got[1].ns != 1400e3 || got[1].bytes != 112 || got[1].allocs != 2 {
		t.Errorf("syncfunc/heap=0/cfe samples = %+v", got)
	}
	if s := r.samples[floorKey("0")]; len(s) != 3 || s[0].hasStart {
		t.Errorf("floor samples = %+v", s)
	}
	if s := r.samples[startKey("simple", "0", implRef)]; len(s) != 3 || !s[0].hasStart || s[0].startNs != 500e3 {
		t.Errorf("simple/heap=0/ref samples = %+v", s)
	}
}

// With go test -count N in one process, the samples of one series come
// one after another: the i-th ref pairs with the i-th cfe.
func TestParseCount(t *testing.T) {
	in := strings.Join([]string{
		"goos: linux",
		res("Start/simple/heap=256MiB/ref", 1000, 1, 1, 1),
		res("Start/simple/heap=256MiB/ref", 2000, 1, 1, 1),
		res("Start/simple/heap=256MiB/ref", 4000, 1, 1, 1),
		res("Start/simple/heap=256MiB/cfe", 500, 1, 1, 1),
		res("Start/simple/heap=256MiB/cfe", 500, 1, 1, 1),
		res("Start/simple/heap=0/ref", 1000, 1, 1, 1),
		"PASS",
	}, "\n")
	r := mustParse(t, in)
	if r.passes != 1 {
		t.Errorf("passes = %d, want 1", r.passes)
	}
	if want := []string{"0", "256MiB"}; !reflect.DeepEqual(r.heaps, want) {
		t.Errorf("heaps = %v, want %v (sorted by size)", r.heaps, want)
	}
	ratios := r.pairedRatios(startKey("simple", "256MiB", implCfe), startKey("simple", "256MiB", implRef))
	if want := []float64{0.5, 0.25}; !reflect.DeepEqual(ratios, want) {
		t.Errorf("paired ratios = %v, want %v", ratios, want)
	}
}

func TestRatios(t *testing.T) {
	r := mustParse(t, synthetic())
	for _, tc := range []struct {
		name     string
		num, den series
		want     float64
		pairs    int
	}{
		// 0.8, 0.9, 1.0: odd, the middle one.
		{"simple cfe/ref", startKey("simple", "0", implCfe), startKey("simple", "0", implRef), 0.9, 3},
		// 0.5 and 0.7, pass 2 has no cfe: even, the mean.
		{"syncfunc cfe/ref (missing pair)", startKey("syncfunc", "0", implCfe), startKey("syncfunc", "0", implRef), 0.6, 2},
		{"simple cfe/floor", startKey("simple", "0", implCfe), floorKey("0"), 1.125, 3},
		{"simple 1GiB/0", startKey("simple", "1GiB", implCfe), startKey("simple", "0", implCfe), 1.1, 3},
		// 1100/1000 and 1300/1400: pass 2 has no heap 0 sample.
		{"syncfunc 1GiB/0", startKey("syncfunc", "1GiB", implCfe), startKey("syncfunc", "0", implCfe), (1.1 + 1300.0/1400) / 2, 2},
		{"parallel starts/s cfe/ref", parallelKey("syncfunc", "0", implRef), parallelKey("syncfunc", "0", implCfe), 2.5, 3},
		{"no such series", startKey("nope", "0", implCfe), startKey("nope", "0", implRef), math.NaN(), 0},
	} {
		got, pairs := r.ratio(tc.num, tc.den)
		if !near(got, tc.want) || pairs != tc.pairs {
			t.Errorf("%s: ratio = %v of %d pairs, want %v of %d", tc.name, got, pairs, tc.want, tc.pairs)
		}
	}
}

func TestThreshold(t *testing.T) {
	for _, tc := range []struct {
		name    string
		items   []item
		atLeast bool
		pass    bool
		worst   string
	}{
		{"all under", []item{{"a", 0.5, 3}, {"b", 0.9, 3}}, false, true, "worst 0.900 (b)"},
		{"at the limit", []item{{"a", 1, 3}}, false, true, "worst 1.000 (a)"},
		{"one over", []item{{"a", 0.5, 3}, {"b", 1.2, 3}}, false, false, "worst 1.200 (b)"},
		{"two over", []item{{"a", 1.5, 3}, {"b", 1.2, 3}}, false, false, "worst 1.500 (a); failing: a 1.500, b 1.200"},
		{"at least", []item{{"a", 1.5, 3}, {"b", 1.2, 3}}, true, true, "worst 1.200 (b)"},
		{"at least, under", []item{{"a", 0.8, 3}}, true, false, "worst 0.800 (a)"},
		{"missing pairs", []item{{"a", 0.5, 3}, {"b", math.NaN(), 0}}, false, false, "worst 0.500 (a); no pairs for b"},
		{"no data", nil, false, false, "no data"},
	} {
		c := threshold("x", tc.items, 1, tc.atLeast)
		if c.pass != tc.pass || c.worst != tc.worst {
			t.Errorf("%s: pass %v, %q; want %v, %q", tc.name, c.pass, c.worst, tc.pass, tc.worst)
		}
	}
}

func TestCriteria(t *testing.T) {
	heap0Only := strings.Join([]string{
		res("Start/simple/heap=0/ref", 1000, 1, 160, 5),
		res("Start/simple/heap=0/cfe", 700, 1, 0, 0),
		res("Start/unshare-user/heap=0/ref", 1000, 1, 160, 5),
		res("Start/unshare-user/heap=0/cfe", 700, 1, 0, 0),
		res("Start/floor/heap=0/posix_spawn", 700, -1, 0, 0),
	}, "\n")
	for _, tc := range []struct {
		name  string
		in    string
		pass  []bool
		worst []string // substrings of each line's worst value
	}{
		{"synthetic", synthetic(),
			[]bool{true, true, true, true, false, false, true},
			[]string{"worst 0.900 (simple)", "worst 0.600 (syncfunc)", "worst 0.030 (syncfunc)", "worst 1.100 (simple)",
				"worst 1.125 (simple)", "worst B/op 300 vs ref 234 (parallel syncfunc heap 0)", "worst 1.250 (simple)"}},
		{"heap 0 only, no parallel", heap0Only,
			[]bool{true, true, false, false, true, true, false},
			[]string{"worst 0.700", "worst 0.700 (unshare-user)", "no data", "no data",
				"worst 1.000 (simple)", "worst allocs/op 0 vs ref 5", "no pairs for simple, syncfunc"}},
	} {
		checks := criteria(mustParse(t, tc.in))
		if len(checks) != len(tc.pass) {
			t.Fatalf("%s: %d checks, want %d", tc.name, len(checks), len(tc.pass))
		}
		for i, c := range checks {
			if c.pass != tc.pass[i] || !strings.Contains(c.worst, tc.worst[i]) {
				t.Errorf("%s: %s: pass %v, %q; want %v, %q", tc.name, c.name, c.pass, c.worst, tc.pass[i], tc.worst[i])
			}
		}
	}
}

func TestIsHandshake(t *testing.T) {
	for c, want := range map[string]bool{
		"simple": false, "unshare-pid": false, "unshare-net": false,
		"unshare-user": true, "syncfunc": true, "syncfunc-user-dropcaps": true, "ptrace-seccomp": true,
		"credential": true, "fast-pivot": true, "unshare-all": true, "pivot-all": true, "user-something-new": true,
	} {
		if got := isHandshake(c); got != want {
			t.Errorf("isHandshake(%q) = %v", c, got)
		}
	}
}

func TestReferenceForks(t *testing.T) {
	for c, want := range map[string]bool{
		"simple": false, "unshare-net": false, "credential": false,
		"unshare-user": true, "syncfunc": true, "ptrace-seccomp": true, "pivot-all": true,
	} {
		if got := referenceForks(c); got != want {
			t.Errorf("referenceForks(%q) = %v", c, got)
		}
	}
}

func TestReport(t *testing.T) {
	r := mustParse(t, synthetic())
	var out strings.Builder
	printTable(&out, r)
	printCriteria(&out, criteria(r))
	for _, want := range []string{
		"| simple | 0 | 1000 | 900 | 0.90 | 1.12 | 1.00 | 500 | 300 | 5 | 0 | 160 | 0 | 3 |",
		"| syncfunc | 0 | 2000 | 1200 | 0.60 | 1.50 | 1.00 | 1500 | 500 | 5 | 2 | 160 | 112 | 2 (+1 unpaired) |",
		"| syncfunc | 1GiB | 40000 | 1200 | 0.030 | 1.33 | 1.01 | 39000 | 500 | 5 | 2 | 160 | 112 | 3 |",
		"| posix_spawn floor | 1GiB | – | 900 | – | 1.00 | 1.12 | – | – | – | 0 | – | 0 | 3 samples |",
		"| simple | 0 | 2000 | 2500 | 1.25 | 5 | 0 | 234 | 45 | 3 |",
		"- [x] PASS (a) heap 0, every configuration: ours/ref ≤ 1.00 — worst 0.900 (simple)",
		"- [ ] FAIL (e) simple, heap 0: ours/posix_spawn floor ≤ 1.10 — worst 1.125 (simple)",
		"\ncriteria: 5 passed, 2 failed\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWritePlot(t *testing.T) {
	dir := t.TempDir()
	m := machine{host: "box", cpus: 4, model: `CPU "x" \ y`, date: time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)}
	if err := writePlot(dir, mustParse(t, synthetic()), m); err != nil {
		t.Fatal(err)
	}
	gp, err := os.ReadFile(filepath.Join(dir, "bench.gp"))
	if err != nil {
		t.Fatal(err)
	}
	dat, err := os.ReadFile(filepath.Join(dir, "bench.dat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`box, 4 CPUs, CPU \"x\" \\ y, 2024-05-06 07:08 UTC"`,
		"set output 'bench.png'", "set output 'bench.svg'",
		`set xtics ("0" 0, "1GiB" 1024)`,
		"'bench.dat' index 0 using 1:2 with linespoints lc rgb '#000000'",
		// simple: ref dashed without a key entry, ours solid, one colour.
		"index 1 using 1:2 with linespoints lc rgb '#1f77b4' dt 2 pt 6 lw 1.2 notitle",
		`index 2 using 1:2 with linespoints lc rgb '#1f77b4' dt 1 pt 7 lw 1.5 title "simple"`,
		`index 4 using 1:2 with linespoints lc rgb '#ff7f0e' dt 1 pt 7 lw 1.5 title "syncfunc"`,
	} {
		if !strings.Contains(string(gp), want) {
			t.Errorf("bench.gp lacks %q:\n%s", want, gp)
		}
	}
	// posix_spawn floor: 800 at heap 0, 900 at 1GiB; syncfunc ours: two
	// samples at heap 0.
	for _, want := range []string{"# index 0: floor posix_spawn", "0 800.0 3\n1024 900.0 3\n", "# index 4: syncfunc cfe", "0 1200.0 2\n1024 1200.0 3\n"} {
		if !strings.Contains(string(dat), want) {
			t.Errorf("bench.dat lacks %q:\n%s", want, dat)
		}
	}
	if got := strings.Count(string(dat), "# index"); got != 5 {
		t.Errorf("bench.dat has %d data sets, want 5", got)
	}
}

func TestCPUModel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nmodel name\t: other\n", "AMD EPYC 7B13"},
		{"processor\t: 0\nCPU implementer\t: 0x41\n", ""},
	} {
		if got := cpuModel(strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("cpuModel = %q, want %q", got, tc.want)
		}
	}
}
