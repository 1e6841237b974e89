//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// FuzzRunnerConfig builds a Runner from the fuzz input and starts it: the
// probe with --exit 0, whatever else the Runner asks for.  Every Start must
// return, with a pid (the child then exits or, when it stops or is traced,
// is killed and reaped) or an error (and then no child of ours is left);
// an fd that was closed when Start began makes it fail; the error of a
// refusing SyncFunc comes back unchanged; nothing leaks (fds, the dumpable
// flag).
//
// The Runner cannot do harm outside its sandbox: mounts, a pivot root and
// host or domain names come with every namespace, a user namespace
// included (no privilege over the host's mounts and files beyond the
// caller's uid being mapped); mount targets, bind sources and the pivot
// root are paths inside a temporary directory without "..", relative
// targets are allowed only under a pivot root, file systems are of kinds
// that expose nothing of the host; the program run is the probe, through
// Args[0] or an fd of it, with core dumps off; CTTY is a fresh
// pseudo-terminal's.
//
// make fuzz runs it with go test -fuzz; its seeds (testdata/fuzz and the
// f.Add calls below) run with every go test.
func FuzzRunnerConfig(f *testing.F) {
	// The plainest start (every byte past the input reads as zero), and
	// every choice at its largest; testdata/fuzz holds what fuzz runs
	// found.
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 256))
	// The runtime's poller opens its fds at the first pipe: not a leak
	// of the first input's.
	if rd, wr, err := os.Pipe(); err == nil {
		rd.Close()
		wr.Close()
	}
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		requireRoot(t)
		fuzzOneRunner(t, base, data)
	})
}

// ---- reading the recipe ----

// fuzzRecipe reads the input front to back; past its end every byte reads
// as zero, and a zero byte always picks the plainest choice.
type fuzzRecipe struct{ b []byte }

func (r *fuzzRecipe) u8() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *fuzzRecipe) u32() uint32 {
	var b [4]byte
	for i := range b {
		b[i] = r.u8()
	}
	return binary.LittleEndian.Uint32(b[:])
}

func (r *fuzzRecipe) u64() uint64 {
	return uint64(r.u32()) | uint64(r.u32())<<32
}

// rare is true for one byte value in 32.
func (r *fuzzRecipe) rare() bool { return r.u8() >= 248 }

// chance is true for about n bytes in 256.
func (r *fuzzRecipe) chance(n int) bool { return int(r.u8()) >= 256-n }

// str is up to max raw bytes: NULs included, which the Runner refuses.
func (r *fuzzRecipe) str(max int) string {
	n := int(r.u8()) % (max + 1)
	b := make([]byte, n)
	for i := range b {
		b[i] = r.u8()
	}
	return string(b)
}

// name is a relative path of up to max bytes of [a-z0-9/], never "..".
func (r *fuzzRecipe) name(max int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789//"
	n := 1 + int(r.u8())%max
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[int(r.u8())%len(alphabet)]
	}
	return strings.TrimLeft(string(b), "/")
}

// ---- one start ----

// fuzzFds are the fds an iteration may hand to the Runner, all its own.
type fuzzFds struct {
	devnull, probe, probePath, dir *os.File
	pipeR, pipeW                   *os.File
	pty                            *os.File
	closed                         uintptr // an fd number that is not open
}

func openFuzzFds(t *testing.T, dir string) *fuzzFds {
	t.Helper()
	var fs fuzzFds
	var err error
	open := func(path string, flag int) *os.File {
		if err != nil {
			return nil
		}
		var f *os.File
		f, err = os.OpenFile(path, flag, 0)
		return f
	}
	fs.devnull = open(os.DevNull, os.O_RDWR)
	fs.probe = open(probePath, os.O_RDONLY)
	fs.probePath = open(probePath, oPath)
	fs.dir = open(dir, os.O_RDONLY|syscall.O_DIRECTORY)
	if err == nil {
		fs.pipeR, fs.pipeW, err = os.Pipe()
	}
	if err == nil {
		fs.pty, _ = openPtyMaster() // nil without pseudo-terminals
	}
	// The lowest free number, which the library's own fds will take
	// first: a closed fd in Files that its socket could shadow.
	if closed := open(os.DevNull, os.O_RDONLY); closed != nil {
		fs.closed = closed.Fd()
		closed.Close()
	}
	if err != nil {
		fs.close()
		t.Fatal(err)
	}
	return &fs
}

