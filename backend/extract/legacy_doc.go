package extract

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Word binary (.doc) text, after [MS-DOC]: the File Information Block at
// the start of the WordDocument stream locates the piece table (CLX) in
// the table stream; the pieces map character positions to 8-bit
// ("compressed", cp1252) or UTF-16 runs of the WordDocument stream. The
// paragraph properties in the PAPX pages tell table rows from cells and,
// with the style sheet, headings from body text. Word 6/95 files use an
// older FIB and 8-bit text in the code page of their language.

const (
	wordIdent    = 0xA5EC
	wordIdentOld = 0xA5DC // some Word 6 files

	fibEncrypted  = 0x0100
	fibWhichTbl   = 0x0200
	fibComplex    = 0x0004
	fibObfuscated = 0x8000

	// Indexes into the FibRgFcLcb pairs, the same in Word 6 and Word 97.
	fcStshf       = 1
	fcPlcfBtePapx = 13
	fcClx         = 33
)

// Story kinds, in the order their character positions follow each other.
const (
	storyMain = iota
	storyFootnote
	storyHeader
	storyMacro
	storyComment
	storyEndnote
	storyTextbox
	storyHeaderTextbox
	storyCount
)

type wordFIB struct {
	nFib   uint16
	lid    uint16
	flags  uint16
	word6  bool
	fcMin  uint32
	fcMac  uint32
	ccp    [storyCount]uint32
	pairs  []byte // FibRgFcLcb: (fc, lcb) uint32 pairs
	pairsN int
}

func (f *wordFIB) pair(i int) (fc, lcb uint32) {
	if i >= f.pairsN || 8*i+8 > len(f.pairs) {
		return 0, 0
	}
	return binary.LittleEndian.Uint32(f.pairs[8*i:]), binary.LittleEndian.Uint32(f.pairs[8*i+4:])
}

func parseFIB(wd []byte) (*wordFIB, error) {
	if len(wd) < 68 {
		return nil, failf(ErrCorrupt, "corrupt .doc: WordDocument stream too short for a file information block")
	}
	f := &wordFIB{
		nFib:  binary.LittleEndian.Uint16(wd[2:]),
		lid:   binary.LittleEndian.Uint16(wd[6:]),
		flags: binary.LittleEndian.Uint16(wd[10:]),
	}
	if id := binary.LittleEndian.Uint16(wd); id != wordIdent && id != wordIdentOld {
		return nil, failf(ErrCorrupt, "corrupt .doc: WordDocument stream has no Word signature")
	}
	switch {
	case f.nFib < 101:
		return nil, failf(ErrUnsupported, "Word 2.0 and older documents are not supported")
	case f.nFib <= 105:
		// Word 6.0 (nFib 101) and Word 95 (104): fixed layout.
		f.word6 = true
		if len(wd) < 88+8*(fcClx+1) {
			return nil, failf(ErrCorrupt, "corrupt .doc: truncated Word 6 file information block")
		}
		f.fcMin = binary.LittleEndian.Uint32(wd[24:])
		f.fcMac = binary.LittleEndian.Uint32(wd[28:])
		for i := range f.ccp {
			f.ccp[i] = binary.LittleEndian.Uint32(wd[52+4*i:])
		}
		f.pairs = wd[88:min(len(wd), 88+8*100)]
		f.pairsN = len(f.pairs) / 8
		return f, nil
	}
	// Word 97 and later: FibBase, then counted FibRgW, FibRgLw and
	// FibRgFcLcb arrays.
	pos := 32
	csw := int(binary.LittleEndian.Uint16(wd[pos:]))
	pos += 2 + 2*csw
	if pos+2 > len(wd) {
		return nil, failf(ErrCorrupt, "corrupt .doc: truncated file information block")
	}
	cslw := int(binary.LittleEndian.Uint16(wd[pos:]))
	pos += 2
	if cslw < 11 || pos+4*cslw+2 > len(wd) {
		return nil, failf(ErrCorrupt, "corrupt .doc: truncated file information block")
	}
	// FibRgLw97: cbMac, 2 reserved, then the story lengths from index 3.
	for i := range f.ccp {
		f.ccp[i] = binary.LittleEndian.Uint32(wd[pos+12+4*i:])
	}
	pos += 4 * cslw
	n := int(binary.LittleEndian.Uint16(wd[pos:]))
	pos += 2
	if pos+8*n > len(wd) {
		n = (len(wd) - pos) / 8
	}
	f.pairs, f.pairsN = wd[pos:pos+8*n], n
	return f, nil
}

