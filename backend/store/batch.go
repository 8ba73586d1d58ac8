package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5"
)

// Bulk indexing sends many small writes; these do each in one round trip
// (a pipelined batch, which PostgreSQL runs as one implicit transaction)
// instead of one transaction of several statements per file.

// AttachNew records a file at a path the collection has never seen, in one
// statement. ok is false when its content is known already (or the path
// appeared meanwhile): AttachFile then decides, deduplicating as usual.
func (s *Store) AttachNew(ctx context.Context, collectionID string, f FileInfo) (docID string, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `
		WITH doc AS (
			INSERT INTO documents (collection_id, source_id, file_path, file_name, file_size, mime_type,
				content_hash, modified_at, status)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'processing'
			WHERE NOT EXISTS (SELECT 1 FROM document_paths WHERE collection_id = $1 AND path = $3)
			ON CONFLICT (collection_id, content_hash) DO NOTHING
			RETURNING id
		), path AS (
			INSERT INTO document_paths (document_id, collection_id, source_id, path, file_size, modified_at)
			SELECT id, $1, $2, $3, $5, $8 FROM doc
			RETURNING document_id
		)
		SELECT document_id::text FROM path`,
		collectionID, f.SourceID, f.Path, filepath.Base(f.Path), f.Size, f.MimeType, f.Hash, f.Modified).Scan(&docID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if isUniqueViolation(err, "") {
		// The path was attached by another worker meanwhile.
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("attach %s: %w", f.Path, err)
	}
	return docID, true, nil
}

// Completion is one document's processing result, for CompleteDocuments.
type Completion struct {
	DocumentID string
	Result     DocumentResult
}

// CompleteDocuments does what CompleteDocument does for many documents
// in one round trip and one transaction. It returns the ids of documents
// that were gone (deleted meanwhile); nothing is written for them.
func (s *Store) CompleteDocuments(ctx context.Context, collectionID string, docs []Completion) (gone []string, err error) {
	if len(docs) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for _, d := range docs {
		r := d.Result
		meta, err := json.Marshal(r.Meta)
		if err != nil {
			return nil, fmt.Errorf("complete document %s: %w", d.DocumentID, err)
		}
		stage := StageIndexed
		n := len(r.Chunks)
		idx, tok, ps, pe, cs, ce := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		points, texts, heads, formats := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		embs := make([][]byte, n)
		for i, c := range r.Chunks {
			if c.Embedding == nil {
				stage = StageChunked
			}
			idx[i], tok[i], ps[i], pe[i], cs[i], ce[i] = int32(c.Index), int32(c.TokenCount), int32(c.PageStart), int32(c.PageEnd), int32(c.CharStart), int32(c.CharEnd)
			points[i], texts[i], heads[i], formats[i], embs[i] = c.PointID, c.Text, c.Heading, c.Format, c.Embedding
		}
		b.Queue(`DELETE FROM chunks WHERE document_id = $1`, d.DocumentID)
		if r.Text != nil {
			b.Queue(`INSERT INTO document_texts (document_id, collection_id, blocks, text_bytes)
				SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM documents WHERE id = $1)
				ON CONFLICT (document_id) DO UPDATE SET blocks = excluded.blocks,
				text_bytes = excluded.text_bytes, created_at = now()`, d.DocumentID, collectionID, r.Text, r.TextBytes)
		}
		if n > 0 {
			b.Queue(`INSERT INTO chunks (collection_id, document_id, chunk_index, point_id, text, token_count,
					page_start, page_end, char_start, char_end, heading, embedding, embedding_format)
				SELECT $1, $2, u.idx, u.point, u.text, u.tok, CASE WHEN u.ps > 0 THEN u.ps END, CASE WHEN u.ps > 0 THEN u.pe END,
					u.cs, u.ce, u.head, u.emb, nullif(u.fmt, '')::quantization
				FROM unnest($3::int[], $4::uuid[], $5::text[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[],
					$11::text[], $12::bytea[], $13::text[]) AS u(idx, point, text, tok, ps, pe, cs, ce, head, emb, fmt)
				WHERE EXISTS (SELECT 1 FROM documents WHERE id = $2)`,
				collectionID, d.DocumentID, idx, points, texts, tok, ps, pe, cs, ce, heads, embs, formats)
		}
		b.Queue(`UPDATE documents SET status = 'completed', error_message = '', chunk_count = $2,
				page_count = coalesce(nullif($3, 0), page_count), mime_type = coalesce(nullif($4, ''), mime_type),
				meta = CASE WHEN $5::jsonb = 'null' THEN meta ELSE $5::jsonb END,
				stage = $6, chunked_with = $7, updated_at = now() WHERE id = $1`,
			d.DocumentID, n, r.PageCount, r.MimeType, meta, stage, r.ChunkedWith)
	}
	res := s.pool.SendBatch(ctx, b)
	for _, d := range docs {
		steps := 2
		if d.Result.Text != nil {
			steps++
		}
		if len(d.Result.Chunks) > 0 {
			steps++
		}
		for i := range steps {
			tag, err := res.Exec()
			if err != nil {
				_ = res.Close()
				return nil, fmt.Errorf("complete %d documents: %w", len(docs), err)
			}
			if i == steps-1 && tag.RowsAffected() == 0 {
				gone = append(gone, d.DocumentID)
			}
		}
	}
	if err := res.Close(); err != nil {
		return nil, fmt.Errorf("complete %d documents: %w", len(docs), err)
	}
	return gone, nil
}

// Embeddings are one document's new chunk embeddings, for SaveEmbeddingsMany.
type Embeddings struct {
	DocumentID string
	Indexes    []int
	Encoded    [][]byte
	Format     string
}

// SaveEmbeddingsMany does what SaveEmbeddings does for many documents in
// one round trip and one transaction. Documents whose chunks changed or
// vanished meanwhile are returned and left alone: the run that changed
// them embeds their new chunks.
func (s *Store) SaveEmbeddingsMany(ctx context.Context, docs []Embeddings) (stale []string, err error) {
	if len(docs) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for _, d := range docs {
		idx := make([]int32, len(d.Indexes))
		for i, v := range d.Indexes {
			idx[i] = int32(v)
		}
		b.Queue(`UPDATE chunks k SET embedding = e.embedding, embedding_format = $4
			FROM unnest($2::int[], $3::bytea[]) AS e(idx, embedding)
			WHERE k.document_id = $1 AND k.chunk_index = e.idx`, d.DocumentID, idx, d.Encoded, d.Format)
		b.Queue(`UPDATE documents SET stage = 'indexed' WHERE id = $1
			AND NOT EXISTS (SELECT 1 FROM chunks k WHERE k.document_id = $1 AND k.embedding IS NULL)`, d.DocumentID)
	}
	res := s.pool.SendBatch(ctx, b)
	for _, d := range docs {
		tag, err := res.Exec()
		if err != nil {
			_ = res.Close()
			return nil, fmt.Errorf("save embeddings of %d documents: %w", len(docs), err)
		}
		if int(tag.RowsAffected()) != len(d.Indexes) {
			stale = append(stale, d.DocumentID)
		}
		if _, err := res.Exec(); err != nil {
			_ = res.Close()
			return nil, fmt.Errorf("save embeddings of %d documents: %w", len(docs), err)
		}
	}
	if err := res.Close(); err != nil {
		return nil, fmt.Errorf("save embeddings of %d documents: %w", len(docs), err)
	}
	return stale, nil
}
