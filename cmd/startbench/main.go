// Command startbench measures Quarry's start-up: cold (a new data
// directory, so the database cluster is created) and warm (the same
// directory again), from process start to the "serving" line, and the
// resident memory of the app and its database once idle.
//
//	go run ./cmd/startbench -bin build/bin/quarry -n 5
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "build/bin/quarry", "the app binary")
	n := flag.Int("n", 5, "runs of each kind")
	flag.Parse()
	if err := run(*bin, *n); err != nil {
		fmt.Fprintln(os.Stderr, "startbench:", err)
		os.Exit(1)
	}
}

func run(bin string, n int) error {
	base, err := os.MkdirTemp("", "quarry-startbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil {
		return err
	}
	var cold, warm []time.Duration
	var rss []int64
	for i := range n {
		dir := filepath.Join(base, fmt.Sprintf("run%d", i))
		d, _, err := startOnce(bin, dir, false)
		if err != nil {
			return fmt.Errorf("cold run %d: %w", i, err)
		}
		cold = append(cold, d)
		d, r, err := startOnce(bin, dir, true)
		if err != nil {
			return fmt.Errorf("warm run %d: %w", i, err)
		}
		warm = append(warm, d)
		rss = append(rss, r)
	}
	fmt.Printf("start to ready, cold (new cluster): median %v  (runs %v)\n", median(cold), cold)
	fmt.Printf("start to ready, warm:               median %v  (runs %v)\n", median(warm), warm)
	slices.Sort(rss)
	fmt.Printf("idle RSS after 3 s, app + PostgreSQL: median %.1f MiB\n", float64(rss[len(rss)/2])/(1<<20))
	return nil
}

// startOnce starts the app, waits for its "serving" line, optionally
// measures idle memory, and stops it with SIGINT.
func startOnce(bin, dir string, measure bool) (time.Duration, int64, error) {
	cmd := exec.Command(bin, "--serve", "127.0.0.1:0", "--data-dir", dir)
	cmd.Env = append(os.Environ(), "QUARRY_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	ready := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "quarry: serving ") {
				ready <- time.Since(t0)
			}
		}
		close(ready)
	}()
	var took time.Duration
	select {
	case d, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			return 0, 0, fmt.Errorf("app exited before it was ready")
		}
		took = d
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return 0, 0, fmt.Errorf("not ready after 2 minutes")
	}
	var rss int64
	if measure {
		time.Sleep(3 * time.Second)
		rss = rssOf(cmd.Process.Pid) + rssMatching(filepath.Join(dir, "postgres"))
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("app did not exit cleanly: %w", err)
	}
	return took, rss, nil
}

func rssOf(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// rssMatching sums the memory of the postmaster whose command line names
// dir and of all its children (the database's backends and workers).
func rssMatching(dir string) int64 {
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	var roots []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
			f := strings.Fields(string(stat)[i+1:])
			if len(f) > 1 {
				parent[pid], _ = strconv.Atoi(f[1])
			}
		}
		cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cl), dir) && strings.Contains(string(cl), "postgres") {
			roots = append(roots, pid)
		}
	}
	in := map[int]bool{}
	for _, r := range roots {
		in[r] = true
	}
	for changed := true; changed; {
		changed = false
		for pid, pp := range parent {
			if !in[pid] && in[pp] {
				in[pid], changed = true, true
			}
		}
	}
	var sum int64
	for pid := range in {
		sum += rssOf(pid)
	}
	return sum
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}
