//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
	"golang.org/x/sys/unix"
)

// The program's view: where its working directory, its copy of PROGRAM
// and its scratch space are.
const (
	workInside = "/w"
	progInside = "/prog"
	tmpInside  = "/tmp"
)

// programEnv is the program's whole environment.
var programEnv = []string{"PATH=/usr/bin:/bin", "HOME=" + workInside, "TMPDIR=" + tmpInside}

// runDir is a run's host directory: root (the pivot root's mount point),
// w (the program's working directory, owned by its uid) and prog (its
// copy of PROGRAM).  Each component is searchable by others: the child
// resolves these paths as the run's unprivileged host uid.
type runDir struct {
	dir, root, work, prog string
}

// newRunDir makes a run's directory under $TMPDIR (else /tmp), owned by
// root with w given to uid:gid.  On failure nothing is left.
func newRunDir(uid, gid uint32) (*runDir, error) {
	if err := searchableBy(os.TempDir(), uid, gid); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cfe-run-")
	if err != nil {
		return nil, err
	}
	d := &runDir{dir: dir, root: filepath.Join(dir, "root"), work: filepath.Join(dir, "w"),
		prog: filepath.Join(dir, "prog")}
	err = os.Chmod(dir, 0o711)
	for _, sub := range []string{d.root, d.work, d.prog} {
		if err == nil {
			err = os.Mkdir(sub, 0o711)
		}
	}
	if err == nil {
		err = os.Chown(d.work, int(uid), int(gid))
	}
	if err == nil {
		err = os.Chmod(d.work, 0o700)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return d, nil
}

// searchableBy checks that uid:gid may search dir and every directory
// above it, as the child must to reach the run's directory (it resolves
// the paths as that uid, without capabilities on the host's files).
func searchableBy(dir string, uid, gid uint32) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := abs; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		mode := uint32(fi.Mode().Perm())
		ok = ok && (mode&0o001 != 0 || (st.Uid == uid && mode&0o100 != 0) || (st.Gid == gid && mode&0o010 != 0))
		if !ok {
			return fmt.Errorf("%s (mode %#o) is not searchable by uid %d: the run's directory goes under "+
				"$TMPDIR (%s), every directory of which others must be able to search: %w", p, mode, uid, abs, syscall.EACCES)
		}
		if p == "/" {
			return nil
		}
	}
}

// errNotRegular is a PROGRAM that is a directory, device or the like.
var errNotRegular = fmt.Errorf("not a regular file: %w", syscall.EACCES)

// stageProgram copies PROGRAM into d.prog and returns the path the
// program runs as inside.  A name without "/" is looked up in the host's
// PATH.  A program that does not exist is not copied, so that the child's
// execve fails with ENOENT as a judge would see it.  The copy is 0555
// when the original has any execute bit, else 0444 (so execve fails with
// EACCES); copying rather than binding the original keeps the program
// reachable whatever the permissions of its host directories, and fixed
// while it runs.
func stageProgram(program string, d *runDir) (string, error) {
	path := program
	if !strings.Contains(program, "/") {
		if p, err := exec.LookPath(program); err == nil {
			path = p
		}
	}
	name := filepath.Base(path)
	if name == "." || name == ".." || name == "/" {
		name = "program"
	}
	inside := progInside + "/" + name
	src, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return inside, nil
	}
	if err != nil {
		return "", err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", errNotRegular
	}
	mode := os.FileMode(0o444)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = 0o555
	}
	dst, err := os.OpenFile(filepath.Join(d.prog, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return inside, err
}

// hostDirs are bound read-only into the new root where they exist.
var hostDirs = []string{"/usr", "/lib", "/lib64", "/bin", "/etc/alternatives"}

// buildMounts is the new root's content: the host directories, /tmp, /w
// and /prog.  Targets are relative: inside the pivot root.
func buildMounts(d *runDir, tmpBytes uint64) ([]mount.SyscallParams, error) {
	b := mount.NewBuilder()
	for _, dir := range hostDirs {
		b.WithBind(dir, strings.TrimPrefix(dir, "/"), true)
	}
	b.FilterNotExist().
		WithTmpfs(strings.TrimPrefix(tmpInside, "/"), fmt.Sprintf("size=%d,nr_inodes=4096,mode=1777", tmpBytes)).
		WithBind(d.work, strings.TrimPrefix(workInside, "/"), false).
		WithBind(d.prog, strings.TrimPrefix(progInside, "/"), true)
	return b.Build()
}

// buildRLimits are the run's rlimits: CPU at the next whole second, soft
// and hard alike, output file size, stack (the memory limit), open files,
// no core dumps, and, where no cgroup enforces them, the address space
// and the process count.  The program is the init of its pid namespace,
// which the kernel does not let SIGXCPU or SIGXFSZ end (their default
// action is dropped for such an init): at the CPU limit the kernel's
// SIGKILL for the hard limit ends it, and past the output limit its
// write fails with EFBIG.
func buildRLimits(o *options, cgroup bool) []rlimit.RLimit {
	var r rlimit.RLimits
	if o.cpu > 0 {
		r.CPU = uint64(math.Ceil(o.cpu.Seconds()))
		r.CPUHard = r.CPU
	}
	r.FileSize = o.output
	r.Stack = o.memory
	r.OpenFile = o.files
	r.DisableCore = true
	if !cgroup {
		r.AddressSpace = o.memory
	}
	list := r.PrepareRLimit()
	if !cgroup && o.procs > 0 {
		list = append(list, rlimit.RLimit{Res: unix.RLIMIT_NPROC, Rlim: syscall.Rlimit{Cur: o.procs, Max: o.procs}})
	}
	return list
}
