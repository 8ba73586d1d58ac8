package extract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"strings"
	"time"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// cfbFile holds the top-level streams of an OLE compound file that a
// legacy Office reader asked for, read whole (they are bounded by the
// file size, which Extract already capped).
type cfbFile struct {
	streams map[string][]byte
	names   map[string]bool // every top-level stream name
}

// errStreamRead marks a stream the compound file could not deliver,
// usually because the file is truncated.
var errStreamRead = errors.New("stream read failed")

// openCFB reads the named top-level streams. A missing stream is simply
// absent from the map; a stream that cannot be read fails the file.
func (x *extraction) openCFB(format string, want ...string) (*cfbFile, error) {
	doc, err := mscfb.New(x.f)
	if err != nil {
		return nil, fail(ErrCorrupt, fmt.Sprintf("corrupt .%s: truncated or damaged OLE compound file", format), err)
	}
	cf := &cfbFile{streams: map[string][]byte{}, names: map[string]bool{}}
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[w] = true
	}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		if len(e.Path) != 0 {
			continue // inside a storage: embedded objects, not this document
		}
		cf.names[e.Name] = true
		if !wanted[e.Name] || cf.streams[e.Name] != nil {
			continue
		}
		limit := min(e.Size, x.size, x.opts.MaxFileSize)
		b, rerr := io.ReadAll(io.LimitReader(e, limit))
		if rerr != nil || int64(len(b)) < limit {
			if e.Name == "SummaryInformation" || e.Name == "Current User" {
				continue // metadata, or an index with a fallback: the text may still be whole
			}
			cause := rerr
			if cause == nil {
				cause = io.ErrUnexpectedEOF
			}
			return nil, fail(ErrCorrupt, fmt.Sprintf("corrupt .%s: stream %q is truncated or unreadable", format, e.Name), errors.Join(errStreamRead, cause))
		}
		cf.streams[e.Name] = b
	}
	return cf, nil
}

// guardLegacy runs a binary Office reader and turns a panic (a bug on
// input no bounds check foresaw) into a per-file corrupt-file failure.
func (x *extraction) guardLegacy(format string, read func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			x.opts.Logger.Debug("legacy office reader panic recovered", "path", x.path, "format", format, "panic", r, "stack", string(debug.Stack()))
			err = failf(ErrCorrupt, "corrupt .%s: malformed structure (%v)", format, r)
		}
	}()
	return read()
}

// summaryInfo copies title, subject, author and dates from the
// "\x05SummaryInformation" property set, when present and well formed.
func (x *extraction) summaryInfo(b []byte) {
	if len(b) < 48 || binary.LittleEndian.Uint16(b) != 0xFFFE {
		return
	}
	if binary.LittleEndian.Uint32(b[24:]) == 0 {
		return
	}
	off := int(binary.LittleEndian.Uint32(b[44:]))
	if off < 0 || off+8 > len(b) {
		return
	}
	sec := b[off:]
	n := int(binary.LittleEndian.Uint32(sec[4:]))
	if n > 1000 || 8+8*n > len(sec) {
		return
	}
	codepage := 1252
	type prop struct{ id, off int }
	props := make([]prop, 0, n)
	for i := range n {
		p := prop{int(binary.LittleEndian.Uint32(sec[8+8*i:])), int(binary.LittleEndian.Uint32(sec[12+8*i:]))}
		if p.off < 0 || p.off+8 > len(sec) {
			continue
		}
		if p.id == 1 && binary.LittleEndian.Uint16(sec[p.off:]) == 2 { // VT_I2 codepage
			codepage = int(binary.LittleEndian.Uint16(sec[p.off+4:]))
		}
		props = append(props, p)
	}
	str := func(v []byte) string {
		typ := binary.LittleEndian.Uint16(v)
		n := int(binary.LittleEndian.Uint32(v[4:]))
		switch typ {
		case 0x1E: // VT_LPSTR
			if n < 0 || 8+n > len(v) {
				return ""
			}
			raw := v[8 : 8+n]
			if codepage == 1200 {
				return strings.TrimRight(utf16le(raw), "\x00")
			}
			return strings.TrimSpace(strings.TrimRight(decodeCodepage(raw, codepage), "\x00"))
		case 0x1F: // VT_LPWSTR
			if n < 0 || 8+2*n > len(v) {
				return ""
			}
			return strings.TrimSpace(strings.TrimRight(utf16le(v[8:8+2*n]), "\x00"))
		}
		return ""
	}
	filetime := func(v []byte) time.Time {
		if binary.LittleEndian.Uint16(v) != 0x40 || len(v) < 12 {
			return time.Time{}
		}
		ft := binary.LittleEndian.Uint64(v[4:])
		// 100 ns ticks since 1601; plausible dates only.
		const epochDiff = 116444736000000000
		if ft < epochDiff || ft-epochDiff > math.MaxInt64/100 {
			return time.Time{}
		}
		return time.Unix(0, int64(ft-epochDiff)*100).UTC()
	}
	for _, p := range props {
		v := sec[p.off:]
		switch p.id {
		case 2, 3, 4:
			if s := str(v); s != "" {
				x.setMeta(map[int]string{2: "title", 3: "subject", 4: "creator"}[p.id], s)
			}
		case 12:
			if t := filetime(v); !t.IsZero() {
				x.doc.Meta.Created = t
			}
		case 13:
			if t := filetime(v); !t.IsZero() {
				x.doc.Meta.Modified = t
			}
		}
	}
}

