package store_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

func TestGrants(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	local := localUser(t, s)
	bob := mustUser(t, s, "bob", false)
	c, err := s.CreateCollection(ctx, newCollection("Shared", local), local)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.CreateAPIKey(ctx, store.NewAPIKey{UserID: bob.ID, Name: "ci", Prefix: "qk_ci", Hash: digest("ci"), Permission: "read"}, bob.ID)
	if err != nil {
		t.Fatal(err)
	}

	g, err := s.GrantAccess(ctx, c.ID, bob.ID, "", "read", local)
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	if g.ID == 0 || g.CollectionID != c.ID || g.UserID == nil || *g.UserID != bob.ID || *g.Username != "bob" ||
		g.APIKeyID != nil || g.Permission != "read" {
		t.Errorf("grant = %+v", g)
	}

	t.Run("a second grant replaces the first", func(t *testing.T) {
		up, err := s.GrantAccess(ctx, c.ID, bob.ID, "", "write", local)
		if err != nil {
			t.Fatal(err)
		}
		if up.ID != g.ID || up.Permission != "write" {
			t.Errorf("upserted = %+v, want id %d with write", up, g.ID)
		}
		e := lastEntry(t, s, c.ID, "permission.grant")
		if e.CollectionID == nil || *e.CollectionID != c.ID || e.Details["username"] != "bob" || e.Details["permission"] != "write" {
			t.Errorf("grant entry = %+v", e)
		}
	})

	t.Run("grant to a key", func(t *testing.T) {
		kg, err := s.GrantAccess(ctx, c.ID, 0, key.ID, "read", local)
		if err != nil {
			t.Fatal(err)
		}
		if kg.APIKeyID == nil || *kg.APIKeyID != key.ID || *kg.APIKeyName != "ci" || kg.UserID != nil {
			t.Errorf("key grant = %+v", kg)
		}
		if e := lastEntry(t, s, c.ID, "permission.grant"); e.Details["api_key"] != "ci" {
			t.Errorf("grant entry = %+v", e)
		}
		list, err := s.ListGrants(ctx, c.ID)
		if err != nil || len(list) != 2 || list[0].ID != g.ID || list[1].ID != kg.ID {
			t.Errorf("grants = %+v, %v", list, err)
		}
	})

	t.Run("missing parts", func(t *testing.T) {
		gone, _ := s.CreateCollection(ctx, newCollection("Gone", local), local)
		if _, err := s.RequestDelete(ctx, gone.ID, local); err != nil {
			t.Fatal(err)
		}
		for name, tt := range map[string]struct {
			coll string
			user int64
			key  string
		}{
			"no collection":      {"00000000-0000-0000-0000-000000000000", bob.ID, ""},
			"bad collection id":  {"x", bob.ID, ""},
			"deleted collection": {gone.ID, bob.ID, ""},
			"no user":            {c.ID, 999999, ""},
			"no key":             {c.ID, 0, "00000000-0000-0000-0000-000000000000"},
			"bad key id":         {c.ID, 0, "x"},
		} {
			if _, err := s.GrantAccess(ctx, tt.coll, tt.user, tt.key, "read", local); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			}
		}
		if _, err := s.GrantAccess(ctx, c.ID, bob.ID, key.ID, "read", local); err == nil {
			t.Errorf("grant to a user and a key at once succeeded")
		}
		if _, err := s.GrantAccess(ctx, c.ID, 0, "", "read", local); err == nil {
			t.Errorf("grant to nobody succeeded")
		}
		if _, err := s.GrantAccess(ctx, c.ID, bob.ID, "", "owner", local); err == nil {
			t.Errorf("grant of an unknown permission succeeded")
		}
		if _, err := s.ListGrants(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("grants of a deleted collection: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		other, _ := s.CreateCollection(ctx, newCollection("Other", local), local)
		if err := s.RevokeGrant(ctx, other.ID, g.ID, local); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoke through another collection: err = %v, want ErrNotFound", err)
		}
		if err := s.RevokeGrant(ctx, c.ID, g.ID, local); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeGrant(ctx, c.ID, g.ID, local); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second revoke: err = %v, want ErrNotFound", err)
		}
		e := lastEntry(t, s, c.ID, "permission.revoke")
		if e.Details["username"] != "bob" || e.Details["permission"] != "write" {
			t.Errorf("revoke entry = %+v", e)
		}
		list, _ := s.ListGrants(ctx, c.ID)
		if len(list) != 1 || list[0].APIKeyID == nil {
			t.Errorf("grants after revoke = %+v", list)
		}
	})
}