// wordPiece is one run of the piece table: characters [cp, cpEnd) stored
// at byte offset fc, one byte each when compressed.
type wordPiece struct {
	cp, cpEnd  uint32
	fc         uint32
	compressed bool
}

// parseClx reads the piece table out of a CLX: Prc entries (skipped) and
// one Pcdt.
func parseClx(b []byte, word6 bool) ([]wordPiece, bool) {
	for i := 0; i < len(b); {
		switch b[i] {
		case 1: // Prc: property modifiers for pieces, not needed for text
			if i+3 > len(b) {
				return nil, false
			}
			cb := int(int16(binary.LittleEndian.Uint16(b[i+1:])))
			if cb < 0 {
				return nil, false
			}
			i += 3 + cb
		case 2: // Pcdt
			if i+5 > len(b) {
				return nil, false
			}
			lcb := int(binary.LittleEndian.Uint32(b[i+1:]))
			plc := b[i+5:]
			if lcb < 0 || lcb > len(plc) {
				lcb = len(plc)
			}
			plc = plc[:lcb]
			n := (len(plc) - 4) / 12
			if n <= 0 {
				return nil, false
			}
			pieces := make([]wordPiece, 0, n)
			for k := range n {
				cp := binary.LittleEndian.Uint32(plc[4*k:])
				end := binary.LittleEndian.Uint32(plc[4*k+4:])
				pcd := plc[4*(n+1)+8*k:]
				fc := binary.LittleEndian.Uint32(pcd[2:])
				if end <= cp {
					continue
				}
				p := wordPiece{cp: cp, cpEnd: end, fc: fc, compressed: true}
				if !word6 {
					p.compressed = fc&0x40000000 != 0
					p.fc = fc & 0x3FFFFFFF
					if p.compressed {
						p.fc /= 2
					}
				}
				pieces = append(pieces, p)
			}
			return pieces, len(pieces) > 0
		default:
			return nil, false
		}
	}
	return nil, false
}

// wordPara is what the reader needs of a paragraph's properties.
type wordPara struct {
	fc, fcEnd uint32
	istd      uint16
	inTable   bool
	rowEnd    bool // the paragraph is a table row end mark (TTP)
	outline   int  // 0..8 outline level, -1 for body text
}

// parsePapx reads the paragraph property runs of the PAPX pages.
func parsePapx(wd, plc []byte) []wordPara {
	if len(plc) < 12 {
		return nil
	}
	n := (len(plc) - 4) / 8
	var out []wordPara
	seen := map[uint32]bool{}
	for i := range n {
		pn := binary.LittleEndian.Uint32(plc[4*(n+1)+4*i:]) & 0x3FFFFF
		if seen[pn] {
			continue
		}
		seen[pn] = true
		off := int(pn) * 512
		if off < 0 || off+512 > len(wd) {
			continue
		}
		page := wd[off : off+512]
		crun := int(page[511])
		if crun == 0 || 4*(crun+1)+13*crun > 511 {
			continue
		}
		for j := range crun {
			p := wordPara{
				fc:      binary.LittleEndian.Uint32(page[4*j:]),
				fcEnd:   binary.LittleEndian.Uint32(page[4*j+4:]),
				outline: -1,
			}
			if bx := int(page[4*(crun+1)+13*j]) * 2; bx > 0 && bx < 511 {
				size, start := 2*int(page[bx])-1, bx+1
				if page[bx] == 0 {
					size, start = 2*int(page[bx+1]), bx+2
				}
				if size >= 2 && start+size <= 511 {
					grp := page[start : start+size]
					p.istd = binary.LittleEndian.Uint16(grp)
					papxSprms(grp[2:], &p)
				}
			}
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].fc < out[j].fc })
	return out
}

