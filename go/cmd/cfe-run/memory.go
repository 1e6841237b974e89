package main

import (
	"debug/elf"
	"syscall"
)

// stackAllowance is what RLIMIT_AS must hold beside PROGRAM's loadable
// segments for its execve to succeed and its start-up to run: the initial
// stack (128 KiB and the arguments), the vDSO, a dynamic program's loader
// and the first allocations of the C library.
const stackAllowance = 1 << 20

// staticSize is the memory PROGRAM's ELF file asks for before it runs:
// the sum of its PT_LOAD segments' sizes in memory (code, data, bss:
// a static array counts in full).  0 when it is not an ELF file (a
// script) or cannot be read.  Shared libraries are not counted.
func staticSize(path string) uint64 {
	f, err := elf.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			n += p.Memsz
		}
	}
	return n
}

// starterMargin is how far above starter_rss_bytes a rusage peak must be
// to be the program's own: below it the peak may be cfe-run's, folded in
// by the execve (doc.go, "Peak memory"), and the program's own peak is
// unknown but no larger.
const starterMargin = 1 << 20

// programPeak is the peak that is known to be the program's, 0 when it
// is unknown (see starterMargin).  Under cgroup v2 the cgroup's peak is
// the program's.
func (o outcome) programPeak() uint64 {
	if o.memCgroup || o.peak > o.starterRSS+starterMargin {
		return o.peak
	}
	return 0
}

// memorySlack is how far below --memory a failed run's peak may be and
// still count as out of memory under RLIMIT_AS: M/8, at least 4 MiB.  An
// allocation past the limit fails (malloc returns NULL, new throws) with
// the resident peak below the limit by what was mapped but not touched:
// the C library's overhead, the stack, the failed request itself.
func memorySlack(limit uint64) uint64 {
	return max(limit/8, 4<<20)
}

// overMemory says whether a failed run counts as out of memory: it must
// have exited non-zero or died of SIGSEGV, SIGBUS, SIGABRT or SIGKILL
// (the ways a failed allocation ends a program; an abort shows up as
// SIGSEGV, doc.go), and then:  under
// cgroup v2 the peak is the cgroup's, which the kernel holds at
// memory.max.  Under RLIMIT_AS: the program's own peak (programPeak) is
// within memorySlack of the limit, or, with no peak of its own, it died
// of a signal while its static size was that near the limit (its execve
// or its start-up ran out of address space).  A single request larger
// than what is left (new int[1e8] under 256M) fails without raising the
// peak: that run is a runtime_error.
func (o outcome) overMemory() bool {
	switch o.signal {
	case 0, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGABRT, syscall.SIGKILL:
	default:
		return false
	}
	if o.memCgroup {
		return o.peak >= o.memoryLimit
	}
	line := o.memoryLimit - min(o.memoryLimit, memorySlack(o.memoryLimit))
	if p := o.programPeak(); p != 0 {
		return p >= line
	}
	return o.signal != 0 && o.staticSize+stackAllowance >= line
}
