//go:build !linux

package testenv

import "testing"

// Unprivileged runs fn; only Linux tests run as root.
func Unprivileged(t testing.TB, dir string, fn func()) bool {
	t.Helper()
	fn()
	return true
}
