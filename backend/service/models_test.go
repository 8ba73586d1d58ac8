package service_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

func TestImportModel(t *testing.T) {
	svc, pool, _ := modelService(t)
	shared := testenv.SharedDir(t)
	tokenizer := fixtures.Need(t, filepath.Join(shared, "models", "all-MiniLM-L6-v2"))
	weights := fixtures.Need(t, filepath.Join(shared, "models", "synthetic-minilm-l6-int8"))
	tests := []struct {
		name  string
		req   service.ImportModelRequest
		code  apperr.Code
		field string
	}{
		{"unknown model", service.ImportModelRequest{Model: "gpt-17", Paths: []string{tokenizer}}, apperr.ModelUnknown, "model"},
		{"no folder", service.ImportModelRequest{Model: "all-MiniLM-L6-v2"}, apperr.InvalidArgument, "paths"},
		{"missing folder", service.ImportModelRequest{Model: "all-MiniLM-L6-v2", Paths: []string{filepath.Join(t.TempDir(), "nope")}}, apperr.PathNotFound, "paths"},
		{"weights missing", service.ImportModelRequest{Model: "all-MiniLM-L6-v2", Variant: "int8", Paths: []string{tokenizer}}, apperr.InvalidArgument, ""},
		// The synthetic weights are not the registry's pinned ones.
		{"digest mismatch", service.ImportModelRequest{Model: "all-MiniLM-L6-v2", Variant: "int8", Paths: []string{tokenizer, weights}}, apperr.InvalidArgument, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.ImportModel(t.Context(), tt.req)
			wantCode(t, err, tt.code, tt.field)
			if pool.Installed("all-MiniLM-L6-v2") {
				t.Fatal("a failed import left the model looking installed")
			}
		})
	}
	m, err := svc.ImportModel(t.Context(), service.ImportModelRequest{
		Model: "all-MiniLM-L6-v2", Variant: "int8", Paths: []string{tokenizer, weights}, AllowUnverified: true,
	})
	if err != nil || !m.Installed || !pool.Installed("all-MiniLM-L6-v2") {
		t.Fatalf("import = %+v, %v; want installed", m, err)
	}
}

// TestModelsPage: each model says which collections use it and where it
// stands; a used model cannot be deleted, an unused one can; a download
// is paused (keeping what it fetched), resumed, and cancelled (removing
// it); a word-vector model is imported, never downloaded.
func TestModelsPage(t *testing.T) {
	svc, pool, _ := modelService(t)
	ctx := t.Context()
	// A model server that sends headers and then a byte now and then.
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.WriteHeader(http.StatusOK)
		for range 1000 {
			if _, err := w.Write([]byte{'x'}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer trickle.Close()
	pool.SetMirror(trickle.URL)

	imp, err := svc.ImportModel(ctx, service.ImportModelRequest{Model: "glove-6b-100d",
		Paths: []string{fixtures.Need(t, filepath.Join(testenv.SharedDir(t), "models", "glove-6b-100d-top100k"))}})
	if err != nil {
		t.Fatal(err)
	}
	if !imp.Installed || imp.SizeBytes == 0 || imp.State != modelpool.Installed {
		t.Errorf("an import answers with the model as the Models page shows it: %+v", imp)
	}
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Uses GloVe", Model: "glove-6b-100d"})
	if err != nil {
		t.Fatal(err)
	}
	find := func(name string) service.ModelInfo {
		t.Helper()
		list, err := svc.ListModels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if m.Name == name {
				return m
			}
		}
		t.Fatalf("no model %s", name)
		return service.ModelInfo{}
	}
	g := find("glove-6b-100d")
	if !g.Installed || g.SizeBytes == 0 || len(g.Collections) != 1 || g.Collections[0].ID != c.ID {
		t.Errorf("GloVe on the models page = %+v", g)
	}
	if _, err := svc.DeleteModel(ctx, "glove-6b-100d"); !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), "Uses GloVe") {
		t.Errorf("delete of a used model: %v", err)
	}
	if _, err := svc.DownloadModel(ctx, "glove-6b-100d"); !apperr.Is(err, apperr.InvalidArgument) {
		t.Errorf("download of a word-vector model: %v", err)
	}

	// Download, pause, resume, cancel.
	const bge = "bge-small-en-v1.5"
	if m, err := svc.DownloadModel(ctx, bge); err != nil || m.State != modelpool.Downloading {
		t.Fatalf("download = %+v, %v", m, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if entries, _ := os.ReadDir(pool.Dir(bge)); len(entries) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the download wrote nothing in 30 s")
		}
	}
	m, err := svc.PauseModelDownload(ctx, bge)
	if err != nil || m.State != modelpool.Paused || m.Installed {
		t.Fatalf("pause = %+v, %v", m, err)
	}
	if entries, _ := os.ReadDir(pool.Dir(bge)); len(entries) == 0 {
		t.Error("a paused download kept nothing")
	}
	pool.Request(bge) // indexing asking for the model does not undo a pause
	if st := pool.State(bge); st.State != modelpool.Paused {
		t.Errorf("after indexing asked for it, the paused download is %s", st.State)
	}
	if m, err := svc.DownloadModel(ctx, bge); err != nil || m.State != modelpool.Downloading {
		t.Fatalf("resume = %+v, %v", m, err)
	}
	if m, err := svc.CancelModelDownload(ctx, bge); err != nil || m.State != modelpool.NotInstalled {
		t.Fatalf("cancel = %+v, %v", m, err)
	}
	if _, err := os.Stat(pool.Dir(bge)); !os.IsNotExist(err) {
		t.Errorf("a cancelled download left its files: %v", err)
	}
	if _, err := svc.PauseModelDownload(ctx, bge); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("pause with nothing downloading: %v", err)
	}

	// Once no collection uses it, the model can go.
	if _, err := svc.DeleteCollection(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if m, err := svc.DeleteModel(ctx, "glove-6b-100d"); err != nil || m.Installed || pool.Installed("glove-6b-100d") {
		t.Errorf("delete of an unused model = %+v, %v", m, err)
	}
}
