//go:build linux

package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
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
	if err := reachable(dir); err != nil {
		return err
	}
	return chownTree(dir, unprivilegedID, unprivilegedID)
}

// reachable makes sure the database user can enter every folder above
// dir. The one holding dir is Quarry's data directory: it gets the
// search bit for others (they can pass through, not list it), so a data
// directory made with mktemp works. A folder further up that others
// cannot enter is left alone, and the error says what to do.
func reachable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(abs)
	for p := parent; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if p != parent {
				return fmt.Errorf("the database runs as the unprivileged user nobody when Quarry runs as root, "+
					"and nobody cannot enter %s: choose a data directory it can reach (the default for root is "+
					"/var/lib/quarry), or run Quarry as a normal user", p)
			}
			if err := os.Chmod(p, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let the database user into the data directory %s: %w", p, err)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
