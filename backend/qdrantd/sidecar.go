package qdrantd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Phase is where the sidecar is in its life.
type Phase string

// Sidecar phases shown to the user.
const (
	Starting   Phase = "starting"
	Ready      Phase = "ready"
	Restarting Phase = "restarting"
	Failed     Phase = "failed"
	Stopped    Phase = "stopped"
)

// State is a snapshot the UI can show.
type State struct {
	Phase    Phase
	PID      int
	Restarts int
	// LastError is the last failure and the tail of Qdrant's log.
	LastError string
}

// Endpoint is how clients reach a vector engine.
type Endpoint struct {
	URL    string // gRPC, e.g. http://127.0.0.1:6334
	APIKey string
}

// Options configure a Sidecar.
type Options struct {
	Binary       string
	StorageDir   string
	SnapshotsDir string
	// RunDir holds the pid file and the rotated log (from locations).
	RunDir string
	Logger *slog.Logger
	// OnState is called on every phase change; it must not block.
	OnState func(State)

	ReadyTimeout time.Duration // default 60s
	StopTimeout  time.Duration // interrupt → kill, default 5s
	// MaxFailures consecutive failed runs before giving up (default 5). A
	// run that stayed ready for StableAfter (default 1m) resets the count.
	MaxFailures int
	StableAfter time.Duration
	BackoffBase time.Duration // default 500ms, doubling
	BackoffMax  time.Duration // default 30s
}

// Sidecar supervises one Qdrant process. Serve owns the process and every
// goroutine it starts.
type Sidecar struct {
	opts     Options
	log      *slog.Logger
	settings Settings
	tail     *tailBuffer

	mu    sync.Mutex
	state State
	ready chan struct{} // closed at the first readiness
	once  sync.Once
}

// NewSidecar picks free loopback ports and a random API key; they stay the
// same across restarts so clients keep their endpoint.
func NewSidecar(opts Options) (*Sidecar, error) {
	if opts.Binary == "" || opts.StorageDir == "" || opts.RunDir == "" {
		return nil, errors.New("new qdrant sidecar: binary, storage and run dirs are required")
	}
	if opts.SnapshotsDir == "" {
		opts.SnapshotsDir = filepath.Join(opts.StorageDir, "snapshots")
	}
	setDefault(&opts.ReadyTimeout, 60*time.Second)
	setDefault(&opts.StopTimeout, 5*time.Second)
	setDefault(&opts.StableAfter, time.Minute)
	setDefault(&opts.BackoffBase, 500*time.Millisecond)
	setDefault(&opts.BackoffMax, 30*time.Second)
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("new qdrant sidecar: %w", err)
	}
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("new qdrant sidecar: api key: %w", err)
	}
	return &Sidecar{
		opts: opts,
		log:  opts.Logger.With("component", "qdrantd"),
		settings: Settings{
			Binary:       opts.Binary,
			StorageDir:   opts.StorageDir,
			SnapshotsDir: opts.SnapshotsDir,
			HTTPPort:     ports[0],
			GRPCPort:     ports[1],
			APIKey:       hex.EncodeToString(key),
		},
		tail:  newTailBuffer(40),
		state: State{Phase: Stopped},
		ready: make(chan struct{}),
	}, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// freePorts asks the OS for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Endpoint is where the sidecar serves gRPC.
func (s *Sidecar) Endpoint() Endpoint {
	return Endpoint{URL: "http://127.0.0.1:" + strconv.Itoa(s.settings.GRPCPort), APIKey: s.settings.APIKey}
}

// Ready is closed once Qdrant first answers its readiness probe.
func (s *Sidecar) Ready() <-chan struct{} { return s.ready }

// State returns the current state.
func (s *Sidecar) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

func (s *Sidecar) setState(update func(*State)) {
	s.mu.Lock()
	update(&s.state)
	st := s.state
	s.mu.Unlock()
	s.log.Info("qdrant state", "phase", st.Phase, "pid", st.PID, "restarts", st.Restarts)
	if s.opts.OnState != nil {
		s.opts.OnState(st)
	}
}

func (s *Sidecar) pidFile() string { return filepath.Join(s.opts.RunDir, "qdrant.pid") }

