package quarry_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestEmbeddedStartStopRestart(t *testing.T) {
	opts := testOptions(t)
	q, err := quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("cold start: %v", err)
	}
	st, _ := q.Service().Status(t.Context())
	if !strings.HasPrefix(st.Database, "embedded PostgreSQL") || !strings.Contains(st.VectorEngine, "Built-in") {
		t.Errorf("status = %+v", st)
	}
	c, err := q.Service().CreateCollection(t.Context(), service.CreateCollectionRequest{Name: "Kept"})
	if err != nil {
		t.Fatal(err)
	}
	want := service.Settings{EmbedThreads: 1, EmbedConcurrency: 2}
	if _, err := q.Service().UpdateSettings(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	q, err = quarry.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("warm start: %v", err)
	}
	defer q.Close()
	got, err := q.Service().GetCollection(t.Context(), c.ID)
	if err != nil || got.Name != "Kept" {
		t.Errorf("after restart = %+v, %v", got, err)
	}
	if st, _ := q.Service().GetSettings(t.Context()); st != want {
		t.Errorf("settings after restart = %+v, want %+v", st, want)
	}
}

func TestExternalDatabase(t *testing.T) {
	url := testenv.EmptyDatabase(t)
	q, err := quarry.Start(t.Context(), quarry.Options{
		Locations:   locations.New(filepath.Join(testenv.ReachableDir(t), "quarry")),
		DatabaseURL: url,
		Logger:      testenv.Logger(t),
	})
	if err != nil {
		t.Fatalf("start on an external database: %v", err)
	}
	defer q.Close()
	st, _ := q.Service().Status(t.Context())
	if !strings.HasPrefix(st.Database, "external PostgreSQL") {
		t.Errorf("database = %q", st.Database)
	}
	if _, err := q.Service().CreateCollection(t.Context(), service.CreateCollectionRequest{Name: "Remote"}); err != nil {
		t.Error(err)
	}
}
