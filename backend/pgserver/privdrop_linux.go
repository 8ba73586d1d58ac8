//go:build linux

package pgserver

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// unprivilegedID is the uid/gid ("nobody") PostgreSQL runs as when Quarry
// itself runs as root: initdb and postgres refuse to run as root.
const unprivilegedID = 65534

var privMu sync.Mutex

// asDatabaseUser runs fn with the effective uid/gid dropped to nobody when
// the process is root, and restores them after. Child processes started by
// fn inherit the unprivileged ids. On Linux, Go applies set*id calls to
// every thread, so the window is kept as short as the work inside it.
func asDatabaseUser(fn func() error) error {
	if os.Geteuid() != 0 {
		return fn()
	}
	privMu.Lock()
	defer privMu.Unlock()
	if err := syscall.Setresgid(unprivilegedID, unprivilegedID, 0); err != nil {
		return fmt.Errorf("drop group privileges: %w", err)
	}
	if err := syscall.Setresuid(unprivilegedID, unprivilegedID, 0); err != nil {
		_ = syscall.Setresgid(0, 0, 0)
		return fmt.Errorf("drop user privileges: %w", err)
	}
	defer func() {
		// Restoring can only fail if the saved ids were lost, which would
		// leave the process in a state nothing else can reason about.
		if err := syscall.Setresuid(0, 0, 0); err != nil {
			panic(fmt.Sprintf("restore user privileges: %v", err))
		}
		if err := syscall.Setresgid(0, 0, 0); err != nil {
			panic(fmt.Sprintf("restore group privileges: %v", err))
		}
	}()
	return fn()
}

// chownForDatabaseUser hands dir (recursively) to the unprivileged user
// when running as root, so that PostgreSQL can own its files.
func chownForDatabaseUser(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return chownTree(dir, unprivilegedID, unprivilegedID)
}
