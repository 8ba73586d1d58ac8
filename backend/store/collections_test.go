package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

func newCollection(name string, owner int64) store.NewCollection {
	return store.NewCollection{
		OwnerID: owner, Name: name, ModelName: "bge-small-en-v1.5", EmbeddingDims: 384,
		Quantization: "float32", ChunkSize: 256, ChunkOverlap: 32,
	}
}

func TestCollectionLifecycle(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, err := s.LocalUserID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCollection(ctx, newCollection("Research", owner), owner)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if c.ID == "" || c.Status != "pending" || c.SourceCount != 0 || c.DocumentCount != 0 {
		t.Errorf("created = %+v", c)
	}

	t.Run("names are unique regardless of case", func(t *testing.T) {
		_, err := s.CreateCollection(ctx, newCollection("research", owner), owner)
		if !errors.Is(err, store.ErrNameTaken) {
			t.Errorf("err = %v, want ErrNameTaken", err)
		}
	})

	t.Run("sql metacharacters are data", func(t *testing.T) {
		name := `x'); DROP TABLE collections; --`
		got, err := s.CreateCollection(ctx, newCollection(name, owner), owner)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if got.Name != name {
			t.Errorf("name = %q, want %q", got.Name, name)
		}
	})

	t.Run("rename", func(t *testing.T) {
		name := "Research 2"
		got, err := s.UpdateCollection(ctx, c.ID, store.CollectionUpdate{Name: &name}, owner)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != name || !got.UpdatedAt.After(c.UpdatedAt) {
			t.Errorf("renamed = %+v", got)
		}
		taken := `x'); DROP TABLE collections; --`
		if _, err := s.UpdateCollection(ctx, c.ID, store.CollectionUpdate{Name: &taken}, owner); !errors.Is(err, store.ErrNameTaken) {
			t.Errorf("rename onto taken name: err = %v, want ErrNameTaken", err)
		}
	})

	t.Run("list is ordered by name with counts", func(t *testing.T) {
		list, err := s.ListCollections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || !strings.HasPrefix(list[0].Name, "Research") {
			t.Errorf("list = %+v", list)
		}
	})

	t.Run("unknown ids are not found", func(t *testing.T) {
		for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid", ""} {
			if _, err := s.GetCollection(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(%q) err = %v, want ErrNotFound", id, err)
			}
			if err := s.DeleteCollection(ctx, id, owner); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Delete(%q) err = %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("delete keeps the audit trail", func(t *testing.T) {
		if err := s.DeleteCollection(ctx, c.ID, owner); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetCollection(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: err = %v", err)
		}
		log, err := s.AuditLog(ctx, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		want := "collection.deleted,collection.updated,collection.created,collection.created"
		if got := strings.Join(actions, ","); got != want {
			t.Errorf("audit actions = %s, want %s", got, want)
		}
		if log[0].Details["name"] != "Research 2" || log[0].Details["collection_id"] != c.ID {
			t.Errorf("delete entry details = %v", log[0].Details)
		}
	})
}

func TestSourcesOverlapAndCascade(t *testing.T) {
	s := testenv.Store(t)
	ctx := t.Context()
	owner, _ := s.LocalUserID(ctx)
	c, err := s.CreateCollection(ctx, newCollection("Docs", owner), owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSource(ctx, c.ID, "directory", "/data/docs", owner); err != nil {
		t.Fatalf("add: %v", err)
	}
	tests := []struct {
		path   string
		want   error
		inside bool
	}{
		{"/data/docs", store.ErrSourceExists, false},
		{"/data/docs/sub", store.ErrOverlap, true},
		{"/data", store.ErrOverlap, false},
		{"/data/docs2", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := s.AddSource(ctx, c.ID, "directory", tt.path, owner)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var oe *store.OverlapError
			if errors.As(err, &oe) && (oe.Existing != "/data/docs" || oe.Inside != tt.inside) {
				t.Errorf("overlap = %+v", oe)
			}
		})
	}
	srcs, err := s.ListSources(ctx, c.ID)
	if err != nil || len(srcs) != 2 {
		t.Fatalf("sources = %v, %v", srcs, err)
	}
	got, _ := s.GetCollection(ctx, c.ID)
	if got.SourceCount != 2 {
		t.Errorf("source count = %d, want 2", got.SourceCount)
	}
	if err := s.RemoveSource(ctx, c.ID, srcs[0].ID, owner); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := s.RemoveSource(ctx, c.ID, srcs[0].ID, owner); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second remove err = %v, want ErrNotFound", err)
	}
	// The same folder may feed another collection (say, with another model).
	other, _ := s.CreateCollection(ctx, newCollection("Docs (multilingual)", owner), owner)
	if _, err := s.AddSource(ctx, other.ID, "directory", "/data/docs2", owner); err != nil {
		t.Errorf("same path in another collection: %v", err)
	}
	if err := s.DeleteCollection(ctx, c.ID, owner); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListSources(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("sources of deleted collection: err = %v", err)
	}
}