func TestAccessLevels(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	local := localUser(t, s)
	alice := mustUser(t, s, "alice", false)
	bob := mustUser(t, s, "bob", false)
	carol := mustUser(t, s, "carol", true)
	dave := mustUser(t, s, "dave", false)

	coll := func(name string, owner int64) string {
		t.Helper()
		c, err := s.CreateCollection(ctx, newCollection(name, owner), local)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	a := coll("A", alice.ID) // alice's
	b := coll("B", local)    // public
	c := coll("C", local)    // private
	d := coll("D", local)    // deleted
	if _, err := s.UpdateCollection(ctx, b, store.CollectionUpdate{IsPublic: ptr(true)}, local); err != nil {
		t.Fatal(err)
	}
	grant := func(coll string, user int64, key, level string) {
		t.Helper()
		if _, err := s.GrantAccess(ctx, coll, user, key, level, local); err != nil {
			t.Fatal(err)
		}
	}
	grant(a, bob.ID, "", "write")
	grant(b, bob.ID, "", "read")
	grant(c, bob.ID, "", "read")
	grant(d, bob.ID, "", "admin")
	grant(c, dave.ID, "", "write")
	newKey := func(user int64, name, level string, colls ...string) string {
		t.Helper()
		k, err := s.CreateAPIKey(ctx, store.NewAPIKey{UserID: user, Name: name, Prefix: name, Hash: digest(name),
			Permission: level, CollectionIDs: colls}, user)
		if err != nil {
			t.Fatal(err)
		}
		return k.ID
	}
	bobAdminKey := newKey(bob.ID, "bob-admin", "admin", a, b, d)
	bobReadKey := newKey(bob.ID, "bob-read", "read", a)
	carolKey := newKey(carol.ID, "carol", "write", c)
	aliceKey := newKey(alice.ID, "alice", "read", a)
	if _, err := s.RequestDelete(ctx, d, local); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(ctx, dave.ID, store.UserUpdate{IsActive: ptr(false)}, local); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		user int64
		key  string
		want map[string]string
	}{
		{"the local admin", local, "", map[string]string{a: "admin", b: "admin", c: "admin"}},
		{"another admin", carol.ID, "", map[string]string{a: "admin", b: "admin", c: "admin"}},
		{"owner, and public", alice.ID, "", map[string]string{a: "admin", b: "read"}},
		{"grants", bob.ID, "", map[string]string{a: "write", b: "read", c: "read"}},
		{"inactive user", dave.ID, "", map[string]string{}},
		{"missing user", 999999, "", map[string]string{}},
		{"key narrows to least", bob.ID, bobAdminKey, map[string]string{a: "write", b: "read"}},
		{"read key", bob.ID, bobReadKey, map[string]string{a: "read"}},
		{"key of an admin reaches only its collections", carol.ID, carolKey, map[string]string{c: "write"}},
		{"owner's key", alice.ID, aliceKey, map[string]string{a: "read"}},
		{"someone else's key", alice.ID, bobAdminKey, map[string]string{}},
		{"bad key id", bob.ID, "x", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.AccessLevels(ctx, tt.user, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AccessLevels (-want +got):\n%s", diff)
			}
			for _, id := range []string{a, b, c, d} {
				one, err := s.AccessLevel(ctx, tt.user, tt.key, id)
				if err != nil || one != tt.want[id] {
					t.Errorf("AccessLevel(%s) = %q, %v; want %q", id, one, err, tt.want[id])
				}
			}
		})
	}
	for _, id := range []string{"x", "00000000-0000-0000-0000-000000000000"} {
		if got, err := s.AccessLevel(ctx, local, "", id); got != "" || err != nil {
			t.Errorf("AccessLevel(%q) = %q, %v; want none", id, got, err)
		}
	}
}

