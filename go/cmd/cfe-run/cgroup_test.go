//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

func TestCgroup2Dir(t *testing.T) {
	const hybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`
	const unified = `25 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`
	const nested = `60 1 0:22 /judge /mnt/cg\040v2 rw - cgroup2 cgroup2 rw`
	cases := []struct {
		name, mountinfo, self, want string
	}{
		{"hybrid, root cgroup", hybrid, "4:memory:/x\n0::/\n", "/sys/fs/cgroup/unified"},
		{"unified", unified, "0::/system.slice/judge.service\n", "/sys/fs/cgroup/system.slice/judge.service"},
		{"mount of a subtree, escaped space", nested, "0::/judge/worker\n", "/mnt/cg v2/worker"},
		{"mount of the subtree itself", nested, "0::/judge\n", "/mnt/cg v2"},
		{"outside the mounted subtree", nested, "0::/judgement\n", ""},
		{"no cgroup2 mount", "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory", "0::/\n", ""},
		{"no v2 line", unified, "4:memory:/x\n", ""},
	}
	for _, c := range cases {
		got, err := cgroup2Dir(c.mountinfo, c.self)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%s: cgroup2Dir = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// On this machine's kind of layout (controllers on cgroup v1) the run
// says why cgroup v2 is not used; where v2 has them, findCgroupParent
// finds a directory.
func TestFindCgroupParent(t *testing.T) {
	dir, err := findCgroupParent()
	if err != nil {
		t.Logf("cgroup v2 not usable here (runs use rlimits): %v", err)
		if dir != "" {
			t.Errorf("dir %q with an error", dir)
		}
		return
	}
	t.Logf("cgroup v2 usable at %s", dir)
}

// A run's cgroup is made, the child is cloned straight into it
// (CgroupFd), and it is removed afterwards.  The memory and pids limits
// need a hierarchy with those controllers; this checks the rest wherever
// a cgroup2 hierarchy is writable.
func TestRunCgroupCloneIntoAndRemove(t *testing.T) {
	parent := ownCgroup2Dir()
	if parent == "" || syscall.Access(parent, 2) != nil {
		t.Skip("skip: no writable cgroup v2 hierarchy here")
	}
	cg, err := makeRunCgroup(parent)
	if err != nil {
		t.Skipf("skip: cannot make a cgroup under %s: %v", parent, err)
	}
	defer func() {
		if err := cg.remove(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(cg.dir); !os.IsNotExist(err) {
			t.Errorf("%s still there after remove: %v", cg.dir, err)
		}
	}()
	out, err := os.CreateTemp("", "cfe-run-cgroup-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cat, err := filepath.EvalSymlinks("/bin/cat")
	if err != nil {
		t.Skip("skip: no /bin/cat")
	}
	r := forkexec.Runner{Args: []string{cat, "/proc/self/cgroup"}, Files: []uintptr{0, out.Fd(), 2}, CgroupFd: cg.fd.Fd()}
	pid, err := r.Start()
	if err != nil {
		t.Skipf("skip: the kernel refuses CLONE_INTO_CGROUP here: %v", err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || ws.ExitStatus() != 0 {
		t.Fatalf("cat: %v, status %v", err, ws)
	}
	got, _ := os.ReadFile(out.Name())
	rel := strings.TrimPrefix(cg.dir, parent)
	if !strings.Contains(string(got), "0::"+rel+"\n") && !strings.Contains(string(got), "0::/"+filepath.Base(cg.dir)+"\n") {
		t.Errorf("the child's /proc/self/cgroup is\n%s\nwant it in %s", got, cg.dir)
	}
	if _, ok := cg.cpuTime(); !ok {
		t.Errorf("no usage_usec in %s/cpu.stat", cg.dir)
	}
}
