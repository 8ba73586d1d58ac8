// Package httpapi is the HTTP JSON adapter over the service layer. It
// serves the same frontend the desktop window shows, so a browser (and,
// later, a colleague on the LAN) gets the same app.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/service"
)

const maxBody = 1 << 20

// Handler serves the API under /api/v1 and the frontend everywhere else.
type Handler struct {
	svc    *service.Service
	logger *slog.Logger
	mux    chi.Router
	// lan is set for the sharing listener: every API route but sign-in
	// and health needs credentials, and callers are limited.
	lan    bool
	limits *limits
}

// New builds the owner's handler: loopback only, no sign-in, the caller
// is the desktop owner. ui is the built frontend (index.html at its
// root); nil serves the API alone.
func New(svc *service.Service, ui fs.FS, logger *slog.Logger) *Handler {
	return newHandler(svc, ui, logger, false)
}

// NewLAN builds the handler colleagues reach over the sharing listener:
// the same API and frontend, for signed-in users and API keys only, each
// seeing what is shared with them.
func NewLAN(svc *service.Service, ui fs.FS, logger *slog.Logger) *Handler {
	return newHandler(svc, ui, logger, true)
}

func newHandler(svc *service.Service, ui fs.FS, logger *slog.Logger, lan bool) *Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, logger: logger, lan: lan, limits: newLimits()}
	r := chi.NewRouter()
	if lan {
		r.Use(middleware.Recoverer, secureHeaders, h.logRequests)
	} else {
		r.Use(middleware.Recoverer, loopbackOnly, h.logRequests)
	}
	r.Route("/api/v1", func(r chi.Router) {
		sub := r
		r.Get("/health", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
		r.With(requireJSON).Post("/auth/login", h.login)
		r.With(requireJSON).Post("/auth/refresh", h.refresh)
		if lan {
			// Everything below needs credentials, checked first: a
			// stranger learns nothing else about a request.
			r = r.With(h.authenticate)
		}
		r = r.With(requireJSON)
		r.Post("/auth/logout", h.logout)
		r.Get("/auth/me", h.me)
		r.Get("/users", h.listUsers)
		r.Post("/users", h.createUser)
		r.Patch("/users/{id}", h.updateUser)
		r.Get("/api-keys", h.listAPIKeys)
		r.Post("/api-keys", h.createAPIKey)
		r.Delete("/api-keys/{id}", h.deleteAPIKey)
		r.Get("/collections/{id}/permissions", h.listGrants)
		r.Post("/collections/{id}/permissions", h.grant)
		r.Delete("/collections/{id}/permissions/{grantID}", h.revokeGrant)
		r.Get("/documents/{id}/file", h.documentFile)
		r.Get("/sharing", h.getSharing)
		r.Put("/sharing", h.updateSharing)
		r.Get("/audit", h.auditLog)
		r.Get("/status", h.status)
		r.Get("/integrity", h.integrity)
		r.Get("/models", h.listModels)
		r.Post("/models/import", h.importModel)
		r.Post("/models/install", h.installModel)
		r.Post("/models/{name}/download", h.modelAction((*service.Service).DownloadModel, http.StatusAccepted))
		r.Post("/models/{name}/download/pause", h.modelAction((*service.Service).PauseModelDownload, http.StatusOK))
		r.Post("/models/{name}/download/cancel", h.modelAction((*service.Service).CancelModelDownload, http.StatusOK))
		r.Delete("/models/{name}", h.modelAction((*service.Service).DeleteModel, http.StatusOK))
		r.Get("/collections", h.listCollections)
		r.Post("/collections", h.createCollection)
		r.Get("/collections/{id}", h.getCollection)
		r.Patch("/collections/{id}", h.updateCollection)
		r.Delete("/collections/{id}", h.deleteCollection)
		r.Get("/collections/{id}/sources", h.listSources)
		r.Post("/collections/{id}/sources", h.addSource)
		r.Delete("/collections/{id}/sources/{sourceID}", h.removeSource)
		r.Patch("/collections/{id}/sources/{sourceID}", h.updateSource)
		r.Post("/collections/{id}/rescan", h.rescan)
		r.Get("/collections/{id}/operations", h.listOperations)
		r.Get("/collections/{id}/documents", h.listDocuments)
		r.Post("/collections/{id}/documents/{docID}/unlock", h.unlockDocument)
		r.Get("/operations/{id}", h.getOperation)
		r.Post("/operations/{id}/cancel", h.cancelOperation)
		r.Post("/operations/{id}/pause", h.pauseOperation)
		r.Post("/operations/{id}/resume", h.resumeOperation)
		r.Post("/collections/{id}/retry", h.retryDocuments)
		r.Post("/collections/{id}/reindex", h.reindexCollection)
		r.Post("/collections/{id}/reindex/plan", h.planReindex)
		r.Get("/events", h.events)
		r.Post("/search", h.search)
		r.Post("/documents/open", h.openDocument)
		r.Get("/settings", h.getSettings)
		r.Put("/settings", h.updateSettings)
		// Unknown API paths answer JSON; on the LAN only after sign-in,
		// so routes are not probed anonymously.
		guard := func(f http.HandlerFunc) http.HandlerFunc {
			if lan {
				return h.authenticate(f).ServeHTTP
			}
			return f
		}
		sub.NotFound(guard(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, apperr.New(apperr.NotFound, "No such API endpoint."))
		}))
		sub.MethodNotAllowed(guard(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, apperr.New(apperr.InvalidArgument, "Method not allowed on this endpoint."))
		}))
	})
	if ui != nil {
		r.Handle("/*", spa(ui))
	}
	h.mux = r
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.Status(r.Context())
	h.reply(w, http.StatusOK, st, err)
}

