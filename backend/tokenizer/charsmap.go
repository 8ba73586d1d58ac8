package tokenizer

import (
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// spaceSymbol is what SentencePiece writes for a space (U+2581).
const spaceSymbol = "\u2581"

// charsMap is SentencePiece's precompiled normalization rules: a
// darts-clone double-array trie over input byte sequences whose values
// are offsets of NUL-terminated replacements in strs.
type charsMap struct {
	units []uint32
	strs  string
}

// parseCharsMap reads a precompiled_charsmap blob: a little-endian
// uint32 trie size in bytes, the trie, then the replacement strings. An
// empty blob means no rules (the "identity" normalization).
func parseCharsMap(b []byte) (*charsMap, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 4 {
		return nil, errors.New("precompiled charsmap: truncated header")
	}
	size := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if size%4 != 0 || uint64(size) > uint64(len(b)) || size == 0 {
		return nil, errors.New("precompiled charsmap: bad trie size")
	}
	m := &charsMap{units: make([]uint32, size/4), strs: string(b[size:])}
	for i := range m.units {
		m.units[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return m, nil
}

// longestPrefix returns the replacement for the longest rule that is a
// prefix of s and the number of bytes it covers, or 0 when no rule
// applies. It follows darts-clone's commonPrefixSearch.
func (m *charsMap) longestPrefix(s string) (string, int) {
	units := m.units
	pos := dartsOffset(units[0])
	best, bestLen := -1, 0
	for i := 0; i < len(s); i++ {
		c := uint32(s[i])
		pos ^= c
		if pos >= uint32(len(units)) {
			break
		}
		u := units[pos]
		if u&(1<<31|0xff) != c {
			break
		}
		pos ^= dartsOffset(u)
		if (u>>8)&1 == 1 {
			if pos >= uint32(len(units)) {
				break
			}
			best, bestLen = int(units[pos]&(1<<31-1)), i+1
		}
	}
	if best < 0 || best >= len(m.strs) {
		return "", 0
	}
	r := m.strs[best:]
	if j := strings.IndexByte(r, 0); j >= 0 {
		r = r[:j]
	}
	return r, bestLen
}

func dartsOffset(u uint32) uint32 {
	return (u >> 10) << ((u & (1 << 9)) >> 6)
}

// spNormalizer applies a NormalizerSpec the way SentencePiece does,
// keeping for every output byte the input offset it came from.
type spNormalizer struct {
	rules       *charsMap // nil: no rules
	user        *byteTrie // user-defined symbols, copied verbatim
	dummyPrefix bool
	removeExtra bool
	escapeWS    bool
	wsSuffix    bool
}

// prefix normalizes the first unit of s: a user-defined symbol, the
// longest charsmap rule, or one character. Invalid UTF-8 costs one byte
// and becomes U+FFFD.
func (n *spNormalizer) prefix(s string) (string, int) {
	if n.user != nil {
		if l := n.user.longestPrefix(s); l > 0 {
			return s[:l], l
		}
	}
	if n.rules != nil {
		if r, l := n.rules.longestPrefix(s); l > 0 {
			return r, l
		}
	}
	r, l := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && l <= 1 {
		return "\uFFFD", 1
	}
	return s[:l], l
}

// normalize appends the normalized form of text to out and, for each
// output byte, the offset of the input unit it came from to orig;
// orig gets one more entry, the end of the consumed input.
func (n *spNormalizer) normalize(text string, out []byte, orig []int32) ([]byte, []int32) {
	out, orig = out[:0], orig[:0]
	if text == "" {
		return out, orig
	}
	consumed := 0
	if n.removeExtra {
		for text != "" {
			r, l := n.prefix(text)
			if r != " " {
				break
			}
			text = text[l:]
			consumed += l
		}
	}
	if text == "" {
		return out, orig
	}
	space := " "
	if n.escapeWS {
		space = spaceSymbol
	}
	addSpace := func() {
		out = append(out, space...)
		for range len(space) {
			orig = append(orig, int32(consumed))
		}
	}
	if !n.wsSuffix && n.dummyPrefix {
		addSpace()
	}
	prevSpace := n.removeExtra
	for text != "" {
		r, l := n.prefix(text)
		if prevSpace {
			r = strings.TrimLeft(r, " ")
		}
		if r != "" {
			for i := 0; i < len(r); i++ {
				if n.escapeWS && r[i] == ' ' {
					out = append(out, spaceSymbol...)
					orig = append(orig, int32(consumed), int32(consumed), int32(consumed))
				} else {
					out = append(out, r[i])
					orig = append(orig, int32(consumed))
				}
			}
			prevSpace = r[len(r)-1] == ' '
		}
		consumed += l
		text = text[l:]
		if !n.removeExtra {
			prevSpace = false
		}
	}
	if n.removeExtra {
		for len(out) >= len(space) && string(out[len(out)-len(space):]) == space {
			k := len(out) - len(space)
			consumed = int(orig[k])
			out, orig = out[:k], orig[:k]
		}
	}
	if n.wsSuffix && n.dummyPrefix {
		addSpace()
	}
	orig = append(orig, int32(consumed))
	return out, orig
}

// byteTrie maps byte strings to values; a node's children are stored
// next to each other, so a lookup scans a short run of labels.
type byteTrie struct {
	labels []byte
	nodes  []trieNode
	root   [256]int32 // child of the root per first byte, -1 if none
}

type trieNode struct {
	child uint32 // index of the first child
	n     uint16 // number of children
	// typ and score copy the piece's, for the segmenter's inner loop.
	typ   pieceType
	val   int32 // value ending here, or -1
	score float32
}

// newByteTrie builds a trie of keys, keys[i] having value vals[i].
func newByteTrie(keys []string, vals []int32) *byteTrie {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := strings.Compare(keys[a], keys[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	t := &byteTrie{}
	for i := range t.root {
		t.root[i] = -1
	}
	// The root is node 0; its children are found through t.root.
	t.nodes = append(t.nodes, trieNode{val: -1})
	t.labels = append(t.labels, 0)
	var build func(node, lo, hi, depth int)
	build = func(node, lo, hi, depth int) {
		// A duplicate key keeps the value of its first occurrence.
		for ; lo < hi && len(keys[idx[lo]]) == depth; lo++ {
			if t.nodes[node].val < 0 {
				t.nodes[node].val = vals[idx[lo]]
			}
		}
		// Allocate all children first so they sit side by side, then
		// fill each one in.
		first := len(t.nodes)
		var bounds []int
		for i := lo; i < hi; {
			c := keys[idx[i]][depth]
			bounds = append(bounds, i)
			t.nodes = append(t.nodes, trieNode{val: -1})
			t.labels = append(t.labels, c)
			if node == 0 {
				t.root[c] = int32(len(t.nodes) - 1)
			}
			for i < hi && keys[idx[i]][depth] == c {
				i++
			}
		}
		t.nodes[node].child = uint32(first)
		t.nodes[node].n = uint16(len(bounds))
		bounds = append(bounds, hi)
		for k := 0; k+1 < len(bounds); k++ {
			build(first+k, bounds[k], bounds[k+1], depth+1)
		}
	}
	build(0, 0, len(idx), 0)
	return t
}

// next returns the child of node labelled c, or -1.
func (t *byteTrie) next(node int32, c byte) int32 {
	if node == 0 {
		return t.root[c]
	}
	nd := &t.nodes[node]
	run := t.labels[nd.child : nd.child+uint32(nd.n)]
	for i, l := range run {
		if l == c {
			return int32(nd.child) + int32(i)
		}
	}
	return -1
}

// longestPrefix returns the length of the longest key that is a prefix
// of s, or 0.
func (t *byteTrie) longestPrefix(s string) int {
	best := 0
	node := int32(0)
	for i := 0; i < len(s); i++ {
		if node = t.next(node, s[i]); node < 0 {
			break
		}
		if t.nodes[node].val >= 0 {
			best = i + 1
		}
	}
	return best
}
