package tokenizer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"unicode/utf8"
)

// IDLayout says how the piece ids of a SentencePiece model map to the ids
// a transformer was trained with.
type IDLayout int

const (
	// LayoutSentencePiece keeps the model's own ids. Encode adds no
	// special tokens, as spm_encode does by default.
	LayoutSentencePiece IDLayout = iota
	// LayoutXLMR is the fairseq dictionary of XLM-RoBERTa and its
	// descendants: <s>=0, <pad>=1, </s>=2, <unk>=3, every other piece at
	// its SentencePiece id + 1 and <mask> after the last piece. Encode
	// wraps the text in <s> ... </s>.
	LayoutXLMR
)

// unkPenalty is how much less than the least likely piece an unknown
// character scores.
const unkPenalty = 10

// Unigram is a SentencePiece Unigram tokenizer: SentencePiece's own
// normalization, then the most likely segmentation into vocabulary
// pieces. Its ids match the SentencePiece library. It is safe for
// concurrent use.
type Unigram struct {
	norm spNormalizer
	// pieces maps normal, user-defined and unused pieces to their index.
	pieces   *byteTrie
	types    []pieceType
	ids      []int64 // model id of each piece
	unk      int32   // index of the unknown piece
	minScore float32
	maxScore float32
	// bytePieces holds the piece of each byte when unknown characters
	// fall back to bytes, -1 where missing; nil otherwise.
	bytePieces []int32

	inv            []string // token per model id
	specials       []special
	prefix, suffix []int64 // ids Encode puts around the text
	pad            int64

	scratch sync.Pool
}

// unigramSpec is everything needed to build a Unigram, whichever file it
// came from.
type unigramSpec struct {
	pieces       []spPiece
	ids          []int64 // nil: a piece's id is its index
	inv          []string
	norm         normSpec
	wsSuffix     bool
	byteFallback bool
	specials     []special
	prefix       []int64
	suffix       []int64
	pad          int64
}

func newUnigram(s unigramSpec) (*Unigram, error) {
	rules, err := parseCharsMap(s.norm.charsmap)
	if err != nil {
		return nil, err
	}
	t := &Unigram{
		norm: spNormalizer{
			rules: rules, dummyPrefix: s.norm.dummyPrefix, removeExtra: s.norm.removeExtra,
			escapeWS: s.norm.escapeWS, wsSuffix: s.wsSuffix,
		},
		types: make([]pieceType, len(s.pieces)),
		ids:   s.ids,
		unk:   -1,
		// The library starts from FLT_MAX and FLT_MIN (the least positive
		// normal float), and so must we: the maximum feeds the bonus of
		// user-defined pieces.
		minScore: math.MaxFloat32,
		maxScore: 0x1p-126,
		inv:      s.inv,
		specials: s.specials,
		prefix:   s.prefix,
		suffix:   s.suffix,
		pad:      s.pad,
	}
	if t.ids == nil {
		t.ids = make([]int64, len(s.pieces))
		for i := range t.ids {
			t.ids[i] = int64(i)
		}
	}
	var keys, user []string
	var vals, userVals []int32
	seen := make(map[string]bool, len(s.pieces))
	for i, p := range s.pieces {
		t.types[i] = p.typ
		if p.text == "" {
			return nil, fmt.Errorf("piece %d is empty", i)
		}
		switch p.typ {
		case pieceNormal, pieceUserDefined, pieceUnused:
			if seen[p.text] {
				return nil, fmt.Errorf("piece %q is defined twice", p.text)
			}
			seen[p.text] = true
			keys, vals = append(keys, p.text), append(vals, int32(i))
			if p.typ == pieceNormal {
				t.minScore = min(t.minScore, p.score)
				t.maxScore = max(t.maxScore, p.score)
			}
			if p.typ == pieceUserDefined {
				user, userVals = append(user, p.text), append(userVals, int32(i))
			}
		case pieceUnknown:
			if t.unk >= 0 {
				return nil, errors.New("more than one unknown piece")
			}
			t.unk = int32(i)
		case pieceByte:
			if !s.byteFallback {
				return nil, fmt.Errorf("byte piece %q without byte fallback", p.text)
			}
		}
	}
	if t.unk < 0 {
		return nil, errors.New("no unknown piece")
	}
	t.pieces = newByteTrie(keys, vals)
	for i := range t.pieces.nodes {
		if nd := &t.pieces.nodes[i]; nd.val >= 0 {
			nd.typ, nd.score = s.pieces[nd.val].typ, s.pieces[nd.val].score
		}
	}
	if len(user) > 0 {
		t.norm.user = newByteTrie(user, userVals)
	}
	if s.byteFallback {
		t.bytePieces = make([]int32, 256)
		for i := range t.bytePieces {
			t.bytePieces[i] = -1
		}
		for i, p := range s.pieces {
			var b byte
			if p.typ == pieceByte && len(p.text) == 6 {
				if _, err := fmt.Sscanf(p.text, "<0x%02X>", &b); err == nil {
					t.bytePieces[b] = int32(i)
				}
			}
		}
	}
	return t, nil
}

