package httpapi

import (
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/auth"
	"github.com/quarry-search/quarry/backend/service"
)

// Cookies the browser keeps a session in. Both are HttpOnly (no script
// reads them), Secure and SameSite=Strict (no other site sends them); the
// refresh token only travels to the sign-in routes.
const (
	accessCookie  = "quarry_access"
	refreshCookie = "quarry_refresh"
	refreshPath   = "/api/v1/auth"
)

// limits slow down abuse: sign-in attempts per client address (each
// costs a password hash) and searches per caller.
type limits struct {
	login  *auth.Bucket
	search *auth.Bucket
}

func newLimits() *limits {
	return &limits{login: auth.NewBucket(2, 10), search: auth.NewBucket(20, 40)}
}

func rateLimited(wait time.Duration, what string) *apperr.Error {
	secs := int(wait.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	e := apperr.New(apperr.RateLimited, "Too many %s at once: try again in %d s.", what, secs)
	e.RetryAfter = secs
	return e
}

// clientAddress is the peer's IP address. Headers a client writes
// itself (X-Forwarded-For) are not believed.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate lets through requests that carry a valid access token or
// API key (the Authorization header first, then the access cookie), as
// their principal.
func (h *Handler) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred := ""
		if v := r.Header.Get("Authorization"); v != "" {
			scheme, token, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				writeError(w, apperr.New(apperr.Unauthenticated, "Send credentials as Authorization: Bearer <token or API key>."))
				return
			}
			cred = strings.TrimSpace(token)
		} else if c, err := r.Cookie(accessCookie); err == nil {
			cred = c.Value
		}
		p, err := h.svc.Authenticate(r.Context(), cred, clientAddress(r))
		if err != nil {
			writeError(w, apperr.From(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(service.WithPrincipal(r.Context(), p)))
	})
}

// secureHeaders are for pages served to other machines.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Strict-Transport-Security", "max-age=31536000")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) setSession(w http.ResponseWriter, s service.Session) {
	http.SetCookie(w, &http.Cookie{Name: accessCookie, Value: s.AccessToken, Path: "/", Expires: s.AccessExpires,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: refreshCookie, Value: s.RefreshToken, Path: refreshPath, Expires: s.RefreshExpires,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

func clearSession(w http.ResponseWriter) {
	for _, c := range []*http.Cookie{{Name: accessCookie, Path: "/"}, {Name: refreshCookie, Path: refreshPath}} {
		c.MaxAge, c.HttpOnly, c.Secure, c.SameSite = -1, true, true, http.SameSiteStrictMode
		http.SetCookie(w, c)
	}
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	addr := clientAddress(r)
	if ok, wait := h.limits.login.Allow(addr); !ok {
		writeError(w, rateLimited(wait, "sign-in attempts"))
		return
	}
	var req service.LoginRequest
	if !h.decode(w, r, &req) {
		return
	}
	s, err := h.svc.Login(r.Context(), req, addr)
	if err != nil {
		h.reply(w, 0, nil, err)
		return
	}
	h.setSession(w, s)
	writeJSON(w, http.StatusOK, s)
}

// refreshToken is the body's token, else the cookie's.
func refreshToken(r *http.Request, req service.RefreshRequest) service.RefreshRequest {
	if req.RefreshToken == "" {
		if c, err := r.Cookie(refreshCookie); err == nil {
			req.RefreshToken = c.Value
		}
	}
	return req
}

func (h *Handler) refresh(w http.ResponseWriter, r *http.Request) {
	addr := clientAddress(r)
	if ok, wait := h.limits.login.Allow(addr); !ok {
		writeError(w, rateLimited(wait, "sign-in attempts"))
		return
	}
	var req service.RefreshRequest
	if !h.decodeOptional(w, r, &req) {
		return
	}
	s, err := h.svc.Refresh(r.Context(), refreshToken(r, req), addr)
	if err != nil {
		clearSession(w)
		h.reply(w, 0, nil, err)
		return
	}
	h.setSession(w, s)
	writeJSON(w, http.StatusOK, s)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	var req service.RefreshRequest
	if !h.decodeOptional(w, r, &req) {
		return
	}
	err := h.svc.Logout(r.Context(), refreshToken(r, req))
	clearSession(w)
	h.reply(w, http.StatusNoContent, nil, err)
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	me, err := h.svc.Me(r.Context())
	h.reply(w, http.StatusOK, me, err)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListUsers(r.Context())
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var req service.CreateUserRequest
	if !h.decode(w, r, &req) {
		return
	}
	u, err := h.svc.CreateUser(r.Context(), req)
	h.reply(w, http.StatusCreated, u, err)
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		writeError(w, apperr.New(apperr.NotFound, "Not found: user %q.", truncate(chi.URLParam(r, "id"), 40)))
		return
	}
	var req service.UpdateUserRequest
	if !h.decode(w, r, &req) {
		return
	}
	u, err := h.svc.UpdateUser(r.Context(), id, req)
	h.reply(w, http.StatusOK, u, err)
}

func (h *Handler) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListAPIKeys(r.Context())
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var req service.CreateAPIKeyRequest
	if !h.decode(w, r, &req) {
		return
	}
	k, err := h.svc.CreateAPIKey(r.Context(), req)
	h.reply(w, http.StatusCreated, k, err)
}

