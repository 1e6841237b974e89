//go:build linux && cgo && (amd64 || arm64)

package forkexec_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"github.com/criyle/go-sandbox/pkg/mount"
	"github.com/criyle/go-sandbox/pkg/rlimit"
)

// unopenedFd is a descriptor number that this process has not open.
func unopenedFd(t *testing.T, from int) int {
	t.Helper()
	for fd := from; fd < from+1000; fd++ {
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e == syscall.EBADF {
			return fd
		}
	}
	t.Fatalf("no unopened fd from %d on", from)
	return -1
}

func TestErrorDup3(t *testing.T) {
	fd := unopenedFd(t, 900)
	ce := startFail(t, &forkexec.Runner{Files: []uintptr{uintptr(fd)}})
	wantChildError(t, ce, forkexec.LocDup3, 0, syscall.EBADF)
}

// An fd at its own place in Files only has its close-on-exec flag
// cleared: fcntl reports an fd that is not open.
func TestErrorFcntl(t *testing.T) {
	fd := unopenedFd(t, 64)
	files := make([]uintptr, fd+1)
	for i := range files {
		files[i] = ^uintptr(0)
	}
	files[fd] = uintptr(fd)
	ce := startFail(t, &forkexec.Runner{Files: files})
	wantChildError(t, ce, forkexec.LocFcntl, 0, syscall.EBADF)
}

// A closed fd in Files whose number the start's own fds would take (the
// sync socket's ends, the parked copy of Files[2]) fails as any closed
// one, instead of the child getting the start's fd in its place.  Found by
// FuzzRunnerConfig.
func TestErrorClosedFdTheStartWouldTake(t *testing.T) {
	requireRoot(t)
	for k := 0; k < 2; k++ {
		for _, sync := range []func(int) error{nil, func(int) error { return nil }} {
			closed := unopenedFd(t, 0)
			if k == 1 {
				closed = unopenedFd(t, closed+1)
			}
			r := &forkexec.Runner{Args: []string{probePath, "--exit", "0"},
				Files: []uintptr{uintptr(closed), 1, 0}, SyncFunc: sync}
			pid, err := r.Start()
			if err == nil {
				reap(t, pid)
				t.Fatalf("fd %d (k=%d, SyncFunc %v): Start succeeded", closed, k, sync != nil)
			}
			ce, ok := err.(forkexec.ChildError)
			if !ok {
				t.Fatalf("Start error %v is a %T, not a ChildError", err, err)
			}
			wantChildError(t, ce, forkexec.LocDup3, 0, syscall.EBADF)
			requireNoChildren(t)
		}
	}
}

func TestErrorIoctl(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	ce := startFail(t, &forkexec.Runner{Files: []uintptr{devnull.Fd()}, CTTY: true})
	wantChildError(t, ce, forkexec.LocIoctl, 0, syscall.ENOTTY)
}

// With default maps only id 0 exists in the new user namespace and
// setgroups is denied.
func TestErrorCredentialInUserNamespace(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name string
		cred syscall.Credential
		loc  forkexec.ErrorLocation
		err  syscall.Errno
	}{
		{"setgroups", syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{0}}, forkexec.LocSetGroups, syscall.EPERM},
		{"setgid", syscall.Credential{Uid: 0, Gid: 1, NoSetGroups: true}, forkexec.LocSetGid, syscall.EINVAL},
		{"setuid", syscall.Credential{Uid: 1, Gid: 0, NoSetGroups: true}, forkexec.LocSetUid, syscall.EINVAL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred := c.cred
			ce := startFail(t, &forkexec.Runner{CloneFlags: syscall.CLONE_NEWUSER, Credential: &cred})
			wantChildError(t, ce, c.loc, 0, c.err)
		})
	}
}

// The kernel refuses overlapping uid ranges; the parent reports it
// through the child.
func TestErrorUnshareUserRead(t *testing.T) {
	requireRoot(t)
	ce := startFail(t, &forkexec.Runner{
		CloneFlags:  syscall.CLONE_NEWUSER,
		UIDMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 10}, {ContainerID: 5, HostID: 1000, Size: 10}},
	})
	wantChildError(t, ce, forkexec.LocUnshareUserRead, 0, syscall.EINVAL)
}

func TestErrorMountTmpfs(t *testing.T) {
	requireRoot(t)
	ce := startFail(t, &forkexec.Runner{
		CloneFlags: syscall.CLONE_NEWNS,
		PivotRoot:  filepath.Join(t.TempDir(), "missing"),
	})
	wantChildError(t, ce, forkexec.LocMountTmpfs, 0, syscall.ENOENT)
}

