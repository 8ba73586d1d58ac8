package models

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/fixtures"
)

// sharedDir finds the shared models: QUARRY_SHARED_DIR, or ../shared next
// to the module root.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return fixtures.Dir(tb)
}

func sharedModel(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(sharedDir(tb), "models", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("QUARRY_REQUIRE_ALL") == "1" {
			tb.Fatalf("required test input missing: %v", err)
		}
		tb.Skipf("test input missing: %v", err)
	}
	return p
}

func TestRegistry(t *testing.T) {
	list := List()
	if !list[0].Default || list[0].Name != "bge-small-en-v1.5" || Default().Name != "bge-small-en-v1.5" {
		t.Errorf("default model is not first / not bge-small-en-v1.5: %v", list[0].Name)
	}
	short := map[string]bool{}
	for _, m := range list {
		t.Run(m.Name, func(t *testing.T) {
			if got, ok := Lookup(m.Name); !ok || got.Name != m.Name {
				t.Errorf("Lookup(%q) failed", m.Name)
			}
			if short[m.ShortName] {
				t.Errorf("duplicate short name %q", m.ShortName)
			}
			short[m.ShortName] = true
			if m.Dims <= 0 || m.MaxSeqLen <= 0 || m.Embeds() && (m.DefaultChunkSize < MinChunkSize || m.DefaultChunkSize > m.MaxSeqLen) {
				t.Errorf("bad limits: %+v", m)
			}
			if m.Kind == KindReranker && (m.Default || m.DefaultChunkSize != 0) {
				t.Errorf("a reranker has embedding defaults: %+v", m)
			}
			if m.Package != nil {
				// Converted on install: one variant, made here.
				if _, ok := m.Variant(VariantFP32); !ok || len(m.Variants) != 1 || m.Repo == "" || m.Revision == "" {
					t.Errorf("package model: variants %v, repo %q, revision %q", m.Variants, m.Repo, m.Revision)
				}
			} else if m.Kind == KindTransformer || m.Kind == KindReranker {
				for _, v := range []string{VariantFP32, VariantInt8} {
					if _, ok := m.Variant(v); !ok {
						t.Errorf("no %s variant", v)
					}
				}
				if m.Repo == "" || m.Revision == "" {
					t.Errorf("no repo or revision")
				}
			}
			for _, f := range m.Files {
				if f.SHA256 != "" && len(f.SHA256) != 64 {
					t.Errorf("file %s: bad sha256 %q", f.Path, f.SHA256)
				}
			}
		})
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) succeeded")
	}
	e5, _ := Lookup("e5-small-v2")
	if e5.QueryPrefix != "query: " || e5.DocumentPrefix != "passage: " {
		t.Errorf("e5 prefixes = %q/%q", e5.QueryPrefix, e5.DocumentPrefix)
	}
	if bge := Default(); bge.Pooling != PoolingCLS || !strings.HasPrefix(bge.QueryPrefix, "Represent this sentence") {
		t.Errorf("bge pooling/instruction = %q/%q", bge.Pooling, bge.QueryPrefix)
	}
}

