package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

// sharedSetup makes two collections and a colleague, bob, who may read
// the first.
func sharedSetup(t *testing.T) (svc *service.Service, bus *events.Bus, a, b service.Collection, bob context.Context) {
	t.Helper()
	bus = events.New()
	svc, err := service.New(t.Context(), service.Info{Version: "test"}, service.Deps{Store: testenv.Store(t), Bus: bus, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	owner := t.Context()
	if a, err = svc.CreateCollection(owner, service.CreateCollectionRequest{Name: "Shared"}); err != nil {
		t.Fatal(err)
	}
	if b, err = svc.CreateCollection(owner, service.CreateCollectionRequest{Name: "Private"}); err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(owner, service.CreateUserRequest{Username: "bob", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantAccess(owner, a.ID, service.GrantRequest{Username: "bob", Permission: service.LevelRead}); err != nil {
		t.Fatal(err)
	}
	bob = service.WithPrincipal(owner, service.Principal{UserID: u.ID, Username: "bob", Address: "192.0.2.7"})
	return svc, bus, a, b, bob
}

func TestColleagueSeesOnlyWhatIsShared(t *testing.T) {
	svc, _, a, b, bob := sharedSetup(t)

	list, err := svc.ListCollections(bob)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != a.ID || list[0].Permission != service.LevelRead {
		t.Fatalf("bob lists %+v, want only Shared at read", list)
	}
	_, hidden := svc.GetCollection(bob, b.ID)
	_, missing := svc.GetCollection(bob, "4f7c2b1e-0000-4000-8000-000000000000")
	wantCode(t, hidden, apperr.NotFound, "")
	if strings.Contains(apperr.From(hidden).Message, b.Name) ||
		strings.ReplaceAll(apperr.From(hidden).Message, b.ID, "ID") != strings.ReplaceAll(apperr.From(missing).Message, "4f7c2b1e-0000-4000-8000-000000000000", "ID") {
		t.Errorf("an unshared collection reads %q, a missing one %q: they must not differ", apperr.From(hidden).Message, apperr.From(missing).Message)
	}
	_, err = svc.DeleteCollection(bob, a.ID)
	wantCode(t, err, apperr.Forbidden, "")
	_, err = svc.DeleteCollection(bob, b.ID)
	wantCode(t, err, apperr.NotFound, "")
	_, err = svc.UpdateCollection(bob, a.ID, service.UpdateCollectionRequest{Name: ptr("Mine now")})
	wantCode(t, err, apperr.Forbidden, "")
	if got, _ := svc.GetCollection(t.Context(), a.ID); got.Name != "Shared" {
		t.Errorf("a refused rename changed the name to %q", got.Name)
	}
	_, err = svc.CreateCollection(bob, service.CreateCollectionRequest{Name: "Bob's"})
	wantCode(t, err, apperr.Forbidden, "")
	_, err = svc.AddSource(bob, a.ID, service.AddSourceRequest{Path: "/etc"})
	wantCode(t, err, apperr.Forbidden, "")
	_, err = svc.ListUsers(bob)
	wantCode(t, err, apperr.Forbidden, "")
	_, err = svc.GetSettings(bob)
	wantCode(t, err, apperr.Forbidden, "")
	_, err = svc.OpenDocument(bob, service.OpenDocumentRequest{DocumentID: "4f7c2b1e-0000-4000-8000-000000000000"})
	wantCode(t, err, apperr.Forbidden, "")

	// Searching names only what bob may read.
	_, err = svc.Search(bob, service.SearchRequest{Query: "x", CollectionIDs: []string{b.ID}})
	wantCode(t, err, apperr.NotFound, "")

	// Status hides where the owner keeps data.
	if st, _ := svc.Status(bob); st.DataDir != "" || st.Desktop {
		t.Errorf("status for a colleague = %+v", st)
	}
}

func TestPublicAndWriteLevels(t *testing.T) {
	svc, _, a, b, bob := sharedSetup(t)
	if _, err := svc.UpdateCollection(t.Context(), b.ID, service.UpdateCollectionRequest{IsPublic: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetCollection(bob, b.ID)
	if err != nil || got.Permission != service.LevelRead || !got.IsPublic {
		t.Fatalf("public collection for bob: %+v, %v", got, err)
	}
	// Write lets bob pause and rescan, not delete.
	if _, err := svc.GrantAccess(t.Context(), a.ID, service.GrantRequest{Username: "bob", Permission: service.LevelWrite}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.RescanCollection(bob, a.ID)
	// No indexer runs here: past the permission check, the answer is
	// that indexing is not running.
	wantCode(t, err, apperr.Unavailable, "")
	_, err = svc.DeleteCollection(bob, a.ID)
	wantCode(t, err, apperr.Forbidden, "")
}

func TestAPIKeyNeverExceedsItsUser(t *testing.T) {
	svc, _, a, b, bob := sharedSetup(t)
	_, err := svc.CreateAPIKey(bob, service.CreateAPIKeyRequest{Name: "script", Permission: service.LevelWrite, CollectionIDs: []string{a.ID}})
	wantCode(t, err, apperr.Forbidden, "")
	_, err = svc.CreateAPIKey(bob, service.CreateAPIKeyRequest{Name: "script", Permission: service.LevelRead, CollectionIDs: []string{b.ID}})
	wantCode(t, err, apperr.NotFound, "")
	k, err := svc.CreateAPIKey(bob, service.CreateAPIKeyRequest{Name: "script", Permission: service.LevelRead, CollectionIDs: []string{a.ID}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(t.Context(), k.Secret, "192.0.2.8")
	if err != nil {
		t.Fatal(err)
	}
	key := service.WithPrincipal(t.Context(), p)
	list, err := svc.ListCollections(key)
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("key lists %+v, %v", list, err)
	}
	_, err = svc.CreateAPIKey(key, service.CreateAPIKeyRequest{Name: "child", Permission: service.LevelRead, CollectionIDs: []string{a.ID}})
	wantCode(t, err, apperr.Forbidden, "")
	if err := svc.DeleteAPIKey(bob, k.Key.ID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Authenticate(t.Context(), k.Secret, "192.0.2.8")
	wantCode(t, err, apperr.Unauthenticated, "")
}

func TestEventsForAColleague(t *testing.T) {
	svc, bus, a, b, bob := sharedSetup(t)
	ctx, cancel := context.WithCancel(bob)
	defer cancel()
	ch, stop := svc.EventsFor(ctx)
	defer stop()
	bus.Publish(events.Event{Topic: events.CollectionChanged, Data: b.ID})
	bus.Publish(events.Event{Topic: events.OperationProgress, Data: indexer.Progress{CollectionID: b.ID, CurrentFile: "/secret/plans.txt"}})
	bus.Publish(events.Event{Topic: events.ModelDownload, Data: map[string]any{"model": "x"}})
	bus.Publish(events.Event{Topic: events.OperationProgress, Data: indexer.Progress{CollectionID: a.ID}})
	bus.Publish(events.Event{Topic: events.CollectionChanged, Data: a.ID})
	var got []events.Event
	timeout := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case e := <-ch:
			got = append(got, e)
		case <-timeout:
			t.Fatalf("got %d events, want 2", len(got))
		}
	}
	for _, e := range got {
		if p, ok := e.Data.(indexer.Progress); ok && p.CollectionID != a.ID {
			t.Errorf("bob heard of another collection: %+v", e)
		}
		if id, ok := e.Data.(string); ok && id != a.ID {
			t.Errorf("bob heard of another collection: %+v", e)
		}
	}
	select {
	case e := <-ch:
		t.Errorf("an extra event reached bob: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestLoginLockoutAndRefreshReuse(t *testing.T) {
	svc, _, _, _, _ := sharedSetup(t)
	ctx := t.Context()
	s, err := svc.Login(ctx, service.LoginRequest{Username: "BOB", Password: "correct horse battery"}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	next, err := svc.Refresh(ctx, service.RefreshRequest{RefreshToken: s.RefreshToken}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Refresh(ctx, service.RefreshRequest{RefreshToken: s.RefreshToken}, "192.0.2.9")
	wantCode(t, err, apperr.Unauthenticated, "")
	_, err = svc.Refresh(ctx, service.RefreshRequest{RefreshToken: next.RefreshToken}, "192.0.2.9")
	wantCode(t, err, apperr.Unauthenticated, "")

	for i := range 5 {
		_, err := svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "wrong password"}, "192.0.2.10")
		if e := apperr.From(err); e == nil || e.Code != apperr.Unauthenticated {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	_, err = svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "wrong password"}, "192.0.2.10")
	var ae *apperr.Error
	if !errors.As(err, &ae) || (ae.Code != apperr.Unauthenticated && ae.Code != apperr.RateLimited) {
		t.Fatalf("sixth try: %v", err)
	}
	_, err = svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "correct horse battery"}, "192.0.2.11")
	if e := apperr.From(err); e == nil || e.Code != apperr.RateLimited || e.RetryAfter < 1 {
		t.Fatalf("the right password while locked: %v, want rate_limited with retry_after", err)
	}
	entries, err := svc.AuditLog(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
		if e.Action == "auth.login" && e.Address != "192.0.2.9" {
			t.Errorf("login recorded from %q", e.Address)
		}
	}
	for _, want := range []string{"auth.login", "auth.login_failed", "auth.lockout", "auth.refresh_reuse", "permission.grant", "user.create"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s: %v", want, seen)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestNewPasswordEndsAccessTokens(t *testing.T) {
	svc, _, _, _, _ := sharedSetup(t)
	ctx := t.Context()
	s, err := svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "correct horse battery"}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, s.AccessToken, "192.0.2.9"); err != nil {
		t.Fatal(err)
	}
	// Tokens carry their second of issue: make the reset fall in a later one.
	time.Sleep(1100 * time.Millisecond)
	if _, err := svc.UpdateUser(ctx, s.User.ID, service.UpdateUserRequest{Password: ptr("a brand new password")}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Authenticate(ctx, s.AccessToken, "192.0.2.9")
	wantCode(t, err, apperr.Unauthenticated, "")
	_, err = svc.Refresh(ctx, service.RefreshRequest{RefreshToken: s.RefreshToken}, "192.0.2.9")
	wantCode(t, err, apperr.Unauthenticated, "")
	s2, err := svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "a brand new password"}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, s2.AccessToken, "192.0.2.9"); err != nil {
		t.Fatalf("a token issued after the reset: %v", err)
	}
}

func TestSignOutEndsTheAccessToken(t *testing.T) {
	svc, _, _, _, _ := sharedSetup(t)
	ctx := t.Context()
	s, err := svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "correct horse battery"}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.Login(ctx, service.LoginRequest{Username: "bob", Password: "correct horse battery"}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := svc.Refresh(ctx, service.RefreshRequest{RefreshToken: s.RefreshToken}, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	// Rotation keeps the sign-in: both its access tokens work.
	for _, tok := range []string{s.AccessToken, renewed.AccessToken} {
		if _, err := svc.Authenticate(ctx, tok, "192.0.2.9"); err != nil {
			t.Fatalf("a token of a live sign-in: %v", err)
		}
	}
	if err := svc.Logout(ctx, service.RefreshRequest{RefreshToken: renewed.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{s.AccessToken, renewed.AccessToken} {
		_, err = svc.Authenticate(ctx, tok, "192.0.2.9")
		wantCode(t, err, apperr.Unauthenticated, "")
	}
	// Another sign-in of the same user goes on.
	if _, err := svc.Authenticate(ctx, other.AccessToken, "192.0.2.9"); err != nil {
		t.Fatalf("signing out one browser ended another: %v", err)
	}
}
