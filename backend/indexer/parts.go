package indexer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// foundFile is a file met while walking a source.
type foundFile struct {
	Path     string
	Size     int64
	Modified time.Time
	MimeType string
	Hash     string
	// Err is set when the file was found but cannot be read.
	Err error
}

// hash fills in the sha256 of the file's content.
func (f *foundFile) hash() error {
	if f.Hash != "" {
		return nil
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	h := sha256.New()
	if _, err := io.Copy(h, in); err != nil {
		return err
	}
	f.Hash = hex.EncodeToString(h.Sum(nil))
	return nil
}

// ScanOptions limit what a walk picks up.
type ScanOptions struct {
	// MaxFileSize skips larger files; 0 means 256 MiB.
	MaxFileSize int64
	// IncludeHidden picks up dot-files and dot-folders too.
	IncludeHidden bool
}

// walk visits the regular files under root in lexical order.
func walk(ctx context.Context, root string, opts ScanOptions, fn func(foundFile) error) error {
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = 256 << 20
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			if p == root {
				return fmt.Errorf("read folder %s: %w", root, err)
			}
			return fn(foundFile{Path: p, Err: err})
		}
		if p != root && !opts.IncludeHidden && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fn(foundFile{Path: p, Err: err})
		}
		if info.Size() > limit {
			return fn(foundFile{Path: p, Err: fmt.Errorf("larger than the %d MiB limit", limit>>20)})
		}
		return fn(foundFile{Path: p, Size: info.Size(), Modified: info.ModTime()})
	})
}

// chunkOut is one chunk of a document.
type chunkOut struct {
	Text      string
	Tokens    int
	PageStart int
	PageEnd   int
	// CharStart and CharEnd are byte offsets into the document's text.
	CharStart int
	CharEnd   int
	Heading   string
}

// extracted is what a document turned into.
type extracted struct {
	MimeType string
	Pages    int
	Meta     map[string]any
	Chunks   []chunkOut
}

// chunker cuts text into windows of the model's own tokens.
type chunker struct {
	tok     tokenizer.Tokenizer
	size    int
	overlap int
}

func newChunker(emb *embedder.Service, size, overlap int) (*chunker, error) {
	info := emb.Info()
	// Leave room for the special tokens the model adds.
	if limit := info.MaxSeqLen - 2; limit > 0 && size > limit {
		size = limit
	}
	if overlap >= size {
		overlap = size / 4
	}
	return &chunker{tok: emb.Tokenizer(), size: size, overlap: overlap}, nil
}

type span struct{ start, end int }

// spans returns the byte spans of the text's tokens: the model's own,
// or words for models without a subword tokenizer.
func (c *chunker) spans(text string) []span {
	if c.tok != nil {
		toks := c.tok.Split(text)
		out := make([]span, len(toks))
		for i, t := range toks {
			out[i] = span{t.Start, t.End}
		}
		return out
	}
	var out []span
	start := -1
	for i, r := range text {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, span{start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(text)})
	}
	return out
}

// chunk cuts text into windows of at most size tokens that overlap by
// overlap tokens, ending windows at a paragraph or sentence break when one
// lies in the last third of the window.
func (c *chunker) chunk(text string) []chunkOut {
	toks := c.spans(text)
	var out []chunkOut
	for start := 0; start < len(toks); {
		end := min(start+c.size, len(toks))
		if end < len(toks) {
			end = c.breakBefore(text, toks, start, end)
		}
		s, e := toks[start].start, toks[end-1].end
		out = append(out, chunkOut{Text: text[s:e], Tokens: end - start, CharStart: s, CharEnd: e})
		if end == len(toks) {
			break
		}
		start = max(end-c.overlap, start+1)
	}
	return out
}

// breakBefore moves a window's end back to just after a paragraph break
// (preferred) or a sentence end within its last third.
func (c *chunker) breakBefore(text string, toks []span, start, end int) int {
	floor := start + (end-start)*2/3
	best := -1
	for i := end - 1; i > floor; i-- {
		gap := text[toks[i-1].end:toks[i].start]
		if strings.Contains(gap, "\n\n") {
			return i
		}
		if best < 0 {
			last := text[toks[i-1].start:toks[i-1].end]
			if last == "." || last == "!" || last == "?" || strings.HasSuffix(last, ".") {
				best = i
			}
		}
	}
	if best > 0 {
		return best
	}
	return end
}

// errNotText is the reason for files this version cannot read.
var errNotText = errors.New("not a text file this version of Quarry can read")

// extractAndChunk reads a document's text and cuts it into chunks.
func extractAndChunk(ctx context.Context, f foundFile, ch *chunker, _ bool) (extracted, error) {
	if err := ctx.Err(); err != nil {
		return extracted{}, err
	}
	raw, err := os.ReadFile(f.Path)
	if err != nil {
		return extracted{}, fmt.Errorf("read: %w", err)
	}
	mime := http.DetectContentType(raw)
	if !strings.HasPrefix(mime, "text/") || !utf8.Valid(raw) {
		return extracted{}, fmt.Errorf("%w (%s)", errNotText, mime)
	}
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return extracted{}, errors.New("the file holds no text")
	}
	return extracted{MimeType: mime, Chunks: ch.chunk(string(raw))}, nil
}