// modelAction runs one of the service's per-model actions.
func (h *Handler) modelAction(act func(*service.Service, context.Context, string) (service.ModelInfo, error), status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		info, err := act(h.svc, r.Context(), chi.URLParam(r, "name"))
		h.reply(w, status, info, err)
	}
}

func (h *Handler) integrity(w http.ResponseWriter, r *http.Request) {
	in, err := h.svc.CheckIntegrity(r.Context())
	h.reply(w, http.StatusOK, in, err)
}

func (h *Handler) listModels(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListModels(r.Context())
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) importModel(w http.ResponseWriter, r *http.Request) {
	var req service.ImportModelRequest
	if !h.decode(w, r, &req) {
		return
	}
	m, err := h.svc.ImportModel(r.Context(), req)
	h.reply(w, http.StatusOK, m, err)
}

func (h *Handler) installModel(w http.ResponseWriter, r *http.Request) {
	var req service.InstallModelRequest
	if !h.decode(w, r, &req) {
		return
	}
	m, err := h.svc.InstallModel(r.Context(), req)
	h.reply(w, http.StatusOK, m, err)
}

func (h *Handler) listCollections(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListCollections(r.Context())
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) getCollection(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.GetCollection(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, c, err)
}

func (h *Handler) createCollection(w http.ResponseWriter, r *http.Request) {
	var req service.CreateCollectionRequest
	if !h.decode(w, r, &req) {
		return
	}
	c, err := h.svc.CreateCollection(r.Context(), req)
	h.reply(w, http.StatusCreated, c, err)
}

func (h *Handler) updateCollection(w http.ResponseWriter, r *http.Request) {
	var req service.UpdateCollectionRequest
	if !h.decode(w, r, &req) {
		return
	}
	c, err := h.svc.UpdateCollection(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusOK, c, err)
}

func (h *Handler) deleteCollection(w http.ResponseWriter, r *http.Request) {
	op, err := h.svc.DeleteCollection(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusAccepted, op, err)
}

