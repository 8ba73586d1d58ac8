package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// KnownPath is what the store remembers of a file at a path.
type KnownPath struct {
	DocumentID string
	Path       string
	Size       int64
	Modified   time.Time
	Hash       string
	Status     string
}

// SourcePaths returns every file path recorded for a source.
func (s *Store) SourcePaths(ctx context.Context, sourceID int64) (map[string]KnownPath, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT p.document_id::text, p.path, p.file_size, coalesce(p.modified_at, 'epoch'), d.content_hash, d.status::text
		FROM document_paths p JOIN documents d ON d.id = p.document_id
		WHERE p.source_id = $1`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("paths of source %d: %w", sourceID, err)
	}
	defer rows.Close()
	out := map[string]KnownPath{}
	for rows.Next() {
		var k KnownPath
		if err := rows.Scan(&k.DocumentID, &k.Path, &k.Size, &k.Modified, &k.Hash, &k.Status); err != nil {
			return nil, fmt.Errorf("paths of source %d: %w", sourceID, err)
		}
		out[k.Path] = k
	}
	return out, rows.Err()
}

// FileInfo describes a file found in a source.
type FileInfo struct {
	SourceID int64
	Path     string
	Size     int64
	Modified time.Time
	MimeType string
	Hash     string
}

// Attachment is the outcome of AttachFile.
type Attachment struct {
	DocumentID string
	// Process is true when the document's content still has to be
	// extracted and embedded; false when identical content was already
	// done (the path now points at it too).
	Process bool
	// Orphaned lists documents that lost their last path (the file at
	// this path changed); their vectors must be deleted.
	Orphaned []string
}

// AttachFile records that f exists, deduplicating by content: a file whose
// bytes match an existing document only gains a path.
func (s *Store) AttachFile(ctx context.Context, collectionID string, f FileInfo) (Attachment, error) {
	var out Attachment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// A changed file: drop its old path, and its old document if no
		// other path holds it.
		var oldDoc, oldHash string
		err := tx.QueryRow(ctx, `SELECT p.document_id::text, d.content_hash FROM document_paths p
			JOIN documents d ON d.id = p.document_id WHERE p.collection_id = $1 AND p.path = $2`,
			collectionID, f.Path).Scan(&oldDoc, &oldHash)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case oldHash != f.Hash:
			if _, err := tx.Exec(ctx, `DELETE FROM document_paths WHERE collection_id = $1 AND path = $2`, collectionID, f.Path); err != nil {
				return err
			}
			gone, err := deleteIfOrphan(ctx, tx, oldDoc)
			if err != nil {
				return err
			}
			if gone {
				out.Orphaned = append(out.Orphaned, oldDoc)
			}
		}
		// Insert unless the content is known. Two files with the same bytes
		// may be attached at once by two workers: ON CONFLICT makes the
		// second wait for the first and then find its row.
		err = tx.QueryRow(ctx, `INSERT INTO documents (collection_id, source_id, file_path, file_name, file_size,
				mime_type, content_hash, modified_at, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing')
			ON CONFLICT (collection_id, content_hash) DO NOTHING RETURNING id::text`,
			collectionID, f.SourceID, f.Path, filepath.Base(f.Path), f.Size, f.MimeType, f.Hash, f.Modified).Scan(&out.DocumentID)
		switch {
		case err == nil:
			out.Process = true
		case errors.Is(err, pgx.ErrNoRows):
			var status string
			err = tx.QueryRow(ctx, `SELECT id::text, status::text FROM documents
				WHERE collection_id = $1 AND content_hash = $2 FOR UPDATE`, collectionID, f.Hash).Scan(&out.DocumentID, &status)
			if err != nil {
				return err
			}
			// Interrupted earlier: do it again. Completed or failed: the
			// same bytes give the same result.
			out.Process = status == "pending" || status == "processing"
			// Content a watched deletion hid moments ago (a rename or a
			// move) comes back with its chunks and vectors.
			// It shows the path it came back at.
			if _, err := tx.Exec(ctx, `UPDATE documents SET deleted_at = NULL, file_path = $2, file_name = $3, source_id = $4
				WHERE id = $1 AND deleted_at IS NOT NULL`, out.DocumentID, f.Path, filepath.Base(f.Path), f.SourceID); err != nil {
				return err
			}
		default:
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO document_paths (document_id, collection_id, source_id, path, file_size, modified_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (collection_id, path) DO UPDATE SET file_size = excluded.file_size,
				modified_at = excluded.modified_at, source_id = excluded.source_id`,
			out.DocumentID, collectionID, f.SourceID, f.Path, f.Size, f.Modified)
		return err
	})
	if err != nil {
		return Attachment{}, fmt.Errorf("attach %s: %w", f.Path, err)
	}
	return out, nil
}

