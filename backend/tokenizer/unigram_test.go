package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/quarry-search/quarry/backend/fixtures"
)

// The reference is the SentencePiece library itself: these tests train
// small Unigram models with spm_train on the shared datasets and compare
// every id and piece with spm_encode's.

// spmCase is one training configuration.
type spmCase struct {
	name string
	args []string
}

var spmCases = []spmCase{
	{"nmt_nfkc", nil},
	{"nfkc_cf_no_dummy_prefix", []string{"--normalization_rule_name=nfkc_cf", "--add_dummy_prefix=false"}},
	{"identity_keep_spaces", []string{"--normalization_rule_name=identity", "--remove_extra_whitespaces=false"}},
	{"nmt_nfkc_cf_raw", []string{"--normalization_rule_name=nmt_nfkc_cf", "--add_dummy_prefix=false", "--remove_extra_whitespaces=false"}},
	{"user_symbols", []string{"--user_defined_symbols=<sep>,C++,ﬁ,東京,@@,▁▁", "--control_symbols=<ctrl>,[CLS]"}},
	// A small vocabulary and character coverage leave many unknowns.
	{"nfkc_small", []string{"--normalization_rule_name=nfkc", "--vocab_size=1200", "--character_coverage=0.98"}},
	{"byte_fallback", []string{"--byte_fallback", "--character_coverage=0.99"}},
	{"whitespace_suffix", []string{"--treat_whitespace_as_suffix"}},
}

func spmCaseNamed(tb testing.TB, name string) spmCase {
	tb.Helper()
	for _, c := range spmCases {
		if c.name == name {
			return c
		}
	}
	tb.Fatalf("no case %q", name)
	return spmCase{}
}

// spmTool finds one of SentencePiece's command-line tools.
func spmTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		fixtures.Missing(tb, "%s (Debian package sentencepiece): %v", name, err)
	}
	return p
}

// spmFixture holds the training text, the held-out lines and the trained
// models, made once per test binary.
type spmFixture struct {
	dir       string
	corpus    string
	lines     []string
	linesFile string

	mu     sync.Mutex
	models map[string]*spmModelFile
	outs   map[string][]string
}

type spmModelFile struct {
	once sync.Once
	path string
	err  error
}

var spmFix struct {
	once sync.Once
	fx   *spmFixture
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if spmFix.fx != nil {
		os.RemoveAll(spmFix.fx.dir)
	}
	os.Exit(code)
}

func spmData(tb testing.TB) *spmFixture {
	tb.Helper()
	shared := sharedDir(tb)
	spmFix.once.Do(func() { spmFix.fx, spmFix.err = newSPMFixture(shared) })
	if spmFix.err != nil {
		fixtures.Missing(tb, "SentencePiece test data: %v", spmFix.err)
	}
	return spmFix.fx
}

// model trains (once) the model of case c and returns its path.
func (fx *spmFixture) model(tb testing.TB, c spmCase) string {
	tb.Helper()
	train := spmTool(tb, "spm_train")
	fx.mu.Lock()
	m := fx.models[c.name]
	if m == nil {
		m = new(spmModelFile)
		fx.models[c.name] = m
	}
	fx.mu.Unlock()
	m.once.Do(func() {
		prefix := filepath.Join(fx.dir, c.name)
		args := []string{"--input=" + fx.corpus, "--model_prefix=" + prefix, "--num_threads=4", "--minloglevel=2"}
		if !slices.ContainsFunc(c.args, func(a string) bool { return strings.HasPrefix(a, "--vocab_size=") }) {
			args = append(args, "--vocab_size=4000", "--hard_vocab_limit=false")
		}
		out, err := exec.Command(train, append(args, c.args...)...).CombinedOutput()
		if err != nil {
			m.err = fmt.Errorf("spm_train %s: %v\n%s", c.name, err, out)
			return
		}
		m.path = prefix + ".model"
	})
	if m.err != nil {
		tb.Fatal(m.err)
	}
	return m.path
}

