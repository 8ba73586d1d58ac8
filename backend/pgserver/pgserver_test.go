package pgserver_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/testenv"
)

func binaries(t *testing.T) string {
	t.Helper()
	bin, err := pgserver.ResolveBinaries(os.Getenv(pgserver.EnvBinaries))
	if err != nil {
		testenv.Missing(t, "PostgreSQL binaries: %v", err)
	}
	return bin
}

// clusterDir returns a directory the unprivileged database user can reach
// when the tests run as root.
func clusterDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(testenv.ReachableDir(t), "pg")
}

func newServer(t *testing.T, bin, dir string) *pgserver.Server {
	t.Helper()
	srv, err := pgserver.New(pgserver.Config{Binaries: bin, Dir: dir, StartTimeout: 90 * time.Second, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func exec1(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestBinaryVersion(t *testing.T) {
	bin := binaries(t)
	major, full, err := pgserver.BinaryVersion(bin)
	if err != nil || major < 13 || full == "" {
		t.Fatalf("BinaryVersion = %d %q %v", major, full, err)
	}
}

func TestRestartKeepsDataAndSurvivesCrash(t *testing.T) {
	bin := binaries(t)
	dir := clusterDir(t)
	first := newServer(t, bin, dir)
	if err := first.Start(); err != nil {
		t.Fatalf("cold start: %v", err)
	}
	exec1(t, first.URL(), "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")

	// A crash: the app dies and its postgres keeps running. The next
	// start must stop the orphan and take over the same cluster.
	second := newServer(t, bin, dir)
	if err := second.Start(); err != nil {
		_ = first.Stop()
		t.Fatalf("start over a running orphan: %v", err)
	}
	t.Cleanup(func() { _ = second.Stop() })
	exec1(t, second.URL(), "SELECT 1/(v-41) FROM kept")
	if err := second.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// A crash that killed postgres too leaves a lock file naming a dead pid.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, "data", "postmaster.pid")
	if err := os.WriteFile(lock, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"+filepath.Join(dir, "data")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	third := newServer(t, bin, dir)
	if err := third.Start(); err != nil {
		t.Fatalf("start after a stale lock file: %v", err)
	}
	exec1(t, third.URL(), "SELECT v FROM kept")
	if err := third.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesToRiskData(t *testing.T) {
	bin := binaries(t)
	tests := []struct {
		name  string
		files map[string]string
		want  error
	}{
		{"other major version", map[string]string{"data/PG_VERSION": "9\n", "data/base/1/123": "precious"}, pgserver.ErrVersionMismatch},
		{"not a cluster", map[string]string{"data/thesis.docx": "precious"}, pgserver.ErrForeignDataDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := clusterDir(t)
			for name, body := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := newServer(t, bin, dir).Start()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Start err = %v, want %v", err, tt.want)
			}
			for name, body := range tt.files {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != body {
					t.Errorf("%s after refusal = %q, %v; want untouched", name, got, err)
				}
			}
		})
	}
}

func TestResolveBinariesNamesWhatWasSearched(t *testing.T) {
	_, err := pgserver.ResolveBinaries(filepath.Join(t.TempDir(), "nowhere"))
	if !errors.Is(err, pgserver.ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
}

// TestDataDirectoryOnlyRootCanEnter: run as root, a data directory made
// like mktemp makes it (0700) is opened to the database user, which only
// needs to pass through it; a folder further up that it cannot enter is a
// clear error saying what to do, and nothing is changed there.
func TestDataDirectoryOnlyRootCanEnter(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the database to another user")
	}
	bin := binaries(t)
	base := filepath.Join(testenv.ReachableDir(t), "data")
	if err := os.Mkdir(base, 0o700); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, bin, filepath.Join(base, "postgres"))
	if err := srv.Start(); err != nil {
		t.Fatalf("start in a 0700 data directory: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(base); st.Mode().Perm() != 0o701 {
		t.Errorf("data directory mode %o, want 0701 (others may pass through, not list)", st.Mode().Perm())
	}

	locked := filepath.Join(testenv.ReachableDir(t), "private")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(locked, "quarry", "postgres")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	err := newServer(t, bin, deep).Start()
	if err == nil || !strings.Contains(err.Error(), "nobody cannot enter "+locked) || !strings.Contains(err.Error(), "/var/lib/quarry") {
		t.Fatalf("start below a folder the database user cannot enter: %v", err)
	}
	if st, _ := os.Stat(locked); st.Mode().Perm() != 0o700 {
		t.Errorf("a folder above the data directory was changed to %o", st.Mode().Perm())
	}
}
