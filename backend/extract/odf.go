package extract

import (
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
)

func readODT(x *extraction) error { return x.readODF("odt") }
func readODS(x *extraction) error { return x.readODF("ods") }
func readODP(x *extraction) error { return x.readODF("odp") }

// readODF reads OpenDocument text, spreadsheets and presentations from
// content.xml: headings with their outline level, paragraphs, table rows,
// sheets (heading = sheet name, Page = sheet number) and slides (Page =
// slide number). Notes and annotations become footnote blocks.
func (x *extraction) readODF(kind string) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	x.metaPart(p, "meta.xml")
	var (
		paras    []*strings.Builder // nested paragraphs (notes inside text)
		headLvl  []int              // outline level per open paragraph, 0 = body
		headings []struct {
			n int
			t string
		}
		inRow     int
		rowCells  []string
		cell      strings.Builder
		inCell    int
		repeat    int
		skip      int // note citations, annotations' metadata
		tableName string
		sheet     int
		slide     int
		rows      int
		cells     int
		noteDepth int
		full      bool
	)
	path := func() []string {
		var out []string
		if kind == "ods" && tableName != "" {
			out = append(out, tableName)
		}
		for _, h := range headings {
			out = append(out, h.t)
		}
		return out
	}
	page := func() int {
		switch kind {
		case "ods":
			return sheet
		case "odp":
			return slide
		}
		return 0
	}
	err = p.walkXML("content.xml", func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				return nil
			}
			switch t.Name.Local {
			case "note-citation", "creator", "date", "tracked-changes", "bookmark-ref":
				skip = 1
			case "note", "annotation":
				noteDepth++
			case "h", "p":
				paras = append(paras, &strings.Builder{})
				lvl := 0
				if t.Name.Local == "h" {
					lvl = 1
					if l, err := strconv.Atoi(attr(t, "outline-level")); err == nil && l > 0 {
						lvl = l
					}
				}
				headLvl = append(headLvl, lvl)
			case "tab":
				if n := len(paras); n > 0 {
					paras[n-1].WriteByte('\t')
				}
			case "s":
				if n := len(paras); n > 0 {
					c, _ := strconv.Atoi(attr(t, "c"))
					paras[n-1].WriteString(strings.Repeat(" ", min(max(c, 1), 64)))
				}
			case "line-break":
				if n := len(paras); n > 0 {
					paras[n-1].WriteByte('\n')
				}
			case "table":
				if kind == "ods" {
					sheet++
					tableName = attr(t, "name")
					rows = 0
				}
			case "page":
				slide++
			case "table-row":
				inRow++
				if inRow == 1 {
					rowCells = rowCells[:0]
				}
			case "table-cell", "covered-table-cell":
				inCell++
				if inCell == 1 {
					cell.Reset()
					repeat, _ = strconv.Atoi(attr(t, "number-columns-repeated"))
				}
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				return nil
			}
			switch t.Name.Local {
			case "note", "annotation":
				noteDepth--
			case "h", "p":
				n := len(paras)
				if n == 0 {
					return nil
				}
				text := strings.TrimSpace(paras[n-1].String())
				lvl := headLvl[n-1]
				paras, headLvl = paras[:n-1], headLvl[:n-1]
				if text == "" {
					return nil
				}
				if inCell > 0 && noteDepth == 0 {
					if cell.Len() > 0 {
						cell.WriteByte(' ')
					}
					cell.WriteString(text)
					return nil
				}
				if noteDepth > 0 {
					return x.add(Block{Kind: KindFootnote, Text: text, Page: page(), Headings: path()})
				}
				if lvl > 0 {
					for len(headings) > 0 && headings[len(headings)-1].n >= lvl {
						headings = headings[:len(headings)-1]
					}
					headings = append(headings, struct {
						n int
						t string
					}{lvl, text})
					return x.add(Block{Kind: KindHeading, Text: text, Page: page(), Headings: path()})
				}
				k := KindParagraph
				if kind == "odp" {
					k = KindSlide
				}
				return x.add(Block{Kind: k, Text: text, Page: page(), Headings: path()})
			case "table-cell", "covered-table-cell":
				inCell--
				if inCell == 0 {
					if c := strings.TrimSpace(cell.String()); c != "" {
						// Repeated columns matter only for non-empty
						// cells; cap them so a styled sheet cannot explode.
						for range min(max(repeat, 1), 16) {
							rowCells = append(rowCells, c)
						}
					}
				}
			case "table-row":
				inRow--
				if inRow > 0 || len(rowCells) == 0 {
					return nil
				}
				if full {
					return nil
				}
				rows++
				cells += len(rowCells)
				if rows > x.opts.MaxSheetRows || cells > x.opts.MaxSheetCells {
					full = true
					x.doc.Meta.Truncated = true
					return nil
				}
				k := KindTableRow
				if kind == "ods" {
					k = KindSheetRow
				}
				return x.add(Block{Kind: k, Text: strings.Join(rowCells, " | "), Page: page(), Headings: path()})
			}
		case xml.CharData:
			if skip > 0 {
				return nil
			}
			if n := len(paras); n > 0 {
				paras[n-1].Write(t)
			}
		}
		return nil
	})
	if errors.Is(err, errMissingPart) {
		return failf(ErrCorrupt, "OpenDocument package without content.xml")
	}
	switch kind {
	case "ods":
		x.doc.Meta.Pages = sheet
	case "odp":
		x.doc.Meta.Pages = slide
	}
	return err
}
