package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SearchDoc is what search keeps in memory about a document to filter
// results without a round trip.
type SearchDoc struct {
	ID       string
	Status   string
	MimeType string
	Path     string
	Modified time.Time
	Deleted  bool
	// Paths and SourceIDs list every path the content is reachable at.
	Paths     []string
	SourceIDs []int64
}

// SearchChunk is a chunk's text for the keyword index.
type SearchChunk struct {
	DocumentID string
	Index      int
	Text       string
}

// ConsumeSearchChanges removes and returns the documents logged as changed
// in a collection since the last call. Rows of transactions still in
// flight are not visible yet and are returned by a later call.
func (s *Store) ConsumeSearchChanges(ctx context.Context, collectionID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `WITH gone AS (DELETE FROM search_changes WHERE collection_id = $1 RETURNING document_id)
		SELECT DISTINCT document_id::text FROM gone`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("search changes of %s: %w", collectionID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("search changes of %s: %w", collectionID, err)
	}
	return ids, nil
}

// PruneSearchChanges drops logged changes of collections that no longer
// exist.
func (s *Store) PruneSearchChanges(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM search_changes c
		WHERE NOT EXISTS (SELECT 1 FROM collections k WHERE k.id = c.collection_id)`)
	if err != nil {
		return fmt.Errorf("prune search changes: %w", err)
	}
	return nil
}

// ForEachSearchDoc streams a collection's documents, soft-deleted ones
// included (flagged); docIDs, when not nil, restricts it to those.
func (s *Store) ForEachSearchDoc(ctx context.Context, collectionID string, docIDs []string, fn func(SearchDoc) error) error {
	rows, err := s.pool.Query(ctx, `SELECT d.id::text, d.status::text, d.mime_type, d.file_path,
			coalesce(d.modified_at, 'epoch'), d.deleted_at IS NOT NULL,
			coalesce((SELECT array_agg(p.path ORDER BY p.path) FROM document_paths p WHERE p.document_id = d.id), '{}'),
			coalesce((SELECT array_agg(DISTINCT p.source_id) FROM document_paths p WHERE p.document_id = d.id), '{}')
		FROM documents d
		WHERE d.collection_id = $1 AND ($2::uuid[] IS NULL OR d.id = ANY($2::uuid[]))`, collectionID, docIDs)
	if err != nil {
		return fmt.Errorf("documents of %s for search: %w", collectionID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d SearchDoc
		if err := rows.Scan(&d.ID, &d.Status, &d.MimeType, &d.Path, &d.Modified, &d.Deleted, &d.Paths, &d.SourceIDs); err != nil {
			return fmt.Errorf("documents of %s for search: %w", collectionID, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("documents of %s for search: %w", collectionID, err)
	}
	return nil
}

// ForEachSearchChunk streams the chunk text of a collection's live
// documents; docIDs, when not nil, restricts it to those.
func (s *Store) ForEachSearchChunk(ctx context.Context, collectionID string, docIDs []string, fn func(SearchChunk) error) error {
	rows, err := s.pool.Query(ctx, `SELECT k.document_id::text, k.chunk_index, k.text
		FROM chunks k JOIN documents d ON d.id = k.document_id
		WHERE k.collection_id = $1 AND d.deleted_at IS NULL AND ($2::uuid[] IS NULL OR k.document_id = ANY($2::uuid[]))`,
		collectionID, docIDs)
	if err != nil {
		return fmt.Errorf("chunk text of %s: %w", collectionID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c SearchChunk
		if err := rows.Scan(&c.DocumentID, &c.Index, &c.Text); err != nil {
			return fmt.Errorf("chunk text of %s: %w", collectionID, err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("chunk text of %s: %w", collectionID, err)
	}
	return nil
}

// Passage is a chunk as a search result shows it.
type Passage struct {
	DocumentID string
	Index      int
	Text       string
	PageStart  int
	PageEnd    int
	CharStart  int
	CharEnd    int
	Heading    string
}

// Passages returns the chunks with the given keys of live documents.
func (s *Store) Passages(ctx context.Context, collectionID string, docIDs []string, indexes []int) ([]Passage, error) {
	rows, err := s.pool.Query(ctx, `SELECT k.document_id::text, k.chunk_index, k.text, coalesce(k.page_start, 0),
			coalesce(k.page_end, 0), k.char_start, k.char_end, k.heading
		FROM unnest($2::uuid[], $3::int[]) AS want(doc, idx)
		JOIN chunks k ON k.document_id = want.doc AND k.chunk_index = want.idx
		JOIN documents d ON d.id = k.document_id
		WHERE k.collection_id = $1 AND d.deleted_at IS NULL`, collectionID, docIDs, indexes)
	if err != nil {
		return nil, fmt.Errorf("passages of %s: %w", collectionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Passage, error) {
		var p Passage
		err := r.Scan(&p.DocumentID, &p.Index, &p.Text, &p.PageStart, &p.PageEnd, &p.CharStart, &p.CharEnd, &p.Heading)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("passages of %s: %w", collectionID, err)
	}
	return out, nil
}

// DocumentLocation returns where a live document's file is and its type.
func (s *Store) DocumentLocation(ctx context.Context, docID string) (path, mimeType string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT file_path, mime_type FROM documents WHERE id = $1 AND deleted_at IS NULL`, docID).
		Scan(&path, &mimeType)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("document %s: %w", docID, ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("document %s: %w", docID, err)
	}
	return path, mimeType, nil
}

// DocumentFile returns where a live document's file is, and the
// collection it belongs to.
func (s *Store) DocumentFile(ctx context.Context, docID string) (collectionID, path, mimeType string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT d.collection_id::text, d.file_path, d.mime_type FROM documents d
		JOIN collections c ON c.id = d.collection_id
		WHERE d.id = $1 AND d.deleted_at IS NULL AND c.deleted_at IS NULL`, docID).Scan(&collectionID, &path, &mimeType)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", fmt.Errorf("document %s: %w", docID, ErrNotFound)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("document %s: %w", docID, err)
	}
	return collectionID, path, mimeType, nil
}

// SearchCollections returns the collections search needs (all when ids is
// nil) without the counts ListCollections computes: only ID, Name,
// ModelName, EmbeddingDims, Quantization, VectorCollection and Status are
// set. Unknown ids are left out.
func (s *Store) SearchCollections(ctx context.Context, ids []string) ([]Collection, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text, name, model_name, embedding_dims, quantization::text,
			vector_collection, status::text
		FROM collections WHERE deleted_at IS NULL AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[])) ORDER BY name`, ids)
	if err != nil {
		return nil, fmt.Errorf("collections for search: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Collection, error) {
		var c Collection
		err := r.Scan(&c.ID, &c.Name, &c.ModelName, &c.EmbeddingDims, &c.Quantization, &c.VectorCollection, &c.Status)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("collections for search: %w", err)
	}
	return out, nil
}