// deleteIfOrphan deletes a document no path refers to any more.
func deleteIfOrphan(ctx context.Context, tx pgx.Tx, docID string) (bool, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM documents d WHERE d.id = $1
		AND NOT EXISTS (SELECT 1 FROM document_paths p WHERE p.document_id = d.id)`, docID)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// DetachPaths forgets paths that disappeared from a source and returns the
// documents that lost their last path.
func (s *Store) DetachPaths(ctx context.Context, collectionID string, paths []string) ([]string, error) {
	var orphaned []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM document_paths WHERE collection_id = $1 AND path = ANY($2)
			RETURNING document_id::text`, collectionID, paths)
		if err != nil {
			return err
		}
		docs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, d := range docs {
			if seen[d] {
				continue
			}
			seen[d] = true
			gone, err := deleteIfOrphan(ctx, tx, d)
			if err != nil {
				return err
			}
			if gone {
				orphaned = append(orphaned, d)
			} else {
				// Keep the document's display path on a path that exists.
				if _, err := tx.Exec(ctx, `UPDATE documents d SET (file_path, file_name, source_id) =
					(SELECT p.path, regexp_replace(p.path, '^.*/', ''), p.source_id FROM document_paths p
					 WHERE p.document_id = d.id ORDER BY p.path LIMIT 1)
					WHERE d.id = $1 AND NOT EXISTS (SELECT 1 FROM document_paths p WHERE p.document_id = d.id AND p.path = d.file_path)`, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detach %d paths: %w", len(paths), err)
	}
	return orphaned, nil
}

// HidePaths handles files a watch saw deleted: their paths (and every path
// under those that are folders, or archives and e-mails whose members are
// documents: "a.zip › b.pdf") leave the collection at once, and a
// document left without a path is hidden from search, not deleted, so
// that a rename or move that brings its content back keeps its vectors.
// PurgeHidden deletes what stays hidden. It returns how many paths went.
func (s *Store) HidePaths(ctx context.Context, collectionID string, paths []string) (int, error) {
	if len(paths) == 0 {
		return 0, nil
	}
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM document_paths p WHERE p.collection_id = $1
			AND (p.path = ANY($2) OR EXISTS (SELECT 1 FROM unnest($2::text[]) u WHERE starts_with(p.path, u || '/') OR starts_with(p.path, u || ' › ')))
			RETURNING p.document_id::text`, collectionID, paths)
		if err != nil {
			return err
		}
		docs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n = len(docs)
		if n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE documents d SET deleted_at = now()
			WHERE d.id = ANY($1::uuid[]) AND d.deleted_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM document_paths p WHERE p.document_id = d.id)`, docs); err != nil {
			return err
		}
		// Documents that keep another path show one that exists.
		_, err = tx.Exec(ctx, `UPDATE documents d SET (file_path, file_name, source_id) =
			(SELECT p.path, regexp_replace(p.path, '^.*/', ''), p.source_id FROM document_paths p
			 WHERE p.document_id = d.id ORDER BY p.path LIMIT 1)
			WHERE d.id = ANY($1::uuid[]) AND d.deleted_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM document_paths p WHERE p.document_id = d.id AND p.path = d.file_path)`, docs)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("hide %d deleted paths: %w", len(paths), err)
	}
	return n, nil
}

// PurgeHidden deletes the collection's documents that a watched deletion
// hid and nothing brought back, and returns their ids: their vectors
// must go too.
func (s *Store) PurgeHidden(ctx context.Context, collectionID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `DELETE FROM documents d WHERE d.collection_id = $1 AND d.deleted_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM document_paths p WHERE p.document_id = d.id) RETURNING d.id::text`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("purge hidden documents of %s: %w", collectionID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("purge hidden documents of %s: %w", collectionID, err)
	}
	return ids, nil
}

