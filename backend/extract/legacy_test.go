package extract

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestLegacyOfficeContent checks the text of every readable .doc, .xls
// and .ppt sample against content read from the files by hand.
func TestLegacyOfficeContent(t *testing.T) {
	hasKind := func(k Kind) func(t *testing.T, d *Document) {
		return func(t *testing.T, d *Document) {
			t.Helper()
			if !slices.ContainsFunc(d.Blocks, func(b Block) bool { return b.Kind == k }) {
				t.Errorf("no %s block", k)
			}
		}
	}
	tests := []struct {
		file   string
		want   []string
		absent []string
		check  func(t *testing.T, d *Document)
	}{
		// Word 97–2003
		{"doc/poi__DiffFirstPageHeadFoot.doc", []string{"It has two pages", "HEADING TEXT", "End of page 1", "First header column!", "The footer of the first page"}, nil, hasKind(KindHeader)},
		{"doc/poi__HeaderFooterUnicode.doc", []string{"EUR - €", "GBP - £", "L'Avare ou l'École du mensonge", "Les Précieuses ridicules", "header, with a € euro symbol"}, nil, nil},
		{"doc/poi__TestChineseProperties.doc", []string{"testing Chinese characters support in POI", "世界雅虎", "亞太：亞洲"}, nil, func(t *testing.T, d *Document) {
			hasKind(KindTableRow)(t, d)
			if d.Title != "參考資料" {
				t.Errorf("title %q, want 參考資料 from the UTF-8 summary information", d.Title)
			}
		}},
		{"doc/poi__simple-table.doc", []string{"created using Word 97 – SR2", "Cell 1,1 | Cell 1,2 | Cell 1,3", "Cell 2,1 | Cell 2,2 | Cell 2,3", "This text is below the table."}, nil, hasKind(KindTableRow)},
		{"doc/textract__raw_text.doc", []string{"I love word documents.", "That is where http://hipsum.co comes in handy.", "How quaint."}, []string{"HYPERLINK"}, nil},
		{"doc/tika__testWORD.doc", []string{"Sample Word Document Title", "This is a sample Microsoft Word Document.", "Apache Tika: http://tika.apache.org/", "This is the header for our document"}, []string{"HYPERLINK", "PAGEREF"}, func(t *testing.T, d *Document) {
			for _, b := range d.Blocks {
				if b.Text == "This is a sample Microsoft Word Document." {
					if want := []string{"Heading Level 1", "Heading Level 2", "Heading Level 3"}; !slices.Equal(b.Headings, want) {
						t.Errorf("headings %q, want %q", b.Headings, want)
					}
					return
				}
			}
			t.Error("body paragraph not found")
		}},
		// Word 6.0 / 95, one of them fast-saved (a piece table over 8-bit text)
		{"doc/poi__Word6_sections.doc", []string{"This is a test.", "This is a new section."}, nil, nil},
		{"doc/poi__Word6_sections2.doc", []string{"Insolvency (Scotland) Rules 1986 (“the Rules”)", "Issued August 1997"}, nil, nil},
		{"doc/poi__cn.orthodox.www_divenbog_APRIL_30-APRIL.DOC", []string{"Apostle James, Son of Zebedee", "Sainted Nikita, Bishop of Novgorod"}, nil, nil},

		// Excel BIFF8 and BIFF5
		{"xls/tika__testEXCEL.xls", []string{"Sample Excel Worksheet - Numbers and their Squares", "Number | Square", "6 | 36"}, nil, func(t *testing.T, d *Document) {
			if b := d.Blocks[0]; b.Kind != KindSheetRow || !slices.Equal(b.Headings, []string{"Feuil1"}) || b.Page != 1 {
				t.Errorf("first block %+v, want a sheet row of Feuil1", b)
			}
		}},
		{"xls/tika__testEXCEL_5.xls", []string{"Sample Excel Worksheet - Numbers and their Squares", "10 | 100"}, nil, nil},
		{"xls/poi__59074.xls", []string{"NL0011622006", "ING BANK NV OPEN-END K/O P/W (CAC 40)", "SYMBOL_RTS | SYMBOL_EXCH_TICKER"}, nil, nil},
		{"xls/tika__testEXCEL_headers_footers.xls", []string{"John Smith1 | 1 Corporate HQ", "Header - For Internal Use Only", "Footer - Author: John Smith"}, []string{"&C", "&L"}, hasKind(KindHeader)},
		{"xls/tika__testEXCEL_labels-govdocs-515858.xls", []string{"Cabbage and other brassicas", "Austria | 88.832 | 10.08 | 6694"}, nil, nil},
		{"xls/tika__testEXCEL_phonetic.xls", []string{"豊田 | 豊田車会社", "日本オラクル"}, nil, nil},
		{"xls/xlrd__Formate.xls", []string{"Huber | 1907-07-03", "Äcker | 2005-02-23", "Abends | 17:47:13", "gut | 0.974"}, nil, func(t *testing.T, d *Document) {
			if !slices.ContainsFunc(d.Blocks, func(b Block) bool { return slices.Equal(b.Headings, []string{"Blätt1"}) }) {
				t.Error("no block under sheet Blätt1")
			}
		}},

		// PowerPoint 97–2003
		{"ppt/tika__testPPT.ppt", []string{"Sample Powerpoint Slide", "Powerpoint X for Mac"}, nil, nil},
		{"ppt/poi__basic_test_ppt_file.ppt", []string{"This is a test title", "This is the title on page 2", "These are the notes for page 1", "These are the notes on page two"}, []string{"Click to edit Master"}, func(t *testing.T, d *Document) {
			if d.Meta.Pages != 2 {
				t.Errorf("%d slides, want 2", d.Meta.Pages)
			}
			for _, b := range d.Blocks {
				if b.Kind == KindNotes && strings.Contains(b.Text, "page two") && b.Page != 2 {
					t.Errorf("page two notes on slide %d", b.Page)
				}
			}
		}},
		{"ppt/poi__SampleShow.ppt", []string{"Title of the first slide", "It has bullet points on it", "I am the notes of the first slide", "These are the notes of the 2nd slide"}, nil, func(t *testing.T, d *Document) {
			hasKind(KindNotes)(t, d)
			if b := d.Blocks[0]; b.Kind != KindSlide || b.Page != 1 || !slices.Equal(b.Headings, []string{"Title of the first slide"}) {
				t.Errorf("first block %+v, want slide 1 under its title", b)
			}
		}},
		{"ppt/poi__WithLinks.ppt", []string{"http://slashdot.org/", "I link to http://jakarta.apache.org/hslf/", "I am page two"}, nil, nil},
		{"ppt/poi__60294.ppt", []string{"Inverse Relation between the Incidence of Prototypical Infectious Diseases", "Figure 1. Inverse Relation"}, nil, hasKind(KindNotes)},
		{"ppt/poi__bug55030.ppt", []string{"平抛运动的分解演示"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			d := extractOK(t, tt.file)
			if want := strings.TrimPrefix(filepath.Dir(tt.file), "/"); d.Format != want {
				t.Errorf("format %q, want %q", d.Format, want)
			}
			text := d.Text()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q: %.400q", w, text)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(text, w) {
					t.Errorf("text has %q", w)
				}
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// legacyEncrypted are the samples that need a password to open.
var legacyEncrypted = map[string]string{
	"doc/msoffcrypto__rc4cryptoapi_password.doc":        "password-protected Word document",
	"ppt/msoffcrypto__rc4cryptoapi_password.ppt":        "password-protected PowerPoint presentation",
	"xls/tika__testEXCEL_protected_passtika.xls":        "password-protected Excel workbook (RC4 encryption)",
	"xls/msoffcrypto__xor_password_123456789012345.xls": "password-protected Excel workbook (XOR obfuscation)",
}

// TestLegacyOfficeAllSamples reads every file in doc/, xls/ and ppt/:
// each is either a known encrypted one, failing as such, or yields text.
func TestLegacyOfficeAllSamples(t *testing.T) {
	for _, rel := range legacySamples(t) {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			d, err := Extract(t.Context(), mixed(t, rel), Options{})
			if why, ok := legacyEncrypted[rel]; ok {
				if !errors.Is(err, ErrEncrypted) || !strings.Contains(Reason(err), why) {
					t.Fatalf("err %v, want ErrEncrypted: %s", err, why)
				}
				return
			}
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if n := len([]rune(strings.TrimSpace(d.Text()))); n < 8 {
				t.Errorf("%d characters of text", n)
			}
		})
	}
}

func legacySamples(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{"doc", "xls", "ppt"} {
		entries, err := os.ReadDir(mixed(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				out = append(out, dir+"/"+e.Name())
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found %d legacy Office samples, want the full set", len(out))
	}
	return out
}

// TestXLSPasswordDecryption checks the RC4 decryption that opens
// workbooks protected with the default password, on a real workbook with
// its real password, and the RC4 CryptoAPI verifier on a real encrypted
// Word file (whose table stream starts with the same structure).
func TestXLSPasswordDecryption(t *testing.T) {
	x, cf := openSample(t, "xls/tika__testEXCEL_protected_passtika.xls", "Workbook")
	if err := x.readBIFF(cf.streams["Workbook"], "tika"); err != nil {
		t.Fatalf("read with the right password: %v", err)
	}
	if !strings.Contains(x.doc.Text(), "This is an Encrypted Excel spreadsheet.") {
		t.Errorf("decrypted text %.200q", x.doc.Text())
	}
	x, cf = openSample(t, "xls/tika__testEXCEL_protected_passtika.xls", "Workbook")
	if err := x.readBIFF(cf.streams["Workbook"], "wrong"); !errors.Is(err, ErrEncrypted) {
		t.Errorf("wrong password: err %v, want ErrEncrypted", err)
	}

	_, cf = openSample(t, "doc/msoffcrypto__rc4cryptoapi_password.doc", "1Table")
	header := append([]byte{1, 0}, cf.streams["1Table"]...) // as in a FILEPASS record
	if xlsRC4Key(header, "Password1234_") == nil {
		t.Error("CryptoAPI verifier rejects the right password")
	}
	if xlsRC4Key(header, xlsDefaultPassword) != nil {
		t.Error("CryptoAPI verifier accepts a wrong password")
	}
}

func openSample(t *testing.T, rel string, streams ...string) (*extraction, *cfbFile) {
	t.Helper()
	f, err := os.Open(mixed(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	x := newTestExtraction(t)
	x.f, x.size, x.path = f, fi.Size(), rel
	cf, err := x.openCFB(filepath.Ext(rel)[1:], streams...)
	if err != nil {
		t.Fatal(err)
	}
	return x, cf
}

func newTestExtraction(t testing.TB) *extraction {
	return &extraction{ctx: t.Context(), opts: Options{}.withDefaults(), doc: &Document{}, size: 1 << 30}
}

// TestLegacyOfficeTruncated cuts every sample short: each cut must give
// text or a typed failure with a reason, never a panic.
func TestLegacyOfficeTruncated(t *testing.T) {
	dir := t.TempDir()
	failed := 0
	for _, rel := range legacySamples(t) {
		b, err := os.ReadFile(mixed(t, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, frac := range []float64{0.1, 0.5, 0.9} {
			n := int(float64(len(b)) * frac)
			p := filepath.Join(dir, fmt.Sprintf("cut%d_%s", int(frac*100), filepath.Base(rel)))
			if err := os.WriteFile(p, b[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := Extract(t.Context(), p, Options{})
			switch {
			case err == nil && strings.TrimSpace(d.Text()) == "":
				t.Errorf("%s cut to %d bytes: success without text", rel, n)
			case err == nil:
			case kindOf(err) == "" || Reason(err) == "":
				t.Errorf("%s cut to %d bytes: untyped or unexplained error %v", rel, n, err)
			case strings.Contains(Reason(err), "malformed structure") || strings.Contains(Reason(err), "malformed "+filepath.Ext(rel)[1:]):
				t.Errorf("%s cut to %d bytes: reader panicked: %v", rel, n, err)
			default:
				failed++
			}
		}
	}
	if failed == 0 {
		t.Error("no truncated file failed; the cuts test nothing")
	}
}

// TestLegacyOfficeMutations feeds randomly damaged streams of real files
// straight to the readers (no recovery in between): none may panic.
func TestLegacyOfficeMutations(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 60
	}
	samples := []struct {
		rel     string
		streams []string
	}{
		{"doc/tika__testWORD.doc", []string{"WordDocument", "1Table", "0Table"}},
		{"doc/poi__cn.orthodox.www_divenbog_APRIL_30-APRIL.DOC", []string{"WordDocument"}},
		{"xls/tika__testEXCEL_labels-govdocs-515858.xls", []string{"Workbook"}},
		{"xls/tika__testEXCEL_5.xls", []string{"Book"}},
		{"xls/tika__testEXCEL_phonetic.xls", []string{"Workbook"}},
		{"ppt/poi__SampleShow.ppt", []string{"PowerPoint Document", "Current User"}},
		{"ppt/poi__basic_test_ppt_file.ppt", []string{"PowerPoint Document", "Current User"}},
	}
	for i, s := range samples {
		t.Run(filepath.Base(s.rel), func(t *testing.T) {
			_, orig := openSample(t, s.rel, s.streams...)
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for it := range iterations {
				cf := &cfbFile{streams: map[string][]byte{}, names: orig.names}
				for name, b := range orig.streams {
					cf.streams[name] = bytes.Clone(b)
				}
				for name := range cf.streams {
					if rng.IntN(2) == 0 {
						cf.streams[name] = mutate(rng, cf.streams[name])
					}
				}
				legacyRead(t, s.rel, it, cf)
			}
		})
	}
}

// mutate damages b: random bytes, random 32-bit values (lengths and
// offsets), or a cut.
func mutate(rng *rand.Rand, b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	for range 1 + rng.IntN(8) {
		switch i := rng.IntN(len(b)); rng.IntN(4) {
		case 0:
			b[i] = byte(rng.Uint32())
		case 1:
			b[i] ^= 1 << rng.IntN(8)
		case 2:
			for k := 0; k < 4 && i+k < len(b); k++ {
				b[i+k] = []byte{0xFF, 0x7F, 0x00, 0x80}[rng.IntN(4)]
			}
		case 3:
			if rng.IntN(4) == 0 {
				b = b[:i]
				if len(b) == 0 {
					return b
				}
			}
		}
	}
	return b
}

func legacyRead(t *testing.T, rel string, it int, cf *cfbFile) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s mutation %d: panic: %v\n%s", rel, it, r, debug.Stack())
		}
	}()
	x := newTestExtraction(t)
	var err error
	switch filepath.Ext(strings.ToLower(rel)) {
	case ".doc":
		err = x.readWordStreams(cf)
	case ".xls":
		wb := cf.streams["Workbook"]
		if wb == nil {
			wb = cf.streams["Book"]
		}
		err = x.readBIFF(wb, xlsDefaultPassword)
	case ".ppt":
		err = x.readPPTStreams(cf)
	}
	if err != nil && !errors.Is(err, errFull) && kindOf(err) == "" {
		t.Errorf("%s mutation %d: untyped error %v", rel, it, err)
	}
}

// FuzzLegacyOffice runs the readers on arbitrary streams; the seeds are
// real files' streams (go test -fuzz=FuzzLegacyOffice to explore).
func FuzzLegacyOffice(f *testing.F) {
	seeds := []struct {
		which   byte // 0 doc, 1 xls, 2 ppt
		rel     string
		streams []string
	}{
		{0, "doc/poi__simple-table.doc", []string{"WordDocument", "1Table", "0Table"}},
		{0, "doc/poi__Word6_sections.doc", []string{"WordDocument"}},
		{1, "xls/tika__testEXCEL.xls", []string{"Workbook"}},
		{2, "ppt/poi__basic_test_ppt_file.ppt", []string{"PowerPoint Document", "Current User"}},
	}
	for _, s := range seeds {
		f.Add(s.which, []byte(nil), []byte(nil))
		path := filepath.Join(sharedDir(f), "datasets", "mixed", filepath.FromSlash(s.rel))
		if _, err := os.Stat(path); err != nil {
			continue
		}
		fh, err := os.Open(path)
		if err != nil {
			f.Fatal(err)
		}
		fi, _ := fh.Stat()
		x := newTestExtraction(f)
		x.f, x.size = fh, fi.Size()
		cf, err := x.openCFB("seed", s.streams...)
		fh.Close()
		if err != nil {
			f.Fatal(err)
		}
		var a, b []byte
		for _, name := range s.streams {
			if v := cf.streams[name]; v != nil {
				if a == nil {
					a = v
				} else if b == nil {
					b = v
				}
			}
		}
		f.Add(s.which, a, b)
	}
	f.Fuzz(func(t *testing.T, which byte, a, b []byte) {
		cf := &cfbFile{streams: map[string][]byte{}, names: map[string]bool{}}
		rel := ""
		switch which % 3 {
		case 0:
			rel = "fuzz.doc"
			cf.streams["WordDocument"], cf.streams["1Table"], cf.streams["0Table"] = a, b, b
		case 1:
			rel = "fuzz.xls"
			cf.streams["Workbook"] = a
		case 2:
			rel = "fuzz.ppt"
			cf.streams["PowerPoint Document"], cf.streams["Current User"] = a, b
		}
		legacyRead(t, rel, 0, cf)
	})
}

func TestLegacyOfficeLimits(t *testing.T) {
	d, err := Extract(t.Context(), mixed(t, "doc/textract__raw_text.doc"), Options{MaxTextBytes: 300})
	if err != nil || !d.Meta.Truncated || len(d.Text()) > 300+len(BlockSeparator)*len(d.Blocks) {
		t.Errorf("text cap: err %v, truncated %v", err, d != nil && d.Meta.Truncated)
	}
	d, err = Extract(t.Context(), mixed(t, "xls/tika__testEXCEL_labels-govdocs-515858.xls"), Options{MaxSheetRows: 3})
	if err != nil || !d.Meta.Truncated || len(d.Blocks) > 3 {
		t.Errorf("row cap: err %v, %d blocks", err, len(d.Blocks))
	}
	d, err = Extract(t.Context(), mixed(t, "xls/poi__59074.xls"), Options{MaxSheetCells: 20})
	if err != nil || !d.Meta.Truncated || len(strings.Split(d.Text(), " | ")) > 20 {
		t.Errorf("cell cap: err %v, %d blocks", err, len(d.Blocks))
	}
}

// TestDamagedCompoundFileNamedByExtension: a compound file too damaged to
// look into is reported by the reader its name points to.
func TestDamagedCompoundFileNamedByExtension(t *testing.T) {
	b, err := os.ReadFile(mixed(t, "xls/tika__testEXCEL.xls"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "half.xls")
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Extract(t.Context(), p, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(Reason(err), "corrupt .xls") {
		t.Errorf("err %v, want a corrupt .xls failure", err)
	}
}
