package main

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	good := map[string]uint64{
		"0": 0, "1": 1, "4096": 4096, "1K": 1 << 10, "1k": 1 << 10, "64M": 64 << 20, "64MB": 64 << 20,
		"64MiB": 64 << 20, "2G": 2 << 30, "2g": 2 << 30, "10B": 10, " 5M ": 5 << 20,
		"17179869183G": 17179869183 << 30,
	}
	for in, want := range good {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "M", "-1", "1.5M", "12X", "1T", "1KK", "iB", "5iB", "0x10",
		"18446744073709551616", "17179869184G", "1 M", "+1"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseSeconds(t *testing.T) {
	good := map[string]time.Duration{
		"0": 0, "1": time.Second, "1.5": 1500 * time.Millisecond, "0.25": 250 * time.Millisecond,
		".5": 500 * time.Millisecond, "500ms": 500 * time.Millisecond, "1m30s": 90 * time.Second,
		"86400": 24 * time.Hour, "0.001": time.Millisecond, "1ms": time.Millisecond, "0.0": 0, "0s": 0,
		"0ms": 0, "0e5": 0,
	}
	for in, want := range good {
		if got, err := parseSeconds(in); err != nil || got != want {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "-500ms", "NaN", "Inf", "+Inf", "86401", "25h", "1e100", "1.5.2", "5 s",
		// Not 0 but below 1 ms: they would round to 0, no limit.
		"0.0005", "1e-10", "0.4ns", "999us", "-0.4ns", "1ns"} {
		if got, err := parseSeconds(in); err == nil {
			t.Errorf("parseSeconds(%q) = %v, want an error", in, got)
		}
	}
}

func TestDefaultWall(t *testing.T) {
	if got := defaultWall(1500 * time.Millisecond); got != 4*time.Second {
		t.Errorf("defaultWall(1.5s) = %v, want 4s", got)
	}
	if got := defaultWall(0); got != wallWithoutCPU {
		t.Errorf("defaultWall(0) = %v, want %v", got, wallWithoutCPU)
	}
}
