package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// A reindex builds a collection anew beside its live build: new chunks or
// embeddings go to staged_chunks and new points to a staging vector
// collection, while searches keep using the live ones. FinishReindex
// switches PostgreSQL in one transaction; AbandonReindex forgets the
// staged build and leaves the live one as it was.

// BeginReindex records the vector collection a reindex builds in.
func (s *Store) BeginReindex(ctx context.Context, collectionID, staging string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE collections SET qdrant_staging = $2,
		qdrant_collections = CASE WHEN $2 = ANY(qdrant_collections) THEN qdrant_collections
			ELSE array_append(qdrant_collections, $2) END
		WHERE id = $1 AND deleted_at IS NULL`, collectionID, staging)
	if err != nil {
		return fmt.Errorf("begin reindex of %s: %w", collectionID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("begin reindex of %s: %w", collectionID, ErrNotFound)
	}
	return nil
}

// ReindexDoc is a document a reindex rebuilds.
type ReindexDoc struct {
	ID          string
	SourceID    int64
	Path        string
	MimeType    string
	Modified    time.Time
	ChunkedWith string
	// HasText is set when the document's extracted text is kept.
	HasText bool
}

// ReindexDocuments pages through a collection's indexed documents that
// have nothing staged yet, by id after the given one: a resumed reindex
// skips what it has done.
func (s *Store) ReindexDocuments(ctx context.Context, collectionID, after string, limit int) ([]ReindexDoc, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := s.pool.Query(ctx, `SELECT d.id::text, coalesce(d.source_id, 0), d.file_path, d.mime_type,
			coalesce(d.modified_at, 'epoch'), d.chunked_with,
			EXISTS (SELECT 1 FROM document_texts t WHERE t.document_id = d.id)
		FROM documents d WHERE d.collection_id = $1 AND d.status = 'completed' AND d.deleted_at IS NULL
			AND d.id > $2::uuid AND NOT EXISTS (SELECT 1 FROM staged_chunks s WHERE s.document_id = d.id)
		ORDER BY d.id LIMIT $3`, collectionID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("documents of %s to reindex: %w", collectionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReindexDoc, error) {
		var d ReindexDoc
		err := r.Scan(&d.ID, &d.SourceID, &d.Path, &d.MimeType, &d.Modified, &d.ChunkedWith, &d.HasText)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("documents of %s to reindex: %w", collectionID, err)
	}
	return out, nil
}

// ReindexWork is what a reindex of a collection has to go through.
type ReindexWork struct {
	// Documents are the indexed documents, Chunks their chunks, Embedded
	// those with vectors, Staged the documents a resumed reindex did.
	Documents, Chunks, Embedded, Staged int64
}

// CountReindexWork counts what a reindex of the collection has to go
// through.
func (s *Store) CountReindexWork(ctx context.Context, collectionID string) (ReindexWork, error) {
	var w ReindexWork
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM documents WHERE collection_id = $1 AND status = 'completed' AND deleted_at IS NULL),
		(SELECT count(*) FROM chunks k JOIN documents d ON d.id = k.document_id
			WHERE k.collection_id = $1 AND d.deleted_at IS NULL),
		(SELECT count(*) FROM chunks k JOIN documents d ON d.id = k.document_id
			WHERE k.collection_id = $1 AND d.deleted_at IS NULL AND k.embedding IS NOT NULL),
		(SELECT count(DISTINCT document_id) FROM staged_chunks WHERE collection_id = $1)`, collectionID).
		Scan(&w.Documents, &w.Chunks, &w.Embedded, &w.Staged)
	if err != nil {
		return ReindexWork{}, fmt.Errorf("count reindex work of %s: %w", collectionID, err)
	}
	return w, nil
}

// StagedChunk is one chunk of the build a reindex makes. Without
// WithText it gives the live chunk with the same document and index a new
// embedding; with it, it belongs to a new cut of its document's text.
type StagedChunk struct {
	DocumentID string
	ChunkRow
	WithText bool
}

