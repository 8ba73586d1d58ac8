package extract

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// pdfCMap is a parsed CMap: the codespace ranges that split a string
// into character codes, and the code-to-Unicode (ToUnicode: bfchar,
// bfrange) or code-to-CID (cidchar, cidrange) mappings.
type pdfCMap struct {
	space    []cmapRange
	uni      map[uint64]string
	uniR     []cmapRange
	cid      map[uint64]uint32
	cidR     []cmapRange
	vertical bool
	identity bool // uses the Identity-H/V CMap: two-byte codes, CID = code
}

// cmapRange is a range of codes of one length (n bytes) and what it
// maps to.
type cmapRange struct {
	lo, hi uint32
	n      int
	dst    []byte   // bfrange: UTF-16BE text of lo, incremented along the range
	arr    []string // bfrange with an array of destinations
	cid    uint32   // cidrange: CID of lo
}

func cmapKey(code uint32, n int) uint64 { return uint64(n)<<32 | uint64(code) }

// maxCMapRange bounds how far a bfrange with an array is read; larger
// ranges are malformed.
const maxCMapRange = 1 << 16

func codeOf(s string) (uint32, int) {
	if len(s) > 4 {
		s = s[len(s)-4:]
	}
	var c uint32
	for i := 0; i < len(s); i++ {
		c = c<<8 | uint32(s[i])
	}
	return c, len(s)
}

