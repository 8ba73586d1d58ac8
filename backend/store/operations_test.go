package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

func TestOperationQueue(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, _ := s.LocalUserID(ctx)
	c, err := s.CreateCollection(ctx, newCollection("Queue", owner), owner)
	if err != nil {
		t.Fatal(err)
	}

	idx, err := s.CreateOperation(ctx, c.ID, store.OpIndex, store.OpConfig{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("appends merge into waiting work", func(t *testing.T) {
		for range 5 {
			o, err := s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{SourceID: 7}, owner)
			if err != nil {
				t.Fatal(err)
			}
			if o.ID != idx.ID {
				t.Fatalf("append made operation %s, want it merged into %s", o.ID, idx.ID)
			}
		}
		ops, _ := s.ListOperations(ctx, c.ID, 10)
		if len(ops) != 1 {
			t.Errorf("%d operations queued, want 1", len(ops))
		}
	})

	t.Run("a paused operation holds the queue and survives a restart", func(t *testing.T) {
		if _, err := s.PauseOperation(ctx, idx.ID, owner); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.ClaimOperation(ctx, c.ID); ok {
			t.Fatal("claimed work behind a paused operation")
		}
		// A restart requeues what was processing, not what was paused.
		if _, err := s.RequeueInterrupted(ctx); err != nil {
			t.Fatal(err)
		}
		if o, _ := s.GetOperation(ctx, idx.ID); o.Status != store.OpPaused {
			t.Errorf("after restart: %s, want paused", o.Status)
		}
		if _, err := s.PauseOperation(ctx, idx.ID, owner); !errors.Is(err, store.ErrWrongState) {
			t.Errorf("pause of a paused operation: %v, want ErrWrongState", err)
		}
		if _, err := s.ResumeOperation(ctx, idx.ID, owner); err != nil {
			t.Fatal(err)
		}
		o, ok, err := s.ClaimOperation(ctx, c.ID)
		if err != nil || !ok || o.ID != idx.ID {
			t.Fatalf("claim after resume = %+v %v %v", o, ok, err)
		}
		// A running operation is paused by its next progress save.
		if _, err := s.PauseOperation(ctx, idx.ID, owner); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.SaveProgress(ctx, idx.ID, map[string]any{"files": 3}); st != store.OpPaused {
			t.Errorf("progress save saw %s, want paused", st)
		}
		if _, err := s.CancelOperation(ctx, idx.ID, owner); err != nil {
			t.Errorf("cancel of a paused operation: %v", err)
		}
	})

	t.Run("delete hides at once and is re-queued if lost", func(t *testing.T) {
		waiting, _ := s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{}, owner)
		del, err := s.RequestDelete(ctx, c.ID, owner)
		if err != nil || del.Type != store.OpDelete {
			t.Fatalf("request delete = %+v, %v", del, err)
		}
		if _, err := s.GetCollection(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get after delete: %v", err)
		}
		if list, _ := s.ListCollections(ctx); len(list) != 0 {
			t.Errorf("list after delete: %d", len(list))
		}
		if o, _ := s.GetOperation(ctx, waiting.ID); o.Status != store.OpCancelled {
			t.Errorf("work queued before the delete: %s, want cancelled", o.Status)
		}
		if _, err := s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{}, owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("work for a deleted collection: %v", err)
		}
		if _, err := s.CancelOperation(ctx, del.ID, owner); err == nil {
			t.Error("a delete was cancelled")
		}
		if _, err := s.RequestDelete(ctx, c.ID, owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		// The name is free at once.
		if _, err := s.CreateCollection(ctx, newCollection("Queue", owner), owner); err != nil {
			t.Errorf("re-create: %v", err)
		}
		// A delete that failed is queued again at start.
		if err := s.FinishOperation(ctx, del.ID, store.OpFailed, "crashed", nil); err != nil {
			t.Fatal(err)
		}
		if n, err := s.RequeueDeletes(ctx); err != nil || n != 1 {
			t.Errorf("requeue deletes = %d, %v", n, err)
		}
		o, ok, err := s.ClaimOperation(ctx, c.ID)
		if err != nil || !ok || o.Type != store.OpDelete {
			t.Fatalf("claim = %+v %v %v", o, ok, err)
		}
		if _, err := s.CollectionForWork(ctx, c.ID); err != nil {
			t.Errorf("the worker cannot see the deleted collection: %v", err)
		}
		if err := s.DeleteCollection(ctx, c.ID, owner); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CollectionForWork(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after purge: %v", err)
		}
	})
}

// Watched paths merge into the waiting append, and a full scan absorbs
// them.
func TestWatchedPathsMerge(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, _ := s.LocalUserID(ctx)
	c, err := s.CreateCollection(ctx, newCollection("Watched queue", owner), owner)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{SourceID: 3, Paths: []string{"/w/a.txt", "/w/b"}}, owner)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{SourceID: 3, Paths: []string{"/w/b", "/w/c.txt"}}, owner)
	if o.ID != first.ID || len(o.Config.Paths) != 3 || o.Config.SourceID != 3 {
		t.Fatalf("merged paths = %+v", o.Config)
	}
	o, _ = s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{EmbedOnly: true}, owner)
	if o.ID != first.ID || len(o.Config.Paths) != 3 || o.Config.EmbedOnly {
		t.Fatalf("an embed-only append merged into paths = %+v", o.Config)
	}
	o, _ = s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{SourceID: 3}, owner)
	if o.ID != first.ID || o.Config.Paths != nil {
		t.Fatalf("a full scan merged into paths = %+v, want the whole source", o.Config)
	}
	o, _ = s.CreateOperation(ctx, c.ID, store.OpAppend, store.OpConfig{SourceID: 3, Paths: []string{"/w/d.txt"}}, owner)
	if o.Config.Paths != nil {
		t.Fatalf("paths narrowed a full scan: %+v", o.Config)
	}
	// Too many paths for one operation: a scan of the source instead.
	c2, err := s.CreateCollection(ctx, newCollection("Many paths", owner), owner)
	if err != nil {
		t.Fatal(err)
	}
	many := make([]string, store.MaxOpPaths+1)
	for i := range many {
		many[i] = fmt.Sprintf("/w/f%d.txt", i)
	}
	if o, err = s.CreateOperation(ctx, c2.ID, store.OpAppend, store.OpConfig{SourceID: 3, Paths: many}, owner); err != nil || o.Config.Paths != nil {
		t.Fatalf("an append of %d paths = %d paths, %v; want a scan of the source", len(many), len(o.Config.Paths), err)
	}
}
