package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/store"
)

// Queue runs operations; the indexer implements it.
type Queue interface {
	Enqueue(ctx context.Context, collectionID, typ string, config store.OpConfig, actor int64) (store.Operation, error)
	StopCollection(collectionID string)
	// Wake makes the workers look for work now.
	Wake()
	// Unlock reads a password-protected document with its password and
	// commits its text; see indexer.Manager.Unlock.
	Unlock(ctx context.Context, coll store.Collection, docID, password string, actor int64) (indexer.Unlocked, error)
}

// Operation is an operation as clients see it.
type Operation struct {
	ID           string         `json:"id"`
	CollectionID string         `json:"collection_id"`
	Type         string         `json:"type"`
	Status       string         `json:"status"`
	Config       store.OpConfig `json:"config"`
	Progress     map[string]any `json:"progress"`
	Error        string         `json:"error"`
	CreatedAt    time.Time      `json:"created_at"`
	StartedAt    *time.Time     `json:"started_at"`
	CompletedAt  *time.Time     `json:"completed_at"`
}

func opFromStore(o store.Operation) Operation {
	return Operation{
		ID: o.ID, CollectionID: o.CollectionID, Type: o.Type, Status: o.Status, Config: o.Config,
		Progress: o.Progress, Error: o.ErrorMessage, CreatedAt: o.CreatedAt, StartedAt: o.StartedAt, CompletedAt: o.CompletedAt,
	}
}

func (s *Service) enqueue(ctx context.Context, collectionID, typ string, config store.OpConfig) (store.Operation, error) {
	if s.queue == nil {
		return store.Operation{}, apperr.New(apperr.Unavailable, "Indexing is not running in this Quarry.")
	}
	op, err := s.queue.Enqueue(ctx, collectionID, typ, config, s.actor(ctx))
	if err != nil {
		return store.Operation{}, s.storeError("queue "+typ, err, "collection "+collectionID)
	}
	return op, nil
}

// ListOperations returns a collection's newest operations (everyone's when
// collectionID is empty).
func (s *Service) ListOperations(ctx context.Context, collectionID string) ([]Operation, error) {
	var levels map[string]string
	all := true
	if collectionID != "" {
		if err := s.need(ctx, collectionID, LevelRead); err != nil {
			return nil, err
		}
		if _, err := s.store.GetCollection(ctx, collectionID); err != nil {
			return nil, s.storeError("list operations", err, "collection "+collectionID)
		}
	} else {
		var err error
		if levels, all, err = s.levels(ctx); err != nil {
			return nil, err
		}
	}
	list, err := s.store.ListOperations(ctx, collectionID, 50)
	if err != nil {
		return nil, s.internal("list operations", err)
	}
	out := make([]Operation, 0, len(list))
	for _, o := range list {
		if all || levels[o.CollectionID] != "" {
			out = append(out, opFromStore(o))
		}
	}
	return out, nil
}

// GetOperation returns one operation.
func (s *Service) GetOperation(ctx context.Context, id string) (Operation, error) {
	o, err := s.operation(ctx, id, LevelRead)
	if err != nil {
		return Operation{}, err
	}
	return opFromStore(o), nil
}

// operation loads an operation the caller holds want on: one of a
// collection it cannot see is not found, like one that does not exist.
func (s *Service) operation(ctx context.Context, id, want string) (store.Operation, error) {
	o, err := s.store.GetOperation(ctx, id)
	if err == nil {
		var l string
		if l, err = s.level(ctx, o.CollectionID); err != nil {
			return store.Operation{}, err
		}
		if l == "" {
			err = store.ErrNotFound
		} else if rank(l) < rank(want) {
			return store.Operation{}, s.need(ctx, o.CollectionID, want)
		}
	}
	if err != nil {
		return store.Operation{}, s.storeError("get operation", err, "operation "+id)
	}
	return o, nil
}

