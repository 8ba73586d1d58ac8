package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/watch"
)

// Source is a source as clients see it.
type Source struct {
	ID            int64      `json:"id"`
	CollectionID  string     `json:"collection_id"`
	Type          string     `json:"type"`
	Path          string     `json:"path"`
	DocumentCount int        `json:"document_count"`
	SizeBytes     int64      `json:"size_bytes"`
	LastIndexedAt *time.Time `json:"last_indexed_at"`
	CreatedAt     time.Time  `json:"created_at"`
	// Watch is the switch: changes on disk reach search by themselves
	// (true, the default) or only when the folder is rescanned.
	Watch bool `json:"watch"`
	// WatchState is watching, scanning, paused (the switch is off),
	// offline (the folder is not there: its documents stay searchable)
	// or error; WatchMessage says why and what to do.
	WatchState   string `json:"watch_state"`
	WatchMessage string `json:"watch_message,omitempty"`
	// OperationID names the operation that indexes a just-added folder.
	OperationID string `json:"operation_id,omitempty"`
}

// AddSourceRequest asks to add a directory to a collection.
type AddSourceRequest struct {
	Path string `json:"path"`
}

// UpdateSourceRequest changes a source's settings.
type UpdateSourceRequest struct {
	// Watch turns watching on or off; absent leaves it as it is.
	Watch *bool `json:"watch"`
}

func sourceFromStore(x store.Source) Source {
	return Source{
		ID: x.ID, CollectionID: x.CollectionID, Type: x.Type, Path: x.Path,
		DocumentCount: x.DocumentCount, SizeBytes: x.SizeBytes, LastIndexedAt: x.LastIndexedAt, CreatedAt: x.CreatedAt,
		Watch: x.Watch,
	}
}

// ListSources returns a collection's sources, each with how its watch
// stands.
func (s *Service) ListSources(ctx context.Context, collectionID string) ([]Source, error) {
	if err := s.need(ctx, collectionID, LevelRead); err != nil {
		return nil, err
	}
	list, err := s.store.ListSources(ctx, collectionID)
	if err != nil {
		return nil, s.storeError("list sources", err, "collection "+collectionID)
	}
	ops, err := s.store.ListOperations(ctx, collectionID, 20)
	if err != nil {
		return nil, s.storeError("list sources", err, "collection "+collectionID)
	}
	out := make([]Source, len(list))
	for i, x := range list {
		out[i] = sourceFromStore(x)
		out[i].WatchState, out[i].WatchMessage = s.watchState(x, ops)
	}
	return out, nil
}

// watchState says how a source's watch stands: the tree's own state,
// scanning while an index or append covers the source, paused when the
// switch is off.
func (s *Service) watchState(x store.Source, ops []store.Operation) (string, string) {
	exists := isDir(x.Path)
	if !x.Watch {
		if !exists {
			return watch.Offline, "The folder is not there (unplugged, unmounted or renamed?). Its documents stay searchable."
		}
		return watch.Paused, "Watching is off: changes reach search when you rescan."
	}
	var st watch.State
	if s.watch != nil {
		st, _ = s.watch.State(x.ID)
	}
	switch {
	case !exists:
		return watch.Offline, watch.OfflineMessage
	case st.State == watch.Offline || st.State == "":
		// The watch has not caught up yet: it does within seconds.
		st = watch.State{State: watch.Watching}
	}
	if st.State == watch.Watching {
		for _, o := range ops {
			if o.Status == store.OpProcessing && (o.Type == store.OpIndex || o.Type == store.OpAppend) &&
				!o.Config.EmbedOnly && (o.Config.SourceID == 0 || o.Config.SourceID == x.ID) {
				return watch.Scanning, st.Message
			}
		}
	}
	return st.State, st.Message
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func (s *Service) refreshWatches() {
	if s.watch != nil {
		s.watch.Refresh()
	}
}

// UpdateSource changes a source's settings: watching on or off. Turning it
// on catches up with what changed while it was off.
func (s *Service) UpdateSource(ctx context.Context, collectionID string, sourceID int64, req UpdateSourceRequest) (Source, error) {
	if err := s.need(ctx, collectionID, LevelWrite); err != nil {
		return Source{}, err
	}
	if req.Watch == nil {
		return Source{}, apperr.Field(apperr.InvalidArgument, "watch", "Say what to change: {\"watch\": true} or {\"watch\": false}.")
	}
	x, err := s.store.SetSourceWatch(ctx, collectionID, sourceID, *req.Watch)
	if err != nil {
		return Source{}, s.storeError("update source", err, fmt.Sprintf("source %d", sourceID))
	}
	s.logger.Info("source watch switched", "collection", collectionID, "source", sourceID, "watch", x.Watch)
	s.refreshWatches()
	if x.Watch && s.queue != nil && isDir(x.Path) {
		if _, err := s.enqueue(ctx, collectionID, store.OpAppend, store.OpConfig{SourceID: x.ID, Reason: "watch: catch up"}); err != nil {
			return Source{}, err
		}
	}
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: collectionID})
	out := sourceFromStore(x)
	ops, _ := s.store.ListOperations(ctx, collectionID, 20)
	out.WatchState, out.WatchMessage = s.watchState(x, ops)
	return out, nil
}