// DetachSource forgets every path of a source and deletes the source row;
// it returns the documents that lost their last path.
func (s *Store) DetachSource(ctx context.Context, collectionID string, sourceID int64, actor int64) ([]string, error) {
	var paths []string
	rows, err := s.pool.Query(ctx, `SELECT path FROM document_paths WHERE source_id = $1`, sourceID)
	if err != nil {
		return nil, fmt.Errorf("detach source %d: %w", sourceID, err)
	}
	if paths, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("detach source %d: %w", sourceID, err)
	}
	orphaned, err := s.DetachPaths(ctx, collectionID, paths)
	if err != nil {
		return nil, err
	}
	if err := s.RemoveSource(ctx, collectionID, sourceID, actor); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return orphaned, nil
}

// ChunkRow is one chunk as stored.
type ChunkRow struct {
	Index      int
	PointID    string
	Text       string
	TokenCount int
	PageStart  int
	PageEnd    int
	CharStart  int
	CharEnd    int
	Heading    string
	Embedding  []byte
	Format     string
}

// DocumentResult is what processing a document produced.
type DocumentResult struct {
	MimeType  string
	PageCount int
	Meta      map[string]any
	Chunks    []ChunkRow
	// Text is the extracted text as EncodeText made it; nil keeps the
	// stored one (re-cutting chunks from it).
	Text      []byte
	TextBytes int
	// ChunkedWith names the tokenizer and sizes that cut Chunks.
	ChunkedWith string
}

// Document stages.
const (
	StageDiscovered = "discovered"
	StageChunked    = "chunked"
	StageIndexed    = "indexed"
)

// CompleteDocument stores a document's text, chunks and whatever
// embeddings they have, replacing earlier ones, and marks it completed:
// from here on keyword search finds it. Its stage is indexed when every
// chunk has an embedding, else chunked.
func (s *Store) CompleteDocument(ctx context.Context, collectionID, docID string, r DocumentResult) error {
	meta, err := json.Marshal(r.Meta)
	if err != nil {
		return fmt.Errorf("complete document %s: %w", docID, err)
	}
	stage := StageIndexed
	for _, c := range r.Chunks {
		if c.Embedding == nil {
			stage = StageChunked
			break
		}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM documents WHERE id = $1 FOR UPDATE`, docID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("complete document %s: %w", docID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("complete document %s: %w", docID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM chunks WHERE document_id = $1`, docID); err != nil {
			return fmt.Errorf("complete document %s: %w", docID, err)
		}
		if r.Text != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO document_texts (document_id, collection_id, blocks, text_bytes)
				VALUES ($1, $2, $3, $4) ON CONFLICT (document_id) DO UPDATE SET blocks = excluded.blocks,
				text_bytes = excluded.text_bytes, created_at = now()`, docID, collectionID, r.Text, r.TextBytes); err != nil {
				return fmt.Errorf("complete document %s: store text: %w", docID, err)
			}
		}
		rows := make([][]any, len(r.Chunks))
		for i, c := range r.Chunks {
			var ps, pe any
			if c.PageStart > 0 {
				ps, pe = c.PageStart, c.PageEnd
			}
			var format any
			if c.Format != "" {
				format = c.Format
			}
			rows[i] = []any{collectionID, docID, c.Index, c.PointID, c.Text, c.TokenCount, ps, pe,
				c.CharStart, c.CharEnd, c.Heading, c.Embedding, format}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunks"},
			[]string{"collection_id", "document_id", "chunk_index", "point_id", "text", "token_count",
				"page_start", "page_end", "char_start", "char_end", "heading", "embedding", "embedding_format"},
			pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("complete document %s: write chunks: %w", docID, err)
		}
		_, err = tx.Exec(ctx, `UPDATE documents SET status = 'completed', error_message = '', chunk_count = $2,
			page_count = coalesce(nullif($3, 0), page_count), mime_type = coalesce(nullif($4, ''), mime_type),
			meta = CASE WHEN $5::jsonb = 'null' THEN meta ELSE $5::jsonb END,
			stage = $6, chunked_with = $7, updated_at = now() WHERE id = $1`,
			docID, len(r.Chunks), r.PageCount, r.MimeType, meta, stage, r.ChunkedWith)
		if err != nil {
			return fmt.Errorf("complete document %s: %w", docID, err)
		}
		return nil
	})
}

// FailDocument marks a document failed with a reason a person can read.
func (s *Store) FailDocument(ctx context.Context, docID, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE documents SET status = 'failed', error_message = $2, chunk_count = 0, updated_at = now()
		WHERE id = $1`, docID, reason)
	if err != nil {
		return fmt.Errorf("fail document %s: %w", docID, err)
	}
	_, err = s.pool.Exec(ctx, `DELETE FROM chunks WHERE document_id = $1`, docID)
	if err != nil {
		return fmt.Errorf("fail document %s: %w", docID, err)
	}
	return nil
}

