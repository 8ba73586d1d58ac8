package extract

import (
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// readRTF runs a small RTF tokenizer: groups, control words, \uN unicode
// escapes (honouring \ucN), \'hh bytes in the document or font code page,
// and skips non-text destinations (font and colour tables, pictures,
// field instructions, \* destinations).
func readRTF(x *extraction) error {
	b, err := x.readAll()
	if err != nil {
		return err
	}
	r := &rtfReader{src: b, fontCP: map[int]int{}}
	r.state = rtfState{uc: 1}
	r.codepage = 1252
	if err := r.run(x); err != nil {
		return err
	}
	r.flushBytes()
	if t := strings.TrimSpace(r.title.String()); t != "" {
		x.doc.Title = t
	}
	if a := strings.TrimSpace(r.author.String()); a != "" {
		x.doc.Meta.Author = a
	}
	return x.addParagraphs(r.out.String(), KindParagraph, 0, nil)
}

type rtfState struct {
	skip    bool // inside an ignored destination
	uc      int  // bytes to skip after \uN
	font    int
	dest    string // "title", "author", "fonttbl" or ""
	fontNum int    // font being defined inside the font table
}

type rtfReader struct {
	src      []byte
	pos      int
	state    rtfState
	stack    []rtfState
	out      strings.Builder
	title    strings.Builder
	author   strings.Builder
	pending  []byte // \'hh bytes awaiting decoding
	codepage int
	fontCP   map[int]int
	skipN    int // fallback characters to skip after \uN
}

var rtfSkipDest = map[string]bool{
	"fonttbl": false, "colortbl": true, "stylesheet": true, "pict": true, "object": true,
	"fldinst": true, "themedata": true, "colorschememapping": true, "datastore": true,
	"latentstyles": true, "listtable": true, "listoverridetable": true, "rsidtbl": true,
	"generator": true, "xmlnstbl": true, "mmathPr": true, "revtbl": true, "filetbl": true,
	"operator": true, "company": true, "category": true, "keywords": true, "comment": true,
	"doccomm": true, "bkmkstart": true, "bkmkend": true, "shppict": true, "nonshppict": true,
	"objdata": true, "passwordhash": true, "userprops": true, "wgrffmtfilter": true,
	"pgdsctbl": true, "info": false, "header": false, "footer": false, "footnote": false,
}

func (r *rtfReader) writeText(s string) {
	if r.skipN > 0 {
		// Skip the ANSI fallback of a \uN escape.
		n := 0
		for i := range s {
			if n == r.skipN {
				s = s[i:]
				r.skipN = 0
				break
			}
			n++
		}
		if r.skipN > 0 {
			r.skipN -= n
			return
		}
	}
	if r.state.skip {
		return
	}
	switch r.state.dest {
	case "title":
		r.title.WriteString(s)
	case "author":
		r.author.WriteString(s)
	case "fonttbl", "info":
	default:
		r.out.WriteString(s)
	}
}

func (r *rtfReader) flushBytes() {
	if len(r.pending) == 0 {
		return
	}
	cp := r.codepage
	if c, ok := r.fontCP[r.state.font]; ok {
		cp = c
	}
	b := r.pending
	r.pending = r.pending[:0]
	r.writeText(decodeWith(codePage(cp), b))
}

func codePage(cp int) encoding.Encoding {
	switch cp {
	case 932:
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
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
	}
	return charmap.Windows1252
}

// charsetCP maps RTF \fcharset values to Windows code pages.
var charsetCP = map[int]int{
	0: 1252, 77: 10000, 128: 932, 129: 949, 134: 936, 136: 950, 161: 1253, 162: 1254,
	163: 1258, 177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250, 255: 437,
}

func (r *rtfReader) run(x *extraction) error {
	src := r.src
	for r.pos < len(src) {
		if r.pos&0xffff == 0 {
			if err := x.ctx.Err(); err != nil {
				return err
			}
		}
		c := src[r.pos]
		switch c {
		case '{':
			r.flushBytes()
			r.stack = append(r.stack, r.state)
			r.pos++
			if len(r.stack) > 10000 {
				return failf(ErrCorrupt, "RTF groups nested too deeply")
			}
		case '}':
			r.flushBytes()
			if n := len(r.stack); n > 0 {
				r.state = r.stack[n-1]
				r.stack = r.stack[:n-1]
			}
			r.pos++
		case '\\':
			r.control()
		case '\r', '\n':
			r.pos++
		default:
			r.flushBytes()
			start := r.pos
			for r.pos < len(src) && src[r.pos] != '\\' && src[r.pos] != '{' && src[r.pos] != '}' && src[r.pos] != '\r' && src[r.pos] != '\n' {
				r.pos++
			}
			text := src[start:r.pos]
			if r.state.dest == "fonttbl" {
				continue
			}
			cp := r.codepage
			if fc, ok := r.fontCP[r.state.font]; ok {
				cp = fc
			}
			if cp == 1252 || isASCII(text) {
				r.writeText(decodeWith(charmap.Windows1252, text))
			} else {
				r.writeText(decodeWith(codePage(cp), text))
			}
		}
	}
	return nil
}

// control handles one control word or symbol at r.pos (a backslash).
func (r *rtfReader) control() {
	src := r.src
	r.pos++
	if r.pos >= len(src) {
		return
	}
	c := src[r.pos]
	if !isLetter(c) {
		r.pos++
		switch c {
		case '\'':
			if r.pos+2 <= len(src) {
				if v, err := strconv.ParseUint(string(src[r.pos:r.pos+2]), 16, 8); err == nil {
					r.pos += 2
					if r.skipN > 0 {
						r.skipN--
						return
					}
					r.pending = append(r.pending, byte(v))
					return
				}
			}
		case '*':
			r.state.skip = true
		case '~':
			r.flushBytes()
			r.writeText("\u00a0")
		case '_':
			r.flushBytes()
			r.writeText("-")
		case '-':
		case '\\', '{', '}':
			r.flushBytes()
			r.writeText(string(c))
		case '\r', '\n':
			r.flushBytes()
			r.writeText("\n\n")
		}
		return
	}
	r.flushBytes()
	start := r.pos
	for r.pos < len(src) && isLetter(src[r.pos]) {
		r.pos++
	}
	word := string(src[start:r.pos])
	hasArg := false
	arg := 0
	if r.pos < len(src) && (src[r.pos] == '-' || isDigit(src[r.pos])) {
		s := r.pos
		r.pos++
		for r.pos < len(src) && isDigit(src[r.pos]) && r.pos-s < 11 {
			r.pos++
		}
		arg, _ = strconv.Atoi(string(src[s:r.pos]))
		hasArg = true
	}
	if r.pos < len(src) && src[r.pos] == ' ' {
		r.pos++
	}
	if skip, ok := rtfSkipDest[word]; ok {
		if skip {
			r.state.skip = true
		} else {
			r.state.dest = word
		}
		return
	}
	switch word {
	case "title", "author":
		if r.state.dest == "info" {
			r.state.dest = word
		}
	case "par", "sect", "page":
		r.writeText("\n\n")
	case "line":
		r.writeText("\n")
	case "tab":
		r.writeText("\t")
	case "cell":
		r.writeText(" | ")
	case "row":
		r.writeText("\n")
	case "emdash":
		r.writeText("—")
	case "endash":
		r.writeText("–")
	case "bullet":
		r.writeText("•")
	case "lquote":
		r.writeText("‘")
	case "rquote":
		r.writeText("’")
	case "ldblquote":
		r.writeText("“")
	case "rdblquote":
		r.writeText("”")
	case "uc":
		if hasArg && arg >= 0 && arg < 10 {
			r.state.uc = arg
		}
	case "u":
		if hasArg {
			if arg < 0 {
				arg += 65536
			}
			r.writeText(string(rune(arg)))
			r.skipN = r.state.uc
		}
	case "ansicpg":
		if hasArg && arg > 0 {
			r.codepage = arg
		}
	case "f":
		if r.state.dest == "fonttbl" {
			r.state.fontNum = arg
		} else {
			r.state.font = arg
		}
	case "fcharset":
		if r.state.dest == "fonttbl" {
			if cp, ok := charsetCP[arg]; ok {
				r.fontCP[r.state.fontNum] = cp
			}
		}
	case "bin":
		if hasArg && arg > 0 {
			r.pos = min(len(src), r.pos+arg)
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
