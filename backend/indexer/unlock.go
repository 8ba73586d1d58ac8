package indexer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/scan"
	"github.com/quarry-search/quarry/backend/store"
)

// Why Unlock refuses; test with errors.Is. None of them changes anything.
var (
	// ErrWrongPassword: the password does not open the file.
	ErrWrongPassword = errors.New("the password does not open the file")
	// ErrNotLocked: the document did not fail for want of a password.
	ErrNotLocked = errors.New("the document is not waiting for a password")
	// ErrFileChanged: the file on disk is not the one that was indexed.
	ErrFileChanged = errors.New("the file changed since it was indexed")
	// ErrReindexing: a reindex is building the collection anew.
	ErrReindexing = errors.New("the collection is being reindexed")
)

// UnreadableError is a file whose text could not be read with the
// password; Reason says why, as a failed file's reason does. Locked is
// set when the file stayed locked (a password this reader cannot use for
// it), else the password opened it and the text could not be read.
type UnreadableError struct {
	Reason string
	Locked bool
}

func (e *UnreadableError) Error() string { return e.Reason }

// lockable are the formats that open with a password.
var lockable = []string{".pdf", ".docx", ".xlsx", ".pptx", ".doc", ".xls", ".ppt"}

// Locked reports whether a document failed because it is password
// protected, in a format a password can open.
func Locked(d store.Document) bool {
	if d.Status != "failed" || !slices.Contains(lockable, strings.ToLower(path.Ext(extract.MemberBase(d.Path)))) {
		return false
	}
	reason := strings.ToLower(d.ErrorMessage)
	return strings.Contains(reason, "password") || strings.Contains(reason, "encrypted")
}

// Unlocked is what Unlock did.
type Unlocked struct {
	Document store.Document
	Chunks   int
	// Operation embeds the new chunks; zero when it could not be queued
	// (the next start catches up).
	Operation store.Operation
}