func (fs *fuzzFds) close() {
	for _, f := range []*os.File{fs.devnull, fs.probe, fs.probePath, fs.dir, fs.pipeR, fs.pipeW, fs.pty} {
		if f != nil {
			f.Close()
		}
	}
}

// openPtyMaster is a fresh pseudo-terminal's master, for CTTY.
func openPtyMaster() (*os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, e
	}
	return master, nil
}

// fuzzCase is one Runner and what the test knows about it.
type fuzzCase struct {
	r       forkexec.Runner
	dir     string
	closed  bool // Files or ExecFile hold an fd that is not open
	stops   bool // the child stops itself, or is traced: it is killed
	syncErr error
	synced  []int // the pids SyncFunc saw
}

var errFuzzSync = errors.New("fuzz: refused by SyncFunc")

// oPath is O_PATH, which package syscall does not name.
const oPath = 0x200000

const (
	fuzzBigFd    = uintptr(1) << 33 // not an fd: refused
	fuzzClosedFd = uintptr(1) << 20 // past the fd limit: never open
)

func (c *fuzzCase) fd(r *fuzzRecipe, fs *fuzzFds, i, n int) uintptr {
	switch r.u8() % 16 {
	case 0, 1:
		return fs.devnull.Fd()
	case 2:
		return ^uintptr(0)
	case 3:
		return fs.closed
	case 4:
		return fs.pipeW.Fd()
	case 5:
		return fs.probe.Fd()
	case 6:
		return fuzzBigFd
	case 7:
		return math.MaxInt32
	case 8:
		return uintptr(int(r.u8()) % (n + 3)) // another place, maybe below
	case 9:
		return fuzzClosedFd
	case 10:
		return fs.dir.Fd()
	default:
		return uintptr(i % 3)
	}
}

var fuzzFsTypes = []string{"", "tmpfs", "ramfs", "mqueue", "devpts", "none", "fuzzfs"}

// mountFlags are the MS_* bits a mount may carry, more often than raw bits.
const fuzzMountFlags = syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC |
	syscall.MS_SYNCHRONOUS | syscall.MS_REMOUNT | syscall.MS_DIRSYNC | syscall.MS_NOATIME |
	syscall.MS_NODIRATIME | syscall.MS_BIND | syscall.MS_MOVE | syscall.MS_REC | syscall.MS_SILENT |
	syscall.MS_UNBINDABLE | syscall.MS_PRIVATE | syscall.MS_SLAVE | syscall.MS_SHARED |
	syscall.MS_RELATIME | syscall.MS_STRICTATIME

// fuzzMountFlagSets are the flags of the usual mounts.
var fuzzMountFlagSets = []uintptr{0, syscall.MS_BIND, syscall.MS_BIND | syscall.MS_REC,
	syscall.MS_BIND | syscall.MS_RDONLY, syscall.MS_BIND | syscall.MS_RDONLY | syscall.MS_REC,
	syscall.MS_NOSUID | syscall.MS_NODEV, syscall.MS_RDONLY | syscall.MS_NOEXEC,
	syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY, syscall.MS_PRIVATE | syscall.MS_REC}

