package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/auth"
	"github.com/quarry-search/quarry/backend/store"
)

// Limits on account fields.
const (
	MinPasswordLength = 10
	// MaxPasswordLength bounds the work one sign-in costs.
	MaxPasswordLength = 1024
	MaxUsernameLength = 64
)

// User is an account as clients see it; its password never leaves the
// store.
type User struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	IsAdmin     bool       `json:"is_admin"`
	IsActive    bool       `json:"is_active"`
	IsLocal     bool       `json:"is_local"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

func userFromStore(u store.User) User {
	return User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, IsAdmin: u.IsAdmin, IsActive: u.IsActive,
		IsLocal: u.IsLocal, CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt}
}

// Session is what signing in gives: a short-lived access token and the
// refresh token that renews it.
type Session struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	User         User   `json:"user"`
	// AccessExpires and RefreshExpires are for the adapter's cookies.
	AccessExpires  time.Time `json:"-"`
	RefreshExpires time.Time `json:"-"`
}

// LoginRequest signs in with a user name and password.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// RefreshRequest renews a session; the adapter may fill the token from a
// cookie.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token,omitempty"`
}

// Me is who the caller is.
type Me struct {
	// Mode is "owner" (the desktop window or the loopback API: no sign-in)
	// or "lan".
	Mode   string     `json:"mode"`
	User   User       `json:"user"`
	APIKey *APIKeyRef `json:"api_key,omitempty"`
}

// APIKeyRef names the API key a request came with.
type APIKeyRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// accounts is the sign-in state: the token signer, made on first use,
// and the lockouts.
type accounts struct {
	once    sync.Once
	signer  *auth.Signer
	err     error
	keyPath string
	byName  *auth.Lockout
	byAddr  *auth.Lockout
}

func newAccounts(dir string) *accounts {
	byAddr := auth.NewLockout()
	// Colleagues behind one address (an office NAT) share its count.
	byAddr.Free = 20
	keyPath := ""
	if dir != "" {
		keyPath = filepath.Join(dir, "token.key")
	}
	return &accounts{keyPath: keyPath, byName: auth.NewLockout(), byAddr: byAddr}
}

func (s *Service) signer() (*auth.Signer, error) {
	a := s.accounts
	a.once.Do(func() {
		var key []byte
		if a.keyPath == "" {
			// No data directory (repository-level use): a key for this
			// run only.
			var sec string
			sec, a.err = auth.Secret(48)
			key = []byte(sec)
		} else {
			key, a.err = auth.LoadOrCreateKey(a.keyPath)
		}
		if a.err == nil {
			a.signer, a.err = auth.NewSigner(key)
		}
	})
	if a.err != nil {
		return nil, s.internal("load signing key", a.err)
	}
	return a.signer, nil
}

var errBadLogin = apperr.New(apperr.Unauthenticated, "Wrong user name or password.")