// SaveEmbeddings stores the embeddings of a document's chunks (by chunk
// index) and moves it to the indexed stage. Keyword search is not
// disturbed: its text does not change.
func (s *Store) SaveEmbeddings(ctx context.Context, docID string, indexes []int, embeddings [][]byte, format string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE chunks k SET embedding = e.embedding, embedding_format = $4
			FROM unnest($2::int[], $3::bytea[]) AS e(idx, embedding)
			WHERE k.document_id = $1 AND k.chunk_index = e.idx`, docID, indexes, embeddings, format)
		if err != nil {
			return fmt.Errorf("save embeddings of %s: %w", docID, err)
		}
		if int(tag.RowsAffected()) != len(indexes) {
			// The document changed or vanished meanwhile; its new
			// chunks will be embedded by the run that wrote them.
			return fmt.Errorf("save embeddings of %s: %w", docID, ErrNotFound)
		}
		_, err = tx.Exec(ctx, `UPDATE documents SET stage = 'indexed' WHERE id = $1
			AND NOT EXISTS (SELECT 1 FROM chunks k WHERE k.document_id = $1 AND k.embedding IS NULL)`, docID)
		return err
	})
}

// Unembedded is a document whose text is searchable but not yet embedded.
type Unembedded struct {
	ID          string
	SourceID    int64
	Path        string
	MimeType    string
	Modified    time.Time
	Size        int64
	ChunkedWith string
}

// UnembeddedDocuments pages through a collection's documents waiting for
// embeddings, by id after the given one.
func (s *Store) UnembeddedDocuments(ctx context.Context, collectionID, after string, limit int) ([]Unembedded, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := s.pool.Query(ctx, `SELECT d.id::text, coalesce(d.source_id, 0), d.file_path, d.mime_type,
			coalesce(d.modified_at, 'epoch'), d.file_size, d.chunked_with
		FROM documents d WHERE d.collection_id = $1 AND d.status = 'completed' AND d.stage = 'chunked'
			AND d.deleted_at IS NULL AND d.id > $2::uuid
		ORDER BY d.id LIMIT $3`, collectionID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("documents of %s waiting for embeddings: %w", collectionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unembedded, error) {
		var u Unembedded
		err := r.Scan(&u.ID, &u.SourceID, &u.Path, &u.MimeType, &u.Modified, &u.Size, &u.ChunkedWith)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("documents of %s waiting for embeddings: %w", collectionID, err)
	}
	return out, nil
}

// CountUnembedded counts a collection's documents waiting for embeddings.
func (s *Store) CountUnembedded(ctx context.Context, collectionID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM documents WHERE collection_id = $1 AND status = 'completed'
		AND stage = 'chunked' AND deleted_at IS NULL`, collectionID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count documents of %s waiting for embeddings: %w", collectionID, err)
	}
	return n, nil
}

// DocumentChunks returns a document's chunks without embeddings.
func (s *Store) DocumentChunks(ctx context.Context, docID string) ([]ChunkRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT chunk_index, point_id::text, text, token_count, coalesce(page_start, 0),
			coalesce(page_end, 0), char_start, char_end, heading
		FROM chunks WHERE document_id = $1 ORDER BY chunk_index`, docID)
	if err != nil {
		return nil, fmt.Errorf("chunks of %s: %w", docID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChunkRow, error) {
		var c ChunkRow
		err := r.Scan(&c.Index, &c.PointID, &c.Text, &c.TokenCount, &c.PageStart, &c.PageEnd, &c.CharStart, &c.CharEnd, &c.Heading)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("chunks of %s: %w", docID, err)
	}
	return out, nil
}

// ChunksOf returns the chunks of many documents in one query, by
// document id, each in order.
func (s *Store) ChunksOf(ctx context.Context, docIDs []string) (map[string][]ChunkRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT document_id::text, chunk_index, point_id::text, text, token_count, coalesce(page_start, 0),
			coalesce(page_end, 0), char_start, char_end, heading
		FROM chunks WHERE document_id = ANY($1::uuid[]) ORDER BY document_id, chunk_index`, docIDs)
	if err != nil {
		return nil, fmt.Errorf("chunks of %d documents: %w", len(docIDs), err)
	}
	defer rows.Close()
	out := make(map[string][]ChunkRow, len(docIDs))
	for rows.Next() {
		var id string
		var c ChunkRow
		if err := rows.Scan(&id, &c.Index, &c.PointID, &c.Text, &c.TokenCount, &c.PageStart, &c.PageEnd, &c.CharStart, &c.CharEnd, &c.Heading); err != nil {
			return nil, fmt.Errorf("chunks of %d documents: %w", len(docIDs), err)
		}
		out[id] = append(out[id], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chunks of %d documents: %w", len(docIDs), err)
	}
	return out, nil
}