// codepageEncoding maps a Windows code page number to its decoder; nil
// means Latin-1 style byte-to-rune.
func codepageEncoding(cp int) encoding.Encoding {
	var label string
	switch cp {
	case 1252, 0, 32769:
		return charmap.Windows1252
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	case 852:
		return charmap.CodePage852
	case 866:
		return charmap.CodePage866
	case 874:
		return charmap.Windows874
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 10000:
		return charmap.Macintosh
	case 932:
		label = "shift_jis"
	case 936:
		label = "gbk"
	case 949:
		label = "euc-kr"
	case 950:
		label = "big5"
	case 28591:
		return charmap.ISO8859_1
	case 65001:
		return unicode.UTF8
	default:
		return charmap.Windows1252
	}
	enc, _ := lookupCharset(label)
	if enc == nil {
		return charmap.Windows1252
	}
	return enc
}

// decodeCodepage decodes 8-bit (or DBCS) text in a Windows code page.
func decodeCodepage(b []byte, cp int) string {
	return decodeWith(codepageEncoding(cp), b)
}

// latin1 decodes bytes whose UTF-16 high byte was left out ("compressed"
// strings in BIFF8 and PowerPoint text bytes).
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// codepageForLID maps a Windows language id to its ANSI code page, for
// formats (Word 6/95) that store 8-bit text in the author's code page.
func codepageForLID(lid uint16) int {
	switch lid & 0x3FF { // primary language
	case 0x02, 0x19, 0x22, 0x23, 0x2F, 0x3F, 0x40, 0x44, 0x50, 0x6D: // bg ru uk be mk kk ky tt mn ba
		return 1251
	case 0x1A: // hr/sr/bs: Serbian Cyrillic sublanguages use 1251
		if lid == 0x0C1A || lid == 0x1C1A || lid == 0x201A {
			return 1251
		}
		return 1250
	case 0x05, 0x0E, 0x15, 0x18, 0x1B, 0x1C, 0x24: // cs hu pl ro sk sq sl
		return 1250
	case 0x08:
		return 1253
	case 0x1F, 0x2C, 0x43: // tr az uz
		return 1254
	case 0x0D:
		return 1255
	case 0x01, 0x20, 0x29: // ar ur fa
		return 1256
	case 0x25, 0x26, 0x27: // et lv lt
		return 1257
	case 0x2A:
		return 1258
	case 0x1E:
		return 874
	case 0x11:
		return 932
	case 0x12:
		return 949
	case 0x04:
		if lid == 0x0404 || lid == 0x0C04 || lid == 0x1404 {
			return 950
		}
		return 936
	}
	return 1252
}
