package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// USEVocabFile is the vocabulary of the Universal Sentence Encoder lite
// as its TF.js release ships it: a JSON array of [piece, score] pairs.
const USEVocabFile = "vocab.json"

// useReserved is how many ids at the start of the vocabulary are
// reserved (unknown, <s>, </s>, three extra ids) and never matched.
const useReserved = 6

// useMaxPieces bounds the vocabulary a file may declare.
const useMaxPieces = 1 << 20

// USELite is the tokenizer of Google's Universal Sentence Encoder lite,
// an exact port of the one its TF.js release runs (tfjs-models
// universal-sentence-encoder): NFKC, "▁" in front and for every space,
// then the best segmentation into vocabulary pieces by summed score
// (a null score counts as 0), ties going to the later candidate. A code
// point no piece starts with becomes id 0; consecutive 0s merge into one.
// It adds no special tokens and is safe for concurrent use.
type USELite struct {
	pieces  *byteTrie
	scores  []float64 // by id
	inv     []string  // piece by id
	scratch sync.Pool
}

// LoadUSEVocab reads a USE-lite vocabulary file.
func LoadUSEVocab(path string) (*USELite, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load use-lite vocabulary: %w", err)
	}
	defer f.Close()
	t, err := FromUSEVocab(f)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return t, nil
}

// FromUSEVocab reads a USE-lite vocabulary: a JSON array of [piece,
// score] pairs whose index is the id.
func FromUSEVocab(r io.Reader) (*USELite, error) {
	var entries []useEntry
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&entries); err != nil {
		return nil, fmt.Errorf("decode use-lite vocabulary: %w", err)
	}
	if len(entries) <= useReserved || len(entries) > useMaxPieces {
		return nil, fmt.Errorf("use-lite vocabulary has %d pieces", len(entries))
	}
	t := &USELite{scores: make([]float64, len(entries)), inv: make([]string, len(entries))}
	// The reference builds its trie by inserting pieces in id order, so a
	// piece listed twice keeps its last id and score.
	last := make(map[string]int32, len(entries))
	for i, e := range entries {
		t.inv[i], t.scores[i] = e.piece, e.score
		if i < useReserved {
			continue
		}
		if e.piece == "" {
			return nil, fmt.Errorf("use-lite vocabulary: piece %d is empty", i)
		}
		last[e.piece] = int32(i)
	}
	keys := make([]string, 0, len(last))
	vals := make([]int32, 0, len(last))
	for k, v := range last {
		keys, vals = append(keys, k), append(vals, v)
	}
	t.pieces = newByteTrie(keys, vals)
	return t, nil
}

// useEntry is one [piece, score] pair; a null score is 0.
type useEntry struct {
	piece string
	score float64
}

func (e *useEntry) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("vocabulary entry %s is not a [piece, score] pair", truncateJSON(b))
	}
	if err := json.Unmarshal(pair[0], &e.piece); err != nil {
		return fmt.Errorf("vocabulary piece: %w", err)
	}
	var score *float64
	if err := json.Unmarshal(pair[1], &score); err != nil {
		return fmt.Errorf("vocabulary score of %q: %w", e.piece, err)
	}
	if score != nil {
		if math.IsNaN(*score) || math.IsInf(*score, 0) {
			return fmt.Errorf("vocabulary score of %q is not finite", e.piece)
		}
		e.score = *score
	}
	return nil
}

