//go:build linux

package main

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// stdio is the program's standard input, output and error.
type stdio struct{ in, out, err *os.File }

// stdioError is a stdio file that could not be opened or is refused.
type stdioError struct {
	step string
	err  error
}

func (e *stdioError) Error() string { return e.step + ": " + e.err.Error() }

// errStdio wraps every refusal of a stdio file for its kind: EINVAL.
var errStdio = syscall.EINVAL

// openStdio opens --stdin for reading and --stdout and --stderr for
// writing, truncated.  Every open is non-blocking, so that a FIFO is
// refused instead of waited on, and checked once open:
//
//   - --stdin must be a regular file or a character device that is not a
//     terminal (/dev/null, /dev/zero): a program could reconfigure a
//     terminal (tcsetattr), and a FIFO's writer decides when it ends;
//   - --stdout and --stderr must be regular files, where RLIMIT_FSIZE
//     bounds the output, or /dev/null; not the file --stdin reads (it
//     would be truncated before it is read), nor cfe-run's own standard
//     output (the program's output would mix with the JSON line);
//   - --stdout and --stderr naming one file (by device and inode, under
//     whatever names) share one open file, as 2>&1 would.
func openStdio(o *options) (*stdio, error) {
	s := &stdio{}
	var err error
	if s.in, err = openInput(o.stdin); err != nil {
		return nil, &stdioError{"stdin", err}
	}
	if s.out, err = openOutput(o.stdout, s.in); err != nil {
		s.close()
		return nil, &stdioError{"stdout", err}
	}
	if fi, serr := os.Stat(o.stderr); serr == nil && sameFile(fi, s.out) {
		s.err = s.out
	} else if s.err, err = openOutput(o.stderr, s.in); err != nil {
		s.close()
		return nil, &stdioError{"stderr", err}
	}
	return s, nil
}

// openInput opens --stdin, refusing what openStdio says.
func openInput(path string) (*os.File, error) {
	return openChecked(path, os.O_RDONLY, func(f *os.File, fi os.FileInfo) error {
		switch {
		case fi.Mode().IsRegular():
		case fi.Mode()&os.ModeCharDevice != 0:
			if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
				return fmt.Errorf("%s is a terminal, which the program could reconfigure (echo off...); "+
					"give it a file: %w", path, errStdio)
			}
		default:
			return fmt.Errorf("%s is not a regular file or a character device (a FIFO, socket or directory): %w",
				path, errStdio)
		}
		return nil
	})
}

// openOutput opens an output, refusing what openStdio says, and only
// then truncates it.
func openOutput(path string, in *os.File) (*os.File, error) {
	return openChecked(path, os.O_WRONLY|os.O_CREATE, func(f *os.File, fi os.FileInfo) error {
		switch {
		case isDevNull(fi):
			return nil
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s is not a regular file or /dev/null: RLIMIT_FSIZE would not bound "+
				"the program's output there: %w", path, errStdio)
		case sameFile(fi, in):
			return fmt.Errorf("%s is the --stdin file, which it would truncate: %w", path, errStdio)
		case sameFile(fi, os.Stdout):
			return fmt.Errorf("%s is cfe-run's own standard output, where the program's output would mix "+
				"with the JSON line: %w", path, errStdio)
		}
		return f.Truncate(0)
	})
}

// openChecked opens path with flag (and 0644 for a file it creates)
// without blocking on a FIFO or a device, lets check refuse what it finds
// open, and returns the fd blocking again (the program inherits its
// flags); on any error nothing stays open.
func openChecked(path string, flag int, check func(*os.File, os.FileInfo) error) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = check(f, fi)
	}
	if err == nil {
		err = clearNonblock(f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// sameFile says whether fi is the same regular file as the open f.
func sameFile(fi os.FileInfo, f *os.File) bool {
	if f == nil || !fi.Mode().IsRegular() {
		return false
	}
	other, err := f.Stat()
	return err == nil && os.SameFile(fi, other)
}

// isDevNull says whether fi is the null device (char 1:3).
func isDevNull(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&os.ModeCharDevice != 0 && unix.Major(uint64(st.Rdev)) == 1 && unix.Minor(uint64(st.Rdev)) == 3
}

func (s *stdio) close() {
	for _, f := range []*os.File{s.in, s.out, s.err} {
		if f != nil {
			f.Close() // a second Close of a shared out/err only returns an error
		}
	}
}

// full says whether f is a regular file of at least n bytes.
func (s *stdio) full(f *os.File, n uint64) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular() && uint64(fi.Size()) >= n
}
