package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/fixtures"
)

// sharedDir finds the shared models and data: QUARRY_SHARED_DIR, or
// ../shared next to the module root.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return fixtures.Dir(tb)
}

// need returns path if it exists; otherwise it skips the test, or fails it
// when QUARRY_REQUIRE_ALL=1.
func need(tb testing.TB, path string) string {
	tb.Helper()
	return fixtures.Need(tb, path)
}

func miniLM(tb testing.TB) string {
	return need(tb, filepath.Join(sharedDir(tb), "models", "all-MiniLM-L6-v2"))
}

type golden struct {
	MaxLength int       `json:"max_length"`
	Texts     []string  `json:"texts"`
	InputIDs  [][]int64 `json:"input_ids"`
}

func TestGoldenIDs(t *testing.T) {
	dir := miniLM(t)
	b, err := os.ReadFile(need(t, filepath.Join(sharedDir(t), "models", "synthetic-bert-tiny", "golden.json")))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	loaders := map[string]func() (Tokenizer, error){
		"tokenizer.json": func() (Tokenizer, error) { return Load(dir) },
		"vocab.txt": func() (Tokenizer, error) {
			f, err := os.Open(filepath.Join(dir, "vocab.txt"))
			if err != nil {
				return nil, err
			}
			defer f.Close()
			opts := DefaultOptions()
			if err := readTokenizerConfig(filepath.Join(dir, "tokenizer_config.json"), &opts); err != nil {
				return nil, err
			}
			return FromVocab(f, opts)
		},
	}
	for name, load := range loaders {
		tok, err := load()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, text := range g.Texts {
			t.Run(name+"/"+shortName(text), func(t *testing.T) {
				got := tok.Encode(text, g.MaxLength).IDs
				if want := g.InputIDs[i]; !slices.Equal(got, want) {
					t.Errorf("Encode(%q)\n got %v\nwant %v", text, got, want)
				}
			})
		}
	}
}

func shortName(s string) string {
	r := []rune(s)
	if len(r) > 24 {
		r = r[:24]
	}
	return string(r)
}

func loadMiniLM(tb testing.TB) Tokenizer {
	tb.Helper()
	tok, err := Load(miniLM(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func tokens(tok Tokenizer, ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tok.TokenString(id)
	}
	return out
}

func TestHardStrings(t *testing.T) {
	tok := loadMiniLM(t)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", []string{"[CLS]", "[SEP]"}},
		{"only spaces", " \t\n\u00a0 ", []string{"[CLS]", "[SEP]"}},
		{"accents", "Crème Brûlée", []string{"[CLS]", "cr", "##eme", "br", "##ule", "##e", "[SEP]"}},
		{"decomposed accent", "cafe\u0301", []string{"[CLS]", "cafe", "[SEP]"}},
		{"punctuation", "a,b.c!", []string{"[CLS]", "a", ",", "b", ".", "c", "!", "[SEP]"}},
		{"cjk", "中文abc", []string{"[CLS]", "中", "文", "abc", "[SEP]"}},
		{"special verbatim", "hello [MASK] world", []string{"[CLS]", "hello", "[MASK]", "world", "[SEP]"}},
		{"special lowercase is text", "[mask]", []string{"[CLS]", "[", "mask", "]", "[SEP]"}},
		{"controls dropped", "a\x00b\u200bc\x7f", []string{"[CLS]", "abc", "[SEP]"}},
		{"invalid utf8", "ab\xffcd", []string{"[CLS]", "abc", "##d", "[SEP]"}},
		{"unknown symbol word", "x 😀 y", []string{"[CLS]", "x", "[UNK]", "y", "[SEP]"}},
		{"subwords", "tokenization", []string{"[CLS]", "token", "##ization", "[SEP]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tokens(tok, tok.Encode(tt.text, 0).IDs)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Encode(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestTruncation(t *testing.T) {
	tok := loadMiniLM(t)
	text := strings.Repeat("word ", 50)
	tests := []struct {
		maxLen, wantLen int
		truncated       bool
	}{
		{0, 52, false}, {52, 52, false}, {53, 52, false}, {51, 51, true}, {16, 16, true}, {2, 2, true},
	}
	for _, tt := range tests {
		enc := tok.Encode(text, tt.maxLen)
		if len(enc.IDs) != tt.wantLen || enc.Truncated != tt.truncated {
			t.Errorf("maxLen %d: got %d ids truncated=%v, want %d truncated=%v", tt.maxLen, len(enc.IDs), enc.Truncated, tt.wantLen, tt.truncated)
		}
		if enc.IDs[0] != 101 || enc.IDs[len(enc.IDs)-1] != 102 {
			t.Errorf("maxLen %d: missing [CLS]/[SEP]: %v", tt.maxLen, enc.IDs)
		}
	}
	if got, want := tok.Count(text), 50; got != want {
		t.Errorf("Count = %d, want %d", got, want)
	}
}

func TestOffsets(t *testing.T) {
	tok := loadMiniLM(t)
	tests := []struct {
		text string
		want []string // input substrings per token
	}{
		{"Hello, World", []string{"Hello", ",", "World"}},
		{"Héllo naïve", []string{"Héllo", "naïve"}},
		{"tokenization!", []string{"token", "ization", "!"}},
		{"東京 x", []string{"東", "京", "x"}},
		{"a [SEP] b", []string{"a", "[SEP]", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var got []string
			for _, tk := range tok.Split(tt.text) {
				got = append(got, tt.text[tk.Start:tk.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q) spans = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestUnsupported(t *testing.T) {
	bpe := `{"model":{"type":"BPE","vocab":{"a":0}}}`
	if _, err := FromTokenizerJSON(strings.NewReader(bpe)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "BPE") {
		t.Errorf("BPE tokenizer.json: err = %v, want unsupported", err)
	}
	if _, err := FromTokenizerJSON(strings.NewReader("{")); err == nil {
		t.Error("truncated tokenizer.json: want error")
	}
}

func BenchmarkEncode(b *testing.B) {
	tok := loadMiniLM(b)
	text := strings.Repeat("The quick brown fox jumps over the lazy dog; naïve café 東京. ", 20)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Encode(text, 256)
	}
}
