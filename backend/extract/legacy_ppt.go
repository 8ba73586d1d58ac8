package extract

import (
	"bytes"
	"crypto/rc4"
	"encoding/binary"
	"strings"
)

// PowerPoint binary (.ppt) text, after [MS-PPT]: the "PowerPoint
// Document" stream is a tree of records. The Current User stream points
// to the last UserEditAtom; the chain of edits gives the persist
// directory, which maps persist ids to the offsets of the document,
// slide and notes containers. Slide order comes from the document's
// slide list; placeholder text lives in that list, other text boxes in
// each slide's drawing.

const (
	pptDocument       = 0x03E8
	pptSlide          = 0x03EE
	pptNotes          = 0x03F0
	pptNotesAtom      = 0x03F1
	pptSlidePersist   = 0x03F3
	pptMainMaster     = 0x03F8
	pptTextHeader     = 0x0F9F
	pptTextChars      = 0x0FA0
	pptTextBytes      = 0x0FA8
	pptSlideList      = 0x0FF0
	pptUserEdit       = 0x0FF5
	pptPersistDir     = 0x1772
	pptCryptSession10 = 0x2F14

	pptCurrentUserPlain     = 0xE391C05F
	pptCurrentUserEncrypted = 0xF3D1C4DF

	pptMaxDepth = 24
)

type pptRec struct {
	container bool
	inst      uint16
	typ       uint16
	data      []byte
}

// pptRecord reads the record at pos of b.
func pptRecord(b []byte, pos int) (r pptRec, next int, ok bool) {
	if pos < 0 || pos+8 > len(b) {
		return r, pos, false
	}
	vi := binary.LittleEndian.Uint16(b[pos:])
	r.container = vi&0x0F == 0x0F
	r.inst = vi >> 4
	r.typ = binary.LittleEndian.Uint16(b[pos+2:])
	n := uint64(binary.LittleEndian.Uint32(b[pos+4:]))
	if uint64(pos)+8+n > uint64(len(b)) {
		return r, pos, false
	}
	r.data = b[pos+8 : pos+8+int(n)]
	return r, pos + 8 + int(n), true
}

// pptChildren calls fn for each record directly inside data.
func pptChildren(data []byte, fn func(r pptRec) bool) {
	for pos := 0; ; {
		r, next, ok := pptRecord(data, pos)
		if !ok || !fn(r) {
			return
		}
		pos = next
	}
}

// pptText is one text body: its placeholder type and text.
type pptText struct {
	kind uint32 // TextHeaderAtom textType: 0 title, 6 centered title, ...
	text string
}

func (t pptText) title() bool { return t.kind == 0 || t.kind == 6 }

// pptAtomText decodes a TextCharsAtom or TextBytesAtom.
func pptAtomText(r pptRec) (string, bool) {
	var s string
	switch r.typ {
	case pptTextChars:
		s = utf16le(r.data)
	case pptTextBytes:
		s = latin1(r.data)
	default:
		return "", false
	}
	s = strings.NewReplacer("\r", "\n", "\v", "\n").Replace(s)
	s = strings.TrimSpace(s)
	// "*" stands for the slide number field of number placeholders.
	return s, s != "" && s != "*"
}

// pptDrawingText collects the text atoms anywhere under a container, in
// order, each with the type its TextHeaderAtom gave it.
func pptDrawingText(data []byte, depth int, kind *uint32, out *[]pptText, budget *int) {
	if depth > pptMaxDepth {
		return
	}
	pptChildren(data, func(r pptRec) bool {
		if *budget--; *budget < 0 {
			return false
		}
		switch {
		case r.container:
			pptDrawingText(r.data, depth+1, kind, out, budget)
		case r.typ == pptTextHeader && len(r.data) >= 4:
			*kind = binary.LittleEndian.Uint32(r.data)
		default:
			if s, ok := pptAtomText(r); ok {
				*out = append(*out, pptText{*kind, s})
				*kind = 4
			}
		}
		return true
	})
}

