package embedder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ErrRuntimeNotFound is returned when no ONNX Runtime library exists in
// any place Quarry looks.
var ErrRuntimeNotFound = errors.New("onnx runtime library not found")

// ErrRuntimeInvalid is returned when the library found is not a usable
// ONNX Runtime (wrong file, wrong platform, or too old).
var ErrRuntimeInvalid = errors.New("onnx runtime library unusable")

// LibraryEnv names the environment variable that configures the library
// path when the caller does not.
const LibraryEnv = "QUARRY_ORT_LIB"

// ortVersion is the onnxruntime-node release the project pins.
const ortVersion = "1.24.3"

// libraryNames are the file names of the runtime on this platform.
func libraryNames() []string {
	switch runtime.GOOS {
	case "windows":
		return []string{"onnxruntime.dll"}
	case "darwin":
		return []string{"libonnxruntime.dylib", "libonnxruntime." + ortVersion + ".dylib", "libonnxruntime.1.dylib"}
	default:
		return []string{"libonnxruntime.so", "libonnxruntime.so.1", "libonnxruntime.so." + ortVersion}
	}
}

type candidate struct {
	path string
	// configured candidates were asked for explicitly: a miss is an error.
	configured bool
}

// libraryCandidates lists, in order, where the runtime is looked for:
// bundled next to the executable, the configured path, standard places.
func libraryCandidates(exeDir, configured string) []candidate {
	var out []candidate
	add := func(dirs []string, configured bool) {
		for _, d := range dirs {
			for _, n := range libraryNames() {
				out = append(out, candidate{filepath.Join(d, n), configured})
			}
		}
	}
	if exeDir != "" {
		add([]string{exeDir, filepath.Join(exeDir, "lib"), filepath.Join(exeDir, "..", "Frameworks"),
			filepath.Join(exeDir, "..", "lib", "quarry")}, false)
	}
	if configured != "" {
		if st, err := os.Stat(configured); err == nil && st.IsDir() {
			add([]string{configured}, true)
		} else {
			out = append(out, candidate{configured, true})
		}
	}
	add(standardDirs(), false)
	return out
}

// standardDirs are system library folders and the development cache that
// build/scripts/setup.sh fills from npm.
func standardDirs() []string {
	var dirs []string
	switch runtime.GOOS {
	case "linux":
		dirs = append(dirs, "/usr/local/lib", "/usr/lib", "/usr/lib64", "/usr/lib/"+linuxMultiarch())
	case "darwin":
		dirs = append(dirs, "/opt/homebrew/lib", "/usr/local/lib")
	case "windows":
		if sr := os.Getenv("SystemRoot"); sr != "" {
			dirs = append(dirs, filepath.Join(sr, "System32"))
		}
	}
	npmPlat := map[string]string{"linux": "linux", "darwin": "darwin", "windows": "win32"}[runtime.GOOS]
	npmArch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	for _, base := range depsDirs() {
		dirs = append(dirs, filepath.Join(base, "npm", "node_modules", "onnxruntime-node", "bin", "napi-v6", npmPlat, npmArch))
	}
	return dirs
}

// depsDirs mirrors build/scripts/depsdir.sh.
func depsDirs() []string {
	if d := os.Getenv("QUARRY_DEPS_DIR"); d != "" {
		return []string{d}
	}
	var out []string
	if runtime.GOOS != "windows" {
		out = append(out, "/var/cache/quarry-deps")
	}
	if d, err := os.UserCacheDir(); err == nil {
		out = append(out, filepath.Join(d, "quarry-deps"))
	}
	return out
}

func linuxMultiarch() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64-linux-gnu"
	}
	return "x86_64-linux-gnu"
}

// resolveLibrary returns the first library candidate that exists. A
// configured path that is missing, or any file that is not a shared
// library for this platform, is an error naming it.
func resolveLibrary(cands []candidate) (string, error) {
	var looked []string
	sawConfigured := false
	for _, c := range cands {
		if sawConfigured && !c.configured {
			// An explicit setting that points nowhere is a mistake to
			// report, not a reason to pick some other library.
			return "", fmt.Errorf("%w: configured path does not exist; looked for: %s",
				ErrRuntimeNotFound, strings.Join(looked, ", "))
		}
		sawConfigured = sawConfigured || c.configured
		st, err := os.Stat(c.path)
		if err != nil || st.IsDir() {
			looked = append(looked, c.path)
			continue
		}
		if err := checkLibraryMagic(c.path); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrRuntimeInvalid, c.path, err)
		}
		return c.path, nil
	}
	return "", fmt.Errorf("%w (ONNX Runtime %s; set %s or bundle it next to the app); looked for: %s",
		ErrRuntimeNotFound, ortVersion, LibraryEnv, strings.Join(looked, ", "))
}

// checkLibraryMagic rejects files that are not native shared libraries of
// this platform, so that a wrong file gives a clear error instead of a
// dlopen message.
func checkLibraryMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var m [4]byte
	if _, err := io.ReadFull(f, m[:]); err != nil {
		return errors.New("not a shared library (too short)")
	}
	var ok bool
	switch runtime.GOOS {
	case "windows":
		ok = bytes.HasPrefix(m[:], []byte("MZ"))
	case "darwin":
		ok = bytes.Equal(m[:], []byte{0xcf, 0xfa, 0xed, 0xfe}) || bytes.Equal(m[:], []byte{0xca, 0xfe, 0xba, 0xbe})
	default:
		ok = bytes.Equal(m[:], []byte("\x7fELF"))
	}
	if !ok {
		return fmt.Errorf("not a %s shared library", runtime.GOOS)
	}
	return nil
}

// The ONNX Runtime environment is process-wide: initialized once, by the
// first Open, and kept for the life of the process.
var env struct {
	mu      sync.Mutex
	path    string
	version string
	err     error
}

// initRuntime finds and loads the runtime library once per process.
func initRuntime(configured string, log *slog.Logger) (path, version string, err error) {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.path != "" {
		return env.path, env.version, nil
	}
	if configured == "" {
		configured = os.Getenv(LibraryEnv)
	}
	exeDir := ""
	if exe, err := os.Executable(); err == nil {
		exeDir = filepath.Dir(exe)
	}
	p, err := resolveLibrary(libraryCandidates(exeDir, configured))
	if err != nil {
		return "", "", err
	}
	// Failures come back as errors; the runtime's own log would only
	// repeat them on stderr (for example each unavailable GPU provider).
	ort.SetSharedLibraryPath(p)
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return "", "", fmt.Errorf("%w: load %s (need ONNX Runtime >= 1.24): %v", ErrRuntimeInvalid, p, err)
	}
	env.path, env.version = p, ort.GetVersion()
	log.Info("onnx runtime loaded", "path", p, "version", env.version)
	return env.path, env.version, nil
}