func (h *Handler) pauseOperation(w http.ResponseWriter, r *http.Request) {
	op, err := h.svc.PauseOperation(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, op, err)
}

func (h *Handler) resumeOperation(w http.ResponseWriter, r *http.Request) {
	op, err := h.svc.ResumeOperation(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, op, err)
}

func (h *Handler) retryDocuments(w http.ResponseWriter, r *http.Request) {
	var req service.RetryRequest
	if !h.decodeOptional(w, r, &req) {
		return
	}
	op, err := h.svc.RetryDocuments(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusAccepted, op, err)
}

func (h *Handler) reindexCollection(w http.ResponseWriter, r *http.Request) {
	var req service.ReindexRequest
	if !h.decode(w, r, &req) {
		return
	}
	op, err := h.svc.ReindexCollection(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusAccepted, op, err)
}

func (h *Handler) planReindex(w http.ResponseWriter, r *http.Request) {
	var req service.ReindexRequest
	if !h.decode(w, r, &req) {
		return
	}
	plan, err := h.svc.PlanReindex(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusOK, plan, err)
}

func (h *Handler) listSources(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListSources(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) addSource(w http.ResponseWriter, r *http.Request) {
	var req service.AddSourceRequest
	if !h.decode(w, r, &req) {
		return
	}
	x, err := h.svc.AddSource(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusCreated, x, err)
}

func (h *Handler) removeSource(w http.ResponseWriter, r *http.Request) {
	sid, err := strconv.ParseInt(chi.URLParam(r, "sourceID"), 10, 64)
	if err != nil {
		writeError(w, apperr.New(apperr.NotFound, "Not found: source %q.", chi.URLParam(r, "sourceID")))
		return
	}
	err = h.svc.RemoveSource(r.Context(), chi.URLParam(r, "id"), sid)
	h.reply(w, http.StatusNoContent, nil, err)
}

func (h *Handler) updateSource(w http.ResponseWriter, r *http.Request) {
	sid, err := strconv.ParseInt(chi.URLParam(r, "sourceID"), 10, 64)
	if err != nil {
		writeError(w, apperr.New(apperr.NotFound, "Not found: source %q.", chi.URLParam(r, "sourceID")))
		return
	}
	var req service.UpdateSourceRequest
	if !h.decode(w, r, &req) {
		return
	}
	x, err := h.svc.UpdateSource(r.Context(), chi.URLParam(r, "id"), sid, req)
	h.reply(w, http.StatusOK, x, err)
}

// search runs a query; a client that goes away (a superseded request
// in a search box) cancels it.
func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	if p, ok := service.PrincipalFrom(r.Context()); ok {
		if ok, wait := h.limits.search.Allow(fmt.Sprintf("%d/%s", p.UserID, p.APIKeyID)); !ok {
			writeError(w, rateLimited(wait, "searches"))
			return
		}
	}
	var req service.SearchRequest
	if !h.decode(w, r, &req) {
		return
	}
	resp, err := h.svc.Search(r.Context(), req)
	h.reply(w, http.StatusOK, resp, err)
}

func (h *Handler) openDocument(w http.ResponseWriter, r *http.Request) {
	var req service.OpenDocumentRequest
	if !h.decode(w, r, &req) {
		return
	}
	res, err := h.svc.OpenDocument(r.Context(), req)
	h.reply(w, http.StatusOK, res, err)
}

func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.GetSettings(r.Context())
	h.reply(w, http.StatusOK, st, err)
}

func (h *Handler) updateSettings(w http.ResponseWriter, r *http.Request) {
	var req service.Settings
	if !h.decode(w, r, &req) {
		return
	}
	st, err := h.svc.UpdateSettings(r.Context(), req)
	h.reply(w, http.StatusOK, st, err)
}

func (h *Handler) rescan(w http.ResponseWriter, r *http.Request) {
	op, err := h.svc.RescanCollection(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusAccepted, op, err)
}

