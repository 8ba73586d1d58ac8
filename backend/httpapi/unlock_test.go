package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// lockedPDF is a sample PDF that needs a user password, and the password.
const (
	lockedPDF      = "pypdf__r2-user-password.pdf"
	lockedPassword = "asdfzxcv"
	wrongPassword  = "not-the-password-31337"
)

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLANUnlockDocument: a password-protected PDF fails to index with a
// reason; a writer unlocks it with its password (a wrong one changes
// nothing), keyword search finds its text at once, its vectors follow,
// a rescan leaves it alone, and the password is nowhere to be read.
func TestLANUnlockDocument(t *testing.T) {
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newLANRig(t, logger, nil)
	ctx := context.Background()

	sample := filepath.Join(testenv.SharedDir(t), "datasets", "mixed", "pdf", lockedPDF)
	data, err := os.ReadFile(sample)
	if err != nil {
		testenv.Missing(t, "the encrypted sample PDF: %v", err)
		return
	}
	c, _ := r.collection(t, "Locked", map[string]string{lockedPDF: string(data), "plain.txt": "An ordinary note about the harbour."})
	find := func(name string) service.Document {
		t.Helper()
		for _, d := range r.documents(t, c.ID) {
			if filepath.Base(d.Path) == name {
				return d
			}
		}
		t.Fatalf("no document %s", name)
		return service.Document{}
	}
	locked := find(lockedPDF)
	if locked.Status != "failed" || !strings.Contains(locked.Error, "password") {
		t.Fatalf("the locked PDF after indexing: %s %q, want failed for want of a password", locked.Status, locked.Error)
	}
	reason := locked.Error
	plain := find("plain.txt")

	_, writer := r.user(t, "writer", false)
	_, reader := r.user(t, "reader", false)
	r.grant(t, c.ID, "writer", service.LevelWrite)
	r.grant(t, c.ID, "reader", service.LevelRead)
	unlock := "/api/v1/collections/" + c.ID + "/documents/" + locked.ID + "/unlock"
	body := func(pw string) string { return `{"password":` + jsonString(pw) + `}` }

	stillFailed := func(when string) {
		t.Helper()
		d := find(lockedPDF)
		if d.Status != "failed" || d.Error != reason || d.ChunkCount != 0 {
			t.Errorf("%s: %s %q with %d chunks, want failed %q", when, d.Status, d.Error, d.ChunkCount, reason)
		}
	}

	refused := []struct {
		name, path, body, tok string
		status                int
		code, field           string
	}{
		{"a reader", unlock, body(lockedPassword), reader, 403, "forbidden", ""},
		{"a stranger", unlock, body(lockedPassword), "", 401, "unauthenticated", ""},
		{"wrong password", unlock, body(wrongPassword), writer, 400, "invalid_argument", "password"},
		{"empty password", unlock, body(""), writer, 400, "invalid_argument", "password"},
		{"no password", unlock, `{}`, writer, 400, "invalid_argument", "password"},
		{"a document that is not locked", "/api/v1/collections/" + c.ID + "/documents/" + plain.ID + "/unlock", body(lockedPassword), writer, 409, "conflict", ""},
		{"an unknown document", "/api/v1/collections/" + c.ID + "/documents/" + missingID + "/unlock", body(lockedPassword), writer, 404, "not_found", ""},
		{"a malformed document id", "/api/v1/collections/" + c.ID + "/documents/x%27y/unlock", body(lockedPassword), writer, 404, "not_found", ""},
		{"another collection's document", "/api/v1/collections/" + missingID + "/documents/" + locked.ID + "/unlock", body(lockedPassword), writer, 404, "not_found", ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			got := r.do(t, "POST", tt.path, tt.body, withBearer(tt.tok))
			e, _ := got.body["error"].(map[string]any)
			field, _ := e["field"].(string)
			if got.status != tt.status || got.code() != tt.code || field != tt.field {
				t.Errorf("got %s, want %d %s (field %q)", got, tt.status, tt.code, tt.field)
			}
			if strings.Contains(got.raw, lockedPassword) || strings.Contains(got.raw, wrongPassword) {
				t.Errorf("the answer repeats the password: %s", got)
			}
			stillFailed("after " + tt.name)
		})
	}
	if got := r.do(t, "POST", unlock, body(wrongPassword), withBearer(writer)); !strings.Contains(got.raw, "That password does not open "+lockedPDF+". Check it and try again.") {
		t.Errorf("a wrong password reads %s", got)
	}

	got := r.do(t, "POST", unlock, body(lockedPassword), withBearer(writer))
	if got.status != http.StatusOK {
		t.Fatalf("unlock with the right password: %s", got)
	}
	doc, _ := got.body["document"].(map[string]any)
	opID, _ := got.body["operation_id"].(string)
	if doc["status"] != "completed" || doc["chunk_count"].(float64) < 1 || doc["error"] != "" || opID == "" {
		t.Fatalf("unlocked: %s, want completed with chunks and an operation", got)
	}

	// Keyword search finds a word of its text at once.
	chunks, err := r.st.DocumentChunks(ctx, locked.ID)
	if err != nil || len(chunks) == 0 {
		t.Fatalf("chunks of the unlocked PDF: %d, %v", len(chunks), err)
	}
	word := longestWord(chunks[0].Text)
	if len(word) < 4 {
		t.Fatalf("no word to search for in %q", chunks[0].Text)
	}
	search := r.do(t, "POST", "/api/v1/search", `{"query":`+jsonString(word)+`,"mode":"keyword","collection_ids":["`+c.ID+`"]}`, withBearer(reader))
	results, _ := search.body["results"].([]any)
	found := false
	for _, x := range results {
		res, _ := x.(map[string]any)
		found = found || res["document_id"] == locked.ID
	}
	if search.status != http.StatusOK || !found {
		t.Errorf("keyword search for %q: %s, want the unlocked PDF", word, search)
	}

	// Its vectors follow.
	if op := r.wait(t, opID); op.Status != "completed" || !op.Config.EmbedOnly {
		t.Errorf("the embedding operation: %s %s (embed only %v)", op.Status, op.Error, op.Config.EmbedOnly)
	}
	if d := find(lockedPDF); d.Status != "completed" || d.Stage != "indexed" {
		t.Errorf("after embedding: %s, stage %s, want completed and indexed", d.Status, d.Stage)
	}
	chunkCount := find(lockedPDF).ChunkCount

	// A rescan leaves it alone while the file does not change.
	rescan := r.do(t, "POST", "/api/v1/collections/"+c.ID+"/rescan", "", withBearer(writer))
	if rescan.status != http.StatusAccepted {
		t.Fatalf("rescan: %s", rescan)
	}
	if op := r.wait(t, rescan.body["id"].(string)); op.Status != "completed" {
		t.Fatalf("rescan: %s %s", op.Status, op.Error)
	} else if skipped, _ := op.Progress["files_skipped"].(float64); skipped < 2 {
		t.Errorf("the rescan skipped %v files, want both", op.Progress["files_skipped"])
	}
	if d := find(lockedPDF); d.Status != "completed" || d.ChunkCount != chunkCount || d.Stage != "indexed" {
		t.Errorf("after a rescan: %s %q, %d chunks (were %d), stage %s", d.Status, d.Error, d.ChunkCount, chunkCount, d.Stage)
	}

	// Unlocked once, it is not locked any more.
	if got := r.do(t, "POST", unlock, body(lockedPassword), withBearer(writer)); got.status != http.StatusConflict {
		t.Errorf("a second unlock: %s, want 409", got)
	}

	// The unlock is audited, without the password; nothing kept it.
	audit, err := r.svc.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range audit {
		audited = audited || e.Action == "document.unlocked" && e.Details["document_id"] == locked.ID
	}
	if !audited {
		t.Error("the audit log lacks the unlock")
	}
	ops, err := r.svc.ListOperations(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	auditJSON, _ := json.Marshal(audit)
	opsJSON, _ := json.Marshal(ops)
	kept := logs.String() + string(auditJSON) + string(opsJSON)
	for _, pw := range []string{lockedPassword, wrongPassword} {
		if strings.Contains(kept, pw) {
			t.Errorf("the password %q is in the logs, the audit log or an operation", pw)
		}
	}
}

