package embedder

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

type golden struct {
	MaxLength  int         `json:"max_length"`
	Texts      []string    `json:"texts"`
	InputIDs   [][]int64   `json:"input_ids"`
	Embeddings [][]float64 `json:"embeddings"`
}

func loadGolden(tb testing.TB) golden {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(sharedModel(tb, "synthetic-bert-tiny"), "golden.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatal(err)
	}
	return g
}

func openTB(tb testing.TB, cfg Config) *Service {
	tb.Helper()
	s, err := Open(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func maxDiff(a []float32, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-b[i]))
	}
	return d
}

func TestGoldenExactness(t *testing.T) {
	g := loadGolden(t)
	s := openTB(t, tinyConfig(t))
	if info := s.Info(); info.Dims != 32 || info.Device != DeviceCPU || info.MaxSeqLen != g.MaxLength {
		t.Fatalf("Info = %+v, want 32 dims on cpu, max %d", info, g.MaxLength)
	}
	for i, text := range g.Texts {
		if got := s.Tokenizer().Encode(text, g.MaxLength).IDs; !slices.Equal(got, g.InputIDs[i]) {
			t.Errorf("ids of %q\n got %v\nwant %v", text, got, g.InputIDs[i])
		}
	}
	// One call with every text exercises length batching and padding; one
	// call per text exercises batches of one. Both must match the reference.
	all, err := s.Embed(t.Context(), g.Texts, Document)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range g.Texts {
		one, err := s.Embed(t.Context(), []string{text}, Document)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string][]float32{"batched": all[i], "single": one[0]} {
			if len(v) != len(g.Embeddings[i]) {
				t.Fatalf("%s %q: %d dims, want %d", name, text, len(v), len(g.Embeddings[i]))
			}
			if d := maxDiff(v, g.Embeddings[i]); d > 1e-5 {
				t.Errorf("%s %q: max abs diff %.2g > 1e-5", name, text, d)
			}
		}
	}
}

func TestBatchPlan(t *testing.T) {
	s := openTB(t, tinyConfig(t))
	e := s.eng.(*onnxEngine)
	texts := []string{"a", strings.Repeat("long text ", 100), "b c", strings.Repeat("medium ", 20), "d"}
	encs := make([]tokenizer.Encoding, len(texts))
	for i, tx := range texts {
		encs[i] = e.tok.Encode(tx, e.maxLen)
	}
	e.batch, e.tokens = 2, 1000
	var seen []int
	for _, b := range e.plan(encs) {
		if len(b) > 2 {
			t.Errorf("batch %v larger than 2", b)
		}
		longest := len(encs[b[0]].IDs)
		for _, i := range b {
			if len(encs[i].IDs) > longest {
				t.Errorf("batch %v not longest first", b)
			}
		}
		if len(b)*longest > 1000 && len(b) > 1 {
			t.Errorf("batch %v over the token budget", b)
		}
		seen = append(seen, b...)
	}
	slices.Sort(seen)
	if !slices.Equal(seen, []int{0, 1, 2, 3, 4}) {
		t.Errorf("plan covered %v, want each text once", seen)
	}
}

func TestPrefixes(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Model.QueryPrefix, cfg.Model.DocumentPrefix = "query: ", "passage: "
	s := openTB(t, cfg)
	plain := openTB(t, tinyConfig(t))
	ctx := t.Context()
	q, _ := s.Embed(ctx, []string{"red fox"}, Query)
	d, _ := s.Embed(ctx, []string{"red fox"}, Document)
	want, _ := plain.Embed(ctx, []string{"query: red fox", "passage: red fox"}, Document)
	if maxDiff(q[0], f64(want[0])) > 1e-6 || maxDiff(d[0], f64(want[1])) > 1e-6 {
		t.Error("prefixed embeddings differ from embedding the prefixed text")
	}
	if s.Info().Fingerprint == plain.Info().Fingerprint {
		t.Error("fingerprint ignores prefixes")
	}
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestDeviceFallback(t *testing.T) {
	// The npm runtime is CPU-only: asking for CUDA must fall back cleanly
	// and say why. On a CUDA machine with a GPU runtime it reports cuda.
	cfg := tinyConfig(t)
	cfg.Device = DeviceCUDA
	s := openTB(t, cfg)
	info := s.Info()
	switch info.Device {
	case DeviceCUDA:
		t.Logf("running on CUDA")
	case DeviceCPU:
		if !strings.Contains(info.DeviceNote, "cuda") {
			t.Errorf("fell back to cpu without a note: %+v", info)
		}
	default:
		t.Errorf("device = %q", info.Device)
	}
	if _, err := s.Embed(t.Context(), []string{"hello"}, Query); err != nil {
		t.Fatal(err)
	}
}

func TestFingerprintStable(t *testing.T) {
	a := openTB(t, tinyConfig(t))
	b := openTB(t, tinyConfig(t))
	fa, fb := a.Info().Fingerprint, b.Info().Fingerprint
	if fa != fb {
		t.Errorf("fingerprints differ between opens: %q vs %q", fa, fb)
	}
	for _, part := range []string{"synthetic-bert-tiny@", "sha256=", "dims=32", "pooling=mean", "norm=1"} {
		if !strings.Contains(fa, part) {
			t.Errorf("fingerprint %q lacks %q", fa, part)
		}
	}
}

func TestInt8Model(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Model = models.Model{Name: "synthetic-minilm-l6-int8", Kind: models.KindTransformer,
		MaxSeqLen: 256, Pooling: models.PoolingMean, Normalize: true}
	cfg.Dir = sharedModel(t, "synthetic-minilm-l6-int8")
	cfg.Variant = models.VariantInt8
	s := openTB(t, cfg)
	vs, err := s.Embed(t.Context(), []string{"int8 runs on the cpu", "second"}, Document)
	if err != nil {
		t.Fatal(err)
	}
	if info := s.Info(); info.Dims != 384 || info.Variant != models.VariantInt8 {
		t.Errorf("Info = %+v, want 384 dims int8", info)
	}
	for _, v := range vs {
		if len(v) != 384 || math.Abs(norm(v)-1) > 1e-5 {
			t.Errorf("vector of %d dims, norm %v", len(v), norm(v))
		}
	}
}

func norm(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestCancel(t *testing.T) {
	s := openTB(t, tinyConfig(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Embed(ctx, []string{"x"}, Document); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed with cancelled ctx: err = %v, want context.Canceled", err)
	}
	s.Close()
	if _, err := s.Embed(t.Context(), []string{"x"}, Document); !errors.Is(err, ErrClosed) {
		t.Errorf("Embed after Close: err = %v, want ErrClosed", err)
	}
}

func TestUnavailableModel(t *testing.T) {
	// Every registered model runs today; mark one as not runnable.
	m, _ := models.Lookup("multilingual-e5-small")
	m.Unavailable = "needs a tokenizer Quarry lacks"
	_, err := Open(t.Context(), Config{Model: m, Dir: t.TempDir()})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open(unavailable model) err = %v, want ErrUnavailable", err)
	}
}

func TestNoWeights(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Dir = t.TempDir()
	if _, err := Open(t.Context(), cfg); !errors.Is(err, models.ErrNoWeights) {
		t.Errorf("Open(empty dir) err = %v, want ErrNoWeights", err)
	}
}