// utf16Text decodes a ToUnicode destination: UTF-16BE, or a single
// byte from producers that write <41> for "A".
func utf16Text(b []byte) string {
	switch len(b) {
	case 0:
		return ""
	case 1:
		return string(rune(b[0]))
	}
	if len(b)%2 == 1 {
		b = append([]byte{0}, b...)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	rs := utf16.Decode(u)
	var sb strings.Builder
	for _, r := range rs {
		if r == 0 {
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// parseCMap reads a CMap program (embedded encoding CMap or ToUnicode).
func parseCMap(data []byte) *pdfCMap {
	m := &pdfCMap{uni: map[uint64]string{}, cid: map[uint64]uint32{}}
	l := &pdfLexer{b: data}
	var ops []pdfObj
	mode := ""
	for {
		o, ok := l.next()
		if !ok {
			break
		}
		if o.kind != pdfOp {
			ops = append(ops, o)
			if len(ops) > 3*maxCMapRange {
				ops = ops[:0]
			}
			continue
		}
		switch o.s {
		case "begincodespacerange", "beginbfchar", "beginbfrange", "begincidchar", "begincidrange", "beginnotdefrange", "beginnotdefchar":
			mode = o.s[len("begin"):]
			ops = ops[:0]
		case "endcodespacerange":
			for i := 0; i+1 < len(ops); i += 2 {
				if ops[i].kind == pdfStr && ops[i+1].kind == pdfStr {
					lo, n := codeOf(ops[i].s)
					hi, _ := codeOf(ops[i+1].s)
					m.space = append(m.space, cmapRange{lo: lo, hi: hi, n: n})
				}
			}
			mode, ops = "", ops[:0]
		case "endbfchar":
			for i := 0; i+1 < len(ops); i += 2 {
				if ops[i].kind != pdfStr {
					continue
				}
				c, n := codeOf(ops[i].s)
				switch ops[i+1].kind {
				case pdfStr:
					m.uni[cmapKey(c, n)] = utf16Text([]byte(ops[i+1].s))
				case pdfNam:
					m.uni[cmapKey(c, n)] = glyphText(ops[i+1].s)
				}
			}
			mode, ops = "", ops[:0]
		case "endbfrange":
			for i := 0; i+2 < len(ops); i += 3 {
				if ops[i].kind != pdfStr || ops[i+1].kind != pdfStr {
					continue
				}
				lo, n := codeOf(ops[i].s)
				hi, _ := codeOf(ops[i+1].s)
				if hi < lo {
					continue
				}
				r := cmapRange{lo: lo, hi: hi, n: n}
				switch d := ops[i+2]; d.kind {
				case pdfStr:
					r.dst = []byte(d.s)
				case pdfArr:
					for j, e := range d.a {
						if j > maxCMapRange {
							break
						}
						r.arr = append(r.arr, utf16Text([]byte(e.s)))
					}
				default:
					continue
				}
				m.uniR = append(m.uniR, r)
			}
			mode, ops = "", ops[:0]
		case "endcidchar":
			for i := 0; i+1 < len(ops); i += 2 {
				if ops[i].kind == pdfStr && ops[i+1].kind == pdfNum {
					c, n := codeOf(ops[i].s)
					m.cid[cmapKey(c, n)] = uint32(ops[i+1].num)
				}
			}
			mode, ops = "", ops[:0]
		case "endcidrange":
			for i := 0; i+2 < len(ops); i += 3 {
				if ops[i].kind == pdfStr && ops[i+1].kind == pdfStr && ops[i+2].kind == pdfNum {
					lo, n := codeOf(ops[i].s)
					hi, _ := codeOf(ops[i+1].s)
					if hi >= lo {
						m.cidR = append(m.cidR, cmapRange{lo: lo, hi: hi, n: n, cid: uint32(ops[i+2].num)})
					}
				}
			}
			mode, ops = "", ops[:0]
		case "endnotdefrange", "endnotdefchar":
			mode, ops = "", ops[:0]
		case "usecmap":
			if len(ops) > 0 && ops[len(ops)-1].kind == pdfNam && strings.HasPrefix(ops[len(ops)-1].s, "Identity-") {
				m.identity = true
			}
			ops = ops[:0]
		case "def":
			if len(ops) >= 2 && ops[len(ops)-2].kind == pdfNam && ops[len(ops)-2].s == "WMode" && ops[len(ops)-1].num == 1 {
				m.vertical = true
			}
			if mode == "" {
				ops = ops[:0]
			}
		default:
			if mode == "" {
				ops = ops[:0]
			}
		}
	}
	return m
}

// split returns the next character code of s at i and its length in
// bytes, using the codespace ranges (two bytes when there are none).
func (m *pdfCMap) split(s string, i int) (uint32, int) {
	if m == nil || len(m.space) == 0 {
		return fixedCode(s, i, 2)
	}
	var c uint32
	for n := 1; n <= 4 && i+n <= len(s); n++ {
		c = c<<8 | uint32(s[i+n-1])
		for _, r := range m.space {
			if r.n == n && c >= r.lo && c <= r.hi {
				return c, n
			}
		}
	}
	// No range matches: take the shortest code length in use.
	n := 4
	for _, r := range m.space {
		n = min(n, r.n)
	}
	return fixedCode(s, i, n)
}

func fixedCode(s string, i, n int) (uint32, int) {
	n = min(n, len(s)-i)
	var c uint32
	for k := range n {
		c = c<<8 | uint32(s[i+k])
	}
	return c, n
}

// text maps a code to Unicode through bfchar and bfrange; ok is false
// when the CMap does not cover the code.
func (m *pdfCMap) text(code uint32, n int) (string, bool) {
	if s, ok := m.uni[cmapKey(code, n)]; ok {
		return s, true
	}
	for i := range m.uniR {
		r := &m.uniR[i]
		if r.n != n || code < r.lo || code > r.hi {
			continue
		}
		off := code - r.lo
		if r.arr != nil {
			if int(off) < len(r.arr) {
				return r.arr[off], true
			}
			return "", true
		}
		d := append([]byte(nil), r.dst...)
		// Add off to the destination as a big-endian number: the last
		// UTF-16 unit moves along the range.
		carry := off
		for k := len(d) - 1; k >= 0 && carry > 0; k-- {
			v := uint32(d[k]) + carry
			d[k] = byte(v)
			carry = v >> 8
		}
		return utf16Text(d), true
	}
	return "", false
}

// cidOf maps a code to its CID; ok is false when the CMap does not
// cover it.
func (m *pdfCMap) cidOf(code uint32, n int) (uint32, bool) {
	if m.identity && len(m.cid) == 0 && len(m.cidR) == 0 {
		return code, true
	}
	if c, ok := m.cid[cmapKey(code, n)]; ok {
		return c, true
	}
	for _, r := range m.cidR {
		if r.n == n && code >= r.lo && code <= r.hi {
			return r.cid + code - r.lo, true
		}
	}
	return 0, false
}

// validText reports whether s is usable text from a ToUnicode map (some
// producers map glyphs to U+0000 or to nothing).
func validText(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != utf8.RuneError && r >= 0x20 {
			return true
		}
	}
	return false
}
