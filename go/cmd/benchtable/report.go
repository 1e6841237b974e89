package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// fmtRatio shows a ratio with two decimals, three when it is small.
func fmtRatio(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v < 0.1:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtNum shows a value scaled by div with no decimals.
func fmtNum(v, div float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f", v/div)
}

// fmtPairs is the number of pairs, and how many samples had no partner.
func fmtPairs(pairs, a, b int) string {
	if unpaired := a + b - 2*pairs; unpaired > 0 {
		return fmt.Sprintf("%d (+%d unpaired)", pairs, unpaired)
	}
	return fmt.Sprint(pairs)
}

// printTable writes the markdown tables: every configuration at every heap,
// the posix_spawn floor, then the parallel rows.
func printTable(w io.Writer, r *results) {
	h0 := r.heapOf(0)
	fmt.Fprintf(w, "Start + wait per op: medians of each row's samples (%d go test passes); ratios: medians of the paired ratios (samples of one pass that ran one right after the other); pairs: how many.\n\n", r.passes)
	fmt.Fprintln(w, "| configuration | heap | ref µs/op | ours µs/op | ours/ref | ours/posix_spawn | ours/ours at heap 0 | ref Start µs | ours Start µs | ref allocs/op | ours allocs/op | ref B/op | ours B/op | pairs |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range r.configs {
		for _, h := range r.heaps {
			ref, cfe := startKey(c, h, implRef), startKey(c, h, implCfe)
			if len(r.samples[ref]) == 0 && len(r.samples[cfe]) == 0 {
				continue
			}
			ratio, pairs := r.ratio(cfe, ref)
			floor, _ := r.ratio(cfe, floorKey(h))
			base := math.NaN()
			if h0 != "" {
				base, _ = r.ratio(cfe, startKey(c, h0, implCfe))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, h,
				fmtNum(r.medianOf(ref, nsOf), 1e3), fmtNum(r.medianOf(cfe, nsOf), 1e3),
				fmtRatio(ratio), fmtRatio(floor), fmtRatio(base),
				fmtNum(r.medianOf(ref, startOf), 1e3), fmtNum(r.medianOf(cfe, startOf), 1e3),
				fmtNum(r.medianOf(ref, allocsOf), 1), fmtNum(r.medianOf(cfe, allocsOf), 1),
				fmtNum(r.medianOf(ref, bytesOf), 1), fmtNum(r.medianOf(cfe, bytesOf), 1),
				fmtPairs(pairs, len(r.samples[ref]), len(r.samples[cfe])))
		}
	}
	for _, h := range r.heaps {
		f := floorKey(h)
		if len(r.samples[f]) == 0 {
			continue
		}
		base := math.NaN()
		if h0 != "" {
			base, _ = r.ratio(f, floorKey(h0))
		}
		fmt.Fprintf(w, "| posix_spawn floor | %s | – | %s | – | 1.00 | %s | – | – | – | %s | – | %s | %d samples |\n", h,
			fmtNum(r.medianOf(f, nsOf), 1e3), fmtRatio(base),
			fmtNum(r.medianOf(f, allocsOf), 1), fmtNum(r.medianOf(f, bytesOf), 1), len(r.samples[f]))
	}
	if len(r.parallel) == 0 {
		return
	}
	fmt.Fprintln(w, "\nParallel starts (GOMAXPROCS goroutines starting and waiting), starts per second = 1e9 / ns/op:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| configuration | heap | ref starts/s | ours starts/s | ours/ref | ref allocs/op | ours allocs/op | ref B/op | ours B/op | pairs |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, p := range r.parallel {
		ref, cfe := parallelKey(p.config, p.heap, implRef), parallelKey(p.config, p.heap, implCfe)
		ratio, pairs := r.ratio(ref, cfe) // ns/op ref over ours: starts/s ours over ref
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.config, p.heap,
			fmtNum(r.medianOf(ref, rateOf), 1), fmtNum(r.medianOf(cfe, rateOf), 1), fmtRatio(ratio),
			fmtNum(r.medianOf(ref, allocsOf), 1), fmtNum(r.medianOf(cfe, allocsOf), 1),
			fmtNum(r.medianOf(ref, bytesOf), 1), fmtNum(r.medianOf(cfe, bytesOf), 1),
			fmtPairs(pairs, len(r.samples[ref]), len(r.samples[cfe])))
	}
}

