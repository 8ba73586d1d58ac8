package chunk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/testenv"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

func sharedDir(tb testing.TB) string {
	tb.Helper()
	return fixtures.Dir(tb)
}

func loadTokenizer(t testing.TB) tokenizer.Tokenizer {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "models", "all-MiniLM-L6-v2")
	if _, err := os.Stat(dir); err != nil {
		testenv.Missing(t, "tokenizer %s: %v", dir, err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatalf("load tokenizer: %v", err)
	}
	return tok
}

func extractShared(t testing.TB, rel string) *extract.Document {
	t.Helper()
	p := filepath.Join(sharedDir(t), "datasets", "mixed", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, "dataset file %s: %v", p, err)
	}
	doc, err := extract.Extract(t.Context(), p, extract.Options{})
	if err != nil {
		t.Fatalf("extract %s: %v", rel, err)
	}
	return doc
}

// checkChunks asserts the invariants every chunking must keep.
func checkChunks(t *testing.T, c *Chunker, doc *extract.Document, chunks []Chunk) {
	t.Helper()
	text := doc.Text()
	if len(chunks) == 0 {
		t.Fatal("no chunks")
	}
	for i, ch := range chunks {
		if got := text[ch.Start:ch.End]; got != ch.Text {
			t.Fatalf("chunk %d: text[%d:%d] = %.40q, chunk text %.40q", i, ch.Start, ch.End, got, ch.Text)
		}
		if n := c.Tokenizer.Count(ch.EmbedText()); n > c.Limit() || n != ch.Tokens {
			t.Errorf("chunk %d: %d tokens (recorded %d), limit %d", i, n, ch.Tokens, c.Limit())
		}
		if ch.PageStart > ch.PageEnd {
			t.Errorf("chunk %d: pages %d-%d", i, ch.PageStart, ch.PageEnd)
		}
		if i > 0 && ch.Start < chunks[i-1].Start {
			t.Errorf("chunk %d starts before chunk %d", i, i-1)
		}
	}
	// Every token of the document is in some chunk: chunk spans cover
	// all non-space text.
	covered := make([]bool, len(text))
	for _, ch := range chunks {
		for k := ch.Start; k < ch.End; k++ {
			covered[k] = true
		}
	}
	for k, r := range []byte(text) {
		if !covered[k] && !strings.ContainsRune(" \n\t\r", rune(r)) {
			t.Fatalf("byte %d (%q) of the document is in no chunk: %q", k, r, text[max(0, k-20):min(len(text), k+20)])
		}
	}
	// Same input, same chunks.
	again, err := c.Document(context.Background(), doc)
	if err != nil || !slices.EqualFunc(again, chunks, func(a, b Chunk) bool {
		return a.Start == b.Start && a.End == b.End && a.Heading == b.Heading
	}) {
		t.Error("chunking is not deterministic")
	}
}

func TestChunkRealDocuments(t *testing.T) {
	tok := loadTokenizer(t)
	tests := []struct {
		file      string
		size, ovl int
		maxSeq    int
	}{
		{"pdf/pdfjs__tracemonkey.pdf", 256, 32, 256},
		{"pdf/pdfjs__tracemonkey.pdf", 128, 0, 512},
		{"markdown/rust-book/ch04-01-what-is-ownership.md", 200, 40, 256},
		{"markdown/tldr/pages.ja_common__gpg.md", 64, 16, 256},
		{"xlsx/tika__testEXCEL.xlsx", 32, 8, 256},
		{"malformed/derived__minified_oneline.json", 512, 64, 256},
		{"encodings/chardet__SHIFT_JIS__1affliate.com.xml", 100, 20, 128},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			doc := extractShared(t, tt.file)
			c := &Chunker{Tokenizer: tok, Size: tt.size, Overlap: tt.ovl, MaxSeqLen: tt.maxSeq}
			chunks, err := c.Document(t.Context(), doc)
			if err != nil {
				t.Fatal(err)
			}
			checkChunks(t, c, doc, chunks)
		})
	}
}

