package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/fixtures"
)

func extractOK(t *testing.T, rel string) *Document {
	t.Helper()
	doc, err := Extract(t.Context(), mixed(t, rel), Options{})
	if err != nil {
		t.Fatalf("extract %s: %v", rel, err)
	}
	return doc
}

// TestKnownContent checks per-format structure and text on real files.
func TestKnownContent(t *testing.T) {
	tests := []struct {
		file   string
		format string
		want   []string // substrings of the text
		check  func(t *testing.T, d *Document)
	}{
		{"pdf/pdfjs__tracemonkey.pdf", "pdf", []string{"Trace-based Just-in-Time Type Specialization", "TraceMonkey"}, func(t *testing.T, d *Document) {
			if d.Meta.Pages != 14 || d.Blocks[len(d.Blocks)-1].Page != 14 || d.Blocks[0].Page != 1 {
				t.Errorf("pages %d, blocks %d..%d; want 14 pages", d.Meta.Pages, d.Blocks[0].Page, d.Blocks[len(d.Blocks)-1].Page)
			}
		}},
		{"pdf/pdfjs__helloworld-bad.pdf", "pdf", []string{"Hello, world!"}, nil},
		{"pdf/sist2__utf8.pdf", "pdf", []string{"最後測試", "Hello, world"}, nil},
		{"docx/tika__testWORD.docx", "docx", []string{"Sample Word Document"}, func(t *testing.T, d *Document) {
			if !slices.ContainsFunc(d.Blocks, func(b Block) bool { return b.Kind == KindHeading }) {
				t.Error("no heading blocks")
			}
		}},
		{"docx/tika__footnotes.docx", "docx", []string{"snoska"}, func(t *testing.T, d *Document) {
			if !slices.ContainsFunc(d.Blocks, func(b Block) bool { return b.Kind == KindFootnote }) {
				t.Error("no footnote block")
			}
		}},
		{"docx/python-docx__tbl-cell-access.docx", "docx", []string{"1 | 2 | 3"}, func(t *testing.T, d *Document) {
			if !slices.ContainsFunc(d.Blocks, func(b Block) bool { return b.Kind == KindTableRow }) {
				t.Error("no table rows")
			}
		}},
		{"docx/python-docx__hdr-header-footer.docx", "docx", []string{"section with header"}, func(t *testing.T, d *Document) {
			if !slices.ContainsFunc(d.Blocks, func(b Block) bool { return b.Kind == KindHeader }) {
				t.Error("no header/footer block")
			}
		}},
		{"pptx/tika__testPPT_various.pptx", "pptx", []string{"Row 1 Col 1 | Row 1 Col 2"}, func(t *testing.T, d *Document) {
			for _, b := range d.Blocks {
				if b.Page < 1 {
					t.Errorf("slide block without slide number: %+v", b)
				}
			}
		}},
		{"pptx/python-pptx__sld-notes.pptx", "pptx", []string{"Notes"}, nil},
		{"xlsx/tika__testEXCEL.xlsx", "xlsx", []string{"Sample Excel Worksheet"}, func(t *testing.T, d *Document) {
			if d.Blocks[0].Kind != KindSheetRow || len(d.Blocks[0].Headings) != 1 {
				t.Errorf("first block %+v, want a sheet row under the sheet name", d.Blocks[0])
			}
		}},
		{"ods/tika__test-columnar.ods", "ods", []string{"Record Number"}, nil},
		{"odt/tika__testOpenOffice2.odt", "odt", []string{"This is a sample Open Office document"}, nil},
		{"rtf/tika__testRTF.rtf", "rtf", []string{"Test d’indexation Word"}, nil},
		{"html/tika__testHTML_utf8.html", "html", []string{"åäö"}, nil},
		{"html/tika__testHTML.html", "html", []string{"Indexation du fichier"}, func(t *testing.T, d *Document) {
			if d.Title == "" {
				t.Error("no title")
			}
		}},
		{"epub/tika__testEPUB.epub", "epub", []string{"Chapter 1"}, func(t *testing.T, d *Document) {
			if d.Meta.Pages < 2 {
				t.Errorf("%d chapters", d.Meta.Pages)
			}
		}},
		{"email/tika__testRFC822_multipart_attachments.eml", "eml", []string{"From: Bugs Bunny"}, func(t *testing.T, d *Document) {
			if len(d.Meta.Attachments) == 0 {
				t.Error("no attachment names")
			}
		}},
		{"email/tika__complex.mbox", "mbox", []string{"From: Jothi Padmanabhan"}, func(t *testing.T, d *Document) {
			if d.Meta.Pages < 2 {
				t.Errorf("%d messages", d.Meta.Pages)
			}
		}},
		{"email/tika__testMSG.msg", "msg", []string{"Jukka Zitting"}, nil},
		{"markdown/rust-book/ch04-01-what-is-ownership.md", "markdown", []string{"Ownership Rules"}, func(t *testing.T, d *Document) {
			for _, b := range d.Blocks {
				if strings.Contains(b.Text, "Each value in Rust has an _owner_") {
					if !slices.Contains(b.Headings, "Ownership Rules") {
						t.Errorf("block under %q, want Ownership Rules", b.Headings)
					}
					return
				}
			}
			t.Error("ownership rule text not found")
		}},
		{"malformed/tika__testODTnotaZipFile.odt", "text", []string{"This is not a zip file!"}, nil},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			d := extractOK(t, tt.file)
			if d.Format != tt.format {
				t.Errorf("format %q, want %q", d.Format, tt.format)
			}
			text := d.Text()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q: %.300q", w, text)
				}
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestEncodings(t *testing.T) {
	tests := []struct{ file, enc, want string }{
		{"encodings/chardet__Big5___chromium_Big5_with_no_encoding_specified.html", "big5", "台北看守所"},
		{"encodings/chardet__EUC-KR___mozilla_bug9357_text.html", "euc-kr", "요청하신 웹 페이지를"},
		{"encodings/chardet__GB2312__2.blog.westca.com.xml", "gb18030", "森林小屋"},
		{"encodings/chardet__KOI8-R___ude_1.txt", "koi8-r", "В гимназии он не был"},
		{"encodings/chardet__SHIFT_JIS__10e.org.xml", "shift_jis", "エルエル"},
		{"encodings/chardet__UTF-16BE__nobom-utf16be.txt", "utf-16be", "DateTime,Bid,Ask"},
		{"encodings/chardet__UTF-16LE__nobom-utf16le.txt", "utf-16le", "DateTime,Bid,Ask"},
		{"encodings/chardet__iso-8859-1___ude_2.txt", "windows-1252", "dépend à la fois de la durée"},
		{"encodings/chardet__iso-8859-5-bulgarian__aero-bg.com.xml", "iso-8859-5", "страницата"},
		{"encodings/chardet__utf-8-sig___ude_4.txt", "utf-8", "universalchardet"},
		{"encodings/chardet__windows-1252___ude_1.txt", "windows-1252", "gehört zum Netzwerk"},
		{"encodings/chardet__windows-1255-hebrew___chromium_windows-1255_with_no_encoding_specified.html", "", "במקביל"},
		{"encodings/tika__russian.cp866.txt", "ibm866", "Однажды, в студеную"},
		{"encodings/tika__testHTML_charset_utf16le.html", "utf-16le", "This is a sample text"},
		{"encodings/tika__testTXT_win-1252.txt", "windows-1252", "smart quotes"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			d := extractOK(t, tt.file)
			if tt.enc != "" && d.Meta.Encoding != tt.enc {
				t.Errorf("encoding %q, want %q", d.Meta.Encoding, tt.enc)
			}
			if !strings.Contains(d.Text(), tt.want) {
				t.Errorf("text lacks %q: %.200q", tt.want, d.Text())
			}
		})
	}
}

