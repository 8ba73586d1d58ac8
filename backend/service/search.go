package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/launch"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/store"
)

// SearchRequest and SearchResponse are the one request/response pair of
// the search binding and POST /api/search.
type (
	SearchRequest  = search.Request
	SearchResponse = search.Response
)

func (s *Service) searchEngine() *search.Engine { return s.search }

// Search runs a query over one or more collections.
func (s *Service) Search(ctx context.Context, req SearchRequest) (SearchResponse, error) {
	levels, all, err := s.levels(ctx)
	if err != nil {
		return SearchResponse{}, err
	}
	if !all {
		// A colleague searches only what is shared with them: naming
		// another collection is the same as naming none that exists.
		if len(req.CollectionIDs) == 0 {
			for id := range levels {
				req.CollectionIDs = append(req.CollectionIDs, id)
			}
			slices.Sort(req.CollectionIDs)
		}
		for _, id := range req.CollectionIDs {
			if levels[id] == "" {
				return SearchResponse{}, apperr.New(apperr.NotFound, "That collection does not exist.")
			}
		}
	}
	if p, ok := PrincipalFrom(ctx); ok && req.Supersedes != "" {
		// One caller's search box never cancels another's.
		req.Supersedes = fmt.Sprintf("%d/%s/%s", p.UserID, p.APIKeyID, req.Supersedes)
	}
	var resp SearchResponse
	if !all && len(req.CollectionIDs) == 0 {
		// Nothing is shared with this caller: no collection means none,
		// never all of them.
		resp, err = s.searchEngine().Nothing(req)
	} else {
		resp, err = s.searchEngine().Search(ctx, req)
	}
	switch {
	case err == nil:
		for i, w := range resp.Warnings {
			resp.Warnings[i] = s.forCaller(ctx, w)
		}
		return resp, nil
	case errors.Is(err, search.ErrInvalid):
		return SearchResponse{}, apperr.Wrap(err, apperr.InvalidArgument, "%s", trimSentinel(err, search.ErrInvalid))
	case errors.Is(err, search.ErrNotFound):
		return SearchResponse{}, apperr.Wrap(err, apperr.NotFound, "That collection does not exist.")
	case errors.Is(err, search.ErrNoReranker) && errors.Is(err, models.ErrNotInstalled):
		e := apperr.Field(apperr.ModelUnavailable, "rerank",
			"Reranking needs a reranker model: turn Rerank on in the app to download it, or import one with quarry import-model.")
		e.Err = err
		return SearchResponse{}, e
	case errors.Is(err, search.ErrNoReranker):
		s.logger.Warn("reranker failed to load", "err", err)
		return SearchResponse{}, apperr.Wrap(err, apperr.Unavailable,
			"The reranker could not be loaded (%s). Install it again, or search without reranking.", trimSentinel(err, search.ErrNoReranker))
	case errors.Is(err, search.ErrSuperseded), errors.Is(err, context.Canceled):
		return SearchResponse{}, apperr.Wrap(err, apperr.Conflict, "The search was replaced by a newer one.")
	default:
		return SearchResponse{}, s.internal("search", err)
	}
}

// trimSentinel drops the sentinel's own text from the front of err's.
func trimSentinel(err, sentinel error) string {
	return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
}

// WarmSearch builds the keyword indexes ahead of the first query; call it
// once at start-up, in the background.
func (s *Service) WarmSearch(ctx context.Context) error {
	if err := s.searchEngine().Warm(ctx); err != nil {
		s.logger.Warn("search warm-up incomplete", "err", err)
		return err
	}
	return nil
}

// ForgetSearchIndex drops a deleted collection's keyword index.
func (s *Service) ForgetSearchIndex(collectionID string) { s.searchEngine().Forget(collectionID) }

// RefreshSearchIndex brings a collection's keyword index up to date (after
// a reindex switched it).
func (s *Service) RefreshSearchIndex(ctx context.Context, collectionID string) error {
	return s.searchEngine().Refresh(ctx, collectionID)
}

// OpenDocumentRequest asks to show a document in its native application.
type OpenDocumentRequest struct {
	DocumentID string `json:"document_id"`
	// Page is 1-based; 0 opens at the start.
	Page int `json:"page,omitempty"`
}

// OpenDocumentResult says whether the page could be passed to the viewer
// (Linux PDF viewers evince, atril, xreader, okular, zathura and qpdfview
// when they are the default; never on macOS or Windows).
type OpenDocumentResult struct {
	Path     string `json:"path"`
	PageUsed bool   `json:"page_used"`
}

// OpenDocument opens a search result's file on this machine.
func (s *Service) OpenDocument(ctx context.Context, req OpenDocumentRequest) (OpenDocumentResult, error) {
	if _, remote := PrincipalFrom(ctx); remote {
		return OpenDocumentResult{}, apperr.New(apperr.Forbidden, "Files open in an application on the machine Quarry runs on; download the file instead.")
	}
	if !s.info.Desktop {
		return OpenDocumentResult{}, apperr.New(apperr.Unavailable, "Files can only be opened in the desktop app.")
	}
	if uuid.Validate(req.DocumentID) != nil {
		return OpenDocumentResult{}, apperr.Field(apperr.NotFound, "document_id", "That document does not exist.")
	}
	path, mime, err := s.store.DocumentLocation(ctx, req.DocumentID)
	if errors.Is(err, store.ErrNotFound) {
		return OpenDocumentResult{}, apperr.Field(apperr.NotFound, "document_id", "That document does not exist.")
	}
	if err != nil {
		return OpenDocumentResult{}, s.internal("open document", err)
	}
	target := path
	if extract.IsMember(path) {
		// A file inside an archive or e-mail opens as a copy; copies
		// stay while an application may have them open and go on the
		// next start.
		local, _, err := s.unpackMember(ctx, path)
		if err != nil {
			return OpenDocumentResult{}, err
		}
		target = local
	}
	used, err := launch.Open(ctx, target, req.Page, mime)
	if errors.Is(err, launch.ErrNotFound) {
		return OpenDocumentResult{}, apperr.Wrap(err, apperr.PathNotFound, "%s is no longer there.", path)
	}
	if err != nil {
		return OpenDocumentResult{}, apperr.Wrap(err, apperr.Unavailable, "%s could not be opened: %v", path, err)
	}
	return OpenDocumentResult{Path: path, PageUsed: used}, nil
}
