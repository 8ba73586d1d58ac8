package extract

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// sniffZipNames recognizes zip-based formats by their member names: XPS
// (a FixedDocumentSequence part) and Apple iWork (Pages, Numbers, Keynote
// in the '09 XML and the 2013+ IWA formats). It returns "" for others.
func sniffZipNames(zr *zip.Reader, ext string) string {
	iworkExt := iworkKinds[ext] != ""
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(f.Name, "/"))
		base := path.Base(name)
		switch {
		case strings.HasSuffix(name, ".fdseq"):
			return "xps"
		case name == "index.apxl", base == "buildversionhistory.plist", strings.HasSuffix(name, "index/document.iwa"):
			return "iwork"
		case iworkExt && (name == "quicklook/preview.pdf" || name == "preview.pdf" || strings.HasSuffix(name, "/index.zip")):
			return "iwork"
		}
	}
	return ""
}

// iworkKinds names the iWork application by file extension.
var iworkKinds = map[string]string{".pages": "Pages", ".numbers": "Numbers", ".key": "Keynote"}

var iworkMIME = map[string]string{
	"Pages":   "application/vnd.apple.pages",
	"Numbers": "application/vnd.apple.numbers",
	"Keynote": "application/vnd.apple.keynote",
}

// readIWork indexes an Apple iWork document through the preview PDF that
// iWork embeds (QuickLook/Preview.pdf, or preview.pdf in newer files);
// the native formats themselves are not read.
func readIWork(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	app, variant, preview := iworkInfo(p, strings.ToLower(filepath.Ext(x.path)))
	if m := iworkMIME[app]; m != "" {
		x.doc.MIME = m
	}
	what := "Apple " + app
	if app == "" {
		what = "Apple iWork"
	}
	if preview == "" {
		return failf(ErrUnsupported, "%s documents are not supported (%s, no embedded preview PDF to read)", what, variant)
	}
	rc, err := p.open(preview)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fail(ErrCorrupt, fmt.Sprintf("%s document: cannot read its preview PDF: %v", what, err), err)
	}
	if err := x.readPDFData(data); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Reason = what + " document, read from its preview PDF: " + e.Reason
		}
		return err
	}
	return nil
}

// iworkInfo tells the application (Pages, Numbers, Keynote or ""), the
// file format variant and the preview PDF member ("" if none).
func iworkInfo(p *pkg, ext string) (app, variant, preview string) {
	app = iworkKinds[ext]
	variant = "iWork 2013+ format"
	for name := range p.files {
		lower := strings.ToLower(name)
		switch {
		case lower == "quicklook/preview.pdf" || lower == "preview.pdf" || strings.HasSuffix(lower, "/quicklook/preview.pdf"):
			preview = name
		case lower == "index.apxl":
			variant = "iWork '09 format"
			if app == "" {
				app = "Keynote"
			}
		case lower == "index.xml":
			variant = "iWork '09 format"
		}
		if app == "" {
			switch {
			case strings.Contains(lower, ".key/"):
				app = "Keynote"
			case strings.Contains(lower, ".pages/"):
				app = "Pages"
			case strings.Contains(lower, ".numbers/"):
				app = "Numbers"
			}
		}
	}
	if app == "" && p.has("index.xml") {
		// The root element's prefix: sl: is Pages, ls: is Numbers.
		if rc, err := p.open("index.xml"); err == nil {
			head, _ := io.ReadAll(io.LimitReader(rc, 1024))
			rc.Close()
			switch s := string(head); {
			case strings.Contains(s, "<sl:document"):
				app = "Pages"
			case strings.Contains(s, "<ls:document"):
				app = "Numbers"
			}
		}
	}
	return app, variant, preview
}

// zipDocExts maps extensions of zip-based document formats to the part
// that makes a zip one.
var zipDocExts = map[string]string{
	".docx": "word/document.xml", ".docm": "word/document.xml", ".dotx": "word/document.xml",
	".xlsx": "xl/workbook.xml", ".xlsm": "xl/workbook.xml",
	".pptx": "ppt/presentation.xml", ".pptm": "ppt/presentation.xml", ".ppsx": "ppt/presentation.xml",
	".epub": "META-INF/container.xml",
	".odt":  "content.xml", ".ods": "content.xml", ".odp": "content.xml",
	".xps": "a FixedDocumentSequence part", ".oxps": "a FixedDocumentSequence part",
	".pages": "index.xml or Index/Document.iwa", ".numbers": "index.xml or Index/Document.iwa", ".key": "index.apxl or Index/Document.iwa",
}

// readZip explains a zip file that is no document format: a damaged
// document package (named by its extension) or a plain archive.
func readZip(x *extraction) error {
	ext := strings.ToLower(filepath.Ext(x.path))
	main, isDoc := zipDocExts[ext]
	zr, err := zip.NewReader(x.f, x.size)
	if err != nil {
		what := "zip archive"
		if isDoc {
			what = ext
		}
		why := err.Error()
		if errors.Is(err, zip.ErrFormat) {
			why = "its zip directory is missing or unreadable"
		}
		return &Error{Kind: ErrCorrupt, Format: strings.TrimPrefix(ext, "."), Reason: fmt.Sprintf("corrupt %s: the archive is truncated or damaged (%s)", what, why), Err: err}
	}
	if isDoc {
		return &Error{Kind: ErrCorrupt, Format: strings.TrimPrefix(ext, "."), Reason: fmt.Sprintf("corrupt %s: the zip package has no %s (%d members)", ext, main, len(zr.File))}
	}
	return readListing(x)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
