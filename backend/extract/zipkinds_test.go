package extract

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestUTF32Samples(t *testing.T) {
	tests := []struct{ file, format, enc, want string }{
		{"encodings/chardet__UTF-32__bom-utf-32-le.srt", "text", "utf-32le", "About 2 months ago I found myself on"},
		{"encodings/chardet__UTF-32__bom-utf-32-be.srt", "text", "utf-32be", "About 2 months ago I found myself on"},
		{"encodings/chardet__UTF-32LE__plane1-utf-32le.html", "html", "utf-32le", "𐐏𐐭𐐻𐐫"},
		{"encodings/node-chardet__utf32le", "text", "utf-32le", "Euro Symbol"},
		{"encodings/node-chardet__utf32be", "text", "utf-32be", "Euro Symbol"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			d := extractOK(t, tt.file)
			if d.Format != tt.format || d.Meta.Encoding != tt.enc {
				t.Errorf("format %q encoding %q, want %q %q", d.Format, d.Meta.Encoding, tt.format, tt.enc)
			}
			if !strings.Contains(d.Text(), tt.want) {
				t.Errorf("text lacks %q: %.200q", tt.want, d.Text())
			}
		})
	}
}

func encodeUTF32(s string, big, bom bool) []byte {
	var out []byte
	if bom {
		s = "\ufeff" + s
	}
	for _, r := range s {
		if big {
			out = binary.BigEndian.AppendUint32(out, uint32(r))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(r))
		}
	}
	return out
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUTF32Synthetic(t *testing.T) {
	text := "Grüße aus Köln: 日本語 and 𝄞 music.\nSecond line, plain ASCII words here."
	for _, c := range []struct {
		name     string
		big, bom bool
	}{{"le-bom.txt", false, true}, {"be-bom.txt", true, true}, {"le-nobom", false, false}, {"be-nobom", true, false}} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Extract(t.Context(), writeTemp(t, c.name, encodeUTF32(text, c.big, c.bom)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := "utf-32le"
			if c.big {
				want = "utf-32be"
			}
			if d.Format != "text" || d.Meta.Encoding != want {
				t.Errorf("format %q encoding %q, want text %s", d.Format, d.Meta.Encoding, want)
			}
			if d.Text() != text {
				t.Errorf("text %q, want %q", d.Text(), text)
			}
		})
	}
	// A capped read that cuts a unit in half still decodes.
	b := encodeUTF32(strings.Repeat("abc ", 100), false, false)
	if s, enc := decodeText(b[:len(b)-2], ""); enc != "utf-32le" || !strings.HasPrefix(s, "abc abc") {
		t.Errorf("cut UTF-32: %q %.20q", enc, s)
	}
	// A declared charset does not override the zero-byte layout.
	if s, enc := decodeText(b, "utf-8"); enc != "utf-32le" || !strings.HasPrefix(s, "abc abc") {
		t.Errorf("declared utf-8 on UTF-32: %q %.20q", enc, s)
	}
	if enc, _ := lookupCharset("UTF-32BE"); enc == nil {
		t.Error("utf-32be label unknown")
	}
}