func (h *Handler) listOperations(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListOperations(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) getOperation(w http.ResponseWriter, r *http.Request) {
	op, err := h.svc.GetOperation(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, op, err)
}

func (h *Handler) cancelOperation(w http.ResponseWriter, r *http.Request) {
	op, err := h.svc.CancelOperation(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, op, err)
}

func (h *Handler) listDocuments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := service.ListDocumentsRequest{Status: q.Get("status")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &req.Limit}, {"offset", &req.Offset}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeError(w, apperr.Field(apperr.InvalidArgument, p.name, "%s must be a whole number of at least 0.", p.name))
				return
			}
			*p.dst = n
		}
	}
	list, err := h.svc.ListDocuments(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusOK, list, err)
}

// unlockDocument reads a password-protected document with the password
// in the body; neither the body nor the password is logged.
func (h *Handler) unlockDocument(w http.ResponseWriter, r *http.Request) {
	var req service.UnlockRequest
	if !h.decode(w, r, &req) {
		return
	}
	res, err := h.svc.UnlockDocument(r.Context(), chi.URLParam(r, "id"), chi.URLParam(r, "docID"), req)
	h.reply(w, http.StatusOK, res, err)
}

// events streams the service's events as Server-Sent Events until the
// client goes away.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, apperr.New(apperr.Internal, "Streaming is not supported here."))
		return
	}
	ch, stop := h.svc.EventsFor(r.Context())
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		case e, ok := <-ch:
			if !ok {
				return
			}
			data, err := json.Marshal(e.Data)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Topic, data)
		}
		flusher.Flush()
	}
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, so typos in a client never pass silently.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, apperr.New(apperr.TooLarge, "The request body is larger than %d bytes: send less at once.", maxBody))
			return false
		}
		writeError(w, apperr.New(apperr.InvalidArgument, "The request body is not valid JSON for this endpoint: %v.", err))
		return false
	}
	return true
}

// decodeOptional is decode for endpoints whose body may be left out.
func (h *Handler) decodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	return h.decode(w, r, v)
}

func (h *Handler) reply(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		ae := apperr.From(err)
		if ae.Code == apperr.Internal {
			h.logger.Error("request failed", "err", err)
		}
		writeError(w, ae)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, v)
}

// StatusFor maps an error code to its HTTP status.
func StatusFor(code apperr.Code) int {
	switch code {
	case apperr.InvalidArgument, apperr.ModelUnknown, apperr.ModelUnavailable, apperr.PathNotFound, apperr.NotADirectory, apperr.PathUnreadable:
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.NameTaken, apperr.SourceExists, apperr.SourceOverlap, apperr.Conflict:
		return http.StatusConflict
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

func writeError(w http.ResponseWriter, e *apperr.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, StatusFor(e.Code), map[string]*apperr.Error{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// loopbackOnly refuses requests whose Host is not a loopback name, which
// defeats DNS-rebinding pages aiming at the local port.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			writeError(w, apperr.New(apperr.InvalidArgument, "This Quarry only answers on its loopback address."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireJSON makes every state-changing request carry a JSON body type,
// which browsers cannot send cross-origin without a preflight we never
// approve: other web pages cannot change anything here.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPatch || r.Method == http.MethodPut {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" {
				writeError(w, apperr.New(apperr.InvalidArgument, "Send the request body as application/json."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		t0 := time.Now()
		next.ServeHTTP(ww, r)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.logger.Debug("http", "method", r.Method, "path", r.URL.Path, "status", ww.Status(), "took", time.Since(t0))
		}
	})
}

// spa serves files from ui and index.html for every other path.
func spa(ui fs.FS) http.Handler {
	files := http.FileServerFS(ui)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/")
		if p != "" {
			if st, err := fs.Stat(ui, p); err != nil || st.IsDir() {
				r = r.Clone(r.Context())
				r.URL.Path = "/"
			}
		}
		files.ServeHTTP(w, r)
	})
}
