package extract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildPDF writes a one-page PDF whose page draws content with the
// given font resources (name → font object number) from extra objects
// (object number → body, numbered from 4: 1 catalog, 2 pages, 3 page).
func buildPDF(tb testing.TB, content string, fonts map[string]int, extra map[int]string) string {
	tb.Helper()
	var res strings.Builder
	for name, n := range fonts {
		fmt.Fprintf(&res, "/%s %d 0 R ", name, n)
	}
	objs := map[int]string{
		1: "<< /Type /Catalog /Pages 2 0 R >>",
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << %s>> >> /Contents %d 0 R >>", res.String(), 4),
		4: fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content)+1, content),
	}
	maxN := 4
	for n, body := range extra {
		objs[n] = body
		maxN = max(maxN, n)
	}
	var b strings.Builder
	b.WriteString("%PDF-1.7\n")
	offs := make([]int, maxN+1)
	for n := 1; n <= maxN; n++ {
		body, ok := objs[n]
		if !ok {
			body = "null"
		}
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", maxN+1)
	for n := 1; n <= maxN; n++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offs[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", maxN+1, xref)
	p := filepath.Join(tb.TempDir(), "t.pdf")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func pdfStream(data string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(data), data)
}

const helvetica = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// TestPDFFontsAndLayout reads generated PDFs through Extract: font
// encodings, CID widths, inline images, word gaps, hyphenation.
func TestPDFFontsAndLayout(t *testing.T) {
	toUni := pdfStream("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n" +
		"1 begincodespacerange <00> <FF> endcodespacerange\n" +
		"1 beginbfchar <01> <0066006C> endbfchar\n" +
		"1 beginbfrange <41> <43> <0058> endbfrange\n" +
		"endcmap CMapName currentdict /CMap defineresource pop end end")
	cidToUni := pdfStream("begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n" +
		"1 beginbfrange <0001> <001A> <0061> endbfrange\n" +
		"1 beginbfrange <0020> <0021> [<0048> <0049>] endbfrange endcmap")
	tests := []struct {
		name    string
		content string
		fonts   map[string]int
		extra   map[int]string
		want    string
	}{
		{
			name:    "word gaps from positions, no space glyphs",
			content: "BT /F1 10 Tf 72 700 Td [(Hello)-600(world)] TJ ET",
			fonts:   map[string]int{"F1": 5},
			extra:   map[int]string{5: helvetica},
			want:    "Hello world",
		},
		{
			name:    "kerning inside a word is no gap",
			content: "BT /F1 10 Tf 72 700 Td [(W)80(a)20(ter)] TJ ET",
			fonts:   map[string]int{"F1": 5},
			extra:   map[int]string{5: helvetica},
			want:    "Water",
		},
		{
			name:    "inline image before the text",
			content: "q 10 0 0 10 0 0 cm BI /W 4 /H 1 /CS /G /BPC 8 ID \x00EI\xff\x80 EI Q BT /F1 12 Tf 72 700 Td (after the image) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra:   map[int]string{5: helvetica},
			want:    "after the image",
		},
		{
			name:    "ToUnicode wins over Differences; ligature expanded",
			content: "BT /F1 12 Tf 72 700 Td (\x01ow ABC) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra: map[int]string{
				5: "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Differences [1 /g7 65 /Q /R] >> /ToUnicode 6 0 R >>",
				6: toUni,
			},
			want: "flow XYZ",
		},
		{
			name:    "BaseEncoding and Differences with uniXXXX and suffixed names",
			content: "BT /F1 12 Tf 72 700 Td (\x80 \x01\x02\x03) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra: map[int]string{
				5: "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [1 /uni00E9 /a.sc /f_f] >> >>",
			},
			want: "€ éaff",
		},
		{
			name: "Identity-H CID font: widths from W, gaps from TJ",
			// "hi" and "ab" with a gap of 400/1000 em between them.
			content: "BT /F1 10 Tf 72 700 Td [<00080009> -400 <00010002> <0020>] TJ ET",
			fonts:   map[string]int{"F1": 5},
			extra: map[int]string{
				5: "<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H /DescendantFonts [7 0 R] /ToUnicode 6 0 R >>",
				6: cidToUni,
				7: "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Test /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /W [1 [500 500] 8 9 300 32 [700]] >>",
			},
			want: "hi abH",
		},
		{
			name:    "hyphenated word joined across lines, real hyphen kept",
			content: "BT /F1 10 Tf 72 700 Td (inter-) Tj 0 -12 Td (preter and Just-in-) Tj 0 -12 Td (Time) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra:   map[int]string{5: helvetica},
			want:    "interpreter and Just-in-\nTime",
		},
		{
			name:    "fake bold copy dropped",
			content: "BT /F1 10 Tf 72 700 Td (Bold) Tj ET BT /F1 10 Tf 72.3 700 Td (Bold) Tj ET BT /F1 10 Tf 72 680 Td (next) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra:   map[int]string{5: helvetica},
			want:    "Bold\nnext",
		},
		{
			name:    "text outside the page dropped",
			content: "BT /F1 10 Tf 72 700 Td (seen) Tj 2000 0 Td (unseen) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra:   map[int]string{5: helvetica},
			want:    "seen",
		},
		{
			name:    "accent drawn over a dotless i",
			content: "BT /F1 10 Tf 72 700 Td (na) Tj 1 0 0 1 82.5 700 Tm (\xa8) Tj 1 0 0 1 82 700 Tm (\xf5ve) Tj ET",
			fonts:   map[string]int{"F1": 5},
			extra: map[int]string{
				5: "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Differences [168 /dieresis 245 /dotlessi] >> /FirstChar 32 /LastChar 255 /MissingWidth 500 >>",
			},
			want: "naïve",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := buildPDF(t, tt.content, tt.fonts, tt.extra)
			doc, err := Extract(t.Context(), p, Options{})
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if got := doc.Text(); got != tt.want {
				t.Errorf("text %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPDFUnmappedFont: glyphs that no font table maps to Unicode are not
// indexed as garbage; the page reports why it has no text.
func TestPDFUnmappedFont(t *testing.T) {
	p := buildPDF(t, "BT /F1 12 Tf 72 700 Td (\x01\x02\x03) Tj ET", map[string]int{"F1": 5}, map[int]string{
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /ABCDEF+Cambria /Encoding << /Differences [1 /g18 /g152 /g135] >> >>",
	})
	_, err := Extract(t.Context(), p, Options{})
	if !errors.Is(err, ErrNoText) || !strings.Contains(Reason(err), "without a Unicode mapping") {
		t.Fatalf("err %v, want no text without a Unicode mapping", err)
	}
}

func TestGlyphText(t *testing.T) {
	for name, want := range map[string]string{
		"A": "A", "eacute": "é", "fi": "ﬁ", "uni0041": "A", "uni00410042": "AB", "u1F600": "😀",
		"f_f_i": "ffi", "a.sc": "a", "one.oldstyle": "1", "g42": "", "cid123": "", ".notdef": "", "uniD800": "",
	} {
		if got := glyphText(name); got != want {
			t.Errorf("glyphText(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseCMap(t *testing.T) {
	m := parseCMap([]byte("2 begincodespacerange <00> <80> <8140> <FFFF> endcodespacerange\n" +
		"2 beginbfchar <41> <0041> <8141> /alpha endbfchar\n" +
		"1 beginbfrange <8200> <82FF> <00FE> endbfrange\n" +
		"1 begincidrange <8140> <817F> 633 endcidrange"))
	s := "A\x81\x41\x82\x03"
	var got []string
	for i := 0; i < len(s); {
		c, n := m.split(s, i)
		t, _ := m.text(c, n)
		got = append(got, t)
		i += n
	}
	if want := []string{"A", "α", "ā"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("decoded %q, want %q", got, want)
	}
	if cid, ok := m.cidOf(0x8141, 2); !ok || cid != 634 {
		t.Errorf("cid %d %v, want 634", cid, ok)
	}
}

func TestPDFLexer(t *testing.T) {
	l := &pdfLexer{b: []byte(`(a\(b\)\101\
c) <48 65 6c6> [1 -2.5 /N#20x [(s)]] << /K true >> --3 Tj`)}
	var got []string
	for {
		o, ok := l.next()
		if !ok {
			break
		}
		switch o.kind {
		case pdfStr:
			got = append(got, "str:"+o.s)
		case pdfArr:
			got = append(got, fmt.Sprintf("arr:%d", len(o.a)))
		case pdfDict:
			got = append(got, fmt.Sprintf("dict:%d", len(o.a)))
		case pdfNum:
			got = append(got, fmt.Sprint("num:", o.num))
		case pdfOp:
			got = append(got, "op:"+o.s)
		}
	}
	want := "str:a(b)Ac|str:Hel`|arr:4|dict:2|num:-3|op:Tj"
	if strings.Join(got, "|") != want {
		t.Errorf("tokens %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestVisualToLogical(t *testing.T) {
	for in, want := range map[string]string{
		"abc":         "abc",
		"ةيبرعلا":     "العربية",
		"2008 ةنس":    "سنة 2008",
		"see ةنس now": "see سنة now",
	} {
		if got := visualToLogical(in); got != want {
			t.Errorf("visualToLogical(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPDFContent: no content stream makes the lexer stall or the
// interpreter and layout panic (their recover would hide it as a page
// error).
func FuzzPDFContent(f *testing.F) {
	f.Add("BT /F1 10 Tf 72 700 Td [(Hello)-600(world)] TJ ET")
	f.Add("BI /W 1 /H 1 ID \x00\x01 EI (x) Tj")
	f.Add("<< [[[ (unterminated")
	f.Add("BT /F2 9 Tf 3 Tr 0 -1 1 0 100 100 Tm [<00010020> 200 <0021>] TJ ' \" T* ET q Q Q cm")
	f.Fuzz(func(t *testing.T, content string) {
		l := &pdfLexer{b: []byte(content)}
		for i := 0; ; i++ {
			if _, ok := l.next(); !ok {
				break
			}
			if i > len(content) {
				t.Fatalf("lexer does not advance on %q", content)
			}
		}
		p := buildPDF(t, content, map[string]int{"F1": 5, "F2": 6}, map[int]string{
			5: helvetica,
			6: "<< /Type /Font /Subtype /Type0 /BaseFont /T /Encoding /Identity-V /DescendantFonts [<< /Subtype /CIDFontType2 /W [1 [500] 2 3 -7] >>] >>",
		})
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := openPDF(data)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		w, err := newPDFDoc().walkPage(pdfPages(r)[0])
		if err != nil && strings.Contains(err.Error(), "runtime error") {
			t.Fatalf("interpreter panicked on %q: %v", content, err)
		}
		_ = layoutGlyphs(w.text, pdfBox{})
	})
}

// TestPDFObjectNumber guards the reflection that reads a pdf.Value's
// object number (fonts are cached by it): a change in the pdf package
// would otherwise silently re-parse every font on every page.
func TestPDFObjectNumber(t *testing.T) {
	p := buildPDF(t, "BT /F1 10 Tf (x) Tj ET", map[string]int{"F1": 5}, map[int]string{5: helvetica})
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := openPDF(data)
	if err != nil {
		t.Fatal(err)
	}
	page := pdfPages(r)[0]
	if got := pdfObjectNumber(page.Resources().Key("Font").Key("F1")); got != 5 {
		t.Errorf("object number %d, want 5", got)
	}
	if got := pdfObjectNumber(page.V); got != 3 {
		t.Errorf("page object number %d, want 3", got)
	}
}
