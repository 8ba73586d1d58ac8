package extract

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// readEML reads one RFC 822 message (also MHTML archives): a header block
// (From, To, Cc, Date, Subject, attachment names), then the body, preferring
// text/plain over HTML converted to text. Attachments are named, not read.
func readEML(x *extraction) error {
	b, err := x.readAll()
	if err != nil {
		return err
	}
	return x.addMessage(b, 0, true)
}

// readMbox reads every message of an mbox file; blocks of message N have
// Page N.
func readMbox(x *extraction) error {
	b, err := x.readAll()
	if err != nil {
		return err
	}
	msgs := splitMbox(b)
	x.doc.Meta.Pages = len(msgs)
	for i, m := range msgs {
		if err := x.addMessage(m, i+1, i == 0); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Kind == ErrCorrupt {
				// One broken message does not spoil the mailbox.
				x.opts.Logger.Debug("skip malformed mbox message", "path", x.path, "index", i+1, "err", err)
				continue
			}
			return err
		}
	}
	return nil
}

// splitMbox splits on "From " separator lines at the start of the file or
// after a newline.
func splitMbox(b []byte) [][]byte {
	var out [][]byte
	start := -1
	pos := 0
	for pos < len(b) {
		if bytes.HasPrefix(b[pos:], []byte("From ")) && (pos == 0 || b[pos-1] == '\n') {
			if start >= 0 {
				out = append(out, b[start:pos])
			}
			nl := bytes.IndexByte(b[pos:], '\n')
			if nl < 0 {
				return out
			}
			start = pos + nl + 1
			pos = start
			continue
		}
		nl := bytes.IndexByte(b[pos:], '\n')
		if nl < 0 {
			break
		}
		pos += nl + 1
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	if len(out) == 0 && len(b) > 0 {
		out = append(out, b)
	}
	return out
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(label string, r io.Reader) (io.Reader, error) {
	enc, _ := lookupCharset(label)
	if enc == nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return enc.NewDecoder().Reader(r), nil
}}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		s = d
	}
	return strings.Join(strings.Fields(s), " ")
}

type mailBody struct {
	plain       []string
	html        []string
	attachments []string
}

func (x *extraction) addMessage(raw []byte, page int, setMeta bool) error {
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return fail(ErrCorrupt, "malformed e-mail message: "+err.Error(), err)
	}
	h := msg.Header
	subject := decodeHeader(h.Get("Subject"))
	var body mailBody
	x.walkPart(textproto(h), msg.Body, &body, 0)

	var hb strings.Builder
	for _, k := range []string{"From", "To", "Cc", "Date", "Subject"} {
		if v := decodeHeader(h.Get(k)); v != "" {
			fmt.Fprintf(&hb, "%s: %s\n", k, v)
		}
	}
	if len(body.attachments) > 0 {
		fmt.Fprintf(&hb, "Attachments: %s\n", strings.Join(body.attachments, ", "))
	}
	if setMeta {
		x.doc.Title = subject
		x.doc.Meta.From = decodeHeader(h.Get("From"))
		x.doc.Meta.To = decodeHeader(h.Get("To"))
		x.doc.Meta.Cc = decodeHeader(h.Get("Cc"))
		x.doc.Meta.Date = h.Get("Date")
		x.doc.Meta.Subject = subject
		if t, err := h.Date(); err == nil {
			x.doc.Meta.Created = t
		}
	}
	if page > 0 || !setMeta {
		x.doc.Meta.Attachments = append(x.doc.Meta.Attachments, body.attachments...)
	} else {
		x.doc.Meta.Attachments = body.attachments
	}
	var heads []string
	if subject != "" {
		heads = []string{subject}
	}
	if err := x.add(Block{Kind: KindHeader, Text: hb.String(), Page: page, Headings: heads}); err != nil {
		return err
	}
	if len(body.plain) > 0 {
		for _, p := range body.plain {
			if err := x.addParagraphs(p, KindParagraph, page, heads); err != nil {
				return err
			}
		}
		return nil
	}
	title := x.doc.Title
	for _, p := range body.html {
		if err := x.addHTML(p, page); err != nil {
			return err
		}
	}
	x.doc.Title = title
	return nil
}

type textproto = mail.Header

// mimePart is what a MIME entity's headers say it is.
type mimePart struct {
	mediaType   string // "text/plain" when missing or malformed
	params      map[string]string
	disposition string
	name        string // its file name, decoded; "" if none
}

func parsePart(h mail.Header) mimePart {
	ctype := h.Get("Content-Type")
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := decodeHeader(dparams["filename"])
	if name == "" {
		name = decodeHeader(params["name"])
	}
	return mimePart{mediaType: mt, params: params, disposition: disp, name: name}
}

// walkPart collects the text parts and attachment names of a MIME entity.
func (x *extraction) walkPart(h textproto, r io.Reader, body *mailBody, depth int) {
	if depth > 20 {
		return
	}
	pt := parsePart(h)
	mt, params, disp, name := pt.mediaType, pt.params, pt.disposition, pt.name
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			x.walkPart(textproto(p.Header), p, body, depth+1)
		}
	}
	if disp == "attachment" || (name != "" && !strings.HasPrefix(mt, "text/")) {
		if name == "" {
			name = "(unnamed " + mt + ")"
		}
		body.attachments = append(body.attachments, name)
		return
	}
	data, err := io.ReadAll(io.LimitReader(decodeTransfer(h.Get("Content-Transfer-Encoding"), r), int64(x.opts.MaxTextBytes)))
	if err != nil && len(data) == 0 {
		return
	}
	switch mt {
	case "text/plain":
		s, _ := decodeText(data, params["charset"])
		body.plain = append(body.plain, s)
	case "text/html":
		cs := params["charset"]
		if cs == "" {
			cs = declaredCharset(data)
		}
		s, _ := decodeText(data, cs)
		body.html = append(body.html, s)
	case "message/rfc822":
		if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
			body.attachments = append(body.attachments, "message: "+decodeHeader(m.Header.Get("Subject")))
		}
	default:
		if name != "" {
			body.attachments = append(body.attachments, name)
		}
	}
}

func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Cleaner drops line breaks and other bytes outside the base64
// alphabet, which mail bodies are full of.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