// TestUTF32NotMisread keeps binary data with 32-bit fields and UTF-16
// text from being read as UTF-32.
func TestUTF32NotMisread(t *testing.T) {
	var ints []byte
	for i := range 1024 {
		ints = binary.LittleEndian.AppendUint32(ints, uint32(i%40)) // small counters, offsets, zeros
	}
	var u16 []byte
	for _, r := range utf16.Encode([]rune(strings.Repeat("Hello UTF-16 world. ", 50))) {
		u16 = binary.LittleEndian.AppendUint16(u16, r)
	}
	bigVals := binary.BigEndian.AppendUint32(nil, 0x00110000) // beyond U+10FFFF
	bigVals = append(bigVals, encodeUTF32(strings.Repeat("text ", 20), true, false)...)
	surrogate := append(encodeUTF32(strings.Repeat("text ", 20), false, false), 0x00, 0xd8, 0, 0)
	cases := map[string][]byte{"ints": ints, "utf16": u16, "beyond-unicode": bigVals, "surrogate": surrogate}
	for name, b := range cases {
		if enc, ok := utf32Guess(b); ok {
			t.Errorf("%s: guessed %s", name, enc)
		}
	}
	if looksUTF32(append([]byte("\xff\xfe\x00\x00"), ints...)) {
		t.Error("UTF-32 BOM followed by binary counted as text")
	}
	// The binary still fails as binary, not as text.
	_, err := Extract(t.Context(), writeTemp(t, "ints.dat", ints), Options{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(Reason(err), "binary") {
		t.Errorf("binary ints: %v", err)
	}
	// And UTF-16 stays UTF-16.
	if _, enc := decodeText(u16, ""); enc != "utf-16le" {
		t.Errorf("UTF-16LE decoded as %s", enc)
	}
}

func TestXPSSamples(t *testing.T) {
	tests := []struct {
		file  string
		pages int
		want  []string
		mime  string
	}{
		{"xps/tika__testPPT.xps", 3, []string{"Attachment Test", "Kumar Nistala", "Black Panther"}, "application/vnd.ms-xpsdocument"},
		{"xps/tika__testXLSX.xps", 1, []string{"foo bar baz", "spaced out"}, ""},
		{"xps/tika__testXPSWithDataDescriptor.xps", 1, []string{"This is my XPS document test."}, ""},
		{"xps/tika__testXPSWithDataDescriptor2.xps", 1, []string{"How was I supposed to know"}, "application/oxps"},
		{"xps/tika__test_text.xps", 1, []string{"Rainbow", "Parts of this are in italics and bold."}, ""},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			d := extractOK(t, tt.file)
			if d.Format != "xps" || d.Meta.Pages != tt.pages || len(d.Blocks) != tt.pages {
				t.Errorf("format %q, %d pages, %d blocks; want xps with %d", d.Format, d.Meta.Pages, len(d.Blocks), tt.pages)
			}
			if tt.mime != "" && d.MIME != tt.mime {
				t.Errorf("MIME %q, want %q", d.MIME, tt.mime)
			}
			for i, b := range d.Blocks {
				if b.Kind != KindPage || b.Page != i+1 {
					t.Errorf("block %d: %s page %d", i, b.Kind, b.Page)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(d.Text(), w) {
					t.Errorf("text lacks %q: %.300q", w, d.Text())
				}
			}
		})
	}
	d := extractOK(t, "xps/tika__testPPT.xps")
	if !strings.Contains(d.Blocks[2].Text, "Watershed") || strings.Contains(d.Blocks[0].Text, "Watershed") {
		t.Errorf("page 3 text not on page 3: %+v", d.Blocks)
	}
}

func buildZip(t *testing.T, name string, members map[string][]byte, order ...string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if len(order) == 0 {
		for n := range members {
			order = append(order, n)
		}
	}
	for _, n := range order {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, name, buf.Bytes())
}

func utf16WithBOM(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, r := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, r)
	}
	return out
}