// encode runs spm_encode over the held-out lines.
func (fx *spmFixture) encode(tb testing.TB, model, format string) []string {
	tb.Helper()
	key := model + "\x00" + format
	fx.mu.Lock()
	out, ok := fx.outs[key]
	fx.mu.Unlock()
	if ok {
		return out
	}
	cmd := exec.Command(spmTool(tb, "spm_encode"), "--model="+model, "--output_format="+format, "--input="+fx.linesFile)
	b, err := cmd.Output()
	if err != nil {
		tb.Fatalf("spm_encode: %v", err)
	}
	out = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(out) != len(fx.lines) {
		tb.Fatalf("spm_encode wrote %d lines for %d", len(out), len(fx.lines))
	}
	fx.mu.Lock()
	fx.outs[key] = out
	fx.mu.Unlock()
	return out
}

// trickyLines are inputs chosen for the corners of normalization and
// segmentation.
var trickyLines = []string{
	"", " ", "   ", "\t", "\t\t  \t", "\u3000", "\u00a0\u00a0",
	"   leading and trailing   ",
	"multiple    spaces\tand\ttabs\t\tand  \t mixed",
	"full-width ＡＢＣ１２３！？ ｶﾀｶﾅ ＨＥＬＬＯ　ｗｏｒｌｄ",
	"ligatures ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ: ﬁnance ﬂow ofﬁce",
	"combining e\u0301 a\u0308 n\u0303 o\u0302\u0323 cafe\u0301 Å Å",
	"NBSP a\u00a0b narrow\u202fno-break figure\u2007space thin\u2009space",
	"ideographic\u3000space 東京\u3000大阪",
	"emoji 😀👍🏽 👨‍👩‍👧 🇩🇪 ❤️ #️⃣",
	"unknown ☃ ⚙ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀𓀁 ꙮ ᚠᚢᚦ",
	"Greek Ελληνικά κείμενο ΣΊΣΥΦΟΣ ς σ",
	"Cyrillic Привет мир Ёлка ЁЛКА",
	"CJK 東京都 中文 한국어 日本語のテキスト ｱｲｳ",
	"Arabic العربية ﻻ ﷺ", "Hebrew עִבְרִית", "Hindi हिन्दी क़", "Thai ภาษาไทย",
	"control\x01chars\x7fand\x1bescape",
	"zero\u200bwidth\u200cnon\u200djoiner\u2060word",
	"soft\u00adhyphen and BOM\ufeffinside",
	"line\rreturn\r",
	"invalid \xff\xfe utf8 \xc3 trailing \xe2\x82",
	"surrogate \xed\xa0\x80 overlong \xc0\xaf \xf4\x90\x80\x80",
	"U+FFFD \uFFFD\uFFFD literal",
	"▁ literal ▁▁ space ▁symbol▁",
	"<s> </s> <unk> <pad> <mask> <sep> <ctrl> [CLS]",
	"user symbols: <sep>C++<sep> ﬁle 東京タワー @@ C ++",
	"①②③ ㍿ ㌔ ½ x² H₂O ™ ℃ № Ⅻ",
	"Ω Å K (Ohm Angstrom Kelvin signs) µ μ",
	"ß ẞ ǅ ǆ ﬀ İstanbul ı STRASSE straße",
	"a\u2028b\u2029c\u0085d",
	"nul\x00byte",
	"x\u0301\u0301\u0301 stacked marks ḉ̲",
	"…—–‒―‐ “quotes” ‘single’ «guillemets» „low“",
	"12345 3.14159 1,000,000 2024-01-02 v1.2.3",
	"http://example.com/path?q=1&r=2#frag user@example.org",
	"a\n\nb is not here: lines never hold newlines",
	strings.Repeat("long ", 2000),
	strings.Repeat("東", 3000),
	strings.Repeat("😀", 500),
	strings.Repeat(" ", 100) + "x" + strings.Repeat(" ", 100),
}