// target is a path inside dir, or (relative) inside the pivot root.
func (c *fuzzCase) target(r *fuzzRecipe, pivot bool) string {
	switch mode := r.u8(); {
	case mode >= 252:
		// around the library's bound of 4096 bytes
		return c.dir + "/" + strings.Repeat("t", 4096-len(c.dir)-4+int(r.u8()%8))
	case mode >= 240:
		return c.dir + "/" + strings.Repeat("d/", int(r.u8())%64) + "x"
	case mode >= 160 && pivot:
		return r.name(24)
	case mode >= 144:
		return c.dir
	default:
		return c.dir + "/" + r.name(24)
	}
}

func (c *fuzzCase) source(r *fuzzRecipe) string {
	switch r.u8() % 8 {
	case 0:
		return ""
	case 1:
		return "none"
	case 2:
		return "tmpfs"
	case 3:
		return c.dir
	default:
		return c.dir + "/" + r.name(16)
	}
}

func (c *fuzzCase) mounts(r *fuzzRecipe, pivot bool) []mount.SyscallParams {
	n := int(r.u8()) % 4
	if r.rare() {
		n = int(r.u8()) % 16
	}
	var out []mount.SyscallParams
	for i := 0; i < n; i++ {
		m := mount.Mount{
			Source: c.source(r),
			Target: c.target(r, pivot),
			FsType: fuzzFsTypes[int(r.u8())%len(fuzzFsTypes)],
			Flags:  fuzzMountFlagSets[int(r.u8())%len(fuzzMountFlagSets)],
		}
		if r.chance(64) {
			m.Flags = uintptr(r.u32()) & fuzzMountFlags
		}
		if r.chance(64) {
			m.Data = r.str(24)
		}
		if r.rare() {
			m.Flags = uintptr(r.u64())
		}
		p, err := m.ToSyscall()
		if err != nil {
			continue // a NUL in Data: the reference's builder refuses it too
		}
		p.MakeNod = r.chance(48)
		if r.rare() {
			p.Source, p.FsType = nil, nil
		}
		if r.rare() {
			p.Target = nil // refused before the start
		}
		out = append(out, *p)
	}
	return out
}

func (r *fuzzRecipe) idMaps() []syscall.SysProcIDMap {
	mode := r.u8()
	if mode < 160 {
		return nil
	}
	n := int(mode) % 4 // 0: given, but empty
	maps := make([]syscall.SysProcIDMap, n)
	ids := func() int {
		switch r.u8() % 6 {
		case 0:
			return 0
		case 1:
			return 65534
		case 2:
			return 1
		case 3:
			return int(int32(r.u32()))
		default:
			return int(r.u8())
		}
	}
	for i := range maps {
		maps[i] = syscall.SysProcIDMap{ContainerID: ids(), HostID: ids(), Size: ids()}
	}
	return maps
}

func (r *fuzzRecipe) rlimits() []rlimit.RLimit {
	n := int(r.u8()) % 4
	out := make([]rlimit.RLimit, 0, n+1)
	value := func() uint64 {
		switch r.u8() % 6 {
		case 0:
			return math.MaxUint64 // RLIM_INFINITY
		case 1:
			return 0
		case 2:
			return r.u64()
		default:
			return uint64(r.u8()) << (r.u8() % 40)
		}
	}
	for i := 0; i < n; i++ {
		res := int(r.u8()) % 16
		if r.rare() {
			res = int(int32(r.u32()))
		}
		out = append(out, rlimit.RLimit{Res: res, Rlim: syscall.Rlimit{Cur: value(), Max: value()}})
	}
	// No core file of a probe that crashes in the package's directory,
	// and no child that spins for good if a bug makes one: CPU time
	// within any hard limit set above, which an unprivileged child (in a
	// user namespace) could not raise.
	cpu := uint64(fuzzCPUSeconds)
	for _, l := range out {
		if l.Res == syscall.RLIMIT_CPU {
			cpu = min(cpu, l.Rlim.Max)
		}
	}
	return append(out, rlimit.RLimit{Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: cpu, Max: cpu}},
		rlimit.RLimit{Res: syscall.RLIMIT_CORE})
}

// fuzzCPUSeconds bounds a started child's CPU time.
const fuzzCPUSeconds = 30

