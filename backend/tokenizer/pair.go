package tokenizer

// EncodePair implements PairEncoder: [CLS] a [SEP] b [SEP], with segment 0
// up to and including the first [SEP] and segment 1 after it.
func (t *WordPiece) EncodePair(a, b string, maxLen int) Encoding {
	ta, tb := t.Split(a), t.Split(b)
	na, nb, cut := truncatePair(len(ta), len(tb), maxLen)
	ta, tb = ta[:na], tb[:nb]

	n := len(ta) + len(tb) + 3
	enc := Encoding{
		IDs: make([]int64, 0, n), Offsets: make([][2]int, 0, n), TypeIDs: make([]int64, 0, n),
		Truncated: cut,
	}
	add := func(id int64, span [2]int, typ int64) {
		enc.IDs = append(enc.IDs, id)
		enc.Offsets = append(enc.Offsets, span)
		enc.TypeIDs = append(enc.TypeIDs, typ)
	}
	add(t.cls, [2]int{}, 0)
	for _, tk := range ta {
		add(tk.ID, [2]int{tk.Start, tk.End}, 0)
	}
	add(t.sep, endSpan(ta), 0)
	for _, tk := range tb {
		add(tk.ID, [2]int{tk.Start, tk.End}, 1)
	}
	add(t.sep, endSpan(tb), 1)
	return enc
}

func endSpan(toks []Token) [2]int {
	if len(toks) == 0 {
		return [2]int{}
	}
	e := toks[len(toks)-1].End
	return [2]int{e, e}
}

// truncatePair returns how many tokens of each text to keep so that both
// and three special tokens fit in maxLen, the way Hugging Face's
// longest_first strategy does: the shorter text is kept whole when the
// longer one can give up the rest, and otherwise the two share the room
// equally (an odd token going to the second longest). maxLen <= 0 means no
// limit.
func truncatePair(na, nb, maxLen int) (int, int, bool) {
	if maxLen <= 0 || na+nb+3 <= maxLen {
		return na, nb, false
	}
	room := max(maxLen-3, 0)
	short, long := na, nb
	swap := na > nb
	if swap {
		short, long = nb, na
	}
	if short > room {
		long = short
	} else {
		long = max(short, room-short)
	}
	if short+long > room {
		short = room / 2
		long = short + room%2
	}
	if swap {
		short, long = long, short
	}
	return min(na, short), min(nb, long), true
}
