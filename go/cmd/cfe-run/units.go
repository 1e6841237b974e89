package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parseSize reads a byte count: digits with an optional K, M or G suffix
// (powers of 1024, either case, an optional trailing "B" or "iB" allowed:
// 64M, 64MB, 64MiB).  "0" is accepted; the caller decides what it means.
func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty size")
	}
	upper := strings.ToUpper(t)
	switch {
	case strings.HasSuffix(upper, "IB"):
		upper = upper[:len(upper)-2]
		if upper == "" || !strings.ContainsRune("KMG", rune(upper[len(upper)-1])) {
			return 0, fmt.Errorf("size %q: \"iB\" needs K, M or G before it", s)
		}
	case strings.HasSuffix(upper, "B"):
		upper = upper[:len(upper)-1]
	}
	shift := 0
	if n := len(upper); n > 0 {
		switch upper[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		}
		if shift != 0 {
			upper = upper[:n-1]
		}
	}
	if upper == "" || strings.IndexFunc(upper, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, fmt.Errorf("size %q: want a whole number of bytes with an optional K, M or G suffix", s)
	}
	n, err := strconv.ParseUint(upper, 10, 64)
	if err != nil || n > math.MaxUint64>>shift {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n << shift, nil
}

// maxSeconds bounds durations: RLIMIT_CPU is set in whole seconds and a
// limit of more than a day is a mistake rather than a judge's intent.
const maxSeconds = 24 * 60 * 60

// parseSeconds reads a duration: decimal seconds (1.5, 2, 0.25) or Go's
// duration syntax with units (500ms, 1m30s).  Negative, NaN, infinite,
// longer-than-a-day values and values that are not 0 but below 1 ms
// (they would round to 0, "no limit") are refused.
func parseSeconds(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty duration")
	}
	var d time.Duration
	zero := false // the text says 0, not a tiny value that rounds to 0
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > maxSeconds {
			return 0, fmt.Errorf("duration %q: want seconds from 0 to %d", s, maxSeconds)
		}
		d, zero = time.Duration(math.Round(f*float64(time.Second))), f == 0
	} else {
		var derr error
		if d, derr = time.ParseDuration(t); derr != nil {
			return 0, fmt.Errorf("duration %q: want seconds (1.5) or a Go duration (500ms)", s)
		}
		if d < 0 || d > maxSeconds*time.Second {
			return 0, fmt.Errorf("duration %q: want seconds from 0 to %d", s, maxSeconds)
		}
		zero = !strings.ContainsAny(t, "123456789")
	}
	// A limit that would round to 0 is not "no limit": only a zero says
	// that.
	if d < time.Millisecond && !zero {
		return 0, fmt.Errorf("duration %q is below 1ms (0 means no limit)", s)
	}
	return d, nil
}

// sizeValue is a flag.Value for parseSize.
type sizeValue struct {
	n   *uint64
	set *bool
}

func (v sizeValue) String() string {
	if v.n == nil {
		return "0"
	}
	return strconv.FormatUint(*v.n, 10)
}

func (v sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	if v.set != nil {
		*v.set = true
	}
	return nil
}

// secondsValue is a flag.Value for parseSeconds.
type secondsValue struct {
	d   *time.Duration
	set *bool
}

func (v secondsValue) String() string {
	if v.d == nil {
		return "0s"
	}
	return v.d.String()
}

func (v secondsValue) Set(s string) error {
	d, err := parseSeconds(s)
	if err != nil {
		return err
	}
	*v.d = d
	if v.set != nil {
		*v.set = true
	}
	return nil
}
