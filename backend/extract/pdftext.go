package extract

import (
	"fmt"
	"math"
	"reflect"

	"github.com/ledongthuc/pdf"
)

// The pdf package reads the file structure (objects, streams, filters);
// the text itself comes from our own interpreter: the package's
// Page.Content reads only the page's own content stream (text drawn
// through form XObjects or in annotation appearances is lost), stops at
// the first inline image or malformed operator, and decodes fonts
// poorly (see pdfFont). walkPage follows "Do" into forms, reads the
// appearances of visible annotations and keeps the glyphs read before
// an error.

// maxFormDepth bounds form XObject nesting (and breaks reference cycles).
const maxFormDepth = 12

// maxPageGlyphs bounds the glyphs kept for one page.
const maxPageGlyphs = 4 << 20

type pdfMatrix [3][3]float64

var pdfIdent = pdfMatrix{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

func (x pdfMatrix) mul(y pdfMatrix) pdfMatrix {
	var z pdfMatrix
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				z[i][j] += x[i][k] * y[k][j]
			}
		}
	}
	return z
}

// apply maps the point (x, y) through m.
func (m *pdfMatrix) apply(x, y float64) (float64, float64) {
	return x*m[0][0] + y*m[1][0] + m[2][0], x*m[0][1] + y*m[1][1] + m[2][1]
}

// pdfMatrixOf reads a 6-number PDF matrix array; ok is false if v is not one.
func pdfMatrixOf(v pdf.Value) (m pdfMatrix, ok bool) {
	if v.Kind() != pdf.Array || v.Len() != 6 {
		return pdfIdent, false
	}
	for i := range 6 {
		m[i/2][i%2] = v.Index(i).Float64()
	}
	m[2][2] = 1
	return m, true
}

func translate(tx, ty float64) pdfMatrix {
	return pdfMatrix{{1, 0, 0}, {0, 1, 0}, {tx, ty, 1}}
}

type pdfGState struct {
	Tc, Tw, Th, Tl, Tfs, Trise float64
	font                       *pdfFont
	Tm, Tlm, CTM               pdfMatrix
}

// pdfGlyph is one drawn character, in default user space.
type pdfGlyph struct {
	s      string
	x, y   float64 // origin
	ex, ey float64 // origin moved by the glyph's own advance
	dx, dy float64 // unit writing direction
	size   float64 // em size
}

// pdfDoc holds what the pages of one document share: its fonts, read
// once (the pdf package caches no objects, so every lookup re-reads).
type pdfDoc struct {
	fonts map[string]*pdfFont
}

func newPDFDoc() *pdfDoc { return &pdfDoc{fonts: make(map[string]*pdfFont)} }

// pdfObjectNumber returns the number of the indirect object v was read
// from, or 0. pdf.Value does not export it; without it, a font could only
// be recognised by printing its whole dictionary.
func pdfObjectNumber(v pdf.Value) uint32 {
	f := reflect.ValueOf(v).FieldByName("ptr")
	if !f.IsValid() || f.Kind() != reflect.Struct || f.NumField() == 0 {
		return 0
	}
	id := f.Field(0)
	if id.Kind() != reflect.Uint32 {
		return 0
	}
	return uint32(id.Uint())
}

// font returns the parsed font of resource name in res.
func (d *pdfDoc) font(res pdf.Value, name string) *pdfFont {
	dict := res.Key("Font")
	v := dict.Key(name)
	if v.Kind() != pdf.Dict {
		return nil
	}
	var key string
	if id := pdfObjectNumber(v); id != 0 && id != pdfObjectNumber(dict) {
		key = fmt.Sprint(id)
	} else {
		// A direct dictionary carries its parent's number.
		key = v.String()
	}
	if f, ok := d.fonts[key]; ok {
		return f
	}
	f := newPDFFont(v)
	d.fonts[key] = f
	return f
}

type glyphWalker struct {
	doc      *pdfDoc
	text     []pdfGlyph
	unmapped int   // glyphs drawn whose font gives no text for them
	err      error // first content-stream error, if any
}

// walkPage collects the glyphs of page p; the error is the first met
// while reading its streams (the glyphs read so far are kept).
func (d *pdfDoc) walkPage(p pdf.Page) (*glyphWalker, error) {
	w := &glyphWalker{doc: d}
	g := pdfGState{Th: 1, Tm: pdfIdent, Tlm: pdfIdent, CTM: pdfIdent}
	res := p.Resources()
	if c := p.V.Key("Contents"); c.Kind() != pdf.Null {
		w.stream(c, res, g, 0)
	}
	annots := p.V.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		w.annotation(annots.Index(i), res)
	}
	return w, w.err
}