// CancelOperation cancels a pending or running operation.
func (s *Service) CancelOperation(ctx context.Context, id string) (Operation, error) {
	if _, err := s.operation(ctx, id, LevelWrite); err != nil {
		return Operation{}, err
	}
	o, err := s.store.CancelOperation(ctx, id, s.actor(ctx))
	if errors.Is(err, store.ErrNotPending) {
		return Operation{}, apperr.New(apperr.Conflict, "The operation has already finished.")
	}
	if err != nil {
		return Operation{}, s.storeError("cancel operation", err, "operation "+id)
	}
	return opFromStore(o), nil
}

// PauseOperation pauses a waiting or running operation; what it has done
// stays, and it continues from there when resumed, across restarts too.
func (s *Service) PauseOperation(ctx context.Context, id string) (Operation, error) {
	if _, err := s.operation(ctx, id, LevelWrite); err != nil {
		return Operation{}, err
	}
	o, err := s.store.PauseOperation(ctx, id, s.actor(ctx))
	return s.opChanged("pause operation", id, o, err)
}

// ResumeOperation lets a paused operation run again.
func (s *Service) ResumeOperation(ctx context.Context, id string) (Operation, error) {
	if _, err := s.operation(ctx, id, LevelWrite); err != nil {
		return Operation{}, err
	}
	o, err := s.store.ResumeOperation(ctx, id, s.actor(ctx))
	if err == nil && s.queue != nil {
		s.queue.Wake()
	}
	return s.opChanged("resume operation", id, o, err)
}

func (s *Service) opChanged(verb, id string, o store.Operation, err error) (Operation, error) {
	if errors.Is(err, store.ErrWrongState) {
		return Operation{}, apperr.New(apperr.Conflict, "The operation cannot be changed now: %s.", strings.TrimPrefix(err.Error(), verb+" "+id+": "))
	}
	if err != nil {
		return Operation{}, s.storeError(verb, err, "operation "+id)
	}
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: o.CollectionID})
	return opFromStore(o), nil
}

// RetryRequest names the failed documents to try again; none means all.
type RetryRequest struct {
	DocumentIDs []string `json:"document_ids,omitempty"`
}

// RetryDocuments tries a collection's failed documents again (all, or the
// ones named) and returns the operation that does it.
func (s *Service) RetryDocuments(ctx context.Context, collectionID string, req RetryRequest) (Operation, error) {
	if len(req.DocumentIDs) > 10000 {
		return Operation{}, apperr.Field(apperr.InvalidArgument, "document_ids", "Name at most 10,000 documents at a time, or none to retry them all.")
	}
	for _, id := range req.DocumentIDs {
		if uuid.Validate(id) != nil {
			return Operation{}, apperr.Field(apperr.InvalidArgument, "document_ids", "%q is not a document id.", truncate(id, 60))
		}
	}
	if err := s.need(ctx, collectionID, LevelWrite); err != nil {
		return Operation{}, err
	}
	if _, err := s.store.GetCollection(ctx, collectionID); err != nil {
		return Operation{}, s.storeError("retry documents", err, "collection "+collectionID)
	}
	ids := req.DocumentIDs
	if len(ids) == 0 {
		ids = nil
	}
	n, err := s.store.ResetFailed(ctx, collectionID, ids, s.actor(ctx))
	if err != nil {
		return Operation{}, s.internal("retry documents", err)
	}
	if n == 0 {
		return Operation{}, apperr.New(apperr.NotFound, "No failed documents to retry.")
	}
	op, err := s.enqueue(ctx, collectionID, store.OpAppend, store.OpConfig{Reason: "retry"})
	if err != nil {
		return Operation{}, err
	}
	return opFromStore(op), nil
}

// RescanCollection looks at every folder of a collection again and indexes
// what is new or changed, forgetting what is gone.
func (s *Service) RescanCollection(ctx context.Context, collectionID string) (Operation, error) {
	if err := s.need(ctx, collectionID, LevelWrite); err != nil {
		return Operation{}, err
	}
	op, err := s.enqueue(ctx, collectionID, store.OpAppend, store.OpConfig{})
	if err != nil {
		return Operation{}, err
	}
	return opFromStore(op), nil
}

