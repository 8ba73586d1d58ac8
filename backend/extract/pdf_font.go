package extract

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/ledongthuc/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/font"
	"golang.org/x/text/encoding/charmap"
)

// The pdf package's fonts ignore ToUnicode when a font has an
// /Encoding, never apply BaseEncoding, know no built-in font encodings
// and give CID fonts no widths (so no word gaps can be measured on
// them). pdfFont is a font read once per document that turns a string
// operand of Tj/TJ into text and glyph advances.

// pdfFont decodes the character codes of one font.
type pdfFont struct {
	// Simple fonts (Type1, TrueType, Type3): one byte per code.
	text  [256]string
	width [256]float64 // advance per unit font size (text space)

	// Type0 (composite) fonts.
	type0    bool
	enc      *pdfCMap // encoding CMap; nil: two-byte Identity
	ucs2     bool     // predefined UCS-2/UTF-16 CMap: codes are Unicode
	predef   bool     // another predefined CMap: CIDs unknown
	toUni    *pdfCMap
	cidToGID []byte // CIDToGIDMap stream; nil: identity
	ttf      pdf.Value
	gidText  map[uint16]rune // from the embedded TrueType's cmap, lazily
	gidRead  bool
	dw       float64
	cidW     map[uint32]float64
	cidWR    []cidWidths
	vertical bool
	vAdvance float64 // vertical advance per unit font size (negative: down)
	memo     map[uint64]pdfCode

	// sizeScale is the em of the glyphs relative to the font size: 1
	// except for Type3 fonts, whose glyph space is their own.
	sizeScale float64
}

type cidWidths struct {
	lo, hi uint32
	w      float64
}

// pdfCode is one decoded character code.
type pdfCode struct {
	text  string
	w     float64 // advance per unit font size
	space bool    // the single-byte code 32, to which word spacing applies
}

// each calls fn for every character code in s.
func (f *pdfFont) each(s string, fn func(c pdfCode)) {
	if !f.type0 {
		for i := 0; i < len(s); i++ {
			c := s[i]
			fn(pdfCode{text: f.text[c], w: f.width[c], space: c == ' '})
		}
		return
	}
	for i := 0; i < len(s); {
		var code uint32
		var n int
		switch {
		case f.enc != nil:
			code, n = f.enc.split(s, i)
		case f.predef && f.toUni != nil && len(f.toUni.space) > 0:
			code, n = f.toUni.split(s, i)
		default:
			code, n = fixedCode(s, i, 2)
			if f.ucs2 && n == 2 && code >= 0xd800 && code < 0xdc00 && i+4 <= len(s) {
				code, n = fixedCode(s, i, 4)
			}
		}
		if n <= 0 {
			break
		}
		i += n
		fn(f.type0Code(code, n))
	}
}

func (f *pdfFont) type0Code(code uint32, n int) pdfCode {
	k := cmapKey(code, n)
	if c, ok := f.memo[k]; ok {
		return c
	}
	cid := code
	if f.enc != nil {
		if c, ok := f.enc.cidOf(code, n); ok {
			cid = c
		}
	}
	c := pdfCode{w: f.dw, space: n == 1 && code == ' '}
	if !f.predef {
		c.w = f.cidWidth(cid)
	}
	if f.vertical {
		c.w = f.vAdvance
	}
	if f.toUni != nil {
		if t, ok := f.toUni.text(code, n); ok && validText(t) {
			c.text = glyphClean(t)
		}
	}
	if c.text == "" {
		switch {
		case f.ucs2:
			var b [4]byte
			for j := range n {
				b[j] = byte(code >> (8 * (n - 1 - j)))
			}
			c.text = glyphClean(utf16Text(b[:n]))
		case !f.predef && !f.ttf.IsNull():
			if r, ok := f.ttfRune(cid); ok {
				c.text = glyphClean(string(r))
			}
		}
	}
	if len(f.memo) < 1<<16 {
		f.memo[k] = c
	}
	return c
}

