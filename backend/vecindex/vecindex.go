// Package vecindex keeps Quarry's vector index in step with PostgreSQL:
// one physical Qdrant collection per Quarry collection behind an alias
// named after it, filled from the embeddings PostgreSQL keeps, so any
// engine can be (re)built without re-embedding.
package vecindex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
)

// Index is the vector side of every collection.
type Index struct {
	client *qdrant.Client
	store  *store.Store
	log    *slog.Logger

	mu sync.Mutex
	// loading holds the collections whose vectors start-up has not
	// brought in line with PostgreSQL yet; any other collection is ready.
	loading map[string]*load
}

// load is one collection's start-up load.
type load struct {
	done          chan struct{}
	loaded, total atomic.Int64
}

// New wraps a connected client.
func New(client *qdrant.Client, st *store.Store, logger *slog.Logger) *Index {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Index{client: client, store: st, log: logger, loading: map[string]*load{}}
}

// Search finds the chunks nearest a query vector in a collection's live
// build: the one the collection row names, so that a search never pairs
// a query embedded by one model with another model's vectors while a
// reindex switches. A collection whose vectors are still loading answers
// with what is loaded so far.
func (x *Index) Search(ctx context.Context, c store.Collection, q qdrant.Query) ([]qdrant.Hit, error) {
	t, err := TargetOf(c)
	if err != nil {
		return nil, err
	}
	hits, err := x.client.Search(ctx, t.Physical, q)
	if errors.Is(err, qdrant.ErrNotFound) {
		if loading, _ := x.Loading(c.ID); loading {
			return nil, nil
		}
	}
	return hits, err
}

// Loading reports whether a collection's vectors are still being loaded
// at start-up, and how far that is (0–100).
func (x *Index) Loading(collectionID string) (bool, float64) {
	x.mu.Lock()
	l := x.loading[collectionID]
	x.mu.Unlock()
	if l == nil {
		return false, 100
	}
	t := l.total.Load()
	if t <= 0 {
		return true, 0
	}
	return true, min(100, 100*float64(l.loaded.Load())/float64(t))
}

