package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

func newService(t *testing.T) *service.Service {
	t.Helper()
	svc, err := service.New(t.Context(), service.Info{Version: "test"}, service.Deps{Store: testenv.Store(t), Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func wantCode(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	e := apperr.From(err)
	if e == nil {
		t.Fatalf("err = nil, want %s", code)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("err = %s (field %q): %s; want %s (field %q)", e.Code, e.Field, e.Message, code, field)
	}
	if e.Message == "" || strings.Contains(e.Message, "pgx") || strings.Contains(e.Message, "SQLSTATE") {
		t.Errorf("message %q is not for people", e.Message)
	}
}

func TestCreateCollectionDefaults(t *testing.T) {
	svc := newService(t)
	c, err := svc.CreateCollection(t.Context(), service.CreateCollectionRequest{Name: "  Papers  "})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Papers" || c.Model != "bge-small-en-v1.5" || c.Quantization != "float32" || c.ChunkSize != 256 || c.ChunkOverlap != 32 {
		t.Errorf("defaults = %+v", c)
	}
	m, err := svc.CreateCollection(t.Context(), service.CreateCollectionRequest{Name: "Mini", Model: "all-MiniLM-L6-v2", Quantization: "int8"})
	if err != nil {
		t.Fatal(err)
	}
	if m.ChunkSize != 200 || m.ChunkOverlap != 24 || m.Quantization != "int8" {
		t.Errorf("model-aware defaults = %+v", m)
	}
}

func TestCreateCollectionBadInput(t *testing.T) {
	svc := newService(t)
	if _, err := svc.CreateCollection(t.Context(), service.CreateCollectionRequest{Name: "Taken"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		req   service.CreateCollectionRequest
		code  apperr.Code
		field string
	}{
		{"empty name", service.CreateCollectionRequest{Name: ""}, apperr.InvalidArgument, "name"},
		{"blank name", service.CreateCollectionRequest{Name: " \t "}, apperr.InvalidArgument, "name"},
		{"10 KB name", service.CreateCollectionRequest{Name: strings.Repeat("x", 10<<10)}, apperr.InvalidArgument, "name"},
		{"129 runes", service.CreateCollectionRequest{Name: strings.Repeat("é", 129)}, apperr.InvalidArgument, "name"},
		{"control characters", service.CreateCollectionRequest{Name: "a\nb"}, apperr.InvalidArgument, "name"},
		{"invalid utf-8", service.CreateCollectionRequest{Name: "a\xffb"}, apperr.InvalidArgument, "name"},
		{"duplicate", service.CreateCollectionRequest{Name: "Taken"}, apperr.NameTaken, "name"},
		{"duplicate other case", service.CreateCollectionRequest{Name: "tAKEN"}, apperr.NameTaken, "name"},
		{"unknown model", service.CreateCollectionRequest{Name: "m", Model: "gpt-17"}, apperr.ModelUnknown, "model"},
		{"bad quantization", service.CreateCollectionRequest{Name: "q", Quantization: "int4"}, apperr.InvalidArgument, "quantization"},
		{"chunk too small", service.CreateCollectionRequest{Name: "c", ChunkSize: 8}, apperr.InvalidArgument, "chunk_size"},
		{"chunk above model max", service.CreateCollectionRequest{Name: "c", Model: "all-MiniLM-L6-v2", ChunkSize: 300}, apperr.InvalidArgument, "chunk_size"},
		{"negative chunk", service.CreateCollectionRequest{Name: "c", ChunkSize: -5}, apperr.InvalidArgument, "chunk_size"},
		{"overlap over half", service.CreateCollectionRequest{Name: "c", ChunkSize: 100, ChunkOverlap: 51}, apperr.InvalidArgument, "chunk_overlap"},
		{"negative overlap", service.CreateCollectionRequest{Name: "c", ChunkSize: 100, ChunkOverlap: -1}, apperr.InvalidArgument, "chunk_overlap"},
		{"long description", service.CreateCollectionRequest{Name: "d", Description: strings.Repeat("d", 2001)}, apperr.InvalidArgument, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.CreateCollection(t.Context(), tt.req)
			wantCode(t, err, tt.code, tt.field)
		})
	}
	// Nothing half-written: only the first collection exists.
	list, err := svc.ListCollections(t.Context())
	if err != nil || len(list) != 1 {
		t.Errorf("collections after bad input = %d (%v), want 1", len(list), err)
	}
}

func TestSQLMetacharactersRoundTrip(t *testing.T) {
	svc := newService(t)
	for _, name := range []string{`Robert'); DROP TABLE collections;--`, `100% "real" \ data`, `日本語のメモ`, `a_b%c`} {
		c, err := svc.CreateCollection(t.Context(), service.CreateCollectionRequest{Name: name, Description: name})
		if err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		got, err := svc.GetCollection(t.Context(), c.ID)
		if err != nil || got.Name != name || got.Description != name {
			t.Errorf("round trip %q = %q, %v", name, got.Name, err)
		}
	}
}

func TestRenameAndDelete(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	a, _ := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "A"})
	if _, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "B"}); err != nil {
		t.Fatal(err)
	}
	name := "A renamed"
	got, err := svc.UpdateCollection(ctx, a.ID, service.UpdateCollectionRequest{Name: &name})
	if err != nil || got.Name != name {
		t.Fatalf("rename = %+v, %v", got, err)
	}
	b := "b"
	_, err = svc.UpdateCollection(ctx, a.ID, service.UpdateCollectionRequest{Name: &b})
	wantCode(t, err, apperr.NameTaken, "name")
	empty := ""
	_, err = svc.UpdateCollection(ctx, a.ID, service.UpdateCollectionRequest{Name: &empty})
	wantCode(t, err, apperr.InvalidArgument, "name")
	_, err = svc.UpdateCollection(ctx, "3f1c1ad4-0000-4000-8000-000000000000", service.UpdateCollectionRequest{Name: &name})
	wantCode(t, err, apperr.NotFound, "")
	if _, err := svc.DeleteCollection(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.DeleteCollection(ctx, a.ID)
	wantCode(t, err, apperr.NotFound, "")
	_, err = svc.GetCollection(ctx, "'; DROP TABLE users; --")
	wantCode(t, err, apperr.NotFound, "")
}