// Document is a document as clients see it.
type Document struct {
	ID         string `json:"id"`
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	MimeType   string `json:"mime_type"`
	Status     string `json:"status"`
	Error      string `json:"error"`
	ChunkCount int    `json:"chunk_count"`
	PageCount  int    `json:"page_count"`
	// Stage is how far the document got: discovered, chunked (keyword
	// search finds it; embedding waits) or indexed.
	Stage string `json:"stage"`
	// Paths counts the places the same content was found.
	Paths int `json:"paths"`
}

// ListDocumentsRequest pages through a collection's documents.
type ListDocumentsRequest struct {
	Status string `json:"status"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
}

// ListDocuments returns a page of a collection's documents.
func (s *Service) ListDocuments(ctx context.Context, collectionID string, req ListDocumentsRequest) ([]Document, error) {
	switch req.Status {
	case "", "pending", "processing", "completed", "failed":
	default:
		return nil, apperr.Field(apperr.InvalidArgument, "status", "Status must be pending, processing, completed or failed.")
	}
	if err := s.need(ctx, collectionID, LevelRead); err != nil {
		return nil, err
	}
	if _, err := s.store.GetCollection(ctx, collectionID); err != nil {
		return nil, s.storeError("list documents", err, "collection "+collectionID)
	}
	list, err := s.store.ListDocuments(ctx, collectionID, req.Status, req.Limit, req.Offset)
	if err != nil {
		return nil, s.internal("list documents", err)
	}
	out := make([]Document, len(list))
	for i, d := range list {
		out[i] = documentFromStore(d)
	}
	return out, nil
}

// documentFromStore is a document as clients see it.
func documentFromStore(d store.Document) Document {
	return Document{ID: d.ID, Path: d.Path, Size: d.Size, MimeType: d.MimeType, Status: d.Status,
		Error: d.ErrorMessage, ChunkCount: d.ChunkCount, PageCount: d.PageCount, Paths: d.Paths, Stage: d.Stage}
}

// Events streams what changes (operation progress, collection changes)
// until the returned stop function is called.
func (s *Service) Events() (<-chan events.Event, func()) {
	return s.bus.Subscribe(256)
}

// EventsFor is Events for the caller in ctx: a colleague hears only of
// the collections shared with them (whose progress, names and counts
// never reach anyone else) and nothing of model downloads. ctx must last
// as long as the stream.
func (s *Service) EventsFor(ctx context.Context) (<-chan events.Event, func()) {
	ch, stop := s.bus.Subscribe(256)
	if _, ok := PrincipalFrom(ctx); !ok || s.IsAdmin(ctx) {
		return ch, stop
	}
	out := make(chan events.Event, 256)
	go func() {
		defer close(out)
		seen := newSeenCache(func(id string) bool { return s.CanSee(ctx, id) })
		for e := range ch {
			if !seen.allows(e) {
				continue
			}
			select {
			case out <- e:
			default:
			}
		}
	}()
	return out, stop
}

// seenCache remembers for a little while whether a listener may see a
// collection, so a stream of progress is not a stream of queries; a
// change to the collection (its sharing included) asks again at once.
type seenCache struct {
	can  func(string) bool
	memo map[string]seenEntry
}

type seenEntry struct {
	ok bool
	at time.Time
}

const seenFor = 2 * time.Second

func newSeenCache(can func(string) bool) *seenCache {
	return &seenCache{can: can, memo: map[string]seenEntry{}}
}

func (c *seenCache) allows(e events.Event) bool {
	var id string
	switch d := e.Data.(type) {
	case string:
		id = d
	case indexer.Progress:
		id = d.CollectionID
	case *indexer.Progress:
		id = d.CollectionID
	}
	switch {
	case e.Topic == events.ModelDownload:
		return false
	case e.Topic == events.CollectionChanged && id == "":
		// "Something changed": it names nothing.
		return true
	case id == "":
		// An event this filter does not know how to place stays out.
		return false
	}
	m, ok := c.memo[id]
	if !ok || time.Since(m.at) > seenFor || e.Topic == events.CollectionChanged {
		m = seenEntry{ok: c.can(id), at: time.Now()}
		c.memo[id] = m
	}
	return m.ok
}
