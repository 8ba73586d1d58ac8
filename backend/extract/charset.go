package extract

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/saintfish/chardet"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// decodeText turns bytes of unknown encoding into UTF-8. The order is:
// byte-order mark, UTF-32 without BOM (whose zero bytes no ASCII-compatible
// declaration can be read from), the charset the content declares
// (declared, may be ""), UTF-16 without BOM, valid UTF-8, then a
// statistical guess. It returns
// the text and the name of the encoding used.
func decodeText(b []byte, declared string) (string, string) {
	switch {
	// UTF-32 marks first: FF FE 00 00 also starts with the UTF-16LE mark.
	case bytes.HasPrefix(b, []byte("\xff\xfe\x00\x00")) && validUTF32(b[4:], false):
		return decodeUTF32(b[4:], false), "utf-32le"
	case bytes.HasPrefix(b, []byte("\x00\x00\xfe\xff")) && validUTF32(b[4:], true):
		return decodeUTF32(b[4:], true), "utf-32be"
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		return string(b[3:]), "utf-8"
	case bytes.HasPrefix(b, []byte("\xff\xfe")):
		return decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), b), "utf-16le"
	case bytes.HasPrefix(b, []byte("\xfe\xff")):
		return decodeWith(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), b), "utf-16be"
	}
	if name, ok := utf32Guess(b); ok {
		return decodeUTF32(b, name == "utf-32be"), name
	}
	if enc, name := lookupCharset(declared); enc != nil {
		// A declaration of a single-byte or legacy charset on bytes that
		// are valid non-ASCII UTF-8 is usually a stale header: trust the
		// bytes.
		if name != "utf-8" && utf8.Valid(b) && !isASCII(b) && !strings.HasPrefix(name, "utf-16") && !strings.HasPrefix(name, "utf-32") {
			return string(b), "utf-8"
		}
		if name == "utf-8" {
			return strings.ToValidUTF8(string(b), "\uFFFD"), name
		}
		return decodeWith(enc, b), name
	}
	if name, ok := utf16Guess(b); ok {
		order := unicode.LittleEndian
		if name == "utf-16be" {
			order = unicode.BigEndian
		}
		return decodeWith(unicode.UTF16(order, unicode.IgnoreBOM), b), name
	}
	if utf8.Valid(b) {
		return string(b), "utf-8"
	}
	// A file cut mid-rune is still UTF-8.
	if cut := len(b) - 3; cut > 0 && utf8.Valid(b[:cut]) {
		return strings.ToValidUTF8(string(b), "\uFFFD"), "utf-8"
	}
	enc, name := guessCharset(b)
	return decodeWith(enc, b), name
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func decodeWith(enc encoding.Encoding, b []byte) string {
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// lookupCharset resolves a charset label the way browsers do, with the
// IANA registry as a fallback. GB2312 and GBK are read as GB18030, their
// superset.
func lookupCharset(label string) (encoding.Encoding, string) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if label == "" {
		return nil, ""
	}
	switch label {
	case "gb2312", "gbk", "gb18030", "cp936", "x-gbk":
		return simplifiedchinese.GB18030, "gb18030"
	case "unicode", "utf-16", "utf16":
		// "charset=unicode" in Windows-made HTML means UTF-16LE.
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), "utf-16le"
	case "utf-32", "utf32", "utf-32le", "utf-32be", "ucs-4", "iso-10646-ucs-4":
		// Not in the WHATWG list browsers use; a BOM overrides the
		// default byte order.
		if label == "utf-32be" {
			return utf32.UTF32(utf32.BigEndian, utf32.UseBOM), "utf-32be"
		}
		return utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), "utf-32le"
	case "cp866", "ibm866", "866":
		return charmap.CodePage866, "ibm866"
	}
	if enc, err := htmlindex.Get(label); err == nil {
		name, _ := htmlindex.Name(enc)
		return enc, name
	}
	if enc, err := ianaindex.IANA.Encoding(label); err == nil && enc != nil {
		return enc, label
	}
	return nil, ""
}