type pptSlideEntry struct {
	persist uint32
	id      uint32
	texts   []pptText // from the slide list
}

// readPPT yields one block per slide (Page = slide number, heading = its
// title) and one per slide's speaker notes.
func readPPT(x *extraction) error {
	return x.guardLegacy("ppt", func() error {
		cf, err := x.openCFB("ppt", "PowerPoint Document", "Current User", "SummaryInformation")
		if err != nil {
			return err
		}
		return x.readPPTStreams(cf)
	})
}

const (
	pptEncrypted = "password-protected PowerPoint presentation"
	pptCryptoAPI = "RC4 CryptoAPI encryption"
)

// readPPTStreams reads a presentation from its streams; an encrypted one
// when Options.Password opens it.
func (x *extraction) readPPTStreams(cf *cfbFile) error {
	password := x.opts.Password
	encrypted := cf.names["EncryptedSummary"]
	if encrypted && password == "" {
		return needPassword(pptEncrypted, pptCryptoAPI, "")
	}
	doc := cf.streams["PowerPoint Document"]
	if doc == nil {
		if cf.names["PP40"] || cf.names["PowerPoint 4 Document"] {
			return failf(ErrUnsupported, "PowerPoint 4.0/95 presentations are not supported")
		}
		return failf(ErrCorrupt, "corrupt .ppt: no PowerPoint Document stream")
	}
	x.summaryInfo(cf.streams["SummaryInformation"])
	p := &pptReader{x: x, doc: doc, budget: len(doc)/8 + 16}
	current := uint32(0)
	if cu := cf.streams["Current User"]; len(cu) >= 20 {
		switch binary.LittleEndian.Uint32(cu[12:]) {
		case pptCurrentUserEncrypted:
			if password == "" {
				return needPassword(pptEncrypted, "", "")
			}
			encrypted = true
			current = binary.LittleEndian.Uint32(cu[16:])
		case pptCurrentUserPlain:
			current = binary.LittleEndian.Uint32(cu[16:])
		}
	}
	if p.persistDirectory(current) {
		if p.encrypted {
			if password == "" {
				return needPassword(pptEncrypted, pptCryptoAPI, "")
			}
			if err := p.decrypt(password); err != nil {
				return err
			}
		}
		if ok, err := p.readPersisted(); ok || err != nil {
			return err
		}
	}
	if encrypted && !p.decrypted {
		return needPassword(pptEncrypted, pptCryptoAPI, "")
	}
	return p.readStreamOrder()
}

// decrypt decrypts the persist objects of an encrypted presentation
// ([MS-PPT] 2.3.7): the CryptSession10Container the last edit names holds
// the RC4 CryptoAPI encryption header; each object is encrypted on its
// own with the key of its persist id. The edit atoms, the persist
// directories and the CryptSession10Container stay in the clear.
func (p *pptReader) decrypt(password string) error {
	off, ok := p.persist[p.cryptRef]
	if !ok {
		return needPassword(pptEncrypted, pptCryptoAPI, "")
	}
	r, _, ok := pptRecord(p.doc, int(off))
	if !ok || r.typ != pptCryptSession10 {
		return needPassword(pptEncrypted, pptCryptoAPI, "")
	}
	key := rc4StreamKey(r.data, password)
	if key == nil {
		return needPassword(pptEncrypted, pptCryptoAPI, password)
	}
	dec := bytes.Clone(p.doc)
	for id, off := range p.persist {
		if uint64(off)+8 > uint64(len(dec)) {
			continue
		}
		switch binary.LittleEndian.Uint16(p.doc[off+2:]) {
		case pptCryptSession10, pptUserEdit, pptPersistDir:
			continue
		}
		c, err := rc4.NewCipher(key(id))
		if err != nil {
			continue
		}
		var hdr [8]byte
		c.XORKeyStream(hdr[:], p.doc[off:off+8])
		end := min(uint64(off)+8+uint64(binary.LittleEndian.Uint32(hdr[4:])), uint64(len(dec)))
		copy(dec[off:], hdr[:])
		c.XORKeyStream(dec[off+8:end], p.doc[off+8:end])
	}
	p.doc, p.encrypted, p.decrypted = dec, false, true
	return nil
}

