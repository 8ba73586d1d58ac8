package tokenizer

// Word is one pre-tokenized word: normalized text and its byte span in the
// input.
type Word struct {
	Text       string
	Start, End int
}

// Words runs only BERT's basic tokenizer (cleaning, CJK isolation,
// optional lowercasing and accent stripping, whitespace and punctuation
// split). Static word-vector models look these words up directly.
func Words(text string, opts Options) []Word {
	t := &WordPiece{opts: opts}
	var out []Word
	var w wordBuf
	t.basic(text, 0, len(text), &w, func(w *wordBuf) {
		out = append(out, Word{Text: string(w.text), Start: w.start[0], End: w.end[len(w.end)-1]})
	})
	return out
}

// IsPunct reports whether r is punctuation in BERT's sense (all
// non-alphanumeric ASCII symbols count).
func IsPunct(r rune) bool { return isPunct(r) }
