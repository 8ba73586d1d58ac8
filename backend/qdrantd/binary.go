package qdrantd

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Conditions callers test with errors.Is.
var (
	ErrNoBinary   = errors.New("no qdrant binary found")
	ErrUnpinned   = errors.New("no pinned qdrant release for this platform")
	ErrChecksum   = errors.New("qdrant download checksum mismatch")
	ErrGaveUp     = errors.New("qdrant kept failing; gave up restarting it")
	ErrNotStarted = errors.New("qdrant did not become ready")
)

// Source says where a binary was found.
type Source string

// Binary sources, in resolution order.
const (
	FromBundle     Source = "bundled"
	FromConfig     Source = "configured"
	FromPath       Source = "PATH"
	FromDownload   Source = "downloaded"
	binaryBaseName        = "qdrant"
)

// Locate says where to look for a Qdrant binary.
type Locate struct {
	// BundleDir is where the installer puts a bundled binary (next to the
	// app executable or in its resources dir).
	BundleDir string
	// Configured is a path the user set; it wins over PATH but not over a
	// bundled binary shipped with the app version.
	Configured string
	// DownloadDir is where Download unpacks releases (from locations).
	DownloadDir string
	// LookPath is exec.LookPath unless a test replaces it.
	LookPath func(string) (string, error)
}

func exeName() string {
	if runtime.GOOS == "windows" {
		return binaryBaseName + ".exe"
	}
	return binaryBaseName
}

// Resolve finds a Qdrant binary: bundled → configured → PATH → a release
// downloaded earlier. It never downloads; see Download.
func Resolve(l Locate) (string, Source, error) {
	isExec := func(p string) bool {
		st, err := os.Stat(p)
		return err == nil && st.Mode().IsRegular() && (runtime.GOOS == "windows" || st.Mode()&0o111 != 0)
	}
	if l.BundleDir != "" {
		if p := filepath.Join(l.BundleDir, exeName()); isExec(p) {
			return p, FromBundle, nil
		}
	}
	if l.Configured != "" {
		if isExec(l.Configured) {
			return l.Configured, FromConfig, nil
		}
		return "", "", fmt.Errorf("resolve qdrant: configured binary %s is not an executable file: %w", l.Configured, ErrNoBinary)
	}
	look := l.LookPath
	if look == nil {
		look = exec.LookPath
	}
	if p, err := look(binaryBaseName); err == nil {
		return p, FromPath, nil
	}
	if l.DownloadDir != "" {
		if rel, ok := Pinned[runtime.GOOS+"/"+runtime.GOARCH]; ok {
			if p := filepath.Join(l.DownloadDir, "qdrant-"+rel.Version, exeName()); isExec(p) {
				return p, FromDownload, nil
			}
		}
	}
	return "", "", fmt.Errorf("resolve qdrant: %w", ErrNoBinary)
}

// Release is one downloadable Qdrant build.
type Release struct {
	Version string
	URL     string
	// SHA256 of the archive. Qdrant publishes none, so Quarry pins its own;
	// an empty value means not yet verified, and Download refuses it.
	SHA256 string
}

// PinnedVersion is the Qdrant release Quarry is tested with; it matches
// go-client v1.17.x.
const PinnedVersion = "1.17.1"

const releaseBase = "https://github.com/qdrant/qdrant/releases/download/v" + PinnedVersion + "/"

// Pinned maps GOOS/GOARCH to the release asset. The hashes must be filled
// in (and re-checked on every version bump) on a networked machine:
//
//	curl -LO <url> && sha256sum <asset>
var Pinned = map[string]Release{
	"linux/amd64":   {Version: PinnedVersion, URL: releaseBase + "qdrant-x86_64-unknown-linux-musl.tar.gz"},
	"linux/arm64":   {Version: PinnedVersion, URL: releaseBase + "qdrant-aarch64-unknown-linux-musl.tar.gz"},
	"darwin/amd64":  {Version: PinnedVersion, URL: releaseBase + "qdrant-x86_64-apple-darwin.tar.gz"},
	"darwin/arm64":  {Version: PinnedVersion, URL: releaseBase + "qdrant-aarch64-apple-darwin.tar.gz"},
	"windows/amd64": {Version: PinnedVersion, URL: releaseBase + "qdrant-x86_64-pc-windows-msvc.zip"},
}

