package extract

import (
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"
)

// readEPUB reads the chapters in spine order; each chapter's blocks carry
// its 1-based position in the spine as Page.
func readEPUB(x *extraction) error {
	p, err := x.openZip()
	if err != nil {
		return err
	}
	opf := ""
	_ = p.walkXML("META-INF/container.xml", func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rootfile" && opf == "" {
			opf = attr(se, "full-path")
		}
		return nil
	})
	if opf == "" {
		for name := range p.files {
			if strings.HasSuffix(name, ".opf") {
				opf = name
				break
			}
		}
	}
	if opf == "" || !p.has(opf) {
		return failf(ErrCorrupt, "EPUB without a package document (.opf)")
	}
	dir := path.Dir(opf)
	manifest := map[string]string{}
	var spine []string
	var cur string
	err = p.walkXML(opf, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
			switch t.Name.Local {
			case "item":
				manifest[attr(t, "id")] = path.Join(dir, attr(t, "href"))
			case "itemref":
				spine = append(spine, attr(t, "idref"))
			}
		case xml.EndElement:
			cur = ""
		case xml.CharData:
			if v := strings.TrimSpace(string(t)); v != "" {
				x.setMeta(cur, v)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	x.doc.Meta.Pages = len(spine)
	for i, id := range spine {
		name, ok := manifest[id]
		if !ok || !p.has(name) {
			continue
		}
		rc, err := p.open(name)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(rc, int64(x.opts.MaxTextBytes)*2))
		rc.Close()
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return err
			}
			return fail(ErrCorrupt, "read chapter "+name+": "+err.Error(), err)
		}
		s, _ := decodeText(b, declaredCharset(b))
		title := x.doc.Title
		if err := x.addHTML(s, i+1); err != nil {
			return err
		}
		x.doc.Title = title
	}
	return nil
}