// FromSentencePiece reads a SentencePiece .model file. Only Unigram
// models are supported.
func FromSentencePiece(r io.Reader, layout IDLayout) (*Unigram, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read sentencepiece model: %w", err)
	}
	m, err := parseSPModel(b)
	if err != nil {
		return nil, err
	}
	if m.modelType != spModelUnigram {
		name := spModelNames[m.modelType]
		if name == "" {
			name = fmt.Sprint(m.modelType)
		}
		return nil, fmt.Errorf("sentencepiece model type %s (only UNIGRAM is implemented): %w", name, ErrUnsupported)
	}
	s := unigramSpec{pieces: m.pieces, norm: m.norm, wsSuffix: m.wsSuffix, byteFallback: m.byteFallback}
	switch layout {
	case LayoutXLMR:
		if err := xlmrLayout(&s); err != nil {
			return nil, err
		}
	default:
		s.inv = make([]string, len(m.pieces))
		for i, p := range m.pieces {
			s.inv[i] = p.text
		}
		s.pad = int64(m.padID)
		if m.padID < 0 || int(m.padID) >= len(m.pieces) {
			s.pad = int64(max(m.unkID, 0))
		}
	}
	t, err := newUnigram(s)
	if err != nil {
		return nil, fmt.Errorf("sentencepiece model: %w", err)
	}
	return t, nil
}