func (f *pdfFont) cidWidth(cid uint32) float64 {
	if w, ok := f.cidW[cid]; ok {
		return w
	}
	for _, r := range f.cidWR {
		if cid >= r.lo && cid <= r.hi {
			return r.w
		}
	}
	return f.dw
}

// ttfRune maps a CID to Unicode through the embedded TrueType font's own
// cmap, for CID fonts without a ToUnicode map.
func (f *pdfFont) ttfRune(cid uint32) (rune, bool) {
	if !f.gidRead {
		f.gidRead = true
		if data, err := readStream(f.ttf, 32<<20); err == nil || len(data) > 0 {
			f.gidText = trueTypeGlyphRunes(data)
		}
	}
	gid := cid
	if f.cidToGID != nil {
		if int(2*cid+1) >= len(f.cidToGID) {
			return 0, false
		}
		gid = uint32(f.cidToGID[2*cid])<<8 | uint32(f.cidToGID[2*cid+1])
	}
	if gid > 0xffff {
		return 0, false
	}
	r, ok := f.gidText[uint16(gid)]
	return r, ok
}

// readStream reads a stream's decoded data, at most limit bytes; a
// stream that breaks part way returns what was read and the error.
func readStream(v pdf.Value, limit int64) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("stream: %v", p)
		}
	}()
	rc := v.Reader()
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}

// newPDFFont reads a font dictionary; it never fails: what cannot be
// read decodes as nothing.
func newPDFFont(v pdf.Value) (f *pdfFont) {
	f = &pdfFont{sizeScale: 1}
	defer func() {
		if recover() != nil {
			f = rawPDFFont()
		}
	}()
	if v.Key("Subtype").Name() == "Type0" {
		f.loadType0(v)
	} else {
		f.loadSimple(v)
	}
	return f
}

// rawPDFFont decodes codes as WinAnsi characters: the last resort for a
// font dictionary that cannot be read.
func rawPDFFont() *pdfFont {
	f := &pdfFont{sizeScale: 1}
	t := pdfWinAnsiEncoding()
	for c := range 256 {
		if t[c] != 0 {
			f.text[c] = string(t[c])
		}
		f.width[c] = 0.5
	}
	f.width[' '] = 0.25
	return f
}

func (f *pdfFont) loadType0(v pdf.Value) {
	f.type0 = true
	f.memo = make(map[uint64]pdfCode)
	desc := v.Key("DescendantFonts")
	if desc.Kind() == pdf.Array {
		desc = desc.Index(0)
	}
	switch e := v.Key("Encoding"); e.Kind() {
	case pdf.Name:
		n := e.Name()
		f.vertical = strings.HasSuffix(n, "-V")
		f.ucs2 = strings.Contains(n, "UCS2") || strings.Contains(n, "UTF16")
		// Another predefined CMap (their files are not carried): CIDs
		// are unknown and code lengths come from the ToUnicode map.
		f.predef = !strings.HasPrefix(n, "Identity-") && !f.ucs2
	case pdf.Stream:
		if data, err := readStream(e, 4<<20); len(data) > 0 || err == nil {
			f.enc = parseCMap(data)
			f.vertical = f.enc.vertical
		}
	}
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if data, _ := readStream(tu, 8<<20); len(data) > 0 {
			f.toUni = parseCMap(data)
		}
	}
	f.dw = 1
	if dw := desc.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
		f.dw = dw.Float64() / 1000
	}
	f.cidW = make(map[uint32]float64)
	w := desc.Key("W")
	for i := 0; i < w.Len(); {
		first := w.Index(i)
		next := w.Index(i + 1)
		if next.Kind() == pdf.Array {
			c := uint32(first.Int64())
			for j := 0; j < next.Len() && j < maxCMapRange; j++ {
				f.cidW[c+uint32(j)] = next.Index(j).Float64() / 1000
			}
			i += 2
			continue
		}
		if i+2 >= w.Len() {
			break
		}
		lo, hi := uint32(first.Float64()), uint32(next.Float64())
		if hi >= lo {
			f.cidWR = append(f.cidWR, cidWidths{lo, hi, w.Index(i+2).Float64() / 1000})
		}
		i += 3
	}
	f.vAdvance = -1
	if dw2 := desc.Key("DW2"); dw2.Len() == 2 {
		f.vAdvance = dw2.Index(1).Float64() / 1000
	}
	if !f.ucs2 {
		// Without a complete ToUnicode map, a TrueType-based CID font can
		// still be read through its own cmap table.
		if ff := desc.Key("FontDescriptor").Key("FontFile2"); ff.Kind() == pdf.Stream && desc.Key("Subtype").Name() == "CIDFontType2" {
			f.ttf = ff
			if m := desc.Key("CIDToGIDMap"); m.Kind() == pdf.Stream {
				f.cidToGID, _ = readStream(m, 4<<20)
			}
		}
	}
}

