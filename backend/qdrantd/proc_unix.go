//go:build unix

package qdrantd

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// prepareCmd puts Qdrant in its own process group so a Ctrl-C in Quarry's
// terminal does not reach it before the supervisor's ordered stop.
func prepareCmd(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func interrupt(p *os.Process) error { return p.Signal(os.Interrupt) }

// runsBinary reports whether pid is alive and running the executable at
// path (by /proc on Linux, by ps elsewhere), so a recycled pid is never
// killed.
func runsBinary(pid int, path string) bool {
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	if runtime.GOOS == "linux" {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil {
			return false
		}
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			// A zombie (state Z) has exited; only its parent can reap it.
			if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
				return false
			}
		}
		want, err := filepath.EvalSymlinks(path)
		if err != nil {
			want = path
		}
		return strings.TrimSuffix(exe, " (deleted)") == want
	}
	out, err := exec.Command("ps", "-p", strconv.Itoa(pid), "-o", "comm=").Output()
	if err != nil {
		return false
	}
	return filepath.Base(strings.TrimSpace(string(out))) == filepath.Base(path)
}