func truncateJSON(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// isUSEVocab reports whether the file at path looks like a USE-lite
// vocabulary (a JSON array) rather than, say, a BPE vocab.json (an
// object).
func isUSEVocab(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [64]byte
	n, _ := io.ReadFull(f, head[:])
	b := bytes.TrimLeft(head[:n], " \t\r\n\ufeff")
	return len(b) > 0 && b[0] == '['
}

// PadID implements Tokenizer: padding is masked out, so any id will do.
func (t *USELite) PadID() int64 { return 0 }

// VocabSize implements Tokenizer.
func (t *USELite) VocabSize() int { return len(t.inv) }

// TokenString implements Tokenizer.
func (t *USELite) TokenString(id int64) string {
	if id < 0 || id >= int64(len(t.inv)) {
		return ""
	}
	return t.inv[id]
}

// Encode implements Tokenizer. No special tokens are added; truncation
// keeps the first maxLen ids, as the model itself does.
func (t *USELite) Encode(text string, maxLen int) Encoding {
	return wrap(t.Split(text), nil, nil, maxLen)
}

// Count implements Tokenizer.
func (t *USELite) Count(text string) int {
	n := 0
	t.walk(text, func(Token) { n++ })
	return n
}

// Split implements Tokenizer. A token's span is the input it came from
// without surrounding white space; a token of white space only (a space,
// a line break) has an empty span where that white space starts, so the
// white space stays visible between tokens.
func (t *USELite) Split(text string) []Token {
	out := make([]Token, 0, len(text)/3+1)
	t.walk(text, func(tk Token) { out = append(out, tk) })
	return out
}

type useScratch struct {
	norm  []byte
	orig  []int32 // input offset of each normalized byte; -1 for the prefix
	best  []float64
	words []int32
	out   []usePiece
}

// usePiece is one token of the segmentation, in normalized bytes.
type usePiece struct {
	start, end int32
	id         int32
}

const useSpace = "\u2581"

func (t *USELite) walk(text string, emit func(Token)) {
	sc, _ := t.scratch.Get().(*useScratch)
	if sc == nil {
		sc = new(useScratch)
	}
	defer func() {
		if cap(sc.best) <= 1<<20 {
			t.scratch.Put(sc)
		}
	}()
	t.normalize(text, sc)
	if len(sc.norm) == 0 {
		return
	}
	t.segment(sc)
	prevStart, prevEnd := 0, 0
	for i := len(sc.out) - 1; i >= 0; i-- {
		p := sc.out[i]
		start, end := t.span(text, sc, int(p.start), int(p.end))
		start, end = max(start, prevStart), max(end, prevEnd)
		emit(Token{ID: int64(p.id), Start: start, End: end})
		prevStart, prevEnd = start, end
	}
}

// normalize applies NFKC and the reference's whitespace rule: "▁" in
// front of a non-empty text and in place of every space (U+0020 only).
func (t *USELite) normalize(text string, sc *useScratch) {
	out, orig := sc.norm[:0], sc.orig[:0]
	var it norm.Iter
	it.InitString(norm.NFKC, text)
	for !it.Done() {
		at := int32(it.Pos())
		seg := it.Next()
		if len(seg) == 0 {
			continue
		}
		if len(out) == 0 {
			out = append(out, useSpace...)
			orig = append(orig, -1, -1, -1)
		}
		for _, c := range seg {
			if c == ' ' {
				out = append(out, useSpace...)
				orig = append(orig, at, at, at)
				continue
			}
			out = append(out, c)
			orig = append(orig, at)
		}
	}
	sc.norm, sc.orig = out, orig
}

// segment runs the reference's lattice search over sc.norm and leaves
// the tokens in sc.out, last first. Scores are summed in double
// precision and compared the way the reference does: an end offset
// whose best score is still exactly 0 takes any candidate, otherwise a
// candidate at least as good replaces the best, and candidates arrive
// by ascending start offset.
func (t *USELite) segment(sc *useScratch) {
	text := sc.norm
	n := len(text)
	if cap(sc.best) < n+1 {
		sc.best, sc.words = make([]float64, n+1), make([]int32, n+1)
	}
	best, words := sc.best[:n+1], sc.words[:n+1]
	clear(best)
	clear(words)
	relax := func(end int, score float64, id int32) {
		if best[end] == 0 || score >= best[end] {
			best[end], words[end] = score, id
		}
	}
	for start := 0; start < n; {
		_, size := utf8.DecodeRune(text[start:])
		here := best[start]
		matched := false
		node := int32(0)
		for end := start; end < n; {
			if node = t.pieces.next(node, text[end]); node < 0 {
				break
			}
			end++
			if id := t.pieces.nodes[node].val; id >= 0 {
				relax(end, t.scores[id]+here, id)
				matched = true
			}
		}
		if !matched {
			// No piece starts here: the reference takes this one code
			// point as the unknown id with score 0.
			relax(start+size, here, 0)
		}
		start += size
	}
	// Walk back from the end; an unknown id stands for one code point.
	out := sc.out[:0]
	for end := n; end > 0; {
		id := words[end]
		var start int
		if id == 0 {
			_, size := utf8.DecodeLastRune(text[:end])
			start = end - size
		} else {
			start = end - len(t.inv[id])
		}
		if id == 0 && len(out) > 0 && out[len(out)-1].id == 0 {
			out[len(out)-1].start = int32(start)
		} else {
			out = append(out, usePiece{start: int32(start), end: int32(end), id: id})
		}
		end = start
	}
	sc.out = out
}

// span maps normalized bytes [b, e) to the input, leaving out the
// prefix and surrounding white space.
func (t *USELite) span(text string, sc *useScratch, b, e int) (int, int) {
	orig := sc.orig
	for b < e && orig[b] < 0 {
		b++
	}
	if b == e {
		// The prefix alone: an empty span where the text starts.
		if e < len(orig) {
			return int(orig[e]), int(orig[e])
		}
		return len(text), len(text)
	}
	start, end := int(orig[b]), len(text)
	for k := e; k < len(orig); k++ {
		if orig[k] > orig[e-1] {
			end = int(orig[k])
			break
		}
	}
	s := start
	for s < end {
		r, size := utf8.DecodeRuneInString(text[s:end])
		if !unicode.IsSpace(r) {
			break
		}
		s += size
	}
	if s == end {
		return start, start
	}
	for end > s {
		r, size := utf8.DecodeLastRuneInString(text[s:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= size
	}
	return s, end
}