func TestAuditSource(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	local := localUser(t, s)
	bob := mustUser(t, s, "bob", false)

	lan := store.WithAuditSource(ctx, "192.168.1.20:51234", "bob")
	c, err := s.CreateCollection(lan, newCollection("Notes", local), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := lastEntry(t, s, c.ID, "collection.created")
	if e.Address != "192.168.1.20:51234" || e.Username != "bob" || e.CollectionName == nil || *e.CollectionName != "Notes" {
		t.Errorf("entry from the LAN = %+v", e)
	}

	// Without a source the actor's name is kept; with no actor none.
	if err := s.Audit(ctx, c.ID, bob.ID, "search.query", map[string]any{"q": "x"}); err != nil {
		t.Fatal(err)
	}
	e = lastEntry(t, s, c.ID, "search.query")
	if e.Address != "" || e.Username != "bob" || *e.UserID != bob.ID || e.Details["q"] != "x" {
		t.Errorf("entry from the desktop = %+v", e)
	}
	if err := s.Audit(ctx, "", 0, "server.start", nil); err != nil {
		t.Fatal(err)
	}
	e = lastEntry(t, s, "", "server.start")
	if e.Username != "" || e.UserID != nil || e.CollectionID != nil || e.CollectionName != nil {
		t.Errorf("entry of no one = %+v", e)
	}

	// The name outlives the account and the collection.
	if err := s.DeleteCollection(ctx, c.ID, local); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM users WHERE id = $1`, bob.ID); err != nil {
		t.Fatal(err)
	}
	e = lastEntry(t, s, "", "search.query")
	if e.CollectionID != nil || e.CollectionName != nil || e.UserID != nil || e.Username != "bob" {
		t.Errorf("entry after deletes = %+v", e)
	}
}

func TestCollectionShare(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	local := localUser(t, s)
	alice := mustUser(t, s, "alice", false)
	c, err := s.CreateCollection(ctx, newCollection("Team", alice.ID), local)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsPublic || c.OwnerName != "alice" {
		t.Errorf("created = public %v, owner %q", c.IsPublic, c.OwnerName)
	}
	got, err := s.UpdateCollection(ctx, c.ID, store.CollectionUpdate{IsPublic: ptr(true)}, alice.ID)
	if err != nil || !got.IsPublic || got.Name != "Team" {
		t.Fatalf("share = %+v, %v", got, err)
	}
	if e := lastEntry(t, s, c.ID, "collection.share"); e.Details["is_public"] != true {
		t.Errorf("share entry = %+v", e)
	}
	list, _ := s.ListCollections(ctx)
	if len(list) != 1 || !list[0].IsPublic || list[0].OwnerName != "alice" {
		t.Errorf("list = %+v", list)
	}
	// Setting what is already so is not audited again; a rename still is.
	if _, err := s.UpdateCollection(ctx, c.ID, store.CollectionUpdate{IsPublic: ptr(true), Name: ptr("Team 2")}, alice.ID); err != nil {
		t.Fatal(err)
	}
	log, _ := s.AuditLog(ctx, c.ID, 100)
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	if diff := cmp.Diff([]string{"collection.updated", "collection.share", "collection.created"}, actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	got, err = s.UpdateCollection(ctx, c.ID, store.CollectionUpdate{IsPublic: ptr(false)}, alice.ID)
	if err != nil || got.IsPublic {
		t.Errorf("unshare = %+v, %v", got, err)
	}
}
