// Package pgserver runs Quarry's embedded PostgreSQL: a private cluster in
// the app-data directory, on a free loopback port, started and stopped
// with the app. It refuses anything that could lose user data.
package pgserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// ErrVersionMismatch means the data directory belongs to another
// PostgreSQL major version than the binaries at hand.
var ErrVersionMismatch = errors.New("postgres data directory version mismatch")

// ErrForeignDataDir means the data directory holds files that are not a
// PostgreSQL cluster; Quarry will not touch them.
var ErrForeignDataDir = errors.New("postgres data directory is not a cluster")

const (
	dbName = "quarry"
	dbUser = "quarry"
)

// Config describes one embedded cluster.
type Config struct {
	// Binaries is a PostgreSQL installation (bin/, lib/, share/).
	Binaries string
	// Dir is owned by the server: data/, run/ and the password live here.
	Dir string
	// Port to listen on, 127.0.0.1 only; 0 picks a free one.
	Port int
	// StartTimeout bounds the wait for the server to accept connections.
	StartTimeout time.Duration
	// Output receives PostgreSQL's own log.
	Output io.Writer
	Logger *slog.Logger
}

// Server is one embedded PostgreSQL cluster.
type Server struct {
	cfg      Config
	ep       *embeddedpostgres.EmbeddedPostgres
	port     int
	password string
	version  string
}

// New checks the configuration; nothing starts until Start.
func New(cfg Config) (*Server, error) {
	if cfg.Binaries == "" || cfg.Dir == "" {
		return nil, errors.New("pgserver: Binaries and Dir are required")
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	if cfg.Output == nil {
		cfg.Output = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg}, nil
}

func (s *Server) dataDir() string    { return filepath.Join(s.cfg.Dir, "data") }
func (s *Server) runtimeDir() string { return filepath.Join(s.cfg.Dir, "run") }

// Start brings the cluster up, creating it on first use.
func (s *Server) Start() error {
	major, full, err := BinaryVersion(s.cfg.Binaries)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.version = full
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	if err := s.checkDataDir(major); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	// PostgreSQL refuses a cluster readable by others, as a copy or a
	// restore from backup may leave it.
	if st, err := os.Stat(s.dataDir()); err == nil && st.Mode().Perm()&0o027 != 0 {
		if err := os.Chmod(s.dataDir(), 0o700); err != nil {
			return fmt.Errorf("start postgres: restrict %s: %w", s.dataDir(), err)
		}
	}
	if err := s.loadPassword(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	if err := chownForDatabaseUser(s.cfg.Dir); err != nil {
		return fmt.Errorf("start postgres: hand data directory to database user: %w", err)
	}
	if err := s.stopStale(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	port := s.cfg.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return fmt.Errorf("start postgres: %w", err)
		}
	}
	s.port = port
	conf := embeddedpostgres.DefaultConfig().
		Version(embeddedpostgres.PostgresVersion(fmt.Sprintf("%d.0.0", major))).
		Port(uint32(port)).
		Database(dbName).
		Username(dbUser).
		Password(s.password).
		BinariesPath(s.cfg.Binaries).
		DataPath(s.dataDir()).
		RuntimePath(s.runtimeDir()).
		Locale("C").
		Encoding("UTF8").
		StartTimeout(s.cfg.StartTimeout).
		Logger(s.cfg.Output).
		StartParameters(map[string]string{
			"listen_addresses":        "127.0.0.1",
			"unix_socket_directories": "",
			"max_connections":         "64",
		})
	s.ep = embeddedpostgres.NewDatabase(conf)
	t0 := time.Now()
	if err := asDatabaseUser(s.ep.Start); err != nil {
		s.ep = nil
		return fmt.Errorf("start postgres %s: %w", full, err)
	}
	s.cfg.Logger.Info("postgres started", "version", full, "port", port, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// Stop shuts the cluster down (fast shutdown: sessions end, data is safe).
func (s *Server) Stop() error {
	if s.ep == nil {
		return nil
	}
	err := asDatabaseUser(s.ep.Stop)
	s.ep = nil
	if err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	return nil
}

// URL is the connection string for the running cluster.
func (s *Server) URL() string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(dbUser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + dbName,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Version is the server's PostgreSQL version, e.g. "18.4".
func (s *Server) Version() string { return s.version }

// checkDataDir refuses a cluster of another major version and a directory
// that is not a cluster: the launcher library would delete either and
// initialise afresh.
func (s *Server) checkDataDir(major int) error {
	dir := s.dataDir()
	raw, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err == nil {
		have := strings.TrimSpace(string(raw))
		if have != strconv.Itoa(major) {
			return fmt.Errorf("%w: %s was created by PostgreSQL %s but the binaries in %s are PostgreSQL %d; "+
				"Quarry does not delete your data: point %s at PostgreSQL %s binaries, or upgrade the cluster with pg_upgrade",
				ErrVersionMismatch, dir, have, s.cfg.Binaries, major, EnvBinaries, have)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", filepath.Join(dir, "PG_VERSION"), err)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%w: %s is not empty but has no PG_VERSION; move its contents away", ErrForeignDataDir, dir)
	}
	return nil
}

// loadPassword reads the cluster's password, making one for a new cluster.
func (s *Server) loadPassword() error {
	p := filepath.Join(s.cfg.Dir, "password")
	raw, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(raw))) > 0 {
		s.password = strings.TrimSpace(string(raw))
		return nil
	}
	if _, statErr := os.Stat(filepath.Join(s.dataDir(), "PG_VERSION")); statErr == nil {
		return fmt.Errorf("cluster %s exists but its password file %s is missing", s.dataDir(), p)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("generate password: %w", err)
	}
	s.password = hex.EncodeToString(b)
	if err := os.WriteFile(p, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password: %w", err)
	}
	return nil
}

// stopStale deals with a postmaster.pid left by a crash: a still-running
// server of ours is stopped, a dead one's lock file is removed.
func (s *Server) stopStale() error {
	pidFile := filepath.Join(s.dataDir(), "postmaster.pid")
	raw, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", pidFile, err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		s.cfg.Logger.Warn("removing unreadable postgres lock file", "path", pidFile)
		return os.Remove(pidFile)
	}
	if !isPostgres(pid) {
		s.cfg.Logger.Warn("removing stale postgres lock file", "path", pidFile, "pid", pid)
		return os.Remove(pidFile)
	}
	s.cfg.Logger.Warn("stopping postgres left running by an earlier crash", "pid", pid)
	cmd := exec.Command(filepath.Join(s.cfg.Binaries, "bin", "pg_ctl"), "stop", "-D", s.dataDir(), "-m", "fast", "-w", "-t", "30")
	cmd.Stdout, cmd.Stderr = s.cfg.Output, s.cfg.Output
	if err := asDatabaseUser(cmd.Run); err != nil {
		return fmt.Errorf("stop stale postgres (pid %d): %w", pid, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
