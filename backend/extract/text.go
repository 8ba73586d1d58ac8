package extract

import (
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// readDecoded reads the file (at most MaxTextBytes*2 bytes: legacy
// encodings can grow on decoding) and decodes it to UTF-8.
func (x *extraction) readDecoded(declared string) (string, error) {
	limit := int64(x.opts.MaxTextBytes) * 2
	if _, err := x.f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(x.f, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > limit {
		b = b[:limit]
		x.doc.Meta.Truncated = true
	}
	if declared == "" {
		declared = declaredCharset(b)
	}
	s, enc := decodeText(b, declared)
	x.doc.Meta.Encoding = enc
	if looksGarbled(s) {
		return "", failf(ErrUnsupported, "binary content, not text (%s)", x.doc.MIME)
	}
	return s, nil
}

// looksGarbled reports text that is mostly replacement or control
// characters: a binary file that got past sniffing.
func looksGarbled(s string) bool {
	var bad, total int
	for i, r := range s {
		if i > 1<<16 {
			break
		}
		total++
		if r == utf8.RuneError || (r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f') {
			bad++
		}
	}
	return total > 0 && bad*10 > total
}

func readText(x *extraction) error {
	s, err := x.readDecoded("")
	if err != nil {
		return err
	}
	return x.addParagraphs(s, KindParagraph, 0, nil)
}

// addParagraphs splits text on blank lines and adds each paragraph.
func (x *extraction) addParagraphs(s string, kind Kind, page int, headings []string) error {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for p := range splitParagraphs(s) {
		if err := x.add(Block{Kind: kind, Text: p, Page: page, Headings: headings}); err != nil {
			return err
		}
	}
	return nil
}

// splitParagraphs yields the blank-line separated parts of s.
func splitParagraphs(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		start := 0
		for start < len(s) {
			i := strings.Index(s[start:], "\n\n")
			if i < 0 {
				yield(s[start:])
				return
			}
			p := s[start : start+i]
			start += i + 2
			for start < len(s) && (s[start] == '\n' || s[start] == '\r') {
				start++
			}
			if strings.TrimSpace(p) == "" {
				continue
			}
			if !yield(p) {
				return
			}
		}
	}
}

var (
	atxHeading   = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextLine   = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	fenceOpening = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
)

// readMarkdown keeps the heading structure: every block carries the path
// of headings above it. Fenced code is kept as code blocks and never read
// as headings.
func readMarkdown(x *extraction) error {
	s, err := x.readDecoded("utf-8")
	if err != nil {
		return err
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	type level struct {
		n    int
		text string
	}
	var stack []level
	path := func() []string {
		p := make([]string, len(stack))
		for i, l := range stack {
			p[i] = l.text
		}
		return p
	}
	var para []string
	var fence string
	var code []string
	flush := func() error {
		if len(para) == 0 {
			return nil
		}
		t := strings.Join(para, "\n")
		para = para[:0]
		return x.add(Block{Kind: KindParagraph, Text: t, Headings: path()})
	}
	heading := func(n int, text string) error {
		text = strings.TrimSpace(text)
		for len(stack) > 0 && stack[len(stack)-1].n >= n {
			stack = stack[:len(stack)-1]
		}
		if text == "" {
			return nil
		}
		stack = append(stack, level{n, text})
		if x.doc.Title == "" && n == 1 {
			x.doc.Title = text
		}
		return x.add(Block{Kind: KindHeading, Text: text, Headings: path()})
	}
	for line := range strings.SplitSeq(s, "\n") {
		if fence != "" {
			if strings.HasPrefix(strings.TrimLeft(line, " "), fence) && strings.Trim(strings.TrimSpace(line), fence[:1]) == "" {
				fence = ""
				if err := x.add(Block{Kind: KindCode, Text: strings.Join(code, "\n"), Headings: path()}); err != nil {
					return err
				}
				code = code[:0]
				continue
			}
			code = append(code, line)
			continue
		}
		if m := fenceOpening.FindStringSubmatch(line); m != nil {
			if err := flush(); err != nil {
				return err
			}
			fence = m[1]
			continue
		}
		if m := atxHeading.FindStringSubmatch(line); m != nil {
			if err := flush(); err != nil {
				return err
			}
			if err := heading(len(m[1]), m[2]); err != nil {
				return err
			}
			continue
		}
		if m := setextLine.FindStringSubmatch(line); m != nil && len(para) == 1 {
			n := 1
			if m[1][0] == '-' {
				n = 2
			}
			t := para[0]
			para = para[:0]
			if err := heading(n, t); err != nil {
				return err
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		para = append(para, line)
	}
	if fence != "" && len(code) > 0 {
		if err := x.add(Block{Kind: KindCode, Text: strings.Join(code, "\n"), Headings: path()}); err != nil {
			return err
		}
	}
	return flush()
}

// readXML keeps the character data of an XML document, one block per
// element with text; markup escaped inside text (RSS/Atom bodies) is
// converted as HTML. Malformed XML keeps what was read before the error,
// or falls back to plain text.
func readXML(x *extraction) error {
	s, err := x.readDecoded("")
	if err != nil {
		return err
	}
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	// Already decoded to UTF-8: ignore the declared encoding.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var sb strings.Builder
	n := 0
	emit := func() error {
		t := strings.TrimSpace(sb.String())
		sb.Reset()
		if t == "" {
			return nil
		}
		n++
		if strings.Contains(t, "<") && strings.Contains(t, ">") {
			return x.addHTMLFragment(t)
		}
		return x.add(Block{Kind: KindParagraph, Text: t})
	}
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) || n > 0 {
				break
			}
			return x.addParagraphs(s, KindParagraph, 0, nil)
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.StartElement, xml.EndElement:
			if err := emit(); err != nil {
				return err
			}
		}
	}
	return emit()
}
