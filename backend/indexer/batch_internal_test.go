package indexer

import (
	"fmt"
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
	b.observe(8, 8, 8, time.Hour) // warm-up: ignored
	var tried []int
	for range 100 {
		s := b.size()
		if b.chosen() != 0 {
			break
		}
		tried = append(tried, s)
		b.observe(s, s/2, s/2, time.Second) // a partial batch: ignored
		b.observe(s, s, s, time.Duration(float64(s)/speed[s]*float64(time.Second)))
	}
	if len(tried) != len(batchCandidates)*batchSamples {
		t.Errorf("tried %v, want each of %v %d times", tried, batchCandidates, batchSamples)
	}
	if got := b.size(); got != 8 {
		t.Errorf("chose %d, want 8 (the fastest)", got)
	}
	b.observe(8, 8, 8, time.Nanosecond) // later calls change nothing
	if got := b.size(); got != 8 {
		t.Errorf("after choosing, size %d", got)
	}
	if s := newBatcher(models.KindStatic).size(); s != staticBatch {
		t.Errorf("word-vector batch %d, want %d", s, staticBatch)
	}
}

// TestBatches: full batches go at once, a partial one after the wait, the
// rest when the input closes; nothing is lost or sent twice.
func TestBatches(t *testing.T) {
	in := make(chan int)
	flushed := make(chan []int, 8)
	done := make(chan error)
	go func() {
		done <- batches(t.Context(), in, 3, 20*time.Millisecond, func(b []int) error {
			flushed <- append([]int(nil), b...)
			return nil
		})
	}()
	for i := range 4 {
		in <- i
	}
	var got [][]int
	got = append(got, <-flushed, <-flushed) // [0 1 2], then [3] once the wait is over
	in <- 4
	close(in)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got = append(got, <-flushed)
	if want := [][]int{{0, 1, 2}, {3}, {4}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("batches = %v, want %v", got, want)
	}
}