func TestAddSourceBadInput(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	c, err := svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Sources"})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	docs := filepath.Join(root, "docs")
	if err := os.MkdirAll(filepath.Join(docs, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "note.txt")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link-to-docs")
	if err := os.Symlink(docs, link); err != nil {
		t.Fatal(err)
	}
	src, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: docs + "/"})
	if err != nil {
		t.Fatalf("add: %v", err)
	}
	if src.Path != docs || src.Type != "directory" {
		t.Errorf("source = %+v", src)
	}

	tests := []struct {
		name, path string
		code       apperr.Code
	}{
		{"empty", "", apperr.InvalidArgument},
		{"relative", "docs", apperr.InvalidArgument},
		{"missing", filepath.Join(root, "nope"), apperr.PathNotFound},
		{"a file", file, apperr.NotADirectory},
		{"same again", docs, apperr.SourceExists},
		{"same through a symlink", link, apperr.SourceExists},
		{"inside", filepath.Join(docs, "inner"), apperr.SourceOverlap},
		{"containing", root, apperr.SourceOverlap},
		{"nul byte", "/tmp/a\x00b", apperr.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: tt.path})
			wantCode(t, err, tt.code, "path")
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		locked := filepath.Join(root, "locked")
		if err := os.Mkdir(locked, 0o000); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
		var err error
		if !testenv.Unprivileged(t, root, func() {
			_, err = svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: locked})
		}) {
			t.Fatal("cannot drop privileges to produce a permission error")
		}
		wantCode(t, err, apperr.PathUnreadable, "path")
	})
	t.Run("unknown collection", func(t *testing.T) {
		_, err := svc.AddSource(ctx, "8b6f1f8e-1111-4111-8111-111111111111", service.AddSourceRequest{Path: filepath.Join(root)})
		wantCode(t, err, apperr.NotFound, "")
	})
	list, err := svc.ListSources(ctx, c.ID)
	if err != nil || len(list) != 1 {
		t.Errorf("sources after bad input = %v, %v; want just the first", list, err)
	}
	if err := svc.RemoveSource(ctx, c.ID, src.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.RemoveSource(ctx, c.ID, src.ID), apperr.NotFound, "")
}
