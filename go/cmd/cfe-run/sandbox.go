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

// runDir is a run's host directory: root (the pivot root's mount point,
// on which the child mounts the new root's tmpfs) and prog (the copies of
// PROGRAM and the --file files, bound read-only at /prog).  Each is
// searchable by others: the child resolves these paths as the run's
// unprivileged host uid.  The program's working directory /w is a tmpfs
// inside the sandbox, not a host directory.
//
// The directory is locked (flock on its fd, held until cleanup): when
// cfe-run dies of a signal it cannot catch (SIGKILL) the directory stays,
// but its lock goes with the process, and the next cfe-run with the same
// $TMPDIR removes every unlocked cfe-run-* directory it finds there.
type runDir struct {
	dir, root, prog string
	lock            *os.File // the directory itself, flock'ed
}

// runDirPrefix names run directories; a directory is made under
// newDirPrefix, locked, and only then renamed to runDirPrefix, so that
// the sweep never sees one it could lock before its owner does.
const (
	runDirPrefix = "cfe-run-"
	newDirPrefix = ".cfe-run-new-"
)

// newRunDir makes a run's directory under $TMPDIR (else /tmp), owned by
// root, after removing the directories runs killed with SIGKILL left
// there.  On failure nothing is left.
func newRunDir(uid, gid uint32) (*runDir, error) {
	tmp := os.TempDir()
	if err := searchableBy(tmp, uid, gid); err != nil {
		return nil, err
	}
	if err := notNoexec(tmp); err != nil {
		return nil, err
	}
	sweepRunDirs(tmp)
	fresh, err := os.MkdirTemp(tmp, newDirPrefix)
	if err != nil {
		return nil, err
	}
	lock, err := os.Open(fresh)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != nil {
			lock.Close()
		}
	}
	if err != nil {
		os.RemoveAll(fresh)
		return nil, err
	}
	dir := filepath.Join(tmp, runDirPrefix+strings.TrimPrefix(filepath.Base(fresh), newDirPrefix))
	d := &runDir{dir: dir, root: filepath.Join(dir, "root"), prog: filepath.Join(dir, "prog"), lock: lock}
	err = os.Rename(fresh, dir)
	if err != nil {
		dir = fresh
	}
	if err == nil {
		err = os.Chmod(dir, 0o711)
	}
	for _, sub := range []string{d.root, d.prog} {
		if err == nil {
			err = os.Mkdir(sub, 0o711)
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		lock.Close()
		return nil, err
	}
	return d, nil
}

// remove removes the directory, then lets go of its lock.
func (d *runDir) remove() error {
	err := os.RemoveAll(d.dir)
	d.lock.Close()
	return err
}

// sweepRunDirs removes the run directories under tmp that no cfe-run
// holds locked: those of runs whose cfe-run was killed (SIGKILL) before
// it could clean up.  Errors leave a directory for the next sweep.
func sweepRunDirs(tmp string) {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), runDirPrefix) {
			continue
		}
		path := filepath.Join(tmp, e.Name())
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(path)
		}
		syscall.Close(fd)
	}
}