// trickyBits are spliced into real lines at random.
var trickyBits = []string{
	"ﬁ", "ﬂ", "ﬃ", "Ａ", "１", "！", "\u0301", "\u0308", "\u00a0", "\u3000", "\t", "  ", "   ",
	"\u200b", "\u200d", "\ufeff", "\u00ad", "😀", "👍🏽", "☃", "𝔘", "\x01", "\x7f", "\xff", "\xc3",
	"\ufffd", "▁", "ß", "İ", "Ω", "Å", "①", "㍿", "…", "\u2028", "가", "ㄱ", "東", "é", "e\u0301",
	"<s>", "<unk>", "<sep>", "C++", "@@", "ｶ", "\r",
}

func newSPMFixture(shared string) (*spmFixture, error) {
	var train, test []string
	datasets := filepath.Join(shared, "datasets")
	nf := filepath.Join(datasets, "beir", "nfcorpus")
	n := 0
	err := readJSONL(filepath.Join(nf, "corpus.jsonl"), func(doc map[string]any) {
		title, _ := doc["title"].(string)
		text, _ := doc["text"].(string)
		switch {
		case n < 800:
			train = append(train, title, text)
		case n >= 1500 && n < 1900:
			test = append(test, title)
			test = append(test, strings.SplitAfter(text, ". ")...)
		}
		n++
	})
	if err != nil {
		return nil, err
	}
	n = 0
	err = readJSONL(filepath.Join(nf, "queries.jsonl"), func(q map[string]any) {
		if n%3 == 0 {
			text, _ := q["text"].(string)
			test = append(test, text)
		}
		n++
	})
	if err != nil {
		return nil, err
	}
	// Markdown: English, German and Japanese tldr pages and the Rust
	// book; every other file is held out.
	md, err := filepath.Glob(filepath.Join(datasets, "mixed", "markdown", "*", "*.md"))
	if err != nil || len(md) == 0 {
		return nil, fmt.Errorf("no markdown in %s", datasets)
	}
	slices.Sort(md)
	for i, p := range md {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(b), "\n")
		if i%2 == 0 {
			train = append(train, lines...)
		} else {
			test = append(test, lines...)
		}
	}
	// Legacy encodings give Cyrillic, Hebrew, Chinese, Japanese and
	// Korean text; their raw bytes are invalid UTF-8 worth encoding too.
	enc, err := filepath.Glob(filepath.Join(datasets, "mixed", "encodings", "*"))
	if err != nil || len(enc) == 0 {
		return nil, fmt.Errorf("no encodings in %s", datasets)
	}
	for _, p := range enc {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		text := string(b)
		if d := legacyDecoder(filepath.Base(p)); d != nil {
			if u, err := d.Bytes(b); err == nil {
				text = string(u)
			}
			for i, l := range strings.Split(string(b), "\n") {
				if i%7 == 0 {
					test = append(test, l)
				}
			}
		}
		for i, l := range strings.Split(text, "\n") {
			if i%2 == 0 {
				train = append(train, l)
			} else {
				test = append(test, l)
			}
		}
	}
	test = append(test, trickyLines...)
	rng := rand.New(rand.NewPCG(1, 2))
	base := len(test)
	for i := 0; i < base; i += 4 {
		test = append(test, mutate(rng, test[i]))
	}

	dir, err := os.MkdirTemp("", "quarry-spm-")
	if err != nil {
		return nil, err
	}
	fx := &spmFixture{
		dir: dir, corpus: filepath.Join(dir, "corpus.txt"), linesFile: filepath.Join(dir, "lines.txt"),
		models: map[string]*spmModelFile{}, outs: map[string][]string{},
	}
	for i, l := range test {
		test[i] = strings.ReplaceAll(l, "\n", " ")
	}
	fx.lines = test
	if err := os.WriteFile(fx.corpus, []byte(strings.Join(train, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(fx.linesFile, []byte(strings.Join(test, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	return fx, nil
}

// mutate splices tricky bits into s, mostly at character boundaries and
// sometimes inside a character.
func mutate(rng *rand.Rand, s string) string {
	for range 1 + rng.IntN(5) {
		at := 0
		if len(s) > 0 {
			at = rng.IntN(len(s) + 1)
		}
		if rng.IntN(5) > 0 {
			for at > 0 && at < len(s) && !utf8.RuneStart(s[at]) {
				at--
			}
		}
		s = s[:at] + trickyBits[rng.IntN(len(trickyBits))] + s[at:]
	}
	return s
}

func legacyDecoder(name string) *encoding.Decoder {
	for key, e := range map[string]encoding.Encoding{
		"Big5": traditionalchinese.Big5, "EUC-KR": korean.EUCKR, "GB2312": simplifiedchinese.GBK,
		"KOI8-R": charmap.KOI8R, "SHIFT_JIS": japanese.ShiftJIS, "iso-8859-1": charmap.ISO8859_1,
		"iso-8859-5": charmap.ISO8859_5, "windows-1252": charmap.Windows1252, "win-1252": charmap.Windows1252,
		"windows-1255": charmap.Windows1255, "cp866": charmap.CodePage866,
		"UTF-16BE": xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM),
		"UTF-16LE": xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM),
		"utf16le":  xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM),
	} {
		if strings.Contains(name, key) {
			return e.NewDecoder()
		}
	}
	return nil
}

func readJSONL(path string, each func(map[string]any)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		each(m)
	}
	return sc.Err()
}

func loadSPM(tb testing.TB, path string, layout IDLayout) *Unigram {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	t, err := FromSentencePiece(f, layout)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// spmPieces returns the pieces spm_encode prints for text: the
// normalized text of each token, or the byte piece.
func spmPieces(t *Unigram, text string) []string {
	sc := new(unigramScratch)
	sc.norm, sc.orig = t.norm.normalize(text, nil, nil)
	if len(sc.norm) == 0 {
		return nil
	}
	t.viterbi(sc)
	t.finish(sc)
	var out []string
	for _, p := range sc.out {
		if t.types[p.piece] == pieceByte {
			out = append(out, t.inv[t.ids[p.piece]])
		} else {
			out = append(out, string(sc.norm[p.start:p.end]))
		}
	}
	return out
}

func fieldsOf(line string) []string {
	if line == "" {
		return nil
	}
	return strings.Split(line, " ")
}

func idsOf(toks []Token) []int64 {
	out := make([]int64, len(toks))
	for i, tk := range toks {
		out[i] = tk.ID
	}
	return out
}

func TestUnigramMatchesSentencePiece(t *testing.T) {
	fx := spmData(t)
	for _, c := range spmCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			model := fx.model(t, c)
			tok := loadSPM(t, model, LayoutSentencePiece)
			wantIDs := fx.encode(t, model, "id")
			wantPieces := fx.encode(t, model, "piece")
			bad, tokens := 0, 0
			for i, line := range fx.lines {
				toks := tok.Split(line)
				tokens += len(toks)
				got := fmt.Sprint(idsOf(toks))
				want := "[" + wantIDs[i] + "]"
				gotP, wantP := spmPieces(tok, line), fieldsOf(wantPieces[i])
				if got != want || !slices.Equal(gotP, wantP) {
					if bad++; bad <= 5 {
						t.Errorf("line %d %q\n got %s %q\nwant %s %q", i, line, got, gotP, want, wantP)
					}
					continue
				}
				if n := tok.Count(line); n != len(toks) {
					t.Errorf("Count(%q) = %d, Split gave %d", line, n, len(toks))
				}
				if err := checkSpans(line, toks); err != nil {
					t.Errorf("line %d %q: %v", i, line, err)
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d lines differ", bad, len(fx.lines))
			}
			t.Logf("%d lines, %d tokens, %d pieces in the model", len(fx.lines), tokens, len(tok.inv))
		})
	}
}

