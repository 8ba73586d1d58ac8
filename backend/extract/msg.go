package extract

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// readMSG reads an Outlook .msg (OLE compound file): subject, sender,
// recipients, plain-text body and attachment file names, from the MAPI
// property streams. RTF-only and HTML-only bodies are not decoded.
func readMSG(x *extraction) (err error) {
	doc, err := mscfb.New(x.f)
	if err != nil {
		return fail(ErrCorrupt, "malformed Outlook message: "+err.Error(), err)
	}
	props := map[string]string{}
	var attachments []string
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		name := e.Name
		if !strings.HasPrefix(name, "__substg1.0_") || len(name) < 20 {
			continue
		}
		tag := name[12:16]
		typ := name[16:20]
		if typ != "001F" && typ != "001E" {
			continue
		}
		b, rerr := io.ReadAll(io.LimitReader(e, int64(x.opts.MaxTextBytes)))
		if rerr != nil {
			continue
		}
		var v string
		if typ == "001F" {
			v = utf16le(b)
		} else {
			v, _ = decodeText(b, "windows-1252")
		}
		v = strings.TrimRight(v, "\x00")
		inAttach := len(e.Path) > 0 && strings.HasPrefix(e.Path[len(e.Path)-1], "__attach_version1.0_")
		switch {
		case inAttach && (tag == "3707" || (tag == "3704" && v != "")):
			if tag == "3707" || len(attachments) == 0 {
				attachments = append(attachments, v)
			}
		case inAttach, len(e.Path) > 0 && strings.HasPrefix(e.Path[len(e.Path)-1], "__nameid"):
		case len(e.Path) == 0 || !strings.HasPrefix(e.Path[len(e.Path)-1], "__recip"):
			if _, ok := props[tag]; !ok {
				props[tag] = v
			}
		}
	}
	x.doc.Title = props["0037"]
	x.doc.Meta.Subject = props["0037"]
	x.doc.Meta.From = firstNonEmpty(props["0C1A"], props["0065"], props["5D01"])
	x.doc.Meta.To = props["0E04"]
	x.doc.Meta.Cc = props["0E03"]
	x.doc.Meta.Attachments = attachments
	var hb strings.Builder
	for _, kv := range [][2]string{{"From", x.doc.Meta.From}, {"To", x.doc.Meta.To}, {"Cc", x.doc.Meta.Cc}, {"Subject", x.doc.Title}} {
		if kv[1] != "" {
			fmt.Fprintf(&hb, "%s: %s\n", kv[0], kv[1])
		}
	}
	if len(attachments) > 0 {
		fmt.Fprintf(&hb, "Attachments: %s\n", strings.Join(attachments, ", "))
	}
	var heads []string
	if x.doc.Title != "" {
		heads = []string{x.doc.Title}
	}
	if err := x.add(Block{Kind: KindHeader, Text: hb.String(), Headings: heads}); err != nil {
		return err
	}
	return x.addParagraphs(props["1000"], KindParagraph, 0, heads)
}

func utf16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