// notNoexec refuses a $TMPDIR on a noexec mount: the bind of the staged
// PROGRAM keeps noexec (the kernel locks it in the run's user namespace),
// so every execve would fail with EACCES.
func notNoexec(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	if st.Flags&unix.ST_NOEXEC != 0 {
		return fmt.Errorf("$TMPDIR (%s) is on a noexec mount, where PROGRAM could not be executed: "+
			"set TMPDIR to a directory on a mount that allows execution: %w", dir, syscall.EACCES)
	}
	return nil
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

// errNotRegular is a PROGRAM or --file that is a directory, FIFO, device
// or the like.
var errNotRegular = fmt.Errorf("not a regular file: %w", syscall.EACCES)

// stageProgram copies PROGRAM into d.prog and returns the path the
// program runs as inside.  A name without "/" is looked up in the host's
// PATH, and is an error when it is not there; a name with "/" is a path.
// A path that does not exist is not copied, so that the child's execve
// fails with ENOENT as a judge would see it.  The copy is 0555 when the
// original has any execute bit, else 0444 (so execve fails with EACCES);
// copying rather than binding the original keeps the program reachable
// whatever the permissions of its host directories, and fixed while it
// runs.
func stageProgram(program string, d *runDir) (string, error) {
	path := program
	if !strings.Contains(program, "/") {
		p, err := exec.LookPath(program)
		if err != nil {
			return "", fmt.Errorf("%q is not a program in $PATH (%s); name a file with a path "+
				"(./%s): %w", program, os.Getenv("PATH"), program, syscall.ENOENT)
		}
		path = p
	}
	inside := progInside + "/" + stagedName(program)
	err := stageFile(path, d)
	if errors.Is(err, os.ErrNotExist) {
		return inside, nil
	}
	return inside, err
}

// stageFile copies the regular file at path into d.prog under its
// stagedName, 0555 when it has any execute bit, else 0444.  It opens with
// O_NONBLOCK so that a FIFO is refused rather than waited on.
func stageFile(path string, d *runDir) error {
	src, err := openRegular(path)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	mode := os.FileMode(0o444)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = 0o555
	}
	// O_EXCL: never through a link, never over another staged file.
	dst, err := os.OpenFile(filepath.Join(d.prog, stagedName(path)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// openRegular opens path for reading without blocking on a FIFO (or a
// device) and refuses what is not a regular file; the fd is blocking
// again when returned.
func openRegular(path string) (*os.File, error) {
	return openChecked(path, os.O_RDONLY, func(_ *os.File, fi os.FileInfo) error {
		if !fi.Mode().IsRegular() {
			return errNotRegular
		}
		return nil
	})
}

// clearNonblock makes f's open file blocking again (the program inherits
// its flags).
func clearNonblock(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = sc.Control(func(fd uintptr) {
		var fl int
		if fl, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0); ferr == nil {
			_, ferr = unix.FcntlInt(fd, unix.F_SETFL, fl&^unix.O_NONBLOCK)
		}
	})
	if err == nil {
		err = ferr
	}
	return err
}

// hostDirs are bound read-only into the new root where they exist.
var hostDirs = []string{"/usr", "/lib", "/lib64", "/bin", "/etc/alternatives"}

// roBind is a read-only bind's flags: recursive, since in the run's user
// namespace the kernel refuses (EINVAL) a non-recursive bind of a mount
// that has mounts below it (they are locked to it, so that what they
// cover stays hidden).  The library remounts the bind itself read-only
// with these flags (and the ones the kernel locks); the mounts below it
// keep their own flags, so buildMounts remounts each of them too
// (nestedRemounts).
const roBind = unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV

// lockedOptions are the per-mount options the kernel keeps locked on a
// mount seen from a user namespace: a remount must repeat them.
var lockedOptions = map[string]uintptr{"nosuid": unix.MS_NOSUID, "nodev": unix.MS_NODEV,
	"noexec": unix.MS_NOEXEC, "noatime": unix.MS_NOATIME, "nodiratime": unix.MS_NODIRATIME,
	"relatime": unix.MS_RELATIME}

// nestedRemounts are read-only remounts of every mount below dir (a
// tmpfs on /usr/local/games, say), as this process sees them now, which
// the child's mount namespace copies: each keeps its locked options and
// gains MS_RDONLY, MS_NOSUID and MS_NODEV.  Targets are relative.
func nestedRemounts(dir string) ([]mount.Mount, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	var ms []mount.Mount
	for _, line := range strings.Split(string(mi), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		point := unescapeMountinfo(f[4])
		rel, ok := strings.CutPrefix(point, real+"/")
		if !ok || real == "/" {
			continue
		}
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
		for _, opt := range strings.Split(f[5], ",") {
			flags |= lockedOptions[opt]
		}
		ms = append(ms, mount.Mount{Target: filepath.Join(strings.TrimPrefix(dir, "/"), rel), Flags: flags})
	}
	return ms, nil
}

// workInodes bounds the number of files and directories in /w and /tmp.
const workInodes = 4096

// buildMounts is the new root's content: the host directories and the
// staged files, bound read-only, /tmp and /w as tmpfs of tmpBytes and
// workBytes.  Targets are relative: inside the pivot root.
func buildMounts(d *runDir, tmpBytes, workBytes uint64) ([]mount.SyscallParams, error) {
	var ms []mount.Mount
	for _, dir := range append(hostDirs[:len(hostDirs):len(hostDirs)], d.prog) {
		target := strings.TrimPrefix(dir, "/")
		if dir == d.prog {
			target = strings.TrimPrefix(progInside, "/")
		} else if _, err := os.Stat(dir); err != nil {
			continue
		}
		ms = append(ms, mount.Mount{Source: dir, Target: target, Flags: roBind})
		if dir != d.prog {
			nested, err := nestedRemounts(dir)
			if err != nil {
				return nil, err
			}
			ms = append(ms, nested...)
		}
	}
	tmpfs := func(target string, size uint64, opts string) mount.Mount {
		return mount.Mount{Source: "tmpfs", Target: strings.TrimPrefix(target, "/"), FsType: "tmpfs",
			Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOATIME,
			Data:  fmt.Sprintf("size=%d,nr_inodes=%d,%s", size, workInodes, opts)}
	}
	// /w belongs to the program: uid and gid 0 of the run's user
	// namespace (the mounting child is still the unmapped host root).
	ms = append(ms, tmpfs(tmpInside, tmpBytes, "mode=1777"), tmpfs(workInside, workBytes, "mode=0755,uid=0,gid=0"))
	params := make([]mount.SyscallParams, 0, len(ms))
	for _, m := range ms {
		p, err := m.ToSyscall()
		if err != nil {
			return nil, err
		}
		params = append(params, *p)
	}
	return params, nil
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
