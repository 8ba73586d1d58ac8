//go:build linux

package testenv

import (
	"os"
	"syscall"
	"testing"
)

// Unprivileged runs fn with the effective uid/gid of nobody when the
// tests run as root, so that permission errors (an unreadable folder) can
// be produced for real. dir and its parents are made traversable. It
// reports false, and runs nothing, when the switch is impossible.
func Unprivileged(t testing.TB, dir string, fn func()) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		fn()
		return true
	}
	makeTraversable(dir)
	if err := syscall.Setresgid(65534, 65534, 0); err != nil {
		return false
	}
	if err := syscall.Setresuid(65534, 65534, 0); err != nil {
		_ = syscall.Setresgid(0, 0, 0)
		return false
	}
	defer func() {
		if err := syscall.Setresuid(0, 0, 0); err != nil {
			panic(err)
		}
		if err := syscall.Setresgid(0, 0, 0); err != nil {
			panic(err)
		}
	}()
	fn()
	return true
}
