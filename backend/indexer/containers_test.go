package indexer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// TestArchiveMembersAreDocuments indexes the files inside a zip (one of
// them a zip itself), an e-mail's attachment and a member that expands
// like a decompression bomb: each member is a document of its own, found
// by search, handed out by download; unchanged archives are not unpacked
// again, and members leave with their archive.
func TestArchiveMembersAreDocuments(t *testing.T) {
	unpackDir := filepath.Join(t.TempDir(), "unpack")
	r := newRigModels(t, testenv.ModelsDir(t), func(c *indexer.Config) {
		c.UnpackDir = unpackDir
		c.ScanOptions.Exclude = []string{"**/*.log"}
	})
	r.start()
	ctx := t.Context()
	dir := t.TempDir()
	inner := fixtures.Zip(t, "deep.txt", "the okapi sleeps in the deepest archive")
	bomb := strings.Repeat("\x00", 3<<20)
	archive := filepath.Join(dir, "old", "projects.zip")
	write(t, archive, string(fixtures.Zip(t,
		"reports/zebra.txt", "quarterly figures about the zebra crossing",
		"notes.md", "# Notes\n\nthe pangolin meeting moved to Tuesday",
		"inner.zip", string(inner),
		"zeros.bin", bomb,
		"__MACOSX/._zebra.txt", "resource fork",
		// The folder's rules hold inside archives: hidden and excluded
		// files are left out.
		".git/config", "hidden", "logs/app.log", "excluded")))
	write(t, filepath.Join(dir, "mail.eml"), "From: ann@example.com\r\nTo: bob@example.com\r\nSubject: Minutes\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nMinutes attached.\r\n"+
		"--XX\r\nContent-Type: text/plain; name=\"minutes.txt\"\r\nContent-Disposition: attachment; filename=\"minutes.txt\"\r\n\r\n"+
		"the aardvark budget was approved\r\n--XX--\r\n")

	c, err := r.svc.CreateCollection(ctx, service.CreateCollectionRequest{Name: "Archive", Model: "all-MiniLM-L6-v2"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.svc.AddSource(ctx, c.ID, service.AddSourceRequest{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if op := r.wait(t, src.OperationID); op.Status != "completed" {
		t.Fatalf("index = %s: %s", op.Status, op.Error)
	}
	byPath := func() map[string]service.Document {
		out := map[string]service.Document{}
		for _, ds := range docsByStatus(t, r.svc, c.ID) {
			for _, d := range ds {
				out[d.Path] = d
			}
		}
		return out
	}
	docs := byPath()
	member := func(names ...string) string {
		return strings.Join(append([]string{archive}, names...), extract.MemberSep)
	}
	want := map[string]string{
		archive:                         "completed",
		member("reports/zebra.txt"):     "completed",
		member("notes.md"):              "completed",
		member("inner.zip"):             "completed",
		member("inner.zip", "deep.txt"): "completed",
		member("zeros.bin"):             "failed",
		filepath.Join(dir, "mail.eml"):  "completed",
		filepath.Join(dir, "mail.eml") + extract.MemberSep + "minutes.txt": "completed",
	}
	for p, status := range want {
		if d, ok := docs[p]; !ok || d.Status != status {
			t.Errorf("%s: %+v, want %s", p, d, status)
		}
	}
	if len(docs) != len(want) {
		t.Errorf("%d documents, want %d: %v", len(docs), len(want), docs)
	}
	if why := docs[member("zeros.bin")].Error; !strings.Contains(why, "decompression bomb") {
		t.Errorf("bomb member's reason = %q", why)
	}
	for q, p := range map[string]string{"zebra crossing": member("reports/zebra.txt"), "okapi": member("inner.zip", "deep.txt"), "aardvark budget": filepath.Join(dir, "mail.eml") + extract.MemberSep + "minutes.txt"} {
		resp, err := r.svc.Search(ctx, service.SearchRequest{Query: q, Mode: search.Keyword, CollectionIDs: []string{c.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Results) == 0 || resp.Results[0].Path != p {
			t.Errorf("search %q: %+v, want %s first", q, resp.Results, p)
		} else if name := resp.Results[0].FileName; name != extract.MemberBase(p) || extract.IsMember(name) {
			t.Errorf("search %q: the result is named %q, want the member's own name", q, name)
		}
	}
	if left, _ := os.ReadDir(unpackDir); len(left) != 0 {
		t.Errorf("unpacked files left behind: %v", left)
	}

	// A member downloads as its own bytes, under its own name.
	f, err := r.svc.DocumentFile(ctx, docs[member("inner.zip", "deep.txt")].ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Path)
	f.Close()
	if err != nil || string(got) != "the okapi sleeps in the deepest archive" || f.Name != "deep.txt" {
		t.Errorf("download = %q (%s), %v", got, f.Name, err)
	}
	if _, err := os.Stat(f.Path); !os.IsNotExist(err) {
		t.Errorf("the download's temporary copy stays: %v", err)
	}

	// Unchanged: nothing is unpacked or read again.
	rescan, err := r.svc.RescanCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	op := r.wait(t, rescan.ID)
	if skipped := op.Progress["files_skipped"].(float64); int(skipped) != len(want) {
		t.Errorf("unchanged rescan skipped %v files, want %d (%v)", skipped, len(want), op.Progress)
	}
	if n := len(byPath()); n != len(want) {
		t.Errorf("unchanged rescan left %d documents, want %d", n, len(want))
	}

	// A member taken out of the archive leaves; the archive's removal
	// takes the rest.
	write(t, archive, string(fixtures.Zip(t, "reports/zebra.txt", "quarterly figures about the zebra crossing", "inner.zip", string(inner))))
	rescan, err = r.svc.RescanCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.wait(t, rescan.ID)
	docs = byPath()
	if _, ok := docs[member("notes.md")]; ok {
		t.Error("a member taken out of its archive is still listed")
	}
	if d := docs[member("inner.zip", "deep.txt")]; d.Status != "completed" {
		t.Errorf("a nested member of the rewritten archive: %+v", d)
	}
	if err := os.Remove(archive); err != nil {
		t.Fatal(err)
	}
	rescan, err = r.svc.RescanCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.wait(t, rescan.ID)
	for p := range byPath() {
		if strings.HasPrefix(p, archive) {
			t.Errorf("%s outlived its archive", p)
		}
	}
}