// StageChunks stores chunks of the new build. Documents named in replace
// lose what was staged for them before (a document re-cut after a
// resume). A document deleted meanwhile is skipped.
func (s *Store) StageChunks(ctx context.Context, collectionID string, chunks []StagedChunk, replace []string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if len(replace) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM staged_chunks WHERE document_id = ANY($1::uuid[])`, replace); err != nil {
				return fmt.Errorf("stage chunks of %s: %w", collectionID, err)
			}
		}
		ids := make([]string, 0, len(chunks))
		for _, c := range chunks {
			if len(ids) == 0 || ids[len(ids)-1] != c.DocumentID {
				ids = append(ids, c.DocumentID)
			}
		}
		rows, err := tx.Query(ctx, `SELECT id::text FROM documents WHERE id = ANY($1::uuid[]) AND deleted_at IS NULL`, ids)
		if err != nil {
			return fmt.Errorf("stage chunks of %s: %w", collectionID, err)
		}
		live, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("stage chunks of %s: %w", collectionID, err)
		}
		out := make([][]any, 0, len(chunks))
		for _, c := range chunks {
			if !slices.Contains(live, c.DocumentID) {
				continue
			}
			var text, ps, pe any
			if c.WithText {
				text = c.Text
			}
			if c.PageStart > 0 {
				ps, pe = c.PageStart, c.PageEnd
			}
			out = append(out, []any{collectionID, c.DocumentID, c.Index, c.PointID, text, c.TokenCount, ps, pe,
				c.CharStart, c.CharEnd, c.Heading, c.Embedding, c.Format})
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"staged_chunks"},
			[]string{"collection_id", "document_id", "chunk_index", "point_id", "text", "token_count",
				"page_start", "page_end", "char_start", "char_end", "heading", "embedding", "embedding_format"},
			pgx.CopyFromRows(out))
		if err != nil {
			return fmt.Errorf("stage chunks of %s: %w", collectionID, err)
		}
		return nil
	})
}

// ClearStaged forgets every chunk staged for a collection.
func (s *Store) ClearStaged(ctx context.Context, collectionID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM staged_chunks WHERE collection_id = $1`, collectionID); err != nil {
		return fmt.Errorf("clear staged chunks of %s: %w", collectionID, err)
	}
	return nil
}

// ForEachStagedChunk streams the staged chunks of a collection as the
// vector index needs them, in batches: a resumed reindex refills its
// staging vector collection from them.
func (s *Store) ForEachStagedChunk(ctx context.Context, collectionID string, batch int, fn func([]StoredChunk) error) error {
	rows, err := s.pool.Query(ctx, `SELECT k.document_id::text, coalesce(d.source_id, 0), k.chunk_index, k.point_id::text,
			d.file_path, d.mime_type, coalesce(d.modified_at, 'epoch'), k.embedding, k.embedding_format::text
		FROM staged_chunks k JOIN documents d ON d.id = k.document_id
		WHERE k.collection_id = $1 AND d.deleted_at IS NULL`, collectionID)
	if err != nil {
		return fmt.Errorf("read staged chunks of %s: %w", collectionID, err)
	}
	return streamChunks(rows, batch, fn, collectionID)
}

// streamChunks scans rows of stored chunks and hands them on in batches.
func streamChunks(rows pgx.Rows, batch int, fn func([]StoredChunk) error, collectionID string) error {
	defer rows.Close()
	buf := make([]StoredChunk, 0, batch)
	for rows.Next() {
		var c StoredChunk
		if err := rows.Scan(&c.DocumentID, &c.SourceID, &c.Index, &c.PointID, &c.Path, &c.MimeType, &c.Modified, &c.Embedding, &c.Format); err != nil {
			return fmt.Errorf("read chunks of %s: %w", collectionID, err)
		}
		buf = append(buf, c)
		if len(buf) == batch {
			if err := fn(buf); err != nil {
				return err
			}
			buf = make([]StoredChunk, 0, batch)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read chunks of %s: %w", collectionID, err)
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}

// ReindexResult is what a finished reindex switches the collection to.
type ReindexResult struct {
	Target      ReindexTarget
	Fingerprint string
	// ChunkedWith names the chunker that cut re-cut documents.
	ChunkedWith string
}

// FinishReindex switches a collection to its staged build in one
// transaction: re-cut documents get their new chunks, re-embedded chunks
// their new embeddings, chunks the build did not cover lose the old
// build's vectors (they wait for the model like new text), and the
// collection takes the new settings and vector collection. The old
// vector collection stays listed until DropVectorCollection forgets it.
func (s *Store) FinishReindex(ctx context.Context, collectionID string, r ReindexResult, actor int64) error {
	t := r.Target
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var old Collection
		err := tx.QueryRow(ctx, `SELECT model_name, quantization::text, chunk_size, chunk_overlap, vector_collection, qdrant_staging
			FROM collections WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, collectionID).
			Scan(&old.ModelName, &old.Quantization, &old.ChunkSize, &old.ChunkOverlap, &old.VectorCollection, &old.Staging)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if old.Staging != t.Staging {
			return fmt.Errorf("the collection is not building %s (it builds %q)", t.Staging, old.Staging)
		}
		steps := []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM chunks k USING (SELECT DISTINCT document_id FROM staged_chunks
				WHERE collection_id = $1 AND text IS NOT NULL) s WHERE k.document_id = s.document_id`, nil},
			{`INSERT INTO chunks (collection_id, document_id, chunk_index, point_id, text, token_count,
				page_start, page_end, char_start, char_end, heading, embedding, embedding_format)
				SELECT collection_id, document_id, chunk_index, point_id, text, token_count,
				page_start, page_end, char_start, char_end, heading, embedding, embedding_format
				FROM staged_chunks WHERE collection_id = $1 AND text IS NOT NULL`, nil},
			{`UPDATE documents d SET chunk_count = s.n, chunked_with = $2, updated_at = now()
				FROM (SELECT document_id, count(*) AS n FROM staged_chunks
					WHERE collection_id = $1 AND text IS NOT NULL GROUP BY document_id) s
				WHERE d.id = s.document_id`, []any{r.ChunkedWith}},
			{`UPDATE chunks k SET embedding = s.embedding, embedding_format = s.embedding_format
				FROM staged_chunks s WHERE s.collection_id = $1 AND s.text IS NULL
				AND k.document_id = s.document_id AND k.chunk_index = s.chunk_index`, nil},
			{`UPDATE chunks k SET embedding = NULL, embedding_format = NULL
				WHERE k.collection_id = $1 AND k.embedding IS NOT NULL AND NOT EXISTS (
					SELECT 1 FROM staged_chunks s WHERE s.document_id = k.document_id AND s.chunk_index = k.chunk_index)`, nil},
			{`UPDATE documents d SET stage = CASE WHEN EXISTS (
					SELECT 1 FROM chunks k WHERE k.document_id = d.id AND k.embedding IS NULL) THEN 'chunked' ELSE 'indexed' END
				WHERE d.collection_id = $1 AND d.status = 'completed' AND d.stage IN ('chunked', 'indexed')`, nil},
			{`DELETE FROM staged_chunks WHERE collection_id = $1`, nil},
			{`UPDATE collections SET model_name = $2, model_fingerprint = $3, embedding_dims = $4,
				quantization = $5::quantization, chunk_size = $6, chunk_overlap = $7, vector_collection = $8,
				qdrant_staging = '', updated_at = now() WHERE id = $1`,
				[]any{t.Model, r.Fingerprint, t.Dims, t.Quantization, t.ChunkSize, t.ChunkOverlap, t.Staging}},
		}
		for _, st := range steps {
			if _, err := tx.Exec(ctx, st.sql, append([]any{collectionID}, st.args...)...); err != nil {
				return err
			}
		}
		return audit(ctx, tx, collectionID, actor, "collection.reindexed", map[string]any{
			"old_model": old.ModelName, "model": t.Model, "old_quantization": old.Quantization, "quantization": t.Quantization,
			"old_chunk_size": old.ChunkSize, "chunk_size": t.ChunkSize, "old_chunk_overlap": old.ChunkOverlap,
			"chunk_overlap": t.ChunkOverlap, "vector_collection": t.Staging, "old_vector_collection": old.VectorCollection,
		})
	})
	if err != nil {
		return fmt.Errorf("finish reindex of %s: %w", collectionID, err)
	}
	return nil
}

