package extract

import (
	"encoding/xml"
	"errors"
	"sort"
	"strconv"
	"strings"
)

// readDOCX reads the body (paragraphs, headings, tables as rows), then
// footnotes, endnotes and comments, then distinct headers and footers.
func readDOCX(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	x.metaPart(p, "docProps/core.xml")
	levels := docxHeadingStyles(p)
	main := "word/document.xml"
	if err := x.docxPart(p, main, KindParagraph, levels); err != nil {
		if errors.Is(err, errMissingPart) {
			return failf(ErrCorrupt, "word package without word/document.xml")
		}
		return err
	}
	for _, part := range []struct {
		name string
		kind Kind
	}{{"word/footnotes.xml", KindFootnote}, {"word/endnotes.xml", KindFootnote}, {"word/comments.xml", KindFootnote}} {
		if p.has(part.name) {
			if err := x.docxPart(p, part.name, part.kind, levels); err != nil && !errors.Is(err, errMissingPart) {
				return err
			}
		}
	}
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
		if err := sub.docxPart(p, name, KindHeader, levels); err != nil {
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

// docxPart streams one WordprocessingML part.
func (x *extraction) docxPart(p *pkg, name string, kind Kind, levels map[string]int) error {
	var (
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
			return x.add(Block{Kind: KindHeading, Text: t, Headings: path()})
		}
		return x.add(Block{Kind: kind, Text: t, Headings: path()})
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
				para.WriteByte('\n')
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
						return x.add(Block{Kind: KindTableRow, Text: strings.Join(nonEmpty, " | "), Headings: path()})
					}
				}
			}
		case xml.CharData:
			if inText && skipDepth == 0 {
				para.Write(t)
			}
		}
		return nil
	})
}
