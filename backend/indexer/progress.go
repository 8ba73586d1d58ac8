package indexer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarry-search/quarry/backend/events"
)

// Progress is a snapshot of a running operation, published to the UI.
type Progress struct {
	OperationID  string `json:"operation_id"`
	CollectionID string `json:"collection_id"`
	Type         string `json:"type"`
	// Reason says why the operation was queued ("watch" for changes a
	// folder's watch saw, "retry", "model ready"); empty when asked for.
	Reason string `json:"reason,omitempty"`
	// Status is the operation's status; "processing" until it ends.
	Status       string `json:"status"`
	Phase        string `json:"phase"`
	FilesTotal   int64  `json:"files_total"`
	FilesDone    int64  `json:"files_done"`
	FilesFailed  int64  `json:"files_failed"`
	FilesSkipped int64  `json:"files_skipped"`
	// FilesRemoved counts files that left the collection (deleted on
	// disk, or ignored now).
	FilesRemoved int64 `json:"files_removed"`
	Chunks       int64 `json:"chunks"`
	// Embedded counts the chunks given vectors by this operation.
	Embedded int64 `json:"embedded"`
	// ModelCalls counts the batches this operation sent to the model.
	ModelCalls int64 `json:"model_calls"`
	// Waiting says why embedding waits (the model is missing, say);
	// text is indexed meanwhile.
	Waiting      string  `json:"waiting,omitempty"`
	Bytes        int64   `json:"bytes"`
	CurrentFile  string  `json:"current_file"`
	FilesPerSec  float64 `json:"files_per_sec"`
	ChunksPerSec float64 `json:"chunks_per_sec"`
	// ETASeconds is -1 while unknown.
	ETASeconds float64 `json:"eta_seconds"`
	ElapsedMS  int64   `json:"elapsed_ms"`
	Error      string  `json:"error,omitempty"`
}

// counters are bumped by the pipeline's workers; a reporter turns them
// into Progress snapshots.
type counters struct {
	filesTotal, filesDone, filesFailed, filesSkipped, filesRemoved atomic.Int64
	chunks, bytes, embedded, modelCalls                            atomic.Int64
	// switched is set once a reindex has switched the collection to its
	// new build: from then on it completes, whatever else happens.
	switched                atomic.Bool
	mu                      sync.Mutex
	current, phase, waiting string
}

func (c *counters) setCurrent(path string) {
	c.mu.Lock()
	c.current = path
	c.mu.Unlock()
}

func (c *counters) setPhase(p string) {
	c.mu.Lock()
	c.phase = p
	c.mu.Unlock()
}

func (c *counters) snapshot(base Progress, started time.Time) Progress {
	p := base
	p.FilesTotal = c.filesTotal.Load()
	p.FilesDone = c.filesDone.Load()
	p.FilesFailed = c.filesFailed.Load()
	p.FilesSkipped = c.filesSkipped.Load()
	p.FilesRemoved = c.filesRemoved.Load()
	p.Chunks = c.chunks.Load()
	p.Embedded = c.embedded.Load()
	p.ModelCalls = c.modelCalls.Load()
	p.Bytes = c.bytes.Load()
	c.mu.Lock()
	p.CurrentFile, p.Phase, p.Waiting = c.current, c.phase, c.waiting
	c.mu.Unlock()
	el := time.Since(started)
	p.ElapsedMS = el.Milliseconds()
	p.ETASeconds = -1
	if secs := el.Seconds(); secs > 0 {
		handled := float64(p.FilesDone + p.FilesFailed + p.FilesSkipped)
		p.FilesPerSec = handled / secs
		p.ChunksPerSec = float64(p.Chunks) / secs
		if p.FilesPerSec > 0 && p.FilesTotal > 0 {
			p.ETASeconds = max(0, float64(p.FilesTotal)-handled) / p.FilesPerSec
		}
	}
	return p
}

// report publishes a snapshot every interval until ctx ends, then calls
// last with the final snapshot.
func report(ctx context.Context, bus *events.Bus, c *counters, base Progress, started time.Time, interval time.Duration, save func(Progress)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	saveEvery := max(1, int(time.Second/interval))
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p := c.snapshot(base, started)
			bus.Publish(events.Event{Topic: events.OperationProgress, Data: p})
			if i%saveEvery == 0 && save != nil {
				save(p)
			}
		}
	}
}
