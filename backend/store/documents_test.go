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

// The bulk path writes what the one-document path writes: AttachNew
// records a new path in one statement and leaves known content to
// AttachFile; CompleteDocuments stores text, chunks (with and without
// embeddings and pages) and statuses for many documents at once, and
// reports documents deleted meanwhile instead of failing.
func TestBulkAttachAndComplete(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, _ := s.LocalUserID(ctx)
	c, err := s.CreateCollection(ctx, newCollection("Bulk", owner), owner)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.AddSource(ctx, c.ID, "directory", t.TempDir(), owner)
	if err != nil {
		t.Fatal(err)
	}
	file := func(i int, hash string) store.FileInfo {
		return store.FileInfo{SourceID: src.ID, Path: fmt.Sprintf("/data/f%d.txt", i), Size: 10, Modified: time.Now(), MimeType: "text/plain", Hash: hash}
	}
	ids, err := s.AttachNewMany(ctx, c.ID, []store.FileInfo{file(1, "h1"), file(5, "h5"), file(6, "h5")})
	if err != nil || ids[0] == "" || ids[1] == "" || ids[2] != "" {
		t.Fatalf("attach new = %q, %v; want the first two, not the second file with the same content", ids, err)
	}
	a := ids[0]
	ids, err = s.AttachNewMany(ctx, c.ID, []store.FileInfo{file(2, "h1"), file(1, "h9"), file(7, "h7")})
	if err != nil || ids[0] != "" || ids[1] != "" || ids[2] == "" {
		t.Fatalf("attach new with known content, at a known path, and new = %q, %v; want only the last", ids, err)
	}
	b, err := s.AttachFile(ctx, c.ID, file(3, "h3"))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := s.AttachFile(ctx, c.ID, file(4, "h4"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DetachPaths(ctx, c.ID, []string{"/data/f4.txt"}); err != nil {
		t.Fatal(err)
	}
	gotGone, err := s.CompleteDocuments(ctx, c.ID, []store.Completion{
		{DocumentID: a, Result: store.DocumentResult{MimeType: "text/plain", Text: []byte("blocks"), TextBytes: 6, ChunkedWith: "words/8/0",
			Chunks: []store.ChunkRow{
				{Index: 0, PointID: "00000000-0000-0000-0000-000000000001", Text: "first", TokenCount: 1, PageStart: 2, PageEnd: 3, CharEnd: 5, Heading: "H"},
				{Index: 1, PointID: "00000000-0000-0000-0000-000000000002", Text: "second", TokenCount: 1, CharStart: 6, CharEnd: 12},
			}}},
		{DocumentID: b.DocumentID, Result: store.DocumentResult{Chunks: []store.ChunkRow{
			{Index: 0, PointID: "00000000-0000-0000-0000-000000000003", Text: "embedded", Embedding: []byte{1, 2, 3, 4}, Format: "float32"},
		}}},
		{DocumentID: gone.DocumentID, Result: store.DocumentResult{Chunks: []store.ChunkRow{{Index: 0, PointID: "00000000-0000-0000-0000-000000000004", Text: "x"}}}},
	})
	if err != nil || len(gotGone) != 1 || gotGone[0] != gone.DocumentID {
		t.Fatalf("complete = %v, %v; want only %s gone", gotGone, err, gone.DocumentID)
	}
	rows, err := s.DocumentChunks(ctx, a)
	if err != nil || len(rows) != 2 || rows[0].PageStart != 2 || rows[0].PageEnd != 3 || rows[0].Heading != "H" || rows[1].PageStart != 0 || rows[1].Text != "second" {
		t.Fatalf("chunks of the first document = %+v, %v", rows, err)
	}
	if txt, err := s.DocumentText(ctx, a); err != nil || string(txt) != "blocks" {
		t.Errorf("text = %q, %v", txt, err)
	}
	docs, err := s.ListDocuments(ctx, c.ID, "", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string]string{}
	for _, d := range docs {
		stages[d.ID] = d.Status + "/" + d.Stage
	}
	if stages[a] != "completed/chunked" || stages[b.DocumentID] != "completed/indexed" {
		t.Errorf("statuses = %v", stages)
	}
	if cc, _ := s.GetCollection(ctx, c.ID); cc.ChunkCount != 3 || cc.VectorCount != 1 {
		t.Errorf("collection holds %d chunks, %d vectors; want 3, 1", cc.ChunkCount, cc.VectorCount)
	}
}

// A watched deletion hides a document at once; content that comes back
// at another path (a rename) before the purge revives it, showing the new
// path; what nothing brought back is purged.
func TestHidePathsReviveAndPurge(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, _ := s.LocalUserID(ctx)
	c, err := s.CreateCollection(ctx, newCollection("Hidden", owner), owner)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.AddSource(ctx, c.ID, "directory", "/w", owner)
	if err != nil {
		t.Fatal(err)
	}
	attach := func(path, hash string) store.Attachment {
		t.Helper()
		a, err := s.AttachFile(ctx, c.ID, store.FileInfo{SourceID: src.ID, Path: path, Modified: time.Now(), Hash: hash})
		if err != nil {
			t.Fatal(err)
		}
		if a.Process {
			if err := s.CompleteDocument(ctx, c.ID, a.DocumentID, store.DocumentResult{MimeType: "text/plain"}); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	moved := attach("/w/old/a.txt", fmt.Sprintf("%064d", 1))
	gone := attach("/w/old/b.txt", fmt.Sprintf("%064d", 2))
	kept := attach("/w/keep.txt", fmt.Sprintf("%064d", 3))
	if n, err := s.HidePaths(ctx, c.ID, []string{"/w/old"}); err != nil || n != 2 {
		t.Fatalf("hide a folder = %d, %v; want its 2 paths", n, err)
	}
	if docs, _ := s.ListDocuments(ctx, c.ID, "", 10, 0); len(docs) != 1 || docs[0].ID != kept.DocumentID {
		t.Fatalf("after hiding, listed %+v; want only keep.txt", docs)
	}
	back := attach("/w/new/a.txt", fmt.Sprintf("%064d", 1))
	if back.DocumentID != moved.DocumentID || back.Process {
		t.Fatalf("content back at a new path = %+v; want document %s revived, nothing to process", back, moved.DocumentID)
	}
	purged, err := s.PurgeHidden(ctx, c.ID)
	if err != nil || len(purged) != 1 || purged[0] != gone.DocumentID {
		t.Fatalf("purge = %v, %v; want only %s", purged, err, gone.DocumentID)
	}
	docs, _ := s.ListDocuments(ctx, c.ID, "", 10, 0)
	if len(docs) != 2 {
		t.Fatalf("documents after purge: %+v", docs)
	}
	for _, d := range docs {
		if d.ID == moved.DocumentID && d.Path != "/w/new/a.txt" {
			t.Errorf("revived document shows %s, want its new path", d.Path)
		}
	}

	// An archive's members go with it; a file whose name merely starts
	// the same stays.
	attach("/w/box.zip", fmt.Sprintf("%064d", 4))
	attach("/w/box.zip › in/c.txt", fmt.Sprintf("%064d", 5))
	attach("/w/box.zip › in/d.zip › e.txt", fmt.Sprintf("%064d", 6))
	attach("/w/box.zip.txt", fmt.Sprintf("%064d", 7))
	if n, err := s.HidePaths(ctx, c.ID, []string{"/w/box.zip"}); err != nil || n != 3 {
		t.Fatalf("hide an archive = %d, %v; want it and its 2 members", n, err)
	}
	if docs, _ := s.ListDocuments(ctx, c.ID, "", 10, 0); len(docs) != 3 {
		t.Errorf("after hiding the archive: %+v", docs)
	}
}