// checkSpans checks that spans lie in the text and move forward; tokens
// cut from one character may share or overlap its span.
func checkSpans(text string, toks []Token) error {
	prev := Token{}
	for i, tk := range toks {
		if tk.Start < 0 || tk.Start > tk.End || tk.End > len(text) {
			return fmt.Errorf("token %d span [%d,%d) outside [0,%d)", i, tk.Start, tk.End, len(text))
		}
		if tk.Start < prev.Start || tk.End < prev.End {
			return fmt.Errorf("token %d span [%d,%d) before [%d,%d)", i, tk.Start, tk.End, prev.Start, prev.End)
		}
		prev = tk
	}
	return nil
}

func TestUnigramSpans(t *testing.T) {
	fx := spmData(t)
	tok := loadSPM(t, fx.model(t, spmCaseNamed(t, "nmt_nfkc")), LayoutSentencePiece)
	ident := loadSPM(t, fx.model(t, spmCaseNamed(t, "identity_keep_spaces")), LayoutSentencePiece)
	for i, line := range fx.lines {
		toks := tok.Split(line)
		for _, tk := range toks {
			if s := line[tk.Start:tk.End]; strings.Trim(s, " \t\r\u00a0\u3000") != s {
				t.Errorf("line %d %q: span %q has spaces around it", i, line, s)
				break
			}
		}
		// Every letter and digit belongs to some token.
		for at, r := range line {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
			if !slices.ContainsFunc(toks, func(tk Token) bool { return tk.Start <= at && at < tk.End }) {
				t.Errorf("line %d %q: %q at %d is in no span", i, line, r, at)
				break
			}
		}
		// Without normalization a span is its piece without the space
		// symbol, unknown runs included; a piece of spaces only has none
		// or shares the first character of the next piece.
		if !utf8.ValidString(line) || strings.Contains(line, spaceSymbol) {
			continue
		}
		pieces := spmPieces(ident, line)
		itoks := ident.Split(line)
		for k, tk := range itoks {
			got, want := line[tk.Start:tk.End], strings.ReplaceAll(pieces[k], spaceSymbol, "")
			if want == "" && got != "" && k+1 < len(itoks) && tk.Start == itoks[k+1].Start && tk.End <= itoks[k+1].End {
				continue
			}
			if got != want {
				t.Errorf("line %d %q: identity span %q, piece %q", i, line, got, pieces[k])
				break
			}
		}
	}

	tests := []struct {
		text string
		want string // the spans joined by "|"
	}{
		{"ﬁ", "ﬁ"},             // one character, however many pieces
		{"  x  ", "x"},         // spaces belong to no token
		{"a\n\nb", "a|b"},      // the paragraph break stays between tokens
		{"\u200bx", "x"},       // dropped characters are in no span
		{"x\u200b", "x"},       //
		{"e\u0301", "e\u0301"}, // composed into one character
	}
	for _, tt := range tests {
		var spans []string
		for _, tk := range tok.Split(tt.text) {
			if s := tt.text[tk.Start:tk.End]; s != "" && (len(spans) == 0 || spans[len(spans)-1] != s) {
				spans = append(spans, s)
			}
		}
		if got := strings.Join(spans, "|"); got != tt.want {
			t.Errorf("spans of %q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// fairseqID maps a SentencePiece id of an XLM-R-shaped model to fairseq's.
func fairseqID(id int64) int64 {
	switch id {
	case 0:
		return 3
	case 1:
		return 0
	case 2:
		return 2
	}
	return id + 1
}

var xlmrSpecials = []string{"<s>", "<pad>", "</s>", "<unk>", "<mask>"}

func hasSpecial(s string, specials []string) bool {
	return slices.ContainsFunc(specials, func(sp string) bool { return strings.Contains(s, sp) })
}

func TestUnigramXLMR(t *testing.T) {
	fx := spmData(t)
	model := fx.model(t, spmCaseNamed(t, "nmt_nfkc"))
	plain := loadSPM(t, model, LayoutSentencePiece)
	tok := loadSPM(t, model, LayoutXLMR)
	n := int64(len(plain.inv))

	if got, want := tok.VocabSize(), int(n)+2; got != want {
		t.Errorf("VocabSize = %d, want %d", got, want)
	}
	if tok.PadID() != 1 {
		t.Errorf("PadID = %d, want 1", tok.PadID())
	}
	for id, want := range map[int64]string{0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>", 4: plain.inv[3], n: plain.inv[n-1], n + 1: "<mask>", n + 2: "", -1: ""} {
		if got := tok.TokenString(id); got != want {
			t.Errorf("TokenString(%d) = %q, want %q", id, got, want)
		}
	}

	wantIDs := fx.encode(t, model, "id")
	checked := 0
	for i, line := range fx.lines {
		if hasSpecial(line, xlmrSpecials) {
			continue
		}
		want := []int64{0}
		for _, f := range fieldsOf(wantIDs[i]) {
			var id int64
			fmt.Sscan(f, &id)
			want = append(want, fairseqID(id))
		}
		want = append(want, 2)
		enc := tok.Encode(line, 0)
		if !slices.Equal(enc.IDs, want) {
			t.Fatalf("line %d %q\n got %v\nwant %v", i, line, enc.IDs, want)
		}
		if len(enc.Offsets) != len(enc.IDs) || enc.Truncated {
			t.Fatalf("line %d: %d offsets for %d ids, truncated %v", i, len(enc.Offsets), len(enc.IDs), enc.Truncated)
		}
		checked++
	}
	t.Logf("%d lines match spm_encode in fairseq ids", checked)

	// Special tokens in the text are matched verbatim; the text between
	// them is encoded on its own.
	mapped := func(s string) []int64 {
		var out []int64
		for _, tk := range plain.Split(s) {
			out = append(out, fairseqID(tk.ID))
		}
		return out
	}
	text := "<s>hello</s> world <mask> x<unk><pad>"
	want := []int64{0, 0}
	want = append(want, mapped("hello")...)
	want = append(want, 2)
	want = append(want, mapped(" world ")...)
	want = append(want, n+1)
	want = append(want, mapped(" x")...)
	want = append(want, 3, 1, 2)
	enc := tok.Encode(text, 0)
	if !slices.Equal(enc.IDs, want) {
		t.Errorf("Encode(%q)\n got %v\nwant %v", text, enc.IDs, want)
	}
	for i, id := range enc.IDs {
		if id == n+1 {
			if s := text[enc.Offsets[i][0]:enc.Offsets[i][1]]; s != "<mask>" {
				t.Errorf("<mask> span %q", s)
			}
		}
	}

	long := strings.Repeat("word ", 50)
	full := len(tok.Split(long)) + 2
	for _, tt := range []struct {
		maxLen, wantLen int
		truncated       bool
	}{
		{0, full, false}, {full, full, false}, {full + 1, full, false}, {full - 1, full - 1, true},
		{16, 16, true}, {3, 3, true}, {2, 2, true}, {1, 2, true},
	} {
		enc := tok.Encode(long, tt.maxLen)
		if len(enc.IDs) != tt.wantLen || enc.Truncated != tt.truncated {
			t.Errorf("maxLen %d: %d ids truncated=%v, want %d truncated=%v", tt.maxLen, len(enc.IDs), enc.Truncated, tt.wantLen, tt.truncated)
		}
		if enc.IDs[0] != 0 || enc.IDs[len(enc.IDs)-1] != 2 {
			t.Errorf("maxLen %d: no <s>/</s>: %v", tt.maxLen, enc.IDs)
		}
	}
	if enc := tok.Encode("", 0); !slices.Equal(enc.IDs, []int64{0, 2}) {
		t.Errorf("Encode(\"\") = %v, want [0 2]", enc.IDs)
	}
}

// hfJSON writes the tokenizer.json transformers would make for an
// XLM-R-shaped SentencePiece model. Legacy selects the older layout:
// WhitespaceSplit before Metaspace with add_prefix_space, and
// RobertaProcessing.
func hfJSON(tb testing.TB, modelPath string, legacy bool) []byte {
	tb.Helper()
	b, err := os.ReadFile(modelPath)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := parseSPModel(b)
	if err != nil {
		tb.Fatal(err)
	}
	type added struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	}
	vocab := [][]any{{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}}
	addedTokens := []added{{0, "<s>", true}, {1, "<pad>", true}, {2, "</s>", true}, {3, "<unk>", true}}
	for i, p := range m.pieces[3:] {
		vocab = append(vocab, []any{p.text, float64(p.score)})
		switch p.typ {
		case pieceUserDefined:
			addedTokens = append(addedTokens, added{i + 4, p.text, false})
		case pieceControl:
			addedTokens = append(addedTokens, added{i + 4, p.text, true})
		}
	}
	vocab = append(vocab, []any{"<mask>", 0.0})
	addedTokens = append(addedTokens, added{len(m.pieces) + 1, "<mask>", true})

	var norms []any
	if len(m.norm.charsmap) > 0 {
		norms = append(norms, map[string]any{"type": "Precompiled", "precompiled_charsmap": m.norm.charsmap})
	}
	pre := map[string]any{"type": "Metaspace", "replacement": spaceSymbol, "split": true}
	var post any
	if legacy {
		pre["add_prefix_space"] = m.norm.dummyPrefix
		if m.norm.removeExtra {
			pre = map[string]any{"type": "Sequence", "pretokenizers": []any{map[string]any{"type": "WhitespaceSplit"}, pre}}
		}
		post = map[string]any{"type": "RobertaProcessing", "sep": []any{"</s>", 2}, "cls": []any{"<s>", 0}}
	} else {
		pre["prepend_scheme"] = map[bool]string{true: "always", false: "never"}[m.norm.dummyPrefix]
		if m.norm.removeExtra {
			norms = append(norms, map[string]any{"type": "Strip", "left": false, "right": true},
				map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": " {2,}"}, "content": spaceSymbol})
		}
		post = map[string]any{
			"type": "TemplateProcessing",
			"single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
				map[string]any{"SpecialToken": map[string]any{"id": "</s>", "type_id": 0}},
			},
			"special_tokens": map[string]any{
				"<s>":  map[string]any{"id": "<s>", "ids": []int{0}, "tokens": []string{"<s>"}},
				"</s>": map[string]any{"id": "</s>", "ids": []int{2}, "tokens": []string{"</s>"}},
			},
		}
	}
	out, err := json.Marshal(map[string]any{
		"version":        "1.0",
		"added_tokens":   addedTokens,
		"normalizer":     map[string]any{"type": "Sequence", "normalizers": norms},
		"pre_tokenizer":  pre,
		"post_processor": post,
		"model":          map[string]any{"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": m.byteFallback},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestUnigramTokenizerJSON(t *testing.T) {
	fx := spmData(t)
	for _, tt := range []struct {
		name   string
		legacy bool
	}{
		{"nmt_nfkc", false}, {"nmt_nfkc", true}, {"user_symbols", false}, {"nfkc_cf_no_dummy_prefix", true},
		{"nmt_nfkc_cf_raw", false}, {"byte_fallback", false},
	} {
		t.Run(fmt.Sprintf("%s/legacy=%v", tt.name, tt.legacy), func(t *testing.T) {
			model := fx.model(t, spmCaseNamed(t, tt.name))
			want := loadSPM(t, model, LayoutXLMR)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), hfJSON(t, model, tt.legacy), 0o600); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := loaded.(*Unigram)
			if !ok {
				t.Fatalf("Load gave %T", loaded)
			}
			if got.VocabSize() != want.VocabSize() || got.PadID() != want.PadID() {
				t.Errorf("vocab %d pad %d, want %d and %d", got.VocabSize(), got.PadID(), want.VocabSize(), want.PadID())
			}
			for id := range int64(want.VocabSize()) {
				if got.TokenString(id) != want.TokenString(id) {
					t.Fatalf("TokenString(%d) = %q, want %q", id, got.TokenString(id), want.TokenString(id))
				}
			}
			control := []string{"<ctrl>", "[CLS]"} // specials only in tokenizer.json
			checked := 0
			for i, line := range fx.lines {
				if hasSpecial(line, control) {
					continue
				}
				g, w := got.Encode(line, 0), want.Encode(line, 0)
				if !slices.Equal(g.IDs, w.IDs) || !slices.Equal(g.Offsets, w.Offsets) {
					t.Fatalf("line %d %q\n got %v %v\nwant %v %v", i, line, g.IDs, g.Offsets, w.IDs, w.Offsets)
				}
				checked++
			}
			t.Logf("%d lines identical", checked)
		})
	}
}

func TestUnigramLoad(t *testing.T) {
	fx := spmData(t)
	model, err := os.ReadFile(fx.model(t, spmCaseNamed(t, "nmt_nfkc")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sentencepiece.bpe.model"), model, 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if enc := tok.Encode("hello", 0); enc.IDs[0] != 0 || enc.IDs[len(enc.IDs)-1] != 2 || tok.PadID() != 1 {
		t.Errorf("sentencepiece.bpe.model not read as XLM-R: %v, pad %d", enc.IDs, tok.PadID())
	}
	// tokenizer.json comes first, even when it is broken.
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil {
		t.Error("Load read the .model despite a tokenizer.json")
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load of an empty folder succeeded")
	}
}

func TestUnigramBadInput(t *testing.T) {
	fx := spmData(t)
	good, err := os.ReadFile(fx.model(t, spmCaseNamed(t, "nmt_nfkc")))
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation and some corruptions either load or fail; none
	// may panic, and what loads must tokenize.
	for n := 0; n < len(good); n += 1 + n/8 {
		if tok, err := FromSentencePiece(bytes.NewReader(good[:n]), LayoutSentencePiece); err == nil {
			tok.Split("Hello wörld ﬁ 東京")
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		b := slices.Clone(good)
		for range 1 + rng.IntN(8) {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		if tok, err := FromSentencePiece(bytes.NewReader(b), LayoutSentencePiece); err == nil {
			tok.Split("Hello wörld ﬁ 東京 \xff")
		}
	}

	dir := t.TempDir()
	out, err := exec.Command(spmTool(t, "spm_train"), "--input="+fx.corpus, "--model_prefix="+filepath.Join(dir, "bpe"),
		"--model_type=bpe", "--vocab_size=2000", "--hard_vocab_limit=false", "--num_threads=4", "--minloglevel=2").CombinedOutput()
	if err != nil {
		t.Fatalf("spm_train: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "bpe.model"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := FromSentencePiece(f, LayoutSentencePiece); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "BPE") {
		t.Errorf("BPE model: err = %v, want unsupported", err)
	}
	if _, err := FromSentencePiece(bytes.NewReader(good[:100]), LayoutXLMR); err == nil {
		t.Error("truncated model loaded as XLM-R")
	}

	js := hfJSON(t, fx.model(t, spmCaseNamed(t, "nmt_nfkc")), false)
	for _, bad := range []struct{ name, from, to string }{
		{"lowercase normalizer", `"type":"Strip"`, `"type":"Lowercase"`},
		{"byte-level pre-tokenizer", `"type":"Metaspace"`, `"type":"ByteLevel"`},
		{"other replacement", `"replacement":"▁"`, `"replacement":"_"`},
	} {
		s := strings.Replace(string(js), bad.from, bad.to, 1)
		if s == string(js) {
			t.Fatalf("%s: %s not in tokenizer.json", bad.name, bad.from)
		}
		if _, err := FromTokenizerJSON(strings.NewReader(s)); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want unsupported", bad.name, err)
		}
	}
	if _, err := FromTokenizerJSON(strings.NewReader(`{"model":{"type":"Unigram","vocab":[["<unk>",0]]}}`)); err == nil {
		t.Error("Unigram without unk_id loaded")
	}
}

func BenchmarkUnigram(b *testing.B) {
	fx := spmData(b)
	tok := loadSPM(b, fx.model(b, spmCaseNamed(b, "nmt_nfkc")), LayoutXLMR)
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i += 7 {
		sb.WriteString(fx.lines[i%len(fx.lines)])
		sb.WriteString("\n")
	}
	text := sb.String()
	ntok := tok.Count(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tok.Encode(text, 0)
	}
	b.ReportMetric(float64(ntok)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
