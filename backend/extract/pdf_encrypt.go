package extract

import (
	"bytes"
	"fmt"
	"strconv"
)

// pdfcpu finds the encryption dictionary only through an indirect
// reference in the trailer; some writers put the dictionary itself there
// (pdf.js issue 6010). pdfIndirectEncrypt appends an incremental update
// that moves such a dictionary into an object of its own and refers to it
// from a new trailer, leaving the original bytes as they are. ok is false
// when the last trailer is not a classic one with a direct /Encrypt
// dictionary.
func pdfIndirectEncrypt(data []byte) (out []byte, ok bool) {
	sx := bytes.LastIndex(data, []byte("startxref"))
	if sx < 0 {
		return nil, false
	}
	l := &pdfLexer{b: data, pos: sx + len("startxref")}
	o, more := l.next()
	if !more || o.kind != pdfNum || o.num < 0 || o.num != float64(int64(o.num)) {
		return nil, false
	}
	prev := int64(o.num)
	tr := bytes.LastIndex(data[:sx], []byte("trailer"))
	if tr < 0 {
		return nil, false
	}
	l = &pdfLexer{b: data[:sx], pos: tr + len("trailer")}
	l.skipSpace()
	if !bytes.HasPrefix(data[l.pos:], []byte("<<")) {
		return nil, false
	}
	l.pos += 2
	type entry struct {
		key      string
		raw      []byte // key and value as written
		val      []byte // value as written
		valStart int
	}
	var entries []entry
	size := int64(-1)
	var encrypt []byte
	for n := 0; ; n++ {
		l.skipSpace()
		if l.pos >= len(l.b) || n > 256 {
			return nil, false
		}
		if bytes.HasPrefix(l.b[l.pos:], []byte(">>")) {
			break
		}
		ks := l.pos
		k, more := l.next()
		if !more || k.kind != pdfNam {
			return nil, false
		}
		l.skipSpace()
		vs := l.pos
		v, more := l.next()
		if !more {
			return nil, false
		}
		if v.kind == pdfNum {
			// an indirect reference "n g R" is three tokens
			save := l.pos
			g, ok1 := l.next()
			r, ok2 := l.next()
			if !ok1 || !ok2 || g.kind != pdfNum || r.kind != pdfOp || r.s != "R" {
				l.pos = save
			}
		}
		e := entry{key: k.s, raw: l.b[ks:l.pos], val: l.b[vs:l.pos], valStart: vs}
		switch k.s {
		case "Encrypt":
			if v.kind != pdfDict {
				return nil, false
			}
			encrypt = e.val
		case "Size":
			if v.kind != pdfNum || v.num < 1 || v.num > 1<<23 {
				return nil, false
			}
			size = int64(v.num)
		}
		entries = append(entries, e)
	}
	if encrypt == nil || size < 0 {
		return nil, false
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(encrypt) + 512)
	b.Write(data)
	b.WriteString("\n")
	objAt := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n", size)
	b.Write(encrypt)
	b.WriteString("\nendobj\n")
	xrefAt := b.Len()
	fmt.Fprintf(&b, "xref\n%d 1\n%010d 00000 n \ntrailer\n<<", size, objAt)
	for _, e := range entries {
		switch e.key {
		case "Encrypt":
			fmt.Fprintf(&b, "/Encrypt %d 0 R", size)
		case "Size":
			fmt.Fprintf(&b, "/Size %d", size+1)
		case "Prev":
		default:
			b.Write(e.raw)
		}
		b.WriteString("\n")
	}
	b.WriteString("/Prev " + strconv.FormatInt(prev, 10) + "\n>>\nstartxref\n")
	b.WriteString(strconv.Itoa(xrefAt) + "\n%%EOF\n")
	return b.Bytes(), true
}
