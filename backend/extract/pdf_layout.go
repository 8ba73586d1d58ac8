package extract

import (
	"bytes"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Page text is rebuilt from positioned glyphs in drawing order: a line
// break where the baseline moves (or the writing direction changes, or
// the text jumps back), a space where the gap after a glyph's advance is
// wider than a fraction of the font size (PDFs often draw no space
// characters at all, and TJ kerning moves glyphs by small amounts).
// Before that, glyphs outside the page and the copies drawn over
// themselves for fake bold are dropped, and spacing accents drawn over
// a letter are combined with it; after it, words hyphenated across a
// line end are joined.

const (
	// wordGap is the gap after a glyph, in ems, that separates words.
	wordGap = 0.15
	// lineShift is the baseline move, in ems, that starts a new line.
	lineShift = 0.6
	// backJump is how far, in ems, text may move back before it counts
	// as a new line (overprinting and tight kerning move back less).
	backJump = 0.5
)

// pdfBox is a page's visible area in default user space.
type pdfBox struct {
	llx, lly, urx, ury float64
	ok                 bool
}

func (b pdfBox) outside(g *pdfGlyph) bool {
	if !b.ok {
		return false
	}
	m := g.size
	minX, maxX := math.Min(g.x, g.ex)-m, math.Max(g.x, g.ex)+m
	minY, maxY := math.Min(g.y, g.ey)-m, math.Max(g.y, g.ey)+m
	return maxX < b.llx || minX > b.urx || maxY < b.lly || minY > b.ury
}

// spacingAccents maps spacing diacritics to their combining forms.
var spacingAccents = map[string]string{
	"`": "\u0300", "´": "\u0301", "ˆ": "\u0302", "˜": "\u0303", "¯": "\u0304",
	"˘": "\u0306", "˙": "\u0307", "¨": "\u0308", "˚": "\u030a", "˝": "\u030b",
	"ˇ": "\u030c", "¸": "\u0327", "˛": "\u0328",
}

type dupKey struct {
	s    string
	x, y int32
}

// dupCell is the grid, in points, of the duplicate-glyph index.
const dupCell = 2.0

// layoutGlyphs turns a page's glyphs into text.
func layoutGlyphs(gs []pdfGlyph, box pdfBox) string {
	kept := make([]pdfGlyph, 0, len(gs))
	seen := make(map[dupKey][]int32)
	for i := range gs {
		g := &gs[i]
		if box.outside(g) || math.IsNaN(g.x) || math.IsNaN(g.y) || math.IsInf(g.x, 0) || math.IsInf(g.y, 0) {
			continue
		}
		if g.s != " " {
			qx, qy := int32(math.Floor(g.x/dupCell)), int32(math.Floor(g.y/dupCell))
			if isDuplicate(seen, kept, g, qx, qy) {
				continue
			}
			k := dupKey{g.s, qx, qy}
			seen[k] = append(seen[k], int32(len(kept)))
		}
		kept = append(kept, *g)
	}
	kept = combineAccents(kept)
	return assembleLines(kept)
}

// isDuplicate reports whether the same text was already drawn at
// (almost) the same place: a fake bold or shadow copy.
func isDuplicate(seen map[dupKey][]int32, kept []pdfGlyph, g *pdfGlyph, qx, qy int32) bool {
	tol := math.Min(0.1*g.size, dupCell)
	for dx := int32(-1); dx <= 1; dx++ {
		for dy := int32(-1); dy <= 1; dy++ {
			for _, j := range seen[dupKey{g.s, qx + dx, qy + dy}] {
				o := &kept[j]
				if math.Abs(o.x-g.x) <= tol && math.Abs(o.y-g.y) <= tol && o.dx*g.dx+o.dy*g.dy > 0.99 {
					return true
				}
			}
		}
	}
	return false
}

// combineAccents attaches a spacing accent drawn over the glyph next to
// it (before or after, in drawing order) to that glyph as a combining
// mark: TeX draws "ï" as "¨" and "ı" in the same place.
func combineAccents(gs []pdfGlyph) []pdfGlyph {
	out := gs[:0]
	var pending string // accent waiting for the next glyph
	for i := 0; i < len(gs); i++ {
		g := gs[i]
		mark, isAccent := spacingAccents[g.s]
		if isAccent {
			if n := len(out); n > 0 && over(&g, &out[n-1]) && isLetterText(out[n-1].s) {
				out[n-1].s = composeMark(out[n-1].s, mark)
				continue
			}
			if i+1 < len(gs) && over(&g, &gs[i+1]) && isLetterText(gs[i+1].s) {
				pending = mark
				continue
			}
		}
		if pending != "" {
			g.s = composeMark(g.s, pending)
			pending = ""
		}
		out = append(out, g)
	}
	return out
}

// over reports whether accent a sits over (or under) glyph b: its middle
// within b's advance and its baseline within an em of b's.
func over(a, b *pdfGlyph) bool {
	if a.dx*b.dx+a.dy*b.dy < 0.95 {
		return false
	}
	mx, my := (a.x+a.ex)/2, (a.y+a.ey)/2
	vx, vy := mx-b.x, my-b.y
	along := vx*b.dx + vy*b.dy
	perp := vy*b.dx - vx*b.dy
	l := math.Hypot(b.ex-b.x, b.ey-b.y)
	em := math.Max(b.size, a.size)
	return along >= -0.1*em && along <= l+0.1*em && math.Abs(perp) < em
}

func isLetterText(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

// composeMark adds a combining mark to s and composes: dotless i and j
// take the dot back where a mark above replaces it.
func composeMark(s, mark string) string {
	if mark < "\u0315" { // marks above
		s = strings.NewReplacer("ı", "i", "ȷ", "j").Replace(s)
	}
	return norm.NFC.String(s + mark)
}

// assembleLines joins glyphs into lines and words.
func assembleLines(gs []pdfGlyph) string {
	var b []byte
	var prev *pdfGlyph
	line := 0          // where the current line starts in b
	rtlVisual := false // right-to-left text drawn left to right
	endLine := func() {
		if rtlVisual {
			b = append(b[:line], visualToLogical(string(b[line:]))...)
		}
		rtlVisual = false
	}
	for i := range gs {
		t := &gs[i]
		if prev != nil {
			fs := math.Max(math.Max(prev.size, t.size), 0.5)
			vx, vy := t.x-prev.ex, t.y-prev.ey
			along := vx*prev.dx + vy*prev.dy
			perp := vy*prev.dx - vx*prev.dy
			sameDir := prev.dx*t.dx+prev.dy*t.dy > 0.95
			rtl := isRTLText(prev.s) || isRTLText(t.s)
			if rtl && along < -backJump*fs && sameDir && math.Abs(perp) <= lineShift*fs {
				// Right-to-left text in logical order: t stands left of
				// prev; measure the gap from t's end to prev's start.
				back := (prev.x-t.ex)*prev.dx + (prev.y-t.ey)*prev.dy
				if back > -backJump*fs {
					if back > wordGap*fs {
						b = appendSpace(b)
					}
					along = 0
				}
			} else if rtl && along >= 0 && sameDir && isRTLText(prev.s) && isRTLText(t.s) {
				rtlVisual = true
			}
			switch {
			case !sameDir || math.Abs(perp) > lineShift*fs || along < -backJump*fs:
				b = bytes.TrimRight(b, " ")
				if j, ok := dehyphenate(b, t.s); ok && perp < 0 && !rtlVisual {
					b = b[:j]
				} else {
					endLine()
					b = append(b, '\n')
					line = len(b)
				}
			case along > wordGap*fs:
				b = appendSpace(b)
			}
		}
		if strings.TrimSpace(t.s) == "" {
			b = appendSpace(b)
		} else {
			b = append(b, t.s...)
		}
		prev = t
	}
	endLine()
	return string(b)
}

func appendSpace(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] != ' ' && b[n-1] != '\n' {
		b = append(b, ' ')
	}
	return b
}

// dehyphenate finds a word split across lines ("inter-" / "preter"): b
// ends in a letter and a hyphen and the next line starts with a
// lower-case letter, or the hyphen is a soft one. It returns where the
// hyphen starts.
func dehyphenate(b []byte, next string) (int, bool) {
	h, hn := utf8.DecodeLastRune(b)
	if h != '-' && h != '\u2010' && h != '\u00ad' {
		return 0, false
	}
	before, _ := utf8.DecodeLastRune(b[:len(b)-hn])
	if !unicode.IsLetter(before) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(next)
	if h != '\u00ad' && !unicode.IsLower(r) {
		return 0, false
	}
	return len(b) - hn, true
}

func isRTL(r rune) bool {
	return r >= 0x0590 && r <= 0x08ff || r >= 0xfb1d && r <= 0xfdff || r >= 0xfe70 && r <= 0xfefc
}

func isRTLText(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isRTL(r)
}

// mirrored swaps brackets, which a right-to-left run draws mirrored.
var mirrored = strings.NewReplacer("(", ")", ")", "(", "[", "]", "]", "[", "{", "}", "}", "{", "<", ">", ">", "<", "«", "»", "»", "«")

// visualToLogical reorders a line drawn left to right that holds
// right-to-left script into reading order: the characters of each
// right-to-left run are reversed (keeping combining marks after their
// letter) and, when right-to-left letters dominate, so is the order of
// the runs. Digits and Latin letters keep their order.
func visualToLogical(line string) string {
	type run struct {
		rtl   bool
		parts []string // grapheme-ish clusters: a character and its marks
	}
	var runs []run
	var nR, nL int
	kind := func(r rune) int { // 1: right-to-left, -1: left-to-right, 0: neutral
		switch {
		case isRTL(r):
			return 1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return -1
		}
		return 0
	}
	var clusters []string
	var kinds []int
	for _, r := range line {
		if unicode.Is(unicode.Mn, r) && len(clusters) > 0 {
			clusters[len(clusters)-1] += string(r)
			continue
		}
		clusters = append(clusters, string(r))
		k := kind(r)
		kinds = append(kinds, k)
		if k > 0 {
			nR++
		} else if unicode.IsLetter(r) { // digits do not set the direction
			nL++
		}
	}
	base := 1
	if nL > nR {
		base = -1
	}
	// Neutrals take the direction of their neighbours when both agree,
	// else the line's.
	for i := range kinds {
		if kinds[i] != 0 {
			continue
		}
		before, after := base, base
		for j := i - 1; j >= 0; j-- {
			if kinds[j] != 0 {
				before = kinds[j]
				break
			}
		}
		for j := i + 1; j < len(kinds); j++ {
			if kinds[j] != 0 {
				after = kinds[j]
				break
			}
		}
		if before == after {
			kinds[i] = 2 * before // resolved, marked apart from strong types
		} else {
			kinds[i] = 2 * base
		}
	}
	for i, c := range clusters {
		rtl := kinds[i] > 0
		if len(runs) == 0 || runs[len(runs)-1].rtl != rtl {
			runs = append(runs, run{rtl: rtl})
		}
		runs[len(runs)-1].parts = append(runs[len(runs)-1].parts, c)
	}
	if base > 0 {
		for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
			runs[i], runs[j] = runs[j], runs[i]
		}
	}
	var sb strings.Builder
	for _, r := range runs {
		if !r.rtl {
			for _, p := range r.parts {
				sb.WriteString(p)
			}
			continue
		}
		for i := len(r.parts) - 1; i >= 0; i-- {
			sb.WriteString(mirrored.Replace(r.parts[i]))
		}
	}
	return sb.String()
}
