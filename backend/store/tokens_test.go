package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

func TestRefreshTokens(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	alice := mustUser(t, s, "alice", false)
	exp := time.Now().Add(time.Hour)

	t.Run("rotate", func(t *testing.T) {
		fam, err := s.CreateRefreshToken(ctx, alice.ID, digest("r1"), exp)
		if err != nil || fam == "" {
			t.Fatalf("create = %q, %v", fam, err)
		}
		uid, err := s.RotateRefreshToken(ctx, digest("r1"), digest("r2"), exp)
		if err != nil || uid != alice.ID {
			t.Fatalf("rotate = %d, %v; want %d", uid, err, alice.ID)
		}
		uid, err = s.RotateRefreshToken(ctx, digest("r2"), digest("r3"), exp)
		if err != nil || uid != alice.ID {
			t.Fatalf("second rotate = %d, %v; want %d", uid, err, alice.ID)
		}
	})

	t.Run("reuse of a spent token revokes the family", func(t *testing.T) {
		if _, err := s.CreateRefreshToken(ctx, alice.ID, digest("other"), exp); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("r1"), digest("stolen"), exp); !errors.Is(err, store.ErrTokenReused) {
			t.Fatalf("reuse: err = %v, want ErrTokenReused", err)
		}
		// The newest token of the family, held by the rightful client, is
		// revoked with it.
		if _, err := s.RotateRefreshToken(ctx, digest("r3"), digest("r4"), exp); !errors.Is(err, store.ErrTokenReused) && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("newest of a revoked family: err = %v, want refused", err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("stolen"), digest("x"), exp); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the reused token's would-be successor: err = %v, want ErrNotFound", err)
		}
		e := lastEntry(t, s, "", "auth.refresh_reuse")
		if e.UserID == nil || *e.UserID != alice.ID || e.Username != "alice" {
			t.Errorf("reuse entry = %+v", e)
		}
		// Another sign-in of the same user is not touched.
		if _, err := s.RotateRefreshToken(ctx, digest("other"), digest("other2"), exp); err != nil {
			t.Errorf("other family: %v", err)
		}
	})

	t.Run("expired", func(t *testing.T) {
		if _, err := s.CreateRefreshToken(ctx, alice.ID, digest("old"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("old"), digest("old2"), exp); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		if _, err := s.RotateRefreshToken(ctx, digest("never issued"), digest("y"), exp); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
		if _, err := s.CreateRefreshToken(ctx, 999999, digest("orphan"), exp); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token of an unknown user: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("inactive user", func(t *testing.T) {
		bob := mustUser(t, s, "bob", false)
		if _, err := s.CreateRefreshToken(ctx, bob.ID, digest("bob"), exp); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pool().Exec(ctx, `UPDATE users SET is_active = false WHERE id = $1`, bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("bob"), digest("bob2"), exp); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("logout revokes the family", func(t *testing.T) {
		if _, err := s.CreateRefreshToken(ctx, alice.ID, digest("l1"), exp); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("l1"), digest("l2"), exp); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateRefreshToken(ctx, alice.ID, digest("m1"), exp); err != nil {
			t.Fatal(err)
		}
		// Logging out with the spent token still finds the session.
		uid, err := s.RevokeRefreshFamily(ctx, digest("l1"))
		if err != nil || uid != alice.ID {
			t.Fatalf("logout = %d, %v", uid, err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("l2"), digest("l3"), exp); err == nil {
			t.Errorf("rotate after logout succeeded")
		}
		if _, err := s.RevokeRefreshFamily(ctx, digest("unknown")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("logout unknown: err = %v, want ErrNotFound", err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("m1"), digest("m2"), exp); err != nil {
			t.Errorf("another session after logout: %v", err)
		}
	})

	t.Run("revoke every session", func(t *testing.T) {
		if err := s.RevokeUserSessions(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, digest("m2"), digest("m3"), exp); err == nil {
			t.Errorf("rotate after revoking every session succeeded")
		}
	})
}

func TestAPIKeys(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	local := localUser(t, s)
	alice := mustUser(t, s, "alice", false)
	bob := mustUser(t, s, "bob", false)
	c1, err := s.CreateCollection(ctx, newCollection("One", local), local)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.CreateCollection(ctx, newCollection("Two", local), local)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{c1.ID, c2.ID}
	slices.Sort(want)

	k, err := s.CreateAPIKey(ctx, store.NewAPIKey{
		UserID: alice.ID, Name: "laptop", Prefix: "qk_abcd", Hash: digest("secret1"), Permission: "write",
		CollectionIDs: []string{c2.ID, c1.ID, c2.ID},
	}, alice.ID)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if k.ID == "" || k.UserID != alice.ID || k.Username != "alice" || k.Name != "laptop" || k.Prefix != "qk_abcd" ||
		k.Permission != "write" || !slices.Equal(k.CollectionIDs, want) || !k.IsActive || k.LastUsedAt != nil || k.ExpiresAt != nil {
		t.Errorf("created = %+v", k)
	}
	e := lastEntry(t, s, "", "api_key.create")
	if e.CollectionID != nil || e.Details["name"] != "laptop" || e.Details["prefix"] != "qk_abcd" ||
		e.Details["permission"] != "write" || !sameStrings(e.Details["collections"], want...) {
		t.Errorf("create entry = %+v", e)
	}
	grants, err := s.ListGrants(ctx, c1.ID)
	if err != nil || len(grants) != 1 || grants[0].APIKeyID == nil || *grants[0].APIKeyID != k.ID ||
		*grants[0].APIKeyName != "laptop" || grants[0].Permission != "write" || grants[0].UserID != nil {
		t.Errorf("grants of c1 = %+v, %v", grants, err)
	}

	t.Run("lookup by hash", func(t *testing.T) {
		got, u, err := s.APIKeyByHash(ctx, digest("secret1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != k.ID || u.ID != alice.ID || u.Username != "alice" || !slices.Equal(got.CollectionIDs, want) {
			t.Errorf("lookup = %+v, %+v", got, u)
		}
		if got.LastUsedAt == nil {
			t.Fatalf("last used not recorded")
		}
		// Within the minute the use is not written again.
		again, _, err := s.APIKeyByHash(ctx, digest("secret1"))
		if err != nil || again.LastUsedAt == nil || !again.LastUsedAt.Equal(*got.LastUsedAt) {
			t.Errorf("second lookup last used = %v, %v; want %v", again.LastUsedAt, err, got.LastUsedAt)
		}
		if _, _, err := s.APIKeyByHash(ctx, digest("wrong")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("an unknown collection writes nothing", func(t *testing.T) {
		for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
			_, err := s.CreateAPIKey(ctx, store.NewAPIKey{
				UserID: alice.ID, Name: "bad", Prefix: "qk_bad", Hash: digest("bad" + id), Permission: "read",
				CollectionIDs: []string{c1.ID, id},
			}, alice.ID)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("collection %q: err = %v, want ErrNotFound", id, err)
			}
		}
		keys, _ := s.ListAPIKeys(ctx, alice.ID)
		if len(keys) != 1 {
			t.Errorf("keys after failed creates = %+v", keys)
		}
	})

	t.Run("expired", func(t *testing.T) {
		if _, err := s.CreateAPIKey(ctx, store.NewAPIKey{
			UserID: alice.ID, Name: "old", Prefix: "qk_old", Hash: digest("old"), Permission: "read",
			ExpiresAt: ptr(time.Now().Add(-time.Minute)),
		}, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.APIKeyByHash(ctx, digest("old")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("inactive key or user", func(t *testing.T) {
		bk, err := s.CreateAPIKey(ctx, store.NewAPIKey{
			UserID: bob.ID, Name: "bob's", Prefix: "qk_bob", Hash: digest("bob"), Permission: "read",
			CollectionIDs: []string{c1.ID},
		}, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.APIKeyByHash(ctx, digest("bob")); err != nil {
			t.Fatalf("active: %v", err)
		}
		if _, err := s.UpdateUser(ctx, bob.ID, store.UserUpdate{IsActive: ptr(false)}, local); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.APIKeyByHash(ctx, digest("bob")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("inactive user: err = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateUser(ctx, bob.ID, store.UserUpdate{IsActive: ptr(true)}, local); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pool().Exec(ctx, `UPDATE api_keys SET is_active = false WHERE id = $1`, bk.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.APIKeyByHash(ctx, digest("bob")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("inactive key: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		mine, err := s.ListAPIKeys(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 2 || mine[0].Name != "old" || mine[1].Name != "laptop" {
			t.Errorf("alice's keys (newest first) = %+v", mine)
		}
		all, err := s.ListAPIKeys(ctx, 0)
		if err != nil || len(all) != 3 || all[0].Username != "bob" {
			t.Errorf("every key = %+v, %v", all, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := s.DeleteAPIKey(ctx, k.ID, bob.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete by another user: err = %v, want ErrNotFound", err)
		}
		for _, id := range []string{"not-a-uuid", "00000000-0000-0000-0000-000000000000"} {
			if err := s.DeleteAPIKey(ctx, id, 0, local); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("delete %q: err = %v, want ErrNotFound", id, err)
			}
		}
		if err := s.DeleteAPIKey(ctx, k.ID, alice.ID, alice.ID); err != nil {
			t.Fatalf("delete own: %v", err)
		}
		if _, _, err := s.APIKeyByHash(ctx, digest("secret1")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lookup after delete: err = %v, want ErrNotFound", err)
		}
		if grants, _ := s.ListGrants(ctx, c2.ID); len(grants) != 0 {
			t.Errorf("grants after delete = %+v", grants)
		}
		if e := lastEntry(t, s, "", "api_key.delete"); e.Details["name"] != "laptop" || *e.UserID != alice.ID {
			t.Errorf("delete entry = %+v", e)
		}
		// An admin (userID 0) deletes anyone's.
		keys, _ := s.ListAPIKeys(ctx, bob.ID)
		if err := s.DeleteAPIKey(ctx, keys[0].ID, 0, local); err != nil {
			t.Errorf("delete any: %v", err)
		}
	})
}
