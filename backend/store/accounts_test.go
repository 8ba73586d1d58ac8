package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

// digest is what callers store for a secret: its SHA-256, hex.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func localUser(t testing.TB, s *store.Store) int64 {
	t.Helper()
	id, err := s.LocalUserID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustUser(t testing.TB, s *store.Store, name string, admin bool) store.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), store.NewUser{
		Username: name, DisplayName: strings.ToUpper(name), PasswordHash: "$argon2id$" + name, IsAdmin: admin,
	}, localUser(t, s))
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// lastEntry returns the newest audit entry with action, failing when none.
func lastEntry(t testing.TB, s *store.Store, collectionID, action string) store.AuditEntry {
	t.Helper()
	log, err := s.AuditLog(context.Background(), collectionID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no audit entry %s", action)
	return store.AuditEntry{}
}

func ptr[T any](v T) *T { return &v }

func TestUsers(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	local := localUser(t, s)

	alice := mustUser(t, s, "Alice", false)
	if alice.ID == 0 || alice.Username != "Alice" || alice.DisplayName != "ALICE" || alice.IsAdmin ||
		!alice.IsActive || alice.IsLocal || alice.PasswordHash != "$argon2id$Alice" || alice.LastLoginAt != nil {
		t.Errorf("created = %+v", alice)
	}

	t.Run("create is audited without a collection", func(t *testing.T) {
		e := lastEntry(t, s, "", "user.create")
		if e.CollectionID != nil || e.UserID == nil || *e.UserID != local ||
			e.Details["username"] != "Alice" || e.Details["is_admin"] != false {
			t.Errorf("entry = %+v", e)
		}
	})

	t.Run("usernames are unique regardless of case", func(t *testing.T) {
		for _, name := range []string{"Alice", "alice", "ALICE"} {
			if _, err := s.CreateUser(ctx, store.NewUser{Username: name}, local); !errors.Is(err, store.ErrNameTaken) {
				t.Errorf("create %q: err = %v, want ErrNameTaken", name, err)
			}
		}
	})

	t.Run("lookups", func(t *testing.T) {
		got, err := s.UserByName(ctx, "aLiCe")
		if err != nil || got.ID != alice.ID {
			t.Errorf("UserByName = %+v, %v; want id %d", got, err, alice.ID)
		}
		if _, err := s.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByName(nobody) err = %v, want ErrNotFound", err)
		}
		if got, err := s.GetUser(ctx, alice.ID); err != nil || got.Username != "Alice" {
			t.Errorf("GetUser = %+v, %v", got, err)
		}
		if _, err := s.GetUser(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(999999) err = %v, want ErrNotFound", err)
		}
		l, err := s.GetUser(ctx, local)
		if err != nil || !l.IsLocal || !l.IsAdmin || l.PasswordHash != "" {
			t.Errorf("local user = %+v, %v", l, err)
		}
		mustUser(t, s, "bob", false)
		list, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range list {
			names = append(names, u.Username)
		}
		if got, want := strings.Join(names, ","), "local,Alice,bob"; got != want {
			t.Errorf("ListUsers = %s, want %s", got, want)
		}
	})

	t.Run("update", func(t *testing.T) {
		got, err := s.UpdateUser(ctx, alice.ID, store.UserUpdate{DisplayName: ptr("Alice A."), IsAdmin: ptr(true)}, local)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != "Alice A." || !got.IsAdmin || got.PasswordHash != alice.PasswordHash {
			t.Errorf("updated = %+v", got)
		}
		e := lastEntry(t, s, "", "user.update")
		if e.Details["username"] != "Alice" || !sameStrings(e.Details["changed"], "display_name", "is_admin") {
			t.Errorf("entry details = %v", e.Details)
		}
		if _, err := s.UpdateUser(ctx, 999999, store.UserUpdate{IsAdmin: ptr(true)}, local); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update unknown: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("the local user stays active and admin", func(t *testing.T) {
		for _, upd := range []store.UserUpdate{
			{IsActive: ptr(false)},
			{IsAdmin: ptr(false)},
			{IsActive: ptr(false), DisplayName: ptr("gone")},
		} {
			if _, err := s.UpdateUser(ctx, local, upd, local); !errors.Is(err, store.ErrLocalUser) {
				t.Errorf("update %+v: err = %v, want ErrLocalUser", upd, err)
			}
		}
		l, _ := s.GetUser(ctx, local)
		if !l.IsActive || !l.IsAdmin || l.DisplayName != "Local user" {
			t.Errorf("local user after refused updates = %+v", l)
		}
		// What does not lock it out is fine.
		got, err := s.UpdateUser(ctx, local, store.UserUpdate{DisplayName: ptr("Me"), PasswordHash: ptr("h"), IsAdmin: ptr(true)}, local)
		if err != nil || got.DisplayName != "Me" || got.PasswordHash != "h" {
			t.Errorf("allowed update = %+v, %v", got, err)
		}
	})

	t.Run("a new password ends every session", func(t *testing.T) {
		exp := time.Now().Add(time.Hour)
		if _, err := s.CreateRefreshToken(ctx, alice.ID, digest("a1"), exp); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateRefreshToken(ctx, alice.ID, digest("b1"), exp); err != nil {
			t.Fatal(err)
		}
		got, err := s.UpdateUser(ctx, alice.ID, store.UserUpdate{PasswordHash: ptr("$argon2id$new")}, alice.ID)
		if err != nil || got.PasswordHash != "$argon2id$new" {
			t.Fatalf("update = %+v, %v", got, err)
		}
		for _, old := range []string{"a1", "b1"} {
			if _, err := s.RotateRefreshToken(ctx, digest(old), digest(old+"-next"), exp); !errors.Is(err, store.ErrTokenReused) && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("rotate %s after password change: err = %v, want refused", old, err)
			}
		}
		e := lastEntry(t, s, "", "user.update")
		if !sameStrings(e.Details["changed"], "password") || strings.Contains(strings.Join(mapValues(e.Details), " "), "argon2id") {
			t.Errorf("entry details = %v", e.Details)
		}
	})

	t.Run("deactivation ends every session", func(t *testing.T) {
		bob, _ := s.UserByName(ctx, "bob")
		exp := time.Now().Add(time.Hour)
		if _, err := s.CreateRefreshToken(ctx, bob.ID, digest("bob1"), exp); err != nil {
			t.Fatal(err)
		}
		got, err := s.UpdateUser(ctx, bob.ID, store.UserUpdate{IsActive: ptr(false)}, local)
		if err != nil || got.IsActive {
			t.Fatalf("deactivate = %+v, %v", got, err)
		}
		// Reactivated, the old session stays over.
		if _, err := s.UpdateUser(ctx, bob.ID, store.UserUpdate{IsActive: ptr(true)}, local); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("bob1"), digest("bob2"), exp); err == nil {
			t.Errorf("rotate after deactivation succeeded")
		}
	})

	t.Run("record login", func(t *testing.T) {
		if err := s.RecordLogin(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetUser(ctx, alice.ID)
		if got.LastLoginAt == nil || time.Since(*got.LastLoginAt) > time.Minute {
			t.Errorf("last login = %v", got.LastLoginAt)
		}
		if err := s.RecordLogin(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("record login of unknown: err = %v, want ErrNotFound", err)
		}
	})
}

// sameStrings reports whether v, a decoded JSON array, holds exactly want
// in any order.
func sameStrings(v any, want ...string) bool {
	arr, ok := v.([]any)
	if !ok || len(arr) != len(want) {
		return false
	}
	var got []string
	for _, x := range arr {
		s, _ := x.(string)
		got = append(got, s)
	}
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	return slices.Equal(got, want)
}

func mapValues(m map[string]any) []string {
	var out []string
	for k, v := range m {
		out = append(out, k)
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
