// Package indexer runs Quarry's operations: one worker per collection owns
// that collection's queue of durable operations (index, append,
// remove_source, delete) and carries files from a source folder to
// searchable chunks in stages, each committed before the next: scanned,
// extracted and chunked (text in PostgreSQL: keyword-searchable at once),
// then embedded and written to the vector index — with live progress.
// Text never waits for a model: embedding catches up when it arrives.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/scan"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// Operation types.
const (
	OpIndex        = store.OpIndex
	OpAppend       = store.OpAppend
	OpReindex      = store.OpReindex
	OpRemoveSource = store.OpRemoveSource
	OpDelete       = store.OpDelete
)

// Config wires a Manager.
type Config struct {
	Store     *store.Store
	Index     *vecindex.Index
	Bus       *events.Bus
	Embedders *modelpool.Pool
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
	// UnpackDir is where members of archives and e-mails are unpacked
	// while they are indexed (default: the system's temporary folder);
	// Unpack bounds that unpacking.
	UnpackDir string
	Unpack    extract.Limits
	// OnDeleted is told when a delete operation has purged a collection
	// (search drops its keyword index).
	OnDeleted func(collectionID string)
	// OnReindexed is told when a reindex has switched a collection to its
	// new build (search refreshes its keyword index).
	OnReindexed func(collectionID string)
	// ReindexGrace is how long a replaced build outlives a reindex's
	// switch, for searches that started before it (default 2 s).
	ReindexGrace time.Duration
}

// Manager owns the per-collection workers.
type Manager struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	running  map[string]context.CancelFunc
	batchers map[string]*batcher // by model fingerprint
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
func (m *Manager) Enqueue(ctx context.Context, collectionID, typ string, config store.OpConfig, actor int64) (store.Operation, error) {
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
	if n, err := m.cfg.Store.RequeueDeletes(ctx); err != nil {
		return err
	} else if n > 0 {
		m.log.Warn("resuming deletions", "count", n)
	}
	m.dropOldBuilds(ctx, "")
	m.catchUpAll(ctx)
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
	base := Progress{OperationID: op.ID, CollectionID: op.CollectionID, Type: op.Type, Reason: op.Config.Reason, Status: store.OpProcessing}
	started := time.Now()
	repCtx, stopRep := context.WithCancel(context.Background())
	repDone := make(chan struct{})
	go func() {
		defer close(repDone)
		report(repCtx, m.cfg.Bus, c, base, started, m.cfg.ProgressEvery, func(p Progress) {
			status, err := m.cfg.Store.SaveProgress(ctx, op.ID, progressMap(p))
			switch {
			case status == store.OpCancelled || errors.Is(err, errGone):
				cancel(errCancelled)
			case status == store.OpPaused:
				cancel(errPaused)
			}
		})
	}()
	if op.Type != OpDelete {
		_ = m.cfg.Store.SetCollectionStatus(ctx, op.CollectionID, "processing", "")
	}
	log.Info("operation started")
	waiting, err := m.execute(opCtx, op, c)
	stopRep()
	<-repDone

	if ctx.Err() != nil {
		// Shutting down: the operation stays "processing" and resumes at
		// the next start.
		log.Info("operation interrupted by shutdown; it resumes at the next start")
		return
	}
	if errors.Is(context.Cause(opCtx), errPaused) {
		// Paused: every stage committed so far stays; resuming runs the
		// operation again, which skips what is done.
		p := c.snapshot(base, started)
		p.Status, p.CurrentFile, p.ETASeconds = store.OpPaused, "", 0
		_, _ = m.cfg.Store.SaveProgress(ctx, op.ID, progressMap(p))
		_ = m.cfg.Store.SetCollectionStatus(ctx, op.CollectionID, "ready", "indexing paused")
		m.cfg.Bus.Publish(events.Event{Topic: events.OperationProgress, Data: p})
		m.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: op.CollectionID})
		log.Info("operation paused")
		return
	}
	if op.Type == OpDelete && err == nil {
		// The collection, and this operation with it, is gone.
		m.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: op.CollectionID})
		log.Info("collection deleted", "took", time.Since(started).Round(time.Millisecond))
		return
	}
	status, msg := store.OpCompleted, ""
	switch {
	case c.switched.Load():
		// A reindex that switched is done, whatever came after.
	case errors.Is(context.Cause(opCtx), errCancelled):
		status, msg = store.OpCancelled, "cancelled"
	case err != nil:
		status, msg = store.OpFailed, err.Error()
	}
	if op.Type == OpReindex && status != store.OpCompleted {
		// The old build and settings stay; the staged one goes.
		m.abandonReindex(ctx, op.CollectionID)
	}
	final := c.snapshot(base, started)
	final.Status, final.Error, final.CurrentFile, final.ETASeconds = status, msg, "", 0
	final.Waiting = waiting
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
	if waiting != "" && status != store.OpFailed {
		collMsg = strings.TrimPrefix(collMsg+" · keyword search ready · "+waiting, " · ")
	}
	_ = m.cfg.Store.SetCollectionStatus(ctx, op.CollectionID, collStatus, collMsg)
	m.cfg.Bus.Publish(events.Event{Topic: events.OperationProgress, Data: final})
	m.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: op.CollectionID})
	log.Info("operation finished", "status", status, "files", final.FilesDone, "failed", final.FilesFailed,
		"skipped", final.FilesSkipped, "chunks", final.Chunks, "took", time.Since(started).Round(time.Millisecond), "err", msg)
}

var (
	errCancelled = errors.New("operation cancelled")
	errPaused    = errors.New("operation paused")
	errGone      = store.ErrNotFound
)