func (h *Handler) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	err := h.svc.DeleteAPIKey(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusNoContent, nil, err)
}

func (h *Handler) listGrants(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.ListGrants(r.Context(), chi.URLParam(r, "id"))
	h.reply(w, http.StatusOK, list, err)
}

func (h *Handler) grant(w http.ResponseWriter, r *http.Request) {
	var req service.GrantRequest
	if !h.decode(w, r, &req) {
		return
	}
	g, err := h.svc.GrantAccess(r.Context(), chi.URLParam(r, "id"), req)
	h.reply(w, http.StatusOK, g, err)
}

func (h *Handler) revokeGrant(w http.ResponseWriter, r *http.Request) {
	gid, err := strconv.ParseInt(chi.URLParam(r, "grantID"), 10, 64)
	if err != nil {
		writeError(w, apperr.New(apperr.NotFound, "Not found: permission %q.", truncate(chi.URLParam(r, "grantID"), 40)))
		return
	}
	err = h.svc.RevokeGrant(r.Context(), chi.URLParam(r, "id"), gid)
	h.reply(w, http.StatusNoContent, nil, err)
}

// documentFile hands out an indexed file as a download, never as a page
// of this site.
func (h *Handler) documentFile(w http.ResponseWriter, r *http.Request) {
	f, err := h.svc.DocumentFile(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		h.reply(w, 0, nil, err)
		return
	}
	defer f.Close()
	file, err := os.Open(f.Path)
	if err != nil {
		writeError(w, apperr.Wrap(err, apperr.PathUnreadable, "%s cannot be read.", f.Name))
		return
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() {
		writeError(w, apperr.New(apperr.PathUnreadable, "%s cannot be read.", f.Name))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Security-Policy", "sandbox")
	http.ServeContent(w, r, "", st.ModTime(), file)
}

func (h *Handler) getSharing(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.GetSharing(r.Context())
	h.reply(w, http.StatusOK, st, err)
}

func (h *Handler) updateSharing(w http.ResponseWriter, r *http.Request) {
	var req service.UpdateSharingRequest
	if !h.decode(w, r, &req) {
		return
	}
	st, err := h.svc.UpdateSharing(r.Context(), req)
	h.reply(w, http.StatusOK, st, err)
}

func (h *Handler) auditLog(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, apperr.Field(apperr.InvalidArgument, "limit", "limit must be a whole number from 1 to 1000."))
			return
		}
		limit = n
	}
	list, err := h.svc.AuditLog(r.Context(), limit)
	h.reply(w, http.StatusOK, list, err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
