package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Source is a row of collection_sources.
type Source struct {
	ID            int64
	CollectionID  string
	Type          string
	Path          string
	DocumentCount int
	SizeBytes     int64
	LastIndexedAt *time.Time
	CreatedAt     time.Time
	// Watch is the per-source switch: changes on disk are picked up as
	// they happen (default) or only by a rescan.
	Watch bool
}

const sourceColumns = `s.id, s.collection_id::text, s.source_type::text, s.source_path,
	s.document_count, s.size_bytes, s.last_indexed_at, s.created_at, s.watch`

func scanSource(row pgx.Row) (Source, error) {
	var x Source
	err := row.Scan(&x.ID, &x.CollectionID, &x.Type, &x.Path, &x.DocumentCount, &x.SizeBytes, &x.LastIndexedAt, &x.CreatedAt, &x.Watch)
	return x, err
}

// ListSources returns a collection's sources, by path.
func (s *Store) ListSources(ctx context.Context, collectionID string) ([]Source, error) {
	if _, err := s.GetCollection(ctx, collectionID); err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+sourceColumns+` FROM collection_sources s WHERE s.collection_id = $1 ORDER BY s.source_path`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("list sources of %s: %w", collectionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Source, error) { return scanSource(r) })
	if err != nil {
		return nil, fmt.Errorf("list sources of %s: %w", collectionID, err)
	}
	return out, nil
}

// AddSource records a new source. path must be absolute and clean; the
// caller checks it on disk. A path equal to, inside, or containing one of
// the collection's sources is refused: files would be indexed twice.
func (s *Store) AddSource(ctx context.Context, collectionID, sourceType, path string, actor int64) (Source, error) {
	if uuid.Validate(collectionID) != nil {
		return Source{}, fmt.Errorf("add source: collection %q: %w", collectionID, ErrNotFound)
	}
	var out Source
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Serialises source changes per collection so two concurrent adds
		// cannot both pass the overlap check.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM collections WHERE id = $1 FOR UPDATE`, collectionID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("collection %s: %w", collectionID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT source_path FROM collection_sources WHERE collection_id = $1`, collectionID)
		if err != nil {
			return err
		}
		existing, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, e := range existing {
			switch {
			case e == path:
				return ErrSourceExists
			case isWithin(path, e):
				return &OverlapError{Existing: e, Inside: true}
			case isWithin(e, path):
				return &OverlapError{Existing: e, Inside: false}
			}
		}
		out, err = scanSource(tx.QueryRow(ctx, `
			INSERT INTO collection_sources AS s (collection_id, source_type, source_path)
			VALUES ($1, $2, $3) RETURNING `+sourceColumns, collectionID, sourceType, path))
		if isUniqueViolation(err, "collection_sources_path_key") {
			return ErrSourceExists
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE collections SET updated_at = now() WHERE id = $1`, collectionID); err != nil {
			return err
		}
		return audit(ctx, tx, collectionID, actor, "source.added", map[string]any{"source_id": out.ID, "path": path, "type": sourceType})
	})
	if err != nil {
		return Source{}, fmt.Errorf("add source %s: %w", path, err)
	}
	return out, nil
}

// RemoveSource deletes a source and, by cascade, its documents.
func (s *Store) RemoveSource(ctx context.Context, collectionID string, sourceID int64, actor int64) error {
	if uuid.Validate(collectionID) != nil {
		return fmt.Errorf("remove source: collection %q: %w", collectionID, ErrNotFound)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var path string
		err := tx.QueryRow(ctx, `DELETE FROM collection_sources WHERE id = $1 AND collection_id = $2 RETURNING source_path`,
			sourceID, collectionID).Scan(&path)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE collections SET updated_at = now() WHERE id = $1`, collectionID); err != nil {
			return err
		}
		return audit(ctx, tx, collectionID, actor, "source.removed", map[string]any{"source_id": sourceID, "path": path})
	})
	if err != nil {
		return fmt.Errorf("remove source %d: %w", sourceID, err)
	}
	return nil
}

// isWithin reports whether p lies strictly inside dir.
func isWithin(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// SetSourceWatch turns watching of a source on or off.
func (s *Store) SetSourceWatch(ctx context.Context, collectionID string, sourceID int64, watch bool) (Source, error) {
	if uuid.Validate(collectionID) != nil {
		return Source{}, fmt.Errorf("set watch: collection %q: %w", collectionID, ErrNotFound)
	}
	x, err := scanSource(s.pool.QueryRow(ctx, `UPDATE collection_sources s SET watch = $3
		WHERE s.collection_id = $1 AND s.id = $2 RETURNING `+sourceColumns, collectionID, sourceID, watch))
	if errors.Is(err, pgx.ErrNoRows) {
		return Source{}, fmt.Errorf("set watch of source %d: %w", sourceID, ErrNotFound)
	}
	if err != nil {
		return Source{}, fmt.Errorf("set watch of source %d: %w", sourceID, err)
	}
	return x, nil
}

// WatchedSources returns every watched directory source of collections
// that are not being deleted, less sources being removed.
func (s *Store) WatchedSources(ctx context.Context) ([]Source, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sourceColumns+` FROM collection_sources s
		JOIN collections c ON c.id = s.collection_id
		WHERE c.deleted_at IS NULL AND s.watch AND s.source_type = 'directory'
		AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.collection_id = s.collection_id AND o.type = 'remove_source'
			AND o.status IN ('pending', 'processing', 'paused') AND o.config->>'source_id' = s.id::text)
		ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("watched sources: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Source, error) { return scanSource(r) })
	if err != nil {
		return nil, fmt.Errorf("watched sources: %w", err)
	}
	return out, nil
}
