package extract

import (
	"archive/zip"
	"bytes"
	"io"
	stdmime "mime"
	"path/filepath"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/richardlehane/mscfb"
)

// mimeByFormat names the MIME type of formats identified by structure.
var mimeByFormat = map[string]string{
	"pdf":             "application/pdf",
	"docx":            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"pptx":            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"xlsx":            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"odt":             "application/vnd.oasis.opendocument.text",
	"ods":             "application/vnd.oasis.opendocument.spreadsheet",
	"odp":             "application/vnd.oasis.opendocument.presentation",
	"epub":            "application/epub+zip",
	"rtf":             "application/rtf",
	"html":            "text/html",
	"markdown":        "text/markdown",
	"xml":             "text/xml",
	"text":            "text/plain",
	"eml":             "message/rfc822",
	"mhtml":           "multipart/related",
	"mbox":            "application/mbox",
	"msg":             "application/vnd.ms-outlook",
	"doc":             "application/msword",
	"xls":             "application/vnd.ms-excel",
	"ppt":             "application/vnd.ms-powerpoint",
	"ooxml-encrypted": "application/x-ooxml-encrypted",
	"xps":             "application/vnd.ms-xpsdocument",
	"tar":             "application/x-tar",
	"gzip":            "application/gzip",
	"bzip2":           "application/x-bzip2",
	"xz":              "application/x-xz",
	"7z":              "application/x-7z-compressed",
	"rar":             "application/vnd.rar",
}

var extFormat = map[string]string{
	".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown", ".mdx": "markdown",
	".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
	".xml": "xml", ".rss": "xml", ".atom": "xml", ".svg": "xml", ".xsd": "xml", ".opf": "xml",
	".eml": "eml", ".mht": "mhtml", ".mhtml": "mhtml", ".mbox": "mbox", ".mbx": "mbox",
	".rtf": "rtf", ".msg": "msg",
}

// detect decides the format of a file from its content and name, and the
// MIME type to record for it.
func detect(r io.ReaderAt, size int64, head []byte, path string) (format, mime string) {
	ext := strings.ToLower(filepath.Ext(path))
	format = sniff(r, size, head, ext)
	mime = mimeByFormat[format]
	if format == "text" {
		// A name that says what a text file is beats a guess from its
		// first lines (a .txt note with commas is not a CSV table).
		switch ext {
		case ".txt", ".text", ".log", ".me":
			return format, "text/plain"
		}
		if byExt := stdmime.TypeByExtension(ext); strings.HasPrefix(byExt, "text/") {
			return format, byExt
		}
	}
	if mime == "" || format == "text" {
		m := mimetype.Detect(head)
		if format != "text" || !strings.HasPrefix(m.String(), "application/octet-stream") {
			mime = m.String()
		}
	}
	if format == "text" && strings.HasPrefix(mime, "message/rfc822") {
		// A saved e-mail without its .eml extension.
		format = "eml"
	}
	return format, mime
}

func sniff(r io.ReaderAt, size int64, head []byte, ext string) string {
	trimmed := bytes.TrimLeft(head, "\x00\t\r\n \xef\xbb\xbf")
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		// Before the search for a late PDF header below: a zip that
		// stores a PDF uncompressed holds one near its start.
		return sniffZip(r, size, ext)
	case bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		// A PDF with bytes before its header.
		return "pdf"
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return sniffCFB(r, size, ext)
	case bytes.HasPrefix(trimmed, []byte(`{\rtf`)):
		return "rtf"
	case isImage(head):
		return "image"
	}
	if a := sniffArchive(head); a != "" {
		return a
	}
	if f, ok := extFormat[ext]; ok {
		return f
	}
	if looksBinary(head) {
		return "binary"
	}
	// Extension-less or unknown: a few cheap content checks.
	lower := bytes.ToLower(trimmed[:min(len(trimmed), 512)])
	switch {
	case bytes.HasPrefix(lower, []byte("<!doctype html")) || bytes.HasPrefix(lower, []byte("<html")):
		return "html"
	case bytes.HasPrefix(trimmed, []byte("From ")) && ext == "":
		return "mbox"
	}
	return "text"
}

func isImage(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")),
		bytes.HasPrefix(head, []byte("\xff\xd8\xff")),
		bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")),
		bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")),
		bytes.HasPrefix(head, []byte("BM")) && len(head) > 14 && head[6] == 0 && head[7] == 0,
		len(head) > 12 && bytes.HasPrefix(head, []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return true
	}
	return false
}

