package extract

import (
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
)

// The pdf package's Page.Content reads only the page's own content
// stream, so text drawn through form XObjects (common in exported and
// stamped PDFs) or in annotation appearances (form fields) is lost, and
// one malformed operator loses the whole page. pageGlyphs is the same
// text-state interpreter, extended to follow "Do" into forms, to read
// annotation appearances and to keep the glyphs read before an error.

// maxFormDepth bounds form XObject nesting (and breaks reference cycles).
const maxFormDepth = 12

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

type pdfGState struct {
	Tc, Tw, Th, Tl, Tfs, Trise float64
	font                       *pdf.Font
	Tm, Tlm, CTM               pdfMatrix
}

type glyphWalker struct {
	text  []pdf.Text
	err   error                // first content-stream error, if any
	fonts map[string]*pdf.Font // parsed fonts by dictionary
}

// pageGlyphs returns the positioned glyphs of page p, and the first error
// met while reading its streams (the glyphs read so far are kept).
func pageGlyphs(p pdf.Page) ([]pdf.Text, error) {
	w := &glyphWalker{fonts: make(map[string]*pdf.Font)}
	g := pdfGState{Th: 1, Tm: pdfIdent, Tlm: pdfIdent, CTM: pdfIdent}
	res := p.Resources()
	if c := p.V.Key("Contents"); c.Kind() != pdf.Null {
		w.stream(c, res, g, 0)
	}
	annots := p.V.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		w.annotation(annots.Index(i), res)
	}
	return w.text, w.err
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
		x0 := bbox.Index(0).Float64()*m[0][0] + bbox.Index(1).Float64()*m[1][0] + m[2][0]
		y0 := bbox.Index(0).Float64()*m[0][1] + bbox.Index(1).Float64()*m[1][1] + m[2][1]
		ctm = ctm.mul(pdfMatrix{{1, 0, 0}, {0, 1, 0}, {rect.Index(0).Float64() - x0, rect.Index(1).Float64() - y0, 1}})
	}
	res := ap.Key("Resources")
	if res.Kind() == pdf.Null {
		res = pageRes
	}
	w.stream(ap, res, pdfGState{Th: 1, Tm: pdfIdent, Tlm: pdfIdent, CTM: ctm}, 1)
}

func (w *glyphWalker) font(res pdf.Value, name string) *pdf.Font {
	// Value has no comparable identity; the font dictionary's printed
	// form (nested objects appear as references) is enough to share
	// parsed fonts between streams.
	v := res.Key("Font").Key(name)
	k := v.String()
	if f, ok := w.fonts[k]; ok {
		return f
	}
	f := &pdf.Font{V: v}
	w.fonts[k] = f
	return f
}

// stream interprets one content stream (page contents, form XObject or
// appearance) with resources res, starting from graphics state g.
func (w *glyphWalker) stream(strm, res pdf.Value, g pdfGState, depth int) {
	defer func() {
		if p := recover(); p != nil && w.err == nil {
			w.err = fmt.Errorf("%v", p)
		}
	}()
	var stack []pdfGState
	show := func(s string) {
		if g.font == nil {
			return
		}
		enc := g.font.Encoder()
		if enc == nil {
			return
		}
		n := 0
		f := g.font.BaseFont()
		if i := strings.Index(f, "+"); i >= 0 {
			f = f[i+1:]
		}
		for _, ch := range enc.Decode(s) {
			var w0 float64
			if n < len(s) {
				w0 = g.font.Width(int(s[n]))
			}
			n++
			trm := pdfMatrix{{g.Tfs * g.Th, 0, 0}, {0, g.Tfs, 0}, {0, g.Trise, 1}}.mul(g.Tm).mul(g.CTM)
			w.text = append(w.text, pdf.Text{Font: f, FontSize: trm[0][0], X: trm[2][0], Y: trm[2][1], W: w0 / 1000 * trm[0][0], S: string(ch)})
			tx := (w0/1000*g.Tfs + g.Tc) * g.Th
			g.Tm = pdfMatrix{{1, 0, 0}, {0, 1, 0}, {tx, 0, 1}}.mul(g.Tm)
		}
	}
	num := func(args []pdf.Value, n int, op string) {
		if len(args) != n {
			panic("bad " + op + " operator")
		}
	}
	// nextLine is T*: the start of the next line, one leading down.
	nextLine := func() {
		g.Tlm = pdfMatrix{{1, 0, 0}, {0, 1, 0}, {0, -g.Tl, 1}}.mul(g.Tlm)
		g.Tm = g.Tlm
	}
	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		args := make([]pdf.Value, stk.Len())
		for i := len(args) - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		switch op {
		case "cm":
			num(args, 6, op)
			g.CTM = matrixOf(args).mul(g.CTM)
		case "q":
			stack = append(stack, g)
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
			num(args, 1, op)
			g.Tc = args[0].Float64()
		case "TD", "Td":
			num(args, 2, op)
			if op == "TD" {
				g.Tl = -args[1].Float64()
			}
			g.Tlm = pdfMatrix{{1, 0, 0}, {0, 1, 0}, {args[0].Float64(), args[1].Float64(), 1}}.mul(g.Tlm)
			g.Tm = g.Tlm
		case "Tf":
			num(args, 2, op)
			g.font = w.font(res, args[0].Name())
			g.Tfs = args[1].Float64()
		case "\"", "'", "Tj":
			if op == "\"" {
				num(args, 3, op)
				g.Tw, g.Tc = args[0].Float64(), args[1].Float64()
				args = args[2:]
			}
			num(args, 1, op)
			if op != "Tj" {
				nextLine()
			}
			show(args[0].RawString())
		case "TJ":
			num(args, 1, op)
			v := args[0]
			for i := 0; i < v.Len(); i++ {
				x := v.Index(i)
				if x.Kind() == pdf.String {
					show(x.RawString())
				} else {
					tx := -x.Float64() / 1000 * g.Tfs * g.Th
					g.Tm = pdfMatrix{{1, 0, 0}, {0, 1, 0}, {tx, 0, 1}}.mul(g.Tm)
				}
			}
		case "TL":
			num(args, 1, op)
			g.Tl = args[0].Float64()
		case "Tm":
			num(args, 6, op)
			m := matrixOf(args)
			g.Tm, g.Tlm = m, m
		case "Ts":
			num(args, 1, op)
			g.Trise = args[0].Float64()
		case "Tw":
			num(args, 1, op)
			g.Tw = args[0].Float64()
		case "Tz":
			num(args, 1, op)
			g.Th = args[0].Float64() / 100
		case "Do":
			num(args, 1, op)
			xo := res.Key("XObject").Key(args[0].Name())
			if depth >= maxFormDepth || xo.Kind() != pdf.Stream || xo.Key("Subtype").Name() != "Form" {
				return
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
	})
}

// matrixOf reads the six operands of cm or Tm as a matrix.
func matrixOf(args []pdf.Value) pdfMatrix {
	var m pdfMatrix
	for i := range 6 {
		m[i/2][i%2] = args[i].Float64()
	}
	m[2][2] = 1
	return m
}
