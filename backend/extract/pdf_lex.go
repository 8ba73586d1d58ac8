package extract

import (
	"bytes"
	"strconv"
)

// The pdf package parses content streams with its PostScript
// interpreter, which knows nothing of inline images: the binary data
// between ID and EI derails it and loses the page (and any text drawn
// after the image). pdfLexer is a small content-stream tokenizer that
// skips inline images and never panics; CMaps are read with it too.

type pdfKind uint8

const (
	pdfNull pdfKind = iota
	pdfNum
	pdfBool
	pdfStr  // string operand: raw bytes in s
	pdfNam  // name operand, without the slash, in s
	pdfArr  // array operand: elements in a
	pdfDict // dictionary operand: alternating keys and values in a
	pdfOp   // operator keyword in s
)

// pdfObj is one token or operand of a content stream.
type pdfObj struct {
	kind pdfKind
	num  float64
	s    string
	a    []pdfObj
}

// pdfLexer reads a content stream's tokens.
type pdfLexer struct {
	b   []byte
	pos int
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *pdfLexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		switch {
		case isPDFSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

// next returns the next object (an operand, a complete array or
// dictionary, or an operator); ok is false at the end of the stream.
func (l *pdfLexer) next() (o pdfObj, ok bool) {
	return l.nextDepth(0)
}

// maxPDFNesting bounds array and dictionary nesting in content streams.
const maxPDFNesting = 32

func (l *pdfLexer) nextDepth(depth int) (pdfObj, bool) {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return pdfObj{}, false
	}
	c := l.b[l.pos]
	switch {
	case c == '(':
		return pdfObj{kind: pdfStr, s: l.literal()}, true
	case c == '<' && l.pos+1 < len(l.b) && l.b[l.pos+1] == '<':
		l.pos += 2
		return l.container(pdfDict, ">>", depth), true
	case c == '<':
		return pdfObj{kind: pdfStr, s: l.hex()}, true
	case c == '[':
		l.pos++
		return l.container(pdfArr, "]", depth), true
	case c == '/':
		l.pos++
		return pdfObj{kind: pdfNam, s: l.name()}, true
	case c == '{' || c == '}':
		// PostScript procedures (in CMaps and Type 4 functions): ignore.
		l.pos++
		return l.nextDepth(depth)
	case c == ')' || c == '>' || c == ']':
		// Stray closers: treat as operators the interpreter ignores.
		l.pos++
		return pdfObj{kind: pdfOp, s: string(c)}, true
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return l.number(), true
	}
	start := l.pos
	for l.pos < len(l.b) && !isPDFSpace(l.b[l.pos]) && !isPDFDelim(l.b[l.pos]) {
		l.pos++
	}
	kw := l.b[start:l.pos]
	switch string(kw) {
	case "true":
		return pdfObj{kind: pdfBool, num: 1}, true
	case "false":
		return pdfObj{kind: pdfBool}, true
	case "null":
		return pdfObj{}, true
	}
	return pdfObj{kind: pdfOp, s: string(kw)}, true
}

func (l *pdfLexer) container(kind pdfKind, end string, depth int) pdfObj {
	o := pdfObj{kind: kind}
	for {
		l.skipSpace()
		if l.pos >= len(l.b) {
			return o
		}
		if bytes.HasPrefix(l.b[l.pos:], []byte(end)) {
			l.pos += len(end)
			return o
		}
		if depth >= maxPDFNesting {
			l.pos++
			continue
		}
		e, ok := l.nextDepth(depth + 1)
		if !ok {
			return o
		}
		if e.kind == pdfOp && len(e.s) == 1 && (e.s == "]" || e.s == ">") {
			// A mismatched closer ends the container.
			return o
		}
		o.a = append(o.a, e)
	}
}

func (l *pdfLexer) number() pdfObj {
	start := l.pos
	l.pos++
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' {
			l.pos++
			continue
		}
		break
	}
	s := l.b[start:l.pos]
	// Producers write things like "--5" or "5-": keep the leading sign
	// and the digits that parse.
	for len(s) > 1 && (s[0] == '-' || s[0] == '+') && (s[1] == '-' || s[1] == '+') {
		s = s[1:]
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '-' || s[i] == '+' {
			s = s[:i]
			break
		}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		if j := bytes.IndexByte(s[1:], '.'); j >= 0 {
			f, _ = strconv.ParseFloat(string(s[:j+1]), 64)
		}
	}
	return pdfObj{kind: pdfNum, num: f}
}

func (l *pdfLexer) name() string {
	start := l.pos
	esc := false
	for l.pos < len(l.b) && !isPDFSpace(l.b[l.pos]) && !isPDFDelim(l.b[l.pos]) {
		if l.b[l.pos] == '#' {
			esc = true
		}
		l.pos++
	}
	s := l.b[start:l.pos]
	if !esc {
		return string(s)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			if v, err := strconv.ParseUint(string(s[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (l *pdfLexer) literal() string {
	l.pos++ // (
	start := l.pos
	// Fast path: no escapes and no nested parentheses.
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if c == ')' {
			s := string(l.b[start:l.pos])
			l.pos++
			return s
		}
		if c == '\\' || c == '(' || c == '\r' {
			break
		}
		l.pos++
	}
	out := append([]byte(nil), l.b[start:l.pos]...)
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return string(out)
			}
		case '\r':
			// An end of line in a string is a line feed.
			if l.pos < len(l.b) && l.b[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.b) {
				return string(out)
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *pdfLexer) hex() string {
	l.pos++ // <
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		v, ok := unhex(c)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return string(out)
}

// skipInlineImage moves past an inline image's data, which starts after
// the ID operator, to just after its EI operator. length, when known
// from the image dictionary (/L or /Length), is tried first.
func (l *pdfLexer) skipInlineImage(length int) {
	if l.pos < len(l.b) && isPDFSpace(l.b[l.pos]) {
		l.pos++
	}
	if length > 0 && l.pos+length <= len(l.b) {
		p := l.pos + length
		for p < len(l.b) && isPDFSpace(l.b[p]) {
			p++
		}
		if bytes.HasPrefix(l.b[p:], []byte("EI")) && (p+2 == len(l.b) || isPDFSpace(l.b[p+2]) || isPDFDelim(l.b[p+2])) {
			l.pos = p + 2
			return
		}
	}
	for p := l.pos; p+2 <= len(l.b); {
		i := bytes.Index(l.b[p:], []byte("EI"))
		if i < 0 {
			break
		}
		p += i
		end := p + 2
		if p > l.pos && isPDFSpace(l.b[p-1]) && (end == len(l.b) || isPDFSpace(l.b[end])) && plausibleAfterEI(l.b[end:]) {
			l.pos = end
			return
		}
		p = end
	}
	l.pos = len(l.b)
}

// plausibleAfterEI reports whether b looks like content-stream text (and
// not more binary image data that happens to contain " EI ").
func plausibleAfterEI(b []byte) bool {
	if len(b) > 32 {
		b = b[:32]
	}
	for _, c := range b {
		if c >= 0x7f || (c < 0x20 && !isPDFSpace(c)) {
			return false
		}
	}
	return true
}