// Progress reports download progress; total is -1 when unknown.
type Progress func(done, total int64)

// Download fetches rel, verifies its SHA-256 before anything is unpacked,
// and installs the binary as dir/qdrant-<version>/qdrant, atomically. It
// returns the binary's path.
func Download(ctx context.Context, client *http.Client, rel Release, dir string, progress Progress) (string, error) {
	if rel.SHA256 == "" || rel.URL == "" {
		return "", fmt.Errorf("download qdrant %s: %w", rel.Version, ErrUnpinned)
	}
	if client == nil {
		client = http.DefaultClient
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("download qdrant: %w", err)
	}
	archive, err := os.CreateTemp(dir, "qdrant-*.download")
	if err != nil {
		return "", fmt.Errorf("download qdrant: %w", err)
	}
	defer os.Remove(archive.Name())
	defer archive.Close()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rel.URL, nil)
	if err != nil {
		return "", fmt.Errorf("download qdrant: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download qdrant %s: %w", rel.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download qdrant %s: http %s", rel.URL, resp.Status)
	}
	h := sha256.New()
	counter := &progressWriter{total: resp.ContentLength, report: progress}
	if _, err := io.Copy(io.MultiWriter(archive, h, counter), resp.Body); err != nil {
		return "", fmt.Errorf("download qdrant %s: %w", rel.URL, err)
	}
	counter.flush()
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, rel.SHA256) {
		return "", fmt.Errorf("download qdrant %s: got sha256 %s, want %s: %w", rel.URL, got, rel.SHA256, ErrChecksum)
	}

	final := filepath.Join(dir, "qdrant-"+rel.Version)
	staging, err := os.MkdirTemp(dir, "qdrant-*.unpack")
	if err != nil {
		return "", fmt.Errorf("download qdrant: %w", err)
	}
	defer os.RemoveAll(staging)
	if _, err := archive.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("download qdrant: %w", err)
	}
	if err := extractBinary(archive, rel.URL, filepath.Join(staging, exeName())); err != nil {
		return "", fmt.Errorf("unpack qdrant %s: %w", rel.URL, err)
	}
	_ = os.RemoveAll(final)
	if err := os.Rename(staging, final); err != nil {
		return "", fmt.Errorf("install qdrant: %w", err)
	}
	return filepath.Join(final, exeName()), nil
}

// extractBinary copies the one file named qdrant[.exe] out of a .tar.gz or
// .zip archive; other entries are ignored, so no path from the archive is
// ever used to write.
func extractBinary(f *os.File, name, dst string) error {
	write := func(r io.Reader) error {
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, io.LimitReader(r, 1<<30)); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	if strings.HasSuffix(name, ".zip") {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return err
		}
		for _, e := range zr.File {
			if filepath.Base(e.Name) == exeName() && !e.FileInfo().IsDir() {
				r, err := e.Open()
				if err != nil {
					return err
				}
				defer r.Close()
				return write(r)
			}
		}
		return fmt.Errorf("no %s in archive", exeName())
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("no %s in archive", exeName())
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg && filepath.Base(hdr.Name) == exeName() {
			return write(tr)
		}
	}
}

// progressWriter reports at most every 1% (or 1 MiB when the size is
// unknown) and once at the end.
type progressWriter struct {
	done, total, last int64
	report            Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	step := int64(1 << 20)
	if p.total > 0 {
		step = max(p.total/100, 1)
	}
	if p.report != nil && p.done-p.last >= step {
		p.last = p.done
		p.report(p.done, p.total)
	}
	return len(b), nil
}

func (p *progressWriter) flush() {
	if p.report != nil && p.last != p.done {
		p.report(p.done, p.total)
	}
}