// handshakeConfigs are the configurations with a handshake between the
// clone and the exec (a user namespace, a SyncFunc, ptrace, a credential
// change): criterion (b).
var handshakeConfigs = map[string]bool{
	"unshare-user": true, "syncfunc": true, "syncfunc-user-dropcaps": true, "ptrace-seccomp": true,
	"credential": true, "fast-pivot": true, "unshare-all": true, "pivot-all": true,
}

func isHandshake(config string) bool {
	return handshakeConfigs[config] || strings.Contains(config, "user")
}

// referenceForks tells the configurations where the reference forks a
// copy of the caller instead of using CLONE_VM|CLONE_VFORK (a SyncFunc, a
// user namespace, a child that stops): criterion (c).  A credential change
// alone it does under vfork, so its cost does not grow with the heap.
func referenceForks(config string) bool {
	return isHandshake(config) && config != "credential"
}

// check is one acceptance criterion, evaluated.
type check struct {
	name  string
	pass  bool
	worst string
}

// item is one value a criterion is about, of n pairs (none: no data).
type item struct {
	name string
	v    float64
	n    int
}

// threshold checks that every item's value is at most (or, with atLeast,
// at least) limit.  An item without data fails it, and so does no item.
func threshold(name string, items []item, limit float64, atLeast bool) check {
	c := check{name: name, pass: true}
	var missing []string
	worst := -1
	for i, it := range items {
		if it.n == 0 || math.IsNaN(it.v) {
			missing = append(missing, it.name)
			continue
		}
		if worst < 0 || (!atLeast && it.v > items[worst].v) || (atLeast && it.v < items[worst].v) {
			worst = i
		}
		if (!atLeast && it.v > limit) || (atLeast && it.v < limit) {
			c.pass = false
		}
	}
	var parts, over []string
	if worst >= 0 {
		parts = append(parts, fmt.Sprintf("worst %.3f (%s)", items[worst].v, items[worst].name))
	}
	for _, it := range items {
		if it.n > 0 && ((!atLeast && it.v > limit) || (atLeast && it.v < limit)) {
			over = append(over, fmt.Sprintf("%s %.3f", it.name, it.v))
		}
	}
	if len(over) > 1 {
		parts = append(parts, "failing: "+strings.Join(over, ", "))
	}
	if len(missing) > 0 || len(items) == 0 {
		c.pass = false
		if len(items) == 0 {
			parts = append(parts, "no data")
		} else {
			parts = append(parts, "no pairs for "+strings.Join(missing, ", "))
		}
	}
	c.worst = strings.Join(parts, "; ")
	return c
}

// criteria evaluates the acceptance criteria on r.
func criteria(r *results) []check {
	h0, h1G := r.heapOf(0), r.heapOf(1024)
	var all, hs0, hs1G, growth []item
	ratioItem := func(name string, num, den series) item {
		v, n := r.ratio(num, den)
		return item{name, v, n}
	}
	for _, c := range r.configs {
		if h0 != "" {
			it := ratioItem(c, startKey(c, h0, implCfe), startKey(c, h0, implRef))
			all = append(all, it)
			if isHandshake(c) {
				hs0 = append(hs0, it)
			}
		}
		if h1G != "" && referenceForks(c) {
			hs1G = append(hs1G, ratioItem(c, startKey(c, h1G, implCfe), startKey(c, h1G, implRef)))
		}
		if h0 != "" && h1G != "" {
			growth = append(growth, ratioItem(c, startKey(c, h1G, implCfe), startKey(c, h0, implCfe)))
		}
	}
	var spawn []item
	if h0 != "" {
		spawn = append(spawn, ratioItem("simple", startKey("simple", h0, implCfe), floorKey(h0)))
	}
	var par []item
	for _, c := range []string{"simple", "syncfunc"} {
		found := false
		for _, p := range r.parallel {
			if p.config == c {
				found = true
				par = append(par, ratioItem(c, parallelKey(c, p.heap, implRef), parallelKey(c, p.heap, implCfe)))
			}
		}
		if !found {
			par = append(par, item{name: c})
		}
	}
	return []check{
		threshold("(a) heap 0, every configuration: ours/ref ≤ 1.00", all, 1.00, false),
		threshold("(b) heap 0, handshake configurations: ours/ref ≤ 0.75", hs0, 0.75, false),
		threshold("(c) heap 1GiB, configurations where the reference forks: ours/ref ≤ 0.10", hs1G, 0.10, false),
		threshold("(d) every configuration: ours at 1GiB / ours at heap 0 ≤ 1.20", growth, 1.20, false),
		threshold("(e) simple, heap 0: ours/posix_spawn floor ≤ 1.10", spawn, 1.10, false),
		allocCheck(r),
		threshold("(g) parallel simple and syncfunc: ours/ref starts/s ≥ 1.00", par, 1.00, true),
	}
}