func (f *pdfFont) loadSimple(v pdf.Value) {
	sub := v.Key("Subtype").Name()
	fd := v.Key("FontDescriptor")
	flags := fd.Key("Flags").Int64()
	symbolic := flags&4 != 0 && flags&32 == 0
	base := v.Key("BaseFont").Name()
	if i := strings.IndexByte(base, '+'); i == 6 {
		base = base[i+1:]
	}
	core := coreFontName(base)

	var baseEnc *[256]rune
	var names [256]string // glyph names from Differences and built-in encodings
	enc := v.Key("Encoding")
	switch enc.Kind() {
	case pdf.Name:
		baseEnc = namedEncoding(enc.Name())
	case pdf.Dict:
		baseEnc = namedEncoding(enc.Key("BaseEncoding").Name())
	}
	if baseEnc == nil {
		switch {
		case core == "Symbol":
			baseEnc = pdfSymbolEncoding()
		case core == "ZapfDingbats":
			baseEnc = &[256]rune{' ': ' '}
		case fd.Key("FontFile").Kind() == pdf.Stream:
			if builtin, ok := type1Encoding(fd.Key("FontFile")); ok {
				names = builtin
			} else {
				baseEnc = pdfStandardEncoding()
			}
		case sub == "Type3" || sub == "TrueType" && symbolic:
			// No standard meaning for the codes: read them as WinAnsi
			// unless Differences say otherwise.
			baseEnc = pdfWinAnsiEncoding()
		default:
			baseEnc = pdfStandardEncoding()
		}
	}
	if enc.Kind() == pdf.Dict {
		d := enc.Key("Differences")
		code := -1
		for i := 0; i < d.Len(); i++ {
			switch x := d.Index(i); x.Kind() {
			case pdf.Integer, pdf.Real:
				code = int(x.Float64())
			case pdf.Name:
				if code >= 0 && code < 256 {
					names[code] = x.Name()
					if names[code] == "" {
						names[code] = ".notdef"
					}
				}
				code++
			}
		}
	}
	var toUni *pdfCMap
	if tu := v.Key("ToUnicode"); tu.Kind() == pdf.Stream {
		if data, _ := readStream(tu, 8<<20); len(data) > 0 {
			toUni = parseCMap(data)
		}
	}
	for c := range 256 {
		if toUni != nil {
			t, ok := toUni.text(uint32(c), 1)
			if !ok {
				t, ok = toUni.text(uint32(c), 2)
			}
			if ok && validText(t) {
				f.text[c] = glyphClean(t)
				continue
			}
		}
		switch {
		case names[c] != "":
			f.text[c] = glyphClean(glyphText(names[c]))
		case baseEnc != nil && baseEnc[c] != 0:
			f.text[c] = glyphClean(string(baseEnc[c]))
		}
	}

	// Widths.
	scale := 0.001
	if sub == "Type3" {
		if m, ok := pdfMatrixOf(v.Key("FontMatrix")); ok && m[0][0] != 0 {
			scale = math.Abs(m[0][0])
		}
	}
	first := int(v.Key("FirstChar").Int64())
	ws := v.Key("Widths")
	missing := fd.Key("MissingWidth").Float64()
	n := ws.Len()
	var known []float64
	for c := range 256 {
		var w float64
		switch {
		case c >= first && c-first < n:
			w = ws.Index(c - first).Float64()
		case missing > 0:
			w = missing
		case n == 0 && core != "":
			w = coreWidth(core, c, f.text[c])
		default:
			w = -1
		}
		if w < 0 {
			f.width[c] = -1
			continue
		}
		f.width[c] = w * scale
		if w > 0 && f.text[c] != "" {
			known = append(known, w*scale)
		}
	}
	// Codes without any width get the typical width of the others (or
	// half an em), so word gaps can still be measured.
	est := 0.5
	if len(known) > 0 {
		sort.Float64s(known)
		est = known[len(known)/2]
	}
	for c := range 256 {
		if f.width[c] < 0 {
			f.width[c] = est
			if c == ' ' {
				f.width[c] = est / 2
			}
		}
	}
	if sub == "Type3" && len(known) > 0 {
		f.sizeScale = min(max(2*est, 0.1), 10)
	}
}

