// Package chunk cuts extracted documents into passages sized in tokens of
// the collection's own embedding model. Cuts prefer paragraph, then
// sentence, then line, then word boundaries; consecutive chunks share an
// exact number of overlap tokens; chunks never cross a change of heading
// path, carry that path, their page range and their byte offsets into the
// document text (extract.Document.Text), so a hit can be highlighted.
//
// The same input and settings always give the same chunks.
package chunk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// ErrConfig reports unusable chunker settings.
var ErrConfig = errors.New("invalid chunker settings")

// HeadingSeparator joins a heading path in Chunk.Heading.
const HeadingSeparator = " > "

// Chunk is one passage of a document.
type Chunk struct {
	// Text is exactly docText[Start:End], where docText is
	// extract.Document.Text() (Start and End are byte offsets, UTF-8).
	Text       string
	Start, End int
	// Headings is the heading path the passage sits under (Markdown,
	// HTML, DOCX headings, a sheet name, a slide title); Heading is the
	// same path joined by HeadingSeparator, possibly shortened to fit.
	Headings []string
	Heading  string
	// PageStart and PageEnd are the first and last page (slide, sheet,
	// chapter) the passage touches; 0 when the format has no pages.
	PageStart, PageEnd int
	// Tokens is the token count of EmbedText, without special tokens.
	Tokens int
}

// EmbedText is the text to embed: the heading path, a newline and the
// passage, or the passage alone when there is no heading.
func (c Chunk) EmbedText() string {
	if c.Heading == "" {
		return c.Text
	}
	return c.Heading + "\n" + c.Text
}

// Chunker holds the chunking settings of one collection.
type Chunker struct {
	Tokenizer tokenizer.Tokenizer
	// Size is the most tokens of EmbedText per chunk. It is clamped to
	// MaxSeqLen - SpecialTokens.
	Size int
	// Overlap is the number of tokens a chunk repeats from the end of the
	// previous one in the same section, at most Size/2. The repeat starts
	// on a word boundary, so it can be a few word pieces shorter.
	Overlap int
	// MaxSeqLen is the model's maximum sequence length (e.g. 256 for
	// all-MiniLM-L6-v2, 512 for BERT-base); 0 means no model limit.
	MaxSeqLen int
	// SpecialTokens is how many special tokens the model adds ([CLS],
	// [SEP]: 2, the default when 0).
	SpecialTokens int
	// NoHeadingPrefix leaves headings out of EmbedText and the budget.
	NoHeadingPrefix bool
}

// Limit is the effective maximum tokens per chunk.
func (c *Chunker) Limit() int {
	size := c.Size
	if c.MaxSeqLen > 0 {
		special := c.SpecialTokens
		if special == 0 {
			special = 2
		}
		size = min(size, c.MaxSeqLen-special)
	}
	return size
}

func (c *Chunker) validate() error {
	if c.Tokenizer == nil {
		return fmt.Errorf("%w: no tokenizer", ErrConfig)
	}
	limit := c.Limit()
	if limit < 8 {
		return fmt.Errorf("%w: size %d (limit %d) below 8 tokens", ErrConfig, c.Size, limit)
	}
	if c.Overlap < 0 || c.Overlap*2 > limit {
		return fmt.Errorf("%w: overlap %d must be between 0 and half the size (%d)", ErrConfig, c.Overlap, limit)
	}
	return nil
}

// Document chunks an extracted document.
func (c *Chunker) Document(ctx context.Context, doc *extract.Document) ([]Chunk, error) {
	return c.Blocks(ctx, doc.Blocks)
}

// Blocks chunks blocks as joined by extract.Document.Text.
func (c *Chunker) Blocks(ctx context.Context, blocks []extract.Block) ([]Chunk, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	// Byte span of each block in the joined text.
	spans := make([][2]int, len(blocks))
	var sb strings.Builder
	for i, b := range blocks {
		if i > 0 {
			sb.WriteString(extract.BlockSeparator)
		}
		spans[i] = [2]int{sb.Len(), sb.Len() + len(b.Text)}
		sb.WriteString(b.Text)
	}
	text := sb.String()
	var out []Chunk
	for i := 0; i < len(blocks); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j := i + 1
		for j < len(blocks) && slices.Equal(blocks[j].Headings, blocks[i].Headings) {
			j++
		}
		sec := section{text: text, start: spans[i][0], end: spans[j-1][1], headings: blocks[i].Headings,
			blocks: blocks[i:j], spans: spans[i:j]}
		chunks, err := c.section(ctx, sec)
		if err != nil {
			return nil, err
		}
		out = append(out, chunks...)
		i = j
	}
	return out, nil
}