// utf16Guess recognizes UTF-16 without a BOM from where the zero bytes
// fall in mostly-Latin text.
func utf16Guess(b []byte) (string, bool) {
	n := min(len(b), 4096) &^ 1
	if n < 8 {
		return "", false
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 > pairs*6 && even*10 < pairs:
		return "utf-16le", true
	case even*10 > pairs*6 && odd*10 < pairs:
		return "utf-16be", true
	}
	return "", false
}

// decodeUTF32 decodes UTF-32 without a BOM; a unit cut off at the end
// (a capped read) is dropped.
func decodeUTF32(b []byte, bigEndian bool) string {
	order := utf32.LittleEndian
	if bigEndian {
		order = utf32.BigEndian
	}
	return decodeWith(utf32.UTF32(order, utf32.IgnoreBOM), b[:len(b)&^3])
}

// utf32Unit returns the code point of the 4-byte unit at b[i:].
func utf32Unit(b []byte, i int, bigEndian bool) uint32 {
	if bigEndian {
		return uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
	}
	return uint32(b[i+3])<<24 | uint32(b[i+2])<<16 | uint32(b[i+1])<<8 | uint32(b[i])
}

// validUTF32 reports that the first KiBs of b are UTF-32 text: every
// unit a Unicode scalar value (at most U+10FFFF, no surrogates) and at
// least 90% of them printable or line-structure characters, with no NULs.
// Binary data with 32-bit fields (offsets, counts, zeros) fails the
// printable test; other text fails the range test.
func validUTF32(b []byte, bigEndian bool) bool {
	n := min(len(b), 16<<10) &^ 3
	if n < 4 {
		return len(b) == 0
	}
	var printable, units int
	for i := 0; i < n; i += 4 {
		r := utf32Unit(b, i, bigEndian)
		units++
		switch {
		case r == 0, r > 0x10ffff, r >= 0xd800 && r <= 0xdfff:
			return false
		case r == '\n' || r == '\r' || r == '\t' || r == '\f' || (r >= 0x20 && r != 0x7f && (r < 0x80 || r >= 0xa0)):
			printable++
		}
	}
	return printable*10 >= units*9
}

// utf32Guess recognizes UTF-32 without a BOM: in any text the high byte
// of every 4-byte unit is zero and the next one at most 0x10; in the
// mostly-Latin case three bytes of most units are zero. The layout decides
// the byte order and validUTF32 confirms the whole sample is text.
func utf32Guess(b []byte) (string, bool) {
	n := min(len(b), 4096) &^ 3
	if n < 16 {
		return "", false
	}
	var le, be int
	for i := 0; i < n; i += 4 {
		if b[i+3] == 0 && b[i+2] <= 0x10 {
			le++
		}
		if b[i] == 0 && b[i+1] <= 0x10 {
			be++
		}
	}
	units := n / 4
	switch {
	case le == units && be < units && validUTF32(b, false):
		return "utf-32le", true
	case be == units && le < units && validUTF32(b, true):
		return "utf-32be", true
	}
	return "", false
}

// looksUTF32 reports UTF-32 text, with or without a byte-order mark.
func looksUTF32(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xfe\x00\x00")):
		return validUTF32(head[4:], false)
	case bytes.HasPrefix(head, []byte("\x00\x00\xfe\xff")):
		return validUTF32(head[4:], true)
	}
	_, ok := utf32Guess(head)
	return ok
}

// cyrillic lists the single-byte Cyrillic code pages that statistical
// detectors confuse with one another.
var cyrillic = []struct {
	name string
	enc  encoding.Encoding
}{
	{"koi8-r", charmap.KOI8R},
	{"windows-1251", charmap.Windows1251},
	{"ibm866", charmap.CodePage866},
	{"iso-8859-5", charmap.ISO8859_5},
}