func TestErrorMountMkdir(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ce := startFail(t, &forkexec.Runner{
		CloneFlags: syscall.CLONE_NEWNS,
		Mounts: mountParams(t,
			mount.Mount{Source: "tmpfs", Target: filepath.Join(dir, "a"), FsType: "tmpfs"},
			mount.Mount{Source: "tmpfs", Target: filepath.Join(file, "sub"), FsType: "tmpfs"},
		),
	})
	wantChildError(t, ce, forkexec.LocMountMkdir, 1, syscall.ENOTDIR)
}

func TestErrorMountIndex(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	ce := startFail(t, &forkexec.Runner{
		CloneFlags: syscall.CLONE_NEWNS,
		Mounts: mountParams(t,
			mount.Mount{Source: "tmpfs", Target: filepath.Join(dir, "a"), FsType: "tmpfs"},
			mount.Mount{Source: "tmpfs", Target: filepath.Join(dir, "b"), FsType: "tmpfs"},
			mount.Mount{Source: filepath.Join(dir, "missing"), Target: filepath.Join(dir, "c"), Flags: syscall.MS_BIND},
		),
	})
	wantChildError(t, ce, forkexec.LocMount, 2, syscall.ENOENT)
	if got, want := ce.Error(), "mount(2): no such file or directory"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorChdir(t *testing.T) {
	ce := startFail(t, &forkexec.Runner{WorkDir: filepath.Join(t.TempDir(), "missing")})
	wantChildError(t, ce, forkexec.LocChdir, 0, syscall.ENOENT)
}

func TestErrorSetRlimitIndex(t *testing.T) {
	ce := startFail(t, &forkexec.Runner{RLimits: []rlimit.RLimit{
		{Res: syscall.RLIMIT_CORE, Rlim: syscall.Rlimit{Cur: 0, Max: 0}},
		{Res: syscall.RLIMIT_NOFILE, Rlim: syscall.Rlimit{Cur: 10, Max: 5}},
	}})
	wantChildError(t, ce, forkexec.LocSetRlimit, 1, syscall.EINVAL)
	if got, want := ce.Error(), "setrlimt(1): invalid argument"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// A filter that never returns is refused by the kernel.
func TestErrorSeccomp(t *testing.T) {
	insns := []syscall.SockFilter{{Code: syscall.BPF_LD | syscall.BPF_W | syscall.BPF_ABS, K: 0}}
	ce := startFail(t, &forkexec.Runner{Seccomp: &syscall.SockFprog{Len: 1, Filter: &insns[0]}})
	wantChildError(t, ce, forkexec.LocSeccomp, 0, syscall.EINVAL)
}

// A filter that makes every system call fail, exit_group included: the
// child's execve fails (or, with SyncFunc, its write of "ready") and it
// must still die, and Start return its error, rather than spin with Start
// waiting.  (The CPU limit ends a spinning child if this regresses.)
// Found by FuzzRunnerConfig.
func TestErrorFilterRefusingExit(t *testing.T) {
	requireRoot(t)
	insns := []syscall.SockFilter{{Code: syscall.BPF_RET | syscall.BPF_K, K: seccompRetErrno | uint32(syscall.EPERM)}}
	for _, c := range []struct {
		sync func(int) error
		loc  forkexec.ErrorLocation
	}{{nil, forkexec.LocExecve}, {func(int) error { return nil }, forkexec.LocSyncWrite}} {
		r := &forkexec.Runner{
			Args:     []string{probePath, "--exit", "0"},
			Seccomp:  &syscall.SockFprog{Len: 1, Filter: &insns[0]},
			RLimits:  []rlimit.RLimit{{Res: syscall.RLIMIT_CPU, Rlim: syscall.Rlimit{Cur: 10, Max: 10}}, {Res: syscall.RLIMIT_CORE}},
			SyncFunc: c.sync,
		}
		done := make(chan error, 1)
		go func() {
			pid, err := r.Start()
			if err == nil {
				_ = waitExit0(pid)
			}
			done <- err
		}()
		select {
		case err := <-done:
			ce, ok := err.(forkexec.ChildError)
			if !ok {
				t.Fatalf("Start error %v (%T), want a ChildError", err, err)
			}
			wantChildError(t, ce, c.loc, 0, syscall.EPERM)
			requireNoChildren(t)
		case <-time.After(5 * time.Second):
			t.Fatalf("Start (SyncFunc %v) still waits for a child that cannot exit", c.sync != nil)
		}
	}
}

func TestErrorExecveENOENT(t *testing.T) {
	ce := startFail(t, &forkexec.Runner{Args: []string{filepath.Join(t.TempDir(), "missing")}})
	wantChildError(t, ce, forkexec.LocExecve, 0, syscall.ENOENT)
}

func TestErrorExecveEACCES(t *testing.T) {
	notExecutable := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ce := startFail(t, &forkexec.Runner{Args: []string{notExecutable}})
	wantChildError(t, ce, forkexec.LocExecve, 0, syscall.EACCES)
	if got, want := ce.Error(), "execve: permission denied"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// copyProbe copies the probe to a temporary file and returns it still
// open for writing.
func copyProbe(t *testing.T) (string, *os.File) {
	t.Helper()
	src, err := os.Open(probePath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "probe-copy")
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	return path, dst
}

// A program held open for writing for longer than the retries last.
func TestErrorExecveETXTBSY(t *testing.T) {
	path, w := copyProbe(t)
	defer w.Close()
	ce := startFail(t, &forkexec.Runner{Args: []string{path}})
	wantChildError(t, ce, forkexec.LocExecve, 0, syscall.ETXTBSY)
}

// Another process that holds the program open for writing (as a child
// forked by another goroutine does until its own exec) and lets go within
// the retry window (50 tries, 1 ms apart) does not make the start fail.
// The holder must be another process: a writer open in this process at
// the clone is copied into the child itself and never goes away.
func TestExecveRetriesETXTBSY(t *testing.T) {
	path, w := copyProbe(t)
	holder, err := (&forkexec.Runner{
		Args:  []string{probePath, "--sleep", "20"},
		Files: []uintptr{0, 1, 2, w.Fd()},
	}).Start()
	w.Close()
	if err != nil {
		t.Fatalf("starting the holder: %v", err)
	}
	defer reap(t, holder)
	rep := runProbe(t, &forkexec.Runner{Args: []string{path, "--out-fd", "1"}})
	if len(rep.Argv) == 0 || rep.Argv[0] != path {
		t.Errorf("argv = %q, want the copy %s", rep.Argv, path)
	}
}

// Configurations refused before any child exists come back as descriptive
// errors wrapping EINVAL, not as a ChildError.
func TestRefusedConfigurations(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		r    forkexec.Runner
	}{
		{"no args", forkexec.Runner{}},
		{"NUL in args", forkexec.Runner{Args: []string{probePath, "a\x00b"}}},
		{"NUL in env", forkexec.Runner{Args: []string{probePath}, Env: []string{"A=\x00"}}},
		{"mounts without CLONE_NEWNS", forkexec.Runner{
			Args:   []string{probePath},
			Mounts: mountParams(t, mount.Mount{Source: "tmpfs", Target: filepath.Join(dir, "m"), FsType: "tmpfs"}),
		}},
		{"pivot root without CLONE_NEWNS", forkexec.Runner{Args: []string{probePath}, PivotRoot: dir}},
		{"empty seccomp filter", forkexec.Runner{Args: []string{probePath}, Seccomp: &syscall.SockFprog{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			pid, err := r.Start()
			if err == nil {
				killAndReap(t, pid)
				t.Fatal("Start succeeded")
			}
			if pid != 0 {
				t.Errorf("pid = %d, want 0", pid)
			}
			var ce forkexec.ChildError
			if errors.As(err, &ce) {
				t.Errorf("err = %v is a ChildError; want a configuration error", err)
			}
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("err = %v does not wrap EINVAL", err)
			}
			requireNoChildren(t)
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("refused starts left %v in %s", entries, dir)
	}
}

func dumpable(t *testing.T) uintptr {
	t.Helper()
	v, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0)
	if e != 0 {
		t.Fatalf("PR_GET_DUMPABLE: %v", e)
	}
	return v
}

// A CLONE_VM child's setuid clears the dumpable flag of the memory it
// shares with us; the flag must be back once Start has returned, after
// successful, failed and overlapping starts alike.
func TestDumpableRestored(t *testing.T) {
	requireRoot(t)
	before := dumpable(t)
	if before != 1 {
		t.Skipf("this process is not dumpable to begin with (%d): a restore shows nothing", before)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}

	runProbe(t, &forkexec.Runner{Credential: nobody})
	if got := dumpable(t); got != before {
		t.Fatalf("after a Credential start: dumpable = %d, want %d", got, before)
	}

	startFail(t, &forkexec.Runner{Credential: nobody, Args: []string{"/nonexistent/program"}})
	if got := dumpable(t); got != before {
		t.Fatalf("after a failed Credential start: dumpable = %d, want %d", got, before)
	}

	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			errs <- overlappingCredentialStarts(25, nobody)
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := dumpable(t); got != before {
		t.Fatalf("after overlapping Credential starts: dumpable = %d, want %d", got, before)
	}
}

func overlappingCredentialStarts(n int, cred *syscall.Credential) error {
	for i := 0; i < n; i++ {
		// SyncFunc keeps each child between setuid and execve a while,
		// so that the starts of the goroutines overlap.
		r := &forkexec.Runner{
			Args:       []string{probePath, "--exit", "0"},
			Credential: cred,
			SyncFunc:   func(int) error { time.Sleep(time.Millisecond); return nil },
		}
		pid, err := r.Start()
		if err != nil {
			return err
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			return err
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			return errors.New("probe --exit 0 did not exit 0")
		}
	}
	return nil
}
