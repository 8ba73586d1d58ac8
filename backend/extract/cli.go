package extract

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Run is `quarry extract [-ocr] FILE...`: it prints what Quarry would
// index for each file: the detected format, the page count and each
// block's text, or the failure reason. The exit code is 0 when every file
// yielded text, 1 when one failed and 2 on a usage error.
func Run(ctx context.Context, args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	ocr := fs.Bool("ocr", false, "run OCR on images and scanned PDFs (needs tesseract)")
	quiet := fs.Bool("summary", false, "print only the format, page count and word count, not the text")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: quarry extract [-ocr] [-summary] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for i, path := range fs.Args() {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if !printFile(ctx, stdout, path, Options{OCR: *ocr}, *quiet) {
			code = 1
		}
	}
	return code
}

// printFile prints a file's extraction and, for an archive or e-mail,
// each member's as the indexer sees it; it reports whether all succeeded.
func printFile(ctx context.Context, w io.Writer, path string, opts Options, summary bool) bool {
	ok := printExtraction(ctx, w, path, path, opts, summary)
	if !MayContain(path) {
		return ok
	}
	tmp, err := os.MkdirTemp("", "quarry-extract-")
	if err != nil {
		fmt.Fprintf(w, "failed: cannot unpack: %v\n", err)
		return false
	}
	defer os.RemoveAll(tmp)
	err = WalkMembers(ctx, path, path, tmp, Limits{}, nil, func(shown string, m Member, local string) error {
		fmt.Fprintln(w)
		if m.Reason != "" {
			fmt.Fprintf(w, "file:   %s\nfailed: %s\n", shown, m.Reason)
			ok = false
		} else if !printExtraction(ctx, w, shown, local, opts, summary) {
			ok = false
		}
		if local != "" {
			os.RemoveAll(filepath.Dir(local))
		}
		return nil
	})
	if err != nil && ok && !errors.Is(err, ErrNotContainer) {
		// (A container that failed to read said why above.)
		fmt.Fprintf(w, "\nfile:   %s\nfailed: %s\n", path, Reason(err))
		ok = false
	}
	return ok
}

// printExtraction prints one file's extraction (shown under its document
// path, read from local) and reports success.
func printExtraction(ctx context.Context, w io.Writer, shown, local string, opts Options, summary bool) bool {
	fmt.Fprintf(w, "file:   %s\n", shown)
	doc, err := Extract(ctx, local, opts)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Format != "" {
			fmt.Fprintf(w, "format: %s\n", e.Format)
		}
		kind := "error"
		if k := errorKind(err); k != nil {
			kind = k.Error()
		}
		fmt.Fprintf(w, "failed: %s: %s\n", kind, Reason(err))
		return false
	}
	fmt.Fprintf(w, "format: %s (%s)\n", doc.Format, doc.MIME)
	if doc.Meta.Encoding != "" {
		fmt.Fprintf(w, "encoding: %s\n", doc.Meta.Encoding)
	}
	if doc.Title != "" {
		fmt.Fprintf(w, "title:  %s\n", doc.Title)
	}
	fmt.Fprintf(w, "pages:  %d\n", doc.Meta.Pages)
	fmt.Fprintf(w, "blocks: %d, words: %d", len(doc.Blocks), len(strings.Fields(doc.Text())))
	if doc.Meta.Truncated {
		fmt.Fprint(w, " (truncated)")
	}
	if doc.Meta.OCR {
		fmt.Fprint(w, " (OCR)")
	}
	fmt.Fprintln(w)
	if summary {
		return true
	}
	for _, b := range doc.Blocks {
		label := string(b.Kind)
		if b.Page > 0 {
			label += fmt.Sprintf(" p%d", b.Page)
		}
		if len(b.Headings) > 0 {
			label += " [" + strings.Join(b.Headings, " > ") + "]"
		}
		fmt.Fprintf(w, "\n--- %s\n%s\n", label, b.Text)
	}
	return true
}

func errorKind(err error) error {
	for _, k := range []error{ErrEncrypted, ErrNoText, ErrUnsupported, ErrCorrupt, ErrTooLarge, ErrEmpty} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
