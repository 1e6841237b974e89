//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroup2Dir is the directory of this process's cgroup v2 cgroup, from
// the text of /proc/self/mountinfo and /proc/self/cgroup: the first
// cgroup2 mount whose root contains the "0::PATH" line's PATH.
func cgroup2Dir(mountinfo, selfCgroup string) (string, error) {
	path := ""
	for _, line := range strings.Split(selfCgroup, "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			path = p
			break
		}
	}
	if path == "" || path[0] != '/' {
		return "", errors.New("no cgroup v2 line (0::/...) in /proc/self/cgroup")
	}
	for _, line := range strings.Split(mountinfo, "\n") {
		before, after, ok := strings.Cut(line, " - ")
		fields, fsFields := strings.Fields(before), strings.Fields(after)
		if !ok || len(fields) < 5 || len(fsFields) < 1 || fsFields[0] != "cgroup2" {
			continue
		}
		root, mnt := unescapeMountinfo(fields[3]), unescapeMountinfo(fields[4])
		rel, ok := strings.CutPrefix(path, root)
		if root == "/" {
			rel, ok = path, true
		}
		if !ok || (rel != "" && rel[0] != '/') {
			continue
		}
		return filepath.Join(mnt, rel), nil
	}
	return "", fmt.Errorf("no cgroup2 mount shows this process's cgroup %s", path)
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// runCgroup is a run's own cgroup v2 cgroup, which the child is cloned
// into (CgroupFd) and which holds its memory and process limits.
type runCgroup struct {
	dir string
	fd  *os.File // the directory, for CLONE_INTO_CGROUP
}

// cgroupControllers are the controllers a run's cgroup needs.
var cgroupControllers = []string{"memory", "pids"}

// findCgroupParent is where a run's cgroup goes: this process's cgroup v2
// cgroup when it is writable and can give its children the memory and
// pids controllers.  The error says why not.
func findCgroupParent() (string, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	dir, err := cgroup2Dir(string(mi), string(self))
	if err != nil {
		return "", err
	}
	ctl, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return "", err
	}
	have := strings.Fields(string(ctl))
	for _, c := range cgroupControllers {
		if !slices.Contains(have, c) {
			return "", fmt.Errorf("cgroup v2 %s lacks the %s controller (it has: %q)", dir, c, strings.Join(have, " "))
		}
	}
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return "", fmt.Errorf("cgroup v2 %s is not writable: %w", dir, err)
	}
	return dir, nil
}

// chooseCgroup makes the run's cgroup.  With --cgroup DIR it goes under
// DIR, which must be a cgroup v2 directory whose cgroup.subtree_control
// already has the memory and pids controllers (the operator's delegation;
// cfe-run does not turn them on there): anything else is an error, the
// run does not silently fall back to rlimits.  Without --cgroup it goes
// under cfe-run's own cgroup v2 cgroup where that works (findCgroupParent,
// newRunCgroup); where not, cg is nil and why says why.
func chooseCgroup(o *options) (cg *runCgroup, why string, err error) {
	if o.cgroup == "" {
		parent, err := findCgroupParent()
		if err == nil {
			cg, err = newRunCgroup(parent, o.memory, o.procs)
		}
		if err != nil {
			return nil, err.Error() + " (--cgroup names a delegated cgroup to use instead)", nil
		}
		return cg, "", nil
	}
	if err := delegated(o.cgroup); err != nil {
		return nil, "", fmt.Errorf("--cgroup %s: %w", o.cgroup, err)
	}
	if cg, err = makeRunCgroup(o.cgroup); err != nil {
		return nil, "", fmt.Errorf("--cgroup %s: %w", o.cgroup, err)
	}
	if err := cg.setLimits(o.memory, o.procs); err != nil {
		return nil, "", errors.Join(fmt.Errorf("--cgroup %s: %w", o.cgroup, err), cg.remove())
	}
	return cg, "", nil
}

