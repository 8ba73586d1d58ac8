package indexer_test

import (
	"context"
	"fmt"
	"github.com/quarry-search/quarry/backend/modelpool"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
	"github.com/quarry-search/quarry/backend/vecindex"
)

func TestMain(m *testing.M) { testenv.Main(m) }

type rig struct {
	st  *store.Store
	idx *vecindex.Index
	svc *service.Service
	mgr *indexer.Manager
	bus *events.Bus
	emb *modelpool.Pool
	// timeout bounds waiting for one operation (default 2 minutes).
	timeout time.Duration
	start   func()
	stop    func()
}

// newRig wires the real parts: PostgreSQL, the vector engine over gRPC,
// ONNX Runtime with a MiniLM-shaped model, and the manager's workers.
func newRig(t testing.TB) *rig {
	t.Helper()
	return newRigModels(t, testenv.ModelsDir(t), nil)
}

// newRigModels is newRig over the given models folder; tune adjusts the
// manager's configuration.
func newRigModels(t testing.TB, modelsDir string, tune func(*indexer.Config)) *rig {
	t.Helper()
	r := &rig{st: testenv.Store(t), bus: events.New()}
	log := testenv.Logger(t)
	r.idx = vecindex.New(testenv.Vectors(t), r.st, log)
	emb := modelpool.New(modelsDir, t.TempDir(), "cpu", log)
	t.Cleanup(func() { _ = emb.Close() })
	r.emb = emb
	cfg := indexer.Config{Store: r.st, Index: r.idx, Bus: r.bus, Embedders: emb, Logger: log, ProgressEvery: 50 * time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	r.mgr = indexer.New(cfg)
	svc, err := service.New(t.Context(), service.Info{}, service.Deps{Store: r.st, Index: r.idx, Queue: r.mgr, Models: emb, Bus: r.bus, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
	var cancel context.CancelFunc
	var done chan struct{}
	r.start = func() {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		done = make(chan struct{})
		go func() { defer close(done); _ = r.mgr.Serve(ctx) }()
	}
	r.stop = func() {
		if cancel != nil {
			cancel()
			<-done
			cancel = nil
		}
	}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) wait(t testing.TB, opID string) service.Operation {
	t.Helper()
	limit := r.timeout
	if limit == 0 {
		limit = 2 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		op, err := r.svc.GetOperation(t.Context(), opID)
		if err != nil {
			t.Fatal(err)
		}
		switch op.Status {
		case "completed", "failed", "cancelled":
			return op
		}
		time.Sleep(50 * time.Millisecond)
	}
	op, _ := r.svc.GetOperation(t.Context(), opID)
	t.Fatalf("operation %s did not finish in %s: %s, progress %v", opID, limit, op.Status, op.Progress)
	return service.Operation{}
}

func write(t testing.TB, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func paragraphs(seed, n int) string {
	words := []string{"quarry", "search", "meaning", "private", "folder", "index", "vector", "chunk", "model", "token"}
	var b strings.Builder
	fmt.Fprintf(&b, "Document %d.\n\n", seed)
	for p := range n {
		for w := range 60 {
			b.WriteString(words[(seed*7+p*3+w*w)%len(words)])
			b.WriteByte(' ')
		}
		b.WriteString(".\n\n")
	}
	return b.String()
}

// consistent checks that PostgreSQL and the vector index hold the same
// number of vectors, and returns it.
func (r *rig) consistent(t testing.TB, collectionID string) int64 {
	t.Helper()
	c, err := r.st.GetCollection(t.Context(), collectionID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.idx.Count(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if int64(n) != c.VectorCount {
		t.Errorf("PostgreSQL holds %d vectors, the vector index %d", c.VectorCount, n)
	}
	return c.VectorCount
}

func docsByStatus(t *testing.T, svc *service.Service, collectionID string) map[string][]service.Document {
	t.Helper()
	list, err := svc.ListDocuments(t.Context(), collectionID, service.ListDocumentsRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]service.Document{}
	for _, d := range list {
		out[d.Status] = append(out[d.Status], d)
	}
	return out
}

func TestIndexRescanRemove(t *testing.T) {
	r := newRig(t)
	r.start()
	ctx := t.Context()
	dir := t.TempDir()
	for i := range 12 {
		write(t, filepath.Join(dir, fmt.Sprintf("notes/n%02d.txt", i)), paragraphs(i, 4))
	}
	write(t, filepath.Join(dir, "copy-of-n03.txt"), paragraphs(3, 4))
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 250_000_000, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "notes/n00.txt"), stamp, stamp); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "picture.png"), "\x89PNG\r\n\x1a\n\x00\x00binary")
	write(t, filepath.Join(dir, "empty.txt"), "")
	write(t, filepath.Join(dir, ".hidden/secret.txt"), paragraphs(99, 1))

	progress, stopEvents := r.bus.Subscribe(1000)
	c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Notes", Model: "all-MiniLM-L6-v2", Quantization: "int8", ChunkSize: 64, ChunkOverlap: 8})
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	op := r.wait(t, src.OperationID)
	if op.Status != "completed" {
		t.Fatalf("index operation = %s: %s", op.Status, op.Error)
	}
	// The final event follows the committed outcome; collect until it
	// arrives (or a generous deadline passes).
	var updates, finals int
	deadline := time.After(10 * time.Second)
collect:
	for finals == 0 {
		select {
		case e := <-progress:
			if p, ok := e.Data.(indexer.Progress); ok && p.OperationID == op.ID {
				updates++
				if p.Status == "completed" {
					finals++
				}
			}
		case <-deadline:
			break collect
		}
	}
	stopEvents()
	for e := range progress {
		if p, ok := e.Data.(indexer.Progress); ok && p.OperationID == op.ID && p.Status == "completed" {
			finals++
		}
	}
	if updates < 2 || finals != 1 {
		t.Errorf("progress events = %d (%d final); want several and exactly one final", updates, finals)
	}

	docs := docsByStatus(t, r.svc, c.ID)
	if len(docs["completed"]) != 12 || len(docs["failed"]) != 2 {
		t.Fatalf("documents = %d completed, %d failed; want 12 and 2 (%v)", len(docs["completed"]), len(docs["failed"]), docs)
	}
	for _, d := range docs["failed"] {
		if d.Error == "" {
			t.Errorf("%s failed without a reason", d.Path)
		}
	}
	shared := 0
	for _, d := range docs["completed"] {
		if d.Paths == 2 {
			shared++
		}
	}
	if shared != 1 {
		t.Errorf("documents reachable from two paths = %d, want 1 (identical content embedded once)", shared)
	}
	before := r.consistent(t, c.ID)
	if before == 0 {
		t.Fatal("no vectors were written")
	}

	// Change one file (same size, same second: only the content and the
	// sub-second time differ), delete one, add one: a rescan catches up.
	sameSize := []byte(paragraphs(0, 4))
	copy(sameSize, "Edited.")
	if err := os.WriteFile(filepath.Join(dir, "notes/n00.txt"), sameSize, 0o644); err != nil {
		t.Fatal(err)
	}
	later := stamp.Add(time.Millisecond)
	if err := os.Chtimes(filepath.Join(dir, "notes/n00.txt"), later, later); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "notes/n01.txt")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "notes/new.txt"), paragraphs(60, 3))
	rescan, err := r.svc.RescanCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	op = r.wait(t, rescan.ID)
	if op.Status != "completed" {
		t.Fatalf("rescan = %s: %s", op.Status, op.Error)
	}
	if skipped := op.Progress["files_skipped"].(float64); skipped < 10 {
		t.Errorf("rescan skipped %v unchanged files, want at least 10", skipped)
	}
	docs = docsByStatus(t, r.svc, c.ID)
	if len(docs["completed"]) != 12 {
		t.Errorf("after rescan %d completed documents, want 12", len(docs["completed"]))
	}
	for _, d := range docs["completed"] {
		if strings.HasSuffix(d.Path, "n01.txt") {
			t.Errorf("deleted file still listed: %s", d.Path)
		}
	}
	var edited int
	if err := r.st.Pool().QueryRow(ctx, `SELECT count(*) FROM chunks k JOIN documents d ON d.id = k.document_id
		WHERE d.collection_id = $1 AND d.file_path LIKE '%/n00.txt' AND k.text LIKE 'Edited.%'`, c.ID).Scan(&edited); err != nil {
		t.Fatal(err)
	}
	if edited != 1 {
		t.Errorf("the same-size edit of n00.txt was not re-indexed (%d chunks start with the new text)", edited)
	}
	r.consistent(t, c.ID)

	// Removing the folder removes its documents and their vectors.
	if err := r.svc.RemoveSource(ctx, c.ID, src.ID); err != nil {
		t.Fatal(err)
	}
	ops, _ := r.svc.ListOperations(ctx, c.ID)
	op = r.wait(t, ops[0].ID)
	if op.Type != "remove_source" || op.Status != "completed" {
		t.Fatalf("remove = %s %s: %s", op.Type, op.Status, op.Error)
	}
	if n := r.consistent(t, c.ID); n != 0 {
		t.Errorf("%d vectors left after removing the only folder", n)
	}
	if srcs, _ := r.svc.ListSources(ctx, c.ID); len(srcs) != 0 {
		t.Errorf("sources after removal = %v", srcs)
	}
}