// WaitReady waits until a collection's vectors are loaded, so that writes
// never race the start-up load.
func (x *Index) WaitReady(ctx context.Context, collectionID string) error {
	x.mu.Lock()
	l := x.loading[collectionID]
	x.mu.Unlock()
	if l == nil {
		return nil
	}
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TargetOf describes where a collection's vectors live.
func TargetOf(c store.Collection) (Target, error) {
	q, err := qdrant.ParseQuantization(c.Quantization)
	if err != nil {
		return Target{}, err
	}
	physical := c.VectorCollection
	if physical == "" {
		short := c.ModelName
		if m, ok := models.Lookup(c.ModelName); ok {
			short = m.ShortName
		}
		physical = qdrant.PhysicalName(c.ID, short, q, 0)
	}
	return Target{CollectionID: c.ID, Physical: physical, Spec: qdrant.Spec{Dims: c.EmbeddingDims, Quantization: q}}, nil
}

// Ensure creates the collection's physical collection if needed and
// points its alias at it: after a reindex whose switch a crash
// interrupted, the alias follows what PostgreSQL says is live.
func (x *Index) Ensure(ctx context.Context, c store.Collection) error {
	t, err := TargetOf(c)
	if err != nil {
		return err
	}
	if err := x.client.EnsureCollection(ctx, t.Physical, t.Spec); err != nil {
		return fmt.Errorf("ensure vectors of %s: %w", c.ID, err)
	}
	cur, err := x.client.ResolveAlias(ctx, c.ID)
	if err != nil && !errors.Is(err, qdrant.ErrNotFound) {
		return fmt.Errorf("ensure vectors of %s: %w", c.ID, err)
	}
	if cur != t.Physical {
		if err := x.client.SwitchAlias(ctx, c.ID, t.Physical); err != nil {
			return fmt.Errorf("ensure vectors of %s: %w", c.ID, err)
		}
	}
	return nil
}

// EnsureBuild creates the physical collection of a build that is not
// live yet (a reindex's staging build); the alias is left alone.
func (x *Index) EnsureBuild(ctx context.Context, next store.Collection) error {
	t, err := TargetOf(next)
	if err != nil {
		return err
	}
	if err := x.client.EnsureCollection(ctx, t.Physical, t.Spec); err != nil {
		return fmt.Errorf("create build %s: %w", t.Physical, err)
	}
	return nil
}

// Promote points a collection's alias at a new build (a reindex's, once
// PostgreSQL has switched to it).
func (x *Index) Promote(ctx context.Context, next store.Collection) error {
	t, err := TargetOf(next)
	if err != nil {
		return err
	}
	if err := x.client.SwitchAlias(ctx, next.ID, t.Physical); err != nil {
		return fmt.Errorf("switch %s to %s: %w", next.ID, t.Physical, err)
	}
	return nil
}

// DropBuild deletes one physical collection; one already gone is fine.
func (x *Index) DropBuild(ctx context.Context, name string) error {
	if err := x.client.DeleteCollection(ctx, name); err != nil && !errors.Is(err, qdrant.ErrNotFound) {
		return fmt.Errorf("drop build %s: %w", name, err)
	}
	return nil
}

// AllBuilds lists every physical collection the engine holds.
func (x *Index) AllBuilds(ctx context.Context) ([]string, error) {
	return x.client.ListCollections(ctx)
}

// CountBuild counts the points of one physical collection.
func (x *Index) CountBuild(ctx context.Context, name string) (uint64, error) {
	return x.client.Count(ctx, name, qdrant.Filter{})
}

// Builds lists the physical collections the engine holds for a
// collection (its live build, a staging one, leftovers).
func (x *Index) Builds(ctx context.Context, collectionID string) ([]string, error) {
	all, err := x.client.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range all {
		if strings.HasPrefix(n, collectionID+"_") {
			out = append(out, n)
		}
	}
	return out, nil
}

// Upsert writes points to the collection's current build.
func (x *Index) Upsert(ctx context.Context, c store.Collection, points []qdrant.Point) error {
	t, err := TargetOf(c)
	if err != nil {
		return err
	}
	return x.client.Upsert(ctx, t.Physical, points)
}

// DeleteDocuments removes every point of the given documents.
func (x *Index) DeleteDocuments(ctx context.Context, c store.Collection, docIDs []string) error {
	if len(docIDs) == 0 {
		return nil
	}
	t, err := TargetOf(c)
	if err != nil {
		return err
	}
	for start := 0; start < len(docIDs); start += 512 {
		batch := docIDs[start:min(start+512, len(docIDs))]
		if err := x.client.DeleteWhere(ctx, t.Physical, qdrant.Filter{DocumentIDs: batch}); err != nil {
			return fmt.Errorf("delete vectors of %d documents: %w", len(batch), err)
		}
	}
	return nil
}

// Drop deletes a collection's alias and physical collection.
func (x *Index) Drop(ctx context.Context, c store.Collection) error {
	t, err := TargetOf(c)
	if err != nil {
		return err
	}
	cur, err := x.client.ResolveAlias(ctx, c.ID)
	if err != nil && !errors.Is(err, qdrant.ErrNotFound) {
		return fmt.Errorf("drop vectors of %s: %w", c.ID, err)
	}
	if cur != "" {
		if err := x.client.DeleteAlias(ctx, c.ID); err != nil && !errors.Is(err, qdrant.ErrNotFound) {
			return fmt.Errorf("drop vectors of %s: %w", c.ID, err)
		}
	}
	names := append([]string{cur, t.Physical, c.Staging}, c.VectorCollections...)
	for _, name := range names {
		if name == "" {
			continue
		}
		if err := x.client.DeleteCollection(ctx, name); err != nil && !errors.Is(err, qdrant.ErrNotFound) {
			return fmt.Errorf("drop vectors of %s: %w", c.ID, err)
		}
	}
	return nil
}

// Rebuild fills the collection's vectors from PostgreSQL and points its
// alias at them: how the embedded engine is loaded at start-up and how a
// newly available engine catches up. Nothing is re-embedded.
func (x *Index) Rebuild(ctx context.Context, c store.Collection) (int, error) {
	t, err := TargetOf(c)
	if err != nil {
		return 0, err
	}
	return rebuild(ctx, x.client, x.source(c), t, nil)
}

// Reconcile repairs drift between PostgreSQL's chunks and the points.
func (x *Index) Reconcile(ctx context.Context, c store.Collection) (Drift, error) {
	if err := x.Ensure(ctx, c); err != nil {
		return Drift{}, err
	}
	return reconcile(ctx, x.client, x.source(c), c.ID)
}

// Count returns the number of points behind the collection's alias.
func (x *Index) Count(ctx context.Context, c store.Collection) (uint64, error) {
	return x.client.Count(ctx, c.ID, qdrant.Filter{})
}

// BeginSync marks every collection as loading; call it before the app
// reports ready, then run Sync in the background. It is one query.
func (x *Index) BeginSync(ctx context.Context) ([]store.Collection, error) {
	list, err := x.store.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range list {
		l := &load{done: make(chan struct{})}
		l.total.Store(c.VectorCount)
		x.loading[c.ID] = l
	}
	return list, nil
}

// Sync brings the collections BeginSync returned in line with PostgreSQL:
// a memory-only engine is rebuilt, a persistent one reconciled. Each
// collection is ready (searchable in full, writable) as soon as it is
// done; one that fails is logged and left as it is.
func (x *Index) Sync(ctx context.Context, list []store.Collection, fromScratch bool) error {
	var errs []error
	for _, c := range list {
		if ctx.Err() != nil {
			break
		}
		if err := x.syncOne(ctx, c, fromScratch); err != nil {
			errs = append(errs, err)
		}
		x.mu.Lock()
		if l := x.loading[c.ID]; l != nil {
			close(l.done)
			delete(x.loading, c.ID)
		}
		x.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (x *Index) syncOne(ctx context.Context, c store.Collection, fromScratch bool) error {
	x.mu.Lock()
	l := x.loading[c.ID]
	x.mu.Unlock()
	if fromScratch {
		t, err := TargetOf(c)
		if err != nil {
			return err
		}
		n, err := rebuild(ctx, x.client, x.source(c), t, func(n int) {
			if l != nil {
				l.loaded.Store(int64(n))
			}
		})
		if err != nil {
			return err
		}
		x.log.Info("vectors loaded from PostgreSQL", "collection", c.ID, "points", n)
		return nil
	}
	d, err := x.Reconcile(ctx, c)
	if err != nil {
		return err
	}
	if d.Missing > 0 || d.Orphaned > 0 {
		x.log.Warn("vector index drift repaired", "collection", c.ID, "missing", d.Missing, "orphaned", d.Orphaned)
	}
	return nil
}

// Point turns a stored chunk into a vector-index point.
func Point(c store.Collection, k store.StoredChunk) (qdrant.Point, error) {
	vec, err := embedder.Precision(k.Format).Decode(k.Embedding, c.EmbeddingDims)
	if err != nil {
		return qdrant.Point{}, fmt.Errorf("chunk %d of %s: %w", k.Index, k.DocumentID, err)
	}
	p := qdrant.Point{ID: k.PointID, Vector: vec, Payload: qdrant.Payload{
		DocumentID: k.DocumentID, ChunkIndex: k.Index, Path: k.Path, MimeType: k.MimeType, Modified: k.Modified,
	}}
	if k.SourceID != 0 {
		p.Payload.SourceID = strconv.FormatInt(k.SourceID, 10)
	}
	return p, nil
}

// Points turns stored chunks into vector-index points.
func Points(c store.Collection, chunks []store.StoredChunk) ([]qdrant.Point, error) {
	out := make([]qdrant.Point, 0, len(chunks))
	for _, k := range chunks {
		p, err := Point(c, k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (x *Index) source(c store.Collection) ChunkSource { return chunkSource{st: x.store, c: c} }

// chunkSource reads a collection's stored embeddings for the vector index.
type chunkSource struct {
	st *store.Store
	c  store.Collection
}

func (s chunkSource) points(chunks []store.StoredChunk) ([]qdrant.Point, error) {
	return Points(s.c, chunks)
}

func (s chunkSource) ForEachChunk(ctx context.Context, collectionID string, fn func([]qdrant.Point) error) error {
	return s.st.ForEachStoredChunk(ctx, collectionID, 512, func(chunks []store.StoredChunk) error {
		pts, err := s.points(chunks)
		if err != nil {
			return err
		}
		return fn(pts)
	})
}

func (s chunkSource) ForEachChunkKey(ctx context.Context, collectionID string, fn func([]ChunkKey) error) error {
	return s.st.ForEachChunkKey(ctx, collectionID, 2048, func(docs []string, idx []int) error {
		keys := make([]ChunkKey, len(docs))
		for i := range docs {
			keys[i] = ChunkKey{DocumentID: docs[i], ChunkIndex: idx[i]}
		}
		return fn(keys)
	})
}

func (s chunkSource) Chunks(ctx context.Context, collectionID string, keys []ChunkKey) ([]qdrant.Point, error) {
	docs := make([]string, len(keys))
	idx := make([]int, len(keys))
	for i, k := range keys {
		docs[i], idx[i] = k.DocumentID, k.ChunkIndex
	}
	chunks, err := s.st.StoredChunksByKey(ctx, collectionID, docs, idx)
	if err != nil {
		return nil, err
	}
	return s.points(chunks)
}