// Login checks a user name and password and starts a session. Failures
// lock the account and the client address for a growing time.
func (s *Service) Login(ctx context.Context, req LoginRequest, address string) (Session, error) {
	name := strings.TrimSpace(req.Username)
	nameKey, addrKey := "u:"+strings.ToLower(name), "a:"+address
	if wait := max(s.accounts.byName.Wait(nameKey), s.accounts.byAddr.Wait(addrKey)); wait > 0 {
		return Session{}, lockedOut(wait)
	}
	if name == "" || len(name) > 4*MaxUsernameLength || req.Password == "" || len(req.Password) > MaxPasswordLength {
		return Session{}, errBadLogin
	}
	var u store.User
	err := store.ErrNotFound
	if _, bad := cleanUsername(name); bad == nil {
		// A name no account can have is not looked up: it is a wrong
		// name, and costs the same time.
		u, err = s.store.UserByName(ctx, name)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && (!u.IsActive || u.PasswordHash == "")):
		// As slow as a real check: timing says nothing of which names
		// exist.
		auth.BurnPasswordCheck(req.Password)
		err = auth.ErrMismatch
	case err != nil:
		return Session{}, s.internal("sign in", err)
	default:
		err = auth.VerifyPassword(u.PasswordHash, req.Password)
	}
	if errors.Is(err, auth.ErrMismatch) {
		lock := max(s.accounts.byName.Fail(nameKey), s.accounts.byAddr.Fail(addrKey))
		actx := store.WithAuditSource(ctx, address, truncate(name, MaxUsernameLength))
		_ = s.store.Audit(actx, "", 0, "auth.login_failed", map[string]any{"username": truncate(name, MaxUsernameLength)})
		if lock > 0 {
			_ = s.store.Audit(actx, "", 0, "auth.lockout", map[string]any{"username": truncate(name, MaxUsernameLength), "seconds": int(lock.Seconds())})
			s.logger.Warn("sign-in locked", "username", truncate(name, MaxUsernameLength), "address", address, "for", lock)
		}
		return Session{}, errBadLogin
	}
	if err != nil {
		return Session{}, s.internal("sign in", err)
	}
	s.accounts.byName.Succeed(nameKey)
	s.accounts.byAddr.Succeed(addrKey)
	sess, err := s.newSession(ctx, u)
	if err != nil {
		return Session{}, err
	}
	_ = s.store.RecordLogin(ctx, u.ID)
	_ = s.store.Audit(store.WithAuditSource(ctx, address, u.Username), "", u.ID, "auth.login", map[string]any{})
	return sess, nil
}

func lockedOut(wait time.Duration) error {
	secs := int(wait.Round(time.Second).Seconds())
	if secs < 1 {
		secs = 1
	}
	e := apperr.New(apperr.RateLimited, "Too many wrong passwords: try again in %s.", humanSeconds(secs))
	e.RetryAfter = secs
	return e
}

func humanSeconds(secs int) string {
	switch {
	case secs < 90:
		return fmt.Sprintf("%d seconds", secs)
	default:
		return fmt.Sprintf("%d minutes", (secs+59)/60)
	}
}

// newSession issues an access token and the first refresh token of a new
// family.
func (s *Service) newSession(ctx context.Context, u store.User) (Session, error) {
	sg, err := s.signer()
	if err != nil {
		return Session{}, err
	}
	refresh, err := auth.Secret(32)
	if err != nil {
		return Session{}, s.internal("sign in", err)
	}
	rexp := time.Now().Add(auth.RefreshTTL)
	family, err := s.store.CreateRefreshToken(ctx, u.ID, auth.Digest(refresh), rexp)
	if err != nil {
		return Session{}, s.internal("sign in", err)
	}
	return s.session(sg, u, refresh, rexp, family)
}

func (s *Service) session(sg *auth.Signer, u store.User, refresh string, rexp time.Time, family string) (Session, error) {
	tok, exp, err := sg.Issue(u.ID, u.Username, u.SessionsAfter.UnixMicro(), family)
	if err != nil {
		return Session{}, s.internal("sign in", err)
	}
	return Session{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(time.Until(exp).Round(time.Second).Seconds()),
		RefreshToken: refresh, User: userFromStore(u), AccessExpires: exp, RefreshExpires: rexp}, nil
}

var errSessionOver = apperr.New(apperr.Unauthenticated, "Your session has ended: sign in again.")

// Refresh spends a refresh token and returns a new session of the same
// family. A token spent already was copied: the whole family is revoked,
// and whoever holds it signs in again.
func (s *Service) Refresh(ctx context.Context, req RefreshRequest, address string) (Session, error) {
	if req.RefreshToken == "" || len(req.RefreshToken) > 256 {
		return Session{}, errSessionOver
	}
	sg, err := s.signer()
	if err != nil {
		return Session{}, err
	}
	next, err := auth.Secret(32)
	if err != nil {
		return Session{}, s.internal("refresh", err)
	}
	rexp := time.Now().Add(auth.RefreshTTL)
	uid, err := s.store.RotateRefreshToken(store.WithAuditSource(ctx, address, ""), auth.Digest(req.RefreshToken), auth.Digest(next), rexp)
	switch {
	case errors.Is(err, store.ErrTokenReused):
		s.logger.Warn("a spent refresh token was presented; its sessions are revoked", "address", address)
		return Session{}, errSessionOver
	case errors.Is(err, store.ErrNotFound):
		return Session{}, errSessionOver
	case err != nil:
		return Session{}, s.internal("refresh", err)
	}
	u, err := s.store.GetUser(ctx, uid)
	if err != nil {
		return Session{}, errSessionOver
	}
	family, err := s.store.RefreshFamily(ctx, auth.Digest(next))
	if err != nil {
		return Session{}, s.internal("refresh", err)
	}
	return s.session(sg, u, next, rexp, family)
}

