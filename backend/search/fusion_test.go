package search

import (
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/store"

	"math"
	"testing"
	"unicode/utf16"
)

func TestFuse(t *testing.T) {
	mk := func() []candidate {
		return []candidate{
			{keyword: 0.8, semantic: 0.1, hasSem: true},
			{keyword: 0.2, semantic: 0.9, hasSem: true},
			{keyword: 0, semantic: 0.5, hasSem: true},
		}
	}
	tests := []struct {
		name string
		f    Fusion
		mode Mode
		want []float64
	}{
		{"keyword mode", DefaultFusion, Keyword, []float64{0.8, 0.2, 0}},
		{"semantic mode", DefaultFusion, Semantic, []float64{0.1, 0.9, 0.5}},
		{"convex", Fusion{Method: FuseConvex, Weight: 0.25}, Hybrid, []float64{0.625, 0.375, 0.125}},
		{"convex all semantic", Fusion{Method: FuseConvex, Weight: 1}, Hybrid, []float64{0.1, 0.9, 0.5}},
		{"minmax", Fusion{Method: FuseMinMax, Weight: 0.5}, Hybrid, []float64{0.5, 0.625, 0.25}},
		// ranks: keyword 1,2,3 (third has none); semantic 3,1,2.
		{"rrf", Fusion{Method: FuseRRF, Weight: 0.5, RRFK: 60}, Hybrid,
			[]float64{0.5/61 + 0.5/63, 0.5/62 + 0.5/61, 0.5 / 62}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := mk()
			tt.f.fuse(tt.mode, cs)
			for i, w := range tt.want {
				if math.Abs(cs[i].score-w) > 1e-9 {
					t.Errorf("candidate %d score = %.6f, want %.6f", i, cs[i].score, w)
				}
			}
		})
	}
}

func TestCalibrateCosine(t *testing.T) {
	if got := clamp01(calibrateCosine(0.6, 0.6)); got != 0 {
		t.Errorf("floor maps to %v, want 0", got)
	}
	if got := calibrateCosine(1, 0.6); math.Abs(got-1) > 1e-12 {
		t.Errorf("identity maps to %v, want 1", got)
	}
	if got := calibrateCosine(0.8, 0.6); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("halfway maps to %v, want 0.5", got)
	}
	if a, b := calibrateCosine(0.3, 0.6), calibrateCosine(0.5, 0.6); a >= b {
		t.Errorf("below the floor the order is kept for ranking: %v >= %v", a, b)
	}
}

func TestMergeByRank(t *testing.T) {
	a := []Result{{DocumentID: "a1", Score: 0.2}, {DocumentID: "a2", Score: 0.1}}
	b := []Result{{DocumentID: "b1", Score: 0.9}, {DocumentID: "b2", Score: 0.8}, {DocumentID: "b3", Score: 0.7}}
	got := mergeByRank([][]Result{a, b})
	var ids []string
	for _, r := range got {
		ids = append(ids, r.DocumentID)
	}
	// Equal ranks interleave (ties broken by score), whatever the scale.
	want := []string{"b1", "a1", "b2", "a2", "b3"}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("merged = %v, want %v", ids, want)
		}
	}
}

func TestSnippet(t *testing.T) {
	an := NewAnalyzer()
	q := map[string]bool{}
	for _, term := range an.Terms("running café 北京") {
		q[term] = true
	}
	text := "He was Running to the Café\n\n in 北京大学 — 🎉 running again."
	s := makeSnippet(an, text, q)
	u := utf16.Encode([]rune(s.Text))
	var marked []string
	for _, h := range s.Highlights {
		marked = append(marked, string(utf16.Decode(u[h.Start:h.End])))
	}
	want := []string{"Running", "Café", "北京", "running"}
	if len(marked) != len(want) {
		t.Fatalf("highlights %q in %q, want %q", marked, s.Text, want)
	}
	for i := range want {
		if marked[i] != want[i] {
			t.Errorf("highlight %d = %q, want %q", i, marked[i], want[i])
		}
	}
	if want := "He was Running to the Café in 北京大学 — 🎉 running again."; s.Text != want {
		t.Errorf("snippet = %q, want %q", s.Text, want)
	}
}

func TestSnippetWindow(t *testing.T) {
	an := NewAnalyzer()
	long := ""
	for range 60 {
		long += "filler words here "
	}
	text := long + "the needle is here " + long
	s := makeSnippet(an, text, map[string]bool{"needl": true})
	if len(s.Highlights) != 1 || len(s.Text) > snippetBytes+10 {
		t.Fatalf("snippet %q (%d bytes) highlights %v", s.Text, len(s.Text), s.Highlights)
	}
	if s.Text[:3] != "…" || s.Text[len(s.Text)-3:] != "…" {
		t.Errorf("cut snippet %q should show ellipses at both ends", s.Text)
	}
	if got := string([]rune(s.Text)[s.Highlights[0].Start:s.Highlights[0].End]); got != "needle" {
		t.Errorf("highlight = %q, want needle", got)
	}
}

// TestFusionPerModel: hybrid blends with the collection's model's own
// weight, unless the engine was given one fusion for all (quarry eval).
func TestFusionPerModel(t *testing.T) {
	e := New(Options{})
	glove, _ := models.Lookup("glove-6b-100d")
	bge, _ := models.Lookup("bge-small-en-v1.5")
	if g, b := e.fusionFor(store.Collection{ModelName: glove.Name}), e.fusionFor(store.Collection{ModelName: bge.Name}); g.Weight != glove.HybridFusion().Weight || b.Weight != bge.HybridFusion().Weight || g.Weight >= b.Weight {
		t.Errorf("weights: GloVe %v, BGE %v; want each model's own, word vectors trusted less", g.Weight, b.Weight)
	}
	if f := e.fusionFor(store.Collection{ModelName: "unknown"}); f.Weight != models.DefaultHybridWeight {
		t.Errorf("unknown model weight %v", f.Weight)
	}
	fixed := New(Options{Fusion: &Fusion{Method: FuseRRF, Weight: 0.9}})
	if f := fixed.fusionFor(store.Collection{ModelName: glove.Name}); f.Weight != 0.9 || f.Method != FuseRRF {
		t.Errorf("a fixed fusion was not applied: %+v", f)
	}
	for _, m := range models.List() {
		if m.Embeds() && m.HybridFusion().Evidence == "" {
			t.Errorf("%s has a hybrid weight without evidence", m.Name)
		}
	}
}
