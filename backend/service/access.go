package service

import (
	"context"
	"slices"
	"strings"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/store"
)

// Permission levels on a collection, weakest first. A level includes
// every weaker one.
const (
	LevelRead  = "read"
	LevelWrite = "write"
	LevelAdmin = "admin"
)

// Levels lists the permission levels, weakest first.
var Levels = []string{LevelRead, LevelWrite, LevelAdmin}

// rank orders levels; 0 is none.
func rank(level string) int { return slices.Index(Levels, level) + 1 }

// Principal is who makes a request over the LAN: a signed-in user, or an
// API key acting for its user. A context without one is the desktop
// owner's (the window and the loopback API), who may do everything.
type Principal struct {
	UserID   int64
	Username string
	// IsAdmin is a Quarry administrator's: every collection, users,
	// settings, models and sharing. Never set for an API key, which
	// reaches only the collections it names.
	IsAdmin bool
	// APIKeyID is set when an API key makes the request.
	APIKeyID   string
	APIKeyName string
	// Address is the client's, for the audit log.
	Address string
}

type principalKey struct{}

// WithPrincipal returns a context in which p makes the request: what it
// may see and do is checked against its permissions, and what it changes
// is recorded in its name, with its address.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	ctx = WithActor(ctx, p.UserID)
	return store.WithAuditSource(ctx, p.Address, p.Username)
}

// PrincipalFrom returns the request's principal; ok is false for the
// desktop owner.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// levels returns the caller's level on every collection it can see; all
// is true for the desktop owner and Quarry admins signed in as
// themselves, who see every collection at admin level.
func (s *Service) levels(ctx context.Context) (levels map[string]string, all bool, err error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || (p.IsAdmin && p.APIKeyID == "") {
		return nil, true, nil
	}
	m, err := s.store.AccessLevels(ctx, p.UserID, p.APIKeyID)
	if err != nil {
		return nil, false, s.internal("check access", err)
	}
	return m, false, nil
}

// level returns the caller's level on one collection; "" when it has none
// (or there is no such collection, for callers who are not the owner).
func (s *Service) level(ctx context.Context, collectionID string) (string, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok || (p.IsAdmin && p.APIKeyID == "") {
		return LevelAdmin, nil
	}
	l, err := s.store.AccessLevel(ctx, p.UserID, p.APIKeyID, collectionID)
	if err != nil {
		return "", s.internal("check access", err)
	}
	return l, nil
}

// need checks that the caller holds at least want on the collection. A
// collection the caller cannot see is not found, with the same words as
// one that does not exist, so its existence does not leak; one it sees
// but may not change this way is forbidden.
func (s *Service) need(ctx context.Context, collectionID, want string) error {
	have, err := s.level(ctx, collectionID)
	if err != nil {
		return err
	}
	switch {
	case have == "":
		return s.storeError("check access", store.ErrNotFound, "collection "+collectionID)
	case rank(have) < rank(want):
		return apperr.New(apperr.Forbidden, "You have %s access to this collection; this needs %s access. Ask its owner.", have, want)
	}
	return nil
}

// needAdmin checks that the caller is the desktop owner or a Quarry
// administrator (signed in as themselves, not with an API key).
func (s *Service) needAdmin(ctx context.Context) error {
	p, ok := PrincipalFrom(ctx)
	if !ok || (p.IsAdmin && p.APIKeyID == "") {
		return nil
	}
	return apperr.New(apperr.Forbidden, "Only a Quarry administrator can do this.")
}

// CanSee reports whether the caller may see the collection: the events
// stream uses it to drop what belongs to collections not shared with the
// listener.
func (s *Service) CanSee(ctx context.Context, collectionID string) bool {
	l, err := s.level(ctx, collectionID)
	return err == nil && l != ""
}

// colleagueText rewords advice only the owner can follow (importing a
// model on the owner's machine) for a colleague, who can only wait.
var ownerAdvice = strings.NewReplacer(
	"not installed: import it with quarry import-model", "not installed here yet; the owner can install it",
	": import it from a folder with quarry import-model", " here yet; the owner can install it",
	", or import it with quarry import-model", "",
	", or import the model with quarry import-model", "",
)

func (s *Service) forCaller(ctx context.Context, msg string) string {
	if msg == "" || s.IsAdmin(ctx) {
		return msg
	}
	return ownerAdvice.Replace(msg)
}

// IsAdmin reports whether the caller is the desktop owner or a Quarry
// administrator.
func (s *Service) IsAdmin(ctx context.Context) bool { return s.needAdmin(ctx) == nil }
