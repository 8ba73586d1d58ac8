package extract

import (
	"encoding/binary"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Excel binary (.xls) cell text, after [MS-XLS]: the Workbook stream
// (BIFF8, Excel 97–2003) or Book stream (BIFF5, Excel 5.0/95) is a list
// of records. The workbook globals hold the sheet list, the shared string
// table and the number formats; each sheet's substream holds its cells.

const (
	biffFormula    = 0x0006
	biffEOF        = 0x000A
	biffHeader     = 0x0014
	biffFooter     = 0x0015
	biffDateMode   = 0x0022
	biffFilePass   = 0x002F
	biffContinue   = 0x003C
	biffCodePage   = 0x0042
	biffBoundSheet = 0x0085
	biffMulRK      = 0x00BD
	biffRString    = 0x00D6
	biffXF         = 0x00E0
	biffSST        = 0x00FC
	biffLabelSST   = 0x00FD
	biffNumber     = 0x0203
	biffLabel      = 0x0204
	biffBoolErr    = 0x0205
	biffString     = 0x0207
	biffRK         = 0x027E
	biffFormat     = 0x041E
	biffBOF        = 0x0809
)

// readXLS yields one block per non-empty row, "cell | cell | ...", with
// the sheet name as heading and the sheet number as Page, like readXLSX;
// then each sheet's distinct page header and footer.
func readXLS(x *extraction) error {
	return x.guardLegacy("xls", func() error {
		cf, err := x.openCFB("xls", "Workbook", "Book", "SummaryInformation")
		if err != nil {
			return err
		}
		wb := cf.streams["Workbook"]
		if wb == nil {
			wb = cf.streams["Book"]
		}
		if wb == nil {
			return failf(ErrCorrupt, "corrupt .xls: no Workbook stream")
		}
		x.summaryInfo(cf.streams["SummaryInformation"])
		return x.readBIFF(wb, xlsDefaultPassword)
	})
}

// biffRecords iterates the records of a BIFF stream from pos: type,
// data and the offset of the next record. It stops at the first record
// that does not fit.
func biffRecord(b []byte, pos int) (typ uint16, data []byte, next int, ok bool) {
	if pos < 0 || pos+4 > len(b) {
		return 0, nil, pos, false
	}
	typ = binary.LittleEndian.Uint16(b[pos:])
	n := int(binary.LittleEndian.Uint16(b[pos+2:]))
	if pos+4+n > len(b) {
		return typ, nil, pos, false
	}
	return typ, b[pos+4 : pos+4+n], pos + 4 + n, true
}

type biffSheet struct {
	name string
	pos  int
	kind byte // 0 worksheet, 1 macro sheet, 2 chart, 6 VBA module
}

type biffBook struct {
	x        *extraction
	biff8    bool
	codepage int
	date1904 bool
	sst      []string
	sheets   []biffSheet
	xfFormat []uint16          // number format index per cell format (XF)
	formats  map[uint16]string // custom number formats
	isDate   map[uint16]bool
	cells    int  // cells read in the whole workbook
	records  int  // sheet records left to read
	full     bool // the cell cap was reached
}

// readBIFF reads a workbook stream. An encrypted one is read when
// password (the default one, for structure-protected workbooks) or else
// Options.Password opens it; "" means the stream is already decrypted.
func (x *extraction) readBIFF(wb []byte, password string) error {
	typ, data, pos, ok := biffRecord(wb, 0)
	if !ok || len(data) < 4 {
		return failf(ErrCorrupt, "corrupt .xls: workbook stream does not start with a BOF record")
	}
	switch typ {
	case biffBOF:
	case 0x0009, 0x0209, 0x0409:
		return failf(ErrUnsupported, "Excel 2.x–4.0 worksheets are not supported")
	default:
		return failf(ErrCorrupt, "corrupt .xls: workbook stream does not start with a BOF record")
	}
	bk := &biffBook{x: x, biff8: binary.LittleEndian.Uint16(data) >= 0x0600, codepage: 1252, formats: map[uint16]string{}, isDate: map[uint16]bool{}}
	var sstSegs [][]byte
	inSST := false
	for {
		typ, data, next, ok := biffRecord(wb, pos)
		if !ok {
			break
		}
		pos = next
		if typ == biffContinue && inSST {
			sstSegs = append(sstSegs, data)
			continue
		}
		inSST = false
		switch typ {
		case biffFilePass:
			if password == "" {
				continue
			}
			for _, pw := range []string{password, x.opts.Password} {
				if pw == "" {
					continue
				}
				if key := xlsRC4Key(data, pw); key != nil {
					return x.readBIFF(decryptBIFF(wb, key), "")
				}
				if arr, ok := xlsXORArray(data, pw); ok {
					return x.readBIFF(decryptBIFFXOR(wb, arr), "")
				}
			}
			return bk.encrypted(data)
		case biffCodePage:
			if len(data) >= 2 {
				bk.codepage = int(binary.LittleEndian.Uint16(data))
			}
		case biffDateMode:
			bk.date1904 = len(data) >= 2 && binary.LittleEndian.Uint16(data) == 1
		case biffXF:
			if len(data) >= 4 {
				bk.xfFormat = append(bk.xfFormat, binary.LittleEndian.Uint16(data[2:]))
			}
		case biffFormat:
			if len(data) > 2 {
				r := &biffText{segs: [][]byte{data[2:]}, book: bk}
				if s, ok := r.str(bk.biff8, 1+b2i(bk.biff8)); ok {
					bk.formats[binary.LittleEndian.Uint16(data)] = s
				}
			}
		case biffBoundSheet:
			if len(data) < 7 {
				continue
			}
			sh := biffSheet{pos: int(binary.LittleEndian.Uint32(data)), kind: data[5]}
			r := &biffText{segs: [][]byte{data[6:]}, book: bk}
			sh.name, _ = r.str(bk.biff8, 1)
			bk.sheets = append(bk.sheets, sh)
		case biffSST:
			if len(data) >= 8 {
				sstSegs = [][]byte{data[8:]}
				inSST = true
			}
		}
		if typ == biffEOF {
			break
		}
	}
	if sstSegs != nil {
		bk.readSST(sstSegs)
	}
	x.doc.Meta.Pages = len(bk.sheets)
	if len(bk.sheets) == 0 {
		// A workbook without a sheet list: read the substream that
		// follows the globals as one unnamed sheet.
		bk.sheets = []biffSheet{{name: "Sheet1", pos: pos}}
	}
	seenHF := map[string]bool{}
	seenPos := map[int]bool{}
	// Sheets' substreams do not overlap: a record budget of one pass over
	// the stream stops sheet lists that point into each other.
	bk.records = len(wb)/4 + 1024
	for i, sh := range bk.sheets {
		if sh.kind != 0 || seenPos[sh.pos] {
			continue
		}
		seenPos[sh.pos] = true
		if err := bk.readSheet(wb, sh, i+1, seenHF); err != nil {
			return err
		}
		if bk.full {
			x.doc.Meta.Truncated = true
			break
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (bk *biffBook) encrypted(data []byte) error {
	how := "XOR obfuscation"
	if bk.biff8 && len(data) >= 4 && binary.LittleEndian.Uint16(data) == 1 {
		how = "RC4 encryption"
		if v := binary.LittleEndian.Uint16(data[2:]); v >= 2 {
			how = "RC4 CryptoAPI encryption"
		}
	}
	return needPassword("password-protected Excel workbook", how, bk.x.opts.Password)
}

// readSST reads the shared string table, whose strings may be split
// across CONTINUE records.
func (bk *biffBook) readSST(segs [][]byte) {
	total := 0
	for _, s := range segs {
		total += len(s)
	}
	r := &biffText{segs: segs, book: bk}
	bk.sst = make([]string, 0, min(total/3+1, 1<<20))
	for !r.done() {
		s, ok := r.str(true, 2)
		if !ok {
			break
		}
		bk.sst = append(bk.sst, s)
	}
}

type biffCell struct {
	row, col uint16
	text     string
}

// readSheet reads one worksheet substream at sh.pos and adds its rows.
func (bk *biffBook) readSheet(wb []byte, sh biffSheet, num int, seenHF map[string]bool) error {
	x := bk.x
	typ, _, pos, ok := biffRecord(wb, sh.pos)
	if !ok || typ != biffBOF {
		x.opts.Logger.Debug("xls sheet without BOF", "path", x.path, "sheet", sh.name)
		return nil
	}
	var (
		cells       []biffCell
		depth       = 1
		pending     = -1 // cell waiting for the STRING record of its formula
		header      []string
		perSheetCap = x.opts.MaxSheetCells - bk.cells
	)
	addCell := func(row, col uint16, text string) {
		if text = strings.TrimSpace(text); text == "" {
			return
		}
		if len(cells) >= perSheetCap {
			bk.full = true
			return
		}
		cells = append(cells, biffCell{row, col, text})
	}
	for depth > 0 && !bk.full {
		typ, data, next, ok := biffRecord(wb, pos)
		if !ok {
			break
		}
		pos = next
		if bk.records--; bk.records < 0 {
			bk.full = true
			break
		}
		switch typ {
		case biffBOF:
			depth++ // an embedded chart
			continue
		case biffEOF:
			depth--
			continue
		}
		if depth != 1 {
			continue
		}
		if typ != biffString && typ != biffContinue && typ != 0x04BC && typ != 0x0221 && typ != 0x0236 {
			pending = -1 // STRING follows its FORMULA, maybe after SHRFMLA/ARRAY/TABLE
		}
		if len(data) < 6 && typ != biffString && typ != biffHeader && typ != biffFooter {
			continue
		}
		var row, col uint16
		if len(data) >= 4 {
			row, col = binary.LittleEndian.Uint16(data), binary.LittleEndian.Uint16(data[2:])
		}
		switch typ {
		case biffLabelSST:
			if len(data) >= 10 {
				if i := int(binary.LittleEndian.Uint32(data[6:])); i >= 0 && i < len(bk.sst) {
					addCell(row, col, bk.sst[i])
				}
			}
		case biffLabel, biffRString:
			r := &biffText{segs: [][]byte{data[6:]}, book: bk}
			if s, ok := r.str(bk.biff8, 2); ok {
				addCell(row, col, s)
			}
		case biffNumber:
			if len(data) >= 14 {
				addCell(row, col, bk.number(math.Float64frombits(binary.LittleEndian.Uint64(data[6:])), binary.LittleEndian.Uint16(data[4:])))
			}
		case biffRK:
			if len(data) >= 10 {
				addCell(row, col, bk.number(rkValue(binary.LittleEndian.Uint32(data[6:])), binary.LittleEndian.Uint16(data[4:])))
			}
		case biffMulRK:
			for i := 4; i+6 <= len(data)-2; i += 6 {
				addCell(row, col, bk.number(rkValue(binary.LittleEndian.Uint32(data[i+2:])), binary.LittleEndian.Uint16(data[i:])))
				col++
			}
		case biffBoolErr:
			if len(data) >= 8 {
				addCell(row, col, boolErr(data[6], data[7]))
			}
		case biffFormula:
			if len(data) < 14 {
				continue
			}
			v := data[6:14]
			if binary.LittleEndian.Uint16(v[6:]) != 0xFFFF {
				addCell(row, col, bk.number(math.Float64frombits(binary.LittleEndian.Uint64(v)), binary.LittleEndian.Uint16(data[4:])))
				continue
			}
			switch v[0] {
			case 0: // string result in the STRING record that follows
				cells = append(cells, biffCell{row, col, ""})
				pending = len(cells) - 1
				if len(cells) > perSheetCap {
					bk.full = true
				}
			case 1:
				addCell(row, col, boolErr(v[2], 0))
			case 2:
				addCell(row, col, boolErr(v[2], 1))
			}
		case biffString:
			if pending < 0 || pending >= len(cells) {
				continue
			}
			segs := [][]byte{data}
			for p := pos; ; {
				t, d, n, ok := biffRecord(wb, p)
				if !ok || t != biffContinue {
					break
				}
				segs, p = append(segs, d), n
			}
			r := &biffText{segs: segs, book: bk}
			if s, ok := r.str(bk.biff8, 2); ok {
				cells[pending].text = strings.TrimSpace(s)
			}
			pending = -1
		case biffHeader, biffFooter:
			if len(data) == 0 {
				continue
			}
			cch := 1 + b2i(bk.biff8)
			r := &biffText{segs: [][]byte{data}, book: bk}
			if s, ok := r.str(bk.biff8, cch); ok {
				if s = headerFooterText(s); s != "" {
					header = append(header, s)
				}
			}
		}
	}
	bk.cells += len(cells)
	sort.SliceStable(cells, func(i, j int) bool {
		if cells[i].row != cells[j].row {
			return cells[i].row < cells[j].row
		}
		return cells[i].col < cells[j].col
	})
	heads := []string{sh.name}
	if sh.name == "" {
		heads = nil
	}
	rows := 0
	var line []string
	flush := func() error {
		if len(line) == 0 {
			return nil
		}
		rows++
		if rows > x.opts.MaxSheetRows {
			bk.full = true
			return nil
		}
		err := x.add(Block{Kind: KindSheetRow, Text: strings.Join(line, " | "), Page: num, Headings: heads})
		line = line[:0]
		return err
	}
	for i, c := range cells {
		if i > 0 && c.row != cells[i-1].row {
			if err := flush(); err != nil || bk.full {
				return err
			}
		}
		if c.text != "" {
			line = append(line, c.text)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var hf []string
	for _, h := range header {
		if !seenHF[h] {
			seenHF[h] = true
			hf = append(hf, h)
		}
	}
	if len(hf) > 0 {
		return x.add(Block{Kind: KindHeader, Text: strings.Join(hf, "\n"), Page: num, Headings: heads})
	}
	return nil
}

// biffText reads BIFF strings from a record and its CONTINUE records.
// A string's characters may break across records; the continuing record
// then starts with a fresh option byte saying whether the characters
// that follow are 8-bit or 16-bit.
type biffText struct {
	segs [][]byte
	seg  int
	off  int
	book *biffBook
}

func (r *biffText) done() bool {
	for r.seg < len(r.segs) && r.off >= len(r.segs[r.seg]) {
		r.seg, r.off = r.seg+1, 0
	}
	return r.seg >= len(r.segs)
}

// raw reads n bytes that do not restart across records (lengths, flags,
// formatting runs).
func (r *biffText) raw(n int) ([]byte, bool) {
	var out []byte
	for n > 0 {
		if r.done() {
			return out, false
		}
		s := r.segs[r.seg][r.off:]
		k := min(n, len(s))
		if out == nil && k == n {
			r.off += k
			return s[:k], true
		}
		out = append(out, s[:k]...)
		r.off += k
		n -= k
	}
	return out, true
}

func (r *biffText) skip(n int) bool {
	for n > 0 {
		if r.done() {
			return false
		}
		k := min(n, len(r.segs[r.seg])-r.off)
		r.off += k
		n -= k
	}
	return true
}

// str reads a string: a 1- or 2-byte character count, then (BIFF8) an
// option byte and the optional run and extension sizes, the characters,
// and the runs and extension data to skip. BIFF5 strings are 8-bit in
// the workbook's code page.
func (r *biffText) str(biff8 bool, cchSize int) (string, bool) {
	h, ok := r.raw(cchSize)
	if !ok {
		return "", false
	}
	cch := int(h[0])
	if cchSize == 2 {
		cch = int(binary.LittleEndian.Uint16(h))
	}
	if !biff8 {
		b, ok := r.raw(cch)
		return decodeCodepage(b, r.book.codepage), ok
	}
	fl, ok := r.raw(1)
	if !ok {
		return "", cch == 0
	}
	flags := fl[0]
	runs, ext := 0, 0
	if flags&0x08 != 0 {
		b, ok := r.raw(2)
		if !ok {
			return "", false
		}
		runs = int(binary.LittleEndian.Uint16(b))
	}
	if flags&0x04 != 0 {
		b, ok := r.raw(4)
		if !ok {
			return "", false
		}
		ext = int(binary.LittleEndian.Uint32(b))
	}
	s, ok := r.chars(cch, flags&0x01 != 0)
	if !ok {
		return s, false
	}
	// Formatting runs and phonetic data are not text to index; a
	// truncated tail of them still leaves the string itself whole.
	r.skip(4 * runs)
	if ext > 0 {
		r.skip(ext)
	}
	return s, true
}

func (r *biffText) chars(n int, high bool) (string, bool) {
	var sb strings.Builder
	for n > 0 {
		if r.seg >= len(r.segs) {
			return sb.String(), false
		}
		if r.off >= len(r.segs[r.seg]) {
			r.seg, r.off = r.seg+1, 0
			if r.seg >= len(r.segs) || len(r.segs[r.seg]) == 0 {
				return sb.String(), false
			}
			// the option byte that restarts a continued string
			high = r.segs[r.seg][0]&0x01 != 0
			r.off = 1
			continue
		}
		s := r.segs[r.seg][r.off:]
		if high {
			k := min(n, len(s)/2)
			if k == 0 {
				r.off = len(r.segs[r.seg]) // a stray odd byte
				continue
			}
			sb.WriteString(utf16le(s[:2*k]))
			r.off += 2 * k
			n -= k
			continue
		}
		k := min(n, len(s))
		sb.WriteString(latin1(s[:k]))
		r.off += k
		n -= k
	}
	return sb.String(), true
}

func rkValue(rk uint32) float64 {
	var v float64
	if rk&0x02 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&0xFFFFFFFC) << 32)
	}
	if rk&0x01 != 0 {
		v /= 100
	}
	return v
}

func boolErr(v, isErr byte) string {
	if isErr == 0 {
		if v != 0 {
			return "TRUE"
		}
		return "FALSE"
	}
	switch v {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	}
	return ""
}

// number formats a cell value: dates and times (by the cell's number
// format) as ISO 8601, other numbers plainly with at most 15 significant
// digits, as Excel shows them.
func (bk *biffBook) number(v float64, ixfe uint16) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if int(ixfe) < len(bk.xfFormat) && bk.dateFormat(bk.xfFormat[ixfe]) && v >= 0 && v < 2958466 {
		return serialDate(v, bk.date1904)
	}
	return plainNumber(v)
}

func plainNumber(v float64) string {
	if r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64); err == nil {
		v = r
	}
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e-6 && a < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func serialDate(v float64, date1904 bool) string {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case v < 60: // before Excel's phantom 1900-02-29
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	if secs >= 86400 {
		days, secs = days+1, 0
	}
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	switch {
	case days == 0 && !date1904:
		return t.Format("15:04:05")
	case secs == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

// dateFormat reports whether number format ifmt shows a date or time.
func (bk *biffBook) dateFormat(ifmt uint16) bool {
	if d, ok := bk.isDate[ifmt]; ok {
		return d
	}
	var d bool
	if f, ok := bk.formats[ifmt]; ok {
		d = isDateFormat(f)
	} else {
		d = (ifmt >= 14 && ifmt <= 22) || (ifmt >= 27 && ifmt <= 36) || (ifmt >= 45 && ifmt <= 47) || (ifmt >= 50 && ifmt <= 58)
	}
	bk.isDate[ifmt] = d
	return d
}

// isDateFormat looks for date and time codes outside quoted text,
// escapes and bracketed colours, conditions and locales, in the first
// section of a number format.
func isDateFormat(f string) bool {
	for i := 0; i < len(f); i++ {
		switch c := f[i]; c {
		case '"':
			for i++; i < len(f) && f[i] != '"'; i++ {
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(f[i:], ']')
			if j < 0 {
				return false
			}
			switch strings.ToLower(f[i+1 : i+j]) {
			case "h", "hh", "m", "mm", "s", "ss":
				return true
			}
			i += j
		case ';':
			return false
		default:
			switch c | 0x20 {
			case 'd', 'm', 'y', 'h', 's':
				return true
			}
		}
	}
	return false
}

// headerFooterText drops the &-codes of a page header or footer (fonts,
// page numbers, section markers), keeping its literal text.
func headerFooterText(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '&' || i+1 >= len(s) {
			sb.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; {
		case c == '&':
			sb.WriteByte('&')
		case c == '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
			}
		case c >= '0' && c <= '9':
			for i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				i++
			}
		case c == 'K':
			i += min(6, len(s)-1-i)
		case c == 'L' || c == 'C' || c == 'R':
			sb.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(sb.String()), " ")
}