// longestWord is the longest run of letters in s.
func longestWord(s string) string {
	best := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

// TestLANUnlockArchiveMember: a password-protected PDF inside a zip
// archive is unlocked from a temporary copy of the member, and a rescan
// of the unchanged archive leaves it unlocked.
func TestLANUnlockArchiveMember(t *testing.T) {
	r := newLANRig(t, nil, nil)
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join(testenv.SharedDir(t), "datasets", "mixed", "pdf", lockedPDF))
	if err != nil {
		testenv.Missing(t, "the encrypted sample PDF: %v", err)
		return
	}
	c, _ := r.collection(t, "Bundled", map[string]string{"bundle.zip": string(fixtures.Zip(t, "papers/"+lockedPDF, string(data)))})
	member := func() service.Document {
		t.Helper()
		for _, d := range r.documents(t, c.ID) {
			if strings.HasSuffix(d.Path, "papers/"+lockedPDF) {
				return d
			}
		}
		t.Fatalf("no document for the PDF inside the archive: %+v", r.documents(t, c.ID))
		return service.Document{}
	}
	d := member()
	if d.Status != "failed" || !strings.Contains(d.Error, "password") {
		t.Fatalf("the locked member after indexing: %s %q", d.Status, d.Error)
	}
	_, writer := r.user(t, "writer", false)
	r.grant(t, c.ID, "writer", service.LevelWrite)
	unlock := "/api/v1/collections/" + c.ID + "/documents/" + d.ID + "/unlock"
	if got := r.do(t, "POST", unlock, `{"password":`+jsonString(wrongPassword)+`}`, withBearer(writer)); got.status != http.StatusBadRequest || got.code() != "invalid_argument" {
		t.Errorf("a wrong password: %s, want 400", got)
	}
	got := r.do(t, "POST", unlock, `{"password":`+jsonString(lockedPassword)+`}`, withBearer(writer))
	if got.status != http.StatusOK {
		t.Fatalf("unlock the member: %s", got)
	}
	if op := r.wait(t, got.body["operation_id"].(string)); op.Status != "completed" {
		t.Errorf("the embedding operation: %s %s", op.Status, op.Error)
	}
	if d := member(); d.Status != "completed" || d.ChunkCount < 1 {
		t.Fatalf("after the unlock: %s %q, %d chunks", d.Status, d.Error, d.ChunkCount)
	}
	rescan, err := r.svc.RescanCollection(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if op := r.wait(t, rescan.ID); op.Status != "completed" {
		t.Fatalf("rescan: %s %s", op.Status, op.Error)
	}
	if d := member(); d.Status != "completed" || d.ChunkCount < 1 {
		t.Errorf("after a rescan of the unchanged archive: %s %q, %d chunks", d.Status, d.Error, d.ChunkCount)
	}
}