// papxSprms applies the few paragraph sprms the reader cares about.
func papxSprms(b []byte, p *wordPara) {
	itap := false
	for i := 0; i+2 <= len(b); {
		sprm := binary.LittleEndian.Uint16(b[i:])
		i += 2
		var size int
		switch sprm >> 13 {
		case 0, 1:
			size = 1
		case 2, 4, 5:
			size = 2
		case 3:
			size = 4
		case 7:
			size = 3
		case 6:
			if i >= len(b) {
				return
			}
			switch sprm {
			case 0xD608, 0xD606: // table definitions carry a 2-byte length
				if i+2 > len(b) {
					return
				}
				size = 2 + int(binary.LittleEndian.Uint16(b[i:])) - 1
			case 0xC615: // sprmPChgTabs: 255 marks a layout not worth decoding
				if b[i] == 255 {
					return
				}
				size = 1 + int(b[i])
			default:
				size = 1 + int(b[i])
			}
		}
		if size < 0 || i+size > len(b) {
			return
		}
		op := b[i : i+size]
		switch sprm {
		case 0x2416: // sprmPFInTable
			p.inTable = op[0] != 0
		case 0x2417: // sprmPFTtp
			p.rowEnd = op[0] != 0
		case 0x6649: // sprmPItap
			itap = size == 4 && binary.LittleEndian.Uint32(op) > 0
		case 0x2640: // sprmPOutLvl
			if op[0] < 9 {
				p.outline = int(op[0])
			}
		}
		i += size
	}
	if itap {
		p.inTable = true
	}
}

// styleLevels maps style indexes to heading levels from the built-in
// style identifiers (sti 1-9 are "heading 1".."heading 9", 62 is Title).
func styleLevels(stsh []byte) map[uint16]int {
	levels := map[uint16]int{}
	if len(stsh) < 6 {
		return levels
	}
	cbStshi := int(binary.LittleEndian.Uint16(stsh))
	if 2+cbStshi > len(stsh) || cbStshi < 2 {
		return levels
	}
	cstd := int(binary.LittleEndian.Uint16(stsh[2:]))
	pos := 2 + cbStshi
	for istd := 0; istd < cstd && istd < 4096 && pos+2 <= len(stsh); istd++ {
		cb := int(binary.LittleEndian.Uint16(stsh[pos:]))
		pos += 2
		if cb >= 2 && pos+cb <= len(stsh) {
			switch sti := binary.LittleEndian.Uint16(stsh[pos:]) & 0x0FFF; {
			case sti >= 1 && sti <= 9:
				levels[uint16(istd)] = int(sti)
			case sti == 62:
				levels[uint16(istd)] = 1
			}
		}
		pos += cb
	}
	return levels
}

// readDOC reads a Word 97–2003 or Word 6/95 document: body paragraphs
// (headings and table rows kept), then footnotes, endnotes, comments and
// text boxes, then the distinct header and footer lines.
func readDOC(x *extraction) error {
	return x.guardLegacy("doc", func() error {
		cf, err := x.openCFB("doc", "WordDocument", "0Table", "1Table", "SummaryInformation")
		if err != nil {
			return err
		}
		return x.readWordStreams(cf)
	})
}

