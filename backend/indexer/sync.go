package indexer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quarry-search/quarry/backend/chunk"
	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// A document on its way through the pipeline.
type docWork struct {
	id     string
	file   foundFile
	result extracted
	// vectors are filled in by the embedding stage.
	vectors [][]float32
}

// syncSource makes a collection's view of one folder match the disk:
// new and changed files are indexed, unchanged ones skipped, vanished ones
// forgotten. Per-file problems fail that file with a reason; problems with
// the database or the vector index fail the operation.
func (m *Manager) syncSource(ctx context.Context, coll store.Collection, src store.Source, c *counters) error {
	sourceID := src.ID
	log := m.log.With("collection", coll.ID, "source", src.Path)
	c.setPhase("loading model")
	emb, err := m.cfg.Embedders.Get(ctx, coll.ModelName)
	if err != nil {
		return fmt.Errorf("load model %s: %w", coll.ModelName, err)
	}
	info := emb.Info()
	if info.Dims != coll.EmbeddingDims {
		return fmt.Errorf("model %s makes %d-dimensional vectors but the collection holds %d", coll.ModelName, info.Dims, coll.EmbeddingDims)
	}
	if err := m.cfg.Store.SetModelFingerprint(ctx, coll.ID, info.Fingerprint); err != nil {
		if errors.Is(err, store.ErrFingerprintMismatch) {
			return fmt.Errorf("the installed %s differs from the one this collection was indexed with (%s); reindex the collection to use it", coll.ModelName, coll.ModelFingerprint)
		}
		return err
	}
	if err := m.cfg.Index.Ensure(ctx, coll); err != nil {
		return err
	}
	known, err := m.cfg.Store.SourcePaths(ctx, sourceID)
	if err != nil {
		return err
	}
	chunker, err := newChunker(emb, coll.ChunkSize, coll.ChunkOverlap)
	if err != nil {
		return err
	}

	c.setPhase("indexing")
	seen := make(map[string]bool, len(known))
	// Content being processed in this run: a second file with the same
	// bytes only gains a path.
	var inflight sync.Map
	g, gctx := errgroup.WithContext(ctx)
	files := make(chan foundFile, 64)
	docs := make(chan *docWork, 8)
	embedded := make(chan *docWork, 8)

	// Stage 1: walk the folder, skipping files that have not changed.
	g.Go(func() error {
		defer close(files)
		return walk(gctx, src.Path, m.cfg.ScanOptions, func(f foundFile) error {
			seen[f.Path] = true
			c.filesTotal.Add(1)
			if f.Err != nil {
				c.filesFailed.Add(1)
				log.Warn("file cannot be read", "path", f.Path, "err", f.Err)
				return nil
			}
			if k, ok := known[f.Path]; ok && unchanged(k, f) {
				c.filesSkipped.Add(1)
				return nil
			}
			select {
			case files <- f:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})

	// Stage 2: record, deduplicate, extract and chunk, in parallel.
	workers := m.cfg.ExtractWorkers
	if workers <= 0 {
		workers = max(2, runtime.NumCPU())
	}
	extractDone := make(chan struct{})
	var extractors errgroup.Group
	for range workers {
		extractors.Go(func() error {
			for f := range files {
				if err := m.prepare(gctx, coll, sourceID, f, chunker, c, &inflight, docs); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(extractDone)
		defer close(docs)
		return extractors.Wait()
	})

	// Stage 3: embed chunks in batches across documents, so the model
	// always has full batches while extraction runs ahead.
	g.Go(func() error {
		defer close(embedded)
		return embedStage(gctx, emb, docs, embedded)
	})

	// Stage 4: write chunks and vectors together.
	g.Go(func() error {
		for d := range embedded {
			if err := m.write(gctx, coll, sourceID, d); err != nil {
				return err
			}
			c.chunks.Add(int64(len(d.result.Chunks)))
			c.bytes.Add(d.file.Size)
			c.filesDone.Add(1)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}

	// Files that vanished from the folder leave the collection.
	var gone []string
	for p := range known {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	if len(gone) > 0 {
		c.setPhase("removing deleted files")
		orphaned, err := m.cfg.Store.DetachPaths(ctx, coll.ID, gone)
		if err != nil {
			return err
		}
		if err := m.cfg.Index.DeleteDocuments(ctx, coll, orphaned); err != nil {
			return err
		}
		log.Info("forgot files that are gone", "paths", len(gone), "documents", len(orphaned))
	}
	c.setPhase("done")
	return m.cfg.Store.RefreshSourceCounts(ctx, sourceID, true)
}

// unchanged reports whether a file is as it was when last handled.
func unchanged(k store.KnownPath, f foundFile) bool {
	if k.Status != "completed" && k.Status != "failed" {
		return false
	}
	// PostgreSQL keeps microseconds: compare at that precision, so that
	// an edit within the same second as the last indexing (same size, new
	// content) is not mistaken for no change.
	return k.Size == f.Size && k.Modified.Truncate(time.Microsecond).Equal(f.Modified.Truncate(time.Microsecond))
}

// prepare records a file and, when its content is new, extracts and
// chunks it. A file whose content the collection already holds only gains
// a path.
func (m *Manager) prepare(ctx context.Context, coll store.Collection, sourceID int64, f foundFile, ch *chunk.Chunker, c *counters, inflight *sync.Map, out chan<- *docWork) error {
	c.setCurrent(f.Path)
	if err := f.hash(); err != nil {
		c.filesFailed.Add(1)
		m.log.Warn("file cannot be read", "path", f.Path, "err", err)
		return nil
	}
	att, err := m.cfg.Store.AttachFile(ctx, coll.ID, store.FileInfo{
		SourceID: sourceID, Path: f.Path, Size: f.Size, Modified: f.Modified, MimeType: f.MimeType, Hash: f.Hash,
	})
	if err != nil {
		return err
	}
	if err := m.cfg.Index.DeleteDocuments(ctx, coll, att.Orphaned); err != nil {
		return err
	}
	if _, dup := inflight.LoadOrStore(att.DocumentID, true); dup || !att.Process {
		c.filesDone.Add(1)
		return nil
	}
	res, err := extractAndChunk(ctx, f, ch, m.cfg.OCR)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.filesFailed.Add(1)
		return m.cfg.Store.FailDocument(ctx, att.DocumentID, err.Error())
	}
	select {
	case out <- &docWork{id: att.DocumentID, file: f, result: res}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// embedBatch is how many chunks go to the model per call, and batchWait
// how long a partial batch waits for more.
const (
	embedBatch = 64
	batchWait  = 100 * time.Millisecond
)

// embedStage embeds the chunks of incoming documents in batches that span
// documents and passes each document on once all its chunks have vectors.
func embedStage(ctx context.Context, emb *embedder.Service, in <-chan *docWork, out chan<- *docWork) error {
	var pending []*docWork // documents whose chunks are (partly) queued
	var texts []string
	var owners []*docWork
	flush := func() error {
		if len(texts) > 0 {
			vecs, err := emb.Embed(ctx, texts, embedder.Document)
			if err != nil {
				return fmt.Errorf("embed: %w", err)
			}
			for i, v := range vecs {
				owners[i].vectors = append(owners[i].vectors, v)
			}
			texts, owners = texts[:0], owners[:0]
		}
		// Pass on every document that is complete, in order.
		n := 0
		for _, d := range pending {
			if len(d.vectors) < len(d.result.Chunks) {
				break
			}
			select {
			case out <- d:
			case <-ctx.Done():
				return ctx.Err()
			}
			n++
		}
		pending = pending[n:]
		return nil
	}
	for {
		var d *docWork
		var ok bool
		if len(texts) == 0 {
			d, ok = <-in
		} else {
			// A partial batch waits briefly for more documents: full
			// batches keep the model busy; a lone document still goes
			// out quickly.
			select {
			case d, ok = <-in:
			case <-time.After(batchWait):
				if err := flush(); err != nil {
					return err
				}
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if !ok {
			return flush()
		}
		pending = append(pending, d)
		for _, ck := range d.result.Chunks {
			texts = append(texts, ck.Embed)
			owners = append(owners, d)
			if len(texts) == embedBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(d.result.Chunks) == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// write stores a document's chunks with their encoded embeddings in
// PostgreSQL, then its points in the vector index. PostgreSQL is written
// first: if the second write is lost, start-up reconciliation restores it.
func (m *Manager) write(ctx context.Context, coll store.Collection, sourceID int64, d *docWork) error {
	prec := embedder.Precision(coll.Quantization)
	rows := make([]store.ChunkRow, len(d.result.Chunks))
	points := make([]qdrant.Point, len(d.result.Chunks))
	for i, ck := range d.result.Chunks {
		pid := qdrant.PointID(d.id, i)
		rows[i] = store.ChunkRow{
			Index: i, PointID: pid, Text: ck.Text, TokenCount: ck.Tokens,
			PageStart: ck.PageStart, PageEnd: ck.PageEnd, CharStart: ck.CharStart, CharEnd: ck.CharEnd,
			Heading: ck.Heading, Embedding: prec.Encode(d.vectors[i]), Format: string(prec),
		}
		sc := store.StoredChunk{
			DocumentID: d.id, SourceID: sourceID, Index: i, PointID: pid, Path: d.file.Path,
			MimeType: d.result.MimeType, Modified: d.file.Modified, Embedding: rows[i].Embedding, Format: rows[i].Format,
		}
		// The point carries the vector as stored (decoded from its
		// quantized bytes), so a rebuild from PostgreSQL reproduces the
		// index exactly.
		p, err := vecindex.Point(coll, sc)
		if err != nil {
			return err
		}
		points[i] = p
	}
	if err := m.cfg.Store.CompleteDocument(ctx, coll.ID, d.id, store.DocumentResult{
		MimeType: d.result.MimeType, PageCount: d.result.Pages, Meta: d.result.Meta, Chunks: rows,
	}); err != nil {
		return err
	}
	return m.cfg.Index.Upsert(ctx, coll, points)
}