// AbandonReindex forgets a reindex's staged build: its chunks and its
// staging vector collection's name (drop that collection first). The live
// build and the settings are untouched.
func (s *Store) AbandonReindex(ctx context.Context, collectionID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM staged_chunks WHERE collection_id = $1`, collectionID); err != nil {
			return fmt.Errorf("abandon reindex of %s: %w", collectionID, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE collections SET qdrant_collections = array_remove(qdrant_collections, qdrant_staging),
			qdrant_staging = '' WHERE id = $1 AND qdrant_staging <> ''`, collectionID); err != nil {
			return fmt.Errorf("abandon reindex of %s: %w", collectionID, err)
		}
		return nil
	})
}

// ForgetVectorCollection removes a dropped vector collection from the
// collection's list.
func (s *Store) ForgetVectorCollection(ctx context.Context, collectionID, name string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE collections SET qdrant_collections = array_remove(qdrant_collections, $2)
		WHERE id = $1`, collectionID, name); err != nil {
		return fmt.Errorf("forget vector collection %s: %w", name, err)
	}
	return nil
}

// Leftovers is what a collection owns in the vector index that nothing
// uses: builds replaced by a reindex whose drop was interrupted, and the
// staging build of a reindex that is no longer queued.
type Leftovers struct {
	CollectionID string
	Names        []string
	// StaleStaging is set when Names holds an abandoned staging build.
	StaleStaging bool
}

// VectorLeftovers lists every collection's leftovers.
func (s *Store) VectorLeftovers(ctx context.Context) ([]Leftovers, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.id::text, c.vector_collection, c.qdrant_staging, c.qdrant_collections,
			EXISTS (SELECT 1 FROM operations o WHERE o.collection_id = c.id AND o.type = 'reindex'
				AND o.status IN ('pending', 'processing', 'paused'))
		FROM collections c WHERE c.deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("find leftover vector collections: %w", err)
	}
	var out []Leftovers
	for rows.Next() {
		var id, live, staging string
		var names []string
		var active bool
		if err := rows.Scan(&id, &live, &staging, &names, &active); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find leftover vector collections: %w", err)
		}
		l := Leftovers{CollectionID: id}
		for _, n := range names {
			if n == live || (n == staging && active) {
				continue
			}
			l.Names = append(l.Names, n)
		}
		if staging != "" && !active {
			l.StaleStaging = true
			if !slices.Contains(l.Names, staging) {
				l.Names = append(l.Names, staging)
			}
		}
		if len(l.Names) > 0 {
			out = append(out, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find leftover vector collections: %w", err)
	}
	return out, nil
}