// annotation draws the normal appearance of a visible annotation, placed
// at its rectangle.
func (w *glyphWalker) annotation(a pdf.Value, pageRes pdf.Value) {
	const hidden, noView = 1 << 1, 1 << 5
	if a.Key("F").Int64()&(hidden|noView) != 0 {
		return
	}
	ap := a.Key("AP").Key("N")
	if ap.Kind() == pdf.Dict {
		ap = ap.Key(a.Key("AS").Name())
	}
	if ap.Kind() != pdf.Stream {
		return
	}
	m, _ := pdfMatrixOf(ap.Key("Matrix"))
	rect, bbox := a.Key("Rect"), ap.Key("BBox")
	ctm := m
	if rect.Len() == 4 && bbox.Len() == 4 {
		// Move the appearance's box corner onto the annotation's corner
		// (scaling is irrelevant to text order).
		x0, y0 := m.apply(bbox.Index(0).Float64(), bbox.Index(1).Float64())
		ctm = ctm.mul(translate(rect.Index(0).Float64()-x0, rect.Index(1).Float64()-y0))
	}
	res := ap.Key("Resources")
	if res.Kind() == pdf.Null {
		res = pageRes
	}
	w.stream(ap, res, pdfGState{Th: 1, Tm: pdfIdent, Tlm: pdfIdent, CTM: ctm}, 1)
}

// contentData reads a content stream, or the concatenation of an array
// of them; a stream that breaks part way contributes what was read.
func contentData(strm pdf.Value) ([]byte, error) {
	if strm.Kind() != pdf.Array {
		return readStream(strm, 256<<20)
	}
	var out []byte
	var firstErr error
	for i := 0; i < strm.Len(); i++ {
		b, err := readStream(strm.Index(i), 256<<20)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out = append(out, b...)
		out = append(out, '\n')
	}
	return out, firstErr
}

