// Package testenv gives tests the real parts Quarry runs on: one embedded
// PostgreSQL per test binary, with a fresh database per test. Nothing here
// is a mock.
//
// A missing part skips the test, unless QUARRY_REQUIRE_ALL=1 (set by CI),
// where it fails it.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/qdrant/standin"
	"github.com/quarry-search/quarry/backend/store"
)

// EnvRequireAll turns every missing real part into a failure.
const EnvRequireAll = fixtures.EnvRequireAll

// EnvDatabaseURL points tests at an external PostgreSQL server instead of
// the embedded one; the user must be allowed to create databases.
const EnvDatabaseURL = "QUARRY_TEST_DATABASE_URL"

const templateDB = "quarry_test_template"

// RequireAll reports whether missing real parts must fail tests.
func RequireAll() bool { return fixtures.RequireAll() }

// Missing skips t because a real part is absent, or fails it under
// QUARRY_REQUIRE_ALL=1.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	fixtures.Missing(t, format, args...)
}

var pg struct {
	once     sync.Once
	server   *pgserver.Server
	dir      string
	adminURL string
	err      error
}

// Main runs a package's tests and stops the real parts afterwards. Use it
// as the body of TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if pg.server != nil {
		if err := pg.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: stop postgres:", err)
		}
	}
	if pg.dir != "" {
		_ = os.RemoveAll(pg.dir)
	}
	if miniLM.dir != "" {
		_ = os.RemoveAll(miniLM.dir)
	}
	os.Exit(code)
}

func startPostgres() {
	if u := os.Getenv(EnvDatabaseURL); u != "" {
		pg.adminURL = u
	} else {
		bin, err := pgserver.ResolveBinaries(os.Getenv(pgserver.EnvBinaries))
		if err != nil {
			pg.err = err
			return
		}
		dir, err := os.MkdirTemp("", "quarry-pg-")
		if err != nil {
			pg.err = err
			return
		}
		// The database user (nobody, when tests run as root) must reach it.
		if err := os.Chmod(dir, 0o755); err != nil {
			pg.err = err
			return
		}
		pg.dir = dir
		logf, err := os.Create(filepath.Join(dir, "postgres.log"))
		if err != nil {
			pg.err = err
			return
		}
		srv, err := pgserver.New(pgserver.Config{
			Binaries:     bin,
			Dir:          filepath.Join(dir, "cluster"),
			StartTimeout: 90 * time.Second,
			Output:       logf,
		})
		if err != nil {
			pg.err = err
			return
		}
		if err := srv.Start(); err != nil {
			pg.err = err
			return
		}
		pg.server = srv
		pg.adminURL = srv.URL()
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.adminURL)
	if err != nil {
		pg.err = fmt.Errorf("connect: %w", err)
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+templateDB+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+templateDB); err != nil {
		pg.err = fmt.Errorf("create template database: %w", err)
		return
	}
	if err := store.Migrate(withDatabase(pg.adminURL, templateDB)); err != nil {
		pg.err = fmt.Errorf("migrate template database: %w", err)
	}
}

// PostgresVersion reports the test server's binaries version, or "" for
// an external server.
func PostgresVersion(t testing.TB) string {
	t.Helper()
	ensurePostgres(t)
	if pg.server == nil {
		return ""
	}
	return pg.server.Version()
}

func ensurePostgres(t testing.TB) {
	t.Helper()
	pg.once.Do(startPostgres)
	if pg.err != nil {
		Missing(t, "PostgreSQL: %v", pg.err)
	}
}

// Database returns the URL of a new, fully migrated database that lives
// as long as the test.
func Database(t testing.TB) string {
	t.Helper()
	return newDatabase(t, templateDB)
}

// EmptyDatabase returns the URL of a new database with no schema at all.
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "template0")
}

func newDatabase(t testing.TB, template string) string {
	t.Helper()
	ensurePostgres(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.adminURL)
	if err != nil {
		t.Fatalf("connect to test postgres: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		c, err := pgx.Connect(ctx, pg.adminURL)
		if err != nil {
			t.Errorf("connect to drop test database: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return withDatabase(pg.adminURL, name)
}

// ReachableDir returns a new temporary directory that the unprivileged
// database user (nobody, when tests run as root) can traverse, like the
// data directories Quarry gives PostgreSQL.
func ReachableDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	makeTraversable(dir)
	return dir
}

// makeTraversable lets others traverse dir and each of its parents.
func makeTraversable(dir string) {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o005 != 0o005 {
			_ = os.Chmod(d, st.Mode().Perm()|0o005)
		}
	}
}

// Store opens a store on a fresh migrated database.
func Store(t testing.TB) *store.Store {
	t.Helper()
	u := Database(t)
	s, err := store.Open(context.Background(), u, Logger(t))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Logger writes to the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	return u.String()
}

// Vectors returns a client of a vector engine private to the test: the
// real Qdrant at QUARRY_TEST_QDRANT_URL when set (collections are named
// uniquely by the caller), else the in-process stand-in over real gRPC.
func Vectors(t testing.TB) *qdrant.Client {
	t.Helper()
	url, key := os.Getenv("QUARRY_TEST_QDRANT_URL"), os.Getenv("QUARRY_TEST_QDRANT_API_KEY")
	if url == "" {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := standin.New(standin.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(ctx, lis) }()
		t.Cleanup(func() { cancel(); <-done })
		url = "http://" + lis.Addr().String()
	}
	c, err := qdrant.New(qdrant.Config{URL: url, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// SharedDir is the project's shared data folder (models, datasets):
// $QUARRY_SHARED_DIR, else ../shared beside the repository root.
func SharedDir(t testing.TB) string {
	t.Helper()
	return fixtures.Dir(t)
}

var miniLM struct {
	once sync.Once
	dir  string
	err  error
}

// ModelsDir returns a models folder (shared by the test binary) holding
// all-MiniLM-L6-v2 with its real tokenizer and the synthetic int8 weights
// of the same architecture: the real cost and the real pipeline, with
// vectors that carry no meaning.
func ModelsDir(t testing.TB) string {
	t.Helper()
	shared := SharedDir(t)
	miniLM.once.Do(func() {
		tok := filepath.Join(shared, "models", "all-MiniLM-L6-v2")
		weights := filepath.Join(shared, "models", "synthetic-minilm-l6-int8")
		for _, d := range []string{tok, weights} {
			if _, err := os.Stat(d); err != nil {
				miniLM.err = err
				return
			}
		}
		dir, err := os.MkdirTemp("", "quarry-models-")
		if err != nil {
			miniLM.err = err
			return
		}
		m, _ := models.Lookup("all-MiniLM-L6-v2")
		_, miniLM.err = models.ImportFolders(context.Background(), m, models.VariantInt8,
			[]string{tok, weights}, filepath.Join(dir, m.Name), true, nil)
		miniLM.dir = dir
	})
	if miniLM.err != nil {
		Missing(t, "test model from %s: %v", shared, miniLM.err)
	}
	return miniLM.dir
}
