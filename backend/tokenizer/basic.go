package tokenizer

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// wordBuf holds one normalized word and, for each of its bytes, the byte
// span in the original text of the rune it came from.
type wordBuf struct {
	text  []byte
	start []int
	end   []int
}

func (w *wordBuf) reset() {
	w.text, w.start, w.end = w.text[:0], w.start[:0], w.end[:0]
}

func (w *wordBuf) appendRune(r rune, start, end int) {
	n := len(w.text)
	w.text = utf8.AppendRune(w.text, r)
	for range len(w.text) - n {
		w.start = append(w.start, start)
		w.end = append(w.end, end)
	}
}

// basic runs BERT's basic tokenizer over text[from:to]: clean, isolate CJK
// ideographs, strip accents, lowercase, split on whitespace and
// punctuation. Each finished word is passed to emit; w is reused.
func (t *WordPiece) basic(text string, from, to int, w *wordBuf, emit func(*wordBuf)) {
	flush := func() {
		if len(w.text) > 0 {
			emit(w)
			w.reset()
		}
	}
	var nbuf [16]byte
	var rbuf [8]rune
	for i := from; i < to; {
		r, size := utf8.DecodeRuneInString(text[i:to])
		start, end := i, i+size
		i = end
		if t.opts.CleanText && (r == 0 || r == utf8.RuneError || isControl(r)) {
			// A lone invalid byte decodes as RuneError too; both are dropped.
			continue
		}
		if isWhitespace(r) {
			flush()
			continue
		}
		if t.opts.ChineseChars && isCJK(r) {
			flush()
			w.appendRune(r, start, end)
			flush()
			continue
		}
		if r < utf8.RuneSelf {
			if t.opts.Lowercase && 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			t.addRune(w, r, start, end, flush)
			continue
		}
		runes := append(rbuf[:0], r)
		if t.opts.StripAccents {
			d := norm.NFD.AppendString(nbuf[:0], text[start:end])
			runes = runes[:0]
			for len(d) > 0 {
				c, n := utf8.DecodeRune(d)
				d = d[n:]
				if !unicode.Is(unicode.Mn, c) {
					runes = append(runes, c)
				}
			}
		}
		for _, c := range runes {
			if t.opts.Lowercase {
				c = unicode.ToLower(c)
			}
			t.addRune(w, c, start, end, flush)
		}
	}
	flush()
}

func (t *WordPiece) addRune(w *wordBuf, r rune, start, end int, flush func()) {
	if isPunct(r) {
		flush()
		w.appendRune(r, start, end)
		flush()
		return
	}
	w.appendRune(r, start, end)
}

func isWhitespace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// isControl matches the "other" categories (Cc, Cf, Co, Cs and unassigned)
// except the whitespace controls.
func isControl(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return !unicode.IsGraphic(r) && !unicode.In(r, unicode.Zl, unicode.Zp)
}

// isPunct treats all non-alphanumeric ASCII as punctuation, like BERT.
func isPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return r >= utf8.RuneSelf && unicode.IsPunct(r)
}

// isCJK reports CJK Unified Ideographs blocks; kana and hangul are not
// included, matching BERT.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}
