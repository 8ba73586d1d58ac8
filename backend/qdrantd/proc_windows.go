//go:build windows

package qdrantd

import (
	"os"
	"os/exec"
)

func prepareCmd(*exec.Cmd) {}

// interrupt cannot signal a console process on Windows; the caller kills.
func interrupt(p *os.Process) error { return p.Kill() }

// runsBinary is conservative on Windows: without a reliable identity check
// a stale pid is left alone (its random ports do not collide with ours).
func runsBinary(int, string) bool { return false }