func TestFailuresHaveReasons(t *testing.T) {
	tests := []struct {
		file string
		kind error
		why  string
	}{
		{"pdf/pdfjs__issue6010_1.pdf", ErrEncrypted, "password"},
		{"docx/tika__testWORD_protected_passtika.docx", ErrEncrypted, "password-protected"},
		{"pdf/tika__testOCR.pdf", ErrNoText, "OCR is off"},
		{"malformed/derived__zero_bytes.pdf", ErrEmpty, "0 bytes"},
		{"malformed/derived__tracemonkey_truncated50.pdf", ErrCorrupt, "malformed PDF"},
		{"pdf/ocrmypdf__invalid.pdf", ErrCorrupt, "malformed PDF"},
		{"doc/msoffcrypto__rc4cryptoapi_password.doc", ErrEncrypted, "password-protected"},
		{"xls/tika__testEXCEL_protected_passtika.xls", ErrEncrypted, "password-protected"},
		{"malformed/derived__png_bytes_named.txt", ErrNoText, "image"},
		{"pptx/python-pptx__no-slides.pptx", ErrEmpty, "no slides"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			_, err := Extract(t.Context(), mixed(t, tt.file), Options{})
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err %v, want %v", err, tt.kind)
			}
			if !strings.Contains(Reason(err), tt.why) {
				t.Errorf("reason %q, want it to mention %q", Reason(err), tt.why)
			}
		})
	}
}

