package indexer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quarry-search/quarry/backend/chunk"
	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// What a reindex recomputes: the least work that gives a correct build.
const (
	// ReindexReencode re-encodes the stored embeddings at a lower (or the
	// same) precision: no model call, no file opened.
	ReindexReencode = "reencode"
	// ReindexReembed embeds the stored chunk text again (another model of
	// the same chunking, or a higher precision the stored values cannot
	// give).
	ReindexReembed = "reembed"
	// ReindexRechunk cuts the stored extracted text anew and embeds it
	// (other chunk sizes, or a model that counts tokens differently).
	ReindexRechunk = "rechunk"
)

// precisionRank orders precisions by how much of a vector they keep.
func precisionRank(q string) int {
	switch q {
	case "int8":
		return 1
	case "float16":
		return 2
	}
	return 3
}

// chunkScheme names how a model's text is cut into tokens: word-vector
// models by words, other models by their own tokenizer.
func chunkScheme(model string) string {
	if m, ok := models.Lookup(model); ok && m.Kind == models.KindStatic {
		return "words"
	}
	return "model:" + model
}

// ReindexKind says what a reindex from the collection's settings to the
// target recomputes.
func ReindexKind(c store.Collection, t store.ReindexTarget) string {
	switch {
	case t.ChunkSize != c.ChunkSize || t.ChunkOverlap != c.ChunkOverlap || chunkScheme(t.Model) != chunkScheme(c.ModelName):
		return ReindexRechunk
	case t.Model != c.ModelName || precisionRank(t.Quantization) > precisionRank(c.Quantization):
		return ReindexReembed
	}
	return ReindexReencode
}

// reindex builds the collection anew with the target's settings beside
// its live build, which answers every search meanwhile, then switches
// PostgreSQL in one transaction and the vector alias after it. Every
// staged document is committed as it is done, so a resumed reindex goes
// on where it stopped; a failed or cancelled one is abandoned by the
// caller, leaving the live build and settings as they were.
func (m *Manager) reindex(ctx context.Context, coll store.Collection, t *store.ReindexTarget, c *counters) error {
	if t == nil || t.Staging == "" || t.Model == "" || t.Dims <= 0 {
		return errors.New("the reindex operation names no complete target; queue it again")
	}
	next := coll
	next.ModelName, next.EmbeddingDims, next.Quantization = t.Model, t.Dims, t.Quantization
	next.ChunkSize, next.ChunkOverlap, next.VectorCollection = t.ChunkSize, t.ChunkOverlap, t.Staging
	kind := ReindexKind(coll, *t)
	log := m.log.With("collection", coll.ID, "kind", kind, "staging", t.Staging)

	var emb *embedder.Service
	fingerprint := coll.ModelFingerprint
	if kind != ReindexReencode {
		var err error
		if emb, err = m.waitForModel(ctx, t.Model, c); err != nil {
			return err
		}
		info := emb.Info()
		if info.Dims != t.Dims {
			return fmt.Errorf("%s makes %d-dimensional vectors, not the %d its registry entry says", displayName(t.Model), info.Dims, t.Dims)
		}
		fingerprint = info.Fingerprint
	}
	c.setPhase("preparing")
	if err := m.cfg.Store.BeginReindex(ctx, coll.ID, t.Staging); err != nil {
		return err
	}
	if err := m.cfg.Index.WaitReady(ctx, coll.ID); err != nil {
		return err
	}
	if err := m.cfg.Index.EnsureBuild(ctx, next); err != nil {
		return err
	}
	work, err := m.cfg.Store.CountReindexWork(ctx, coll.ID)
	if err != nil {
		return err
	}
	chunker, chunkedWith, err := chunkerFor(emb, next)
	if err != nil {
		return err
	}
	switch kind {
	case ReindexReencode:
		err = m.reencode(ctx, coll, next, work, c)
	default:
		err = m.reembed(ctx, next, work, &rebuild{chunker: chunker, chunkedWith: chunkedWith, emb: emb}, c)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// The switch: PostgreSQL first (the source of truth; a crash after it
	// is repaired at start by pointing the alias at what it names), then
	// the alias. Neither is undone by a cancel that arrives meanwhile.
	c.setPhase("switching")
	sctx := context.WithoutCancel(ctx)
	if err := m.cfg.Store.FinishReindex(sctx, coll.ID, store.ReindexResult{Target: *t, Fingerprint: fingerprint, ChunkedWith: chunkedWith}, 0); err != nil {
		return err
	}
	c.switched.Store(true)
	if err := m.cfg.Index.Promote(sctx, next); err != nil {
		// Start-up points the alias at the live build; searches read the
		// build the collection names, so they are right meanwhile.
		log.Warn("switch alias after reindex; repaired at the next start", "err", err)
	}
	if m.cfg.OnReindexed != nil {
		m.cfg.OnReindexed(coll.ID)
	}
	m.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: coll.ID})
	// Searches that read the collection just before the switch still
	// query the old build: it goes after a grace period.
	select {
	case <-time.After(m.grace()):
	case <-ctx.Done():
	}
	m.dropOldBuilds(sctx, coll.ID)
	log.Info("reindex switched", "model", t.Model, "quantization", t.Quantization, "chunk_size", t.ChunkSize)
	return nil
}