// Unlock reads a password-protected document of a collection with the
// password, once, and commits its text and chunks as indexing does:
// keyword search finds it at once, and an embed-only operation gives it
// vectors. The password is used for this extraction only: it is not
// kept, logged or put in any error. A wrong password changes nothing.
//
// Later scans leave the document alone while its file is unchanged, as
// they do every completed document.
func (m *Manager) Unlock(ctx context.Context, coll store.Collection, docID, password string, actor int64) (Unlocked, error) {
	log := m.log.With("collection", coll.ID, "document", docID)
	doc, err := m.cfg.Store.GetDocument(ctx, coll.ID, docID)
	if err != nil {
		return Unlocked{}, err
	}
	if !Locked(doc) {
		return Unlocked{}, fmt.Errorf("unlock %s: %w", doc.Path, ErrNotLocked)
	}
	if busy, err := m.reindexing(ctx, coll.ID); err != nil {
		return Unlocked{}, err
	} else if busy {
		return Unlocked{}, fmt.Errorf("unlock %s: %w", doc.Path, ErrReindexing)
	}
	// A file inside an archive is read from a copy, removed after.
	dir := m.cfg.UnpackDir
	if dir == "" {
		dir = os.TempDir()
	}
	local, cleanup, err := extract.Materialize(ctx, doc.Path, dir)
	if err != nil {
		var xe *extract.Error
		switch {
		case ctx.Err() != nil:
			return Unlocked{}, ctx.Err()
		case errors.As(err, &xe):
			return Unlocked{}, &UnreadableError{Reason: extract.Reason(err)}
		}
		return Unlocked{}, fmt.Errorf("unlock %s: %w", doc.Path, err)
	}
	defer cleanup()
	// The document's content is known by its hash: text read from other
	// bytes would be filed under the wrong content.
	h, err := scan.Hash(local)
	if err != nil {
		return Unlocked{}, fmt.Errorf("unlock %s: %w", doc.Path, err)
	}
	if h != doc.Hash {
		return Unlocked{}, fmt.Errorf("unlock %s: %w", doc.Path, ErrFileChanged)
	}

	// The file is read before the model is looked at: a wrong password
	// is answered at once, and touches nothing.
	xdoc, err := readWithPassword(ctx, local, password, m.cfg.OCR)
	if err != nil {
		if errors.Is(err, ErrWrongPassword) {
			log.Info("unlock refused: the password does not open the file")
		}
		return Unlocked{}, err
	}
	r, err := m.newRun(ctx, coll, &counters{})
	if err != nil {
		return Unlocked{}, err
	}
	res, err := chunkDocument(ctx, xdoc, r.chunker)
	if errors.Is(err, errNoChunks) {
		return Unlocked{}, &UnreadableError{Reason: err.Error()}
	}
	if err != nil {
		return Unlocked{}, err
	}
	rows := chunkRows(doc.ID, res.Chunks)
	gone, err := m.cfg.Store.CompleteDocuments(ctx, coll.ID, []store.Completion{{DocumentID: doc.ID, Result: store.DocumentResult{
		MimeType: res.MimeType, PageCount: res.Pages, Meta: res.Meta, Chunks: rows,
		Text: res.Text, TextBytes: res.TextBytes, ChunkedWith: r.chunkedWith,
	}}})
	if err != nil {
		return Unlocked{}, err
	}
	if slices.Contains(gone, doc.ID) {
		return Unlocked{}, fmt.Errorf("unlock %s: %w", doc.Path, store.ErrNotFound)
	}
	log.Info("document unlocked", "chunks", len(rows))
	out := Unlocked{Chunks: len(rows)}
	if op, err := m.Enqueue(ctx, coll.ID, OpAppend, store.OpConfig{EmbedOnly: true, Reason: "unlocked"}, actor); err != nil {
		// The text is committed; its vectors follow at the next start.
		log.Warn("queue embedding of an unlocked document", "err", err)
	} else {
		out.Operation = op
	}
	if out.Document, err = m.cfg.Store.GetDocument(ctx, coll.ID, doc.ID); err != nil {
		// Committed all the same: say so as far as is known.
		log.Warn("read an unlocked document back", "err", err)
		doc.Status, doc.ErrorMessage, doc.ChunkCount, doc.Stage = "completed", "", len(rows), store.StageChunked
		out.Document = doc
	}
	m.cfg.Bus.Publish(events.Event{Topic: events.CollectionChanged, Data: coll.ID})
	return out, nil
}

// reindexing reports whether a reindex of the collection is queued or
// running: it builds from the stored text, and a document completed
// meanwhile could miss its new build.
func (m *Manager) reindexing(ctx context.Context, collectionID string) (bool, error) {
	ops, err := m.cfg.Store.ListOperations(ctx, collectionID, 50)
	if err != nil {
		return false, err
	}
	for _, o := range ops {
		if o.Type == OpReindex && (o.Status == store.OpPending || o.Status == store.OpProcessing || o.Status == store.OpPaused) {
			return true, nil
		}
	}
	return false, nil
}

// readWithPassword reads a file that needs a password: one the password
// does not open is ErrWrongPassword, any other failure to read it an
// *UnreadableError.
func readWithPassword(ctx context.Context, path, password string, ocr bool) (doc *extract.Document, err error) {
	// A bug tripped by one odd file must fail that file, not the app.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &UnreadableError{Reason: fmt.Sprintf("internal error while reading this file: %v", r)}
		}
	}()
	doc, err = extract.Extract(ctx, path, extract.Options{OCR: ocr, Password: password})
	switch {
	case err == nil:
		return doc, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, extract.ErrWrongPassword):
		return nil, ErrWrongPassword
	case errors.Is(err, extract.ErrEncrypted):
		return nil, &UnreadableError{Reason: extract.Reason(err), Locked: true}
	}
	return nil, &UnreadableError{Reason: extract.Reason(err)}
}
