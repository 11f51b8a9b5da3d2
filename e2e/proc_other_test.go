//go:build unix && !linux

package e2e

import "syscall"

// processGroup starts a child in its own process group (stopped as a whole).
func processGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
