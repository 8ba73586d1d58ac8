package extract

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
)

// readXPS reads an XPS or OpenXPS document: the FixedDocumentSequence
// lists FixedDocuments, each lists its FixedPages in order, and page text
// is in the UnicodeString of <Glyphs> elements. Each FixedPage becomes
// one page block (Page = its 1-based position in the sequence).
func readXPS(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	seq, oxps := xpsSequence(p)
	if oxps {
		x.doc.MIME = "application/oxps"
	}
	if seq == "" {
		return failf(ErrCorrupt, "XPS without a FixedDocumentSequence part")
	}
	x.metaPart(p, "docProps/core.xml")
	var pages []string
	docs, err := xpsRefs(p, seq, "DocumentReference")
	if err != nil {
		return err
	}
	for _, d := range docs {
		ps, err := xpsRefs(p, d, "PageContent")
		if err != nil {
			return err
		}
		pages = append(pages, ps...)
	}
	if len(pages) == 0 {
		return failf(ErrEmpty, "XPS document with no pages")
	}
	x.doc.Meta.Pages = len(pages)
	var bad int
	var lastErr error
	for i, pg := range pages {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		text, err := xpsPageText(p, pg)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return err
			}
			bad++
			lastErr = err
			x.opts.Logger.Debug("xps page unreadable", "path", x.path, "page", pg, "err", err)
			continue
		}
		if err := x.add(Block{Kind: KindPage, Text: text, Page: i + 1}); err != nil {
			return err
		}
	}
	if len(x.doc.Blocks) == 0 && bad == len(pages) {
		return fail(ErrCorrupt, fmt.Sprintf("malformed XPS: no page could be read (%v)", lastErr), lastErr)
	}
	if len(x.doc.Blocks) == 0 {
		return failf(ErrNoText, "no text in %d XPS page(s) (pictures or outlined text only?)", len(pages))
	}
	return nil
}

// xpsSequence finds the FixedDocumentSequence through the package's
// fixedrepresentation relationship, else by extension; oxps reports the
// OpenXPS (ECMA-388) namespace.
func xpsSequence(p *pkg) (seq string, oxps bool) {
	_ = p.walkXMLDecoded("_rels/.rels", func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" && seq == "" {
			if typ := attr(se, "Type"); strings.HasSuffix(typ, "/fixedrepresentation") {
				seq = strings.TrimPrefix(attr(se, "Target"), "/")
				oxps = strings.Contains(typ, "openxps")
			}
		}
		return nil
	})
	if seq != "" && p.has(seq) {
		return seq, oxps
	}
	seq = ""
	for name := range p.files {
		if strings.HasSuffix(strings.ToLower(name), ".fdseq") && (seq == "" || name < seq) {
			seq = name
		}
	}
	return seq, oxps
}

// xpsRefs lists the Source attributes of the named elements of a part,
// resolved against the part's folder.
func xpsRefs(p *pkg, part, elem string) ([]string, error) {
	dir := path.Dir(part)
	var out []string
	err := p.walkXMLDecoded(part, func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == elem {
			if src := attr(se, "Source"); src != "" {
				out = append(out, resolvePart(dir, src))
			}
		}
		return nil
	})
	if err != nil && len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// resolvePart resolves a part reference: absolute from the package root,
// or relative to dir; a fragment (#...) is dropped.
func resolvePart(dir, ref string) string {
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	if strings.HasPrefix(ref, "/") {
		return strings.TrimPrefix(path.Clean(ref), "/")
	}
	return strings.TrimPrefix(path.Join(dir, ref), "/")
}

// xpsGlyphs is one <Glyphs> run with what line layout needs.
type xpsGlyphs struct {
	text     string
	x, y, em float64
	width    float64 // estimated advance of the run
}

// xpsPageText joins the Glyphs runs of a FixedPage in document order:
// runs on one baseline are joined, with a space where there is a gap
// (printers often emit one run per word or even per character), and a
// new baseline starts a new line.
func xpsPageText(p *pkg, part string) (string, error) {
	var runs []xpsGlyphs
	err := p.walkXMLDecoded(part, func(tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Glyphs" {
			return nil
		}
		s := attr(se, "UnicodeString")
		// "{}" escapes a string that itself starts with "{".
		s = strings.TrimPrefix(s, "{}")
		if strings.TrimSpace(s) == "" {
			return nil
		}
		g := xpsGlyphs{text: s, x: attrFloat(se, "OriginX"), y: attrFloat(se, "OriginY"), em: attrFloat(se, "FontRenderingEmSize")}
		if g.em <= 0 {
			g.em = 12
		}
		g.width = glyphsWidth(s, attr(se, "Indices"), g.em)
		runs = append(runs, g)
		return nil
	})
	if err != nil && len(runs) == 0 {
		return "", err
	}
	var sb strings.Builder
	for i, g := range runs {
		if i > 0 {
			prev := runs[i-1]
			switch {
			case math.Abs(g.y-prev.y) > 0.5*math.Min(g.em, prev.em):
				sb.WriteByte('\n')
			case strings.HasSuffix(prev.text, " ") || strings.HasPrefix(g.text, " "):
			case g.x-(prev.x+prev.width) > 0.15*g.em || g.x < prev.x:
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(g.text)
	}
	return sb.String(), nil
}

// glyphsWidth estimates the advance of a Glyphs run: the advance widths
// of the Indices attribute ("index,advance;...", in hundredths of the em
// size) where given, half an em per character otherwise.
func glyphsWidth(s, indices string, em float64) float64 {
	n := len([]rune(s))
	if indices == "" {
		return float64(n) * em * 0.5
	}
	var w float64
	parts := strings.Split(indices, ";")
	for _, part := range parts {
		fields := strings.Split(part, ",")
		if len(fields) > 1 {
			if adv, err := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64); err == nil {
				w += adv * em / 100
				continue
			}
		}
		w += em * 0.5
	}
	if extra := n - len(parts); extra > 0 {
		w += float64(extra) * em * 0.5
	}
	return w
}

func attrFloat(e xml.StartElement, local string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(attr(e, local)), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// walkXMLDecoded is walkXML for parts that may be UTF-16 or UTF-32 (XPS
// writes FixedPages in UTF-16), which encoding/xml cannot read itself:
// the part is decoded to UTF-8 first.
func (p *pkg) walkXMLDecoded(name string, fn func(tok xml.Token) error) error {
	rc, err := p.open(name)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	s, _ := decodeText(b, "")
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return walkTokens(d, name, fn)
}