// looksBinary reports NUL bytes that are not explained by UTF-16 or
// UTF-32 text.
func looksBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) < 0 {
		return false
	}
	if looksUTF32(head) {
		return false
	}
	if _, ok := utf16Guess(head); ok {
		return false
	}
	return true
}

func sniffZip(r io.ReaderAt, size int64, ext string) string {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return "zip"
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[f.Name] = true
		if f.Name == "mimetype" {
			rc, err := f.Open()
			if err == nil {
				b, _ := io.ReadAll(io.LimitReader(rc, 128))
				rc.Close()
				switch m := strings.TrimSpace(string(b)); {
				case m == "application/epub+zip":
					return "epub"
				case strings.HasPrefix(m, "application/vnd.oasis.opendocument.text"):
					return "odt"
				case strings.HasPrefix(m, "application/vnd.oasis.opendocument.spreadsheet"):
					return "ods"
				case strings.HasPrefix(m, "application/vnd.oasis.opendocument.presentation"):
					return "odp"
				}
			}
		}
	}
	if f := sniffZipNames(zr, ext); f != "" {
		return f
	}
	switch {
	case has["word/document.xml"]:
		return "docx"
	case has["ppt/presentation.xml"]:
		return "pptx"
	case has["xl/workbook.xml"]:
		return "xlsx"
	case has["META-INF/container.xml"]:
		return "epub"
	case has["content.xml"]:
		return "odt"
	case has["[Content_Types].xml"]:
		// An OOXML package whose main part is not where we look: read
		// the content types to tell.
		return sniffContentTypes(zr)
	}
	return "zip"
}

func sniffContentTypes(zr *zip.Reader) string {
	for _, f := range zr.File {
		if f.Name != "[Content_Types].xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "zip"
		}
		b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
		rc.Close()
		s := string(b)
		switch {
		case strings.Contains(s, "wordprocessingml.document.main"):
			return "docx"
		case strings.Contains(s, "presentationml.presentation.main"):
			return "pptx"
		case strings.Contains(s, "spreadsheetml.sheet.main"):
			return "xlsx"
		}
	}
	return "zip"
}

func sniffCFB(r io.ReaderAt, size int64, ext string) (format string) {
	// A damaged compound file cannot be looked into: its name says what
	// it was meant to be, so that reader can report the damage.
	damaged := "cfb"
	switch ext {
	case ".doc", ".dot":
		damaged = "doc"
	case ".xls", ".xlt":
		damaged = "xls"
	case ".ppt", ".pps", ".pot":
		damaged = "ppt"
	}
	defer func() {
		if recover() != nil {
			format = damaged
		}
	}()
	doc, err := mscfb.New(io.NewSectionReader(r, 0, size))
	if err != nil {
		return damaged
	}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		switch {
		case e.Name == "EncryptionInfo" || e.Name == "EncryptedPackage":
			return "ooxml-encrypted"
		case strings.HasPrefix(e.Name, "__substg1.0_") || e.Name == "__properties_version1.0":
			return "msg"
		case e.Name == "WordDocument":
			return "doc"
		case e.Name == "Workbook" || e.Name == "Book":
			return "xls"
		case e.Name == "PowerPoint Document":
			return "ppt"
		}
	}
	return "cfb"
}

type readerFunc func(x *extraction) error

// readers maps formats to their readers; filled in init to break the
// initialization cycle through run.
var readers map[string]readerFunc

func init() {
	readers = map[string]readerFunc{
		"pdf":             readPDF,
		"docx":            readDOCX,
		"pptx":            readPPTX,
		"xlsx":            readXLSX,
		"odt":             readODT,
		"ods":             readODS,
		"odp":             readODP,
		"epub":            readEPUB,
		"rtf":             readRTF,
		"html":            readHTMLFile,
		"xml":             readXML,
		"markdown":        readMarkdown,
		"text":            readText,
		"eml":             readEML,
		"mhtml":           readEML,
		"mbox":            readMbox,
		"msg":             readMSG,
		"image":           readImage,
		"ooxml-encrypted": readEncryptedOOXML,
		"xps":             readXPS,
		"iwork":           readIWork,
		"zip":             readZip,
		"tar":             readListing,
		"gzip":            readGzip,
		"bzip2":           readListing,
		"xz":              readListing,
		"7z":              readListing,
		"rar":             readListing,
		"doc":             readDOC,
		"xls":             readXLS,
		"ppt":             readPPT,
	}
}

func unsupportedReason(format string) error {
	switch format {
	case "cfb":
		return failf(ErrUnsupported, "unknown OLE compound document")
	case "binary":
		return failf(ErrUnsupported, "binary file with no text")
	}
	return failf(ErrUnsupported, "format %q is not supported", format)
}
