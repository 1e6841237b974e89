package main

import (
	"math"
	"sort"
)

// median of v; NaN for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// values of one field of every sample of k.
func (r *results) values(k series, field func(sample) (float64, bool)) []float64 {
	var v []float64
	for _, s := range r.samples[k] {
		if x, ok := field(s); ok {
			v = append(v, x)
		}
	}
	return v
}

func nsOf(s sample) (float64, bool)     { return s.ns, true }
func startOf(s sample) (float64, bool)  { return s.startNs, s.hasStart }
func bytesOf(s sample) (float64, bool)  { return s.bytes, true }
func allocsOf(s sample) (float64, bool) { return s.allocs, true }
func rateOf(s sample) (float64, bool)   { return 1e9 / s.ns, true }

// medianOf is the median of one field over the samples of k.
func (r *results) medianOf(k series, field func(sample) (float64, bool)) float64 {
	return median(r.values(k, field))
}

// pairedRatios are num's ns/op over den's for every slot both have a
// sample in: samples of one pass that ran close together.  A sample
// without a partner is left out.
func (r *results) pairedRatios(num, den series) []float64 {
	byslot := map[slot]float64{}
	for _, s := range r.samples[den] {
		byslot[s.slot] = s.ns
	}
	var ratios []float64
	for _, s := range r.samples[num] {
		if d, ok := byslot[s.slot]; ok {
			ratios = append(ratios, s.ns/d)
		}
	}
	return ratios
}

// ratio is the median of the paired ratios of num over den and how many
// pairs it is of; NaN when there are none.
func (r *results) ratio(num, den series) (float64, int) {
	v := r.pairedRatios(num, den)
	return median(v), len(v)
}

// startKey, parallelKey and floorKey name the series of the table.
func startKey(config, heap, impl string) series { return series{benchStart, config, heap, impl} }
func parallelKey(config, heap, impl string) series {
	return series{benchParallel, config, heap, impl}
}
func floorKey(heap string) series { return series{benchStart, floorConfig, heap, implFloor} }

// heapOf is the name of the heap of mib MiB the criteria are about (0,
// 1GiB), "" when the input has none of that size.
func (r *results) heapOf(mib float64) string {
	for _, h := range r.heaps {
		if heapMiB(h) == mib {
			return h
		}
	}
	return ""
}
