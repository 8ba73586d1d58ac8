package qdrantd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/qdrant"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// standinBinary builds cmd/qdrant-standin once per test binary: the child
// process the supervisor runs in place of Qdrant.
func standinBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a child process; skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("process tests use unix signals")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "qdrantd-test-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "qdrant")
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("find the go command: %w", err)
			return
		}
		out, err := exec.Command(goBin, "build", "-o", buildPath,
			"github.com/quarry-search/quarry/cmd/qdrant-standin").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build qdrant-standin: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// states records every state the sidecar reports.
type states struct {
	mu   sync.Mutex
	all  []State
	wake chan struct{}
}

func newStates() *states { return &states{wake: make(chan struct{}, 1)} }

func (s *states) record(st State) {
	s.mu.Lock()
	s.all = append(s.all, st)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// waitFor blocks until a recorded state satisfies ok, or the test context
// ends (the go test -timeout bounds it).
func (s *states) waitFor(t *testing.T, what string, ok func(State) bool) State {
	t.Helper()
	for {
		s.mu.Lock()
		for _, st := range s.all {
			if ok(st) {
				s.mu.Unlock()
				return st
			}
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-t.Context().Done():
			t.Fatalf("never saw %s; states: %+v", what, s.all)
		}
	}
}

func testOptions(t *testing.T, bin string, rec *states) Options {
	dir := t.TempDir()
	return Options{
		Binary:      bin,
		StorageDir:  filepath.Join(dir, "storage"),
		RunDir:      filepath.Join(dir, "run"),
		OnState:     rec.record,
		BackoffBase: 10 * time.Millisecond,
		BackoffMax:  50 * time.Millisecond,
		StopTimeout: 5 * time.Second,
	}
}

// serve runs sc.Serve in the background; the returned stop cancels it and
// returns Serve's error.
func serve(t *testing.T, sc *Sidecar) (stop func() error) {
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var err error
	wg.Go(func() { err = sc.Serve(ctx) })
	var once sync.Once
	stop = func() error {
		once.Do(func() { cancel(); wg.Wait() })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil && runsBinary(pid, buildPath)
}

func TestSidecarLifecycle(t *testing.T) {
	bin := standinBinary(t)
	rec := newStates()
	sc, err := NewSidecar(testOptions(t, bin, rec))
	if err != nil {
		t.Fatal(err)
	}
	stop := serve(t, sc)

	t.Run("becomes ready and serves the client", func(t *testing.T) {
		<-sc.Ready()
		c, err := qdrant.New(qdrant.Config{URL: sc.Endpoint().URL, APIKey: sc.Endpoint().APIKey})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.ListCollections(t.Context()); err != nil {
			t.Errorf("ListCollections with the sidecar's key: %v", err)
		}
		bad, _ := qdrant.New(qdrant.Config{URL: sc.Endpoint().URL, APIKey: "wrong"})
		defer bad.Close()
		if _, err := bad.ListCollections(t.Context()); !errors.Is(err, qdrant.ErrUnauthorized) {
			t.Errorf("ListCollections with a wrong key err = %v; want ErrUnauthorized", err)
		}
		if _, err := os.Stat(filepath.Join(sc.opts.RunDir, "qdrant.pid")); err != nil {
			t.Errorf("pid file: %v", err)
		}
	})

	first := sc.State().PID
	t.Run("restarts after a crash", func(t *testing.T) {
		if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
			t.Fatalf("kill child: %v", err)
		}
		st := rec.waitFor(t, "ready after restart", func(s State) bool { return s.Phase == Ready && s.PID != first && s.PID != 0 })
		if st.Restarts != 1 {
			t.Errorf("Restarts = %d; want 1", st.Restarts)
		}
		rec.waitFor(t, "restarting with the crash reason", func(s State) bool {
			return s.Phase == Restarting && strings.Contains(s.LastError, "killed")
		})
		if alive(first) {
			t.Errorf("crashed pid %d still alive", first)
		}
	})

	t.Run("stops gracefully", func(t *testing.T) {
		pid := sc.State().PID
		if err := stop(); err != nil {
			t.Errorf("Serve returned %v; want nil after cancel", err)
		}
		if st := sc.State(); st.Phase != Stopped {
			t.Errorf("phase = %s; want stopped", st.Phase)
		}
		if alive(pid) {
			t.Errorf("pid %d still alive after stop", pid)
		}
		if _, err := os.Stat(filepath.Join(sc.opts.RunDir, "qdrant.pid")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("pid file left after stop: %v", err)
		}
		log, _ := os.ReadFile(filepath.Join(sc.opts.RunDir, "qdrant.log"))
		if !strings.Contains(string(log), "qdrant stand-in stopped") {
			t.Errorf("log lacks the child's clean shutdown line:\n%s", log)
		}
	})
}

func TestSidecarGivesUp(t *testing.T) {
	standinBinary(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "qdrant")
	if err := os.WriteFile(broken, []byte("#!/bin/sh\necho 'panic: storage is corrupt' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec := newStates()
	opts := testOptions(t, broken, rec)
	opts.MaxFailures = 3
	sc, err := NewSidecar(opts)
	if err != nil {
		t.Fatal(err)
	}
	err = sc.Serve(t.Context())
	if !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Serve err = %v; want ErrGaveUp", err)
	}
	st := sc.State()
	if st.Phase != Failed || st.Restarts != 2 || !strings.Contains(st.LastError, "storage is corrupt") || !strings.Contains(st.LastError, "exit status 3") {
		t.Errorf("final state = %+v; want failed after 2 restarts with the child's last words", st)
	}
}

func TestSidecarCleansStaleProcess(t *testing.T) {
	bin := standinBinary(t)
	rec := newStates()
	opts := testOptions(t, bin, rec)
	// A Qdrant left behind by a crashed Quarry, with its pid file.
	ports, err := freePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	argv, env := Command(Settings{Binary: bin, StorageDir: opts.StorageDir, SnapshotsDir: opts.StorageDir, HTTPPort: ports[0], GRPCPort: ports[1]}, os.Environ())
	stale := exec.Command(argv[0], argv[1:]...)
	stale.Env = env
	if err := stale.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	exited := make(chan error, 1)
	wg.Go(func() { exited <- stale.Wait() })
	t.Cleanup(func() { _ = stale.Process.Kill(); wg.Wait() })
	if err := os.MkdirAll(opts.RunDir, 0o700); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(opts.RunDir, "qdrant.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(stale.Process.Pid)+"\n"+bin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	sc, err := NewSidecar(opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := serve(t, sc)
	select {
	case <-exited:
	case <-t.Context().Done():
		t.Fatal("stale process was not stopped")
	}
	<-sc.Ready()
	if pid := sc.State().PID; pid == stale.Process.Pid || pid == 0 {
		t.Errorf("new pid = %d; want a fresh process", pid)
	}
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func TestStaleFileForAnotherProgramIsIgnored(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix only")
	}
	// Our own pid runs the test binary, not qdrant: never kill it.
	if runsBinary(os.Getpid(), "/usr/bin/qdrant") {
		t.Errorf("runsBinary matched the test process against qdrant")
	}
	exe, _ := os.Executable()
	if !runsBinary(os.Getpid(), exe) {
		t.Errorf("runsBinary did not recognise the test process's own binary")
	}
}