func progressMap(p Progress) map[string]any {
	return map[string]any{
		"phase": p.Phase, "files_total": p.FilesTotal, "files_done": p.FilesDone, "files_failed": p.FilesFailed,
		"files_skipped": p.FilesSkipped, "files_removed": p.FilesRemoved, "chunks": p.Chunks, "embedded": p.Embedded, "model_calls": p.ModelCalls, "bytes": p.Bytes, "current_file": p.CurrentFile,
		"files_per_sec": p.FilesPerSec, "chunks_per_sec": p.ChunksPerSec, "eta_seconds": p.ETASeconds,
		"elapsed_ms": p.ElapsedMS, "error": p.Error, "status": p.Status, "waiting": p.Waiting, "reason": p.Reason,
	}
}

// execute dispatches on the operation type. waiting says why embedding
// could not be done (the model is missing), when text was indexed alone.
func (m *Manager) execute(ctx context.Context, op store.Operation, c *counters) (waiting string, err error) {
	coll, err := m.cfg.Store.CollectionForWork(ctx, op.CollectionID)
	if err != nil {
		return "", err
	}
	if coll.Deleted && op.Type != OpDelete {
		return "", fmt.Errorf("the collection is being deleted")
	}
	switch op.Type {
	case OpIndex, OpAppend:
		srcs, err := m.sourcesFor(ctx, op)
		if err != nil {
			return "", err
		}
		r, err := m.newRun(ctx, coll, c)
		if err != nil {
			return "", err
		}
		c.mu.Lock()
		c.waiting = r.waiting
		c.mu.Unlock()
		return r.waiting, r.sync(ctx, srcs, op.Config)
	case OpRemoveSource:
		if op.Config.SourceID == 0 {
			return "", errors.New("remove_source needs a source_id")
		}
		return "", m.removeSource(ctx, coll, op.Config.SourceID)
	case OpReindex:
		return "", m.reindex(ctx, coll, op.Config.Reindex, c)
	case OpDelete:
		return "", m.purge(ctx, coll, c)
	default:
		return "", fmt.Errorf("operation type %q is not supported by this version of Quarry", op.Type)
	}
}

// sourcesFor lists the sources an index/append operation covers: the one
// named in its config, else all of the collection's.
func (m *Manager) sourcesFor(ctx context.Context, op store.Operation) ([]store.Source, error) {
	srcs, err := m.cfg.Store.ListSources(ctx, op.CollectionID)
	if err != nil {
		return nil, err
	}
	sid := op.Config.SourceID
	if sid == 0 {
		return srcs, nil
	}
	for _, s := range srcs {
		if s.ID == sid {
			return []store.Source{s}, nil
		}
	}
	if op.Type == OpAppend {
		// Changes a watch saw just before its folder was removed: nothing
		// is left to do.
		return nil, nil
	}
	return nil, fmt.Errorf("source %d is no longer part of the collection", sid)
}

// ScanRules are the rules folders are walked with, for watches to apply
// the same.
func (m *Manager) ScanRules() scan.Options { return m.cfg.ScanOptions.Scan() }

// removeSource forgets a source's files and deletes the vectors of
// documents no other path holds.
func (m *Manager) removeSource(ctx context.Context, coll store.Collection, sourceID int64) error {
	orphaned, err := m.cfg.Store.DetachSource(ctx, coll.ID, sourceID, 0)
	if err != nil {
		return err
	}
	if err := m.cfg.Index.WaitReady(ctx, coll.ID); err != nil {
		return err
	}
	return m.cfg.Index.DeleteDocuments(ctx, coll, orphaned)
}

// purge carries out a delete operation: the collection is hidden already;
// its vectors, keyword index and rows go, in an order that a crash at any
// point resumes (each step is idempotent, the rows go last).
func (m *Manager) purge(ctx context.Context, coll store.Collection, c *counters) error {
	c.setPhase("removing vectors")
	if err := m.cfg.Index.WaitReady(ctx, coll.ID); err != nil {
		return err
	}
	if err := m.cfg.Index.Drop(ctx, coll); err != nil {
		return err
	}
	if m.cfg.OnDeleted != nil {
		m.cfg.OnDeleted(coll.ID)
	}
	c.setPhase("removing documents")
	if err := m.cfg.Store.DeleteCollection(ctx, coll.ID, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// ModelInstalled queues the embedding of every collection that uses the
// model and holds text waiting for it: a model that arrives (download,
// import) is put to work with no user action.
func (m *Manager) ModelInstalled(ctx context.Context, model string) {
	list, err := m.cfg.Store.ListCollections(ctx)
	if err != nil {
		m.log.Error("find collections waiting for a model", "model", model, "err", err)
		return
	}
	for _, c := range list {
		if c.ModelName == model {
			m.queueCatchUp(ctx, c)
		}
	}
}

// catchUpAll queues embedding for collections whose text waits for a
// model that is now installed (a model imported while Quarry was closed,
// or a run interrupted between its text and its vectors).
func (m *Manager) catchUpAll(ctx context.Context) {
	list, err := m.cfg.Store.ListCollections(ctx)
	if err != nil {
		m.log.Error("find collections waiting for a model", "err", err)
		return
	}
	for _, c := range list {
		if m.cfg.Embedders.Installed(c.ModelName) {
			m.queueCatchUp(ctx, c)
		}
	}
}

func (m *Manager) queueCatchUp(ctx context.Context, c store.Collection) {
	n, err := m.cfg.Store.CountUnembedded(ctx, c.ID)
	if err != nil || n == 0 {
		return
	}
	if _, err := m.Enqueue(ctx, c.ID, OpAppend, store.OpConfig{EmbedOnly: true, Reason: "model ready"}, 0); err != nil {
		m.log.Error("queue embedding", "collection", c.ID, "err", err)
		return
	}
	m.log.Info("queued embedding of stored text", "collection", c.ID, "documents", n)
}