// seccomp is nil, or a filter of instructions from a small vocabulary
// (which loads, jumps on the syscall numbers the start makes, and returns
// every action) or raw.
func (r *fuzzRecipe) seccomp() *syscall.SockFprog {
	const (
		retKillProcess = 0x80000000
		retTrap        = 0x00030000
		retUserNotif   = 0x7fc00000
		retTrace       = 0x7ff00000
		retLog         = 0x7ffc0000
	)
	mode := r.u8()
	if mode < 192 {
		return nil
	}
	n := 1 + int(mode)%8
	switch {
	case mode >= 254:
		n = 4095 + int(r.u8())%3
	case mode >= 252:
		n = 0 // a filter without instructions: refused
	}
	rets := []uint32{seccompRetAllow, seccompRetErrno | 1, seccompRetErrno | 13, retKillProcess, 0, retTrap, retTrace, retLog, retUserNotif}
	nrs := []uint32{syscall.SYS_EXECVE, syscall.SYS_EXIT_GROUP, syscall.SYS_WRITE, syscall.SYS_READ,
		syscall.SYS_EXIT, syscall.SYS_KILL, syscall.SYS_DUP3, syscall.SYS_PRCTL, 322 /* execveat */}
	insns := make([]syscall.SockFilter, n)
	for i := range insns {
		switch r.u8() % 8 {
		case 0, 1:
			insns[i] = syscall.SockFilter{Code: syscall.BPF_RET | syscall.BPF_K, K: rets[int(r.u8())%len(rets)]}
		case 2, 3:
			insns[i] = syscall.SockFilter{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS, K: uint32(r.u8()%4) * 4}
		case 4, 5:
			insns[i] = syscall.SockFilter{Code: syscall.BPF_JMP | syscall.BPF_JEQ | syscall.BPF_K,
				Jt: r.u8() % 4, Jf: r.u8() % 4, K: nrs[int(r.u8())%len(nrs)]}
		default:
			insns[i] = syscall.SockFilter{Code: uint16(r.u32()), Jt: r.u8(), Jf: r.u8(), K: r.u32()}
		}
	}
	prog := &syscall.SockFprog{Len: uint16(n)}
	if n > 0 {
		prog.Filter = &insns[0]
	} else if r.u8()%2 == 0 {
		prog.Filter = &syscall.SockFilter{}
	}
	return prog
}

func (r *fuzzRecipe) credential() *syscall.Credential {
	if r.u8() < 200 {
		return nil
	}
	id := func() uint32 {
		switch r.u8() % 4 {
		case 0:
			return 0
		case 1:
			return 65534
		default:
			return r.u32()
		}
	}
	cred := &syscall.Credential{Uid: id(), Gid: id(), NoSetGroups: r.u8()%4 == 0}
	n := int(r.u8()) % 4
	if r.rare() {
		n = 65536 + int(r.u8())%2
	}
	for i := 0; i < n; i++ {
		cred.Groups = append(cred.Groups, id())
	}
	return cred
}