// delegated checks that dir is a cgroup v2 directory whose children get
// the memory and pids controllers.
func delegated(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return err
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("not a cgroup v2 directory (file system type %#x): %w", st.Type, syscall.EINVAL)
	}
	on, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return err
	}
	for _, c := range cgroupControllers {
		if !slices.Contains(strings.Fields(string(on)), c) {
			return fmt.Errorf("the %s controller is not in its cgroup.subtree_control (%q): enable it there "+
				"(echo +memory +pids > cgroup.subtree_control, from a cgroup holding no process): %w",
				c, strings.TrimSpace(string(on)), syscall.EINVAL)
		}
	}
	return nil
}

// enableControllers turns on the memory and pids controllers for the
// children of parent where they are not on yet.  That is the delegation
// a judge service's cgroup would have anyway; it is not undone, since
// other cgroups under parent may rely on it.  A non-root cgroup that
// holds processes (cfe-run itself) cannot: the kernel answers EBUSY.
func enableControllers(parent string) error {
	path := filepath.Join(parent, "cgroup.subtree_control")
	on, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var add []string
	for _, c := range cgroupControllers {
		if !slices.Contains(strings.Fields(string(on)), c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := os.WriteFile(path, []byte(strings.Join(add, " ")), 0); err != nil {
		return fmt.Errorf("enabling %s in %s (a cgroup holding processes cannot delegate): %w",
			strings.Join(add, " "), path, err)
	}
	return nil
}

// newRunCgroup makes a run's cgroup under parent with the limits (0: no
// limit) and opens it.  On failure nothing is left behind.
func newRunCgroup(parent string, memory, procs uint64) (*runCgroup, error) {
	if err := enableControllers(parent); err != nil {
		return nil, err
	}
	cg, err := makeRunCgroup(parent)
	if err != nil {
		return nil, err
	}
	if err := cg.setLimits(memory, procs); err != nil {
		return nil, errors.Join(err, cg.remove())
	}
	return cg, nil
}

// makeRunCgroup makes an empty cgroup under parent, named after this
// process, and opens it.
func makeRunCgroup(parent string) (*runCgroup, error) {
	dir := filepath.Join(parent, fmt.Sprintf("cfe-run-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	fd, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, errors.Join(err, syscall.Rmdir(dir))
	}
	return &runCgroup{dir: dir, fd: fd}, nil
}

func (cg *runCgroup) setLimits(memory, procs uint64) error {
	limit := func(n uint64) string {
		if n == 0 {
			return "max"
		}
		return strconv.FormatUint(n, 10)
	}
	if err := cg.write("memory.max", limit(memory)); err != nil {
		return err
	}
	// Without these the limit could be dodged through swap, and an OOM
	// kill would take one process of a run instead of the run.
	if err := cg.write("memory.swap.max", "0"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := cg.write("memory.oom.group", "1"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return cg.write("pids.max", limit(procs))
}

// write writes an existing control file (never creating one).
func (cg *runCgroup) write(name, value string) error {
	f, err := os.OpenFile(filepath.Join(cg.dir, name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// stat reads one "key value" line of a flat-keyed file (memory.events,
// cpu.stat).
func (cg *runCgroup) stat(name, key string) (uint64, bool) {
	f, err := os.Open(filepath.Join(cg.dir, name))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), " "); ok && k == key {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// peak is memory.peak (Linux 5.19+).
func (cg *runCgroup) peak() (uint64, bool) {
	b, err := os.ReadFile(filepath.Join(cg.dir, "memory.peak"))
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// oomKilled says whether the kernel killed a process of the run for memory.
func (cg *runCgroup) oomKilled() bool {
	n, _ := cg.stat("memory.events", "oom_kill")
	return n > 0
}

// cpuTime is the CPU time of every process the run had.
func (cg *runCgroup) cpuTime() (time.Duration, bool) {
	n, ok := cg.stat("cpu.stat", "usage_usec")
	return time.Duration(n) * time.Microsecond, ok
}

// remove kills whatever is left in the cgroup and removes it, waiting
// (up to 5 s) for dying processes to leave it.
func (cg *runCgroup) remove() error {
	if cg.fd != nil {
		cg.fd.Close()
		cg.fd = nil
	}
	_ = cg.write("cgroup.kill", "1") // Linux 5.14+; the pid namespace's end kills the rest anyway
	var err error
	for range 500 {
		if err = syscall.Rmdir(cg.dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("removing cgroup %s: %w", cg.dir, err)
}
