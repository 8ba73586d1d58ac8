// Package indexer runs Quarry's operations: one worker per collection owns
// that collection's queue of durable operations (index, append,
// remove_source) and carries files from a source folder to searchable
// chunks — scanned, extracted, chunked with the model's tokenizer,
// embedded, written to PostgreSQL and the vector index together — with
// live progress.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// Operation types.
const (
	OpIndex        = "index"
	OpAppend       = "append"
	OpReindex      = "reindex"
	OpRemoveSource = "remove_source"
)

// Config wires a Manager.
type Config struct {
	Store     *store.Store
	Index     *vecindex.Index
	Bus       *events.Bus
	Embedders *Embedders
	Logger    *slog.Logger
	// ExtractWorkers run text extraction in parallel with embedding;
	// 0 picks from the number of cores.
	ExtractWorkers int
	// ProgressEvery is how often progress is published (default 250 ms).
	ProgressEvery time.Duration
	// OCR turns on tesseract for scanned PDFs and images when installed.
	OCR bool
	// ScanOptions limit what is picked up from folders.
	ScanOptions ScanOptions
}

// Manager owns the per-collection workers.
type Manager struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	running map[string]context.CancelFunc
}

// New returns a manager; Serve runs it.
func New(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Bus == nil {
		cfg.Bus = events.New()
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 250 * time.Millisecond
	}
	return &Manager{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), running: map[string]context.CancelFunc{}}
}

// Enqueue records an operation durably and wakes the collection's worker.
func (m *Manager) Enqueue(ctx context.Context, collectionID, typ string, config map[string]any, actor int64) (store.Operation, error) {
	op, err := m.cfg.Store.CreateOperation(ctx, collectionID, typ, config, actor)
	if err != nil {
		return store.Operation{}, err
	}
	m.Wake()
	return op, nil
}

// Wake makes Serve look for new work now.
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// StopCollection cancels the worker of a collection that is being
// deleted and waits briefly for it to let go.
func (m *Manager) StopCollection(collectionID string) {
	m.mu.Lock()
	cancel := m.running[collectionID]
	m.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	for range 50 {
		m.mu.Lock()
		_, still := m.running[collectionID]
		m.mu.Unlock()
		if !still {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Serve resumes operations a crash interrupted, then starts a worker for
// every collection with pending work until ctx ends, and waits for them.
func (m *Manager) Serve(ctx context.Context) error {
	if n, err := m.cfg.Store.RequeueInterrupted(ctx); err != nil {
		return err
	} else if n > 0 {
		m.log.Warn("resuming operations interrupted by a crash or shutdown", "count", n)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		ids, err := m.cfg.Store.CollectionsWithPendingWork(ctx)
		if err != nil && ctx.Err() == nil {
			m.log.Error("look for pending operations", "err", err)
		}
		for _, id := range ids {
			m.mu.Lock()
			if _, busy := m.running[id]; busy {
				m.mu.Unlock()
				continue
			}
			wctx, cancel := context.WithCancel(ctx)
			m.running[id] = cancel
			m.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.work(wctx, id)
				cancel()
				m.mu.Lock()
				delete(m.running, id)
				m.mu.Unlock()
				m.Wake() // work may have arrived while this worker was ending
			}()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		case <-time.After(10 * time.Second):
		}
	}
}

// work runs a collection's pending operations one after another.
func (m *Manager) work(ctx context.Context, collectionID string) {
	for ctx.Err() == nil {
		op, ok, err := m.cfg.Store.ClaimOperation(ctx, collectionID)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error("claim operation", "collection", collectionID, "err", err)
			}
			return
		}
		if !ok {
			return
		}
		m.run(ctx, op)
	}
}