// type1Encoding reads the built-in encoding of an embedded Type 1 font
// program ("dup 65 /A put" entries in its clear-text part); ok is false
// when the font uses StandardEncoding or none is found.
func type1Encoding(ff pdf.Value) (names [256]string, ok bool) {
	limit := ff.Key("Length1").Int64()
	if limit <= 0 || limit > 1<<20 {
		limit = 64 << 10
	}
	data, _ := readStream(ff, limit)
	i := bytes.Index(data, []byte("/Encoding"))
	if i < 0 {
		return names, false
	}
	data = data[i+len("/Encoding"):]
	if e := bytes.Index(data, []byte("eexec")); e >= 0 {
		data = data[:e]
	}
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("StandardEncoding")) {
		return names, false
	}
	if e := bytes.Index(data, []byte("readonly def")); e >= 0 {
		data = data[:e]
	} else if e := bytes.Index(data, []byte("def")); e >= 0 && !bytes.Contains(data[:e], []byte("dup")) {
		return names, false
	}
	l := &pdfLexer{b: data}
	var prev [2]pdfObj
	for {
		o, more := l.next()
		if !more {
			break
		}
		if o.kind == pdfOp && o.s == "put" && prev[0].kind == pdfNum && prev[1].kind == pdfNam {
			if c := int(prev[0].num); c >= 0 && c < 256 {
				names[c] = prev[1].s
				ok = true
			}
		}
		prev[0], prev[1] = prev[1], o
	}
	return names, ok
}

// coreFontName maps a base font name to one of the 14 standard fonts
// (whose metrics pdfcpu carries), or "".
func coreFontName(base string) string {
	if font.IsCoreFont(base) {
		return base
	}
	n := strings.ToLower(strings.NewReplacer(" ", "", ",", "-", "PS", "", "MT", "").Replace(base))
	bold := strings.Contains(n, "bold")
	italic := strings.Contains(n, "italic") || strings.Contains(n, "oblique")
	style := func(family, it string) string {
		switch {
		case bold && italic:
			return family + "-Bold" + it
		case bold:
			return family + "-Bold"
		case italic:
			return family + "-" + it
		}
		return family
	}
	switch {
	case strings.HasPrefix(n, "arial") || strings.HasPrefix(n, "helvetica"):
		return style("Helvetica", "Oblique")
	case strings.HasPrefix(n, "times"):
		if !bold && !italic {
			return "Times-Roman"
		}
		return style("Times", "Italic")
	case strings.HasPrefix(n, "courier"):
		return style("Courier", "Oblique")
	case strings.HasPrefix(n, "symbol"):
		return "Symbol"
	case strings.HasPrefix(n, "zapfdingbats"):
		return "ZapfDingbats"
	}
	return ""
}

// coreWidth is a standard font's width of code c (text t), in glyph
// units.
func coreWidth(core string, c int, t string) float64 {
	code := rune(c)
	if core != "Symbol" && core != "ZapfDingbats" {
		r := []rune(t)
		if len(r) != 1 {
			return -1
		}
		b, ok := charmap.Windows1252.EncodeRune(r[0])
		if !ok {
			return -1
		}
		code = rune(b)
	}
	w, err := font.CharWidth(core, code)
	if err != nil {
		return -1
	}
	return float64(w)
}
