// Package extract turns a file into structured text: a Document of Blocks
// that keep the structure search needs later (pages, headings, slides,
// sheets, chapters, table rows) plus light metadata.
//
// Every failure is an *Error wrapping one of the sentinel errors (ErrEncrypted,
// ErrNoText, ErrUnsupported, ErrCorrupt, ErrTooLarge, ErrEmpty) with a human
// reason, so a caller can record "failed: <reason>" per file. Readers never
// panic on malformed input: a panic inside a format reader is recovered and
// reported as ErrCorrupt.
package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors; test with errors.Is. The *Error that wraps them carries
// the human reason.
var (
	ErrEncrypted   = errors.New("encrypted")
	ErrNoText      = errors.New("no text")
	ErrUnsupported = errors.New("unsupported format")
	ErrCorrupt     = errors.New("corrupt file")
	ErrTooLarge    = errors.New("too large")
	ErrEmpty       = errors.New("empty")
)

// Error is an extraction failure with a reason fit to show per file.
type Error struct {
	Kind   error  // one of the sentinel errors
	Format string // detected format, "" if unknown
	Reason string // human explanation, lower case
	Err    error  // underlying error, may be nil
}

func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Format != "" {
		s = e.Format + ": " + s
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap lets errors.Is match both the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Reason returns the human reason of an extraction error, or err.Error()
// for any other error.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.Reason != "" {
			return e.Reason
		}
		return e.Kind.Error()
	}
	return err.Error()
}

func fail(kind error, reason string, cause error) *Error {
	return &Error{Kind: kind, Reason: reason, Err: cause}
}

func failf(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// Kind says what a Block is.
type Kind string

// Block kinds.
const (
	KindParagraph Kind = "paragraph"
	KindHeading   Kind = "heading"
	KindTableRow  Kind = "table-row"
	KindSlide     Kind = "slide"
	KindNotes     Kind = "notes"
	KindSheetRow  Kind = "sheet-row"
	KindChapter   Kind = "chapter"
	KindPage      Kind = "page"
	KindHeader    Kind = "header" // document header/footer or e-mail headers
	KindFootnote  Kind = "footnote"
	KindCode      Kind = "code"
)

// Block is one unit of extracted text.
type Block struct {
	Kind Kind
	Text string
	// Page is the 1-based page (PDF), slide (PPTX) or chapter (EPUB)
	// number; 0 where the format has no pages.
	Page int
	// Headings is the heading path in force at this block, outermost
	// first (Markdown, HTML, DOCX, ODT headings; sheet name for sheets).
	Headings []string
}

// Meta is the metadata a format offers; zero fields are unknown.
type Meta struct {
	Author   string
	Subject  string
	Created  time.Time
	Modified time.Time
	// Encoding is the character set text was decoded from ("utf-8",
	// "shift_jis", ...), for text-like formats.
	Encoding string
	// Pages is the number of pages, slides, sheets or chapters.
	Pages int
	// E-mail headers.
	From, To, Cc, Date string
	// Attachments names the attachments of an e-mail (not extracted).
	Attachments []string
	// OCR reports that the text came from optical character recognition.
	OCR bool
	// Truncated reports that a size cap stopped extraction early.
	Truncated bool
}

// Document is the structured text of one file.
type Document struct {
	Path   string
	Format string // "pdf", "docx", "markdown", "text", ...
	MIME   string
	Title  string
	Meta   Meta
	Blocks []Block
}

// BlockSeparator joins block texts in Text; chunk offsets are relative to
// that concatenation.
const BlockSeparator = "\n\n"

// Text returns the document's blocks joined by BlockSeparator.
func (d *Document) Text() string {
	n := 0
	for _, b := range d.Blocks {
		n += len(b.Text) + len(BlockSeparator)
	}
	var sb strings.Builder
	sb.Grow(n)
	for i, b := range d.Blocks {
		if i > 0 {
			sb.WriteString(BlockSeparator)
		}
		sb.WriteString(b.Text)
	}
	return sb.String()
}

// Options bound and configure extraction. The zero value is usable.
type Options struct {
	// MaxFileSize rejects larger files with ErrTooLarge (default 256 MiB).
	MaxFileSize int64
	// MaxTextBytes caps extracted text; extraction stops there and sets
	// Meta.Truncated (default 32 MiB).
	MaxTextBytes int
	// MaxSheetRows caps rows read per spreadsheet sheet (default 10,000)
	// and MaxSheetCells the cells per document (default 500,000).
	MaxSheetRows  int
	MaxSheetCells int
	// OCR enables optical character recognition of images and scanned
	// PDFs through the tesseract command.
	OCR bool
	// OCRLanguages is tesseract's -l argument (default "eng").
	OCRLanguages string
	// TesseractPath overrides the tesseract binary (default: PATH lookup).
	TesseractPath string
	// OCRPageTimeout bounds one tesseract run (default 2 minutes).
	OCRPageTimeout time.Duration
	// Password opens a password-protected PDF or Office file. It is used
	// for this one extraction only; callers must not keep it.
	Password string
	// Logger receives debug detail; nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 256 << 20
	}
	if o.MaxTextBytes <= 0 {
		o.MaxTextBytes = 32 << 20
	}
	if o.MaxSheetRows <= 0 {
		o.MaxSheetRows = 10000
	}
	if o.MaxSheetCells <= 0 {
		o.MaxSheetCells = 500000
	}
	if o.OCRLanguages == "" {
		o.OCRLanguages = "eng"
	}
	if o.OCRPageTimeout <= 0 {
		o.OCRPageTimeout = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Extract reads the file at path and returns its structured text. The
// format is sniffed from the content first and the extension second.
func Extract(ctx context.Context, path string, opts Options) (*Document, error) {
	opts = opts.withDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{Kind: ErrUnsupported, Reason: "not a regular file"}
	}
	if fi.Size() == 0 {
		return nil, &Error{Kind: ErrEmpty, Reason: "file is empty (0 bytes)"}
	}
	if fi.Size() > opts.MaxFileSize {
		return nil, failf(ErrTooLarge, "file is %d bytes, limit is %d", fi.Size(), opts.MaxFileSize)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	defer f.Close()

	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("extract %s: read: %w", path, err)
	}
	head = head[:n]
	format, mime := detect(f, fi.Size(), head, path)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("extract %s: %w", path, err)
	}
	x := &extraction{ctx: ctx, opts: opts, path: path, f: f, size: fi.Size(), head: head}
	x.doc = &Document{Path: path, Format: format, MIME: mime}
	if err := x.run(format); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Format == "" {
			e.Format = format
		}
		return nil, err
	}
	return x.doc, nil
}

