package indexer

import (
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/models"
)

// TestBatcherMeasures: each candidate size is tried on full batches (the
// warm-up call and partial batches are not measured), then the fastest
// is kept; word-vector models use one large batch.
func TestBatcherMeasures(t *testing.T) {
	b := newBatcher(models.KindTransformer)
	// chunks per second each size reaches on this imaginary machine.
	speed := map[int]float64{8: 80, 16: 70, 32: 60, 64: 50}
	b.observe(8, 8, time.Hour) // warm-up: ignored
	var tried []int
	for range 100 {
		s := b.size()
		if b.chosen() != 0 {
			break
		}
		tried = append(tried, s)
		b.observe(s, s/2, time.Second) // a partial batch: ignored
		b.observe(s, s, time.Duration(float64(s)/speed[s]*float64(time.Second)))
	}
	if len(tried) != len(batchCandidates)*batchSamples {
		t.Errorf("tried %v, want each of %v %d times", tried, batchCandidates, batchSamples)
	}
	if got := b.size(); got != 8 {
		t.Errorf("chose %d, want 8 (the fastest)", got)
	}
	b.observe(8, 8, time.Nanosecond) // later calls change nothing
	if got := b.size(); got != 8 {
		t.Errorf("after choosing, size %d", got)
	}
	if s := newBatcher(models.KindStatic).size(); s != staticBatch {
		t.Errorf("word-vector batch %d, want %d", s, staticBatch)
	}
}
