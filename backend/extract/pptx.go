package extract

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// readPPTX yields one block per slide (Page = slide number, heading =
// slide title) and one per slide's speaker notes.
func readPPTX(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	return x.readPPTXPackage(p)
}

// readPPTXPackage is readPPTX on an opened package.
func (x *extraction) readPPTXPackage(p *pkg) error {
	x.metaPart(p, "docProps/core.xml")
	slides := pptxSlideOrder(p)
	x.doc.Meta.Pages = len(slides)
	if len(slides) == 0 {
		return failf(ErrEmpty, "presentation has no slides")
	}
	for i, name := range slides {
		num := i + 1
		title, body, err := pptxText(p, name)
		if err != nil {
			return err
		}
		var heads []string
		if title != "" {
			heads = []string{title}
		}
		if err := x.add(Block{Kind: KindSlide, Text: body, Page: num, Headings: heads}); err != nil {
			return err
		}
		for _, target := range p.rels(name) {
			if strings.Contains(target, "notesSlide") {
				_, notes, err := pptxText(p, target)
				if err == nil {
					if err := x.add(Block{Kind: KindNotes, Text: notes, Page: num, Headings: heads}); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// pptxSlideOrder lists slide parts in presentation order, falling back to
// numeric file order when the relationships are missing.
func pptxSlideOrder(p *pkg) []string {
	rels := p.rels("ppt/presentation.xml")
	var out []string
	_ = p.walkXML("ppt/presentation.xml", func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sldId" {
			if t, ok := rels[attrNS(se, "relationships", "id")]; ok && p.has(t) {
				out = append(out, t)
			}
		}
		return nil
	})
	if len(out) == 0 {
		out = p.sortedParts("ppt/slides/slide", ".xml")
	}
	return out
}

// pptxText returns the title placeholder text and all text of a slide or
// notes part, paragraphs on their own lines, table cells joined by " | ".
// Slide-number and date placeholders are left out.
func pptxText(p *pkg, name string) (title, body string, err error) {
	var (
		sb        strings.Builder
		para      strings.Builder
		inT       bool
		phType    string
		inTitle   bool
		titleText strings.Builder
		spDepth   int
		skipShape bool
		rowCells  []string
		inRow     bool
		cell      strings.Builder
		inCell    bool
	)
	err = p.walkXML(name, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "sp":
				spDepth++
				phType, inTitle, skipShape = "", false, false
			case "ph":
				phType = attr(t, "type")
				inTitle = phType == "title" || phType == "ctrTitle"
				skipShape = phType == "sldNum" || phType == "dt" || phType == "sldImg"
			case "t":
				inT = true
			case "br":
				para.WriteByte('\n')
			case "tr":
				inRow, rowCells = true, rowCells[:0]
			case "tc":
				inCell = true
				cell.Reset()
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "sp":
				spDepth--
				inTitle, skipShape = false, false
			case "t":
				inT = false
			case "p":
				line := strings.TrimSpace(para.String())
				para.Reset()
				if line == "" || skipShape {
					return nil
				}
				if inCell {
					if cell.Len() > 0 {
						cell.WriteByte(' ')
					}
					cell.WriteString(line)
					return nil
				}
				if inTitle {
					if titleText.Len() > 0 {
						titleText.WriteByte(' ')
					}
					titleText.WriteString(line)
				}
				sb.WriteString(line)
				sb.WriteByte('\n')
			case "tc":
				inCell = false
				if c := strings.TrimSpace(cell.String()); c != "" {
					rowCells = append(rowCells, c)
				}
			case "tr":
				inRow = false
				if len(rowCells) > 0 {
					sb.WriteString(strings.Join(rowCells, " | "))
					sb.WriteByte('\n')
				}
			}
		case xml.CharData:
			if inT {
				para.Write(t)
			}
		}
		return nil
	})
	_ = inRow
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", name, err)
	}
	return strings.TrimSpace(titleText.String()), sb.String(), nil
}
