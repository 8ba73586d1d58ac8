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
// in one round trip and one transaction, with one statement per table
// for the whole batch (not per document: each statement also runs the
// keyword change log's triggers). It returns the ids of documents that
// were gone (deleted meanwhile); nothing is written for them.
func (s *Store) CompleteDocuments(ctx context.Context, collectionID string, docs []Completion) (gone []string, err error) {
	if len(docs) == 0 {
		return nil, nil
	}
	n := len(docs)
	ids, counts, pages := make([]string, n), make([]int32, n), make([]int32, n)
	mimes, metas, stages, cws := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	var textIDs []string
	var texts [][]byte
	var textBytes []int32
	var (
		cDoc, cPoint, cText, cHead, cFmt []string
		cIdx, cTok, cPS, cPE, cCS, cCE   []int32
		cEmb                             [][]byte
	)
	for i, d := range docs {
		r := d.Result
		meta, err := json.Marshal(r.Meta)
		if err != nil {
			return nil, fmt.Errorf("complete document %s: %w", d.DocumentID, err)
		}
		stage := StageIndexed
		for _, c := range r.Chunks {
			if c.Embedding == nil {
				stage = StageChunked
			}
			cDoc, cPoint, cText, cHead, cFmt = append(cDoc, d.DocumentID), append(cPoint, c.PointID), append(cText, c.Text), append(cHead, c.Heading), append(cFmt, c.Format)
			cIdx, cTok = append(cIdx, int32(c.Index)), append(cTok, int32(c.TokenCount))
			cPS, cPE, cCS, cCE = append(cPS, int32(c.PageStart)), append(cPE, int32(c.PageEnd)), append(cCS, int32(c.CharStart)), append(cCE, int32(c.CharEnd))
			cEmb = append(cEmb, c.Embedding)
		}
		ids[i], counts[i], pages[i], mimes[i], metas[i], stages[i], cws[i] = d.DocumentID, int32(len(r.Chunks)), int32(r.PageCount), r.MimeType, string(meta), stage, r.ChunkedWith
		if r.Text != nil {
			textIDs, texts, textBytes = append(textIDs, d.DocumentID), append(texts, r.Text), append(textBytes, int32(r.TextBytes))
		}
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM chunks WHERE document_id = ANY($1::uuid[])`, ids)
	if len(textIDs) > 0 {
		b.Queue(`INSERT INTO document_texts (document_id, collection_id, blocks, text_bytes)
			SELECT u.id, $1, u.blocks, u.bytes FROM unnest($2::uuid[], $3::bytea[], $4::int[]) AS u(id, blocks, bytes)
			WHERE EXISTS (SELECT 1 FROM documents d WHERE d.id = u.id)
			ON CONFLICT (document_id) DO UPDATE SET blocks = excluded.blocks,
			text_bytes = excluded.text_bytes, created_at = now()`, collectionID, textIDs, texts, textBytes)
	}
	if len(cDoc) > 0 {
		b.Queue(`INSERT INTO chunks (collection_id, document_id, chunk_index, point_id, text, token_count,
				page_start, page_end, char_start, char_end, heading, embedding, embedding_format)
			SELECT $1, u.doc, u.idx, u.point, u.text, u.tok, CASE WHEN u.ps > 0 THEN u.ps END, CASE WHEN u.ps > 0 THEN u.pe END,
				u.cs, u.ce, u.head, u.emb, nullif(u.fmt, '')::quantization
			FROM unnest($2::uuid[], $3::int[], $4::uuid[], $5::text[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[],
				$11::text[], $12::bytea[], $13::text[]) AS u(doc, idx, point, text, tok, ps, pe, cs, ce, head, emb, fmt)
			WHERE EXISTS (SELECT 1 FROM documents d WHERE d.id = u.doc)`,
			collectionID, cDoc, cIdx, cPoint, cText, cTok, cPS, cPE, cCS, cCE, cHead, cEmb, cFmt)
	}
	b.Queue(`UPDATE documents d SET status = 'completed', error_message = '', chunk_count = u.n,
			page_count = coalesce(nullif(u.pages, 0), d.page_count), mime_type = coalesce(nullif(u.mime, ''), d.mime_type),
			meta = CASE WHEN u.meta = 'null' THEN d.meta ELSE u.meta END,
			stage = u.stage, chunked_with = u.cw, updated_at = now()
		FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::jsonb[], $6::text[], $7::text[]) AS u(id, n, pages, mime, meta, stage, cw)
		WHERE d.id = u.id RETURNING d.id::text`, ids, counts, pages, mimes, metas, stages, cws)
	res := s.pool.SendBatch(ctx, b)
	defer res.Close()
	for range b.Len() - 1 {
		if _, err := res.Exec(); err != nil {
			return nil, fmt.Errorf("complete %d documents: %w", n, err)
		}
	}
	rows, err := res.Query()
	if err != nil {
		return nil, fmt.Errorf("complete %d documents: %w", n, err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("complete %d documents: %w", n, err)
	}
	got := make(map[string]bool, len(done))
	for _, id := range done {
		got[id] = true
	}
	for _, id := range ids {
		if !got[id] {
			gone = append(gone, id)
		}
	}
	if err := res.Close(); err != nil {
		return nil, fmt.Errorf("complete %d documents: %w", n, err)
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
