package indexer

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quarry-search/quarry/backend/chunk"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/scan"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// foundFile is a file met while walking a source, or a file inside an
// archive or e-mail found there.
type foundFile struct {
	Path     string
	Size     int64
	Modified time.Time
	MimeType string
	Hash     string
	// Err is set when the file was found but cannot be read.
	Err error
	// Local, for a member of a container, is the temporary file it was
	// unpacked to; release lets go of it once the member is handled.
	Local   string
	release func()
	// Reason, when set, is why the file is recorded as failed without
	// being read (a member an unpacking limit left out, a container one
	// stopped).
	Reason string
}

// file is where the content is read from.
func (f *foundFile) file() string {
	if f.Local != "" {
		return f.Local
	}
	return f.Path
}

// done lets go of a member's temporary file.
func (f *foundFile) done() {
	if f.release != nil {
		f.release()
		f.release = nil
	}
}

// hash fills in the sha256 of the file's content; unchanged files are
// recognised by size and time first, so only new and changed files are
// read in full.
func (f *foundFile) hash() error {
	if f.Hash != "" {
		return nil
	}
	if f.Reason != "" && f.Local == "" {
		// Nothing was read: the path stands in for the content, so the
		// failure is recorded per path.
		sum := sha256.Sum256([]byte("unread\x00" + f.Path + "\x00" + f.Reason))
		f.Hash = hex.EncodeToString(sum[:])
		return nil
	}
	h, err := scan.Hash(f.file())
	if err != nil {
		return err
	}
	f.Hash = h
	return nil
}

// ScanOptions limit what is picked up from folders.
type ScanOptions struct {
	Include, Exclude []string
	// MaxFileSize skips larger files; 0 means 256 MiB.
	MaxFileSize int64
	// IncludeHidden picks up dot-files and system files too.
	IncludeHidden bool
}

// Scan returns the scanning rules these options stand for, as walks and
// watches apply them.
func (o ScanOptions) Scan() scan.Options {
	limit := o.MaxFileSize
	if limit <= 0 {
		limit = 256 << 20
	}
	return scan.Options{Include: o.Include, Exclude: o.Exclude, IncludeHidden: o.IncludeHidden, MaxFileSize: limit, NoHash: true}
}

// walk visits a folder's files in a stable order: ignore files
// (.gitignore, .quarryignore), globs, hidden and system files and the size
// limit apply; unreadable paths are reported through fn with Err set.
func walk(ctx context.Context, root string, opts ScanOptions, fn func(foundFile) error) error {
	so, visit, cbErr := walkFuncs(root, opts, fn)
	if err := scan.Walk(ctx, root, so, visit); err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	return *cbErr
}

// walkPaths is walk limited to some files and folders under root; it
// returns those that are not there (or that the rules now leave out).
func walkPaths(ctx context.Context, root string, paths []string, opts ScanOptions, fn func(foundFile) error) ([]string, error) {
	so, visit, cbErr := walkFuncs(root, opts, fn)
	missing, err := scan.WalkPaths(ctx, root, paths, so, visit)
	if err != nil {
		return missing, fmt.Errorf("walk %s: %w", root, err)
	}
	return missing, *cbErr
}

func walkFuncs(root string, opts ScanOptions, fn func(foundFile) error) (scan.Options, func(scan.File) error, *error) {
	var cbErr error
	so := opts.Scan()
	so.OnError = func(path string, err error) {
		if cbErr == nil && path != root {
			cbErr = fn(foundFile{Path: path, Err: err})
		}
	}
	return so, func(f scan.File) error {
		if cbErr != nil {
			return cbErr
		}
		return fn(foundFile{Path: f.Path, Size: f.Size, Modified: f.ModTime, MimeType: f.MIME})
	}, &cbErr
}

// extracted is what a document turned into.
type extracted struct {
	MimeType string
	Pages    int
	Meta     map[string]any
	Chunks   []chunk.Chunk
	// Text is the document's blocks as encodeText keeps them, TextBytes
	// the size of its plain text.
	Text      []byte
	TextBytes int
}

// extractAndChunk reads a document's text and cuts it into chunks. The
// error, if any, is the reason shown for the file.
func extractAndChunk(ctx context.Context, f foundFile, ch *chunk.Chunker, ocr bool) (out extracted, err error) {
	// A bug tripped by one odd file must fail that file, not the app.
	defer func() {
		if r := recover(); r != nil {
			out, err = extracted{}, fmt.Errorf("internal error while reading this file: %v", r)
		}
	}()
	doc, err := extract.Extract(ctx, f.file(), extract.Options{OCR: ocr})
	if err != nil {
		if ctx.Err() != nil {
			return extracted{}, ctx.Err()
		}
		return extracted{}, errors.New(extract.Reason(err))
	}
	return chunkDocument(ctx, doc, ch)
}