// DocumentText returns a document's stored extracted text (as EncodeText
// made it); ErrNotFound when none is kept.
func (s *Store) DocumentText(ctx context.Context, docID string) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT blocks FROM document_texts WHERE document_id = $1`, docID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("text of %s: %w", docID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("text of %s: %w", docID, err)
	}
	return b, nil
}

// ResetFailed makes a collection's failed documents (all, or those named)
// wait to be processed again; the next scan of their folders retries them.
// It returns how many were reset.
func (s *Store) ResetFailed(ctx context.Context, collectionID string, ids []string, actor int64) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE documents SET status = 'pending', error_message = '', updated_at = now()
			WHERE collection_id = $1 AND status = 'failed' AND deleted_at IS NULL
			AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`, collectionID, ids)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		if n == 0 {
			return nil
		}
		return audit(ctx, tx, collectionID, actor, "documents.retry", map[string]any{"count": n})
	})
	if err != nil {
		return 0, fmt.Errorf("retry failed documents of %s: %w", collectionID, err)
	}
	return n, nil
}

// RefreshSourceCounts recomputes a source's document count and size.
func (s *Store) RefreshSourceCounts(ctx context.Context, sourceID int64, indexed bool) error {
	_, err := s.pool.Exec(ctx, `UPDATE collection_sources s SET
			document_count = (SELECT count(*) FROM document_paths p WHERE p.source_id = s.id),
			size_bytes = (SELECT coalesce(sum(p.file_size), 0) FROM document_paths p WHERE p.source_id = s.id),
			last_indexed_at = CASE WHEN $2 THEN now() ELSE last_indexed_at END,
			updated_at = now()
		WHERE s.id = $1`, sourceID, indexed)
	if err != nil {
		return fmt.Errorf("refresh counts of source %d: %w", sourceID, err)
	}
	return nil
}

// Document is a row of documents, for listings.
type Document struct {
	ID           string
	SourceID     *int64
	Path         string
	Size         int64
	MimeType     string
	Hash         string
	Status       string
	ErrorMessage string
	ChunkCount   int
	PageCount    int
	Paths        int
	// Stage is how far the document got: discovered, chunked (keyword
	// search finds it) or indexed (semantic search too).
	Stage string
}

// ListDocuments returns a collection's documents; status filters when set.
func (s *Store) ListDocuments(ctx context.Context, collectionID, status string, limit, offset int) ([]Document, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+`
		FROM documents d WHERE d.collection_id = $1 AND d.deleted_at IS NULL AND ($2 = '' OR d.status::text = $2)
		ORDER BY d.file_path LIMIT $3 OFFSET $4`, collectionID, status, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Document, error) { return scanDocument(r) })
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return out, nil
}

// documentColumns are what scanDocument reads, of documents d.
const documentColumns = `d.id::text, d.source_id, d.file_path, d.file_size, d.mime_type, d.content_hash,
			d.status::text, d.error_message, d.chunk_count, d.page_count,
			(SELECT count(*) FROM document_paths p WHERE p.document_id = d.id), d.stage`

func scanDocument(r pgx.Row) (Document, error) {
	var d Document
	err := r.Scan(&d.ID, &d.SourceID, &d.Path, &d.Size, &d.MimeType, &d.Hash, &d.Status, &d.ErrorMessage,
		&d.ChunkCount, &d.PageCount, &d.Paths, &d.Stage)
	return d, err
}

