package embedder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/quarry-search/quarry/backend/models"
)

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// testCacheDir keeps the converted wink table between test runs so only
// the first run pays for parsing 300 MB of JSON.
func testCacheDir() string { return filepath.Join(os.TempDir(), "quarry-test-cache") }

func staticModel() models.Model {
	m, _ := models.Lookup("glove-6b-100d")
	return m
}

// checkSemantics asserts real meaning end to end through the Service.
func checkSemantics(t *testing.T, s *Service) {
	t.Helper()
	ctx := t.Context()
	words, err := s.Embed(ctx, []string{"physician", "doctor", "banana"}, Document)
	if err != nil {
		t.Fatal(err)
	}
	if near, far := cos(words[0], words[1]), cos(words[0], words[2]); near <= far+0.3 {
		t.Errorf("cos(physician, doctor) = %.3f, cos(physician, banana) = %.3f; want a clear gap", near, far)
	}
	docs := []string{
		"The patient was examined by a doctor at the hospital.",
		"Bananas and apples are sold at the fruit market.",
		"The car engine needs new oil and the tyres are worn.",
	}
	dv, err := s.Embed(ctx, docs, Document)
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]int{
		"physician treating sick people": 0,
		"buying fresh fruit":             1,
		"automobile repair":              2,
	}
	for q, want := range queries {
		qv, err := s.Embed(ctx, []string{q}, Query)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i := range dv {
			if cos(qv[0], dv[i]) > cos(qv[0], dv[best]) {
				best = i
			}
		}
		if best != want {
			t.Errorf("query %q matched %q, want %q", q, docs[best], docs[want])
		}
	}
	empty, err := s.Embed(ctx, []string{"", "qqqzzzxxy"}, Document)
	if err != nil {
		t.Fatal(err)
	}
	if norm(empty[0]) != 0 || norm(empty[1]) != 0 {
		t.Error("texts without known words should give zero vectors")
	}
}

func TestStaticWink(t *testing.T) {
	if testing.Short() {
		t.Skip("converting the wink JSON takes a few seconds on first run")
	}
	dir := winkDir(t)
	s := openTB(t, Config{Model: staticModel(), Dir: dir, CacheDir: testCacheDir()})
	info := s.Info()
	if info.Kind != models.KindStatic || info.Dims != 100 || info.Device != DeviceCPU {
		t.Errorf("Info = %+v", info)
	}
	checkSemantics(t, s)

	// A second open uses the cached binary table and gives identical
	// vectors and fingerprint.
	again := openTB(t, Config{Model: staticModel(), Dir: dir, CacheDir: testCacheDir()})
	if again.Info().Fingerprint != info.Fingerprint {
		t.Errorf("fingerprint changed after caching: %q vs %q", again.Info().Fingerprint, info.Fingerprint)
	}
	a, _ := s.Embed(t.Context(), []string{"semantic search on my laptop"}, Document)
	b, _ := again.Embed(t.Context(), []string{"semantic search on my laptop"}, Document)
	if maxDiff(a[0], f64(b[0])) != 0 {
		t.Error("cached table gives different vectors")
	}
	t.Logf("wink table: %d words; first open %v, cached open %v", s.eng.(staticEngine).t.Len(), info.LoadTime, again.Info().LoadTime)
}

func TestStaticGlove(t *testing.T) {
	dir := sharedModel(t, "glove-6b-100d-top100k")
	s := openTB(t, Config{Model: staticModel(), Dir: dir})
	checkSemantics(t, s)
	tab := s.eng.(staticEngine).t
	if got := cos(unit(tab.Vector("doctor")), unit(tab.Vector("physician"))); got < 0.7 {
		t.Errorf("cos(doctor, physician) = %.3f, README says 0.767", got)
	}
}

func unit(v []float32) []float32 {
	normalize(v)
	return v
}

func TestStaticBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadTable(context.Background(), dir, ""); !errors.Is(err, ErrNoTable) {
		t.Errorf("empty folder: err = %v, want ErrNoTable", err)
	}
	tests := map[string]string{
		"truncated": `{"dimensions":2,"size":1,"vectors":{"a":[1,2`,
		"short row": `{"dimensions":2,"size":1,"vectors":{"a":[1,0]}}`,
		"bad index": `{"dimensions":2,"size":1,"vectors":{"a":[1,2,1,5]}}`,
		"no header": `{"vectors":{}}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, winkJSON), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadTable(t.Context(), d, ""); err == nil {
				t.Error("want an error")
			}
		})
	}
	d := t.TempDir()
	body := `{"dimensions":2,"size":2,"vectors":{"b\"q":[0,1,1,1],"a":[1,0,1,0]}}`
	if err := os.WriteFile(filepath.Join(d, winkJSON), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := LoadTable(t.Context(), d, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if v := tab.Vector(`b"q`); len(v) != 2 || v[1] != 1 {
		t.Errorf("escaped word vector = %v", v)
	}
}