type pptReader struct {
	x         *extraction
	doc       []byte
	persist   map[uint32]uint32
	docRef    uint32
	encrypted bool
	cryptRef  uint32 // persist id of the CryptSession10Container
	decrypted bool
	budget    int // records left to visit, against record loops and bombs
}

// persistDirectory follows the UserEditAtom chain from the Current User
// offset, newest edit first, and merges the persist directories.
func (p *pptReader) persistDirectory(off uint32) bool {
	p.persist = map[uint32]uint32{}
	seen := map[uint32]bool{}
	seenDir := map[uint32]bool{}
	entries := len(p.doc)/4 + 16 // one pass over the stream
	for first := true; !seen[off] && len(seen) < 4096; first = false {
		seen[off] = true
		r, _, ok := pptRecord(p.doc, int(off))
		if !ok || r.typ != pptUserEdit || len(r.data) < 28 {
			break
		}
		d := r.data
		if first {
			p.docRef = binary.LittleEndian.Uint32(d[16:])
			if len(d) >= 32 {
				p.cryptRef = binary.LittleEndian.Uint32(d[28:])
				p.encrypted = p.cryptRef != 0
			}
		}
		dirOff := binary.LittleEndian.Uint32(d[12:])
		if pd, _, ok := pptRecord(p.doc, int(dirOff)); ok && pd.typ == pptPersistDir && !seenDir[dirOff] {
			seenDir[dirOff] = true
			for i := 0; i+4 <= len(pd.data) && entries > 0; {
				h := binary.LittleEndian.Uint32(pd.data[i:])
				i += 4
				base, n := h&0xFFFFF, int(h>>20)
				for k := 0; k < n && i+4 <= len(pd.data); k++ {
					entries--
					if _, ok := p.persist[base+uint32(k)]; !ok {
						p.persist[base+uint32(k)] = binary.LittleEndian.Uint32(pd.data[i:])
					}
					i += 4
				}
			}
		}
		off = binary.LittleEndian.Uint32(d[8:])
		if off == 0 {
			break
		}
	}
	return len(p.persist) > 0
}

// container returns the record a persist id points to, if it has type typ.
func (p *pptReader) container(ref uint32, typ uint16) (pptRec, bool) {
	off, ok := p.persist[ref]
	if !ok {
		return pptRec{}, false
	}
	r, _, ok := pptRecord(p.doc, int(off))
	return r, ok && r.typ == typ
}

// slideLists reads the slide and notes lists of a DocumentContainer.
func slideLists(doc pptRec) (slides, notes []pptSlideEntry) {
	pptChildren(doc.data, func(r pptRec) bool {
		if r.typ != pptSlideList || (r.inst != 0 && r.inst != 2) {
			return true
		}
		var list []pptSlideEntry
		kind := uint32(4)
		pptChildren(r.data, func(a pptRec) bool {
			switch {
			case a.typ == pptSlidePersist && len(a.data) >= 16:
				list = append(list, pptSlideEntry{persist: binary.LittleEndian.Uint32(a.data), id: binary.LittleEndian.Uint32(a.data[12:])})
			case a.typ == pptTextHeader && len(a.data) >= 4:
				kind = binary.LittleEndian.Uint32(a.data)
			case len(list) > 0:
				if s, ok := pptAtomText(a); ok {
					list[len(list)-1].texts = append(list[len(list)-1].texts, pptText{kind, s})
				}
			}
			return true
		})
		if r.inst == 0 {
			slides = append(slides, list...)
		} else {
			notes = append(notes, list...)
		}
		return true
	})
	return slides, notes
}