// xlmrLayout renumbers the pieces as fairseq's dictionary does and adds
// <pad> and <mask>, following transformers' XLMRobertaTokenizer.
func xlmrLayout(s *unigramSpec) error {
	fixed := map[string]int64{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
	n := len(s.pieces)
	if n < 3 || s.pieces[0].typ != pieceUnknown || s.pieces[1].text != "<s>" || s.pieces[2].text != "</s>" {
		return errors.New("sentencepiece model: not laid out as XLM-RoBERTa's (<unk>, <s>, </s> first)")
	}
	s.ids = make([]int64, n)
	s.inv = make([]string, n+2)
	for i, p := range s.pieces {
		id, ok := fixed[p.text]
		switch {
		case p.typ == pieceUnknown:
			id = 3
		case !ok:
			id = int64(i) + 1
		}
		s.ids[i] = id
		s.inv[id] = p.text
	}
	s.inv[1], s.inv[3], s.inv[n+1] = "<pad>", "<unk>", "<mask>"
	for _, name := range []string{"<s>", "<pad>", "</s>", "<unk>", "<mask>"} {
		id := fixed[name]
		if name == "<mask>" {
			id = int64(n + 1)
		}
		s.specials = append(s.specials, special{text: name, id: id})
	}
	s.prefix, s.suffix, s.pad = []int64{0}, []int64{2}, 1
	return nil
}

// PadID implements Tokenizer.
func (t *Unigram) PadID() int64 { return t.pad }

// VocabSize implements Tokenizer.
func (t *Unigram) VocabSize() int { return len(t.inv) }

// TokenString implements Tokenizer.
func (t *Unigram) TokenString(id int64) string {
	if id < 0 || id >= int64(len(t.inv)) {
		return ""
	}
	return t.inv[id]
}

// Encode implements Tokenizer. Truncation keeps the special tokens.
func (t *Unigram) Encode(text string, maxLen int) Encoding {
	return wrap(t.Split(text), t.prefix, t.suffix, maxLen)
}

// Count implements Tokenizer.
func (t *Unigram) Count(text string) int {
	n := 0
	t.walk(text, func(Token) { n++ })
	return n
}

// Split implements Tokenizer.
func (t *Unigram) Split(text string) []Token {
	out := make([]Token, 0, len(text)/3+1)
	t.walk(text, func(tk Token) { out = append(out, tk) })
	return out
}

// walk cuts text at verbatim special tokens and tokenizes each piece in
// between on its own, as Hugging Face and transformers do.
func (t *Unigram) walk(text string, emit func(Token)) {
	sc, _ := t.scratch.Get().(*unigramScratch)
	if sc == nil {
		sc = new(unigramScratch)
	}
	defer func() {
		// Keep buffers for ordinary texts, not for the odd huge one.
		if cap(sc.best) <= 1<<20 {
			t.scratch.Put(sc)
		}
	}()
	splitSpecials(text, t.specials, func(start, end int) { t.segment(text[start:end], start, sc, emit) }, emit)
}

type unigramScratch struct {
	norm []byte
	orig []int32
	best []bestPath
	path []pathPiece
	out  []pathPiece
}

// bestPath is the best segmentation of the normalized text up to one
// byte offset: its score, and its last piece.
type bestPath struct {
	score float32
	start int32 // where the last piece starts, -1 if none reaches here
	piece int32
}

// pathPiece is one piece of the chosen segmentation, in normalized bytes.
type pathPiece struct {
	start, end int32
	piece      int32
}

// segment tokenizes text, which starts at byte base of the input.
func (t *Unigram) segment(text string, base int, sc *unigramScratch, emit func(Token)) {
	sc.norm, sc.orig = t.norm.normalize(text, sc.norm, sc.orig)
	if len(sc.norm) == 0 {
		return
	}
	t.viterbi(sc)
	t.finish(sc)
	prevStart, prevEnd := 0, 0
	for _, p := range sc.out {
		start, end := t.span(text, sc.norm, sc.orig, int(p.start), int(p.end))
		// Spans never move backwards, even inside odd expansions.
		start, end = max(start, prevStart), max(end, prevEnd)
		emit(Token{ID: t.ids[p.piece], Start: base + start, End: base + end})
		prevStart, prevEnd = start, end
	}
}

// finish turns the segmentation in sc.path into output pieces in sc.out
// the way the library reports them: a run of unknown characters becomes
// one unknown piece, or, with byte fallback, one byte piece per UTF-8
// byte, each spanning the whole character.
func (t *Unigram) finish(sc *unigramScratch) {
	path, out := sc.path, sc.out[:0]
	for i := 0; i < len(path); i++ {
		p := path[i]
		switch {
		case p.piece != t.unk:
		case t.bytePieces == nil:
			for i+1 < len(path) && path[i+1].piece == t.unk {
				i++
				p.end = path[i].end
			}
		default:
			for _, c := range sc.norm[p.start:p.end] {
				bp := p
				if b := t.bytePieces[c]; b >= 0 {
					bp.piece = b
				}
				out = append(out, bp)
			}
			continue
		}
		out = append(out, p)
	}
	sc.out = out
}

// viterbi finds the most likely segmentation of sc.norm into pieces and
// leaves it in sc.path. Like the library's optimized encoder it keeps
// only the best path ending at each offset, walking the piece trie from
// every character, and it rounds and compares scores exactly as the
// library does so that ties break the same way.
func (t *Unigram) viterbi(sc *unigramScratch) {
	norm := sc.norm
	size := len(norm)
	if cap(sc.best) < size+1 {
		sc.best = make([]bestPath, size+1)
	}
	best := sc.best[:size+1]
	for i := range best {
		best[i] = bestPath{start: -1, piece: -1}
	}
	best[0].start = 0
	unkScore := t.minScore - unkPenalty
	for start := 0; start < size; {
		here := best[start].score
		charLen := min(oneCharLen(norm[start]), size-start)
		single := false
		node := int32(0)
		for end := start; end < size; {
			if node = t.pieces.next(node, norm[end]); node < 0 {
				break
			}
			end++
			nd := &t.pieces.nodes[node]
			if nd.val < 0 || nd.typ == pieceUnused {
				continue
			}
			length := end - start
			// Scores are float32, but the library sums a piece's score
			// and the path's in double precision before storing it back.
			score := float64(nd.score)
			if nd.typ == pieceUserDefined {
				// User-defined pieces get a bonus so they always win.
				score = float64(float32(length)*t.maxScore) - 0.1
			}
			cand := score + float64(here)
			if b := &best[end]; b.start < 0 || cand > float64(b.score) {
				*b = bestPath{score: float32(cand), start: int32(start), piece: nd.val}
			}
			if length == charLen {
				single = true
			}
		}
		if !single {
			cand := unkScore + here
			if b := &best[start+charLen]; b.start < 0 || cand > b.score {
				*b = bestPath{score: cand, start: int32(start), piece: t.unk}
			}
		}
		start += charLen
	}
	path := sc.path[:0]
	for end := size; end > 0; {
		b := best[end]
		path = append(path, pathPiece{start: b.start, end: int32(end), piece: b.piece})
		end = int(b.start)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	sc.path = path
}

var (
	spaceBytes = []byte(spaceSymbol)
	spaceByte  = []byte(" ")
)

// oneCharLen is the library's UTF-8 length from a leading byte.
func oneCharLen(c byte) int {
	return int("\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x02\x02\x03\x04"[c>>4])
}

// span maps normalized bytes [b, e) back to the input. Space symbols at
// either end are left out, so a word's span is the word. Pieces cut from
// one input character (a ligature, a decomposed syllable) all get that
// character's whole span, and a piece of spaces only shares the span of
// the character it is attached to.
func (t *Unigram) span(text string, norm []byte, orig []int32, b, e int) (int, int) {
	space := spaceBytes
	if !t.norm.escapeWS {
		space = spaceByte
	}
	wb, we := b, e
	for wb < we && bytes.HasPrefix(norm[wb:we], space) {
		wb += len(space)
	}
	for wb < we && bytes.HasSuffix(norm[wb:we], space) {
		we -= len(space)
	}
	switch {
	case wb < we:
		return int(orig[wb]), unitEnd(text, orig, we-1)
	case t.norm.wsSuffix && b > 0 && !bytes.HasSuffix(norm[:b], space):
		return int(orig[b-1]), unitEnd(text, orig, b-1)
	case !t.norm.wsSuffix && e < len(norm) && !bytes.HasPrefix(norm[e:], space):
		return int(orig[e]), unitEnd(text, orig, e)
	}
	return int(orig[e]), int(orig[e])
}

// unitEnd is the end in the input of the unit normalized byte k came from.
func unitEnd(text string, orig []int32, k int) int {
	at := orig[k]
	for j := k + 1; j < len(orig); j++ {
		if orig[j] > at {
			return int(orig[j])
		}
	}
	_, l := utf8.DecodeRuneInString(text[at:])
	return int(at) + l
}