// readWordStreams reads a Word document from its streams.
func (x *extraction) readWordStreams(cf *cfbFile) error {
	wd := cf.streams["WordDocument"]
	if wd == nil {
		return failf(ErrCorrupt, "corrupt .doc: no WordDocument stream")
	}
	fib, err := parseFIB(wd)
	if err != nil {
		return err
	}
	if fib.flags&fibEncrypted != 0 {
		const what = "password-protected Word document"
		how := "RC4 encryption"
		switch {
		case fib.word6:
			how = "Word 6/95 encryption"
		case fib.flags&fibObfuscated != 0:
			how = "XOR obfuscation"
		default:
			// The table stream starts with the encryption header.
			name := "0Table"
			if fib.flags&fibWhichTbl != 0 {
				name = "1Table"
			}
			t := cf.streams[name]
			if len(t) >= 2 && binary.LittleEndian.Uint16(t) >= 2 {
				how = "RC4 CryptoAPI encryption"
			}
			if key := rc4StreamKey(t, x.opts.Password); key != nil {
				return x.readWordStreams(decryptWordStreams(cf, name, key))
			}
			return needPassword(what, how, x.opts.Password)
		}
		if x.opts.Password != "" {
			return failf(ErrEncrypted, "%s (%s, which this reader cannot decrypt)", what, how)
		}
		return failf(ErrEncrypted, "%s (%s)", what, how)
	}
	x.summaryInfo(cf.streams["SummaryInformation"])
	table := wd
	if !fib.word6 {
		name := "0Table"
		if fib.flags&fibWhichTbl != 0 {
			name = "1Table"
		}
		if table = cf.streams[name]; table == nil {
			return failf(ErrCorrupt, "corrupt .doc: the %s stream the document refers to is missing", name)
		}
	}
	d := &wordDoc{x: x, fib: fib, wd: wd}
	if fc, lcb := fib.pair(fcClx); lcb > 0 && (!fib.word6 || fib.flags&fibComplex != 0) {
		b, ok := sub(table, fc, lcb)
		if !ok {
			return failf(ErrCorrupt, "corrupt .doc: piece table lies outside the table stream")
		}
		if d.pieces, ok = parseClx(b, fib.word6); !ok {
			return failf(ErrCorrupt, "corrupt .doc: malformed piece table")
		}
	} else if fib.word6 {
		if fib.fcMac <= fib.fcMin || int64(fib.fcMac) > int64(len(wd)) {
			return failf(ErrCorrupt, "corrupt .doc: text range outside the WordDocument stream")
		}
		d.pieces = []wordPiece{{cp: 0, cpEnd: fib.fcMac - fib.fcMin, fc: fib.fcMin, compressed: true}}
	} else {
		return failf(ErrCorrupt, "corrupt .doc: no piece table")
	}
	if fib.word6 {
		d.codepage = codepageForLID(fib.lid)
	} else {
		if fc, lcb := fib.pair(fcPlcfBtePapx); lcb > 0 {
			if b, ok := sub(table, fc, lcb); ok {
				d.paras = parsePapx(wd, b)
			}
		}
		if fc, lcb := fib.pair(fcStshf); lcb > 0 {
			if b, ok := sub(table, fc, lcb); ok {
				d.levels = styleLevels(b)
			}
		}
	}
	return d.read()
}

// decryptWordStreams returns the streams of an RC4-encrypted Word 97
// document decrypted: the WordDocument stream past its FibBase, which
// stays in the clear (with its encryption flags cleared), and the table
// stream, whose encryption header decrypts to nothing of use.
func decryptWordStreams(cf *cfbFile, table string, key biffKey) *cfbFile {
	const fibBaseSize = 0x44
	out := &cfbFile{streams: map[string][]byte{}, names: cf.names}
	for name, b := range cf.streams {
		out.streams[name] = b
	}
	wd := bytes.Clone(cf.streams["WordDocument"])
	if len(wd) > fibBaseSize {
		plain := bytes.Clone(wd[:fibBaseSize])
		rc4Blocks(wd, key, 512)
		copy(wd, plain)
		flags := binary.LittleEndian.Uint16(wd[10:]) &^ (fibEncrypted | fibObfuscated)
		binary.LittleEndian.PutUint16(wd[10:], flags)
	}
	out.streams["WordDocument"] = wd
	t := bytes.Clone(cf.streams[table])
	rc4Blocks(t, key, 512)
	out.streams[table] = t
	return out
}

// sub returns b[off:off+n] when it lies inside b.
func sub(b []byte, off, n uint32) ([]byte, bool) {
	end := uint64(off) + uint64(n)
	if end > uint64(len(b)) {
		return nil, false
	}
	return b[off:end], true
}

type wordDoc struct {
	x        *extraction
	fib      *wordFIB
	wd       []byte
	pieces   []wordPiece
	paras    []wordPara
	levels   map[uint16]int
	codepage int
	budget   int // characters left to decode, against hostile piece tables
}

func (d *wordDoc) read() error {
	d.budget = len(d.wd) + 1
	var starts [storyCount + 1]uint32
	for i, n := range d.fib.ccp {
		starts[i+1] = starts[i] + n
		if starts[i+1] < starts[i] { // overflow: nonsense lengths
			starts[i+1] = starts[i]
		}
	}
	var headers []string
	collect := func(b Block) error {
		for _, line := range strings.Split(b.Text, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				headers = append(headers, line)
			}
		}
		return nil
	}
	stories := []struct {
		story int
		kind  Kind
		emit  func(Block) error
	}{
		{storyMain, KindParagraph, d.x.add},
		{storyFootnote, KindFootnote, d.x.add},
		{storyEndnote, KindFootnote, d.x.add},
		{storyComment, KindFootnote, d.x.add},
		{storyTextbox, KindParagraph, d.x.add},
		{storyHeader, KindHeader, collect},
		{storyHeaderTextbox, KindHeader, collect},
	}
	for _, s := range stories {
		if d.fib.ccp[s.story] == 0 {
			continue
		}
		w := &wordWriter{d: d, kind: s.kind, emit: s.emit}
		if err := d.story(starts[s.story], starts[s.story+1], w); err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	var uniq []string
	for _, h := range headers {
		if !seen[h] {
			seen[h] = true
			uniq = append(uniq, h)
		}
	}
	if len(uniq) > 0 {
		return d.x.add(Block{Kind: KindHeader, Text: strings.Join(uniq, "\n")})
	}
	return nil
}