func TestLimitsAndCancel(t *testing.T) {
	p := mixed(t, "pdf/pdfjs__tracemonkey.pdf")
	if _, err := Extract(t.Context(), p, Options{MaxFileSize: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size limit: err %v, want ErrTooLarge", err)
	}
	d, err := Extract(t.Context(), p, Options{MaxTextBytes: 5000})
	if err != nil || !d.Meta.Truncated || len(d.Text()) > 5000+len(BlockSeparator)*len(d.Blocks) {
		t.Errorf("text cap: err %v, truncated %v", err, d != nil && d.Meta.Truncated)
	}
	ctx, cancel := contextWithCancel(t)
	cancel()
	if _, err := Extract(ctx, p, Options{}); err == nil {
		t.Error("cancelled extraction succeeded")
	}
	// A huge sheet is capped by rows.
	d, err = Extract(t.Context(), mixed(t, "ods/tika__test-columnar.ods"), Options{MaxSheetRows: 3})
	if err != nil || !d.Meta.Truncated || len(d.Blocks) > 3 {
		t.Errorf("row cap: err %v, %d blocks", err, len(d.Blocks))
	}
}

func TestOCR(t *testing.T) {
	// OCR is optional for users, but make test installs tesseract, so
	// its absence in CI is a missing part, not a reason to skip.
	if ok, why := OCRAvailable(Options{OCR: true}); !ok {
		fixtures.Missing(t, "%s", why)
	}
	if testing.Short() {
		t.Skip("OCR is slow")
	}
	d, err := Extract(t.Context(), mixed(t, "malformed/derived__png_bytes_named.txt"), Options{OCR: true})
	if err != nil {
		if !errors.Is(err, ErrNoText) {
			t.Fatalf("ocr image: %v", err)
		}
	} else if !d.Meta.OCR {
		t.Error("OCR flag not set")
	}
	// linn.pdf holds a JBIG2 image: OCR needs pdftoppm to render it, and
	// says so when it is missing.
	d, err = Extract(t.Context(), mixed(t, "pdf/ocrmypdf__linn.pdf"), Options{OCR: true})
	switch {
	case err != nil && !errors.Is(err, ErrNoText):
		t.Fatalf("ocr pdf: %v", err)
	case err != nil:
		t.Logf("ocr pdf: %v", err)
	case !strings.Contains(strings.ToLower(d.Text()), "linn"):
		t.Errorf("OCR text lacks %q: %.200q", "linn", d.Text())
	}
}

func TestMissingOCRReason(t *testing.T) {
	_, err := Extract(t.Context(), mixed(t, "pdf/tika__testOCR.pdf"), Options{OCR: true, TesseractPath: filepath.Join(t.TempDir(), "no-tesseract")})
	if !errors.Is(err, ErrNoText) || !strings.Contains(Reason(err), "tesseract is not installed") {
		t.Errorf("err %v, want the tesseract-missing reason", err)
	}
}

func TestMalformedSynthetic(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"broken.docx": append([]byte("PK\x03\x04"), make([]byte, 200)...),
		"nested.rtf":  []byte(strings.Repeat("{", 20000) + `\rtf1 hi`),
		"bad.eml":     []byte("not: a\r\n\r\nbody\r\n"),
		"bin.dat":     {0, 1, 2, 3, 0, 0, 0, 5, 6, 0xff, 0xfe, 0},
		"only.md":     []byte("\n\n   \n"),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Extract(t.Context(), p, Options{})
		if err != nil && kindOf(err) == "" {
			t.Errorf("%s: untyped error %v", name, err)
		}
	}
}

// BenchmarkExtractMixed measures throughput over the whole mixed set.
func BenchmarkExtractMixed(b *testing.B) {
	root := mixedDir(b)
	var files []string
	var total int64
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			files = append(files, p)
			total += fi.Size()
		}
		return nil
	})
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		for _, p := range files {
			Extract(b.Context(), p, Options{})
		}
	}
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

func contextWithCancel(t *testing.T) (ctx context.Context, cancel context.CancelFunc) {
	return context.WithCancel(t.Context())
}
