package indexer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// reindexRig is a rig with both test models installed in a folder of its
// own, and a model server that refuses every connection.
func reindexRig(t testing.TB) *rig {
	t.Helper()
	shared := testenv.SharedDir(t)
	dir := t.TempDir()
	for name, srcs := range map[string][]string{
		"all-MiniLM-L6-v2": {filepath.Join(shared, "models", "all-MiniLM-L6-v2"), filepath.Join(shared, "models", "synthetic-minilm-l6-int8")},
		"glove-6b-100d":    {filepath.Join(shared, "models", "glove-6b-100d-top100k")},
	} {
		m, _ := models.Lookup(name)
		variant := ""
		if m.Kind != models.KindStatic {
			variant = models.VariantInt8
		}
		if _, err := models.ImportFolders(t.Context(), m, variant, srcs, filepath.Join(dir, name), true, nil); err != nil {
			testenv.Missing(t, "test model %s: %v", name, err)
		}
	}
	r := newRigModels(t, dir, func(c *indexer.Config) { c.ReindexGrace = 100 * time.Millisecond })
	r.emb.SetMirror("http://127.0.0.1:9")
	return r
}

// searchLoop searches the collection in every mode until stopped and
// returns what went wrong: an error or an empty page for a query that
// matches before, during and after every reindex.
func searchLoop(svc *service.Service, collectionID string) (stop func() []string) {
	var mu sync.Mutex
	var problems []string
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			for _, mode := range []search.Mode{search.Keyword, search.Semantic, search.Hybrid} {
				select {
				case <-done:
					return
				default:
				}
				resp, err := svc.Search(context.Background(), service.SearchRequest{Query: "lighthouse storm",
					Mode: mode, CollectionIDs: []string{collectionID}})
				mu.Lock()
				switch {
				case err != nil:
					problems = append(problems, fmt.Sprintf("%s: %v", mode, err))
				case len(resp.Results) == 0:
					problems = append(problems, fmt.Sprintf("%s: empty page (warnings %v)", mode, resp.Warnings))
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	return func() []string {
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return problems
	}
}

// TestReindex: precision, chunking and model changes each do the least
// correct work, switch with no failed or empty search, leave exactly one
// build behind, and a failed, cancelled or interrupted reindex leaves the
// collection as it was (or resumes).
func TestReindex(t *testing.T) {
	r := reindexRig(t)
	r.start()
	ctx := t.Context()
	src := t.TempDir()
	write(t, filepath.Join(src, "lighthouse.txt"), "The lighthouse keeper logged every storm that crossed the northern sea.\n")
	for i := range 80 {
		write(t, filepath.Join(src, fmt.Sprintf("n%02d.txt", i)), paragraphs(i, 4))
	}
	c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Reindexed", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: src}); err != nil {
		t.Fatal(err)
	}
	ops, _ := r.svc.ListOperations(ctx, c.ID)
	if op := r.wait(t, ops[0].ID); op.Status != "completed" {
		t.Fatalf("index: %s %s", op.Status, op.Error)
	}
	chunks := r.consistent(t, c.ID)
	stopSearch := searchLoop(r.svc, c.ID)

	// builds lists the collection's physical vector collections.
	builds := func() []string {
		t.Helper()
		got, err := r.idx.Builds(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	reindex := func(req service.ReindexRequest) service.Operation {
		t.Helper()
		op, err := r.svc.ReindexCollection(ctx, c.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		return r.wait(t, op.ID)
	}
	calls := func(op service.Operation) float64 { v, _ := op.Progress["model_calls"].(float64); return v }
	settled := func(what string) {
		t.Helper()
		got, err := r.st.GetCollection(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b := builds(); len(b) != 1 || b[0] != got.VectorCollection {
			t.Errorf("%s: builds %v, want only %s", what, b, got.VectorCollection)
		}
		if got.Staging != "" || len(got.VectorCollections) != 1 {
			t.Errorf("%s: staging %q, vector collections %v", what, got.Staging, got.VectorCollections)
		}
		if w, _ := r.st.CountReindexWork(ctx, c.ID); w.Staged != 0 {
			t.Errorf("%s: %d documents still staged", what, w.Staged)
		}
		r.consistent(t, c.ID)
	}

	// Precision only: the stored vectors are re-encoded, the model never runs.
	op := reindex(service.ReindexRequest{Quantization: ptr("int8")})
	got, _ := r.st.GetCollection(ctx, c.ID)
	if op.Status != "completed" || calls(op) != 0 || got.Quantization != "int8" || !strings.HasSuffix(got.VectorCollection, "_glove100_i8") {
		t.Fatalf("precision reindex: %s %s, %v model calls, %s in %s", op.Status, op.Error, calls(op), got.Quantization, got.VectorCollection)
	}
	if got.VectorCount != chunks {
		t.Errorf("precision reindex: %d vectors, want %d", got.VectorCount, chunks)
	}
	settled("precision reindex")

	// Chunking only: the stored text is cut anew (the same model and
	// precision get a new generation of build).
	op = reindex(service.ReindexRequest{ChunkSize: ptr(40), ChunkOverlap: ptr(4)})
	got, _ = r.st.GetCollection(ctx, c.ID)
	if op.Status != "completed" || calls(op) == 0 || got.ChunkSize != 40 || got.ChunkCount <= chunks || !strings.HasSuffix(got.VectorCollection, "_g1") {
		t.Fatalf("chunking reindex: %s %s, %d chunks (was %d), size %d, build %s", op.Status, op.Error, got.ChunkCount, chunks, got.ChunkSize, got.VectorCollection)
	}
	settled("chunking reindex")

	// Another model: its own tokenizer re-cuts the text, its vectors
	// replace the old ones. No file is opened: the folder is away.
	if err := os.Rename(src, src+".away"); err != nil {
		t.Fatal(err)
	}
	op = reindex(service.ReindexRequest{Model: ptr("all-MiniLM-L6-v2")})
	if err := os.Rename(src+".away", src); err != nil {
		t.Fatal(err)
	}
	got, _ = r.st.GetCollection(ctx, c.ID)
	if op.Status != "completed" || got.ModelName != "all-MiniLM-L6-v2" || got.EmbeddingDims != 384 || got.VectorCount != got.ChunkCount {
		t.Fatalf("model reindex: %s %s, %s/%d, %d of %d chunks embedded", op.Status, op.Error, got.ModelName, got.EmbeddingDims, got.VectorCount, got.ChunkCount)
	}
	settled("model reindex")
	for _, d := range docsByStatus(t, r.svc, c.ID)["completed"] {
		if d.Stage != "indexed" {
			t.Errorf("%s after the model reindex: stage %s", d.Path, d.Stage)
		}
	}

	// A model that cannot be had fails the reindex alone: nothing changes.
	op = reindex(service.ReindexRequest{Model: ptr("bge-small-en-v1.5")})
	after, _ := r.st.GetCollection(ctx, c.ID)
	if op.Status != "failed" || !strings.Contains(op.Error, "could not be downloaded") || after.ModelName != got.ModelName ||
		after.VectorCollection != got.VectorCollection || after.ChunkCount != got.ChunkCount {
		t.Fatalf("reindex to a missing model: %s %q; collection %s in %s", op.Status, op.Error, after.ModelName, after.VectorCollection)
	}
	settled("failed reindex")

	// Nothing to change, unknown models and a second reindex are refused.
	if _, err := r.svc.ReindexCollection(ctx, c.ID, service.ReindexRequest{Quantization: ptr("int8")}); !apperr.Is(err, apperr.InvalidArgument) {
		t.Errorf("reindex to the same settings: %v", err)
	}
	if _, err := r.svc.ReindexCollection(ctx, c.ID, service.ReindexRequest{Model: ptr("no-such-model")}); !apperr.Is(err, apperr.ModelUnknown) {
		t.Errorf("reindex to an unknown model: %v", err)
	}

	// Interrupted (the app stops mid-way): it resumes where it stopped.
	queued, err := r.svc.ReindexCollection(ctx, c.ID, service.ReindexRequest{Quantization: ptr("float32")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.ReindexCollection(ctx, c.ID, service.ReindexRequest{Quantization: ptr("float16")}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a second reindex while one is queued: %v", err)
	}
	waitStaged(t, r, c.ID, queued.ID)
	r.stop()
	r.start()
	if op := r.wait(t, queued.ID); op.Status != "completed" {
		t.Fatalf("resumed reindex: %s %s", op.Status, op.Error)
	}
	got, _ = r.st.GetCollection(ctx, c.ID)
	if got.Quantization != "float32" || got.VectorCount != got.ChunkCount {
		t.Errorf("resumed reindex: %s, %d of %d chunks embedded", got.Quantization, got.VectorCount, got.ChunkCount)
	}
	settled("resumed reindex")

	// Cancelled mid-way: the old build and settings stay.
	queued, err = r.svc.ReindexCollection(ctx, c.ID, service.ReindexRequest{ChunkSize: ptr(48)})
	if err != nil {
		t.Fatal(err)
	}
	before := got
	waitStaged(t, r, c.ID, queued.ID)
	if _, err := r.svc.CancelOperation(ctx, queued.ID); err != nil {
		t.Logf("cancel: %v (it may have finished)", err)
	}
	op = r.wait(t, queued.ID)
	// A cancel is recorded at once; the worker then drops the staged
	// build.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ = r.st.GetCollection(ctx, c.ID); got.Staging == "" {
			break
		}
	}
	switch op.Status {
	case "cancelled":
		if got.ModelName != before.ModelName || got.VectorCollection != before.VectorCollection || got.VectorCount != before.VectorCount {
			t.Errorf("cancelled reindex changed the collection: %s in %s, %d vectors", got.ModelName, got.VectorCollection, got.VectorCount)
		}
	case "completed":
		t.Log("the reindex finished before it could be cancelled")
	default:
		t.Errorf("cancelled reindex: %s %s", op.Status, op.Error)
	}
	settled("cancelled reindex")

	if problems := stopSearch(); len(problems) > 0 {
		t.Errorf("%d searches during the reindexes went wrong, first: %s", len(problems), problems[0])
	}
}

// waitStaged waits until a reindex has staged some documents (or ended).
func waitStaged(t *testing.T, r *rig, collectionID, opID string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if w, err := r.st.CountReindexWork(t.Context(), collectionID); err == nil && w.Staged > 0 {
			return
		}
		op, err := r.svc.GetOperation(t.Context(), opID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains([]string{"completed", "failed", "cancelled"}, op.Status) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the reindex staged nothing in a minute")
}

func ptr[T any](v T) *T { return &v }
