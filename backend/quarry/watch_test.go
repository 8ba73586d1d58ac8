package quarry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// watchedCollection starts Quarry with GloVe installed and a collection
// over a folder of notes, indexed and idle.
func watchedCollection(t testing.TB, q *quarry.Quarry, notes int) (svc *service.Service, collID, dir string) {
	t.Helper()
	svc, ctx := q.Service(), context.Background()
	if _, err := svc.ImportModel(ctx, service.ImportModelRequest{Model: "glove-6b-100d",
		Paths: []string{filepath.Join(testenv.SharedDir(t), "models", "glove-6b-100d-top100k")}}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Watched", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(testenv.ReachableDir(t), "watched")
	for i := range notes {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("note-%02d.txt", i)), fmt.Sprintf("Note %d about the orchard harvest.\n", i))
	}
	if _, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir}); err != nil {
		t.Fatal(err)
	}
	settled(t, svc, c.ID)
	return svc, c.ID, dir
}

func writeFile(t testing.TB, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the collection has no operation waiting or running.
func settled(t testing.TB, svc *service.Service, id string) []service.Operation {
	t.Helper()
	var ops []service.Operation
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var err error
		ops, err = svc.ListOperations(context.Background(), id)
		busy := err != nil
		for _, o := range ops {
			busy = busy || o.Status == "pending" || o.Status == "processing"
		}
		if !busy {
			return ops
		}
		if time.Now().After(deadline) {
			t.Fatalf("operations still busy after 2 minutes: %+v", ops)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// found reports whether a keyword search finds a file ending in name.
func found(svc *service.Service, collID, query, name string) bool {
	resp, err := svc.Search(context.Background(), service.SearchRequest{Query: query, Mode: search.Keyword, CollectionIDs: []string{collID}, Limit: 50})
	if err != nil {
		return false
	}
	for _, r := range resp.Results {
		if strings.HasSuffix(r.Path, name) {
			return true
		}
	}
	return false
}

func sourceState(t testing.TB, svc *service.Service, collID string) service.Source {
	t.Helper()
	srcs, err := svc.ListSources(context.Background(), collID)
	if err != nil || len(srcs) != 1 {
		t.Fatalf("sources = %+v, %v", srcs, err)
	}
	return srcs[0]
}

// opsSince returns the collection's operations created at or after t0.
func opsSince(svc *service.Service, collID string, t0 time.Time) []service.Operation {
	ops, _ := svc.ListOperations(context.Background(), collID)
	var out []service.Operation
	for _, o := range ops {
		if !o.CreatedAt.Before(t0) {
			out = append(out, o)
		}
	}
	return out
}

// TestWatchedFolder: with no Rescan pressed, a saved file is found, an
// edit replaces what is found, a deletion leaves search, a burst of 1,000
// files is a few operations, renaming a 500-file folder computes no
// embedding, a folder that goes away keeps its documents and comes back,
// and the switch turns watching off and on.
func TestWatchedFolder(t *testing.T) {
	q, _ := startQuarry(t)
	defer q.Close()
	svc, collID, dir := watchedCollection(t, q, 3)
	ctx := t.Context()
	eventually(t, "the folder watched", func() (bool, string) {
		s := sourceState(t, svc, collID)
		return s.Watch && s.WatchState == "watching", s.WatchState + " " + s.WatchMessage
	})

	// Save, edit, delete.
	fresh := filepath.Join(dir, "fresh.txt")
	writeFile(t, fresh, "A zebracorn grazed by the river.\n")
	eventually(t, "a saved file found", func() (bool, string) { return found(svc, collID, "zebracorn", "fresh.txt"), "not found" })
	writeFile(t, fresh, "A quokkaberry ripened by the river.\n")
	eventually(t, "an edit found", func() (bool, string) {
		return found(svc, collID, "quokkaberry", "fresh.txt") && !found(svc, collID, "zebracorn", "fresh.txt"), "old text still found"
	})
	if err := os.Remove(fresh); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a deleted file gone", func() (bool, string) { return !found(svc, collID, "quokkaberry", "fresh.txt"), "still found" })
	// The deletion leaves search at once; the watch's operation that
	// forgets the file is queued right after.
	eventually(t, "the watched deletion's operation", func() (bool, string) {
		ops := settled(t, svc, collID)
		return ops[0].Progress["files_removed"] == 1.0 && ops[0].Config.Reason == "watch", fmt.Sprintf("reason %q, progress %v", ops[0].Config.Reason, ops[0].Progress)
	})

	// A burst of 1,000 files.
	t0 := time.Now()
	for i := range 1000 {
		writeFile(t, filepath.Join(dir, "drop", fmt.Sprintf("n%04d.txt", i)), fmt.Sprintf("Dropped note %d, marker zq%dx.\n", i, i))
	}
	eventually(t, "1,000 dropped files found", func() (bool, string) {
		c, _ := svc.GetCollection(ctx, collID)
		return c.DocumentCount == 1003 && found(svc, collID, "zq999x", "n0999.txt"), fmt.Sprint(c.DocumentCount, " documents")
	})
	settled(t, svc, collID)
	if ops := opsSince(svc, collID, t0); len(ops) > 3 {
		t.Errorf("1,000 dropped files queued %d operations", len(ops))
	}

	// Renaming a folder of 500 files moves their documents, vectors and
	// all: no model call.
	for i := range 500 {
		writeFile(t, filepath.Join(dir, "projects", "alpha", fmt.Sprintf("p%03d.txt", i)), fmt.Sprintf("Project page %d, tag pj%dq, about the harbour.\n", i, i))
	}
	eventually(t, "the project folder indexed", func() (bool, string) {
		c, _ := svc.GetCollection(ctx, collID)
		return c.DocumentCount == 1503, fmt.Sprint(c.DocumentCount)
	})
	settled(t, svc, collID)
	t1 := time.Now()
	if err := os.Rename(filepath.Join(dir, "projects", "alpha"), filepath.Join(dir, "projects", "beta")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the renamed folder's files found under the new name", func() (bool, string) {
		return found(svc, collID, "pj499q", filepath.Join("beta", "p499.txt")) && !found(svc, collID, "pj499q", filepath.Join("alpha", "p499.txt")), "old name"
	})
	settled(t, svc, collID)
	calls := 0.0
	for _, o := range opsSince(svc, collID, t1) {
		if o.Status != "completed" {
			t.Errorf("operation after the rename: %s %s", o.Status, o.Error)
		}
		calls += o.Progress["model_calls"].(float64)
	}
	if c, _ := svc.GetCollection(ctx, collID); c.DocumentCount != 1503 || calls != 0 {
		t.Errorf("after renaming a 500-file folder: %d documents, %v model calls; want 1503 and 0", c.DocumentCount, calls)
	}

	// The folder goes away (unplugged): it is offline, its documents stay
	// searchable; it comes back and is watched again.
	away := dir + "-away"
	if err := os.Rename(dir, away); err != nil {
		t.Fatal(err)
	}
	eventually(t, "offline", func() (bool, string) {
		s := sourceState(t, svc, collID)
		return s.WatchState == "offline", s.WatchState
	})
	// Even a rescan asked for while it is away deletes nothing.
	if _, err := svc.RescanCollection(ctx, collID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if ops := settled(t, svc, collID); ops[0].Status != "completed" {
		t.Errorf("rescan of an offline folder: %s %s", ops[0].Status, ops[0].Error)
	}
	if c, _ := svc.GetCollection(ctx, collID); c.DocumentCount != 1503 || !found(svc, collID, "zq5x", "n0005.txt") {
		t.Fatalf("an offline folder lost documents: %d", c.DocumentCount)
	}
	if err := os.Rename(away, dir); err != nil {
		t.Fatal(err)
	}
	eventually(t, "watching again", func() (bool, string) {
		s := sourceState(t, svc, collID)
		return s.WatchState == "watching", s.WatchState
	})
	writeFile(t, filepath.Join(dir, "back.txt"), "The wombatlantern is back.\n")
	eventually(t, "a file saved after the return found", func() (bool, string) { return found(svc, collID, "wombatlantern", "back.txt"), "not found" })

	// The switch.
	src := sourceState(t, svc, collID)
	off := false
	if got, err := svc.UpdateSource(ctx, collID, src.ID, service.UpdateSourceRequest{Watch: &off}); err != nil || got.Watch || got.WatchState != "paused" {
		t.Fatalf("switch off = %+v, %v", got, err)
	}
	settled(t, svc, collID)
	writeFile(t, filepath.Join(dir, "unwatched.txt"), "A platypusorange nobody watched.\n")
	time.Sleep(3 * time.Second)
	if found(svc, collID, "platypusorange", "unwatched.txt") {
		t.Fatal("a change was picked up with watching off")
	}
	on := true
	if _, err := svc.UpdateSource(ctx, collID, src.ID, service.UpdateSourceRequest{Watch: &on}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "caught up after switching on", func() (bool, string) { return found(svc, collID, "platypusorange", "unwatched.txt"), "not found" })
	if _, err := svc.UpdateSource(ctx, collID, src.ID, service.UpdateSourceRequest{}); err == nil {
		t.Error("an update naming nothing was accepted")
	}
}

// TestChangesWhileClosed: what changed while Quarry was not running is
// caught up at the next start, by itself.
func TestChangesWhileClosed(t *testing.T) {
	opts := testOptions(t)
	q, err := quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	svc, collID, dir := watchedCollection(t, q, 3)
	q.Close()
	writeFile(t, filepath.Join(dir, "while-closed.txt"), "The capybaralamp arrived while Quarry was closed.\n")
	if err := os.Remove(filepath.Join(dir, "note-00.txt")); err != nil {
		t.Fatal(err)
	}
	q, err = quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	svc = q.Service()
	eventually(t, "caught up", func() (bool, string) {
		c, _ := svc.GetCollection(t.Context(), collID)
		return found(svc, collID, "capybaralamp", "while-closed.txt") && c.DocumentCount == 3, fmt.Sprint(c.DocumentCount, " documents")
	})
}
