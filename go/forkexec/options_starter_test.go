//go:build linux

package forkexec_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/cforkexec/cforkexec/go/forkexec"
)

// deathStarterEnv makes the test binary a starter (see TestMain): it
// starts the probe's sleeper with the signal the variable names (0: none),
// prints its pid and waits to be killed.
const deathStarterEnv = "CFE_TEST_DEATH_STARTER"

func deathStarter(sig string) int {
	n, _ := strconv.Atoi(sig)
	child, err := forkexec.StartWith(&forkexec.Runner{Args: []string{probePath, "--sleep", "600000"}, Files: []uintptr{0, 1, 2}}, forkexec.Options{ParentDeathSignal: syscall.Signal(n)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		return 1
	}
	fmt.Println(child.Pid)
	select {}
}