// errNoChunks is a document whose text cuts into no chunks.
var errNoChunks = errors.New("the file holds no text")

// chunkDocument cuts a document read already into chunks and keeps its
// text as it is stored.
func chunkDocument(ctx context.Context, doc *extract.Document, ch *chunk.Chunker) (extracted, error) {
	chunks, err := ch.Document(ctx, doc)
	if err != nil {
		return extracted{}, fmt.Errorf("chunk: %w", err)
	}
	if len(chunks) == 0 {
		return extracted{}, errNoChunks
	}
	text, n, err := encodeText(doc.Blocks)
	if err != nil {
		return extracted{}, fmt.Errorf("keep text: %w", err)
	}
	return extracted{MimeType: doc.MIME, Pages: doc.Meta.Pages, Meta: meta(doc), Chunks: chunks, Text: text, TextBytes: n}, nil
}

// storedBlock is a block as kept in PostgreSQL.
type storedBlock struct {
	Kind     extract.Kind `json:"k,omitempty"`
	Text     string       `json:"t"`
	Page     int          `json:"p,omitempty"`
	Headings []string     `json:"h,omitempty"`
}

// encodeText keeps a document's blocks (text, page map, heading paths) as
// gzip-compressed JSON, so that chunks can be cut again without opening
// the file; it also returns the plain text's size.
func encodeText(blocks []extract.Block) ([]byte, int, error) {
	out := make([]storedBlock, len(blocks))
	n := 0
	for i, b := range blocks {
		out[i] = storedBlock{Kind: b.Kind, Text: b.Text, Page: b.Page, Headings: b.Headings}
		n += len(b.Text)
	}
	var buf bytes.Buffer
	// A compressor holds about a megabyte of tables: reused, not made per
	// document (which made the garbage collector the indexer's main cost).
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if err := json.NewEncoder(zw).Encode(out); err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), n, nil
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// decodeText reverses encodeText.
func decodeText(raw []byte) ([]extract.Block, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var in []storedBlock
	if err := json.NewDecoder(zr).Decode(&in); err != nil {
		return nil, err
	}
	out := make([]extract.Block, len(in))
	for i, b := range in {
		out[i] = extract.Block{Kind: b.Kind, Text: b.Text, Page: b.Page, Headings: b.Headings}
	}
	return out, nil
}

func meta(doc *extract.Document) map[string]any {
	m := map[string]any{"format": doc.Format}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("title", doc.Title)
	set("author", doc.Meta.Author)
	set("subject", doc.Meta.Subject)
	set("encoding", doc.Meta.Encoding)
	set("from", doc.Meta.From)
	set("to", doc.Meta.To)
	set("cc", doc.Meta.Cc)
	set("date", doc.Meta.Date)
	if !doc.Meta.Created.IsZero() {
		m["created"] = doc.Meta.Created
	}
	if !doc.Meta.Modified.IsZero() {
		m["modified"] = doc.Meta.Modified
	}
	if len(doc.Meta.Attachments) > 0 {
		m["attachments"] = doc.Meta.Attachments
	}
	if doc.Meta.OCR {
		m["ocr"] = true
	}
	if doc.Meta.Truncated {
		m["truncated"] = true
	}
	return m
}

// words is a tokenizer for word-vector models: one token per run of
// letters and digits, one per other visible character.
type words struct{}

func (words) Split(text string) []tokenizer.Token {
	var out []tokenizer.Token
	start := -1
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if start >= 0 && !word {
			out = append(out, tokenizer.Token{Start: start, End: i})
			start = -1
		}
		switch {
		case word && start < 0:
			start = i
		case !word && !unicode.IsSpace(r):
			out = append(out, tokenizer.Token{Start: i, End: i + utf8.RuneLen(r)})
		}
	}
	if start >= 0 {
		out = append(out, tokenizer.Token{Start: start, End: len(text)})
	}
	return out
}

func (w words) Count(text string) int { return len(w.Split(text)) }

func (w words) Encode(text string, maxLen int) tokenizer.Encoding {
	toks := w.Split(text)
	if maxLen > 0 && len(toks) > maxLen {
		toks = toks[:maxLen]
	}
	enc := tokenizer.Encoding{IDs: make([]int64, len(toks)), Offsets: make([][2]int, len(toks))}
	for i, t := range toks {
		enc.Offsets[i] = [2]int{t.Start, t.End}
	}
	return enc
}

func (words) PadID() int64                { return 0 }
func (words) VocabSize() int              { return 0 }
func (words) TokenString(id int64) string { return "" }
