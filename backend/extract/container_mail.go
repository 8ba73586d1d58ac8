package extract

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"sort"
	"strings"

	"github.com/richardlehane/mscfb"
)

// E-mail attachments are members: "message.eml › report.pdf"; in a
// mailbox, "box.mbox › message 3/report.pdf". An attached message is a
// member too ("Re: plans.eml"), whose own attachments nest under it.

func (u *unpacker) mail(f *os.File, isMbox bool) error {
	raw, err := io.ReadAll(io.LimitReader(f, u.lim.MaxMember+1))
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if int64(len(raw)) > u.lim.MaxMember {
		return failf(ErrTooLarge, "the e-mail is larger than %s: its attachments were not unpacked", sizeText(u.lim.MaxMember))
	}
	if !isMbox {
		return u.message(raw, "")
	}
	for i, m := range splitMbox(raw) {
		if err := u.message(m, fmt.Sprintf("message %d/", i+1)); err != nil {
			return err
		}
	}
	return nil
}

// message passes on the attachments of one message, their names prefixed.
func (u *unpacker) message(raw []byte, prefix string) error {
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		if prefix != "" {
			return nil // one broken message does not spoil the mailbox
		}
		return fail(ErrCorrupt, "malformed e-mail message: "+err.Error(), err)
	}
	return u.part(msg.Header, msg.Body, prefix, 0)
}

func (u *unpacker) part(h mail.Header, r io.Reader, prefix string, depth int) error {
	if depth > 20 {
		return nil
	}
	pt := parsePart(h)
	mt, name := pt.mediaType, pt.name
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, pt.params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return nil
			}
			if err := u.part(mail.Header(p.Header), p, prefix, depth+1); err != nil {
				return err
			}
		}
	}
	attached := mt == "message/rfc822" || pt.disposition == "attachment" || (name != "" && !strings.HasPrefix(mt, "text/"))
	if !attached {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(decodeTransfer(h.Get("Content-Transfer-Encoding"), r), u.lim.MaxMember+1))
	if err != nil && len(data) == 0 {
		return nil
	}
	if name == "" && mt == "message/rfc822" {
		name = "message"
		if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
			if s := decodeHeader(m.Header.Get("Subject")); s != "" {
				name = s
			}
		}
		name = strings.ReplaceAll(name, "/", "-") + ".eml"
	}
	if name == "" {
		if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
			name = "attachment" + exts[0]
		} else {
			name = "attachment"
		}
	}
	m := Member{Name: u.name(prefix + strings.ReplaceAll(name, "/", "-")), Size: int64(len(data))}
	return u.member(m, bytes.NewReader(data), nil)
}

// msg passes on the attachments of an Outlook message: files as they
// are, an attached Outlook message as an e-mail of its headers and text
// ("<subject>.eml"; what that message holds attached is not kept).
func (u *unpacker) msg(f *os.File) error {
	doc, err := mscfb.New(f)
	if err != nil {
		return fail(ErrCorrupt, "malformed Outlook message: "+err.Error(), err)
	}
	type attachment struct {
		long, short, display string
		data                 []byte
		tooLarge             bool
		embedded             map[string]string // an attached message's text properties
	}
	atts := map[string]*attachment{}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		if len(e.Path) == 0 || len(e.Path) > 2 || !strings.HasPrefix(e.Path[0], "__attach_version1.0_") || !strings.HasPrefix(e.Name, "__substg1.0_") || len(e.Name) < 20 {
			continue
		}
		inner := len(e.Path) == 2
		if inner && e.Path[1] != "__substg1.0_3701000D" {
			continue
		}
		a := atts[e.Path[0]]
		if a == nil {
			a = &attachment{}
			atts[e.Path[0]] = a
		}
		tag, typ := e.Name[12:16], e.Name[16:20]
		if inner {
			if typ == "001F" || typ == "001E" {
				b, rerr := io.ReadAll(io.LimitReader(e, u.lim.MaxMember))
				if rerr == nil {
					if a.embedded == nil {
						a.embedded = map[string]string{}
					}
					a.embedded[tag] = msgString(b, typ)
				}
			}
			continue
		}
		b, rerr := io.ReadAll(io.LimitReader(e, u.lim.MaxMember+1))
		if rerr != nil {
			continue
		}
		str := func() string { return msgString(b, typ) }
		switch {
		case tag == "3701" && typ == "0102":
			a.data, a.tooLarge = b, int64(len(b)) > u.lim.MaxMember
		case tag == "3707" && (typ == "001F" || typ == "001E"):
			a.long = str()
		case tag == "3704" && (typ == "001F" || typ == "001E"):
			a.short = str()
		case tag == "3001" && (typ == "001F" || typ == "001E"):
			a.display = str()
		}
	}
	keys := make([]string, 0, len(atts))
	for k, a := range atts {
		if a.data == nil && a.embedded != nil {
			a.data = embeddedMessage(a.embedded)
			a.long = strings.TrimSuffix(firstNonEmpty(a.display, a.embedded["0037"], "message"), ".msg") + ".eml"
		}
		if a.data != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := atts[k]
		name := firstNonEmpty(a.long, a.short, a.display, "attachment")
		m := Member{Name: u.name(strings.ReplaceAll(name, "/", "-")), Size: int64(len(a.data))}
		if err := u.member(m, bytes.NewReader(a.data), nil); err != nil {
			return err
		}
	}
	return nil
}

// msgString decodes a MAPI string property (PT_UNICODE or PT_STRING8).
func msgString(b []byte, typ string) string {
	if typ == "001F" {
		return strings.TrimRight(utf16le(b), "\x00")
	}
	s, _ := decodeText(b, "windows-1252")
	return strings.TrimRight(s, "\x00")
}

// embeddedMessage writes an attached Outlook message's headers and text
// as an RFC 822 message.
func embeddedMessage(props map[string]string) []byte {
	var b strings.Builder
	header := func(k, v string) {
		if v = strings.Join(strings.Fields(v), " "); v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, mime.QEncoding.Encode("utf-8", v))
		}
	}
	header("From", firstNonEmpty(props["0C1A"], props["0065"], props["5D01"]))
	header("To", props["0E04"])
	header("Cc", props["0E03"])
	header("Subject", props["0037"])
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(props["1000"])
	return []byte(b.String())
}
