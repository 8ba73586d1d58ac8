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
}

// New wraps a connected client.
func New(client *qdrant.Client, st *store.Store, logger *slog.Logger) *Index {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Index{client: client, store: st, log: logger}
}

// Client exposes the underlying client to search.
func (x *Index) Client() *qdrant.Client { return x.client }

// Target describes where a collection's vectors live.
func Target(c store.Collection) (qdrant.Target, error) {
	q, err := qdrant.ParseQuantization(c.Quantization)
	if err != nil {
		return qdrant.Target{}, err
	}
	physical := c.VectorCollection
	if physical == "" {
		short := c.ModelName
		if m, ok := models.Lookup(c.ModelName); ok {
			short = m.ShortName
		}
		physical = qdrant.PhysicalName(c.ID, short, q, 0)
	}
	return qdrant.Target{CollectionID: c.ID, Physical: physical, Spec: qdrant.Spec{Dims: c.EmbeddingDims, Quantization: q}}, nil
}

// Ensure creates the collection's physical collection and alias if needed.
func (x *Index) Ensure(ctx context.Context, c store.Collection) error {
	t, err := Target(c)
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
	if cur == "" {
		if err := x.client.SwitchAlias(ctx, c.ID, t.Physical); err != nil {
			return fmt.Errorf("ensure vectors of %s: %w", c.ID, err)
		}
	}
	return nil
}

// Upsert writes points to the collection's current build.
func (x *Index) Upsert(ctx context.Context, c store.Collection, points []qdrant.Point) error {
	t, err := Target(c)
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
	t, err := Target(c)
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
	t, err := Target(c)
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
	for _, name := range []string{cur, t.Physical} {
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
	t, err := Target(c)
	if err != nil {
		return 0, err
	}
	return qdrant.Rebuild(ctx, x.client, x.source(c), t, nil)
}

// Reconcile repairs drift between PostgreSQL's chunks and the points.
func (x *Index) Reconcile(ctx context.Context, c store.Collection) (qdrant.Drift, error) {
	if err := x.Ensure(ctx, c); err != nil {
		return qdrant.Drift{}, err
	}
	return qdrant.Reconcile(ctx, x.client, x.source(c), c.ID)
}

// Count returns the number of points behind the collection's alias.
func (x *Index) Count(ctx context.Context, c store.Collection) (uint64, error) {
	return x.client.Count(ctx, c.ID, qdrant.Filter{})
}

// Sync brings every collection's vectors in line with PostgreSQL at
// start-up: a memory-only engine is rebuilt, a persistent one reconciled.
func (x *Index) Sync(ctx context.Context, rebuild bool) error {
	list, err := x.store.ListCollections(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list {
		if rebuild {
			n, err := x.Rebuild(ctx, c)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			x.log.Info("vectors loaded from PostgreSQL", "collection", c.ID, "points", n)
			continue
		}
		d, err := x.Reconcile(ctx, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if d.Missing > 0 || d.Orphaned > 0 {
			x.log.Warn("vector index drift repaired", "collection", c.ID, "missing", d.Missing, "orphaned", d.Orphaned)
		}
	}
	return errors.Join(errs...)
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

func (x *Index) source(c store.Collection) qdrant.ChunkSource { return chunkSource{st: x.store, c: c} }

// chunkSource reads a collection's stored embeddings for the vector index.
type chunkSource struct {
	st *store.Store
	c  store.Collection
}

func (s chunkSource) points(chunks []store.StoredChunk) ([]qdrant.Point, error) {
	out := make([]qdrant.Point, 0, len(chunks))
	for _, k := range chunks {
		p, err := Point(s.c, k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
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

func (s chunkSource) ForEachChunkKey(ctx context.Context, collectionID string, fn func([]qdrant.ChunkKey) error) error {
	return s.st.ForEachChunkKey(ctx, collectionID, 2048, func(docs []string, idx []int) error {
		keys := make([]qdrant.ChunkKey, len(docs))
		for i := range docs {
			keys[i] = qdrant.ChunkKey{DocumentID: docs[i], ChunkIndex: idx[i]}
		}
		return fn(keys)
	})
}

func (s chunkSource) Chunks(ctx context.Context, collectionID string, keys []qdrant.ChunkKey) ([]qdrant.Point, error) {
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
