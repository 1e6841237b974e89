//go:build linux

package forkexec_test

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/cforkexec/cforkexec/go/forkexec"
	"golang.org/x/sys/unix"
)

// deathStarterEnv makes the test binary a starter (see TestMain): it
// starts the probe's sleeper with the signal the variable names (0: none),
// prints its pid and waits to be killed.
const deathStarterEnv = "CFE_TEST_DEATH_STARTER"

// deathStarterIgnoreEnv makes that starter ignore the signal first
// (SIG_IGN, as nohup does with SIGHUP).
const deathStarterIgnoreEnv = "CFE_TEST_DEATH_STARTER_IGNORE"

func deathStarter(sig string) int {
	n, _ := strconv.Atoi(sig)
	if os.Getenv(deathStarterIgnoreEnv) != "" {
		signal.Ignore(syscall.Signal(n))
	}
	child, err := forkexec.StartWith(&forkexec.Runner{Args: []string{probePath, "--sleep", "600000"}, Files: []uintptr{0, 1, 2}}, forkexec.Options{ParentDeathSignal: syscall.Signal(n)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		return 1
	}
	fmt.Println(child.Pid)
	select {}
}

// pidfdRefusedEnv makes the test binary a starter under a seccomp filter
// that answers pidfd_open with EPERM (as a container's profile may), on
// every thread: it starts the probe with a ParentDeathSignal and exits 0
// when StartWith fails naming the option, with a ChildError at location
// 36 and EPERM inside.
const pidfdRefusedEnv = "CFE_TEST_PIDFD_REFUSED"

func pidfdRefusedStarter() int {
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_PIDFD_OPEN},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog))); e != 0 {
		fmt.Fprintln(os.Stderr, "skip: seccomp:", e)
		return 77
	}
	if _, err := unix.PidfdOpen(os.Getpid(), 0); err != unix.EPERM {
		fmt.Fprintln(os.Stderr, "pidfd_open not refused:", err)
		return 2
	}
	r := &forkexec.Runner{Args: []string{probePath, "--exit", "0"}, Files: []uintptr{0, 1, 2}}
	_, err := forkexec.StartWith(r, forkexec.Options{ParentDeathSignal: syscall.SIGKILL, PidFD: true})
	var ce forkexec.ChildError
	if !errors.As(err, &ce) || ce.Location != 36 || ce.Err != syscall.EPERM ||
		!errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "ParentDeathSignal") {
		fmt.Fprintf(os.Stderr, "StartWith: %v (%#v), want an error naming ParentDeathSignal "+
			"wrapping a ChildError at 36 with EPERM\n", err, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "refused as it should be:", err)
	return 0
}
