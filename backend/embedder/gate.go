package embedder

import (
	"context"
	"slices"
	"sync"
)

// gate limits concurrent model calls. Waiting queries are admitted before
// waiting document batches so search stays fast during indexing.
type gate struct {
	mu      sync.Mutex
	max     int
	running int
	waiters [2][]*waiter // [0] documents, [1] queries
	closed  bool
	idle    *sync.Cond
}

type waiter struct {
	ch chan struct{}
	// admitted is written before ch is closed: true means a slot is held.
	admitted bool
}

func newGate(n int) *gate {
	g := &gate{max: n}
	g.idle = sync.NewCond(&g.mu)
	return g
}

func (g *gate) acquire(ctx context.Context, prio bool) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return ErrClosed
	}
	p := 0
	if prio {
		p = 1
	}
	if g.running < g.max && len(g.waiters[1]) == 0 && (prio || len(g.waiters[0]) == 0) {
		g.running++
		g.mu.Unlock()
		return nil
	}
	w := &waiter{ch: make(chan struct{})}
	g.waiters[p] = append(g.waiters[p], w)
	g.mu.Unlock()
	select {
	case <-w.ch:
		if !w.admitted {
			return ErrClosed
		}
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		defer g.mu.Unlock()
		if i := slices.Index(g.waiters[p], w); i >= 0 {
			g.waiters[p] = slices.Delete(g.waiters[p], i, i+1)
			return ctx.Err()
		}
		if w.admitted {
			// Admitted while being cancelled: hand the slot on.
			g.releaseLocked()
		}
		return ctx.Err()
	}
}

func (g *gate) release() {
	g.mu.Lock()
	g.releaseLocked()
	g.mu.Unlock()
}

func (g *gate) releaseLocked() {
	g.running--
	g.admitLocked()
	if g.running == 0 {
		g.idle.Broadcast()
	}
}

// admitLocked wakes waiters, queries first, while slots are free; once
// closed it turns every waiter away.
func (g *gate) admitLocked() {
	for g.closed || g.running < g.max {
		var w *waiter
		switch {
		case len(g.waiters[1]) > 0:
			w, g.waiters[1] = g.waiters[1][0], g.waiters[1][1:]
		case len(g.waiters[0]) > 0:
			w, g.waiters[0] = g.waiters[0][0], g.waiters[0][1:]
		default:
			return
		}
		if !g.closed {
			w.admitted = true
			g.running++
		}
		close(w.ch)
	}
}

func (g *gate) setLimit(n int) {
	g.mu.Lock()
	g.max = n
	g.admitLocked()
	g.mu.Unlock()
}

func (g *gate) limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}

// drain refuses new work and waits for running calls to finish.
func (g *gate) drain() {
	g.mu.Lock()
	g.closed = true
	g.admitLocked()
	for g.running > 0 {
		g.idle.Wait()
	}
	g.mu.Unlock()
}
