package extract

import (
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/encoding/charmap"
)

// Simple-font encodings: base encodings as code → rune tables, glyph
// names to text, and the clean-up every decoded glyph gets.

var (
	pdfGlyphNames = sync.OnceValue(func() map[string]rune {
		m := make(map[string]rune, 4400)
		for _, f := range strings.Fields(pdfGlyphList) {
			name, hex, ok := strings.Cut(f, ":")
			if !ok {
				continue
			}
			if v, err := strconv.ParseUint(hex, 16, 32); err == nil {
				m[name] = rune(v)
			}
		}
		return m
	})
	pdfSymbolEncoding = sync.OnceValue(func() *[256]rune {
		var t [256]rune
		for _, f := range strings.Fields(pdfSymbolList) {
			code, hex, _ := strings.Cut(f, ":")
			c, err1 := strconv.ParseUint(code, 16, 8)
			v, err2 := strconv.ParseUint(hex, 16, 32)
			if err1 == nil && err2 == nil {
				t[c] = rune(v)
			}
		}
		return &t
	})
	pdfStandardEncoding = sync.OnceValue(func() *[256]rune {
		var t [256]rune
		for c := 0x20; c < 0x7f; c++ {
			t[c] = rune(c)
		}
		t[0x27], t[0x60] = '\u2019', '\u2018'
		for c, r := range map[int]rune{
			0xa1: '¡', 0xa2: '¢', 0xa3: '£', 0xa4: '\u2044', 0xa5: '¥', 0xa6: 'ƒ', 0xa7: '§',
			0xa8: '¤', 0xa9: '\'', 0xaa: '“', 0xab: '«', 0xac: '‹', 0xad: '›', 0xae: 'ﬁ', 0xaf: 'ﬂ',
			0xb1: '–', 0xb2: '†', 0xb3: '‡', 0xb4: '·', 0xb6: '¶', 0xb7: '•', 0xb8: '‚', 0xb9: '„',
			0xba: '”', 0xbb: '»', 0xbc: '…', 0xbd: '‰', 0xbf: '¿',
			0xc1: '`', 0xc2: '´', 0xc3: 'ˆ', 0xc4: '˜', 0xc5: '¯', 0xc6: '˘', 0xc7: '˙', 0xc8: '¨',
			0xca: '˚', 0xcb: '¸', 0xcd: '˝', 0xce: '˛', 0xcf: 'ˇ', 0xd0: '—',
			0xe1: 'Æ', 0xe3: 'ª', 0xe8: 'Ł', 0xe9: 'Ø', 0xea: 'Œ', 0xeb: 'º',
			0xf1: 'æ', 0xf5: 'ı', 0xf8: 'ł', 0xf9: 'ø', 0xfa: 'œ', 0xfb: 'ß',
		} {
			t[c] = r
		}
		return &t
	})
	pdfWinAnsiEncoding = sync.OnceValue(func() *[256]rune {
		t := charmapTable(charmap.Windows1252)
		// PDF's WinAnsiEncoding draws the codes cp1252 leaves undefined
		// as bullets.
		for _, c := range []int{0x81, 0x8d, 0x8f, 0x90, 0x9d} {
			t[c] = '•'
		}
		t[0xa0], t[0xad] = ' ', '-'
		return t
	})
	pdfMacRomanEncoding = sync.OnceValue(func() *[256]rune { return charmapTable(charmap.Macintosh) })
)

func charmapTable(cm *charmap.Charmap) *[256]rune {
	var t [256]rune
	for c := 0x20; c < 256; c++ {
		if r := cm.DecodeByte(byte(c)); r != '\ufffd' {
			t[c] = r
		}
	}
	return &t
}

// namedEncoding returns the base encoding a /Encoding or /BaseEncoding
// name stands for, nil for unknown names.
func namedEncoding(name string) *[256]rune {
	switch name {
	case "WinAnsiEncoding":
		return pdfWinAnsiEncoding()
	case "MacRomanEncoding", "MacExpertEncoding":
		return pdfMacRomanEncoding()
	case "StandardEncoding":
		return pdfStandardEncoding()
	case "SymbolEncoding":
		return pdfSymbolEncoding()
	}
	return nil
}

// glyphText returns the text a glyph name stands for: a name of the
// Adobe Glyph List, uniXXXX[XXXX...], uXXXX[XX], a ligature of such
// names joined by "_", or any of these with a ".suffix" (small caps,
// old-style figures). Unknown names ("g42", "cid123") yield "".
func glyphText(name string) string {
	if name == "" || name[0] == '.' {
		return ""
	}
	if r, ok := pdfGlyphNames()[name]; ok {
		return string(r)
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return glyphText(name[:i])
	}
	if strings.Contains(name, "_") {
		var sb strings.Builder
		for _, part := range strings.Split(name, "_") {
			t := glyphText(part)
			if t == "" {
				return ""
			}
			sb.WriteString(t)
		}
		return sb.String()
	}
	if hex, ok := strings.CutPrefix(name, "uni"); ok && len(hex) >= 4 && len(hex)%4 == 0 {
		var sb strings.Builder
		for i := 0; i < len(hex); i += 4 {
			v, err := strconv.ParseUint(hex[i:i+4], 16, 16)
			if err != nil {
				return ""
			}
			if v >= 0xd800 && v < 0xe000 {
				return ""
			}
			sb.WriteRune(rune(v))
		}
		return sb.String()
	}
	if hex, ok := strings.CutPrefix(name, "u"); ok && len(hex) >= 4 && len(hex) <= 6 {
		if v, err := strconv.ParseUint(hex, 16, 32); err == nil && v <= 0x10ffff && (v < 0xd800 || v >= 0xe000) {
			return string(rune(v))
		}
	}
	return ""
}

// ligatures expands the Latin ligature code points, which fonts map
// their fi/fl glyphs to, into letters: "ﬁnd" must read "find".
var ligatures = strings.NewReplacer("ﬀ", "ff", "ﬁ", "fi", "ﬂ", "fl", "ﬃ", "ffi", "ﬄ", "ffl", "ﬅ", "st", "ﬆ", "st")

// glyphClean is the text of one glyph as it enters the page: ligatures
// expanded, control characters and U+FFFD dropped.
func glyphClean(s string) string {
	if s == "" {
		return ""
	}
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	s = ligatures.Replace(s)
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\ufffd' {
			return -1
		}
		if r == '\t' || r == 0xa0 {
			return ' '
		}
		return r
	}, s)
}