// build makes the Runner from the recipe; the layout of the recipe is
// this function's order of reads.
func (c *fuzzCase) build(t *testing.T, r *fuzzRecipe, fs *fuzzFds) {
	t.Helper()
	run := &c.r
	flags := r.u8()
	run.CloneFlags = uintptr(r.u32()) & forkexec.UnshareFlags
	if r.rare() {
		run.CloneFlags = uintptr(r.u64())
	}

	// The program: the probe, by path or through an fd of it.
	run.Args = []string{probePath, "--exit", "0"}
	switch r.u8() % 16 {
	case 0:
		run.ExecFile = fs.probe.Fd()
		run.Args[0] = r.str(8)
	case 1:
		run.ExecFile = fs.probePath.Fd()
	case 2:
		run.ExecFile = fs.devnull.Fd()
	case 3:
		run.ExecFile = fs.closed
	case 4:
		run.ExecFile = fuzzBigFd
	}
	for n := int(r.u8()) % 4; n > 0; n-- {
		run.Args = append(run.Args, r.str(16))
	}
	if r.u8() >= 128 {
		run.Env = []string{}
		for n := int(r.u8()) % 5; n > 0; n-- {
			run.Env = append(run.Env, r.str(24))
		}
	}

	if mode := r.u8(); mode >= 128 {
		n := 1 + int(mode)%6
		if mode >= 240 {
			n = int(r.u8()) % 70
		}
		run.Files = make([]uintptr, n)
		for i := range run.Files {
			run.Files[i] = c.fd(r, fs, i, n)
		}
	}

	pivot := r.u8()
	switch {
	case pivot >= 240:
		run.PivotRoot = c.dir + "/" + r.name(12)
		if r.u8() < 200 {
			if err := os.MkdirAll(run.PivotRoot, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	case pivot >= 236:
		run.PivotRoot = r.name(12) // relative: refused
	}
	run.Mounts = c.mounts(r, run.PivotRoot != "")
	if r.chance(32) {
		run.HostName = r.str(70)
	}
	if r.chance(16) {
		run.DomainName = r.str(70)
	}
	switch r.u8() % 8 {
	case 0:
		run.WorkDir = c.dir
	case 1:
		run.WorkDir = "/"
	case 2:
		run.WorkDir = r.str(24)
	case 3:
		run.WorkDir = c.dir + "/" + r.name(8)
	}
	run.UIDMappings = r.idMaps()
	run.GIDMappings = r.idMaps()
	switch r.u8() {
	case 255:
		run.CgroupFd = fs.dir.Fd()
	case 254:
		run.CgroupFd = fuzzBigFd
	}
	run.Credential = r.credential()
	run.RLimits = r.rlimits()
	run.Seccomp = r.seccomp()

	switch r.u8() % 6 {
	case 1:
		run.SyncFunc = c.sync(nil)
	case 2:
		run.SyncFunc = c.sync(errFuzzSync)
	}
	run.Ptrace = flags&1 != 0
	run.NoNewPrivs = flags&2 != 0
	run.StopBeforeSeccomp = flags&4 != 0 && r.u8() >= 128
	run.GIDMappingsEnableSetgroups = flags&8 != 0
	run.DropCaps = flags&16 != 0
	run.UnshareCgroupAfterSync = flags&32 != 0
	run.CTTY = flags&64 != 0
	c.stops = run.StopBeforeSeccomp || run.Ptrace

	// What keeps the start harmless, whatever the recipe said.
	if len(run.Mounts) > 0 || run.PivotRoot != "" || run.HostName != "" || run.DomainName != "" {
		run.CloneFlags |= syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWPID |
			syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUSER
	}
	if run.CTTY {
		// Never the caller's terminal, which TIOCSCTTY would steal.
		if len(run.Files) == 0 {
			run.Files = []uintptr{0}
		}
		run.Files[0] = fs.devnull.Fd()
		if fs.pty != nil {
			run.Files[0] = fs.pty.Fd()
		}
	}
	c.closed = run.ExecFile == fs.closed || slices.Contains(run.Files, fs.closed) ||
		slices.Contains(run.Files, fuzzClosedFd)
	c.requireHarmless(t)
}

// sync is a SyncFunc that records the pid, checks that it is our child
// and returns err.
func (c *fuzzCase) sync(err error) func(int) error {
	c.syncErr = err
	return func(pid int) error {
		c.synced = append(c.synced, pid)
		return err
	}
}

// requireHarmless re-checks what build promises, so that a change of the
// recipe cannot make the fuzzer touch the host.
func (c *fuzzCase) requireHarmless(t *testing.T) {
	t.Helper()
	run := &c.r
	inside := func(path string, relativeOK bool) bool {
		if strings.Contains(path, "..") {
			return false
		}
		if !strings.HasPrefix(path, "/") {
			return relativeOK
		}
		return path == c.dir || strings.HasPrefix(path, c.dir+"/")
	}
	str := func(p *byte) string {
		if p == nil {
			return ""
		}
		var b []byte
		for ; *p != 0; p = (*byte)(unsafe.Add(unsafe.Pointer(p), 1)) {
			b = append(b, *p)
		}
		return string(b)
	}
	const sandbox = syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWPID |
		syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUSER
	sandboxed := run.CloneFlags&sandbox == sandbox
	if (len(run.Mounts) > 0 || run.PivotRoot != "" || run.HostName != "" || run.DomainName != "") && !sandboxed {
		t.Fatalf("fuzz harness: mounts or names without every namespace: %#x", run.CloneFlags)
	}
	if run.PivotRoot != "" && !inside(run.PivotRoot, true) {
		t.Fatalf("fuzz harness: pivot root %q outside %s", run.PivotRoot, c.dir)
	}
	for i, m := range run.Mounts {
		target := str(m.Target)
		if m.Target != nil && !inside(target, run.PivotRoot != "") {
			t.Fatalf("fuzz harness: mount %d target %q outside %s", i, target, c.dir)
		}
		if src := str(m.Source); strings.HasPrefix(src, "/") && !inside(src, false) ||
			strings.Contains(src, "/") && !strings.HasPrefix(src, "/") {
			t.Fatalf("fuzz harness: mount %d source %q outside %s", i, src, c.dir)
		}
		if !slices.Contains(fuzzFsTypes, str(m.FsType)) {
			t.Fatalf("fuzz harness: mount %d of file system %q", i, str(m.FsType))
		}
	}
	if run.ExecFile == 0 && run.Args[0] != probePath {
		t.Fatalf("fuzz harness: program %q", run.Args[0])
	}
	if n := len(run.RLimits); n < 2 || run.RLimits[n-1] != (rlimit.RLimit{Res: syscall.RLIMIT_CORE}) ||
		run.RLimits[n-2].Res != syscall.RLIMIT_CPU || run.RLimits[n-2].Rlim.Max > fuzzCPUSeconds {
		t.Fatalf("fuzz harness: core dumps not off or CPU time not bounded: %v", run.RLimits)
	}
}

// fdSet is the fds open in this process (but the one reading the list).
func fdSet(t *testing.T) map[string]string {
	t.Helper()
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(int(dir.Fd()))
	set := make(map[string]string, len(names))
	for _, name := range names {
		if name == self {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + name)
		set[name] = target
	}
	return set
}

// newFds lists the fds of now that were not open before.
func newFds(before, now map[string]string) []string {
	var extra []string
	for fd, target := range now {
		if _, ok := before[fd]; !ok {
			extra = append(extra, fd+" -> "+target)
		}
	}
	slices.Sort(extra)
	return extra
}

// fuzzStartTimeout bounds Start and the probe's life.  A Start that never
// returns crashes the process, so that the fuzzer keeps the input.
const fuzzStartTimeout = 20 * time.Second

func fuzzOneRunner(t *testing.T, base string, data []byte) {
	r := &fuzzRecipe{b: data}
	// The tracer of a Ptrace child is the thread that called Start.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	before := fdSet(t)
	dumpableBefore := dumpable(t)
	dir, err := os.MkdirTemp(base, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
	}()
	c := &fuzzCase{dir: dir}
	fs := openFuzzFds(t, c.dir)
	c.build(t, r, fs)

	watchdog := time.AfterFunc(fuzzStartTimeout, func() {
		panic(fmt.Sprintf("fuzz: Start did not return in %v; children %v; runner %+v",
			fuzzStartTimeout, children(t), c.r))
	})
	pid, err := c.r.Start()
	if !watchdog.Stop() {
		t.Fatal("fuzz: Start returned after its watchdog fired")
	}
	fs.pipeW.Close()
	fs.pipeW = nil

	if len(c.synced) > 1 {
		t.Errorf("SyncFunc called %d times: %v", len(c.synced), c.synced)
	}
	if err != nil {
		if pid != 0 {
			t.Errorf("Start failed (%v) but returned pid %d", err, pid)
		}
		if left := children(t); len(left) > 0 {
			t.Fatalf("Start failed (%v) and left children %v; runner %+v", err, left, c.r)
		}
		c.checkError(t, err)
	} else {
		if pid <= 0 {
			t.Fatalf("Start returned pid %d and no error", pid)
		}
		if c.closed {
			c.finish(t, pid)
			t.Fatalf("Start succeeded (pid %d) with a closed fd in Files %v or ExecFile %d", pid, c.r.Files, c.r.ExecFile)
		}
		if c.r.SyncFunc != nil && !slices.Equal(c.synced, []int{pid}) {
			t.Errorf("SyncFunc saw pids %v, Start returned %d", c.synced, pid)
		}
		c.finish(t, pid)
	}
	fs.close()

	// The release of a child that stopped itself runs on a goroutine and
	// may lag behind its death by a moment.
	var extra []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		extra = newFds(before, fdSet(t))
		if len(extra) == 0 && dumpable(t) == dumpableBefore || time.Now().After(deadline) {
			break
		}
	}
	if len(extra) > 0 {
		t.Errorf("fds left open: %v; runner %+v", extra, c.r)
	}
	if d := dumpable(t); d != dumpableBefore {
		t.Errorf("dumpable flag %d, was %d", d, dumpableBefore)
	}
}

// checkError checks a failed Start's error: SyncFunc's own when it refused,
// else a ChildError with a location and an index that make sense, or a
// refusal of the configuration before any child existed.
func (c *fuzzCase) checkError(t *testing.T, err error) {
	t.Helper()
	if len(c.synced) == 1 && c.syncErr != nil {
		if err != c.syncErr {
			t.Fatalf("SyncFunc refused but Start returned %v", err)
		}
		return
	}
	if err == errFuzzSync {
		t.Fatalf("Start returned SyncFunc's error, but SyncFunc did not return it")
	}
	ce, ok := err.(forkexec.ChildError)
	if !ok {
		if len(c.synced) > 0 {
			t.Fatalf("a refused configuration (%v) reached SyncFunc", err)
		}
		return
	}
	if ce.Err == 0 || ce.Location > forkexec.LocExecve || ce.Index < 0 {
		t.Fatalf("ChildError %+v (%v)", ce, ce)
	}
	switch ce.Location {
	case forkexec.LocMount, forkexec.LocMountMkdir:
		if ce.Index >= len(c.r.Mounts) {
			t.Fatalf("ChildError %v: index past the %d mounts", ce, len(c.r.Mounts))
		}
	case forkexec.LocSetRlimit:
		if ce.Index >= len(c.r.RLimits) {
			t.Fatalf("ChildError %v: index past the %d rlimits", ce, len(c.r.RLimits))
		}
	default:
		if ce.Index != 0 {
			t.Fatalf("ChildError %v: index at %v", ce, ce.Location)
		}
	}
}

// finish ends a started child: one that stops or is traced is killed;
// any other runs the probe, which exits by itself.  Either way it is
// reaped, and must be gone within fuzzStartTimeout.
func (c *fuzzCase) finish(t *testing.T, pid int) {
	t.Helper()
	if c.stops {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(fuzzStartTimeout)
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG|syscall.WALL, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		if got == pid && (ws.Exited() || ws.Signaled()) {
			return
		}
		if got == pid && ws.Stopped() {
			// Traced without asking (a filter's trace action, say).
			_ = syscall.Kill(pid, syscall.SIGKILL)
			continue
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			reap(t, pid)
			t.Fatalf("child %d did not exit in %v; runner %+v", pid, fuzzStartTimeout, c.r)
		}
		time.Sleep(time.Millisecond)
	}
}
