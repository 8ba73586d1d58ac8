package extract

import (
	"bytes"
	"encoding/xml"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// readDOCX reads the body (paragraphs, headings, tables as rows), then
// footnotes, endnotes and comments, then distinct headers and footers.
//
// Word has no fixed pages, but when it saves it records where its last
// layout broke them (<w:lastRenderedPageBreak/>), next to the explicit
// breaks (<w:br w:type="page"/>, pageBreakBefore): body blocks get the
// page their text starts on, notes and comments the page of their
// reference. A document without any such marker (never laid out by
// Word) keeps Page 0: its pagination is unknown.
func readDOCX(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	return x.readDOCXPackage(p)
}

// readDOCXPackage is readDOCX on an opened package.
func (x *extraction) readDOCXPackage(p *pkg) error {
	x.metaPart(p, "docProps/core.xml")
	levels := docxHeadingStyles(p)
	main := "word/document.xml"
	pg := &docxPaging{page: 1, notes: make(map[string]int)}
	first := len(x.doc.Blocks)
	if err := x.docxPart(p, main, KindParagraph, levels, pg); err != nil && !errors.Is(err, errFull) {
		if errors.Is(err, errMissingPart) {
			return failf(ErrCorrupt, "word package without word/document.xml")
		}
		return err
	} else if err != nil {
		pg.finish(x, first)
		return err
	}
	for _, part := range []struct {
		name string
		kind Kind
	}{{"word/footnotes.xml", KindFootnote}, {"word/endnotes.xml", KindFootnote}, {"word/comments.xml", KindFootnote}} {
		if p.has(part.name) {
			if err := x.docxPart(p, part.name, part.kind, levels, pg); err != nil && !errors.Is(err, errMissingPart) {
				pg.finish(x, first)
				return err
			}
		}
	}
	pg.finish(x, first)
	var hf []string
	for name := range p.files {
		if strings.HasPrefix(name, "word/header") || strings.HasPrefix(name, "word/footer") {
			if strings.HasSuffix(name, ".xml") {
				hf = append(hf, name)
			}
		}
	}
	sort.Strings(hf)
	seen := map[string]bool{}
	for _, name := range hf {
		var texts []string
		sub := &extraction{ctx: x.ctx, opts: x.opts, doc: &Document{}}
		if err := sub.docxPart(p, name, KindHeader, levels, nil); err != nil {
			continue
		}
		for _, b := range sub.doc.Blocks {
			texts = append(texts, b.Text)
		}
		t := strings.Join(texts, "\n")
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		if err := x.add(Block{Kind: KindHeader, Text: t}); err != nil {
			return err
		}
	}
	return nil
}

// docxHeadingStyles maps paragraph style ids to heading levels, from the
// style names ("heading 1", "Title") or their outline level.
func docxHeadingStyles(p *pkg) map[string]int {
	levels := map[string]int{"Title": 1}
	for i := 1; i <= 9; i++ {
		levels["Heading"+strconv.Itoa(i)] = i
	}
	if !p.has("word/styles.xml") {
		return levels
	}
	var id string
	_ = p.walkXML("word/styles.xml", func(tok xml.Token) error {
		se, ok := tok.(xml.StartElement)
		if !ok {
			return nil
		}
		switch se.Name.Local {
		case "style":
			id = attr(se, "styleId")
		case "name":
			n := strings.ToLower(attr(se, "val"))
			if n == "title" {
				levels[id] = 1
			} else if rest, ok := strings.CutPrefix(n, "heading "); ok {
				if l, err := strconv.Atoi(rest); err == nil {
					levels[id] = l
				}
			}
		case "outlineLvl":
			if l, err := strconv.Atoi(attr(se, "val")); err == nil && l < 9 && id != "" {
				levels[id] = l + 1
			}
		}
		return nil
	})
	return levels
}

// docxPaging follows page breaks through document.xml.
type docxPaging struct {
	page   int  // current page, 1-based
	marked bool // the document has page-break markers
	// explicit is set by an explicit break until the next text: Word
	// records the rendered break that follows it at the same place, and
	// that is the same page.
	explicit bool
	notes    map[string]int // "footnote 3", "comment 7", ... → page of the reference
	notePage int            // page of the note being read (notes parts)
}

func (pg *docxPaging) renderedBreak() {
	pg.marked = true
	if !pg.explicit {
		pg.page++
	}
	pg.explicit = false
}

func (pg *docxPaging) explicitBreak() {
	pg.marked = true
	pg.page++
	pg.explicit = true
}

// finish sets the page count, or clears the pages of the blocks from
// first on when the document has no markers.
func (pg *docxPaging) finish(x *extraction, first int) {
	if pg.marked {
		x.doc.Meta.Pages = pg.page
		return
	}
	for i := first; i < len(x.doc.Blocks); i++ {
		x.doc.Blocks[i].Page = 0
	}
}

// docxOn reads an OOXML on/off property (absent val means on).
func docxOn(e xml.StartElement) bool {
	switch attr(e, "val") {
	case "0", "false", "off":
		return false
	}
	return true
}

// docxPart streams one WordprocessingML part. pg, nil for headers and
// footers, tracks pages (document.xml) or gives notes the page of their
// reference.
func (x *extraction) docxPart(p *pkg, name string, kind Kind, levels map[string]int, pg *docxPaging) error {
	var (
		paraPage int // page the current paragraph's text starts on
		rowPage  int // page the current table row's text starts on
		para     strings.Builder
		inText   bool
		style    string
		outline  = -1
		headings []struct {
			n int
			t string
		}
		rowDepth  int // >0 inside a table row
		cells     []string
		cell      strings.Builder
		tcDepth   int
		skipDepth int // inside deleted runs, field instructions etc.
	)
	path := func() []string {
		if len(headings) == 0 {
			return nil
		}
		out := make([]string, len(headings))
		for i, h := range headings {
			out[i] = h.t
		}
		return out
	}
	endPara := func() error {
		t := strings.TrimSpace(para.String())
		para.Reset()
		page := paraPage
		paraPage = 0
		lvl := levels[style]
		if outline >= 0 && outline < 9 {
			lvl = outline + 1
		}
		style, outline = "", -1
		if t == "" {
			return nil
		}
		if rowDepth > 0 {
			if cell.Len() > 0 {
				cell.WriteByte(' ')
			}
			cell.WriteString(t)
			if rowPage == 0 {
				rowPage = page
			}
			return nil
		}
		if lvl > 0 && kind == KindParagraph {
			for len(headings) > 0 && headings[len(headings)-1].n >= lvl {
				headings = headings[:len(headings)-1]
			}
			headings = append(headings, struct {
				n int
				t string
			}{lvl, t})
			return x.add(Block{Kind: KindHeading, Text: t, Page: page, Headings: path()})
		}
		return x.add(Block{Kind: kind, Text: t, Page: page, Headings: path()})
	}
	body := pg != nil && kind == KindParagraph
	// splitPara ends the text of a body paragraph at a page break, so that
	// no block spans two pages (as with PDF pages); headings and table
	// cells stay whole.
	splitPara := func() error {
		t := strings.TrimSpace(para.String())
		lvl := levels[style]
		if outline >= 0 && outline < 9 {
			lvl = outline + 1
		}
		if t == "" || rowDepth > 0 || lvl > 0 {
			return nil
		}
		para.Reset()
		page := paraPage
		paraPage = 0
		return x.add(Block{Kind: kind, Text: t, Page: page, Headings: path()})
	}
	// textStarts notes the page where paragraph text begins.
	textStarts := func() {
		if pg == nil {
			return
		}
		if body {
			pg.explicit = false
			if paraPage == 0 {
				paraPage = pg.page
			}
		} else if paraPage == 0 {
			paraPage = pg.notePage
		}
	}
	return p.walkXML(name, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if skipDepth > 0 {
				skipDepth++
				return nil
			}
			switch t.Name.Local {
			case "del", "instrText", "delText", "footnoteRef", "endnoteRef", "annotationRef":
				skipDepth = 1
			case "t":
				inText = true
			case "tab":
				para.WriteByte('\t')
			case "br", "cr":
				if body && t.Name.Local == "br" && attr(t, "type") == "page" {
					if err := splitPara(); err != nil {
						return err
					}
					pg.explicitBreak()
				}
				para.WriteByte('\n')
			case "lastRenderedPageBreak":
				if body {
					if err := splitPara(); err != nil {
						return err
					}
					pg.renderedBreak()
				}
			case "pageBreakBefore":
				if body && docxOn(t) {
					pg.explicitBreak()
				}
			case "footnoteReference", "endnoteReference", "commentReference", "commentRangeStart":
				if body {
					key := strings.TrimSuffix(strings.TrimSuffix(t.Name.Local, "Reference"), "RangeStart") + " " + attr(t, "id")
					if _, ok := pg.notes[key]; !ok {
						pg.notes[key] = pg.page
					}
				}
			case "footnote", "endnote", "comment":
				if pg != nil && !body {
					pg.notePage = pg.notes[t.Name.Local+" "+attr(t, "id")]
				}
			case "noBreakHyphen":
				para.WriteByte('-')
			case "pStyle":
				style = attr(t, "val")
			case "outlineLvl":
				if l, err := strconv.Atoi(attr(t, "val")); err == nil {
					outline = l
				}
			case "tr":
				rowDepth++
				if rowDepth == 1 {
					cells = cells[:0]
					rowPage = 0
				}
			case "tc":
				tcDepth++
				if rowDepth == 1 && tcDepth == 1 {
					cell.Reset()
				}
			}
		case xml.EndElement:
			if skipDepth > 0 {
				skipDepth--
				return nil
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				return endPara()
			case "tc":
				tcDepth--
				if rowDepth == 1 && tcDepth == 0 {
					cells = append(cells, strings.TrimSpace(cell.String()))
					cell.Reset()
				}
			case "tr":
				rowDepth--
				if rowDepth == 0 {
					var nonEmpty []string
					for _, c := range cells {
						if c != "" {
							nonEmpty = append(nonEmpty, c)
						}
					}
					if len(nonEmpty) > 0 {
						return x.add(Block{Kind: KindTableRow, Text: strings.Join(nonEmpty, " | "), Page: rowPage, Headings: path()})
					}
				}
			}
		case xml.CharData:
			if inText && skipDepth == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					textStarts()
				}
				para.Write(t)
			}
		}
		return nil
	})
}
