package embedder

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/quarry-search/quarry/backend/fixtures/crossencoder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// crossConfig builds a cross-encoder from the shared synthetic-bert-tiny
// encoder (with the all-MiniLM-L6-v2 tokenizer) and describes it.
func crossConfig(tb testing.TB) Config {
	tb.Helper()
	needRuntime(tb)
	dir := filepath.Join(tb.TempDir(), "cross-tiny")
	if err := crossencoder.Build(dir, filepath.Join(sharedModel(tb, "synthetic-bert-tiny"), "model.onnx"),
		sharedModel(tb, "all-MiniLM-L6-v2"), 7); err != nil {
		tb.Fatal(err)
	}
	return Config{
		Model:  models.Model{Name: "synthetic-cross-tiny", Kind: models.KindReranker, Dims: 1, MaxSeqLen: 512},
		Dir:    dir,
		Device: DeviceCPU, Threads: 2, BatchSize: 4,
	}
}

// TestRerankerMatchesBareSession checks scores against the model run one
// pair at a time, unpadded, in a bare ONNX Runtime session: batching,
// padding, segment ids and the sigmoid must change nothing.
func TestRerankerMatchesBareSession(t *testing.T) {
	cfg := crossConfig(t)
	s := openTB(t, cfg)
	if info := s.Info(); info.Kind != models.KindReranker || info.Dims != 1 || info.Device != DeviceCPU {
		t.Fatalf("Info = %+v, want a one-label reranker on cpu", info)
	}
	g := loadGolden(t)
	query := "how do physicians treat asthma?"
	passages := g.Texts
	got, err := s.Score(t.Context(), query, passages)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(passages) {
		t.Fatalf("%d scores for %d passages", len(got), len(passages))
	}

	tok, err := tokenizer.Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := SessionOptions(DeviceCPU, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	names := []string{inputIDs, attentionMask, tokenTypeIDs}
	bare, err := ort.NewDynamicAdvancedSession(filepath.Join(cfg.Dir, "onnx", "model.onnx"), names, []string{"logits"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Destroy()
	distinct := map[float64]bool{}
	for i, p := range passages {
		enc := tok.(tokenizer.PairEncoder).EncodePair(query, p, 512)
		n := int64(len(enc.IDs))
		mask := make([]int64, n)
		for j := range mask {
			mask[j] = 1
		}
		var ins []ort.Value
		for _, data := range [][]int64{enc.IDs, mask, enc.TypeIDs} {
			v, err := ort.NewTensor(ort.NewShape(1, n), data)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Destroy()
			ins = append(ins, v)
		}
		logit := make([]float32, 1)
		out, err := ort.NewTensor(ort.NewShape(1, 1), logit)
		if err != nil {
			t.Fatal(err)
		}
		if err := bare.Run(ins, []ort.Value{out}); err != nil {
			t.Fatal(err)
		}
		out.Destroy()
		want := 1 / (1 + math.Exp(-float64(logit[0])))
		if d := math.Abs(got[i] - want); d > 1e-5 {
			t.Errorf("passage %d (%q): score %.7f, bare session %.7f", i, shortText(p), got[i], want)
		}
		if got[i] <= 0 || got[i] >= 1 {
			t.Errorf("passage %d: score %v outside (0, 1)", i, got[i])
		}
		distinct[math.Round(got[i]*1e4)] = true
	}
	if len(distinct) < len(passages)/2 {
		t.Errorf("only %d distinct scores for %d passages", len(distinct), len(passages))
	}
}

func shortText(s string) string {
	if r := []rune(s); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

func TestRerankerAndEmbedderRefuseEachOthersWork(t *testing.T) {
	r := openTB(t, crossConfig(t))
	if _, err := r.Embed(t.Context(), []string{"text"}, Document); err == nil {
		t.Error("Embed on a reranker succeeded")
	}
	e := openTB(t, tinyConfig(t))
	if _, err := e.Score(t.Context(), "q", []string{"p"}); !errors.Is(err, ErrNotReranker) {
		t.Errorf("Score on an embedder: %v, want ErrNotReranker", err)
	}
	if got, err := r.Score(t.Context(), "q", nil); err != nil || len(got) != 0 {
		t.Errorf("Score of no passages = %v, %v", got, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Score(ctx, "q", []string{"p"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Score with a cancelled context: %v", err)
	}
	r.Close()
	if _, err := r.Score(t.Context(), "q", []string{"p"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Score after Close: %v, want ErrClosed", err)
	}
}

func TestRelevance(t *testing.T) {
	for _, c := range []struct {
		logits []float32
		want   float64
	}{
		{nil, 0},
		{[]float32{0}, 0.5},
		{[]float32{2}, 1 / (1 + math.Exp(-2))},
		{[]float32{0, 0}, 0.5},
		{[]float32{-1, 1}, math.Exp(1) / (math.Exp(-1) + math.Exp(1))},
		{[]float32{800, 0}, 0},
	} {
		if got := relevance(c.logits); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("relevance(%v) = %v, want %v", c.logits, got, c.want)
		}
	}
}
