package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"
)

// options is one run as the command line asks for it.
type options struct {
	cpu      time.Duration // 0: no CPU limit
	wall     time.Duration // 0: no wall-clock limit
	memory   uint64        // bytes, 0: no limit
	output   uint64        // bytes, 0: no limit
	procs    uint64        // 0: no limit
	files    uint64        // 0: no limit
	uid, gid uint32        // host ids the program runs as
	seccomp  string        // "judge", "fork" or "off"
	stdin    string
	stdout   string
	stderr   string
	workSize uint64   // bytes of the /w tmpfs
	staged   []string // --file paths, staged at /prog next to PROGRAM
	cgroup   string   // --cgroup: the operator's delegated cgroup v2 directory, "" for auto
	program  string   // PROGRAM as given
	args     []string // ARGS after PROGRAM
}

// Defaults, also quoted by the help text.
const (
	defaultCPU    = time.Second
	defaultMemory = 256 << 20
	defaultOutput = 64 << 20
	defaultProcs  = 64
	defaultFiles  = 64
	defaultID     = 65534
	defaultWork   = 64 << 20
	// wallWithoutCPU is the wall-clock limit when neither --time nor
	// --wall-time bounds the run.
	wallWithoutCPU = 10 * time.Second
)

// errUsage marks a bad command line: cfe-run exits 2.  errHelp is --help.
var (
	errUsage = errors.New("bad usage")
	errHelp  = errors.New("help")
)

// parseArgs reads the command line (without the command's name).  Messages
// about a bad command line go to stderr; the error wraps errUsage, or is
// errHelp for --help.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{memory: defaultMemory, output: defaultOutput, procs: defaultProcs, files: defaultFiles,
		uid: defaultID, gid: defaultID, cpu: defaultCPU}
	fs := flag.NewFlagSet("cfe-run", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // our own messages, not flag's usage dump
	var wallSet bool
	fs.Var(secondsValue{d: &o.cpu}, "time", "")
	fs.Var(secondsValue{d: &o.wall, set: &wallSet}, "wall-time", "")
	fs.Var(sizeValue{n: &o.memory}, "memory", "")
	fs.Var(sizeValue{n: &o.output}, "output", "")
	fs.Uint64Var(&o.procs, "procs", o.procs, "")
	fs.Uint64Var(&o.files, "files", o.files, "")
	var uid, gid uint64 = defaultID, defaultID
	fs.Uint64Var(&uid, "uid", uid, "")
	fs.Uint64Var(&gid, "gid", gid, "")
	fs.StringVar(&o.seccomp, "seccomp", "judge", "")
	fs.StringVar(&o.stdin, "stdin", "/dev/null", "")
	fs.StringVar(&o.stdout, "stdout", "/dev/null", "")
	fs.StringVar(&o.stderr, "stderr", "/dev/null", "")
	o.workSize = defaultWork
	fs.Var(sizeValue{n: &o.workSize}, "work-size", "")
	fs.Func("file", "", func(s string) error {
		if s == "" {
			return errors.New("empty path")
		}
		o.staged = append(o.staged, s)
		return nil
	})
	fs.StringVar(&o.cgroup, "cgroup", "", "")
	bad := func(format string, a ...any) (*options, error) {
		fmt.Fprintf(stderr, "cfe-run: "+format+"\n", a...)
		fmt.Fprintln(stderr, "usage: cfe-run [flags] -- PROGRAM [ARGS...]   (cfe-run --help for more)")
		return nil, errUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return bad("%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return bad("no PROGRAM given")
	}
	o.program, o.args = rest[0], rest[1:]
	if o.program == "" {
		return bad("PROGRAM is empty")
	}
	if o.seccomp != "judge" && o.seccomp != "fork" && o.seccomp != "off" {
		return bad("--seccomp %q: want judge, fork or off", o.seccomp)
	}
	// The ids go into one-line uid_map/gid_map entries; -1 is "no id".
	if uid >= math.MaxUint32 || gid >= math.MaxUint32 {
		return bad("--uid and --gid must be below %d", uint64(math.MaxUint32))
	}
	if uid == 0 || gid == 0 {
		return bad("--uid and --gid must not be 0: the program would be host root")
	}
	o.uid, o.gid = uint32(uid), uint32(gid)
	if o.procs > math.MaxInt32 || o.files > 1<<20 {
		return bad("--procs at most %d, --files at most %d", math.MaxInt32, 1<<20)
	}
	for name, path := range map[string]string{"--stdin": o.stdin, "--stdout": o.stdout, "--stderr": o.stderr} {
		if path == "" {
			return bad("%s: empty path", name)
		}
	}
	if o.workSize == 0 {
		return bad("--work-size must not be 0 (a tmpfs without a size would be half the host's memory)")
	}
	staged := map[string]string{stagedName(o.program): "PROGRAM " + o.program}
	for _, f := range o.staged {
		name := stagedName(f)
		if other, ok := staged[name]; ok {
			return bad("--file %s: %s and it would both be /prog/%s", f, other, name)
		}
		staged[name] = "--file " + f
	}
	if !wallSet {
		o.wall = defaultWall(o.cpu)
	}
	return o, nil
}

// defaultWall is the wall-clock limit when --wall-time is not given: twice
// the CPU limit plus a second (room for I/O and scheduling), or
// wallWithoutCPU without a CPU limit.
func defaultWall(cpu time.Duration) time.Duration {
	if cpu == 0 {
		return wallWithoutCPU
	}
	return 2*cpu + time.Second
}
