package extract

import (
	"fmt"
	"strings"
	"testing"
)

const docxContentTypes = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`

// buildDOCX writes a minimal Word package with body as the content of
// w:body and the given extra parts.
func buildDOCX(t *testing.T, body string, parts map[string]string) string {
	t.Helper()
	members := map[string][]byte{
		"[Content_Types].xml": []byte(docxContentTypes),
		"word/document.xml": []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
			`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
			body + `</w:body></w:document>`),
	}
	order := []string{"[Content_Types].xml", "word/document.xml"}
	for name, xml := range parts {
		members[name] = []byte(xml)
		order = append(order, name)
	}
	return buildZip(t, "p.docx", members, order...)
}

func wp(inner string) string { return "<w:p>" + inner + "</w:p>" }
func wr(inner string) string { return "<w:r>" + inner + "</w:r>" }
func wt(s string) string     { return "<w:t>" + s + "</w:t>" }

const (
	rendered = "<w:lastRenderedPageBreak/>"
	explicit = `<w:br w:type="page"/>`
)

func TestDOCXPages(t *testing.T) {
	notes := `<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
		`<w:footnote w:id="2"><w:p><w:r><w:t>the note</w:t></w:r></w:p></w:footnote></w:footnotes>`
	header := `<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>running head</w:t></w:r></w:p></w:hdr>`
	body := wp(wr(wt("one"))) +
		// A rendered break inside a paragraph splits it.
		wp(wr(wt("end of one")+rendered+wt("start of two"))) +
		// Word records an explicit break twice: the break and the
		// rendered break at the top of the next page.
		wp(wr(wt("two")+explicit)) + wp(wr(rendered+wt("three"))) +
		// Two explicit breaks leave page four blank.
		wp(wr(explicit+explicit)) + wp(wr(rendered+wt("five")+`<w:footnoteReference w:id="2"/>`)) +
		`<w:tbl><w:tr><w:tc>` + wp(wr(wt("cell"))) + `</w:tc></w:tr></w:tbl>` +
		`<w:p><w:pPr><w:pageBreakBefore/></w:pPr>` + wr(rendered+wt("six")) + `</w:p>` +
		`<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>` + wr(wt("Heading")+rendered+wt("spans")) + `</w:p>`
	doc, err := Extract(t.Context(), buildDOCX(t, body, map[string]string{"word/footnotes.xml": notes, "word/header1.xml": header}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range doc.Blocks {
		got = append(got, fmt.Sprintf("%d:%s", b.Page, b.Text))
	}
	want := []string{"1:one", "1:end of one", "2:start of two", "2:two", "3:three", "5:five", "5:cell", "6:six", "6:Headingspans", "5:the note", "0:running head"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("blocks\n%q\nwant\n%q", got, want)
	}
	if doc.Meta.Pages != 7 {
		t.Errorf("pages %d, want 7", doc.Meta.Pages)
	}
}

func TestDOCXWithoutPageMarkers(t *testing.T) {
	doc, err := Extract(t.Context(), buildDOCX(t, wp(wr(wt("alpha")))+wp(wr(wt("beta"))), nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range doc.Blocks {
		if b.Page != 0 {
			t.Errorf("block %q on page %d, want 0 (pagination unknown)", b.Text, b.Page)
		}
	}
	if doc.Meta.Pages != 0 {
		t.Errorf("pages %d, want 0", doc.Meta.Pages)
	}
}

// TestDOCXRenderedPages reads a Word-saved sample: "Page 6" of the
// sample's own text must land on page 6.
func TestDOCXRenderedPages(t *testing.T) {
	d := extractOK(t, "docx/python-docx__sct-first-page-hdrftr.docx")
	pages := map[string]int{}
	for _, b := range d.Blocks {
		pages[b.Text] = b.Page
	}
	for text, want := range map[string]int{
		"First page.": 1, "Second (even) page.": 2, "Third (odd) page.": 3,
		"Page 4, First Page of second section.": 4, "Page 6, Third page of section 2.": 6,
	} {
		if pages[text] != want {
			t.Errorf("%q on page %d, want %d", text, pages[text], want)
		}
	}
	if d.Meta.Pages != 6 {
		t.Errorf("pages %d, want 6", d.Meta.Pages)
	}
}
