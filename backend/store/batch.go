package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bulk indexing sends many small writes; these do each in one round trip
// (a pipelined batch, which PostgreSQL runs as one implicit transaction)
// instead of one transaction of several statements per file.

// AttachNewMany records files at paths the collection has never seen,
// with content it has never seen, in one statement (and one round trip):
// it returns, per file, the new document's id, or "" where
// the file was not attached — its content is known already, another file
// of the batch has the same content, or the path appeared meanwhile —
// which AttachFile then decides one by one.
func (s *Store) AttachNewMany(ctx context.Context, collectionID string, files []FileInfo) ([]string, error) {
	out := make([]string, len(files))
	if len(files) == 0 {
		return out, nil
	}
	srcs, paths, names, sizes, mimes, hashes, mods := make([]int64, len(files)), make([]string, len(files)), make([]string, len(files)),
		make([]int64, len(files)), make([]string, len(files)), make([]string, len(files)), make([]time.Time, len(files))
	index := make(map[string]int, len(files))
	for i, f := range files {
		srcs[i], paths[i], names[i], sizes[i], mimes[i], hashes[i], mods[i] = f.SourceID, f.Path, filepath.Base(f.Path), f.Size, f.MimeType, f.Hash, f.Modified
		index[f.Path] = i
	}
	rows, err := s.pool.Query(ctx, `
		WITH input AS (
			SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::timestamptz[])
				WITH ORDINALITY AS t(source_id, path, name, size, mime, hash, modified, ord)
		), fresh AS (
			SELECT DISTINCT ON (i.hash) i.* FROM input i
			WHERE NOT EXISTS (SELECT 1 FROM document_paths p WHERE p.collection_id = $1 AND p.path = i.path)
			ORDER BY i.hash, i.ord
		), doc AS (
			INSERT INTO documents (collection_id, source_id, file_path, file_name, file_size, mime_type,
				content_hash, modified_at, status)
			SELECT $1, source_id, path, name, size, mime, hash, modified, 'processing' FROM fresh
			ON CONFLICT (collection_id, content_hash) DO NOTHING
			RETURNING id, file_path
		), path AS (
			INSERT INTO document_paths (document_id, collection_id, source_id, path, file_size, modified_at)
			SELECT d.id, $1, f.source_id, f.path, f.size, f.modified FROM doc d JOIN fresh f ON f.path = d.file_path
			RETURNING document_id, path
		)
		SELECT document_id::text, path FROM path`,
		collectionID, srcs, paths, names, sizes, mimes, hashes, mods)
	if err == nil {
		for rows.Next() {
			var id, p string
			if err = rows.Scan(&id, &p); err != nil {
				break
			}
			if i, ok := index[p]; ok {
				out[i] = id
			}
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if isUniqueViolation(err, "") {
		// A path was attached by another writer meanwhile: the whole
		// statement is undone; AttachFile decides each file.
		return make([]string, len(files)), nil
	}
	if err != nil {
		return nil, fmt.Errorf("attach %d files: %w", len(files), err)
	}
	return out, nil
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
