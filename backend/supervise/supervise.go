// Package supervise owns Quarry's long-running services: each runs under
// one supervisor that restarts it with backoff when it fails and waits for
// all of them on shutdown, so no goroutine outlives its owner.
package supervise

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Service is anything that runs until its context ends.
type Service interface {
	Serve(ctx context.Context) error
}

// Func adapts a function to Service.
type Func func(ctx context.Context) error

// Serve calls f.
func (f Func) Serve(ctx context.Context) error { return f(ctx) }

// Supervisor runs services until Stop.
type Supervisor struct {
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// BackoffBase and BackoffMax bound the delay between restarts.
	BackoffBase, BackoffMax time.Duration
}

// New returns a supervisor whose services stop when Stop is called.
func New(logger *slog.Logger) *Supervisor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Supervisor{log: logger, ctx: ctx, cancel: cancel, BackoffBase: 500 * time.Millisecond, BackoffMax: 30 * time.Second}
}

// Add starts svc. A service that returns an error before Stop is
// restarted after a growing delay; one that returns nil is done.
func (s *Supervisor) Add(name string, svc Service) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		delay := s.BackoffBase
		for {
			t0 := time.Now()
			err := svc.Serve(s.ctx)
			if s.ctx.Err() != nil {
				return
			}
			if err == nil {
				s.log.Debug("service finished", "service", name)
				return
			}
			if time.Since(t0) > time.Minute {
				delay = s.BackoffBase
			}
			s.log.Error("service failed; restarting", "service", name, "err", err, "in", delay)
			select {
			case <-time.After(delay):
			case <-s.ctx.Done():
				return
			}
			delay = min(delay*2, s.BackoffMax)
		}
	}()
}

// Stop cancels every service and waits for them, at most until ctx ends.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("supervisor: services did not stop in time")
	}
}