// comparison is a row of the tables: the reference's and our series.
type comparison struct {
	name     string
	ref, cfe series
}

// comparisons are every row of both tables.
func (r *results) comparisons() []comparison {
	var rows []comparison
	for _, c := range r.configs {
		for _, h := range r.heaps {
			ref, cfe := startKey(c, h, implRef), startKey(c, h, implCfe)
			if len(r.samples[ref]) > 0 || len(r.samples[cfe]) > 0 {
				rows = append(rows, comparison{c + " heap " + h, ref, cfe})
			}
		}
	}
	for _, p := range r.parallel {
		rows = append(rows, comparison{"parallel " + p.config + " heap " + p.heap,
			parallelKey(p.config, p.heap, implRef), parallelKey(p.config, p.heap, implCfe)})
	}
	return rows
}

// allocCheck is criterion (f): in every row, our median allocs/op and B/op
// are at most the reference's.  The worst value of each is the row where
// ours exceeds the reference's most (or falls short of it least).
func allocCheck(r *results) check {
	c := check{name: "(f) every row: ours allocs/op and B/op ≤ the reference's", pass: true}
	rows := r.comparisons()
	var parts, missing []string
	for _, m := range []struct {
		what  string
		field func(sample) (float64, bool)
	}{{"allocs/op", allocsOf}, {"B/op", bytesOf}} {
		worst, worstDiff := -1, 0.0
		for i, row := range rows {
			if len(r.samples[row.ref]) == 0 || len(r.samples[row.cfe]) == 0 {
				continue
			}
			d := r.medianOf(row.cfe, m.field) - r.medianOf(row.ref, m.field)
			if worst < 0 || d > worstDiff {
				worst, worstDiff = i, d
			}
			if d > 0 {
				c.pass = false
			}
		}
		if worst >= 0 {
			row := rows[worst]
			parts = append(parts, fmt.Sprintf("worst %s %.0f vs ref %.0f (%s)", m.what,
				r.medianOf(row.cfe, m.field), r.medianOf(row.ref, m.field), row.name))
		}
	}
	for _, row := range rows {
		if len(r.samples[row.ref]) == 0 || len(r.samples[row.cfe]) == 0 {
			missing = append(missing, row.name)
		}
	}
	switch {
	case len(rows) == 0:
		c.pass = false
		parts = append(parts, "no data")
	case len(missing) > 0:
		c.pass = false
		parts = append(parts, "no samples of both for "+strings.Join(missing, ", "))
	}
	c.worst = strings.Join(parts, "; ")
	return c
}

// printCriteria writes the checklist and the one-line summary.
func printCriteria(w io.Writer, checks []check) {
	fmt.Fprintln(w, "\nAcceptance criteria (ratios are medians of per-pass paired ratios):")
	fmt.Fprintln(w)
	passed := 0
	for _, c := range checks {
		box, verdict := "[ ]", "FAIL"
		if c.pass {
			box, verdict = "[x]", "PASS"
			passed++
		}
		fmt.Fprintf(w, "- %s %s %s — %s\n", box, verdict, c.name, c.worst)
	}
	fmt.Fprintf(w, "\ncriteria: %d passed, %d failed\n", passed, len(checks)-passed)
}
