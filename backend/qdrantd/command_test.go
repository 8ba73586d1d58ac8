package qdrantd

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	s := Settings{
		Binary:       "/opt/quarry/qdrant",
		StorageDir:   "/data/qdrant/storage",
		SnapshotsDir: "/data/qdrant/snapshots",
		HTTPPort:     16333,
		GRPCPort:     16334,
		APIKey:       "k3y",
	}
	base := []string{"PATH=/usr/bin", "HOME=/home/u", "QDRANT__SERVICE__HOST=0.0.0.0", "qdrant__storage__storage_path=/elsewhere", "QDRANT_LOG=trace"}
	argv, env := Command(s, base)
	if want := []string{"/opt/quarry/qdrant", "--disable-telemetry"}; !slices.Equal(argv, want) {
		t.Errorf("argv = %v; want %v", argv, want)
	}
	want := []string{
		"PATH=/usr/bin",
		"HOME=/home/u",
		"QDRANT__SERVICE__HOST=127.0.0.1",
		"QDRANT__SERVICE__HTTP_PORT=16333",
		"QDRANT__SERVICE__GRPC_PORT=16334",
		"QDRANT__SERVICE__API_KEY=k3y",
		"QDRANT__SERVICE__ENABLE_CORS=false",
		"QDRANT__STORAGE__STORAGE_PATH=/data/qdrant/storage",
		"QDRANT__STORAGE__SNAPSHOTS_PATH=/data/qdrant/snapshots",
		"QDRANT__TELEMETRY_DISABLED=true",
		"QDRANT__CLUSTER__ENABLED=false",
		"QDRANT__LOG_LEVEL=INFO",
	}
	if !slices.Equal(env, want) {
		t.Errorf("env =\n%s\nwant\n%s", strings.Join(env, "\n"), strings.Join(want, "\n"))
	}
	if base[2] != "QDRANT__SERVICE__HOST=0.0.0.0" {
		t.Error("Command modified its base environment")
	}
}

func writeExec(tb testing.TB, path string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
}

func TestResolve(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses unix executables")
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle")
	configured := filepath.Join(dir, "conf", "my-qdrant")
	onPath := filepath.Join(dir, "path", "qdrant")
	downloads := filepath.Join(dir, "dl")
	writeExec(t, filepath.Join(bundle, "qdrant"))
	writeExec(t, configured)
	writeExec(t, onPath)
	if rel, ok := Pinned[runtime.GOOS+"/"+runtime.GOARCH]; ok {
		writeExec(t, filepath.Join(downloads, "qdrant-"+rel.Version, "qdrant"))
	}
	notExec := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	look := func(string) (string, error) { return onPath, nil }
	noLook := func(string) (string, error) { return "", errors.New("not found") }
	cases := []struct {
		name    string
		l       Locate
		want    string
		src     Source
		wantErr bool
	}{
		{"bundle wins", Locate{BundleDir: bundle, Configured: configured, LookPath: look}, filepath.Join(bundle, "qdrant"), FromBundle, false},
		{"configured before PATH", Locate{BundleDir: dir, Configured: configured, LookPath: look}, configured, FromConfig, false},
		{"PATH", Locate{LookPath: look, DownloadDir: downloads}, onPath, FromPath, false},
		{"downloaded", Locate{LookPath: noLook, DownloadDir: downloads}, "", FromDownload, false},
		{"configured but not executable", Locate{Configured: notExec, LookPath: look}, "", "", true},
		{"nothing", Locate{LookPath: noLook, DownloadDir: filepath.Join(dir, "empty")}, "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, src, err := Resolve(tc.l)
			if tc.wantErr {
				if !errors.Is(err, ErrNoBinary) {
					t.Errorf("Resolve err = %v; want ErrNoBinary", err)
				}
				return
			}
			if tc.src == FromDownload {
				if _, ok := Pinned[runtime.GOOS+"/"+runtime.GOARCH]; !ok {
					t.Skip("no pinned release for this platform")
				}
				tc.want = got
			}
			if err != nil || got != tc.want || src != tc.src {
				t.Errorf("Resolve = %q, %q, %v; want %q, %q", got, src, err, tc.want, tc.src)
			}
		})
	}
}

func tarGz(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func zipped(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestDownload(t *testing.T) {
	binary := "#!/bin/sh\necho qdrant\n"
	name := exeName()
	good := tarGz(t, map[string]string{"README": "x", "../evil/" + name: binary})
	goodZip := zipped(t, map[string]string{"dir/" + name: binary})
	empty := tarGz(t, map[string]string{"README": "x"})
	assets := map[string][]byte{"/good.tar.gz": good, "/good.zip": goodZip, "/empty.tar.gz": empty}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)

	cases := []struct {
		name    string
		rel     Release
		wantErr error
	}{
		{"tar.gz verified and installed", Release{Version: "9.9.9", URL: srv.URL + "/good.tar.gz", SHA256: sum(good)}, nil},
		{"zip verified and installed", Release{Version: "9.9.8", URL: srv.URL + "/good.zip", SHA256: strings.ToUpper(sum(goodZip))}, nil},
		{"checksum mismatch", Release{Version: "9.9.7", URL: srv.URL + "/good.tar.gz", SHA256: sum(empty)}, ErrChecksum},
		{"unpinned", Release{Version: "9.9.6", URL: srv.URL + "/good.tar.gz"}, ErrUnpinned},
		{"missing asset", Release{Version: "9.9.5", URL: srv.URL + "/nope.tar.gz", SHA256: sum(good)}, errAny},
		{"archive without binary", Release{Version: "9.9.4", URL: srv.URL + "/empty.tar.gz", SHA256: sum(empty)}, errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var last, total int64
			path, err := Download(t.Context(), srv.Client(), tc.rel, dir, func(done, tot int64) { last, total = done, tot })
			final := filepath.Join(dir, "qdrant-"+tc.rel.Version)
			if tc.wantErr != nil {
				if err == nil || (tc.wantErr != errAny && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("Download err = %v; want %v", err, tc.wantErr)
				}
				if _, err := os.Stat(final); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("failed download left %s behind", final)
				}
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("failed download left temp files: %v", left)
				}
				return
			}
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			if path != filepath.Join(final, name) {
				t.Errorf("path = %s; want %s", path, filepath.Join(final, name))
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != binary {
				t.Errorf("installed binary = %q, %v; want %q", got, err, binary)
			}
			if st, err := os.Stat(path); err != nil || (runtime.GOOS != "windows" && st.Mode()&0o111 == 0) {
				t.Errorf("installed binary not executable: %v", err)
			}
			if last == 0 || last != total {
				t.Errorf("last progress = %d of %d; want all bytes", last, total)
			}
			if _, err := os.Stat(filepath.Join(dir, "evil")); !errors.Is(err, os.ErrNotExist) {
				t.Error("archive path escaped the install dir")
			}
		})
	}
}

var errAny = errors.New("any error")
