package vecindex

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarry-search/quarry/backend/qdrant"
)

// Keeping the vector engine in step with PostgreSQL: a build is filled
// from the stored embeddings (never re-embedded), and drift a crash left
// between the two is repaired.

// ChunkKey identifies a chunk; its point id is qdrant.PointID(DocumentID,
// ChunkIndex).
type ChunkKey struct {
	DocumentID string
	ChunkIndex int
}

// ChunkSource is PostgreSQL's side of the vector index: the chunks of a
// Quarry collection with their stored embeddings. The store implements it;
// rebuilds and repairs read vectors from it and never re-embed.
type ChunkSource interface {
	// ForEachChunk calls fn with batches of the collection's chunks, as
	// points (vector and payload), in any order.
	ForEachChunk(ctx context.Context, collectionID string, fn func([]qdrant.Point) error) error
	// ForEachChunkKey calls fn with batches of the keys of every chunk that
	// has an embedding.
	ForEachChunkKey(ctx context.Context, collectionID string, fn func([]ChunkKey) error) error
	// Chunks returns the points for the given keys; keys no longer present
	// are left out.
	Chunks(ctx context.Context, collectionID string, keys []ChunkKey) ([]qdrant.Point, error)
}

// Target is where a Quarry collection's vectors go.
type Target struct {
	// CollectionID is the Quarry collection id, also the alias name.
	CollectionID string
	// Physical is the Qdrant collection to fill (see qdrant.PhysicalName).
	Physical string
	Spec     qdrant.Spec
}

// RebuildProgress is called after each upserted batch with the running
// total of points written.
type RebuildProgress func(points int)

// rebuild fills t.Physical from PostgreSQL and then points the alias at it,
// so searches switch atomically from the previous build (which is deleted
// afterwards if it was another physical collection). It is how a new engine
// (a freshly installed Qdrant, or the embedded stand-in at start-up) gets
// its data.
func rebuild(ctx context.Context, c *qdrant.Client, src ChunkSource, t Target, progress RebuildProgress) (int, error) {
	if err := c.EnsureCollection(ctx, t.Physical, t.Spec); err != nil {
		return 0, fmt.Errorf("rebuild %s: %w", t.CollectionID, err)
	}
	total := 0
	err := src.ForEachChunk(ctx, t.CollectionID, func(points []qdrant.Point) error {
		if err := c.Upsert(ctx, t.Physical, points); err != nil {
			return err
		}
		total += len(points)
		if progress != nil {
			progress(total)
		}
		return nil
	})
	if err != nil {
		return total, fmt.Errorf("rebuild %s: %w", t.CollectionID, err)
	}
	previous, err := c.ResolveAlias(ctx, t.CollectionID)
	if err != nil && !errors.Is(err, qdrant.ErrNotFound) {
		return total, fmt.Errorf("rebuild %s: %w", t.CollectionID, err)
	}
	if err := c.SwitchAlias(ctx, t.CollectionID, t.Physical); err != nil {
		return total, fmt.Errorf("rebuild %s: %w", t.CollectionID, err)
	}
	if previous != "" && previous != t.Physical {
		if err := c.DeleteCollection(ctx, previous); err != nil {
			return total, fmt.Errorf("rebuild %s: drop previous build: %w", t.CollectionID, err)
		}
	}
	return total, nil
}

// Drift is what Reconcile found and repaired.
type Drift struct {
	// Missing chunks had no point and were upserted from PostgreSQL.
	Missing int
	// Orphaned points had no chunk and were deleted.
	Orphaned int
}

// reconcile compares PostgreSQL's chunks with the points behind the
// collection's alias and repairs the difference: missing points are
// upserted from stored embeddings, orphaned points deleted. It is run at
// start-up after a crash, when a write to one side may not have reached
// the other. It holds all point ids in memory (about 50 bytes each).
func reconcile(ctx context.Context, c *qdrant.Client, src ChunkSource, collectionID string) (Drift, error) {
	var d Drift
	points := make(map[string]struct{})
	err := c.ForEachID(ctx, collectionID, 2048, func(ids []string) error {
		for _, id := range ids {
			points[id] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("reconcile %s: %w", collectionID, err)
	}
	var missing []ChunkKey
	repair := func() error {
		if len(missing) == 0 {
			return nil
		}
		pts, err := src.Chunks(ctx, collectionID, missing)
		if err != nil {
			return err
		}
		if err := c.Upsert(ctx, collectionID, pts); err != nil {
			return err
		}
		d.Missing += len(pts)
		missing = missing[:0]
		return nil
	}
	err = src.ForEachChunkKey(ctx, collectionID, func(keys []ChunkKey) error {
		for _, k := range keys {
			id := qdrant.PointID(k.DocumentID, k.ChunkIndex)
			if _, ok := points[id]; ok {
				delete(points, id) // what is left at the end is orphaned
				continue
			}
			missing = append(missing, k)
		}
		if len(missing) >= 1024 {
			return repair()
		}
		return nil
	})
	if err == nil {
		err = repair()
	}
	if err != nil {
		return d, fmt.Errorf("reconcile %s: %w", collectionID, err)
	}
	if len(points) > 0 {
		orphans := make([]string, 0, len(points))
		for id := range points {
			orphans = append(orphans, id)
		}
		if err := c.DeletePoints(ctx, collectionID, orphans); err != nil {
			return d, fmt.Errorf("reconcile %s: %w", collectionID, err)
		}
		d.Orphaned = len(orphans)
	}
	return d, nil
}
