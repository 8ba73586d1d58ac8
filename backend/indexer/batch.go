package indexer

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
)

// batcher chooses how many chunks go to a model per call by measuring, on
// this machine, with this model and the real work: the fastest batch size
// depends on both (on a two-core box a MiniLM-sized model is faster at 8
// than at 32). The first batches of a model try each candidate size, on
// chunks that need embedding anyway; from then on the fastest is used.
type batcher struct {
	mu      sync.Mutex
	sizes   []int
	samples map[int][]float64 // tokens per second of full batches, by size
	warm    bool              // the first call (runtime warm-up) is not measured
	best    int
	onPick  func(size int, rates map[int][]float64)
}

// batchCandidates are the sizes tried; batchSamples full batches of each
// are measured.
var batchCandidates = []int{8, 16, 32, 64}

const (
	batchSamples = 3
	// staticBatch is the batch for word-vector models, whose calls cost
	// little besides their words.
	staticBatch = 256
)

func newBatcher(kind models.Kind) *batcher {
	if kind == models.KindStatic {
		return &batcher{best: staticBatch}
	}
	return &batcher{sizes: batchCandidates, samples: map[int][]float64{}}
}

// size is the batch to fill next.
func (b *batcher) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.best > 0 {
		return b.best
	}
	for _, s := range b.sizes {
		if len(b.samples[s]) < batchSamples {
			return s
		}
	}
	b.best = b.choose()
	if b.onPick != nil {
		b.onPick(b.best, b.samples)
	}
	return b.best
}

// choose picks the size with the best median rate. b.mu is held.
func (b *batcher) choose() int {
	best, bestRate := b.sizes[len(b.sizes)-1], 0.0
	for _, s := range b.sizes {
		r := slices.Clone(b.samples[s])
		slices.Sort(r)
		if len(r) == 0 {
			continue
		}
		if med := r[len(r)/2]; med > bestRate {
			best, bestRate = s, med
		}
	}
	return best
}

// observe records one call: n chunks of tokens tokens in all, in d, from
// a batch filled to size. The rate is in tokens, so that batches of long
// and of short chunks compare. Partial batches (the end of the work, a
// pause in arrivals) tell nothing.
func (b *batcher) observe(size, n, tokens int, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.best > 0 || n != size || d <= 0 {
		return
	}
	if !b.warm {
		b.warm = true
		return
	}
	b.samples[size] = append(b.samples[size], float64(tokens)/d.Seconds())
}

// chosen reports the size measured best, 0 while still measuring.
func (b *batcher) chosen() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.best
}

// batcher returns the model's batch chooser, shared by every operation.
func (m *Manager) batcher(emb *embedder.Service) *batcher {
	info := emb.Info()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.batchers == nil {
		m.batchers = map[string]*batcher{}
	}
	b := m.batchers[info.Fingerprint]
	if b == nil {
		kind := models.KindTransformer
		if mod, ok := models.Lookup(info.Model); ok {
			kind = mod.Kind
		}
		b = newBatcher(kind)
		b.onPick = func(size int, rates map[int][]float64) {
			m.log.Info("embedding batch size measured", "model", info.Model, "batch", size, "tokens_per_sec", rates)
		}
		m.batchers[info.Fingerprint] = b
	}
	return b
}

// batches hands flush what arrives on in, up to size items at a time; a
// partial batch goes after wait without more arrivals, and the rest when
// in closes. flush must not keep the slice.
func batches[T any](ctx context.Context, in <-chan T, size int, wait time.Duration, flush func([]T) error) error {
	batch := make([]T, 0, size)
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := flush(batch)
		batch = batch[:0]
		return err
	}
	for {
		var timeout <-chan time.Time
		if len(batch) > 0 {
			timeout = time.After(wait)
		}
		select {
		case v, ok := <-in:
			if !ok {
				return send()
			}
			batch = append(batch, v)
			if len(batch) >= size {
				if err := send(); err != nil {
					return err
				}
			}
		case <-timeout:
			if err := send(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
