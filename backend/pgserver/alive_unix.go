//go:build !windows

package pgserver

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// isPostgres reports whether pid is a live PostgreSQL postmaster.
func isPostgres(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		// No procfs (macOS): a live process with the lock file's pid is
		// treated as ours; pg_ctl stop refuses anything else.
		return true
	}
	return strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres")
}
