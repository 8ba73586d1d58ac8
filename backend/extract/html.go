package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func readHTMLFile(x *extraction) error {
	s, err := x.readDecoded("")
	if err != nil {
		return err
	}
	return x.addHTML(s, 0)
}

// addHTMLFragment adds HTML found inside another format (feed bodies).
func (x *extraction) addHTMLFragment(s string) error { return x.addHTML(s, 0) }

// addHTML adds the main content of an HTML document: <main> or the
// largest <article> when present, else <body>, without navigation, page
// headers and footers, scripts, styles and forms. Headings become the
// heading path; table rows become one block each.
func (x *extraction) addHTML(s string, page int) error {
	root, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return x.addParagraphs(s, KindParagraph, page, nil)
	}
	if x.doc.Title == "" {
		if t := findFirst(root, atom.Title); t != nil {
			x.doc.Title = collapseSpace(textContent(t))
		}
	}
	content := mainContent(root)
	w := &htmlWalker{x: x, page: page}
	w.walk(content, false)
	if err := w.flush(); err != nil {
		return err
	}
	return w.err
}

func findFirst(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findFirst(c, a); f != nil {
			return f
		}
	}
	return nil
}

func findAll(n *html.Node, a atom.Atom, out []*html.Node) []*html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = findAll(c, a, out)
	}
	return out
}

func mainContent(root *html.Node) *html.Node {
	if m := findFirst(root, atom.Main); m != nil && len(strings.TrimSpace(textContent(m))) > 0 {
		return m
	}
	var best *html.Node
	bestLen := 0
	for _, a := range findAll(root, atom.Article, nil) {
		if l := len(textContent(a)); l > bestLen {
			best, bestLen = a, l
		}
	}
	if best != nil {
		body := findFirst(root, atom.Body)
		// Only when the article holds most of the page's text: index
		// pages list many short articles.
		if body == nil || bestLen*2 >= len(textContent(body)) {
			return best
		}
	}
	if b := findFirst(root, atom.Body); b != nil {
		return b
	}
	return root
}

// skipped reports elements that are not document content.
func skipped(n *html.Node, inMain bool) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Nav,
		atom.Aside, atom.Form, atom.Button, atom.Select, atom.Iframe, atom.Svg, atom.Object, atom.Canvas:
		return true
	case atom.Header, atom.Footer:
		return !inMain
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if a.Val == "true" {
				return true
			}
		case "role":
			if a.Val == "navigation" || a.Val == "banner" || a.Val == "contentinfo" {
				return true
			}
		case "style":
			v := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(v, "display:none") {
				return true
			}
		}
	}
	return false
}

func isBlockElement(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Li, atom.Ul, atom.Ol,
		atom.Dl, atom.Dt, atom.Dd, atom.Blockquote, atom.Pre, atom.Table, atom.Tr,
		atom.Figure, atom.Figcaption, atom.Address, atom.Hr, atom.Center, atom.Body,
		atom.Caption, atom.Details, atom.Summary, atom.Header, atom.Footer:
		return true
	}
	return false
}

func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

type htmlWalker struct {
	x     *extraction
	page  int
	buf   strings.Builder
	stack []struct {
		n    int
		text string
	}
	err error
}

func (w *htmlWalker) path() []string {
	if len(w.stack) == 0 {
		return nil
	}
	p := make([]string, len(w.stack))
	for i, h := range w.stack {
		p[i] = h.text
	}
	return p
}

func (w *htmlWalker) flush() error {
	t := strings.TrimSpace(w.buf.String())
	w.buf.Reset()
	if t == "" || w.err != nil {
		return w.err
	}
	w.err = w.x.add(Block{Kind: KindParagraph, Text: t, Page: w.page, Headings: w.path()})
	return w.err
}

func (w *htmlWalker) emit(b Block) {
	if w.err == nil {
		w.err = w.x.add(b)
	}
}

func (w *htmlWalker) walk(n *html.Node, pre bool) {
	if w.err != nil {
		return
	}
	switch n.Type {
	case html.TextNode:
		if pre {
			w.buf.WriteString(n.Data)
		} else {
			writeCollapsed(&w.buf, n.Data)
		}
		return
	case html.ElementNode:
		if skipped(n, true) {
			return
		}
		if lvl := headingLevel(n.DataAtom); lvl > 0 {
			w.flush()
			t := collapseSpace(textContent(n))
			for len(w.stack) > 0 && w.stack[len(w.stack)-1].n >= lvl {
				w.stack = w.stack[:len(w.stack)-1]
			}
			if t != "" {
				w.stack = append(w.stack, struct {
					n    int
					text string
				}{lvl, t})
				w.emit(Block{Kind: KindHeading, Text: t, Page: w.page, Headings: w.path()})
			}
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.buf.WriteByte('\n')
			return
		case atom.Tr:
			w.flush()
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
					if t := collapseSpace(textContent(c)); t != "" {
						cells = append(cells, t)
					}
				}
			}
			if len(cells) > 0 {
				w.emit(Block{Kind: KindTableRow, Text: strings.Join(cells, " | "), Page: w.page, Headings: w.path()})
			}
			return
		case atom.Img:
			return
		case atom.Pre:
			pre = true
		}
	}
	block := n.Type == html.ElementNode && isBlockElement(n.DataAtom)
	if block {
		w.flush()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, pre)
	}
	if block {
		w.flush()
	} else if n.Type == html.ElementNode && (n.DataAtom == atom.Td || n.DataAtom == atom.Th) {
		w.buf.WriteByte(' ')
	}
}

// textContent is the text under n, without script/style/hidden parts.
func textContent(n *html.Node) string {
	var sb strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			sb.WriteString(n.Data)
			return
		case html.ElementNode:
			if skipped(n, true) {
				return
			}
			if n.DataAtom == atom.Br || isBlockElement(n.DataAtom) {
				sb.WriteByte(' ')
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return sb.String()
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// writeCollapsed writes s with whitespace runs folded to single spaces,
// as a browser renders it.
func writeCollapsed(sb *strings.Builder, s string) {
	space := sb.Len() > 0 && endsInSpace(sb)
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			if !space {
				sb.WriteByte(' ')
				space = true
			}
		default:
			sb.WriteRune(r)
			space = false
		}
	}
}

func endsInSpace(sb *strings.Builder) bool {
	s := sb.String()
	return s[len(s)-1] == ' ' || s[len(s)-1] == '\n'
}