// story decodes characters [cp, cpEnd) through the piece table into w.
func (d *wordDoc) story(cp, cpEnd uint32, w *wordWriter) error {
	for _, p := range d.pieces {
		s, e := max(cp, p.cp), min(cpEnd, p.cpEnd)
		if s >= e {
			continue
		}
		k := uint64(s - p.cp)
		n := uint64(e - s)
		if n > uint64(d.budget) {
			n = uint64(d.budget)
		}
		d.budget -= int(n)
		if d.budget <= 0 {
			d.x.doc.Meta.Truncated = true
		}
		if p.compressed {
			start := uint64(p.fc) + k
			if start >= uint64(len(d.wd)) {
				continue
			}
			end := min(start+n, uint64(len(d.wd)))
			b := d.wd[start:end]
			if d.fib.word6 {
				for _, r := range decodeCodepage(b, d.codepage) {
					if err := w.char(r, 0, false); err != nil {
						return err
					}
				}
				continue
			}
			for i, c := range b {
				if err := w.char(charmap.Windows1252.DecodeByte(c), uint32(start)+uint32(i), true); err != nil {
					return err
				}
			}
			continue
		}
		start := uint64(p.fc) + 2*k
		if start >= uint64(len(d.wd)) {
			continue
		}
		end := min(start+2*n, uint64(len(d.wd)))
		var hi uint16
		for i := start; i+2 <= end; i += 2 {
			u := binary.LittleEndian.Uint16(d.wd[i:])
			r := rune(u)
			switch {
			case u >= 0xD800 && u < 0xDC00:
				hi = u
				continue
			case u >= 0xDC00 && u < 0xE000 && hi != 0:
				r = 0x10000 + (rune(hi)-0xD800)<<10 + rune(u) - 0xDC00
			case u >= 0xDC00 && u < 0xE000:
				r = 0xFFFD
			}
			hi = 0
			if err := w.char(r, uint32(i), true); err != nil {
				return err
			}
		}
	}
	return nil
}

// para returns the paragraph properties in force at byte offset fc.
func (d *wordDoc) para(fc uint32) (wordPara, bool) {
	i := sort.Search(len(d.paras), func(i int) bool { return d.paras[i].fc > fc }) - 1
	if i < 0 || fc >= d.paras[i].fcEnd {
		return wordPara{}, false
	}
	return d.paras[i], true
}

// wordWriter turns a story's characters into blocks: paragraphs,
// headings, table rows; field codes are dropped, field results kept.
type wordWriter struct {
	d        *wordDoc
	kind     Kind
	emit     func(Block) error
	para     strings.Builder
	cells    []string
	fields   []bool // open fields, true while in the field code
	codeLen  int
	cellEnd  bool // the last mark was a cell end (heuristic row ends)
	headings []wordHeading
}

type wordHeading struct {
	level int
	text  string
}

func (w *wordWriter) inCode() bool {
	for _, c := range w.fields {
		if c {
			return true
		}
	}
	return false
}

