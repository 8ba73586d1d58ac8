package service

import (
	"context"
	"errors"
	"io/fs"
	"strings"

	"github.com/google/uuid"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/store"
)

// MaxDocumentPasswordLength bounds a document password, in bytes.
const MaxDocumentPasswordLength = 1024

// UnlockRequest carries the password of a password-protected document.
// It is used once, to read the file, and never kept.
type UnlockRequest struct {
	Password string `json:"password"`
}

// UnlockResult is a document whose text the password opened.
type UnlockResult struct {
	Document Document `json:"document"`
	// OperationID is the operation that embeds its text; "" when none
	// could be queued (the next start does it).
	OperationID string `json:"operation_id,omitempty"`
}

// UnlockDocument reads a failed, password-protected document with the
// password the caller gives: its text is searchable by keyword when this
// returns, and an operation gives it vectors. A wrong password changes
// nothing. Later scans leave the document as it is while its file does
// not change.
func (s *Service) UnlockDocument(ctx context.Context, collectionID, documentID string, req UnlockRequest) (UnlockResult, error) {
	notFound := apperr.New(apperr.NotFound, "That document does not exist.")
	if uuid.Validate(collectionID) != nil {
		return UnlockResult{}, s.storeError("unlock document", store.ErrNotFound, "collection "+collectionID)
	}
	if err := s.need(ctx, collectionID, LevelWrite); err != nil {
		return UnlockResult{}, err
	}
	if uuid.Validate(documentID) != nil {
		return UnlockResult{}, notFound
	}
	coll, err := s.store.GetCollection(ctx, collectionID)
	if err != nil {
		return UnlockResult{}, s.storeError("unlock document", err, "collection "+collectionID)
	}
	doc, err := s.store.GetDocument(ctx, collectionID, documentID)
	if errors.Is(err, store.ErrNotFound) {
		return UnlockResult{}, notFound
	}
	if err != nil {
		return UnlockResult{}, s.internal("unlock document", err)
	}
	name := extract.MemberBase(doc.Path)
	switch {
	case !indexer.Locked(doc):
		return UnlockResult{}, apperr.New(apperr.Conflict, "%s is not waiting for a password.", name)
	case req.Password == "":
		return UnlockResult{}, apperr.Field(apperr.InvalidArgument, "password", "Type the password that opens %s.", name)
	case len(req.Password) > MaxDocumentPasswordLength:
		return UnlockResult{}, apperr.Field(apperr.InvalidArgument, "password", "That password is longer than %d bytes; no file takes one so long.", MaxDocumentPasswordLength)
	}
	if s.queue == nil {
		return UnlockResult{}, apperr.New(apperr.Unavailable, "Indexing is not running in this Quarry.")
	}
	u, err := s.queue.Unlock(ctx, coll, documentID, req.Password, s.actor(ctx))
	if err != nil {
		return UnlockResult{}, s.unlockError(err, name)
	}
	_ = s.store.Audit(ctx, collectionID, s.actor(ctx), "document.unlocked", map[string]any{"document_id": documentID, "path": doc.Path})
	return UnlockResult{Document: documentFromStore(u.Document), OperationID: u.Operation.ID}, nil
}

// unlockError says why a document was not unlocked; nothing it says
// comes from the password.
func (s *Service) unlockError(err error, name string) error {
	var unreadable *indexer.UnreadableError
	switch {
	case errors.Is(err, indexer.ErrWrongPassword):
		return apperr.Field(apperr.InvalidArgument, "password", "That password does not open %s. Check it and try again.", name)
	case errors.As(err, &unreadable) && unreadable.Locked:
		return apperr.Field(apperr.InvalidArgument, "password", "Quarry could not open %s with that password (%s). Check it and try again.", name, strings.TrimSuffix(unreadable.Reason, "."))
	case errors.As(err, &unreadable):
		return apperr.New(apperr.InvalidArgument, "%s could not be read with that password: %s.", name, strings.TrimSuffix(unreadable.Reason, "."))
	case errors.Is(err, indexer.ErrNotLocked):
		return apperr.New(apperr.Conflict, "%s is not waiting for a password.", name)
	case errors.Is(err, indexer.ErrFileChanged):
		return apperr.New(apperr.Conflict, "%s changed since Quarry read it. Rescan the collection, then unlock it if it still needs a password.", name)
	case errors.Is(err, indexer.ErrReindexing):
		return apperr.New(apperr.Conflict, "The collection is being reindexed; unlock %s when that has finished.", name)
	case errors.Is(err, fs.ErrNotExist):
		return apperr.New(apperr.PathNotFound, "%s is no longer there.", name)
	case errors.Is(err, fs.ErrPermission):
		return apperr.New(apperr.PathUnreadable, "%s cannot be read: permission denied.", name)
	case errors.Is(err, store.ErrNotFound):
		return apperr.New(apperr.NotFound, "That document does not exist.")
	}
	return s.internal("unlock document", err)
}
