package service

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/store"
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
	// OperationID names the operation that indexes a just-added folder.
	OperationID string `json:"operation_id,omitempty"`
}

// AddSourceRequest asks to add a directory to a collection.
type AddSourceRequest struct {
	Path string `json:"path"`
}

func sourceFromStore(x store.Source) Source {
	return Source{
		ID: x.ID, CollectionID: x.CollectionID, Type: x.Type, Path: x.Path,
		DocumentCount: x.DocumentCount, SizeBytes: x.SizeBytes, LastIndexedAt: x.LastIndexedAt, CreatedAt: x.CreatedAt,
	}
}

// ListSources returns a collection's sources.
func (s *Service) ListSources(ctx context.Context, collectionID string) ([]Source, error) {
	list, err := s.store.ListSources(ctx, collectionID)
	if err != nil {
		return nil, s.storeError("list sources", err, "collection "+collectionID)
	}
	out := make([]Source, len(list))
	for i, x := range list {
		out[i] = sourceFromStore(x)
	}
	return out, nil
}

// AddSource adds a readable directory to a collection. The path is stored
// with symbolic links resolved, so overlap checks see the real tree.
func (s *Service) AddSource(ctx context.Context, collectionID string, req AddSourceRequest) (Source, error) {
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
	out := sourceFromStore(x)
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
