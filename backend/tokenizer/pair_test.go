package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPairIDs compares pair encodings with those the Hugging Face
// tokenizers library made (testdata/pairs.mjs), truncation included.
func TestPairIDs(t *testing.T) {
	tok, err := Load(miniLM(t))
	if err != nil {
		t.Fatal(err)
	}
	pe, ok := tok.(PairEncoder)
	if !ok {
		t.Fatalf("%T does not encode pairs", tok)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "pairs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			MaxLength int     `json:"max_length"`
			A         string  `json:"a"`
			B         string  `json:"b"`
			IDs       []int64 `json:"ids"`
			TypeIDs   []int64 `json:"type_ids"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	texts := pairTexts(t)
	for _, c := range ref.Cases {
		t.Run(strconv.Itoa(c.MaxLength)+"/"+c.A+"+"+c.B, func(t *testing.T) {
			a, okA := texts[c.A]
			bb, okB := texts[c.B]
			if !okA || !okB {
				t.Fatalf("unknown text %q or %q", c.A, c.B)
			}
			enc := pe.EncodePair(a, bb, c.MaxLength)
			if !slices.Equal(enc.IDs, c.IDs) {
				t.Errorf("ids\n got %v\nwant %v", enc.IDs, c.IDs)
			}
			if !slices.Equal(enc.TypeIDs, c.TypeIDs) {
				t.Errorf("type ids\n got %v\nwant %v", enc.TypeIDs, c.TypeIDs)
			}
			if len(enc.Offsets) != len(enc.IDs) {
				t.Errorf("%d offsets for %d ids", len(enc.Offsets), len(enc.IDs))
			}
			full := len(tok.Split(a)) + len(tok.Split(bb)) + 3
			if want := full > c.MaxLength; enc.Truncated != want {
				t.Errorf("Truncated = %v, want %v", enc.Truncated, want)
			}
		})
	}
}

// pairTexts resolves the text names pairs.json uses.
func pairTexts(tb testing.TB) map[string]string {
	tb.Helper()
	dir := sharedDir(tb)
	out := map[string]string{"": ""}
	read := func(path string, each func(map[string]any)) {
		f, err := os.Open(need(tb, path))
		if err != nil {
			tb.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 0; n < 50 && sc.Scan(); n++ {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				tb.Fatal(err)
			}
			each(m)
		}
	}
	nf := filepath.Join(dir, "datasets", "beir", "nfcorpus")
	read(filepath.Join(nf, "queries.jsonl"), func(m map[string]any) { out["q:"+m["_id"].(string)] = m["text"].(string) })
	read(filepath.Join(nf, "corpus.jsonl"), func(m map[string]any) {
		out["d:"+m["_id"].(string)] = m["title"].(string) + "\n" + m["text"].(string)
	})
	b, err := os.ReadFile(need(tb, filepath.Join(dir, "models", "synthetic-bert-tiny", "golden.json")))
	if err != nil {
		tb.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatal(err)
	}
	for i, s := range g.Texts {
		out["g:"+strconv.Itoa(i)] = s
	}
	return out
}

func TestTruncatePair(t *testing.T) {
	for _, c := range []struct{ na, nb, max, wa, wb int }{
		{3, 4, 0, 3, 4},
		{3, 4, 10, 3, 4},
		{3, 40, 10, 3, 4},
		{40, 3, 10, 4, 3},
		{40, 40, 10, 3, 4},
		{40, 40, 11, 4, 4},
		{5, 6, 10, 3, 4},
		{0, 40, 10, 0, 7},
		{40, 0, 3, 0, 0},
	} {
		t.Run(strings.Join([]string{strconv.Itoa(c.na), strconv.Itoa(c.nb), strconv.Itoa(c.max)}, "/"), func(t *testing.T) {
			a, b, _ := truncatePair(c.na, c.nb, c.max)
			if a != c.wa || b != c.wb {
				t.Errorf("truncatePair(%d, %d, %d) = %d, %d; want %d, %d", c.na, c.nb, c.max, a, b, c.wa, c.wb)
			}
		})
	}
}
