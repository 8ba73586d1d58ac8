package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

// Identical content attached by several workers at once becomes one
// document with every path, never a unique-key failure.
func TestAttachSameContentConcurrently(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, _ := s.LocalUserID(ctx)
	c, err := s.CreateCollection(ctx, newCollection("Same", owner), owner)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.AddSource(ctx, c.ID, "directory", t.TempDir(), owner)
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	var wg sync.WaitGroup
	atts := make([]store.Attachment, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			atts[i], errs[i] = s.AttachFile(ctx, c.ID, store.FileInfo{
				SourceID: src.ID, Path: fmt.Sprintf("/data/empty-%d", i), Modified: time.Now(),
				Hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("attach %d: %v", i, errs[i])
		}
		if atts[i].DocumentID != atts[0].DocumentID {
			t.Errorf("attach %d made document %s, want %s", i, atts[i].DocumentID, atts[0].DocumentID)
		}
	}
	docs, err := s.ListDocuments(ctx, c.ID, "", 10, 0)
	if err != nil || len(docs) != 1 || docs[0].Paths != n {
		t.Fatalf("documents = %+v, %v; want one with %d paths", docs, err, n)
	}
}
