package service_test

import (
	"github.com/quarry-search/quarry/backend/modelpool"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/fixtures/crossencoder"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

const reranker = "ms-marco-MiniLM-L-6-v2"

// TestRerankedSearch installs a reranker from a folder and searches with
// it through the service, as both adapters do.
func TestRerankedSearch(t *testing.T) {
	svc, _, st := modelService(t)
	ctx := t.Context()
	c := notes(t, svc, st, "The tides rise and fall twice a day, pulled by the moon.", "Spring tides are the highest of the month.")

	req := service.SearchRequest{Query: "tides", Mode: "keyword", CollectionIDs: []string{c.ID}, Rerank: true}
	_, err := svc.Search(ctx, req)
	wantCode(t, err, apperr.ModelUnavailable, "rerank")

	for _, tt := range []struct {
		name  string
		req   service.InstallModelRequest
		code  apperr.Code
		field string
	}{
		{"unknown model", service.InstallModelRequest{Model: "nope"}, apperr.ModelUnknown, "model"},
		{"bad variant", service.InstallModelRequest{Model: reranker, Variant: "fp8"}, apperr.InvalidArgument, "variant"},
		{"word vectors are imported, not downloaded", service.InstallModelRequest{Model: "glove-6b-100d"}, apperr.Unavailable, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.InstallModel(ctx, tt.req)
			wantCode(t, err, tt.code, tt.field)
		})
	}

	shared := filepath.Join(testenv.SharedDir(t), "models")
	dir := filepath.Join(t.TempDir(), "cross")
	if err := crossencoder.Build(dir, fixtures.Need(t, filepath.Join(shared, "synthetic-bert-tiny", "model.onnx")),
		fixtures.Need(t, filepath.Join(shared, "all-MiniLM-L6-v2")), 3); err != nil {
		t.Fatal(err)
	}
	// The synthetic weights are not the pinned ones.
	_, err = svc.ImportModel(ctx, service.ImportModelRequest{Model: reranker, Paths: []string{dir}})
	wantCode(t, err, apperr.InvalidArgument, "")
	m, err := svc.ImportModel(ctx, service.ImportModelRequest{Model: reranker, Paths: []string{dir}, AllowUnverified: true})
	if err != nil || !m.Installed || m.Kind != "reranker" {
		t.Fatalf("import = %+v, %v; want an installed reranker", m, err)
	}
	if m, err := svc.InstallModel(ctx, service.InstallModelRequest{Model: reranker}); err != nil || !m.Installed {
		t.Fatalf("install of an installed model = %+v, %v", m, err)
	}

	_, err = svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Wrong", Model: reranker})
	wantCode(t, err, apperr.InvalidArgument, "model")

	resp, err := svc.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Reranker != reranker || resp.Reranked != 1 || len(resp.Results) != 1 {
		t.Fatalf("reranked search: reranker %q, %d reranked, %d results", resp.Reranker, resp.Reranked, len(resp.Results))
	}
	for _, p := range resp.Results[0].Passages {
		if p.RerankScore == nil || p.Score != *p.RerankScore || p.Score <= 0 || p.Score >= 1 {
			t.Errorf("passage %d: score %v, rerank score %v", p.ChunkIndex, p.Score, p.RerankScore)
		}
	}
}

// TestBrokenReranker: an installed reranker that cannot load says so, as
// a 503, and plain search goes on working.
func TestBrokenReranker(t *testing.T) {
	svc, _, st := modelService(t)
	ctx := t.Context()
	c := notes(t, svc, st, "The tides rise and fall twice a day.")
	dir := t.TempDir()
	tok := fixtures.Need(t, filepath.Join(testenv.SharedDir(t), "models", "all-MiniLM-L6-v2"))
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json", "vocab.txt"} {
		b, err := os.ReadFile(filepath.Join(tok, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"id2label":{"0":"LABEL_0"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), []byte("these bytes are not an ONNX model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportModel(ctx, service.ImportModelRequest{Model: reranker, Paths: []string{dir}, AllowUnverified: true}); err != nil {
		t.Fatal(err)
	}
	req := service.SearchRequest{Query: "tides", Mode: "keyword", CollectionIDs: []string{c.ID}, Rerank: true}
	_, err := svc.Search(ctx, req)
	wantCode(t, err, apperr.Unavailable, "")
	if msg := apperr.From(err).Message; !strings.Contains(msg, "could not be loaded") {
		t.Errorf("message %q does not say the reranker could not be loaded", msg)
	}
	req.Rerank = false
	if resp, err := svc.Search(ctx, req); err != nil || len(resp.Results) != 1 {
		t.Fatalf("plain search after a failed rerank = %+v, %v", resp, err)
	}
}

// modelService is a service over a real store and an empty model folder.
func modelService(t *testing.T) (*service.Service, *modelpool.Pool, *store.Store) {
	t.Helper()
	st := testenv.Store(t)
	pool := modelpool.New(t.TempDir(), t.TempDir(), "cpu", testenv.Logger(t))
	t.Cleanup(func() { _ = pool.Close() })
	svc, err := service.New(t.Context(), service.Info{}, service.Deps{Store: st, Models: pool, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return svc, pool, st
}

// notes creates a collection "Notes" holding one document with a chunk
// per text.
func notes(t *testing.T, svc *service.Service, st *store.Store, texts ...string) service.Collection {
	t.Helper()
	c, err := svc.CreateCollection(t.Context(), service.CreateCollectionRequest{Name: "Notes", Model: "all-MiniLM-L6-v2"})
	if err != nil {
		t.Fatal(err)
	}
	addDocument(t, st, c.ID, "/notes/tides.txt", texts...)
	return c
}

// addDocument stores a completed document with one chunk per text, as the
// indexer would (the vectors are not searched here).
func addDocument(t *testing.T, st *store.Store, collectionID, path string, texts ...string) {
	t.Helper()
	ctx := t.Context()
	srcs, err := st.ListSources(ctx, collectionID)
	if err != nil {
		t.Fatal(err)
	}
	var srcID int64
	if len(srcs) > 0 {
		srcID = srcs[0].ID
	} else {
		uid, err := st.LocalUserID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s, err := st.AddSource(ctx, collectionID, "directory", filepath.Dir(path), uid)
		if err != nil {
			t.Fatal(err)
		}
		srcID = s.ID
	}
	a, err := st.AttachFile(ctx, collectionID, store.FileInfo{SourceID: srcID, Path: path, Size: 100,
		Modified: time.Now(), MimeType: "text/plain", Hash: "h-" + path})
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]store.ChunkRow, len(texts))
	for i, text := range texts {
		rows[i] = store.ChunkRow{Index: i, PointID: qdrant.PointID(a.DocumentID, i), Text: text, CharEnd: len(text),
			Embedding: embedder.Float32.Encode(make([]float32, 384)), Format: "float32"}
	}
	if err := st.CompleteDocument(ctx, collectionID, a.DocumentID, store.DocumentResult{MimeType: "text/plain", Chunks: rows}); err != nil {
		t.Fatal(err)
	}
}