// Serve runs Qdrant until ctx is cancelled, restarting it with backoff when
// it dies. It returns nil after a clean stop and ErrGaveUp (state Failed)
// after MaxFailures consecutive failures.
func (s *Sidecar) Serve(ctx context.Context) error {
	for _, d := range []string{s.opts.RunDir, s.opts.StorageDir, s.opts.SnapshotsDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("serve qdrant: %w", err)
		}
	}
	s.cleanStale()
	failures := 0
	for restarts := 0; ; restarts++ {
		s.setState(func(st *State) { st.Phase, st.Restarts = Starting, restarts })
		stable, err := s.runOnce(ctx)
		if ctx.Err() != nil {
			s.setState(func(st *State) { st.Phase, st.PID = Stopped, 0 })
			return nil
		}
		if stable {
			failures = 0
		}
		failures++
		msg := fmt.Sprintf("qdrant exited: %v", err)
		if t := s.tail.String(); t != "" {
			msg += "\n" + t
		}
		s.log.Warn("qdrant exited", "err", err, "failures", failures)
		if failures >= s.opts.MaxFailures {
			s.setState(func(st *State) { st.Phase, st.PID, st.LastError = Failed, 0, msg })
			return fmt.Errorf("serve qdrant after %d failures: %w: %v", failures, ErrGaveUp, err)
		}
		s.setState(func(st *State) { st.Phase, st.PID, st.LastError = Restarting, 0, msg })
		delay := min(s.opts.BackoffBase<<(failures-1), s.opts.BackoffMax)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			s.setState(func(st *State) { st.Phase = Stopped })
			return nil
		case <-t.C:
		}
	}
}

// runOnce starts Qdrant, waits for readiness and then for the process to
// exit or ctx to end (graceful stop). stable reports that it stayed ready
// for StableAfter.
func (s *Sidecar) runOnce(ctx context.Context) (stable bool, err error) {
	logFile, err := openRotatedLog(filepath.Join(s.opts.RunDir, "qdrant.log"), 10<<20)
	if err != nil {
		return false, err
	}
	defer logFile.Close()
	argv, env := Command(s.settings, os.Environ())
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = s.opts.StorageDir // Qdrant reads ./config; keep it away from ours
	out := io.MultiWriter(logFile, s.tail)
	cmd.Stdout, cmd.Stderr = out, out
	prepareCmd(cmd)
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("start %s: %w", argv[0], err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(s.pidFile(), []byte(strconv.Itoa(pid)+"\n"+argv[0]+"\n"), 0o600); err != nil {
		s.log.Warn("write qdrant pid file", "err", err)
	}
	defer os.Remove(s.pidFile())
	s.setState(func(st *State) { st.PID = pid })

	exited := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { exited <- cmd.Wait() })
	defer wg.Wait()

	if err := s.waitReady(ctx, exited); err != nil {
		var early *exitedEarly
		if errors.As(err, &early) {
			return false, fmt.Errorf("exited before ready: %w", early.err)
		}
		s.stop(cmd, exited)
		return false, err
	}
	readyAt := time.Now()
	s.setState(func(st *State) { st.Phase, st.LastError = Ready, "" })
	s.once.Do(func() { close(s.ready) })

	select {
	case err := <-exited:
		if err == nil {
			err = errors.New("exited with status 0")
		}
		return time.Since(readyAt) >= s.opts.StableAfter, err
	case <-ctx.Done():
		s.stop(cmd, exited)
		return true, ctx.Err()
	}
}

// exitedEarly is the process's exit status when it died before ready.
type exitedEarly struct{ err error }

func (e *exitedEarly) Error() string { return fmt.Sprintf("exited before ready: %v", e.err) }

// waitReady polls GET /readyz with short per-poll timeouts until it answers
// 200, the process exits, ctx ends or ReadyTimeout passes.
func (s *Sidecar) waitReady(ctx context.Context, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(s.settings.HTTPPort) + "/readyz"
	client := &http.Client{Timeout: time.Second}
	delay := 25 * time.Millisecond
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("api-key", s.settings.APIKey)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		t := time.NewTimer(delay)
		select {
		case err := <-exited:
			t.Stop()
			return &exitedEarly{err: err}
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for qdrant readiness: %w: %w", ErrNotStarted, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// stop interrupts Qdrant, waits StopTimeout, then kills it.
func (s *Sidecar) stop(cmd *exec.Cmd, exited <-chan error) {
	if err := interrupt(cmd.Process); err != nil {
		_ = cmd.Process.Kill()
	}
	t := time.NewTimer(s.opts.StopTimeout)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		s.log.Warn("qdrant did not stop in time; killing it", "pid", cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-exited
	}
}

// cleanStale stops a Qdrant left running by a crashed Quarry: the pid file
// names it, and it is only killed if that pid still runs the same binary.
func (s *Sidecar) cleanStale() {
	b, err := os.ReadFile(s.pidFile())
	if err != nil {
		return
	}
	defer os.Remove(s.pidFile())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 || len(lines) < 2 {
		return
	}
	if !runsBinary(pid, lines[1]) {
		return
	}
	s.log.Warn("stopping stale qdrant from a previous run", "pid", pid)
	p, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	_ = interrupt(p)
	deadline := time.Now().Add(s.opts.StopTimeout)
	for time.Now().Before(deadline) && runsBinary(pid, lines[1]) {
		time.Sleep(50 * time.Millisecond)
	}
	if runsBinary(pid, lines[1]) {
		_ = p.Kill()
	}
}
