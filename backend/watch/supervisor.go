package watch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/scan"
	"github.com/quarry-search/quarry/backend/store"
)

// Queue takes the work a watch finds: the indexer's manager.
type Queue interface {
	Enqueue(ctx context.Context, collectionID, typ string, config store.OpConfig, actor int64) (store.Operation, error)
}

// SupervisorConfig wires a Supervisor.
type SupervisorConfig struct {
	Store *store.Store
	Queue Queue
	Bus   *events.Bus
	// Options are the scanning rules the indexer applies.
	Options scan.Options
	// Tree tunes every tree (delays); its callbacks are the supervisor's.
	Tree   Config
	Logger *slog.Logger
}

// Supervisor runs a Tree for every watched directory source and turns
// what the trees see into operations: changed paths become an append
// limited to them (merged with an append already waiting, so a burst is
// one operation), deleted files leave search at once and are purged by
// that append.
type Supervisor struct {
	cfg  SupervisorConfig
	log  *slog.Logger
	poke chan struct{}

	mu    sync.Mutex
	trees map[int64]*entry
}

type entry struct {
	src    store.Source
	tree   *Tree
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSupervisor returns a supervisor; Serve runs it.
func NewSupervisor(cfg SupervisorConfig) *Supervisor {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Bus == nil {
		cfg.Bus = events.New()
	}
	return &Supervisor{cfg: cfg, log: cfg.Logger.With("component", "watch"), poke: make(chan struct{}, 1), trees: map[int64]*entry{}}
}

// Refresh makes the supervisor look at the sources again now (one was
// added, removed or switched).
func (s *Supervisor) Refresh() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// State returns the watch state of a source, and false when no tree runs
// for it (not watched, or not started yet).
func (s *Supervisor) State(sourceID int64) (State, bool) {
	s.mu.Lock()
	e := s.trees[sourceID]
	s.mu.Unlock()
	if e == nil {
		return State{}, false
	}
	st := e.tree.State()
	return st, st.State != ""
}

// Serve catches up with what changed while Quarry was closed (one scan
// of every watched source, queued as appends) and then keeps a tree
// running for every watched source until ctx ends.
func (s *Supervisor) Serve(ctx context.Context) error {
	defer s.stopAll()
	srcs, err := s.cfg.Store.WatchedSources(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Error("list watched folders", "err", err)
	}
	for _, src := range srcs {
		if !isDir(src.Path) {
			continue // offline: scanned when it returns
		}
		s.enqueue(ctx, src, store.OpConfig{SourceID: src.ID, Reason: "watch: catch up"})
	}
	s.sync(ctx, srcs)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.poke:
		case <-time.After(30 * time.Second):
		}
		srcs, err := s.cfg.Store.WatchedSources(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("list watched folders", "err", err)
			}
			continue
		}
		s.sync(ctx, srcs)
	}
}

// sync starts trees for new watched sources and stops those of sources
// that went or were switched off.
func (s *Supervisor) sync(ctx context.Context, srcs []store.Source) {
	want := make(map[int64]store.Source, len(srcs))
	for _, src := range srcs {
		want[src.ID] = src
	}
	s.mu.Lock()
	var stop []*entry
	for id, e := range s.trees {
		if w, ok := want[id]; !ok || w.Path != e.src.Path {
			stop = append(stop, e)
			delete(s.trees, id)
		}
	}
	for id, src := range want {
		if _, ok := s.trees[id]; ok {
			continue
		}
		s.trees[id] = s.start(ctx, src)
	}
	s.mu.Unlock()
	for _, e := range stop {
		e.cancel()
		<-e.done
		s.changed(e.src.CollectionID)
	}
}

func (s *Supervisor) start(ctx context.Context, src store.Source) *entry {
	cfg := s.cfg.Tree
	cfg.Options = s.cfg.Options
	cfg.Logger = s.log.With("source", src.ID)
	cfg.Changed = func(changed, removed []string) { s.report(ctx, src, changed, removed) }
	cfg.Rescan = func(dir string) {
		c := store.OpConfig{SourceID: src.ID, Reason: "watch: rescan"}
		if dir != src.Path {
			c.Paths = []string{dir}
		}
		s.enqueue(ctx, src, c)
	}
	cfg.StateChanged = func(State) { s.changed(src.CollectionID) }
	tctx, cancel := context.WithCancel(ctx)
	e := &entry{src: src, tree: NewTree(src.Path, cfg), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = e.tree.Run(tctx)
	}()
	return e
}

// report turns a tree's changes into work: deleted files leave search at
// once, and one append (merged with any waiting) looks at every path.
func (s *Supervisor) report(ctx context.Context, src store.Source, changed, removed []string) {
	if len(removed) > 0 {
		n, err := s.cfg.Store.HidePaths(ctx, src.CollectionID, removed)
		if err != nil {
			s.log.Error("hide deleted files", "source", src.ID, "err", err)
		} else if n > 0 {
			s.log.Info("deleted files left search", "source", src.ID, "paths", n)
			s.changed(src.CollectionID)
		}
	}
	s.log.Debug("folder changed", "source", src.ID, "changed", len(changed), "removed", len(removed))
	s.enqueue(ctx, src, store.OpConfig{SourceID: src.ID, Paths: append(changed, removed...), Reason: store.ReasonWatch})
}

func (s *Supervisor) enqueue(ctx context.Context, src store.Source, c store.OpConfig) {
	if ctx.Err() != nil {
		return
	}
	if _, err := s.cfg.Queue.Enqueue(ctx, src.CollectionID, store.OpAppend, c, 0); err != nil && ctx.Err() == nil {
		s.log.Error("queue watched changes", "source", src.ID, "err", err)
	}
}

func (s *Supervisor) changed(collectionID string) {
	s.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: collectionID})
}

func (s *Supervisor) stopAll() {
	s.mu.Lock()
	all := s.trees
	s.trees = map[int64]*entry{}
	s.mu.Unlock()
	for _, e := range all {
		e.cancel()
		<-e.done
	}
}
