package search

import (
	"math"
	"testing"

	"github.com/quarry-search/quarry/backend/store"
)

func testIndex(docs map[string][]string) *keywordIndex {
	x := newKeywordIndex(NewAnalyzer())
	for _, id := range []string{"d0", "d1", "d2", "d3"} {
		texts, ok := docs[id]
		if !ok {
			continue
		}
		var cs []store.SearchChunk
		for i, s := range texts {
			cs = append(cs, store.SearchChunk{DocumentID: id, Index: i, Text: s})
		}
		x.put(store.SearchDoc{ID: id, Status: "completed", Path: "/" + id + ".txt"}, cs)
	}
	return x
}

func scoreOf(x *keywordIndex, q string) map[string]float64 {
	s := x.score(x.an.Terms(q))
	defer s.release()
	out := map[string]float64{}
	for _, slot := range s.touched {
		c := x.chunks[slot]
		out[c.doc.meta.ID] += float64(s.score[slot])
	}
	return out
}

// TestBM25HandComputed checks scores against values worked out by hand:
// N = 3 chunks, lengths 2, 3, 4 (avgdl 3), "apple" in two of them.
//
//	idf = ln(1 + (3 − 2 + 0.5) / (2 + 0.5)) = ln 1.6 = 0.4700036
//	d0: tf 1, len 2: 0.4700036 · 1 · 2.2 / (1 + 1.2 · (0.25 + 0.75 · 2/3)) = 0.5442147
//	d1: tf 2, len 3: 0.4700036 · 2 · 2.2 / (2 + 1.2) = 0.6462550
func TestBM25HandComputed(t *testing.T) {
	x := testIndex(map[string][]string{
		"d0": {"apple banana"},
		"d1": {"apple apple cherry"},
		"d2": {"cherry date elderberry fig"},
	})
	got := scoreOf(x, "apple")
	want := map[string]float64{"d0": 0.5442147, "d1": 0.6462550}
	if len(got) != len(want) {
		t.Fatalf("scored %v, want %v", got, want)
	}
	for id, w := range want {
		if math.Abs(got[id]-w) > 1e-5 {
			t.Errorf("score(%s) = %.7f, want %.7f", id, got[id], w)
		}
	}
	// Removing d1 changes N, df and avgdl: only d0 (len 2, avgdl 3) holds
	// "apple", N = 2: idf = ln(1 + 1.5/1.5) = ln 2.
	x.mu.Lock()
	x.remove("d1")
	x.mu.Unlock()
	avg := (2.0 + 4.0) / 2
	w := math.Ln2 * 2.2 / (1 + 1.2*(0.25+0.75*2/avg))
	if got := scoreOf(x, "apple")["d0"]; math.Abs(got-w) > 1e-5 {
		t.Errorf("after removal score(d0) = %.7f, want %.7f", got, w)
	}
}

func TestBM25SaturationAndLength(t *testing.T) {
	x := testIndex(map[string][]string{
		"d0": {"quarry quarry quarry quarry quarry quarry quarry quarry other words"},
		"d1": {"quarry other words here too"},
		"d2": {"quarry"},
		"d3": {"nothing relevant"},
	})
	s := scoreOf(x, "quarry")
	if s["d2"] <= s["d1"] {
		t.Errorf("short doc %.3f should beat longer doc %.3f at equal tf", s["d2"], s["d1"])
	}
	// tf saturates: eight occurrences are worth less than 8× one.
	if s["d0"] >= 8*s["d1"] || s["d0"] <= s["d1"] {
		t.Errorf("tf 8 scores %.3f vs tf 1 %.3f: want more, but far less than 8×", s["d0"], s["d1"])
	}
	if _, ok := s["d3"]; ok {
		t.Error("a document without the term was scored")
	}
}

func TestKeywordIndexCompaction(t *testing.T) {
	x := newKeywordIndex(NewAnalyzer())
	for round := range 3 {
		x.mu.Lock()
		for i := range 1500 {
			id := string(rune('a'+round)) + string(rune(i))
			x.put(store.SearchDoc{ID: id}, []store.SearchChunk{{DocumentID: id, Text: "alpha beta"}})
			if round < 2 {
				x.remove(id)
			}
		}
		x.maybeCompact()
		x.mu.Unlock()
	}
	if x.live != 1500 {
		t.Fatalf("live = %d, want 1500", x.live)
	}
	if len(x.chunks) >= 4500 {
		t.Errorf("slots = %d: dead slots were never compacted", len(x.chunks))
	}
	got := scoreOf(x, "alpha")
	if len(got) != 1500 {
		t.Errorf("scored %d documents after compaction, want 1500", len(got))
	}
}