// Logout revokes the session the refresh token belongs to.
func (s *Service) Logout(ctx context.Context, req RefreshRequest) error {
	if req.RefreshToken == "" || len(req.RefreshToken) > 256 {
		return nil
	}
	uid, err := s.store.RevokeRefreshFamily(ctx, auth.Digest(req.RefreshToken))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return s.internal("sign out", err)
	}
	_ = s.store.Audit(ctx, "", uid, "auth.logout", map[string]any{})
	return nil
}

var errNoCredentials = apperr.New(apperr.Unauthenticated, "Sign in first.")

// Authenticate turns a bearer credential (an access token or an API key)
// into the principal a request runs as.
func (s *Service) Authenticate(ctx context.Context, bearer, address string) (Principal, error) {
	if bearer == "" || len(bearer) > 4096 {
		return Principal{}, errNoCredentials
	}
	if auth.IsAPIKey(bearer) {
		k, u, err := s.store.APIKeyByHash(ctx, auth.Digest(bearer))
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, apperr.New(apperr.Unauthenticated, "This API key is not valid (unknown, expired or revoked).")
		}
		if err != nil {
			return Principal{}, s.internal("check API key", err)
		}
		return Principal{UserID: u.ID, Username: u.Username, APIKeyID: k.ID, APIKeyName: k.Name, Address: address}, nil
	}
	sg, err := s.signer()
	if err != nil {
		return Principal{}, err
	}
	c, err := sg.Parse(bearer)
	if err != nil {
		return Principal{}, apperr.New(apperr.Unauthenticated, "Your sign-in has expired: sign in again.")
	}
	// The account as it is now: a disabled user is out at once, and
	// administrator rights follow the account, not the token.
	u, err := s.store.GetUser(ctx, c.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!u.IsActive || c.Generation != u.SessionsAfter.UnixMicro())) {
		return Principal{}, errSessionOver
	}
	if err != nil {
		return Principal{}, s.internal("check sign-in", err)
	}
	// Signed out (or the sign-in's refresh token was stolen and reused):
	// its access tokens end with it.
	live, err := s.store.SessionLive(ctx, c.Family)
	if err != nil {
		return Principal{}, s.internal("check sign-in", err)
	}
	if !live {
		return Principal{}, errSessionOver
	}
	return Principal{UserID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin, Address: address}, nil
}

// Me says who the caller is.
func (s *Service) Me(ctx context.Context) (Me, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		u, err := s.store.GetUser(ctx, s.localUser)
		if err != nil {
			return Me{}, s.internal("who am I", err)
		}
		out := userFromStore(u)
		out.IsAdmin = true
		return Me{Mode: "owner", User: out}, nil
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return Me{}, s.storeError("who am I", err, "user")
	}
	me := Me{Mode: "lan", User: userFromStore(u)}
	if p.APIKeyID != "" {
		me.User.IsAdmin = false
		me.APIKey = &APIKeyRef{ID: p.APIKeyID, Name: p.APIKeyName}
	}
	return me, nil
}

// CreateUserRequest makes an account.
type CreateUserRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name,omitempty"`
	IsAdmin     bool   `json:"is_admin,omitempty"`
}

