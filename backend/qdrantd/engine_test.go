package qdrantd

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quarry-search/quarry/backend/qdrant"
)

func TestChoose(t *testing.T) {
	noLook := func(string) (string, error) { return "", errors.New("not found") }
	dir := t.TempDir()
	bin := filepath.Join(dir, "bundle", "qdrant")
	writeExec(t, bin)
	sidecar := Options{StorageDir: filepath.Join(dir, "s"), RunDir: filepath.Join(dir, "r")}
	cases := []struct {
		name string
		cfg  Config
		want Kind
	}{
		{"external wins", Config{ExternalURL: "https://q.example:6334", Locate: Locate{BundleDir: filepath.Dir(bin)}}, External},
		{"bundled binary runs as sidecar", Config{Locate: Locate{BundleDir: filepath.Dir(bin), LookPath: noLook}, Sidecar: sidecar}, Managed},
		{"no binary falls back to embedded", Config{Locate: Locate{LookPath: noLook}}, Embedded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng, svc, err := Choose(tc.cfg)
			if err != nil {
				t.Fatalf("Choose: %v", err)
			}
			if eng.Kind != tc.want || eng.Description == "" || eng.Endpoint.URL == "" {
				t.Errorf("Choose = %+v; want kind %s with a description and endpoint", eng, tc.want)
			}
			if (svc == nil) != (tc.want == External) {
				t.Errorf("service = %v; want one unless external", svc)
			}
			if tc.want == Managed && eng.Source != FromBundle {
				t.Errorf("source = %s; want bundled", eng.Source)
			}
			if es, ok := svc.(*EmbeddedEngine); ok {
				es.lis.Close()
			}
		})
	}
}

func TestEmbeddedEngineServesTheClient(t *testing.T) {
	emb, err := NewEmbeddedEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var serveErr error
	wg.Go(func() { serveErr = emb.Serve(ctx) })
	c, err := qdrant.New(qdrant.Config{URL: emb.Endpoint().URL, APIKey: emb.Endpoint().APIKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureCollection(t.Context(), "c1", qdrant.Spec{Dims: 4}); err != nil {
		t.Errorf("EnsureCollection: %v", err)
	}
	c.Close()
	cancel()
	wg.Wait()
	if serveErr != nil {
		t.Errorf("Serve = %v; want nil after cancel", serveErr)
	}
}
