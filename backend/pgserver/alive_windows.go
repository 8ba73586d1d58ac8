package pgserver

import "os"

// isPostgres reports whether pid is a live process; pg_ctl stop refuses
// anything that is not the cluster's postmaster.
func isPostgres(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
