package embedder

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestResolveLibrary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("library names below are Linux ones")
	}
	elf := []byte("\x7fELF rest of a shared object")
	bundled, conf, std := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(p string, b []byte) string {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	confLib := write(filepath.Join(conf, "libonnxruntime.so.1"), elf)
	stdLib := write(filepath.Join(std, "libonnxruntime.so"), elf)
	text := write(filepath.Join(t.TempDir(), "libonnxruntime.so"), []byte("not a library"))
	cands := func(exeDir, configured string) []candidate {
		c := libraryCandidates(exeDir, configured)
		// Replace the machine's standard places with our own.
		var out []candidate
		for _, x := range c {
			if strings.HasPrefix(x.path, bundled) || x.configured {
				out = append(out, x)
			}
		}
		return append(out, candidate{path: stdLib})
	}
	tests := []struct {
		name       string
		bundle     bool
		configured string
		want       string
		wantErr    error
	}{
		{name: "configured file", configured: confLib, want: confLib},
		{name: "configured folder", configured: conf, want: confLib},
		{name: "standard place", want: stdLib},
		{name: "configured missing is an error", configured: filepath.Join(conf, "nope.so"), wantErr: ErrRuntimeNotFound},
		{name: "wrong file", configured: text, wantErr: ErrRuntimeInvalid},
		{name: "bundled wins", bundle: true, configured: confLib, want: filepath.Join(bundled, "libonnxruntime.so")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bundle {
				write(filepath.Join(bundled, "libonnxruntime.so"), elf)
				defer os.Remove(filepath.Join(bundled, "libonnxruntime.so"))
			}
			got, err := resolveLibrary(cands(bundled, tt.configured))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("resolveLibrary = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("error names what was looked for", func(t *testing.T) {
		_, err := resolveLibrary([]candidate{{path: "/nonexistent/a/libonnxruntime.so"}, {path: "/nonexistent/b/libonnxruntime.so"}})
		if !errors.Is(err, ErrRuntimeNotFound) || !strings.Contains(err.Error(), "/nonexistent/a/libonnxruntime.so") ||
			!strings.Contains(err.Error(), "/nonexistent/b/libonnxruntime.so") || !strings.Contains(err.Error(), LibraryEnv) {
			t.Errorf("err = %v", err)
		}
	})
}