// UpdateUserRequest changes the fields present. A new password or
// disabling the account ends its sessions.
type UpdateUserRequest struct {
	Password    *string `json:"password,omitempty"`
	IsActive    *bool   `json:"is_active,omitempty"`
	IsAdmin     *bool   `json:"is_admin,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
}

// ListUsers returns every account.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	if err := s.needAdmin(ctx); err != nil {
		return nil, err
	}
	list, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, s.internal("list users", err)
	}
	out := make([]User, len(list))
	for i, u := range list {
		out[i] = userFromStore(u)
	}
	return out, nil
}

// CreateUser makes an account.
func (s *Service) CreateUser(ctx context.Context, req CreateUserRequest) (User, error) {
	if err := s.needAdmin(ctx); err != nil {
		return User{}, err
	}
	name, err := cleanUsername(req.Username)
	if err != nil {
		return User{}, err
	}
	display, err := cleanDisplayName(req.DisplayName)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hashPassword(req.Password)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.CreateUser(ctx, store.NewUser{Username: name, DisplayName: display, PasswordHash: hash, IsAdmin: req.IsAdmin}, s.actor(ctx))
	if errors.Is(err, store.ErrNameTaken) {
		return User{}, apperr.Field(apperr.NameTaken, "username", "There is already a user called %q.", name)
	}
	if err != nil {
		return User{}, s.internal("create user", err)
	}
	s.logger.Info("user created", "username", u.Username, "admin", u.IsAdmin)
	return userFromStore(u), nil
}

// UpdateUser resets a password, disables or enables an account, or
// changes its rights.
func (s *Service) UpdateUser(ctx context.Context, id int64, req UpdateUserRequest) (User, error) {
	if err := s.needAdmin(ctx); err != nil {
		return User{}, err
	}
	var upd store.UserUpdate
	if req.DisplayName != nil {
		d, err := cleanDisplayName(*req.DisplayName)
		if err != nil {
			return User{}, err
		}
		upd.DisplayName = &d
	}
	if req.Password != nil {
		hash, err := s.hashPassword(*req.Password)
		if err != nil {
			return User{}, err
		}
		upd.PasswordHash = &hash
	}
	if p, ok := PrincipalFrom(ctx); ok && p.UserID == id && ((req.IsActive != nil && !*req.IsActive) || (req.IsAdmin != nil && !*req.IsAdmin)) {
		return User{}, apperr.New(apperr.Conflict, "You cannot disable your own account or take away your own administrator rights.")
	}
	upd.IsActive, upd.IsAdmin = req.IsActive, req.IsAdmin
	u, err := s.store.UpdateUser(ctx, id, upd, s.actor(ctx))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return User{}, apperr.New(apperr.NotFound, "Not found: user %d.", id)
	case errors.Is(err, store.ErrLocalUser):
		return User{}, apperr.New(apperr.Conflict, "The owner of this Quarry stays an active administrator.")
	case err != nil:
		return User{}, s.internal("update user", err)
	}
	return userFromStore(u), nil
}

func (s *Service) hashPassword(pw string) (string, error) {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return "", apperr.Field(apperr.InvalidArgument, "password", "The password is not valid UTF-8 text.")
	case n < MinPasswordLength:
		return "", apperr.Field(apperr.InvalidArgument, "password", "The password needs at least %d characters; it has %d.", MinPasswordLength, n)
	case len(pw) > MaxPasswordLength:
		return "", apperr.Field(apperr.InvalidArgument, "password", "The password may have at most %d bytes.", MaxPasswordLength)
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return "", s.internal("hash password", err)
	}
	return h, nil
}

func cleanUsername(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		return "", apperr.Field(apperr.InvalidArgument, "username", "A user needs a name.")
	case len(name) > MaxUsernameLength:
		return "", apperr.Field(apperr.InvalidArgument, "username", "The user name may have at most %d characters.", MaxUsernameLength)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)) {
			return "", apperr.Field(apperr.InvalidArgument, "username", "A user name may hold letters, digits and . _ - @ only.")
		}
	}
	return name, nil
}

func cleanDisplayName(raw string) (string, error) {
	d := strings.TrimSpace(raw)
	switch {
	case !utf8.ValidString(d):
		return "", apperr.Field(apperr.InvalidArgument, "display_name", "The display name is not valid UTF-8 text.")
	case utf8.RuneCountInString(d) > 128:
		return "", apperr.Field(apperr.InvalidArgument, "display_name", "The display name may have at most 128 characters.")
	case strings.ContainsFunc(d, isControl):
		return "", apperr.Field(apperr.InvalidArgument, "display_name", "The display name must not contain control characters.")
	}
	return d, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
