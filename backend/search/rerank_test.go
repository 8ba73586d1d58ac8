package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/fixtures/crossencoder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/testenv"
)

var cross struct {
	once sync.Once
	svc  *embedder.Service
	err  error
}

// crossModel opens, once per test binary, a cross-encoder built from the
// shared synthetic-bert-tiny encoder: real runtime and tokenizer, scores
// without meaning.
func crossModel(t testing.TB) *embedder.Service {
	t.Helper()
	shared := filepath.Join(testenv.SharedDir(t), "models")
	cross.once.Do(func() {
		dir, err := os.MkdirTemp("", "quarry-search-cross-")
		if err != nil {
			cross.err = err
			return
		}
		if cross.err = crossencoder.Build(dir, filepath.Join(shared, "synthetic-bert-tiny", "model.onnx"),
			filepath.Join(shared, "all-MiniLM-L6-v2"), 11); cross.err != nil {
			return
		}
		cross.svc, cross.err = embedder.Open(context.Background(), embedder.Config{
			Model: models.Model{Name: "synthetic-cross-tiny", Kind: models.KindReranker, Dims: 1, MaxSeqLen: 512},
			Dir:   dir, Device: embedder.DeviceCPU, Threads: 2,
		})
	})
	if cross.err != nil {
		testenv.Missing(t, "cross-encoder built from %s: %v", shared, cross.err)
	}
	return cross.svc
}

type oneReranker struct{ svc *embedder.Service }

func (o oneReranker) Reranker(context.Context) (*embedder.Service, error) { return o.svc, nil }

func TestRerank(t *testing.T) {
	r := newRig(t)
	c := r.collection(t, "Library", "/data/lib")
	r.corpus(t, c, "/data/lib")
	rr := crossModel(t)
	ctx := t.Context()
	base := Request{Query: "the oven engine patient birds café 大学 Москва", Limit: 50}

	if _, err := r.eng.Search(ctx, Request{Query: "oven", Rerank: true}); !errors.Is(err, ErrNoReranker) {
		t.Fatalf("rerank without a reranker: err = %v, want ErrNoReranker", err)
	}
	plain := r.search(t, base)
	if len(plain.Results) < 5 {
		t.Fatalf("only %d results to rerank", len(plain.Results))
	}
	r.eng = New(Options{Store: r.st, Index: r.vec, Embedders: oneModel{r.svc}, Rerankers: oneReranker{rr}, Logger: testenv.Logger(t)})

	req := base
	req.Rerank, req.RerankDepth = true, 4
	got := r.search(t, req)
	if got.Reranker != "synthetic-cross-tiny" || got.Reranked != 4 {
		t.Fatalf("Reranker %q, Reranked %d; want synthetic-cross-tiny, 4", got.Reranker, got.Reranked)
	}
	if len(got.Results) != len(plain.Results) {
		t.Fatalf("%d results reranked, %d before", len(got.Results), len(plain.Results))
	}
	// The first four documents are re-ordered by the reranker's best score
	// for their passages, computed here directly.
	want := map[string]float64{}
	for _, res := range plain.Results[:4] {
		var texts []string
		for _, p := range res.Passages {
			texts = append(texts, p.Snippet.Text)
		}
		scores, err := rr.Score(ctx, req.Query, texts)
		if err != nil {
			t.Fatal(err)
		}
		want[res.DocumentID] = slices.Max(scores)
	}
	head := slices.Clone(plain.Results[:4])
	sort.SliceStable(head, func(i, j int) bool { return want[head[i].DocumentID] > want[head[j].DocumentID] })
	for i, res := range got.Results[:4] {
		if res.DocumentID != head[i].DocumentID {
			t.Errorf("reranked #%d = %s, want %s", i, res.FileName, head[i].FileName)
		}
		if d := res.Score - want[res.DocumentID]; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: score %v, reranker says %v", res.FileName, res.Score, want[res.DocumentID])
		}
		for _, p := range res.Passages {
			if p.RerankScore == nil || *p.RerankScore != p.Score {
				t.Errorf("%s passage %d: score %v, rerank score %v", res.FileName, p.ChunkIndex, p.Score, p.RerankScore)
			}
		}
	}
	// Later documents keep their order and scores.
	for i, res := range got.Results[4:] {
		if p := plain.Results[4+i]; res.DocumentID != p.DocumentID || res.Score != p.Score || res.Passages[0].RerankScore != nil {
			t.Errorf("#%d = %s (%v), want %s (%v) untouched", 4+i, res.FileName, res.Score, p.FileName, p.Score)
		}
	}

	// MinScore applies to the reranker's score.
	cut := want[head[1].DocumentID]
	req.MinScore = cut
	got = r.search(t, req)
	for _, res := range got.Results {
		for _, p := range res.Passages {
			if p.Score < cut {
				t.Errorf("%s passage %d scores %v, below min %v", res.FileName, p.ChunkIndex, p.Score, cut)
			}
		}
	}
	if len(got.Results) == 0 || got.Results[0].DocumentID != head[0].DocumentID {
		t.Errorf("with min score %v: top = %v, want %s", cut, ids(got), head[0].DocumentID)
	}

	for _, depth := range []int{-1, MaxRerankDepth + 1} {
		bad := base
		bad.Rerank, bad.RerankDepth = true, depth
		if _, err := r.eng.Search(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("rerank depth %d: err = %v, want ErrInvalid", depth, err)
		}
	}
	// Default depth, more than there are documents.
	req = Request{Query: base.Query, Rerank: true, Limit: 3}
	got = r.search(t, req)
	if got.Reranked != len(plain.Results) || len(got.Results) != 3 || !got.HasMore {
		t.Errorf("default depth: reranked %d of %d, %d results, has more %v", got.Reranked, len(plain.Results),
			len(got.Results), got.HasMore)
	}
}
