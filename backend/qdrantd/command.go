// Package qdrantd runs Quarry's vector engine: it supervises a Qdrant
// sidecar process (binary resolution, pinned download, config through
// QDRANT__ environment variables, readiness, restart with backoff, graceful
// stop, stale-process cleanup), or falls back to the in-process stand-in
// when no Qdrant binary can be had, or points at an external Qdrant. The
// UI is told plainly which engine is in use (Engine).
package qdrantd

import (
	"slices"
	"strconv"
	"strings"
)

// Settings are what one Qdrant process is started with. Paths come from the
// app's locations package; ports and key are chosen by the supervisor.
type Settings struct {
	Binary       string
	StorageDir   string
	SnapshotsDir string
	HTTPPort     int
	GRPCPort     int
	APIKey       string
	LogLevel     string // default INFO
}

// Command returns the argv and environment for a Qdrant process. The
// environment is base without any inherited QDRANT__ variables (a user's
// shell must not reconfigure the sidecar), plus Quarry's: loopback only,
// the given ports, storage under the app-data dir, an API key, telemetry
// off.
func Command(s Settings, base []string) (argv, env []string) {
	argv = []string{s.Binary, "--disable-telemetry"}
	env = slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		return strings.HasPrefix(strings.ToUpper(kv), "QDRANT__") || strings.HasPrefix(strings.ToUpper(kv), "QDRANT_")
	})
	level := s.LogLevel
	if level == "" {
		level = "INFO"
	}
	env = append(env,
		"QDRANT__SERVICE__HOST=127.0.0.1",
		"QDRANT__SERVICE__HTTP_PORT="+strconv.Itoa(s.HTTPPort),
		"QDRANT__SERVICE__GRPC_PORT="+strconv.Itoa(s.GRPCPort),
		"QDRANT__SERVICE__API_KEY="+s.APIKey,
		"QDRANT__SERVICE__ENABLE_CORS=false",
		"QDRANT__STORAGE__STORAGE_PATH="+s.StorageDir,
		"QDRANT__STORAGE__SNAPSHOTS_PATH="+s.SnapshotsDir,
		"QDRANT__TELEMETRY_DISABLED=true",
		"QDRANT__CLUSTER__ENABLED=false",
		"QDRANT__LOG_LEVEL="+level,
	)
	return argv, env
}
