package qdrant

import (
	"time"

	pb "github.com/qdrant/go-client/qdrant"
)

// Filter restricts a search, count, scroll or delete. Fields combine with
// AND; the values inside one field combine with OR. The zero Filter matches
// everything.
type Filter struct {
	DocumentIDs        []string
	ExcludeDocumentIDs []string
	SourceIDs          []string
	Paths              []string
	MimeTypes          []string
	// ModifiedFrom (inclusive) and ModifiedBefore (exclusive) bound the
	// document's modification time; zero means unbounded.
	ModifiedFrom   time.Time
	ModifiedBefore time.Time
}

func keywords(field string, values []string) *pb.Condition {
	if len(values) == 1 {
		return pb.NewMatchKeyword(field, values[0])
	}
	return pb.NewMatchKeywords(field, values...)
}

// proto builds the Qdrant filter, or nil for the zero Filter.
func (f Filter) proto() *pb.Filter {
	var out pb.Filter
	for _, kw := range []struct {
		field  string
		values []string
	}{
		{FieldDocumentID, f.DocumentIDs},
		{FieldSourceID, f.SourceIDs},
		{FieldPath, f.Paths},
		{FieldMimeType, f.MimeTypes},
	} {
		if len(kw.values) > 0 {
			out.Must = append(out.Must, keywords(kw.field, kw.values))
		}
	}
	if !f.ModifiedFrom.IsZero() || !f.ModifiedBefore.IsZero() {
		r := &pb.Range{}
		if !f.ModifiedFrom.IsZero() {
			r.Gte = pb.PtrOf(float64(f.ModifiedFrom.Unix()))
		}
		if !f.ModifiedBefore.IsZero() {
			r.Lt = pb.PtrOf(float64(f.ModifiedBefore.Unix()))
		}
		out.Must = append(out.Must, pb.NewRange(FieldModified, r))
	}
	if len(f.ExcludeDocumentIDs) > 0 {
		out.MustNot = append(out.MustNot, keywords(FieldDocumentID, f.ExcludeDocumentIDs))
	}
	if len(out.Must) == 0 && len(out.MustNot) == 0 {
		return nil
	}
	return &out
}