type section struct {
	text       string // whole document text
	start, end int
	headings   []string
	blocks     []extract.Block
	spans      [][2]int
}

// heading fits the heading path into at most a quarter of the budget,
// dropping outer levels first.
func (c *Chunker) heading(path []string, limit int) (string, int) {
	if c.NoHeadingPrefix {
		return "", 0
	}
	for k := 0; k < len(path); k++ {
		h := strings.Join(path[k:], HeadingSeparator)
		if n := c.Tokenizer.Count(h + "\n"); n*4 <= limit {
			return h, n
		}
	}
	return "", 0
}

// Boundary strengths of a cut before a token.
const (
	cutNone = iota
	cutWord
	cutLine
	cutSentence
	cutParagraph
)

func (c *Chunker) section(ctx context.Context, s section) ([]Chunk, error) {
	body := s.text[s.start:s.end]
	toks := c.Tokenizer.Split(body)
	if len(toks) == 0 {
		return nil, nil
	}
	limit := c.Limit()
	heading, htoks := c.heading(s.headings, limit)
	budget := limit - htoks
	overlap := min(c.Overlap, budget/2)

	strength := make([]int, len(toks)+1)
	strength[len(toks)] = cutParagraph
	for i := 1; i < len(toks); i++ {
		strength[i] = c.cutStrength(body, toks[i-1], toks[i])
	}
	var out []Chunk
	for a := 0; a < len(toks); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := min(a+budget, len(toks))
		if b < len(toks) {
			// Best boundary in the second half of the window, latest
			// among the strongest.
			best, bestAt := -1, b
			for k := b; k > a+budget/2; k-- {
				if strength[k] > best {
					best, bestAt = strength[k], k
				}
			}
			b = bestAt
		}
		ch := c.makeChunk(s, toks, a, b, heading)
		// Re-tokenizing a cut-out span can differ from the token slice
		// at the edges (word pieces); shrink until it fits.
		for ch.Tokens > limit && b > a+1 {
			b--
			ch = c.makeChunk(s, toks, a, b, heading)
		}
		out = append(out, ch)
		if b >= len(toks) {
			break
		}
		next := b - overlap
		// Start the overlap on a word boundary, never behind a.
		for next < b && strength[next] == cutNone {
			next++
		}
		if next <= a {
			next = b
		}
		a = next
	}
	return out, nil
}

func (c *Chunker) cutStrength(body string, prev, cur tokenizer.Token) int {
	// Several word pieces can come from one character (a Hangul syllable
	// decomposes into jamo): such tokens share a span, and there is no gap
	// to cut in between.
	if prev.End > cur.Start {
		return cutNone
	}
	gap := body[prev.End:cur.Start]
	switch {
	case strings.Contains(gap, "\n\n"):
		return cutParagraph
	case isSentenceEnd(body[prev.Start:prev.End]) && (gap != "" || isCJKStop(body[prev.Start:prev.End])):
		return cutSentence
	case strings.Contains(gap, "\n"):
		return cutLine
	case gap != "":
		return cutWord
	case strings.HasPrefix(c.Tokenizer.TokenString(cur.ID), "##"):
		return cutNone
	}
	return cutWord
}

func isSentenceEnd(s string) bool {
	switch s {
	case ".", "!", "?", "…", "。", "！", "？", ";":
		return true
	}
	return false
}

func isCJKStop(s string) bool { return s == "。" || s == "！" || s == "？" }

func (c *Chunker) makeChunk(s section, toks []tokenizer.Token, a, b int, heading string) Chunk {
	start := s.start + toks[a].Start
	end := s.start + toks[b-1].End
	ch := Chunk{Text: s.text[start:end], Start: start, End: end, Heading: heading}
	if len(s.headings) > 0 {
		ch.Headings = slices.Clone(s.headings)
	}
	for i, sp := range s.spans {
		if sp[1] <= start || sp[0] >= end {
			continue
		}
		if p := s.blocks[i].Page; p > 0 {
			if ch.PageStart == 0 || p < ch.PageStart {
				ch.PageStart = p
			}
			ch.PageEnd = max(ch.PageEnd, p)
		}
	}
	ch.Tokens = c.Tokenizer.Count(ch.EmbedText())
	return ch
}
