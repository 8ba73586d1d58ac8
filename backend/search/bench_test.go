package search

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/fixtures/crossencoder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// benchCorpus reads NFCorpus's documents and test queries.
func benchCorpus(b *testing.B) (texts, queries []string) {
	b.Helper()
	dir := filepath.Join(testenv.SharedDir(b), "datasets", "beir", "nfcorpus")
	read := func(name string, fn func(map[string]any)) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			testenv.Missing(b, "NFCorpus: %v", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				fn(m)
			}
		}
	}
	read("corpus.jsonl", func(m map[string]any) { texts = append(texts, fmt.Sprint(m["title"], ". ", m["text"])) })
	read("queries.jsonl", func(m map[string]any) { queries = append(queries, fmt.Sprint(m["text"])) })
	return texts, queries
}

// BenchmarkSearch100k measures hybrid search over 100,000 chunks (10,000
// documents of 10 chunks, each a ~60-word window of NFCorpus text),
// query embedding included, with and without a filter. It reports p50
// and p99 latency; run it with -benchtime=400x.
func BenchmarkSearch100k(b *testing.B) {
	const docs, perDoc, words = 10000, 10, 60
	texts, queries := benchCorpus(b)
	svc := gloveModel(b)
	ctx := context.Background()
	st := testenv.Store(b)
	vec := vecindex.New(testenv.Vectors(b), st, nil)
	uid, _ := st.LocalUserID(ctx)
	c, err := st.CreateCollection(ctx, store.NewCollection{OwnerID: uid, Name: "bench", ModelName: "glove-6b-100d",
		EmbeddingDims: 100, Quantization: "float32", ChunkSize: 200, ChunkOverlap: 20}, uid)
	if err != nil {
		b.Fatal(err)
	}
	src, err := st.AddSource(ctx, c.ID, "directory", "/bench", uid)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	var all [][]string
	for _, t := range texts {
		all = append(all, strings.Fields(t))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for d := range docs {
		chunks := make([]string, perDoc)
		for i := range chunks {
			w := all[rng.IntN(len(all))]
			start := rng.IntN(max(1, len(w)-words))
			chunks[i] = strings.Join(w[start:min(len(w), start+words)], " ")
		}
		g.Go(func() error {
			vecs, err := svc.Embed(gctx, chunks, embedder.Document)
			if err != nil {
				return err
			}
			folder := []string{"a", "b"}[d%2]
			path := fmt.Sprintf("/bench/%s/doc%05d.txt", folder, d)
			sum := sha256.Sum256([]byte(path))
			a, err := st.AttachFile(gctx, c.ID, store.FileInfo{SourceID: src.ID, Path: path, Size: 1, Modified: time.Now(),
				MimeType: "text/plain", Hash: hex.EncodeToString(sum[:])})
			if err != nil {
				return err
			}
			rows := make([]store.ChunkRow, perDoc)
			for i := range rows {
				rows[i] = store.ChunkRow{Index: i, PointID: qdrant.PointID(a.DocumentID, i), Text: chunks[i],
					CharEnd: len(chunks[i]), Embedding: embedder.Float32.Encode(vecs[i]), Format: "float32"}
			}
			return st.CompleteDocument(gctx, c.ID, a.DocumentID, store.DocumentResult{MimeType: "text/plain", Chunks: rows})
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	b.Logf("stored %d chunks in %v", docs*perDoc, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if err := vec.Ensure(ctx, c); err != nil {
		b.Fatal(err)
	}
	if _, err := vec.Rebuild(ctx, c); err != nil {
		b.Fatal(err)
	}
	b.Logf("vector index loaded in %v", time.Since(t0).Round(time.Millisecond))
	eng := New(Options{Store: st, Index: vec, Embedders: oneModel{svc}})
	t0 = time.Now()
	if err := eng.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("keyword index built in %v", time.Since(t0).Round(time.Millisecond))

	for _, bc := range []struct {
		name string
		mode Mode
		f    Filters
	}{
		{"hybrid", Hybrid, Filters{}},
		{"hybrid-folder-filter", Hybrid, Filters{Folders: []string{"/bench/a"}}},
		{"hybrid-type-filter", Hybrid, Filters{FileTypes: []string{"txt"}, ModifiedFrom: ptr(time.Now().Add(-time.Hour))}},
		{"keyword", Keyword, Filters{}},
		{"semantic", Semantic, Filters{}},
	} {
		// Warm-up outside the measurement: connection set-up, the
		// model's floor, first-touch allocations.
		for _, q := range queries[:20] {
			if _, err := eng.Search(ctx, Request{Query: q, Mode: bc.mode, Filters: bc.f}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			var took []time.Duration
			i := 20
			for b.Loop() {
				q := queries[i%len(queries)]
				i++
				t := time.Now()
				if _, err := eng.Search(ctx, Request{Query: q, Mode: bc.mode, Filters: bc.f}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t))
			}
			reportLatency(b, took)
		})
	}
}

// BenchmarkRerank measures what reranking adds to a search: the
// cross-encoder scoring the shown passages of the best documents. The
// model is the MiniLM-L6 int8 architecture of ms-marco-MiniLM-L-6-v2 with
// random weights (real cost), passages are ~180-word NFCorpus windows
// (about 256 tokens) and queries NFCorpus test queries. It reports p50 and
// p99 latency per query; run it with -benchtime=20x.
func BenchmarkRerank(b *testing.B) {
	texts, queries := benchCorpus(b)
	shared := filepath.Join(testenv.SharedDir(b), "models")
	dir := filepath.Join(b.TempDir(), "cross-minilm")
	if err := crossencoder.Build(dir, filepath.Join(shared, "synthetic-minilm-l6-int8", "model_quantized.onnx"),
		filepath.Join(shared, "all-MiniLM-L6-v2"), 5); err != nil {
		testenv.Missing(b, "cross-encoder from the synthetic MiniLM: %v", err)
	}
	t0 := time.Now()
	rr, err := embedder.Open(context.Background(), embedder.Config{
		Model: models.Model{Name: "synthetic-cross-minilm", Kind: models.KindReranker, Dims: 1, MaxSeqLen: 512},
		Dir:   dir,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Close()
	b.Logf("reranker loaded in %v on %s with %d threads", time.Since(t0).Round(time.Millisecond), rr.Info().Device, rr.Info().Threads)
	rng := rand.New(rand.NewPCG(3, 4))
	window := func() string {
		w := strings.Fields(texts[rng.IntN(len(texts))])
		start := rng.IntN(max(1, len(w)-180))
		return strings.Join(w[start:min(len(w), start+180)], " ")
	}
	for _, n := range []int{10, 30, 60} {
		b.Run(fmt.Sprintf("passages-%d", n), func(b *testing.B) {
			var took []time.Duration
			i := 0
			for b.Loop() {
				passages := make([]string, n)
				for j := range passages {
					passages[j] = window()
				}
				q := queries[i%len(queries)]
				i++
				t := time.Now()
				if _, err := rr.Score(context.Background(), q, passages); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t))
			}
			p50 := reportLatency(b, took)
			b.ReportMetric(float64(n)/p50.Seconds(), "passages/s")
		})
	}
}

// reportLatency reports the median and 99th percentile of took, and
// returns the median.
func reportLatency(b *testing.B, took []time.Duration) time.Duration {
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	p50 := took[len(took)/2]
	b.ReportMetric(ms(p50), "p50_ms")
	b.ReportMetric(ms(took[min(len(took)-1, len(took)*99/100)]), "p99_ms")
	return p50
}
