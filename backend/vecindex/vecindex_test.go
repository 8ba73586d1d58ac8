package vecindex_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
	"github.com/quarry-search/quarry/backend/vecindex"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func unit(r *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// seed writes docs documents of n chunks each, with real encoded
// embeddings, the way the indexing pipeline stores them.
func seed(t *testing.T, st *store.Store, c store.Collection, src int64, docs, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for d := range docs {
		att, err := st.AttachFile(t.Context(), c.ID, store.FileInfo{
			SourceID: src, Path: fmt.Sprintf("/data/doc%03d.txt", d), Size: 10, Modified: time.Now(), Hash: fmt.Sprintf("hash%03d", d),
		})
		if err != nil {
			t.Fatal(err)
		}
		var res store.DocumentResult
		for i := range n {
			res.Chunks = append(res.Chunks, store.ChunkRow{
				Index: i, PointID: qdrant.PointID(att.DocumentID, i), Text: "chunk",
				Embedding: embedder.Precision(c.Quantization).Encode(unit(r, c.EmbeddingDims)), Format: c.Quantization,
			})
		}
		if err := st.CompleteDocument(t.Context(), c.ID, att.DocumentID, res); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRebuildReconcileDrop(t *testing.T) {
	for _, quant := range []string{"float32", "float16", "int8"} {
		t.Run(quant, func(t *testing.T) {
			st := testenv.Store(t)
			ctx := t.Context()
			owner, _ := st.LocalUserID(ctx)
			c, err := st.CreateCollection(ctx, store.NewCollection{
				OwnerID: owner, Name: "v", ModelName: "all-MiniLM-L6-v2", EmbeddingDims: 16,
				Quantization: quant, ChunkSize: 128, ChunkOverlap: 16,
			}, owner)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			src, err := st.AddSource(ctx, c.ID, "directory", dir, owner)
			if err != nil {
				t.Fatal(err)
			}
			seed(t, st, c, src.ID, 20, 5)

			client := testenv.Vectors(t)
			idx := vecindex.New(client, st, testenv.Logger(t))
			n, err := idx.Rebuild(ctx, c)
			if err != nil || n != 100 {
				t.Fatalf("Rebuild = %d, %v; want 100 points", n, err)
			}
			if got, err := idx.Count(ctx, c); err != nil || got != 100 {
				t.Fatalf("Count = %d, %v", got, err)
			}

			// Drift both ways: a lost point and a point whose chunk is gone.
			docs, _ := st.ListDocuments(ctx, c.ID, "", 100, 0)
			if err := client.DeletePoints(ctx, c.ID, []string{qdrant.PointID(docs[0].ID, 0)}); err != nil {
				t.Fatal(err)
			}
			orphaned, err := st.DetachPaths(ctx, c.ID, []string{docs[1].Path})
			if err != nil || len(orphaned) != 1 {
				t.Fatalf("DetachPaths = %v, %v", orphaned, err)
			}
			d, err := idx.Reconcile(ctx, c)
			if err != nil || d.Missing != 1 || d.Orphaned != 5 {
				t.Fatalf("Reconcile = %+v, %v; want 1 missing, 5 orphaned", d, err)
			}
			if got, _ := idx.Count(ctx, c); got != 95 {
				t.Errorf("Count after repair = %d, want 95", got)
			}

			// A query vector stored in PostgreSQL finds its own chunk first.
			var probe store.StoredChunk
			_ = st.ForEachStoredChunk(ctx, c.ID, 1000, func(ch []store.StoredChunk) error { probe = ch[7]; return nil })
			p, err := vecindex.Point(c, probe)
			if err != nil {
				t.Fatal(err)
			}
			hits, err := idx.Search(ctx, c, qdrant.Query{Vector: p.Vector, Limit: 3})
			if err != nil || len(hits) == 0 || hits[0].ID != probe.PointID {
				t.Errorf("search for a stored vector = %+v, %v; want %s first", hits, err, probe.PointID)
			}
			if err := idx.Drop(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := idx.Count(ctx, c); err == nil {
				t.Error("Count after Drop succeeded; want not found")
			}
		})
	}
}