func (w *wordWriter) char(r rune, fc uint32, hasFC bool) error {
	switch r {
	case 0x13: // field begin: the code follows
		if len(w.fields) < 64 {
			w.fields = append(w.fields, true)
		}
		return nil
	case 0x14: // field separator: the result follows
		if n := len(w.fields); n > 0 {
			w.fields[n-1] = false
		}
		return nil
	case 0x15: // field end
		if n := len(w.fields); n > 0 {
			w.fields = w.fields[:n-1]
		}
		if len(w.fields) == 0 {
			w.codeLen = 0
		}
		return nil
	}
	if w.inCode() {
		// A field whose code never ends would swallow the rest of the
		// story; field codes are short, so give up on it.
		if w.codeLen++; w.codeLen > 8192 {
			w.fields, w.codeLen = w.fields[:0], 0
		}
		return nil
	}
	switch r {
	case 0x0D, 0x0C: // paragraph end; page and section breaks end one too
		return w.endPara(fc, hasFC)
	case 0x07: // table cell or row end
		return w.cellMark(fc, hasFC)
	case 0x0B, 0x0E: // line and column breaks
		w.para.WriteByte('\n')
	case 0x09:
		w.para.WriteByte('\t')
	case 0x1E: // non-breaking hyphen
		w.para.WriteByte('-')
	case 0xA0:
		w.para.WriteByte(' ')
	default:
		if r < 0x20 || r == 0x1F {
			// pictures (1), drawn objects (8), note and comment marks,
			// soft hyphens (0x1F): no text
			return nil
		}
		w.para.WriteRune(r)
		w.cellEnd = false
	}
	return nil
}

func (w *wordWriter) endPara(fc uint32, hasFC bool) error {
	p, ok := w.props(fc, hasFC)
	if (ok && p.inTable) || (!ok && len(w.cells) > 0) {
		// A paragraph inside a table cell: the cell mark ends the cell.
		w.para.WriteByte('\n')
		return nil
	}
	text := strings.TrimSpace(w.para.String())
	w.para.Reset()
	w.cellEnd = false
	if text == "" {
		return nil
	}
	if w.kind == KindParagraph && ok {
		level := w.d.levels[p.istd]
		if p.outline >= 0 {
			level = p.outline + 1
		}
		if level > 0 {
			for len(w.headings) > 0 && w.headings[len(w.headings)-1].level >= level {
				w.headings = w.headings[:len(w.headings)-1]
			}
			w.headings = append(w.headings, wordHeading{level, text})
			return w.emit(Block{Kind: KindHeading, Text: text, Headings: w.path()})
		}
	}
	return w.emit(Block{Kind: w.kind, Text: text, Headings: w.path()})
}

func (w *wordWriter) cellMark(fc uint32, hasFC bool) error {
	text := strings.TrimSpace(w.para.String())
	w.para.Reset()
	p, ok := w.props(fc, hasFC)
	rowEnd := p.rowEnd
	if !ok {
		// Without paragraph properties a cell end right after another
		// is taken for the row end mark (empty cells merge rows' ends).
		rowEnd = text == "" && w.cellEnd
	}
	if !rowEnd {
		w.cells = append(w.cells, text)
		w.cellEnd = true
		return nil
	}
	if text != "" {
		w.cells = append(w.cells, text)
	}
	w.cellEnd = false
	return w.endRow()
}

func (w *wordWriter) endRow() error {
	var cells []string
	for _, c := range w.cells {
		if c = strings.TrimSpace(strings.ReplaceAll(c, "\n", " ")); c != "" {
			cells = append(cells, c)
		}
	}
	w.cells = w.cells[:0]
	if len(cells) == 0 {
		return nil
	}
	kind := KindTableRow
	if w.kind != KindParagraph {
		kind = w.kind
	}
	return w.emit(Block{Kind: kind, Text: strings.Join(cells, " | "), Headings: w.path()})
}

func (w *wordWriter) props(fc uint32, hasFC bool) (wordPara, bool) {
	if !hasFC || len(w.d.paras) == 0 {
		return wordPara{}, false
	}
	return w.d.para(fc)
}

// flush ends the story: a last paragraph without its mark, a table row
// without its end.
func (w *wordWriter) flush() error {
	w.fields = w.fields[:0]
	if len(w.cells) > 0 {
		if t := strings.TrimSpace(w.para.String()); t != "" {
			w.cells = append(w.cells, t)
		}
		w.para.Reset()
		if err := w.endRow(); err != nil {
			return err
		}
	}
	if strings.TrimSpace(w.para.String()) == "" {
		return nil
	}
	text := strings.TrimSpace(w.para.String())
	w.para.Reset()
	return w.emit(Block{Kind: w.kind, Text: text, Headings: w.path()})
}

func (w *wordWriter) path() []string {
	if len(w.headings) == 0 || w.kind != KindParagraph {
		return nil
	}
	out := make([]string, len(w.headings))
	for i, h := range w.headings {
		out[i] = h.text
	}
	return out
}
