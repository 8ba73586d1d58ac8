package supervise

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestRestartsFailedServiceAndStops(t *testing.T) {
	s := New(nil)
	s.BackoffBase = time.Millisecond
	var runs atomic.Int32
	restarted := make(chan struct{})
	s.Add("flaky", Func(func(ctx context.Context) error {
		if runs.Add(1) < 3 {
			return errors.New("boom")
		}
		close(restarted)
		<-ctx.Done()
		return nil
	}))
	done := make(chan struct{})
	s.Add("once", Func(func(context.Context) error { close(done); return nil }))
	<-restarted
	<-done
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := runs.Load(); got != 3 {
		t.Errorf("runs = %d, want 3", got)
	}
}