// AddSource adds a readable directory to a collection. The path is stored
// with symbolic links resolved, so overlap checks see the real tree.
func (s *Service) AddSource(ctx context.Context, collectionID string, req AddSourceRequest) (Source, error) {
	// A folder is a path on this machine: only an administrator names one,
	// and nobody else learns what exists here.
	if err := s.needAdmin(ctx); err != nil {
		return Source{}, err
	}
	path, err := checkDirectory(req.Path)
	if err != nil {
		return Source{}, err
	}
	x, err := s.store.AddSource(ctx, collectionID, "directory", path, s.actor(ctx))
	if err != nil {
		subject := path
		if errors.Is(err, store.ErrNotFound) {
			subject = "collection " + collectionID
		}
		return Source{}, s.storeError("add source", err, subject)
	}
	s.logger.Info("source added", "collection", collectionID, "path", path)
	s.refreshWatches()
	out := sourceFromStore(x)
	out.WatchState = watch.Scanning
	if s.queue != nil {
		op, err := s.enqueue(ctx, collectionID, store.OpIndex, store.OpConfig{SourceID: x.ID})
		if err != nil {
			return Source{}, err
		}
		out.OperationID = op.ID
	}
	return out, nil
}

// RemoveSource removes a folder from a collection: its documents leave
// search at once through a remove_source operation, which also deletes
// their vectors (content still found in another folder stays).
func (s *Service) RemoveSource(ctx context.Context, collectionID string, sourceID int64) error {
	if err := s.need(ctx, collectionID, LevelAdmin); err != nil {
		return err
	}
	srcs, err := s.store.ListSources(ctx, collectionID)
	if err != nil {
		return s.storeError("remove source", err, "collection "+collectionID)
	}
	found := false
	for _, x := range srcs {
		found = found || x.ID == sourceID
	}
	if !found {
		return apperr.New(apperr.NotFound, "Not found: source %d.", sourceID)
	}
	if s.queue == nil {
		if err := s.store.RemoveSource(ctx, collectionID, sourceID, s.actor(ctx)); err != nil {
			return s.storeError("remove source", err, "source")
		}
		return nil
	}
	_, err = s.enqueue(ctx, collectionID, store.OpRemoveSource, store.OpConfig{SourceID: sourceID})
	if err == nil {
		s.refreshWatches()
	}
	return err
}

// checkDirectory turns user input into a clean absolute path of a readable
// directory, or says precisely what is wrong with it.
func checkDirectory(raw string) (string, error) {
	p := strings.TrimSpace(raw)
	if p == "" {
		return "", apperr.Field(apperr.InvalidArgument, "path", "Give the folder to add.")
	}
	if strings.ContainsRune(p, 0) {
		return "", apperr.Field(apperr.InvalidArgument, "path", "The path contains a NUL character.")
	}
	// Without a known home directory "~/x" stays relative and is refused
	// below.
	p, _ = locations.ExpandHome(p)
	if !filepath.IsAbs(p) {
		return "", apperr.Field(apperr.InvalidArgument, "path", "Give the full path of the folder, e.g. /home/you/Documents.")
	}
	p = filepath.Clean(p)
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", apperr.Field(apperr.PathNotFound, "path", "%s does not exist.", p)
	case errors.Is(err, fs.ErrPermission):
		return "", apperr.Field(apperr.PathUnreadable, "path", "Quarry is not allowed to read %s.", p)
	case err != nil:
		e := apperr.Wrap(err, apperr.PathUnreadable, "%s cannot be read.", p)
		e.Field = "path"
		return "", e
	case !st.IsDir():
		return "", apperr.Field(apperr.NotADirectory, "path", "%s is a file; add the folder that holds it.", p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", apperr.Field(apperr.PathUnreadable, "path", "%s cannot be resolved: %v.", p, err)
	}
	f, err := os.Open(real)
	if err == nil {
		_, err = f.ReadDir(1)
		f.Close()
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		return "", apperr.Field(apperr.PathUnreadable, "path", "Quarry is not allowed to read %s.", p)
	}
	return real, nil
}
