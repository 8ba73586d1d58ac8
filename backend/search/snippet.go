package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet sizes, in bytes of the chunk text.
const (
	snippetBytes   = 280
	snippetContext = 60
)

// makeSnippet cuts the part of text densest in query terms and marks every
// occurrence. Whitespace runs are collapsed to one space; an ellipsis
// shows where text was cut.
func makeSnippet(an *Analyzer, text string, query map[string]bool) Snippet {
	var hits []token
	for _, t := range an.Tokens(text) {
		if query[t.term] {
			hits = append(hits, t)
		}
	}
	start, end := 0, min(len(text), snippetBytes)
	if len(hits) > 0 {
		// The window starting at the hit that covers the most distinct
		// terms (then the most hits) within snippetBytes.
		best, bestDistinct, bestCount := 0, -1, -1
		for i := range hits {
			seen := map[string]bool{}
			n := 0
			for j := i; j < len(hits) && hits[j].end-hits[i].start <= snippetBytes-snippetContext; j++ {
				seen[hits[j].term] = true
				n++
			}
			if len(seen) > bestDistinct || (len(seen) == bestDistinct && n > bestCount) {
				best, bestDistinct, bestCount = i, len(seen), n
			}
		}
		start = max(0, hits[best].start-snippetContext)
		end = min(len(text), start+snippetBytes)
		if end == len(text) {
			start = max(0, end-snippetBytes)
		}
	}
	start, end = snapStart(text, start), snapEnd(text, end)

	var b strings.Builder
	var spans []Span
	u16 := 0
	if start > 0 {
		b.WriteString("… ")
		u16 += 2
	}
	h := 0
	for h < len(hits) && hits[h].start < start {
		h++
	}
	space := false
	open := -1 // UTF-16 offset where the current highlight began
	openEnd := 0
	flushSpace := func() {
		if space && b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
			u16++
		}
		space = false
	}
	for i := start; i < end; {
		// Overlapping hits (character bigrams) extend the open span.
		for open >= 0 && h < len(hits) && hits[h].start < openEnd && hits[h].end <= end {
			openEnd = max(openEnd, hits[h].end)
			h++
		}
		if open >= 0 && i >= openEnd {
			spans = append(spans, Span{Start: open, End: u16})
			open = -1
		}
		for h < len(hits) && hits[h].start < i {
			h++ // a hit cut by the window's edge
		}
		if open < 0 && h < len(hits) && hits[h].start == i && hits[h].end <= end {
			flushSpace()
			open, openEnd = u16, hits[h].end
			h++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if unicode.IsSpace(r) || r == utf8.RuneError && size <= 1 {
			space = true
			continue
		}
		flushSpace()
		b.WriteRune(r)
		u16 += utf16Len(r)
	}
	if open >= 0 {
		spans = append(spans, Span{Start: open, End: u16})
	}
	if end < len(text) {
		b.WriteString(" …")
	}
	if spans == nil {
		spans = []Span{}
	}
	return Snippet{Text: b.String(), Highlights: spans}
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// snapStart moves i forward to the start of a word (not past 24 bytes).
func snapStart(text string, i int) int {
	if i <= 0 {
		return 0
	}
	for !utf8.RuneStart(text[i]) {
		i++
	}
	for j := i; j < len(text) && j < i+24; {
		r, size := utf8.DecodeRuneInString(text[j:])
		if unicode.IsSpace(r) {
			return j + size
		}
		j += size
	}
	return i
}

// snapEnd moves i back to the end of a word (not past 24 bytes).
func snapEnd(text string, i int) int {
	if i >= len(text) {
		return len(text)
	}
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	for j := i; j > 0 && j > i-24; {
		r, size := utf8.DecodeLastRuneInString(text[:j])
		if unicode.IsSpace(r) {
			return j - size
		}
		j -= size
	}
	return i
}
