// Package locations decides where Quarry keeps everything on disk. Every
// path the app reads or writes comes from here.
package locations

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvDataDir overrides the base directory.
const EnvDataDir = "QUARRY_DATA_DIR"

// Locations are the on-disk places of one Quarry installation.
type Locations struct {
	// Base holds everything below.
	Base string
	// Config holds settings files.
	Config string
	// Postgres is owned by the embedded PostgreSQL (data and runtime).
	Postgres string
	// Qdrant holds the vector sidecar's storage and snapshots.
	Qdrant string
	// Models holds downloaded and imported embedding models.
	Models string
	// Logs holds rotated logs of the app and its child processes.
	Logs string
	// Cache holds anything that can be rebuilt.
	Cache string
}

// PostgresData is the PostgreSQL cluster directory.
func (l Locations) PostgresData() string { return filepath.Join(l.Postgres, "data") }

// PostgresRuntime is scratch space PostgreSQL's launcher may wipe.
func (l Locations) PostgresRuntime() string { return filepath.Join(l.Postgres, "run") }

// Settings is the settings file.
func (l Locations) Settings() string { return filepath.Join(l.Config, "settings.json") }

// Sharing holds LAN sharing's certificate, sign-in key and on/off choice
// (mode 0700: the keys in it are secrets).
func (l Locations) Sharing() string { return filepath.Join(l.Config, "sharing") }

// QdrantBin is where a downloaded vector-engine binary is kept.
func (l Locations) QdrantBin() string { return filepath.Join(l.Qdrant, "bin") }

// QdrantStorage is the vector sidecar's storage.
func (l Locations) QdrantStorage() string { return filepath.Join(l.Qdrant, "storage") }

// QdrantSnapshots is where the vector sidecar writes snapshots.
func (l Locations) QdrantSnapshots() string { return filepath.Join(l.Qdrant, "snapshots") }

// PostgresLog is the embedded PostgreSQL's log.
func (l Locations) PostgresLog() string { return filepath.Join(l.Logs, "postgres.log") }

// EnvBundledModels names a folder of models shipped with the app (one
// sub-folder per model, named after it), for builds that keep them
// outside the app's own folder.
const EnvBundledModels = "QUARRY_BUNDLED_MODELS"

// BundledModels lists the folders that may hold models shipped with the
// app, most specific first: $QUARRY_BUNDLED_MODELS, then "models" beside
// the executable (what `make build` and the installers lay out), then the
// macOS bundle's Resources.
func BundledModels() []string {
	var out []string
	if d := os.Getenv(EnvBundledModels); d != "" {
		out = append(out, d)
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		out = append(out, filepath.Join(dir, "models"), filepath.Join(dir, "..", "Resources", "models"))
	}
	return out
}

// New lays out an installation under base.
func New(base string) Locations {
	return Locations{
		Base:     base,
		Config:   filepath.Join(base, "config"),
		Postgres: filepath.Join(base, "postgres"),
		Qdrant:   filepath.Join(base, "qdrant"),
		Models:   filepath.Join(base, "models"),
		Logs:     filepath.Join(base, "logs"),
		Cache:    filepath.Join(base, "cache"),
	}
}

// Default returns the per-user installation: $QUARRY_DATA_DIR if set, else
// the platform's application-data directory. Root on Linux gets
// /var/lib/quarry, which the unprivileged database user can reach.
func Default() (Locations, error) {
	base, err := defaultBase()
	if err != nil {
		return Locations{}, err
	}
	return New(base), nil
}

func defaultBase() (string, error) {
	if dir := os.Getenv(EnvDataDir); dir != "" {
		return filepath.Abs(dir)
	}
	switch runtime.GOOS {
	case "linux":
		if os.Geteuid() == 0 {
			return "/var/lib/quarry", nil
		}
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			return filepath.Join(x, "quarry"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find home directory: %w", err)
		}
		return filepath.Join(home, ".local", "share", "quarry"), nil
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find home directory: %w", err)
		}
		return filepath.Join(home, "Library", "Application Support", "Quarry"), nil
	case "windows":
		if d := os.Getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, "Quarry"), nil
		}
		return "", errors.New("LOCALAPPDATA is not set")
	default:
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find application data directory: %w", err)
		}
		return filepath.Join(dir, "quarry"), nil
	}
}

// Ensure creates every directory of the installation.
func (l Locations) Ensure() error {
	for _, d := range []string{l.Base, l.Config, l.Postgres, l.Qdrant, l.Models, l.Logs, l.Cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return nil
}

// ExpandHome turns a leading "~" or "~/" into the user's home directory.
// Other paths are returned as they are; the error says the home directory
// is unknown, and p is then returned unchanged.
func ExpandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p, fmt.Errorf("expand %s: %w", p, err)
	}
	return filepath.Join(home, p[1:]), nil
}