func TestChunkPagesKept(t *testing.T) {
	tok := loadTokenizer(t)
	doc := extractShared(t, "pdf/pdfjs__tracemonkey.pdf")
	c := &Chunker{Tokenizer: tok, Size: 200, Overlap: 20, MaxSeqLen: 256}
	chunks, err := c.Document(t.Context(), doc)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, ch := range chunks {
		if ch.PageStart < 1 || ch.PageEnd > doc.Meta.Pages {
			t.Fatalf("chunk pages %d-%d outside 1-%d", ch.PageStart, ch.PageEnd, doc.Meta.Pages)
		}
		for p := ch.PageStart; p <= ch.PageEnd; p++ {
			seen[p] = true
		}
	}
	if len(seen) != doc.Meta.Pages {
		t.Errorf("chunks cover %d pages, want %d", len(seen), doc.Meta.Pages)
	}
	if chunks[len(chunks)-1].PageEnd != doc.Meta.Pages {
		t.Errorf("last chunk ends on page %d, want %d", chunks[len(chunks)-1].PageEnd, doc.Meta.Pages)
	}
}

func TestChunkHeadingsCarried(t *testing.T) {
	tok := loadTokenizer(t)
	doc := extractShared(t, "markdown/rust-book/ch04-01-what-is-ownership.md")
	c := &Chunker{Tokenizer: tok, Size: 128, Overlap: 16, MaxSeqLen: 256}
	chunks, err := c.Document(t.Context(), doc)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ch := range chunks {
		if strings.Contains(ch.Text, "Ownership Rules") || strings.Contains(ch.Text, "each value in Rust has an owner") {
			if !strings.Contains(ch.Heading, "Ownership Rules") {
				t.Errorf("chunk about ownership rules has heading %q", ch.Heading)
			}
			if !strings.HasPrefix(ch.EmbedText(), ch.Heading+"\n") {
				t.Errorf("embed text does not start with the heading")
			}
			found = true
			break
		}
	}
	if !found {
		t.Fatal("no chunk on ownership rules")
	}
	for _, ch := range chunks {
		if len(ch.Headings) == 0 || ch.Headings[0] != "What Is Ownership?" {
			if ch.Start > 0 {
				t.Errorf("chunk at %d has headings %q, want under %q", ch.Start, ch.Headings, "What Is Ownership?")
			}
		}
	}
}

// TestChunkOverlap checks exact token overlap inside one long paragraph
// without sentence ends: only word cuts are possible.
func TestChunkOverlap(t *testing.T) {
	tok := loadTokenizer(t)
	words := strings.Fields(strings.Repeat("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu ", 60))
	doc := &extract.Document{Blocks: []extract.Block{{Kind: extract.KindParagraph, Text: strings.Join(words, " ")}}}
	for _, ovl := range []int{0, 1, 10, 24} {
		c := &Chunker{Tokenizer: tok, Size: 50, Overlap: ovl, MaxSeqLen: 256}
		chunks, err := c.Document(t.Context(), doc)
		if err != nil {
			t.Fatal(err)
		}
		checkChunks(t, c, doc, chunks)
		for i := 1; i < len(chunks); i++ {
			prev, cur := chunks[i-1], chunks[i]
			shared := 0
			if cur.Start < prev.End {
				shared = tok.Count(doc.Text()[cur.Start:prev.End])
			}
			// The overlap starts on a word boundary: up to a word's
			// pieces fewer than asked, never more.
			if shared > ovl || shared < ovl-3 {
				t.Errorf("overlap %d: chunks %d/%d share %d tokens", ovl, i-1, i, shared)
			}
		}
	}
}

func TestChunkGiantWordAndLimits(t *testing.T) {
	tok := loadTokenizer(t)
	// CJK without punctuation: every character is a token, no spaces.
	cjk := strings.Repeat("日本語の文章検索", 200)
	doc := &extract.Document{Blocks: []extract.Block{{Text: cjk, Page: 3}}}
	c := &Chunker{Tokenizer: tok, Size: 10000, Overlap: 5, MaxSeqLen: 128}
	if c.Limit() != 126 {
		t.Fatalf("limit %d, want 126 (max sequence minus 2 special tokens)", c.Limit())
	}
	chunks, err := c.Document(t.Context(), doc)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, c, doc, chunks)
	for _, ch := range chunks {
		if ch.PageStart != 3 || ch.PageEnd != 3 {
			t.Fatalf("pages %d-%d, want 3-3", ch.PageStart, ch.PageEnd)
		}
	}
}

func TestChunkConfigErrors(t *testing.T) {
	tok := loadTokenizer(t)
	for _, c := range []*Chunker{
		{Size: 100},
		{Tokenizer: tok, Size: 4},
		{Tokenizer: tok, Size: 100, Overlap: 60},
		{Tokenizer: tok, Size: 100, Overlap: -1},
	} {
		if _, err := c.Blocks(t.Context(), []extract.Block{{Text: "x"}}); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", *c, err)
		}
	}
}