// extraction is the state one Extract call shares with the format readers.
type extraction struct {
	ctx   context.Context
	opts  Options
	path  string
	f     *os.File
	size  int64
	head  []byte
	doc   *Document
	bytes int  // text bytes emitted so far
	full  bool // MaxTextBytes reached
}

// errFull stops a reader once MaxTextBytes is reached.
var errFull = errors.New("text limit reached")

func (x *extraction) run(format string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			x.opts.Logger.Debug("extract panic recovered", "path", x.path, "panic", r, "stack", string(debug.Stack()))
			err = &Error{Kind: ErrCorrupt, Reason: fmt.Sprintf("malformed %s: %v", format, r)}
		}
	}()
	r, ok := readers[format]
	if !ok {
		return unsupportedReason(format)
	}
	err = r(x)
	if errors.Is(err, errFull) {
		x.doc.Meta.Truncated = true
		err = nil
	}
	if err != nil {
		return err
	}
	if err := x.ctx.Err(); err != nil {
		return err
	}
	if len(x.doc.Blocks) == 0 {
		if x.doc.Meta.Pages > 0 && format == "pdf" {
			return failf(ErrNoText, "no text layer in %d page(s); %s", x.doc.Meta.Pages, ocrState(x.opts))
		}
		return &Error{Kind: ErrEmpty, Reason: "no text content"}
	}
	return nil
}

// add appends a block, normalizing its text; blank blocks are dropped.
// It returns errFull when the text cap is reached and ctx's error when
// cancelled, so readers can simply propagate it.
func (x *extraction) add(b Block) error {
	if err := x.ctx.Err(); err != nil {
		return err
	}
	if x.full {
		return errFull
	}
	b.Text = cleanText(b.Text)
	if b.Text == "" {
		return nil
	}
	if rest := x.opts.MaxTextBytes - x.bytes; len(b.Text) > rest {
		b.Text = truncateUTF8(b.Text, rest)
		x.full = true
	}
	x.bytes += len(b.Text)
	if b.Text != "" {
		x.doc.Blocks = append(x.doc.Blocks, b)
	}
	if x.full {
		return errFull
	}
	return nil
}

// cleanText makes text valid UTF-8, drops control characters other than
// tab and newline, normalizes line ends and trims surrounding blank space.
func cleanText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			clean = false
			break
		}
	}
	if !clean {
		var sb strings.Builder
		sb.Grow(len(s))
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			switch {
			case r == utf8.RuneError && size == 1:
				sb.WriteRune(utf8.RuneError)
			case r == '\r':
				if i < len(s) && s[i] == '\n' {
					continue
				}
				sb.WriteByte('\n')
			case r == '\u00a0':
				sb.WriteByte(' ')
			case r == '\n' || r == '\t':
				sb.WriteRune(r)
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\ufeff' || r == '\u00ad':
				// control characters, BOM and soft hyphens carry no text
			default:
				sb.WriteRune(r)
			}
		}
		s = sb.String()
	}
	return strings.TrimSpace(s)
}

func truncateUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// readAll reads the whole file, bounded by MaxFileSize (checked by Extract).
func (x *extraction) readAll() ([]byte, error) {
	if _, err := x.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seek: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(x.f, x.opts.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return b, nil
}
