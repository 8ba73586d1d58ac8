package embedder

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
)

func TestGateQueriesFirst(t *testing.T) {
	g := newGate(1)
	ctx := t.Context()
	if err := g.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	// Queue two documents then one query while the slot is held; the
	// query must be admitted first.
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	waitQueued := func(n int) {
		for {
			g.mu.Lock()
			q := len(g.waiters[0]) + len(g.waiters[1])
			g.mu.Unlock()
			if q == n {
				return
			}
			runtime.Gosched()
		}
	}
	for i, w := range []struct {
		name string
		prio bool
	}{{"doc1", false}, {"doc2", false}, {"query", true}} {
		wg.Go(func() {
			if err := g.acquire(ctx, w.prio); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, w.name)
			mu.Unlock()
			g.release()
		})
		waitQueued(i + 1)
	}
	g.release()
	wg.Wait()
	if want := []string{"query", "doc1", "doc2"}; len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Errorf("admission order = %v, want %v", order, want)
	}
}

func TestGateCancelAndClose(t *testing.T) {
	g := newGate(1)
	if err := g.acquire(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := g.acquire(ctx, false); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire with cancelled ctx: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- g.acquire(t.Context(), true) }()
	for {
		g.mu.Lock()
		n := len(g.waiters[1])
		g.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	done := make(chan struct{})
	go func() { g.drain(); close(done) }()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("waiter during close: %v, want ErrClosed", err)
	}
	g.release()
	<-done
	if err := g.acquire(t.Context(), false); !errors.Is(err, ErrClosed) {
		t.Errorf("acquire after close: %v", err)
	}
}

func TestGateSetLimit(t *testing.T) {
	g := newGate(1)
	ctx := t.Context()
	_ = g.acquire(ctx, false)
	admitted := make(chan struct{})
	go func() {
		_ = g.acquire(ctx, false)
		close(admitted)
	}()
	for {
		g.mu.Lock()
		n := len(g.waiters[0])
		g.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	g.setLimit(2)
	<-admitted
	if g.limit() != 2 {
		t.Errorf("limit = %d", g.limit())
	}
}
