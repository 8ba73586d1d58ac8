package extract

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxMember bounds the decompressed size of one archive member, so that a
// zip bomb fails instead of filling memory.
const maxMember = 512 << 20

// pkg is a zip-based document package (OOXML, ODF, EPUB).
type pkg struct {
	zr    *zip.Reader
	files map[string]*zip.File
}

func (x *extraction) openZip() (*pkg, error) {
	zr, err := zip.NewReader(x.f, x.size)
	if err != nil {
		return nil, fail(ErrCorrupt, "not a valid zip package: "+err.Error(), err)
	}
	return newPkg(zr), nil
}

func newPkg(zr *zip.Reader) *pkg {
	p := &pkg{zr: zr, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		p.files[strings.TrimPrefix(f.Name, "/")] = f
	}
	return p
}

func (p *pkg) has(name string) bool { _, ok := p.files[name]; return ok }

// open opens a member; the reader fails once maxMember bytes were read.
func (p *pkg) open(name string) (io.ReadCloser, error) {
	f, ok := p.files[strings.TrimPrefix(name, "/")]
	if !ok {
		return nil, fmt.Errorf("open %s: %w", name, errMissingPart)
	}
	if f.UncompressedSize64 > maxMember {
		return nil, failf(ErrTooLarge, "package part %s is %d bytes uncompressed", name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fail(ErrCorrupt, fmt.Sprintf("open package part %s: %v", name, err), err)
	}
	return struct {
		io.Reader
		io.Closer
	}{&limitedReader{r: rc, n: maxMember}, rc}, nil
}

var errMissingPart = errors.New("missing package part")

type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, failf(ErrTooLarge, "package part decompresses to more than %d bytes", maxMember)
	}
	if int64(len(b)) > l.n {
		b = b[:l.n]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	return n, err
}

// xmlDecoder returns a lenient decoder for a package part.
func xmlDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		enc, _ := lookupCharset(label)
		if enc == nil {
			return r, nil
		}
		return enc.NewDecoder().Reader(r), nil
	}
	return d
}

// walkXML streams the tokens of a package part to fn. A syntax error
// after some content is tolerated (the part was read as far as it goes);
// errors returned by fn stop the walk.
func (p *pkg) walkXML(name string, fn func(tok xml.Token) error) error {
	rc, err := p.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	return walkTokens(xmlDecoder(rc), name, fn)
}

// walkTokens calls fn for each token of a package part's XML; a syntax
// error is the part's corruption, named.
func walkTokens(d *xml.Decoder, name string, fn func(tok xml.Token) error) error {
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return fail(ErrCorrupt, fmt.Sprintf("malformed XML in %s: %v", name, err), err)
			}
			return err
		}
		if err := fn(tok); err != nil {
			return err
		}
	}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// attrNS is attr restricted to a namespace URI suffix ("relationships").
func attrNS(e xml.StartElement, nsSuffix, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && strings.HasSuffix(a.Name.Space, nsSuffix) {
			return a.Value
		}
	}
	return ""
}

// rels reads an OOXML relationships part: id → target resolved against
// the directory of the source part.
func (p *pkg) rels(source string) map[string]string {
	dir, file := path.Split(source)
	relsName := dir + "_rels/" + file + ".rels"
	out := map[string]string{}
	_ = p.walkXML(relsName, func(tok xml.Token) error {
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" {
			if attr(se, "TargetMode") == "External" {
				return nil
			}
			t := attr(se, "Target")
			if strings.HasPrefix(t, "/") {
				t = strings.TrimPrefix(t, "/")
			} else {
				t = path.Join(dir, t)
			}
			out[attr(se, "Id")] = t
		}
		return nil
	})
	return out
}

// metaPart reads the metadata part name of a package (OOXML
// docProps/core.xml, ODF meta.xml) into the document: each element's text
// goes to setMeta under the element's name.
func (x *extraction) metaPart(p *pkg, name string) {
	if !p.has(name) {
		return
	}
	var cur string
	_ = p.walkXML(name, func(tok xml.Token) error {
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
		case xml.EndElement:
			cur = ""
		case xml.CharData:
			if v := strings.TrimSpace(string(t)); v != "" {
				x.setMeta(cur, v)
			}
		}
		return nil
	})
}

// setMeta stores a Dublin Core / OOXML / ODF metadata value.
func (x *extraction) setMeta(field, v string) {
	switch field {
	case "title":
		if x.doc.Title == "" {
			x.doc.Title = v
		}
	case "creator", "initial-creator":
		if x.doc.Meta.Author == "" {
			x.doc.Meta.Author = v
		}
	case "subject", "description":
		if x.doc.Meta.Subject == "" {
			x.doc.Meta.Subject = v
		}
	case "created", "creation-date":
		x.doc.Meta.Created = parseTime(v)
	case "modified", "date":
		x.doc.Meta.Modified = parseTime(v)
	}
}

func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// sortedParts lists members matching prefix+N+suffix in numeric order.
func (p *pkg) sortedParts(prefix, suffix string) []string {
	type part struct {
		name string
		n    int
	}
	var parts []part
	for name := range p.files {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, suffix) {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix))
			if err == nil {
				parts = append(parts, part{name, n})
			}
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.name
	}
	return out
}