// guessCharset asks a statistical detector (ICU's algorithm) for the most
// likely charset. Cyrillic guesses are settled by letter frequencies,
// since the detector does not know CP866. Falls back to windows-1252.
func guessCharset(b []byte) (encoding.Encoding, string) {
	sample := b[:min(len(b), 64<<10)]
	res, err := chardet.NewTextDetector().DetectBest(sample)
	if err != nil || res == nil {
		return charmap.Windows1252, "windows-1252"
	}
	name := strings.ToLower(res.Charset)
	switch name {
	case "koi8-r", "windows-1251", "iso-8859-5", "ibm866":
		enc, n, _ := bestCyrillic(sample)
		return enc, n
	}
	// Mostly high-bit bytes in a single-byte charset: Western languages
	// have few, Cyrillic text nearly only those. CP866 is unknown to the
	// detector, which then guesses something Greek or Western.
	if res.Confidence < 50 && highByteRatio(sample) > 0.3 && !isMultiByte(name) {
		if enc, n, ok := bestCyrillic(sample); ok {
			return enc, n
		}
	}
	switch name {
	case "iso-8859-1":
		// Browsers read Latin-1 labels as windows-1252, a superset for
		// printable text.
		return charmap.Windows1252, "windows-1252"
	}
	if res.Confidence < 10 {
		return charmap.Windows1252, "windows-1252"
	}
	if enc, canon := lookupCharset(name); enc != nil {
		return enc, canon
	}
	return charmap.Windows1252, "windows-1252"
}

// Most frequent Russian/Bulgarian letters, lower case.
const cyrFrequent = "оеаинтсрвлкмдпуяыгзбчй"

func isMultiByte(name string) bool {
	switch name {
	case "shift_jis", "euc-jp", "euc-kr", "gb18030", "big5", "iso-2022-jp", "iso-2022-kr", "iso-2022-cn", "utf-16le", "utf-16be", "utf-32le", "utf-32be",
		// Hebrew and Arabic are detected reliably and are also mostly
		// high-bit bytes: not candidates for the Cyrillic check.
		"iso-8859-8", "iso-8859-8-i", "windows-1255", "iso-8859-6", "windows-1256":
		return true
	}
	return false
}

// highByteRatio is the share of non-space bytes above 0x7f.
func highByteRatio(b []byte) float64 {
	var high, total int
	for _, c := range b {
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			continue
		}
		total++
		if c >= 0x80 {
			high++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(high) / float64(total)
}

// bestCyrillic decodes b with each Cyrillic code page and keeps the one
// whose letters look most like Russian/Bulgarian text; ok reports that
// the best one looks like real text (frequent letters dominate).
func bestCyrillic(b []byte) (enc encoding.Encoding, name string, ok bool) {
	best, bestScore, bestFreq := 0, -1.0, 0.0
	for i, c := range cyrillic {
		s := decodeWith(c.enc, b)
		var letters, frequent, lower int
		for _, r := range s {
			if r >= 0x400 && r <= 0x4ff {
				letters++
				if r >= 0x430 && r <= 0x44f {
					lower++
				}
				if strings.ContainsRune(cyrFrequent, r) {
					frequent++
				}
			}
		}
		if letters == 0 {
			continue
		}
		freq := float64(frequent) / float64(letters)
		score := freq + float64(lower)/float64(letters)
		if score > bestScore {
			best, bestScore, bestFreq = i, score, freq
		}
	}
	return cyrillic[best].enc, cyrillic[best].name, bestFreq > 0.7
}

var (
	xmlDeclCharset  = regexp.MustCompile(`(?i)^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)
	htmlMetaCharset = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)`)
)

// declaredCharset finds an XML declaration or HTML meta charset in the
// first KiB of a document (ASCII-compatible encodings only).
func declaredCharset(b []byte) string {
	head := b[:min(len(b), 2048)]
	if m := xmlDeclCharset.FindSubmatch(head); m != nil {
		return string(m[1])
	}
	if m := htmlMetaCharset.FindSubmatch(head); m != nil {
		return string(m[1])
	}
	return ""
}