// GetDocument returns one live document of a collection; a document of
// another collection is not found.
func (s *Store) GetDocument(ctx context.Context, collectionID, docID string) (Document, error) {
	if uuid.Validate(docID) != nil || uuid.Validate(collectionID) != nil {
		return Document{}, fmt.Errorf("document %q: %w", docID, ErrNotFound)
	}
	d, err := scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+`
		FROM documents d WHERE d.id = $1 AND d.collection_id = $2 AND d.deleted_at IS NULL`, docID, collectionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, fmt.Errorf("document %s: %w", docID, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("document %s: %w", docID, err)
	}
	return d, nil
}

// StoredChunk is a chunk with its embedding, for rebuilding the vector
// index.
type StoredChunk struct {
	DocumentID string
	SourceID   int64
	Index      int
	PointID    string
	Path       string
	MimeType   string
	Modified   time.Time
	Embedding  []byte
	Format     string
}

// ForEachStoredChunk streams a collection's embedded chunks in batches.
func (s *Store) ForEachStoredChunk(ctx context.Context, collectionID string, batch int, fn func([]StoredChunk) error) error {
	rows, err := s.pool.Query(ctx, `SELECT k.document_id::text, coalesce(d.source_id, 0), k.chunk_index, k.point_id::text,
			d.file_path, d.mime_type, coalesce(d.modified_at, 'epoch'), k.embedding, k.embedding_format::text
		FROM chunks k JOIN documents d ON d.id = k.document_id
		WHERE k.collection_id = $1 AND k.embedding IS NOT NULL AND d.deleted_at IS NULL`, collectionID)
	if err != nil {
		return fmt.Errorf("read chunks of %s: %w", collectionID, err)
	}
	return streamChunks(rows, batch, fn, collectionID)
}

// ForEachChunkKey streams the (document, chunk index) keys of a
// collection's embedded chunks in batches.
func (s *Store) ForEachChunkKey(ctx context.Context, collectionID string, batch int, fn func(docIDs []string, indexes []int) error) error {
	rows, err := s.pool.Query(ctx, `SELECT k.document_id::text, k.chunk_index FROM chunks k
		JOIN documents d ON d.id = k.document_id
		WHERE k.collection_id = $1 AND k.embedding IS NOT NULL AND d.deleted_at IS NULL`, collectionID)
	if err != nil {
		return fmt.Errorf("read chunk keys of %s: %w", collectionID, err)
	}
	defer rows.Close()
	var docs []string
	var idx []int
	for rows.Next() {
		var d string
		var i int
		if err := rows.Scan(&d, &i); err != nil {
			return fmt.Errorf("read chunk keys of %s: %w", collectionID, err)
		}
		docs, idx = append(docs, d), append(idx, i)
		if len(docs) == batch {
			if err := fn(docs, idx); err != nil {
				return err
			}
			docs, idx = nil, nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read chunk keys of %s: %w", collectionID, err)
	}
	if len(docs) > 0 {
		return fn(docs, idx)
	}
	return nil
}

// StoredChunksByKey returns the embedded chunks with the given keys.
func (s *Store) StoredChunksByKey(ctx context.Context, collectionID string, docIDs []string, indexes []int) ([]StoredChunk, error) {
	rows, err := s.pool.Query(ctx, `SELECT k.document_id::text, coalesce(d.source_id, 0), k.chunk_index, k.point_id::text,
			d.file_path, d.mime_type, coalesce(d.modified_at, 'epoch'), k.embedding, k.embedding_format::text
		FROM unnest($2::uuid[], $3::int[]) AS want(doc, idx)
		JOIN chunks k ON k.document_id = want.doc AND k.chunk_index = want.idx
		JOIN documents d ON d.id = k.document_id
		WHERE k.collection_id = $1 AND k.embedding IS NOT NULL AND d.deleted_at IS NULL`, collectionID, docIDs, indexes)
	if err != nil {
		return nil, fmt.Errorf("read chunks of %s: %w", collectionID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoredChunk, error) {
		var c StoredChunk
		err := r.Scan(&c.DocumentID, &c.SourceID, &c.Index, &c.PointID, &c.Path, &c.MimeType, &c.Modified, &c.Embedding, &c.Format)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read chunks of %s: %w", collectionID, err)
	}
	return out, nil
}
