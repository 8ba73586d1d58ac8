package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/quarry-search/quarry/backend/httpapi"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	svc, err := service.New(t.Context(), service.Info{Version: "test", Database: "embedded PostgreSQL"}, service.Deps{Store: testenv.Store(t), Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ui := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>Quarry</title>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	srv := httptest.NewServer(httpapi.New(svc, ui, testenv.Logger(t)))
	t.Cleanup(srv.Close)
	return srv
}

type result struct {
	status int
	body   map[string]any
	list   []any
	raw    string
}

func do(t *testing.T, srv *httptest.Server, method, path, body string, mutate ...func(*http.Request)) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, m := range mutate {
		m(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	_ = json.Unmarshal(raw, &r.list)
	return r
}

func errCode(r result) string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestCollectionsOverHTTP(t *testing.T) {
	srv := newServer(t)
	created := do(t, srv, "POST", "/api/v1/collections", `{"name":"Papers","model":"all-MiniLM-L6-v2"}`)
	if created.status != http.StatusCreated || created.body["chunk_size"] != float64(200) {
		t.Fatalf("create = %d %s", created.status, created.raw)
	}
	id := created.body["id"].(string)

	tests := []struct {
		name, method, path, body string
		mutate                   func(*http.Request)
		status                   int
		code                     string
	}{
		{"duplicate", "POST", "/api/v1/collections", `{"name":"papers"}`, nil, 409, "name_taken"},
		{"unknown field", "POST", "/api/v1/collections", `{"nam":"x"}`, nil, 400, "invalid_argument"},
		{"not json", "POST", "/api/v1/collections", `name=x`, nil, 400, "invalid_argument"},
		{"trailing data", "POST", "/api/v1/collections", `{"name":"x"} {"name":"y"}`, nil, 400, "invalid_argument"},
		{"wrong content type", "POST", "/api/v1/collections", `{"name":"x"}`, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 400, "invalid_argument"},
		{"huge body", "POST", "/api/v1/collections", `{"name":"` + strings.Repeat("x", 2<<20) + `"}`, nil, 413, "too_large"},
		{"10 KB name", "POST", "/api/v1/collections", `{"name":"` + strings.Repeat("x", 10<<10) + `"}`, nil, 400, "invalid_argument"},
		{"unknown model", "POST", "/api/v1/collections", `{"name":"m","model":"nope"}`, nil, 400, "model_unknown"},
		{"missing collection", "GET", "/api/v1/collections/6d2b8f0e-0000-4000-8000-000000000000", "", nil, 404, "not_found"},
		{"malformed id", "GET", "/api/v1/collections/%27%3B%20drop", "", nil, 404, "not_found"},
		{"file as source", "POST", "/api/v1/collections/" + id + "/sources", `{"path":"/etc/hostname"}`, nil, 400, "not_a_directory"},
		{"missing source path", "POST", "/api/v1/collections/" + id + "/sources", `{"path":"/definitely/not/here"}`, nil, 400, "path_not_found"},
		{"bad source id", "DELETE", "/api/v1/collections/" + id + "/sources/abc", "", nil, 404, "not_found"},
		{"unknown endpoint", "GET", "/api/v1/nope", "", nil, 404, "not_found"},
		{"foreign host", "GET", "/api/v1/collections", "", func(r *http.Request) { r.Host = "attacker.example:80" }, 400, "invalid_argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mut []func(*http.Request)
			if tt.mutate != nil {
				mut = append(mut, tt.mutate)
			}
			r := do(t, srv, tt.method, tt.path, tt.body, mut...)
			if r.status != tt.status || errCode(r) != tt.code {
				t.Errorf("got %d %s, want %d %s", r.status, r.raw, tt.status, tt.code)
			}
		})
	}

	dir := t.TempDir()
	src := do(t, srv, "POST", "/api/v1/collections/"+id+"/sources", `{"path":`+quote(dir)+`}`)
	if src.status != http.StatusCreated {
		t.Fatalf("add source = %d %s", src.status, src.raw)
	}
	if r := do(t, srv, "GET", "/api/v1/collections/"+id+"/sources", ""); r.status != 200 || len(r.list) != 1 {
		t.Errorf("sources = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "PATCH", "/api/v1/collections/"+id, `{"name":"Papers 2"}`); r.status != 200 || r.body["name"] != "Papers 2" || r.body["source_count"] != float64(1) {
		t.Errorf("rename = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "GET", "/api/v1/collections", ""); r.status != 200 || len(r.list) != 1 {
		t.Errorf("list = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "DELETE", "/api/v1/collections/"+id, ""); r.status != http.StatusAccepted || r.body["type"] != "delete" {
		t.Errorf("delete = %d %s", r.status, r.raw)
	}
	// The collection leaves lists and lookups at once; the operation purges it.
	if r := do(t, srv, "GET", "/api/v1/collections", ""); r.status != 200 || len(r.list) != 0 {
		t.Errorf("list after delete = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "GET", "/api/v1/collections/"+id, ""); r.status != http.StatusNotFound {
		t.Errorf("get after delete = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "DELETE", "/api/v1/collections/"+id, ""); r.status != http.StatusNotFound {
		t.Errorf("second delete = %d %s", r.status, r.raw)
	}
}

func TestStatusModelsAndUI(t *testing.T) {
	srv := newServer(t)
	if r := do(t, srv, "GET", "/api/v1/status", ""); r.status != 200 || r.body["database"] != "embedded PostgreSQL" {
		t.Errorf("status = %d %s", r.status, r.raw)
	}
	r := do(t, srv, "GET", "/api/v1/models", "")
	if r.status != 200 || len(r.list) < 5 {
		t.Errorf("models = %d %s", r.status, r.raw)
	}
	// This server has no model folder: nothing can be installed, and a
	// search that asks for reranking says what is missing.
	if r := do(t, srv, "POST", "/api/v1/models/install", `{"model":"ms-marco-MiniLM-L-6-v2"}`); r.status != http.StatusServiceUnavailable || errCode(r) != "unavailable" {
		t.Errorf("install = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "POST", "/api/v1/search", `{"query":"tides","rerank":true}`); r.status != 400 || errCode(r) != "model_unavailable" || !strings.Contains(r.raw, `"field":"rerank"`) {
		t.Errorf("reranked search without a reranker = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "POST", "/api/v1/search", `{"query":"tides","rerank":true,"rerank_depth":1000}`); r.status != 400 || errCode(r) != "invalid_argument" {
		t.Errorf("rerank depth 1000 = %d %s", r.status, r.raw)
	}
	for _, p := range []string{"/", "/collections/abc", "/assets/app.js"} {
		r := do(t, srv, "GET", p, "")
		if r.status != 200 || r.raw == "" {
			t.Errorf("GET %s = %d", p, r.status)
		}
	}
	if r := do(t, srv, "GET", "/collections/abc", ""); !strings.Contains(r.raw, "<title>Quarry") {
		t.Errorf("deep link does not fall back to index.html: %q", r.raw)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestSettings(t *testing.T) {
	srv := newServer(t)
	if r := do(t, srv, "GET", "/api/v1/settings", ""); r.status != 200 || r.body["embed_concurrency"] != float64(1) {
		t.Errorf("defaults = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "PUT", "/api/v1/settings", `{"embed_threads":1,"embed_concurrency":2}`); r.status != 200 || r.body["embed_threads"] != float64(1) {
		t.Errorf("update = %d %s", r.status, r.raw)
	}
	for _, body := range []string{`{"embed_threads":-1,"embed_concurrency":1}`, `{"embed_threads":0,"embed_concurrency":0}`, `{"embed_threads":"x"}`} {
		if r := do(t, srv, "PUT", "/api/v1/settings", body); r.status != 400 || errCode(r) != "invalid_argument" {
			t.Errorf("PUT %s = %d %s", body, r.status, r.raw)
		}
	}
	if r := do(t, srv, "GET", "/api/v1/settings", ""); r.body["embed_concurrency"] != float64(2) {
		t.Errorf("after a rejected update = %s", r.raw)
	}
}

func TestSearchEndpoint(t *testing.T) {
	srv := newServer(t)
	if r := do(t, srv, "POST", "/api/v1/search", `{"query":"anything"}`); r.status != 200 || r.body["results"] == nil {
		t.Errorf("search over nothing = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "POST", "/api/v1/search", `{"query":"x","mode":"psychic"}`); r.status != 400 || errCode(r) != "invalid_argument" {
		t.Errorf("bad mode = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "POST", "/api/v1/search", `{"query":"x","collection_ids":["`+"6d2b8f0e-0000-4000-8000-000000000000"+`"]}`); r.status != 404 {
		t.Errorf("unknown collection = %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "POST", "/api/v1/documents/open", `{"document_id":"x"}`); r.status != 503 {
		t.Errorf("open outside the desktop = %d %s", r.status, r.raw)
	}
}

// TestOversizedBody: a body over the limit is a 413 that changes nothing.
func TestOversizedBody(t *testing.T) {
	srv := newServer(t)
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `","model":"bge-small-en-v1.5"}`
	if r := do(t, srv, "POST", "/api/v1/collections", big); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %s", r.status, r.raw)
	}
	if r := do(t, srv, "GET", "/api/v1/collections", ""); r.status != http.StatusOK || len(r.list) != 0 {
		t.Fatalf("after a refused body: %d %s", r.status, r.raw)
	}
}
