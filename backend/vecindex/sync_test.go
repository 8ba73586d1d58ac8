package vecindex

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/testenv"
)

// memSource is an in-memory ChunkSource: the data PostgreSQL would hold.
type memSource struct {
	mu     sync.Mutex
	batch  int
	chunks map[string]map[ChunkKey]qdrant.Point
}

func newMemSource(batch int) *memSource {
	return &memSource{batch: batch, chunks: map[string]map[ChunkKey]qdrant.Point{}}
}

func (m *memSource) put(collection string, pts ...qdrant.Point) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.chunks[collection] == nil {
		m.chunks[collection] = map[ChunkKey]qdrant.Point{}
	}
	for _, p := range pts {
		m.chunks[collection][ChunkKey{DocumentID: p.Payload.DocumentID, ChunkIndex: p.Payload.ChunkIndex}] = p
	}
}

func (m *memSource) remove(collection string, k ChunkKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.chunks[collection], k)
}

func (m *memSource) sortedKeys(collection string) []ChunkKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.SortedFunc(maps.Keys(m.chunks[collection]), func(a, b ChunkKey) int {
		if a.DocumentID != b.DocumentID {
			return map[bool]int{true: -1, false: 1}[a.DocumentID < b.DocumentID]
		}
		return a.ChunkIndex - b.ChunkIndex
	})
}

func (m *memSource) ForEachChunk(ctx context.Context, collection string, fn func([]qdrant.Point) error) error {
	keys := m.sortedKeys(collection)
	for start := 0; start < len(keys); start += m.batch {
		pts, _ := m.Chunks(ctx, collection, keys[start:min(start+m.batch, len(keys))])
		if err := fn(pts); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) ForEachChunkKey(_ context.Context, collection string, fn func([]ChunkKey) error) error {
	keys := m.sortedKeys(collection)
	for start := 0; start < len(keys); start += m.batch {
		if err := fn(keys[start:min(start+m.batch, len(keys))]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) Chunks(_ context.Context, collection string, keys []ChunkKey) ([]qdrant.Point, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []qdrant.Point
	for _, k := range keys {
		if p, ok := m.chunks[collection][k]; ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// TestRebuildAndReconcile runs against the built-in engine over gRPC, or
// real Qdrant when QUARRY_TEST_QDRANT_URL names one.
func TestRebuildAndReconcile(t *testing.T) {
	for _, name := range []string{"engine"} {
		t.Run(name, func(t *testing.T) {
			c := testenv.Vectors(t)
			coll := uniqueName("quarrycoll")
			src := newMemSource(5)
			src.put(coll, fixture(16)...)
			first := qdrant.PhysicalName(coll, "test", qdrant.Float32, 0)
			second := qdrant.PhysicalName(coll, "test", qdrant.Float32, 1)
			t.Cleanup(func() {
				_ = c.DeleteAlias(context.Background(), coll)
				_ = c.DeleteCollection(context.Background(), first)
				_ = c.DeleteCollection(context.Background(), second)
			})

			var reported []int
			n, err := rebuild(t.Context(), c, src, Target{CollectionID: coll, Physical: first, Spec: qdrant.Spec{Dims: 16}}, func(p int) { reported = append(reported, p) })
			if err != nil || n != 12 {
				t.Fatalf("Rebuild = %d, %v; want 12", n, err)
			}
			if want := []int{5, 10, 12}; !slices.Equal(reported, want) {
				t.Errorf("progress = %v; want %v", reported, want)
			}
			if got, _ := c.Count(t.Context(), coll, qdrant.Filter{}); got != 12 {
				t.Errorf("points via alias = %d; want 12", got)
			}

			t.Run("reconcile finds nothing on a consistent index", func(t *testing.T) {
				d, err := reconcile(t.Context(), c, src, coll)
				if err != nil || d != (Drift{}) {
					t.Errorf("Reconcile = %+v, %v; want no drift", d, err)
				}
			})

			t.Run("reconcile repairs missing and orphaned points", func(t *testing.T) {
				// Drift as a crash leaves it: two points lost, one chunk
				// deleted in PostgreSQL but not in Qdrant, one stray point.
				if err := c.DeletePoints(t.Context(), coll, []string{qdrant.PointID("doc-0", 1), qdrant.PointID("doc-2", 3)}); err != nil {
					t.Fatal(err)
				}
				src.remove(coll, ChunkKey{DocumentID: "doc-1", ChunkIndex: 0})
				stray := fixture(16)[0]
				stray.Payload.DocumentID = "deleted-doc"
				if err := c.Upsert(t.Context(), coll, []qdrant.Point{stray}); err != nil {
					t.Fatal(err)
				}
				d, err := reconcile(t.Context(), c, src, coll)
				if err != nil || d != (Drift{Missing: 2, Orphaned: 2}) {
					t.Errorf("Reconcile = %+v, %v; want 2 missing, 2 orphaned", d, err)
				}
				var got []string
				_ = c.ForEachID(t.Context(), coll, 100, func(ids []string) error { got = append(got, ids...); return nil })
				var want []string
				for _, k := range src.sortedKeys(coll) {
					want = append(want, qdrant.PointID(k.DocumentID, k.ChunkIndex))
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("after repair ids = %v; want %v", got, want)
				}
			})

			t.Run("rebuild into a new build switches the alias and drops the old", func(t *testing.T) {
				src.put(coll, qdrant.Point{Vector: axis(16, 3, 4, 0), Payload: qdrant.Payload{DocumentID: "doc-9", ChunkIndex: 0}})
				n, err := rebuild(t.Context(), c, src, Target{CollectionID: coll, Physical: second, Spec: qdrant.Spec{Dims: 16}}, nil)
				if err != nil || n != 12 {
					t.Fatalf("Rebuild = %d, %v; want 12", n, err)
				}
				if got, _ := c.ResolveAlias(t.Context(), coll); got != second {
					t.Errorf("alias -> %s; want %s", got, second)
				}
				if _, err := c.Info(t.Context(), first); err == nil {
					t.Errorf("previous build %s still exists", first)
				}
				hits, err := c.Search(t.Context(), coll, qdrant.Query{Vector: axis(16, 3, 4, 0), Limit: 1, Filter: qdrant.Filter{DocumentIDs: []string{"doc-9"}}})
				if err != nil || len(hits) != 1 || fmt.Sprint(hits[0].Payload.DocumentID) != "doc-9" {
					t.Errorf("search in new build = %v, %v", hits, err)
				}
			})
		})
	}
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// axis is a unit vector along dimension i, bent towards dimension j.
func axis(dims, i, j int, bend float32) []float32 {
	v := make([]float32, dims)
	v[i] = 1
	v[j] += bend
	return v
}

// fixture is 3 documents of 4 chunks each.
func fixture(dims int) []qdrant.Point {
	var pts []qdrant.Point
	for d := range 3 {
		for ch := range 4 {
			pts = append(pts, qdrant.Point{
				Vector:  axis(dims, (d*4+ch)%dims, (d*4+ch+1)%dims, 0.1*float32(ch+1)),
				Payload: qdrant.Payload{DocumentID: fmt.Sprintf("doc-%d", d), ChunkIndex: ch, Path: fmt.Sprintf("/data/file%d", d)},
			})
		}
	}
	return pts
}