// run executes one claimed operation and records its outcome.
func (m *Manager) run(ctx context.Context, op store.Operation) {
	log := m.log.With("operation", op.ID, "type", op.Type, "collection", op.CollectionID)
	opCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := &counters{}
	base := Progress{OperationID: op.ID, CollectionID: op.CollectionID, Type: op.Type, Status: store.OpProcessing}
	started := time.Now()
	repCtx, stopRep := context.WithCancel(context.Background())
	repDone := make(chan struct{})
	go func() {
		defer close(repDone)
		report(repCtx, m.cfg.Bus, c, base, started, m.cfg.ProgressEvery, func(p Progress) {
			cancelled, err := m.cfg.Store.SaveProgress(ctx, op.ID, progressMap(p))
			if cancelled || errors.Is(err, errGone) {
				cancel(errCancelled)
			}
		})
	}()
	_ = m.cfg.Store.SetCollectionStatus(ctx, op.CollectionID, "processing", "")
	log.Info("operation started")
	err := m.execute(opCtx, op, c)
	stopRep()
	<-repDone

	if ctx.Err() != nil {
		// Shutting down: the operation stays "processing" and resumes at
		// the next start.
		log.Info("operation interrupted by shutdown; it resumes at the next start")
		return
	}
	status, msg := store.OpCompleted, ""
	switch {
	case errors.Is(context.Cause(opCtx), errCancelled):
		status, msg = store.OpCancelled, "cancelled"
	case err != nil:
		status, msg = store.OpFailed, err.Error()
	}
	final := c.snapshot(base, started)
	final.Status, final.Error, final.CurrentFile, final.ETASeconds = status, msg, "", 0
	if err := m.cfg.Store.FinishOperation(ctx, op.ID, status, msg, progressMap(final)); err != nil {
		log.Error("record operation outcome", "err", err)
	}
	// A folder with files Quarry cannot read is normal (images, archives):
	// the collection is ready, and says how many files it left out.
	collStatus, collMsg := "ready", ""
	switch {
	case status == store.OpFailed:
		collStatus, collMsg = "error", msg
	case final.FilesFailed == 1:
		collMsg = "1 file could not be indexed"
	case final.FilesFailed > 1:
		collMsg = fmt.Sprintf("%d files could not be indexed", final.FilesFailed)
	}
	_ = m.cfg.Store.SetCollectionStatus(ctx, op.CollectionID, collStatus, collMsg)
	m.cfg.Bus.Publish(events.Event{Topic: events.OperationProgress, Data: final})
	m.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: op.CollectionID})
	log.Info("operation finished", "status", status, "files", final.FilesDone, "failed", final.FilesFailed,
		"skipped", final.FilesSkipped, "chunks", final.Chunks, "took", time.Since(started).Round(time.Millisecond), "err", msg)
}

var (
	errCancelled = errors.New("operation cancelled")
	errGone      = store.ErrNotFound
)

func progressMap(p Progress) map[string]any {
	return map[string]any{
		"phase": p.Phase, "files_total": p.FilesTotal, "files_done": p.FilesDone, "files_failed": p.FilesFailed,
		"files_skipped": p.FilesSkipped, "chunks": p.Chunks, "bytes": p.Bytes, "current_file": p.CurrentFile,
		"files_per_sec": p.FilesPerSec, "chunks_per_sec": p.ChunksPerSec, "eta_seconds": p.ETASeconds,
		"elapsed_ms": p.ElapsedMS, "error": p.Error, "status": p.Status,
	}
}

// execute dispatches on the operation type.
func (m *Manager) execute(ctx context.Context, op store.Operation, c *counters) error {
	coll, err := m.cfg.Store.GetCollection(ctx, op.CollectionID)
	if err != nil {
		return err
	}
	switch op.Type {
	case OpIndex, OpAppend:
		srcs, err := m.sourcesFor(ctx, op)
		if err != nil {
			return err
		}
		for _, src := range srcs {
			if err := m.syncSource(ctx, coll, src, c); err != nil {
				return err
			}
		}
		return nil
	case OpRemoveSource:
		sid, ok := sourceID(op.Config)
		if !ok {
			return errors.New("remove_source needs a source_id")
		}
		return m.removeSource(ctx, coll, sid)
	default:
		return fmt.Errorf("operation type %q is not supported by this version of Quarry", op.Type)
	}
}

func sourceID(cfg map[string]any) (int64, bool) {
	switch v := cfg["source_id"].(type) {
	case float64:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}

// sourcesFor lists the sources an index/append operation covers: the one
// named in its config, else all of the collection's.
func (m *Manager) sourcesFor(ctx context.Context, op store.Operation) ([]store.Source, error) {
	srcs, err := m.cfg.Store.ListSources(ctx, op.CollectionID)
	if err != nil {
		return nil, err
	}
	sid, ok := sourceID(op.Config)
	if !ok {
		return srcs, nil
	}
	for _, s := range srcs {
		if s.ID == sid {
			return []store.Source{s}, nil
		}
	}
	return nil, fmt.Errorf("source %d is no longer part of the collection", sid)
}

// removeSource forgets a source's files and deletes the vectors of
// documents no other path holds.
func (m *Manager) removeSource(ctx context.Context, coll store.Collection, sourceID int64) error {
	orphaned, err := m.cfg.Store.DetachSource(ctx, coll.ID, sourceID, 0)
	if err != nil {
		return err
	}
	return m.cfg.Index.DeleteDocuments(ctx, coll, orphaned)
}
