package extract

import (
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
)

// readXLSX yields one block per non-empty row, "cell | cell | ...", with
// the sheet name as heading and the sheet number as Page. Rows per sheet
// and cells per workbook are capped (Options.MaxSheetRows/MaxSheetCells).
func readXLSX(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	return x.readXLSXPackage(p)
}

// readXLSXPackage is readXLSX on an opened package.
func (x *extraction) readXLSXPackage(p *pkg) error {
	x.metaPart(p, "docProps/core.xml")
	shared, err := xlsxSharedStrings(p, x.opts.MaxSheetCells)
	if err != nil {
		return err
	}
	rels := p.rels("xl/workbook.xml")
	type sheet struct{ name, part string }
	var sheets []sheet
	_ = p.walkXML("xl/workbook.xml", func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "sheet" {
			if t, ok := rels[attrNS(se, "relationships", "id")]; ok {
				sheets = append(sheets, sheet{attr(se, "name"), t})
			}
		}
		return nil
	})
	if len(sheets) == 0 {
		for i, name := range p.sortedParts("xl/worksheets/sheet", ".xml") {
			sheets = append(sheets, sheet{"Sheet" + strconv.Itoa(i+1), name})
		}
	}
	x.doc.Meta.Pages = len(sheets)
	cells := 0
	for i, sh := range sheets {
		if !p.has(sh.part) {
			continue
		}
		if err := x.xlsxSheet(p, sh.part, sh.name, i+1, shared, &cells); err != nil {
			return err
		}
	}
	return nil
}

var errSheetFull = errors.New("sheet cap reached")

func (x *extraction) xlsxSheet(p *pkg, part, name string, num int, shared []string, cells *int) error {
	var (
		row       []string
		rows      int
		cellType  string
		inV, inT  bool
		val       strings.Builder
		heads     = []string{name}
		truncated bool
	)
	err := p.walkXML(part, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				row = row[:0]
			case "c":
				cellType = attr(t, "t")
				val.Reset()
			case "v":
				inV = true
			case "t":
				inT = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "t":
				inT = false
			case "c":
				v := strings.TrimSpace(val.String())
				if cellType == "s" {
					if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < len(shared) {
						v = shared[i]
					}
				} else if cellType == "b" {
					v = map[string]string{"0": "FALSE", "1": "TRUE"}[v]
				}
				if v = strings.TrimSpace(v); v != "" {
					row = append(row, v)
				}
			case "row":
				if len(row) == 0 {
					return nil
				}
				rows++
				*cells += len(row)
				if rows > x.opts.MaxSheetRows || *cells > x.opts.MaxSheetCells {
					truncated = true
					return errSheetFull
				}
				return x.add(Block{Kind: KindSheetRow, Text: strings.Join(row, " | "), Page: num, Headings: heads})
			}
		case xml.CharData:
			if inV || inT {
				val.Write(t)
			}
		}
		return nil
	})
	if truncated {
		x.doc.Meta.Truncated = true
		return nil
	}
	return err
}

// xlsxSharedStrings reads the shared string table, at most max entries.
func xlsxSharedStrings(p *pkg, max int) ([]string, error) {
	if !p.has("xl/sharedStrings.xml") {
		return nil, nil
	}
	var (
		out []string
		cur strings.Builder
		inT bool
		inR int // inside phonetic runs, which repeat the text
	)
	err := p.walkXML("xl/sharedStrings.xml", func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				inR++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				out = append(out, cur.String())
				if len(out) >= max {
					return errSheetFull
				}
			case "t":
				inT = false
			case "rPh":
				inR--
			}
		case xml.CharData:
			if inT && inR == 0 {
				cur.Write(t)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errSheetFull) {
		return nil, err
	}
	return out, nil
}