// grace is how long a replaced build outlives the switch.
func (m *Manager) grace() time.Duration {
	if m.cfg.ReindexGrace > 0 {
		return m.cfg.ReindexGrace
	}
	return 2 * time.Second
}

// waitForModel opens a reindex's model, asking for its download and
// waiting for it (with progress) when it is not installed.
func (m *Manager) waitForModel(ctx context.Context, model string, c *counters) (*embedder.Service, error) {
	asked := false
	for {
		emb, err := m.cfg.Embedders.Get(ctx, model)
		if err == nil {
			return emb, nil
		}
		if !errors.Is(err, modelpool.ErrMissing) {
			return nil, err
		}
		st := m.cfg.Embedders.State(model)
		if st.State == modelpool.Paused {
			return nil, fmt.Errorf("the download of %s is paused: resume it on the Models page, then reindex again", displayName(model))
		}
		if st.State == modelpool.Failed && asked {
			return nil, fmt.Errorf("%s is not installed and could not be downloaded: %s", displayName(model), st.Error)
		}
		if !asked {
			m.cfg.Embedders.Request(model)
			asked = true
		}
		c.setPhase(fmt.Sprintf("waiting for %s (downloading %.0f %%)", displayName(model), st.Percent))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// reencode gives every stored embedding the target's precision: one pass
// over PostgreSQL, no model call.
func (m *Manager) reencode(ctx context.Context, coll, next store.Collection, work store.ReindexWork, c *counters) error {
	c.setPhase("re-encoding vectors")
	c.filesTotal.Store(work.Embedded)
	// A resumed pass starts over: it is cheap, and the rows it would skip
	// are not worth a second code path.
	if err := m.cfg.Store.ClearStaged(ctx, coll.ID); err != nil {
		return err
	}
	from := embedder.Precision(coll.Quantization)
	if coll.Quantization == "" {
		from = embedder.Float32
	}
	to := embedder.Precision(next.Quantization)
	return m.cfg.Store.ForEachStoredChunk(ctx, coll.ID, 512, func(chunks []store.StoredChunk) error {
		staged := make([]store.StagedChunk, len(chunks))
		points := make([]store.StoredChunk, 0, len(chunks))
		for i, k := range chunks {
			f := embedder.Precision(k.Format)
			if k.Format == "" {
				f = from
			}
			vec, err := f.Decode(k.Embedding, coll.EmbeddingDims)
			if err != nil {
				return fmt.Errorf("chunk %d of %s: %w", k.Index, k.Path, err)
			}
			k.Embedding, k.Format = to.Encode(vec), string(to)
			staged[i] = store.StagedChunk{DocumentID: k.DocumentID, ChunkRow: store.ChunkRow{
				Index: k.Index, PointID: k.PointID, Embedding: k.Embedding, Format: k.Format}}
			points = append(points, k)
		}
		if err := m.cfg.Store.StageChunks(ctx, coll.ID, staged, nil); err != nil {
			return err
		}
		if err := m.upsertStored(ctx, next, points); err != nil {
			return err
		}
		c.filesDone.Add(int64(len(chunks)))
		c.embedded.Add(int64(len(chunks)))
		return nil
	})
}

// upsertStored writes stored chunks to a build.
func (m *Manager) upsertStored(ctx context.Context, build store.Collection, chunks []store.StoredChunk) error {
	pts, err := vecindex.Points(build, chunks)
	if err != nil {
		return err
	}
	return m.cfg.Index.Upsert(ctx, build, pts)
}

// rebuild is how a re-embedding reindex treats each document.
type rebuild struct {
	chunker     *chunk.Chunker
	chunkedWith string
	emb         *embedder.Service
}

// reembed embeds every indexed document's chunks with the target model,
// re-cutting the stored text where the chunking differs: files are never
// opened. Documents are staged one by one, so a resume skips them.
func (m *Manager) reembed(ctx context.Context, next store.Collection, work store.ReindexWork, rb *rebuild, c *counters) error {
	c.filesTotal.Store(work.Documents)
	c.filesSkipped.Store(work.Staged)
	// A resumed reindex refills its build from what it staged (the
	// built-in engine keeps nothing across a restart).
	if work.Staged > 0 {
		c.setPhase("restoring staged vectors")
		if err := m.cfg.Store.ForEachStagedChunk(ctx, next.ID, 512, func(chunks []store.StoredChunk) error {
			return m.upsertStored(ctx, next, chunks)
		}); err != nil {
			return err
		}
	}
	c.setPhase("embedding stored text")
	g, gctx := errgroup.WithContext(ctx)
	toEmbed := make(chan *docWork, 8)
	embedded := make(chan *docWork, 8)
	legacy := 0
	g.Go(func() error {
		defer close(toEmbed)
		after := ""
		for {
			batch, err := m.cfg.Store.ReindexDocuments(gctx, next.ID, after, 256)
			if err != nil {
				return err
			}
			if len(batch) == 0 {
				return nil
			}
			for _, u := range batch {
				after = u.ID
				d := &docWork{id: u.ID, sourceID: u.SourceID, path: u.Path, mimeType: u.MimeType, modified: u.Modified}
				if u.ChunkedWith != rb.chunkedWith && u.HasText {
					raw, err := m.cfg.Store.DocumentText(gctx, u.ID)
					if err != nil {
						return err
					}
					blocks, err := decodeText(raw)
					if err != nil {
						return fmt.Errorf("stored text of %s: %w", u.Path, err)
					}
					chunks, err := rb.chunker.Blocks(gctx, blocks)
					if err != nil {
						return fmt.Errorf("chunk %s: %w", u.Path, err)
					}
					d.rows, d.replace = chunkRows(u.ID, chunks), true
				} else {
					if u.ChunkedWith != rb.chunkedWith {
						// Indexed before Quarry kept extracted text: its
						// chunks keep their cut rather than reopen the file.
						legacy++
					}
					if d.rows, err = m.cfg.Store.DocumentChunks(gctx, u.ID); err != nil {
						return err
					}
				}
				if len(d.rows) == 0 {
					c.filesDone.Add(1)
					continue
				}
				c.chunks.Add(int64(len(d.rows)))
				select {
				case toEmbed <- d:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
		}
	})
	g.Go(func() error {
		defer close(embedded)
		return embedStage(gctx, rb.emb, toEmbed, embedded, m.batcher(rb.emb), &c.modelCalls)
	})
	g.Go(func() error {
		prec := embedder.Precision(next.Quantization)
		for d := range embedded {
			staged := make([]store.StagedChunk, len(d.rows))
			stored := make([]store.StoredChunk, len(d.rows))
			for i, row := range d.rows {
				row.Embedding, row.Format = prec.Encode(d.vectors[i]), string(prec)
				staged[i] = store.StagedChunk{DocumentID: d.id, ChunkRow: row, WithText: d.replace}
				stored[i] = store.StoredChunk{DocumentID: d.id, SourceID: d.sourceID, Index: row.Index, PointID: row.PointID,
					Path: d.path, MimeType: d.mimeType, Modified: d.modified, Embedding: row.Embedding, Format: row.Format}
			}
			if err := m.cfg.Store.StageChunks(gctx, next.ID, staged, []string{d.id}); err != nil {
				return err
			}
			if err := m.upsertStored(gctx, next, stored); err != nil {
				return err
			}
			c.embedded.Add(int64(len(d.rows)))
			c.filesDone.Add(1)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if legacy > 0 {
		m.log.Info("documents indexed before extracted text was kept keep their chunking", "collection", next.ID, "documents", legacy)
	}
	return nil
}

// abandonReindex drops a failed or cancelled reindex's staging build and
// forgets what it staged; the live build and settings are untouched.
func (m *Manager) abandonReindex(ctx context.Context, collectionID string) {
	coll, err := m.cfg.Store.CollectionForWork(ctx, collectionID)
	if err != nil || coll.Staging == "" {
		return
	}
	if err := m.cfg.Index.DropBuild(ctx, coll.Staging); err != nil {
		m.log.Warn("drop abandoned reindex build; dropped at the next start", "collection", collectionID, "err", err)
		return
	}
	if err := m.cfg.Store.AbandonReindex(ctx, collectionID); err != nil {
		m.log.Warn("forget abandoned reindex build", "collection", collectionID, "err", err)
	}
}

// dropOldBuilds drops the builds a collection no longer uses.
func (m *Manager) dropOldBuilds(ctx context.Context, collectionID string) {
	left, err := m.cfg.Store.VectorLeftovers(ctx)
	if err != nil {
		m.log.Warn("find replaced vector builds", "err", err)
		return
	}
	for _, l := range left {
		if collectionID != "" && l.CollectionID != collectionID {
			continue
		}
		m.dropLeftovers(ctx, l)
	}
}

func (m *Manager) dropLeftovers(ctx context.Context, l store.Leftovers) {
	for _, name := range l.Names {
		if err := m.cfg.Index.DropBuild(ctx, name); err != nil {
			m.log.Warn("drop replaced vector build", "collection", l.CollectionID, "build", name, "err", err)
			return
		}
		if err := m.cfg.Store.ForgetVectorCollection(ctx, l.CollectionID, name); err != nil {
			m.log.Warn("forget replaced vector build", "collection", l.CollectionID, "build", name, "err", err)
			return
		}
	}
	if l.StaleStaging {
		if err := m.cfg.Store.AbandonReindex(ctx, l.CollectionID); err != nil {
			m.log.Warn("forget abandoned reindex build", "collection", l.CollectionID, "err", err)
		}
	}
	m.log.Info("dropped unused vector builds", "collection", l.CollectionID, "builds", l.Names)
}