func TestResumeAfterCrashAndCancel(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	dir := t.TempDir()
	for i := range 5 {
		write(t, filepath.Join(dir, fmt.Sprintf("d%d.txt", i)), paragraphs(i, 3))
	}
	c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Crash", Model: "all-MiniLM-L6-v2"})
	if err != nil {
		t.Fatal(err)
	}
	// With no worker running, the add queues an operation.
	src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	// A crash: the operation was claimed (processing) and the process died.
	if _, ok, err := r.st.ClaimOperation(ctx, c.ID); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	// A second operation is cancelled before it runs.
	second, err := r.svc.RescanCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.CancelOperation(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	r.start()
	op := r.wait(t, src.OperationID)
	if op.Status != "completed" {
		t.Fatalf("resumed operation = %s: %s", op.Status, op.Error)
	}
	if got := r.wait(t, second.ID); got.Status != "cancelled" || got.StartedAt != nil {
		t.Errorf("cancelled operation = %s, started %v", got.Status, got.StartedAt)
	}
	if _, err := r.svc.CancelOperation(ctx, op.ID); err == nil {
		t.Error("cancelling a finished operation succeeded")
	}
	if r.consistent(t, c.ID) == 0 {
		t.Error("no vectors after resuming")
	}
}

// TestMixedDatasetCompletes indexes a folder of real-world files nobody
// here wrote (PDFs, Office files, e-mail, odd encodings, malformed and
// empty files): the operation completes, every file ends completed or
// failed with a reason, and PostgreSQL and the vector index agree.
func TestMixedDatasetCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 240 real files")
	}
	mixed := filepath.Join(testenv.SharedDir(t), "datasets", "mixed")
	if _, err := os.Stat(mixed); err != nil {
		testenv.Missing(t, "mixed dataset: %v", err)
	}
	r := newRig(t)
	// A completion test, not a speed one (make bench measures that): on a
	// loaded two-core machine the set takes about two minutes.
	r.timeout = 6 * time.Minute
	r.start()
	ctx := t.Context()
	c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Mixed", Model: "all-MiniLM-L6-v2"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: mixed})
	if err != nil {
		t.Fatal(err)
	}
	op := r.wait(t, src.OperationID)
	if op.Status != "completed" {
		t.Fatalf("operation = %s: %s", op.Status, op.Error)
	}
	var files int
	_ = filepath.WalkDir(mixed, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			files++
		}
		return nil
	})
	docs, err := r.svc.ListDocuments(ctx, c.ID, service.ListDocumentsRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	paths := 0
	reasons := map[string]int{}
	for _, d := range docs {
		paths += d.Paths
		switch d.Status {
		case "completed":
			if d.ChunkCount == 0 {
				t.Errorf("%s completed without chunks", d.Path)
			}
		case "failed":
			if d.Error == "" {
				t.Errorf("%s failed without a reason", d.Path)
			}
			reasons[d.Error]++
		default:
			t.Errorf("%s left %s", d.Path, d.Status)
		}
	}
	// Files inside archives and e-mails are documents too: the operation
	// handles every file on disk and every member.
	handled := int(op.Progress["files_done"].(float64) + op.Progress["files_failed"].(float64))
	total := int(op.Progress["files_total"].(float64))
	if handled != total || total <= files {
		t.Errorf("operation handled %d of %d files and members (%d files on disk)", handled, total, files)
	}
	members := 0
	for _, d := range docs {
		if extract.IsMember(d.Path) {
			members++
		}
	}
	if members == 0 || paths > total {
		t.Errorf("%d members, %d paths recorded for %d files and members", members, paths, total)
	}
	t.Logf("%d files, %d with members: %d documents (%d paths, %d members); failure reasons: %v", files, total, len(docs), paths, members, reasons)
	r.consistent(t, c.ID)
}
