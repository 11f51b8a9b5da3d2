//go:build linux

package e2e

import "syscall"

// processGroup starts a child in its own process group (stopped as a whole),
// killed by the kernel if this test binary dies first (a -timeout panic), so
// no server outlives the run.
func processGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
