package service_test

import (
	"path/filepath"
	"testing"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/fixtures"
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