func TestReadSpec(t *testing.T) {
	mini, _ := Lookup("all-MiniLM-L6-v2")
	// The shared MiniLM folder has the sentence-transformers files but no
	// weights; add a weights file next to copies of them.
	dir := t.TempDir()
	copyTree(t, sharedModel(t, "all-MiniLM-L6-v2"), dir)
	if _, err := ReadSpec(dir, mini, VariantInt8); !errors.Is(err, ErrNoWeights) {
		t.Fatalf("ReadSpec without weights: err = %v, want ErrNoWeights", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "onnx"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "onnx", "model_quantized.onnx"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Deliberately contradict the files in the registry entry: the files win.
	m := mini
	m.Pooling, m.Normalize, m.MaxSeqLen = PoolingCLS, false, 999
	s, err := ReadSpec(dir, m, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Pooling != PoolingMean || !s.Normalize || s.MaxSeqLen != 256 || s.Dims != 384 || s.Variant != VariantInt8 {
		t.Errorf("spec = %+v", s)
	}
	if !strings.HasSuffix(s.ONNXPath, filepath.Join("onnx", "model_quantized.onnx")) {
		t.Errorf("ONNXPath = %s", s.ONNXPath)
	}
}

func TestFingerprint(t *testing.T) {
	base := Fingerprint{Name: "m", Revision: "r1", SHA256: "ABC", Dims: 384, Pooling: PoolingMean, Normalize: true}
	if got, want := base.String(), "m@r1;sha256=abc;dims=384;pooling=mean;norm=1;prefix="; !strings.HasPrefix(got, want) {
		t.Errorf("String() = %q, want prefix %q", got, want)
	}
	changes := map[string]func(*Fingerprint){
		"revision": func(f *Fingerprint) { f.Revision = "r2" },
		"sha256":   func(f *Fingerprint) { f.SHA256 = "abd" },
		"dims":     func(f *Fingerprint) { f.Dims = 256 },
		"pooling":  func(f *Fingerprint) { f.Pooling = PoolingCLS },
		"norm":     func(f *Fingerprint) { f.Normalize = false },
		"prefix":   func(f *Fingerprint) { f.QueryPrefix = "query: " },
	}
	for name, change := range changes {
		f := base
		change(&f)
		if f.String() == base.String() {
			t.Errorf("changing %s leaves the fingerprint unchanged", name)
		}
	}
}

// fileServer serves files by URL path like a model hub, counting requests
// and optionally cutting the first response of one file short.
type fileServer struct {
	mu       sync.Mutex
	files    map[string]string // URL path -> local file
	requests map[string][]string
	cutFirst string
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	local, ok := s.files[r.URL.Path]
	s.requests[r.URL.Path] = append(s.requests[r.URL.Path], r.Header.Get("Range"))
	cut := s.cutFirst == r.URL.Path && len(s.requests[r.URL.Path]) == 1
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if cut {
		b, _ := os.ReadFile(local)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return
	}
	f, err := os.Open(local)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer f.Close()
	st, _ := f.Stat()
	http.ServeContent(w, r, filepath.Base(local), st.ModTime(), f)
}

// testModel describes the shared synthetic model as if it were published
// at quarry/tiny@rev1, pinned with the digests of the real files.
func testModel(t *testing.T) (Model, *fileServer, *httptest.Server) {
	t.Helper()
	tiny, mini := sharedModel(t, "synthetic-bert-tiny"), sharedModel(t, "all-MiniLM-L6-v2")
	srv := &fileServer{files: map[string]string{}, requests: map[string][]string{}}
	pin := func(local, rel string, optional bool) File {
		st, err := os.Stat(local)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := FileSHA256(local)
		if err != nil {
			t.Fatal(err)
		}
		srv.files["/quarry/tiny/resolve/rev1/"+rel] = local
		return File{Path: rel, Size: st.Size(), SHA256: sum, Optional: optional}
	}
	m := Model{
		Name: "tiny", Repo: "quarry/tiny", Revision: "rev1", Kind: KindTransformer,
		Files: []File{
			pin(filepath.Join(mini, "tokenizer.json"), "tokenizer.json", false),
			pin(filepath.Join(mini, "1_Pooling", "config.json"), "1_Pooling/config.json", false),
			{Path: "not_published.json", Optional: true},
		},
		Variants: []Variant{{Name: VariantFP32, ONNX: pin(filepath.Join(tiny, "model.onnx"), "onnx/model.onnx", false)}},
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return m, srv, hs
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s differs from %s", a, b)
	}
}

func TestDownload(t *testing.T) {
	m, srv, hs := testModel(t)
	onnxURL := "/quarry/tiny/resolve/rev1/onnx/model.onnx"
	src := srv.files[onnxURL]

	t.Run("fresh", func(t *testing.T) {
		dst := t.TempDir()
		var last Progress
		d := &Downloader{BaseURL: hs.URL, Backoff: time.Millisecond}
		man, err := d.Download(t.Context(), m, VariantFP32, dst, func(p Progress) {
			if p.File == last.File && p.Done < last.Done {
				t.Errorf("progress went backwards: %+v after %+v", p, last)
			}
			last = p
		})
		if err != nil {
			t.Fatal(err)
		}
		sameFile(t, filepath.Join(dst, "onnx", "model.onnx"), src)
		if len(man.Files) != 3 || last.File != "onnx/model.onnx" || last.Done != last.Total || last.Total == 0 {
			t.Errorf("manifest %+v, last progress %+v", man, last)
		}
		got, err := ReadManifest(dst)
		if err != nil || got.Revision != "rev1" || got.Source != "download" {
			t.Errorf("ReadManifest = %+v, %v", got, err)
		}
		// KnownSHA256 uses the manifest.
		if sum, err := KnownSHA256(dst, filepath.Join(dst, "onnx", "model.onnx")); err != nil || sum != m.Variants[0].ONNX.SHA256 {
			t.Errorf("KnownSHA256 = %s, %v", sum, err)
		}
		// A second download finds everything in place and fetches nothing.
		before := len(srv.requests[onnxURL])
		if _, err := d.Download(t.Context(), m, VariantFP32, dst, nil); err != nil {
			t.Fatal(err)
		}
		if after := len(srv.requests[onnxURL]); after != before {
			t.Errorf("re-download fetched the weights again (%d requests)", after-before)
		}
	})

	t.Run("resume partial file", func(t *testing.T) {
		dst := t.TempDir()
		b, _ := os.ReadFile(src)
		os.MkdirAll(filepath.Join(dst, "onnx"), 0o755)
		os.WriteFile(filepath.Join(dst, "onnx", "model.onnx.part"), b[:len(b)/3], 0o644)
		n := len(srv.requests[onnxURL])
		d := &Downloader{BaseURL: hs.URL}
		if _, err := d.Download(t.Context(), m, VariantFP32, dst, nil); err != nil {
			t.Fatal(err)
		}
		sameFile(t, filepath.Join(dst, "onnx", "model.onnx"), src)
		if got, want := srv.requests[onnxURL][n], "bytes="+strconv.Itoa(len(b)/3)+"-"; got != want {
			t.Errorf("Range = %q, want %q", got, want)
		}
	})

	t.Run("connection dropped", func(t *testing.T) {
		dst := t.TempDir()
		srv.mu.Lock()
		delete(srv.requests, onnxURL)
		srv.cutFirst = onnxURL
		srv.mu.Unlock()
		defer func() { srv.cutFirst = "" }()
		d := &Downloader{BaseURL: hs.URL, Backoff: time.Millisecond}
		if _, err := d.Download(t.Context(), m, VariantFP32, dst, nil); err != nil {
			t.Fatal(err)
		}
		sameFile(t, filepath.Join(dst, "onnx", "model.onnx"), src)
		reqs := srv.requests[onnxURL]
		if len(reqs) != 2 || reqs[0] != "" || !strings.HasPrefix(reqs[1], "bytes=") {
			t.Errorf("requests = %q, want a full request then a Range request", reqs)
		}
	})

	t.Run("corrupt", func(t *testing.T) {
		dst := t.TempDir()
		bad := m
		bad.Variants = []Variant{{Name: VariantFP32, ONNX: m.Variants[0].ONNX}}
		bad.Variants[0].ONNX.SHA256 = strings.Repeat("0", 64)
		d := &Downloader{BaseURL: hs.URL, Backoff: time.Millisecond}
		_, err := d.Download(t.Context(), bad, VariantFP32, dst, nil)
		if !errors.Is(err, ErrChecksum) {
			t.Fatalf("err = %v, want ErrChecksum", err)
		}
		for _, name := range []string{"model.onnx", "model.onnx.part"} {
			if _, err := os.Stat(filepath.Join(dst, "onnx", name)); err == nil {
				t.Errorf("%s left behind after a checksum failure", name)
			}
		}
	})

	t.Run("required file missing", func(t *testing.T) {
		bad := m
		bad.Files = append([]File{{Path: "vocab.txt"}}, m.Files...)
		d := &Downloader{BaseURL: hs.URL, Backoff: time.Millisecond}
		if _, err := d.Download(t.Context(), bad, VariantFP32, t.TempDir(), nil); !errors.Is(err, ErrFileMissing) {
			t.Errorf("err = %v, want ErrFileMissing", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		d := &Downloader{BaseURL: hs.URL}
		if _, err := d.Download(ctx, m, VariantFP32, t.TempDir(), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("server unreachable", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		d := &Downloader{BaseURL: "http://" + addr, Retries: 1, Backoff: time.Millisecond}
		if _, err := d.Download(t.Context(), m, VariantFP32, t.TempDir(), nil); err == nil {
			t.Error("want an error")
		}
	})
}

func TestImport(t *testing.T) {
	mini, _ := Lookup("all-MiniLM-L6-v2")
	// The stand-in weights below are random, so they cannot match the
	// pinned int8 digest; keep the pins of the tokenizer and
	// sentence-transformers files, drop the weights' (on a copy).
	mini.Variants = slices.Clone(mini.Variants)
	for i := range mini.Variants {
		mini.Variants[i].ONNX.Size, mini.Variants[i].ONNX.SHA256 = 0, ""
	}
	src := t.TempDir()
	// A user's folder: the real MiniLM files plus weights at the top level.
	copyTree(t, sharedModel(t, "all-MiniLM-L6-v2"), src)
	weights := filepath.Join(sharedModel(t, "synthetic-minilm-l6-int8"), "model_quantized.onnx")
	b, _ := os.ReadFile(weights)
	os.WriteFile(filepath.Join(src, "model_quantized.onnx"), b, 0o644)

	dst := t.TempDir()
	var calls int
	man, err := Import(t.Context(), mini, VariantInt8, []string{src}, dst, func(Progress) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	// The registry's pinned digests of the MiniLM files were checked.
	if calls == 0 || len(man.Files) != len(mini.Files)+1 {
		t.Errorf("imported %d files with %d progress calls", len(man.Files), calls)
	}
	sameFile(t, filepath.Join(dst, "onnx", "model_quantized.onnx"), weights)
	if _, err := ReadSpec(dst, mini, VariantInt8); err != nil {
		t.Errorf("ReadSpec after import: %v", err)
	}

	t.Run("unpinned weights", func(t *testing.T) {
		pinned, _ := Lookup("all-MiniLM-L6-v2")
		if _, err := Import(t.Context(), pinned, VariantInt8, []string{src}, t.TempDir(), nil); !errors.Is(err, ErrChecksum) {
			t.Errorf("random weights under the registry's pins: err = %v, want ErrChecksum", err)
		}
	})
	t.Run("tampered file", func(t *testing.T) {
		vocab := filepath.Join(src, "vocab.txt")
		orig, _ := os.ReadFile(vocab)
		defer os.WriteFile(vocab, orig, 0o644)
		os.WriteFile(vocab, []byte("[PAD]\n"), 0o644)
		if _, err := Import(t.Context(), mini, VariantInt8, []string{src}, t.TempDir(), nil); !errors.Is(err, ErrChecksum) {
			t.Errorf("err = %v, want ErrChecksum", err)
		}
	})
	t.Run("missing weights", func(t *testing.T) {
		os.Remove(filepath.Join(src, "model_quantized.onnx"))
		if _, err := Import(t.Context(), mini, VariantInt8, []string{src}, t.TempDir(), nil); !errors.Is(err, ErrFileMissing) {
			t.Errorf("err = %v, want ErrFileMissing", err)
		}
	})
}

var (
	hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// TestPins checks the form of every pin and that the models whose files
// are all on record are pinned end to end.
func TestPins(t *testing.T) {
	for _, m := range List() {
		if m.Kind == KindStatic {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			if m.Package != nil {
				testPackagePins(t, m)
				return
			}
			if !hex40.MatchString(m.Revision) {
				t.Errorf("revision %q is not a commit", m.Revision)
			}
			files := slices.Clone(m.Files)
			for _, v := range m.Variants {
				if !hex40.MatchString(v.ONNX.Revision) || v.ONNX.Repo == "" {
					t.Errorf("variant %s: repo %q revision %q", v.Name, v.ONNX.Repo, v.ONNX.Revision)
				}
				files = append(files, v.ONNX)
			}
			seen := map[string]bool{}
			for _, f := range files {
				key := f.Repo + "/" + f.Path
				if seen[key] {
					t.Errorf("file %s listed twice", key)
				}
				seen[key] = true
				if f.SHA256 == "" {
					continue
				}
				if !hex64.MatchString(f.SHA256) {
					t.Errorf("file %s: sha256 %q is not lowercase hex", f.Path, f.SHA256)
				}
				if f.Size <= 0 {
					t.Errorf("file %s: pinned digest without a size", f.Path)
				}
			}
		})
	}
	for _, name := range []string{"bge-small-en-v1.5", "all-MiniLM-L6-v2", "multilingual-e5-small", "ms-marco-MiniLM-L-6-v2"} {
		m, _ := Lookup(name)
		for _, v := range []string{VariantFP32, VariantInt8} {
			if !m.Pinned(v) {
				t.Errorf("%s %s is not pinned", name, v)
			}
		}
	}
}

// TestSharedMiniLMMatchesPins hashes the real MiniLM files in the shared
// folder against the registry's pins.
func TestSharedMiniLMMatchesPins(t *testing.T) {
	dir := sharedModel(t, "all-MiniLM-L6-v2")
	m, _ := Lookup("all-MiniLM-L6-v2")
	for _, f := range m.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		sum, err := FileSHA256(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != f.Size || sum != f.SHA256 {
			t.Errorf("%s: %d bytes sha256 %s, pinned %d bytes sha256 %s", f.Path, st.Size(), sum, f.Size, f.SHA256)
		}
	}
}