func TestXPSSynthetic(t *testing.T) {
	page := func(glyphs string) []byte {
		return utf16WithBOM(`<?xml version="1.0" encoding="utf-16"?><FixedPage xmlns="http://schemas.microsoft.com/xps/2005/06" Width="816" Height="1056"><Canvas>` + glyphs + `</Canvas></FixedPage>`)
	}
	g := func(x, y float64, s string) string {
		return `<Glyphs FontRenderingEmSize="10" OriginX="` + ftoa(x) + `" OriginY="` + ftoa(y) + `" UnicodeString="` + s + `"/>`
	}
	p := buildZip(t, "doc.xps", map[string][]byte{
		"_rels/.rels":             []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="R1" Type="http://schemas.microsoft.com/xps/2005/06/fixedrepresentation" Target="/Seq.fdseq"/></Relationships>`),
		"Seq.fdseq":               []byte(`<FixedDocumentSequence xmlns="http://schemas.microsoft.com/xps/2005/06"><DocumentReference Source="Docs/A/Doc.fdoc"/><DocumentReference Source="/Docs/B/Doc.fdoc"/></FixedDocumentSequence>`),
		"Docs/A/Doc.fdoc":         []byte(`<FixedDocument xmlns="http://schemas.microsoft.com/xps/2005/06"><PageContent Source="Pages/2.fpage"/><PageContent Source="Pages/1.fpage"/></FixedDocument>`),
		"Docs/B/Doc.fdoc":         []byte(`<FixedDocument xmlns="http://schemas.microsoft.com/xps/2005/06"><PageContent Source="/Docs/B/p.fpage"/></FixedDocument>`),
		"Docs/A/Pages/2.fpage":    page(g(10, 20, "W") + g(15, 20, "o") + g(20, 20, "r") + g(25, 20, "d") + g(60, 20, "gap") + g(10, 40, "next line")),
		"Docs/A/Pages/1.fpage":    page(g(10, 20, "{}{braces} &amp; entities")),
		"Docs/B/p.fpage":          page(g(10, 20, "   ")),
		"Resources/font.odttf":    {1, 2, 3},
		"[Content_Types].xml":     []byte(`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`),
		"Docs/A/_rels/Doc.fdoc.r": nil,
	})
	d, err := Extract(t.Context(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != "xps" || d.Meta.Pages != 3 || len(d.Blocks) != 2 {
		t.Fatalf("format %q, %d pages, blocks %+v", d.Format, d.Meta.Pages, d.Blocks)
	}
	if b := d.Blocks[0]; b.Page != 1 || b.Text != "Word gap\nnext line" {
		t.Errorf("first listed page: %d %q", b.Page, b.Text)
	}
	if b := d.Blocks[1]; b.Page != 2 || b.Text != "{braces} & entities" {
		t.Errorf("second listed page: %d %q", b.Page, b.Text)
	}

	// Pages without any text: no text, not an empty success.
	p = buildZip(t, "blank.xps", map[string][]byte{
		"FixedDocumentSequence.fdseq": []byte(`<FixedDocumentSequence><DocumentReference Source="d.fdoc"/></FixedDocumentSequence>`),
		"d.fdoc":                      []byte(`<FixedDocument><PageContent Source="1.fpage"/></FixedDocument>`),
		"1.fpage":                     page(`<Path Data="M 0,0 L 10,10"/>`),
	})
	if _, err := Extract(t.Context(), p, Options{}); !errors.Is(err, ErrNoText) {
		t.Errorf("blank XPS: %v, want ErrNoText", err)
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestZipReasons(t *testing.T) {
	tests := []struct {
		file string
		kind error
		why  string
	}{
		{"iwork/tika__testPages2013.pages", ErrUnsupported, "Apple Pages documents are not supported"},
		{"iwork/tika__testPagesHeadersFootersRomanLower.pages", ErrUnsupported, "Apple Pages documents are not supported"},
		{"iwork/tika__tableHeaders.numbers", ErrUnsupported, "Apple Numbers documents are not supported"},
		{"iwork/numbers-parser__issue-18.numbers", ErrUnsupported, "Apple Numbers documents are not supported"},
		{"iwork/tika__testBulletPoints.key", ErrUnsupported, "Apple Keynote documents are not supported"},
		{"iwork/tika__testKeynote2018.key", ErrUnsupported, "Apple Keynote documents are not supported"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			_, err := Extract(t.Context(), mixed(t, tt.file), Options{})
			if !errors.Is(err, tt.kind) || !strings.Contains(Reason(err), tt.why) {
				t.Errorf("err %v, want %v mentioning %q", err, tt.kind, tt.why)
			}
		})
	}
	t.Run("pages-with-preview", func(t *testing.T) {
		d := extractOK(t, "iwork/tika__testPagesLayout.pages")
		if d.Format != "iwork" || d.MIME != "application/vnd.apple.pages" || d.Meta.Pages != 1 || d.Blocks[0].Page != 1 {
			t.Errorf("format %q %q, %d pages", d.Format, d.MIME, d.Meta.Pages)
		}
		if !strings.Contains(d.Text(), "text box 1 - here is some text") {
			t.Errorf("text %.200q", d.Text())
		}
	})
}

func TestZipReasonsSynthetic(t *testing.T) {
	docx, err := os.ReadFile(mixed(t, "docx/tika__testWORD.docx"))
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(mixed(t, "pdf/pdfjs__helloworld-bad.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := docx[:len(docx)/2]
	tests := []struct {
		name   string
		path   string
		kind   error
		why    string
		format string
	}{
		{"truncated docx", writeTemp(t, "cut.docx", truncated), ErrCorrupt, "corrupt .docx: the archive is truncated or damaged", "docx"},
		{"truncated epub", writeTemp(t, "cut.epub", truncated), ErrCorrupt, "corrupt .epub: the archive is truncated", "epub"},
		{"truncated zip", writeTemp(t, "cut.zip", truncated), ErrCorrupt, "corrupt zip archive: the archive is truncated", "zip"},
		{"xlsx without workbook", buildZip(t, "empty.xlsx", map[string][]byte{"hello.txt": []byte("hi")}), ErrCorrupt, "corrupt .xlsx: the zip package has no xl/workbook.xml", "xlsx"},
		{"odt without content", buildZip(t, "x.odt", map[string][]byte{"meta.xml": []byte("<x/>")}), ErrCorrupt, "corrupt .odt", "odt"},
		{"numbers without preview", buildZip(t, "n.numbers", map[string][]byte{"Index/Document.iwa": {0, 1}, "Metadata/Properties.plist": nil}), ErrUnsupported, "Apple Numbers documents are not supported", "iwork"},
		{"keynote by content", buildZip(t, "slides.zip", map[string][]byte{"index.apxl": []byte("<key:presentation/>")}), ErrUnsupported, "Apple Keynote documents are not supported", "iwork"},
		{"pages with broken preview", buildZip(t, "b.pages", map[string][]byte{"index.xml": []byte("<sl:document/>"), "QuickLook/Preview.pdf": []byte("%PDF-1.4 not really")}), ErrCorrupt, "Apple Pages document, read from its preview PDF", "iwork"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract(t.Context(), tt.path, Options{})
			if !errors.Is(err, tt.kind) || !strings.Contains(Reason(err), tt.why) {
				t.Errorf("err %v, want %v mentioning %q", err, tt.kind, tt.why)
			}
			var e *Error
			if errors.As(err, &e) && e.Format != tt.format {
				t.Errorf("format %q, want %q", e.Format, tt.format)
			}
		})
	}
	for _, name := range []string{"QuickLook/Preview.pdf", "preview.pdf"} {
		t.Run("preview "+name, func(t *testing.T) {
			p := buildZip(t, "p.key", map[string][]byte{"Index/Document.iwa": {0}, name: pdf, "preview.jpg": {0xff, 0xd8}})
			d, err := Extract(t.Context(), p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != "iwork" || d.MIME != "application/vnd.apple.keynote" || !strings.Contains(d.Text(), "Hello, world!") {
				t.Errorf("format %q %q, text %q", d.Format, d.MIME, d.Text())
			}
		})
	}
}

func TestRunCLI(t *testing.T) {
	var out bytes.Buffer
	if code := Run(t.Context(), []string{mixed(t, "xps/tika__testPPT.xps")}, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, w := range []string{"format: xps", "pages:  3", "--- page p3", "Watershed"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	out.Reset()
	if code := Run(t.Context(), []string{"-summary", mixed(t, "archives/perl-archive-zip__crypt.zip")}, &out); code != 1 {
		t.Errorf("failing member: exit %d", code)
	}
	for _, w := range []string{"format: zip", "crypt.zip › decrypt.txt\nfailed: password-protected file inside a zip archive"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	out.Reset()
	if code := Run(t.Context(), []string{"-summary", mixed(t, "archives/tika__test-nested-tarball.tar")}, &out); code != 0 {
		t.Errorf("nested archive: exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "tika__test-nested-tarball.tar › folderContainingTgz/inner/nested.tgz › folderWithinTgz/testTXT.txt\nformat: text") {
		t.Errorf("output:\n%s", out.String())
	}
	if code := Run(t.Context(), nil, &out); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
}
