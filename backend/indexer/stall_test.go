package indexer_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
)

// TestStalledDownloadHoldsUpNobody: while one collection's model download
// hangs on a server that accepts the request and never answers, another
// collection indexes to the end and searches over every collection answer
// in every mode — the stalled collection by keyword, with a warning.
func TestStalledDownloadHoldsUpNobody(t *testing.T) {
	release := make(chan struct{})
	var waiting atomic.Int32
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		waiting.Add(1)
		defer waiting.Add(-1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer stalled.Close()
	defer close(release)

	r := reindexRig(t)
	r.emb.SetMirror(stalled.URL)
	r.start()
	ctx := t.Context()
	folder := func(n int, word string) string {
		dir := t.TempDir()
		for i := range n {
			write(t, filepath.Join(dir, fmt.Sprintf("%s-%03d.txt", word, i)), fmt.Sprintf("%s note %d: %s", word, i, paragraphs(i, 2)))
		}
		return dir
	}
	waitingColl, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Waits for BGE", Model: "bge-small-en-v1.5"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.svc.AddSource(ctx, waitingColl.ID, service.AddSourceRequest{Path: folder(20, "lantern")})
	if err != nil {
		t.Fatal(err)
	}
	if op := r.wait(t, src.OperationID); op.Status != "completed" {
		t.Fatalf("text-only index of the waiting collection: %s %s", op.Status, op.Error)
	}
	deadline := time.Now().Add(time.Minute)
	for waiting.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the download never reached the model server")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Another collection indexes from start to end while the download
	// hangs.
	other, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Indexes", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	src, err = r.svc.AddSource(ctx, other.ID, service.AddSourceRequest{Path: folder(200, "harbour")})
	if err != nil {
		t.Fatal(err)
	}
	op := r.wait(t, src.OperationID)
	took := time.Since(t0)
	if op.Status != "completed" || op.Progress["files_done"].(float64) != 200 {
		t.Fatalf("index beside a stalled download: %s %s %v", op.Status, op.Error, op.Progress)
	}
	if waiting.Load() == 0 || r.emb.State("bge-small-en-v1.5").State != modelpool.Downloading {
		t.Fatalf("the download is no longer stalled (%d waiting, %+v): the test proves nothing", waiting.Load(), r.emb.State("bge-small-en-v1.5"))
	}
	t.Logf("200 files indexed in %v beside a stalled download", took.Round(time.Millisecond))

	for _, mode := range []search.Mode{search.Keyword, search.Semantic, search.Hybrid} {
		resp, err := r.svc.Search(ctx, service.SearchRequest{Query: "lantern harbour note", Mode: mode})
		if err != nil {
			t.Fatalf("%s search beside a stalled download: %v", mode, err)
		}
		if len(resp.Results) == 0 {
			t.Errorf("%s search found nothing", mode)
		}
		if mode != search.Keyword && len(resp.Warnings) == 0 {
			t.Errorf("%s search does not say the waiting collection was searched by keyword only", mode)
		}
	}
}