// stream interprets one content stream (page contents, form XObject or
// appearance) with resources res, starting from graphics state g.
func (w *glyphWalker) stream(strm, res pdf.Value, g pdfGState, depth int) {
	defer func() {
		if p := recover(); p != nil && w.err == nil {
			w.err = fmt.Errorf("%v", p)
		}
	}()
	data, err := contentData(strm)
	if err != nil && w.err == nil {
		w.err = err
	}
	var stack []pdfGState
	fonts := make(map[string]*pdfFont)
	show := func(s string) {
		f := g.font
		if f == nil {
			return
		}
		f.each(s, func(c pdfCode) {
			m := g.Tm.mul(g.CTM)
			var adv float64 // advance along the writing direction, text space
			var g0 pdfGlyph
			g0.s = c.text
			g0.x, g0.y = m.apply(0, g.Trise)
			if f.vertical {
				adv = c.w*g.Tfs + g.Tc
				if c.space {
					adv += g.Tw
				}
				g0.ex, g0.ey = m.apply(0, g.Trise+c.w*g.Tfs)
				g.Tm = translate(0, adv).mul(g.Tm)
			} else {
				adv = (c.w*g.Tfs + g.Tc) * g.Th
				if c.space {
					adv += g.Tw * g.Th
				}
				g0.ex, g0.ey = m.apply(c.w*g.Tfs*g.Th, g.Trise)
				g.Tm = translate(adv, 0).mul(g.Tm)
			}
			if c.text == "" {
				w.unmapped++
				return
			}
			if len(w.text) >= maxPageGlyphs {
				return
			}
			// Writing direction and em size in user space.
			ux, uy := m[0][0], m[0][1]
			if f.vertical {
				ux, uy = -m[1][0], -m[1][1]
			}
			if l := math.Hypot(ux, uy); l > 0 {
				g0.dx, g0.dy = ux/l, uy/l
			} else {
				g0.dx = 1
			}
			g0.size = math.Abs(g.Tfs) * math.Hypot(m[1][0], m[1][1]) * f.sizeScale
			w.text = append(w.text, g0)
		})
	}
	nextLine := func() {
		g.Tlm = translate(0, -g.Tl).mul(g.Tlm)
		g.Tm = g.Tlm
	}
	l := &pdfLexer{b: data}
	var args []pdfObj
	// arg returns operand i of n (the last n operands count, so that a
	// stray extra operand does not lose the operator).
	num := func(n, i int) float64 { return args[len(args)-n+i].num }
	for {
		o, ok := l.next()
		if !ok {
			break
		}
		if o.kind != pdfOp {
			args = append(args, o)
			continue
		}
		op := o.s
		need := pdfOperands[op]
		if len(args) < need {
			args = args[:0]
			continue
		}
		switch op {
		case "cm":
			g.CTM = matrixOf(args[len(args)-6:]).mul(g.CTM)
		case "q":
			if len(stack) < 1024 {
				stack = append(stack, g)
			}
		case "Q":
			if n := len(stack) - 1; n >= 0 {
				g = stack[n]
				stack = stack[:n]
			}
		case "BT":
			g.Tm, g.Tlm = pdfIdent, pdfIdent
		case "T*":
			nextLine()
		case "Tc":
			g.Tc = num(1, 0)
		case "Tw":
			g.Tw = num(1, 0)
		case "Tz":
			g.Th = num(1, 0) / 100
		case "TL":
			g.Tl = num(1, 0)
		case "Ts":
			g.Trise = num(1, 0)
		case "TD", "Td":
			tx, ty := num(2, 0), num(2, 1)
			if op == "TD" {
				g.Tl = -ty
			}
			g.Tlm = translate(tx, ty).mul(g.Tlm)
			g.Tm = g.Tlm
		case "Tm":
			m := matrixOf(args[len(args)-6:])
			g.Tm, g.Tlm = m, m
		case "Tf":
			name := args[len(args)-2]
			if name.kind == pdfNam {
				f, ok := fonts[name.s]
				if !ok {
					f = w.doc.font(res, name.s)
					fonts[name.s] = f
				}
				g.font = f
			}
			g.Tfs = num(2, 1)
		case "Tj", "'", "\"":
			if op == "\"" {
				g.Tw, g.Tc = num(3, 0), num(3, 1)
			}
			if op != "Tj" {
				nextLine()
			}
			show(args[len(args)-1].s)
		case "TJ":
			for _, x := range args[len(args)-1].a {
				switch x.kind {
				case pdfStr:
					show(x.s)
				case pdfNum:
					d := -x.num / 1000 * g.Tfs
					if g.font != nil && g.font.vertical {
						g.Tm = translate(0, d).mul(g.Tm)
					} else {
						g.Tm = translate(d*g.Th, 0).mul(g.Tm)
					}
				}
			}
		case "BI":
			l.inlineImage()
		case "Do":
			name := args[len(args)-1]
			if depth >= maxFormDepth || name.kind != pdfNam {
				break
			}
			xo := res.Key("XObject").Key(name.s)
			if xo.Kind() != pdf.Stream || xo.Key("Subtype").Name() != "Form" {
				break
			}
			fg := g
			if m, ok := pdfMatrixOf(xo.Key("Matrix")); ok {
				fg.CTM = m.mul(g.CTM)
			}
			fres := xo.Key("Resources")
			if fres.Kind() == pdf.Null {
				fres = res
			}
			w.stream(xo, fres, fg, depth+1)
		}
		args = args[:0]
	}
}

// pdfOperands is how many operands the operators the interpreter acts on
// take; an operator with too few is ignored.
var pdfOperands = map[string]int{
	"cm": 6, "Tc": 1, "Tw": 1, "Tz": 1, "TL": 1, "Ts": 1, "TD": 2, "Td": 2,
	"Tm": 6, "Tf": 2, "Tj": 1, "'": 1, "\"": 3, "TJ": 1, "Do": 1,
}

// inlineImage skips an inline image: its dictionary (up to ID) and its
// data (up to EI).
func (l *pdfLexer) inlineImage() {
	length := 0
	var prev pdfObj
	for {
		o, ok := l.next()
		if !ok {
			return
		}
		if o.kind == pdfOp && o.s == "ID" {
			break
		}
		if o.kind == pdfOp && o.s == "EI" {
			return
		}
		if o.kind == pdfNum && prev.kind == pdfNam && (prev.s == "L" || prev.s == "Length") {
			length = int(o.num)
		}
		prev = o
	}
	l.skipInlineImage(length)
}

// matrixOf reads the six operands of cm or Tm as a matrix.
func matrixOf(args []pdfObj) pdfMatrix {
	var m pdfMatrix
	for i := range 6 {
		m[i/2][i%2] = args[i].num
	}
	m[2][2] = 1
	return m
}