// readPersisted reads the slides the persist directory leads to. It
// reports false when the directory does not lead to a document.
func (p *pptReader) readPersisted() (bool, error) {
	docRec, ok := p.container(p.docRef, pptDocument)
	if !ok {
		return false, nil
	}
	slides, notes := slideLists(docRec)
	if len(slides) == 0 {
		return false, nil
	}
	notesBySlide := map[uint32][]pptText{}
	for _, n := range notes {
		r, ok := p.container(n.persist, pptNotes)
		if !ok {
			continue
		}
		var slideID uint32
		pptChildren(r.data, func(a pptRec) bool {
			if a.typ == pptNotesAtom && len(a.data) >= 4 {
				slideID = binary.LittleEndian.Uint32(a.data)
				return false
			}
			return true
		})
		texts := n.texts
		kind := uint32(2)
		pptDrawingText(r.data, 0, &kind, &texts, &p.budget)
		notesBySlide[slideID] = texts
	}
	p.x.doc.Meta.Pages = len(slides)
	for i, s := range slides {
		texts := s.texts
		if r, ok := p.container(s.persist, pptSlide); ok {
			kind := uint32(4)
			pptDrawingText(r.data, 0, &kind, &texts, &p.budget)
		}
		if err := p.addSlide(i+1, texts, notesBySlide[s.id]); err != nil {
			return true, err
		}
	}
	return true, nil
}

// readStreamOrder is the fallback when the persist directory is unusable:
// the slide list of the last DocumentContainer gives the placeholder
// text, and the top-level slide and notes containers, in stream order,
// the rest.
func (p *pptReader) readStreamOrder() error {
	var (
		slides     []pptSlideEntry
		drawn      [][]pptText
		notesDrawn [][]pptText
	)
	pptChildren(p.doc, func(r pptRec) bool {
		if p.budget--; p.budget < 0 {
			return false
		}
		switch r.typ {
		case pptDocument:
			if s, _ := slideLists(r); len(s) > 0 {
				slides = s
			}
		case pptSlide, pptNotes:
			var master bool
			pptChildren(r.data, func(a pptRec) bool {
				if a.typ == pptNotesAtom && len(a.data) >= 4 {
					master = binary.LittleEndian.Uint32(a.data)&0x80000000 != 0
				}
				return false
			})
			if master {
				return true
			}
			var texts []pptText
			kind := uint32(4)
			pptDrawingText(r.data, 0, &kind, &texts, &p.budget)
			if r.typ == pptSlide {
				drawn = append(drawn, texts)
			} else {
				notesDrawn = append(notesDrawn, texts)
			}
		case pptCryptSession10:
			if !p.decrypted {
				p.encrypted = true
				return false
			}
		}
		return true
	})
	if p.encrypted {
		return needPassword(pptEncrypted, "", "")
	}
	n := max(len(slides), len(drawn))
	if n == 0 {
		return failf(ErrEmpty, "presentation has no slides")
	}
	p.x.doc.Meta.Pages = n
	for i := range n {
		var texts, notes []pptText
		if i < len(slides) {
			texts = slides[i].texts
		}
		if i < len(drawn) {
			texts = append(texts, drawn[i]...)
		}
		if i < len(notesDrawn) {
			notes = notesDrawn[i]
		}
		if err := p.addSlide(i+1, texts, notes); err != nil {
			return err
		}
	}
	return nil
}

// addSlide adds a slide's text, each distinct text body once, and its
// notes.
func (p *pptReader) addSlide(num int, texts, notes []pptText) error {
	var title string
	for _, t := range texts {
		if t.title() {
			title = strings.Join(strings.Fields(t.text), " ")
			break
		}
	}
	var heads []string
	if title != "" {
		heads = []string{title}
	}
	if err := p.x.add(Block{Kind: KindSlide, Text: joinDistinct(texts), Page: num, Headings: heads}); err != nil {
		return err
	}
	return p.x.add(Block{Kind: KindNotes, Text: joinDistinct(notes), Page: num, Headings: heads})
}

func joinDistinct(texts []pptText) string {
	seen := map[string]bool{}
	var sb strings.Builder
	for _, t := range texts {
		if seen[t.text] {
			continue
		}
		seen[t.text] = true
		sb.WriteString(t.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}
