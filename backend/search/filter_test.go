package search

import (
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/store"
)

func TestFilters(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	doc := &kdoc{meta: store.SearchDoc{
		ID: "x", Status: "completed", MimeType: "application/pdf", Path: "/home/a/docs/report.pdf",
		Paths: []string{"/home/a/docs/report.pdf", "/mnt/b/Copy.PDF"}, SourceIDs: []int64{3, 7}, Modified: day(10),
	}}
	tests := []struct {
		name string
		f    Filters
		want bool
	}{
		{"none", Filters{}, true},
		{"source", Filters{SourceIDs: []int64{7}}, true},
		{"other source", Filters{SourceIDs: []int64{4}}, false},
		{"folder", Filters{Folders: []string{"/home/a/docs"}}, true},
		{"folder of second path", Filters{Folders: []string{"/mnt/b/"}}, true},
		{"folder prefix is not a folder", Filters{Folders: []string{"/home/a/do"}}, false},
		{"extension", Filters{FileTypes: []string{"PDF"}}, true},
		{"mime", Filters{FileTypes: []string{"application/pdf"}}, true},
		{"mime prefix", Filters{FileTypes: []string{"text/"}}, false},
		{"other type", Filters{FileTypes: []string{".docx"}}, false},
		{"modified in range", Filters{ModifiedFrom: ptr(day(10)), ModifiedBefore: ptr(day(11))}, true},
		{"modified before bound is exclusive", Filters{ModifiedBefore: ptr(day(10))}, false},
		{"status", Filters{Statuses: []string{"failed"}}, false},
		{"all together", Filters{SourceIDs: []int64{3}, Folders: []string{"/home"}, FileTypes: []string{"pdf"}, Statuses: []string{"completed"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.compile().keep(doc); got != tt.want {
				t.Errorf("keep = %v, want %v", got, tt.want)
			}
		})
	}
	if (Filters{}).compile() != nil {
		t.Error("empty filters should compile to nil")
	}
}

func ptr[T any](v T) *T { return &v }
