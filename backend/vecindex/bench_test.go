package vecindex_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// BenchmarkRebuildFromPostgres measures loading a collection's vectors
// into the engine from the embeddings PostgreSQL keeps (no re-embedding):
// what start-up does for the built-in engine and what a newly available
// Qdrant does once. QUARRY_BENCH_CHUNKS sets the size (default 100000).
func BenchmarkRebuildFromPostgres(b *testing.B) {
	total := 100_000
	if v, err := strconv.Atoi(os.Getenv("QUARRY_BENCH_CHUNKS")); err == nil && v > 0 {
		total = v
	}
	for _, quant := range []string{"float32", "int8"} {
		b.Run(fmt.Sprintf("%s/%dk", quant, total/1000), func(b *testing.B) {
			st := testenv.Store(b)
			ctx := b.Context()
			owner, _ := st.LocalUserID(ctx)
			c, err := st.CreateCollection(ctx, store.NewCollection{
				OwnerID: owner, Name: "bench", ModelName: "bge-small-en-v1.5", EmbeddingDims: 384,
				Quantization: quant, ChunkSize: 256, ChunkOverlap: 32,
			}, owner)
			if err != nil {
				b.Fatal(err)
			}
			src, err := st.AddSource(ctx, c.ID, "directory", b.TempDir(), owner)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			prec := embedder.Precision(quant)
			t0 := time.Now()
			const perDoc = 100
			for d := 0; d < total/perDoc; d++ {
				att, err := st.AttachFile(ctx, c.ID, store.FileInfo{SourceID: src.ID, Path: fmt.Sprintf("/b/%06d", d), Hash: strconv.Itoa(d), Modified: t0})
				if err != nil {
					b.Fatal(err)
				}
				res := store.DocumentResult{Chunks: make([]store.ChunkRow, perDoc)}
				for i := range res.Chunks {
					res.Chunks[i] = store.ChunkRow{Index: i, PointID: qdrant.PointID(att.DocumentID, i), Text: "x",
						Embedding: prec.Encode(unit(r, 384)), Format: quant}
				}
				if err := st.CompleteDocument(ctx, c.ID, att.DocumentID, res); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("seeded %d chunks in %v", total, time.Since(t0).Round(time.Millisecond))
			idx := vecindex.New(testenv.Vectors(b), st, nil)
			b.ResetTimer()
			for range b.N {
				n, err := idx.Rebuild(ctx, c)
				if err != nil || n != total {
					b.Fatalf("Rebuild = %d, %v", n, err)
				}
			}
			b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
