// Package tokenizer turns text into the token ids a transformer embedding
// model expects. It implements the BERT WordPiece scheme and SentencePiece's
// Unigram model in pure Go so that ids match the reference Hugging Face
// and SentencePiece tokenizers exactly, and it reports where each token
// came from in the input so chunkers can cut on token boundaries.
package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsupported is returned for tokenizer files describing a scheme this
// package does not implement (for example SentencePiece BPE).
var ErrUnsupported = errors.New("unsupported tokenizer")

// Token is one model token and the byte span of the input it came from.
// Special tokens added by Encode have an empty span at the start or end.
type Token struct {
	ID    int64
	Start int
	End   int
}

// Encoding is a tokenized input ready for a model: ids including special
// tokens, after truncation.
type Encoding struct {
	IDs []int64
	// Offsets holds the byte span in the input of each id; special tokens
	// have Start == End.
	Offsets [][2]int
	// TypeIDs holds the segment of each id for a pair (0 for the first
	// text, 1 for the second); nil means every id is in segment 0.
	TypeIDs []int64
	// Truncated reports that tokens were dropped to fit the length limit.
	Truncated bool
}

// PairEncoder is a tokenizer that can encode two texts as one input, as
// cross-encoders read a query and a passage.
type PairEncoder interface {
	// EncodePair tokenizes a and b, joins them with the model's special
	// tokens and keeps at most maxLen ids, trimming the longer text first
	// (Hugging Face's "longest_first"). Offsets are into each id's own
	// text.
	EncodePair(a, b string, maxLen int) Encoding
}

// Tokenizer is what embedders and chunkers need from any tokenizer.
type Tokenizer interface {
	// Encode tokenizes text, adds the model's special tokens and keeps at
	// most maxLen ids (maxLen <= 0 means no limit).
	Encode(text string, maxLen int) Encoding
	// Split tokenizes text without special tokens or truncation.
	Split(text string) []Token
	// Count returns the number of tokens Split would return.
	Count(text string) int
	// PadID is the id used to pad a batch.
	PadID() int64
	// VocabSize is the number of ids the tokenizer can produce.
	VocabSize() int
	// TokenString returns the vocabulary entry for id, or "" if unknown.
	TokenString(id int64) string
}

// Load reads the tokenizer in a model directory: tokenizer.json when
// present, otherwise vocab.txt with tokenizer_config.json, otherwise the
// Universal Sentence Encoder lite's vocab.json (an array of [piece,
// score] pairs), otherwise XLM-RoBERTa's sentencepiece.bpe.model.
func Load(dir string) (Tokenizer, error) {
	tj := filepath.Join(dir, "tokenizer.json")
	if f, err := os.Open(tj); err == nil {
		defer f.Close()
		t, err := FromTokenizerJSON(f)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", tj, err)
		}
		return t, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	vt := filepath.Join(dir, "vocab.txt")
	f, err := os.Open(vt)
	if errors.Is(err, os.ErrNotExist) {
		if uv := filepath.Join(dir, USEVocabFile); isUSEVocab(uv) {
			t, err := LoadUSEVocab(uv)
			if err != nil {
				return nil, err
			}
			return t, nil
		}
		return loadXLMR(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	defer f.Close()
	opts := DefaultOptions()
	if err := readTokenizerConfig(filepath.Join(dir, "tokenizer_config.json"), &opts); err != nil {
		return nil, err
	}
	t, err := FromVocab(f, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", vt, err)
	}
	return t, nil
}

// loadXLMR reads the SentencePiece model XLM-RoBERTa checkpoints ship
// (a Unigram model despite its name) with the fairseq id layout.
func loadXLMR(dir string) (Tokenizer, error) {
	p := filepath.Join(dir, "sentencepiece.bpe.model")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: no tokenizer.json, vocab.txt or sentencepiece.bpe.model in %s: %w", dir, err)
	}
	defer f.Close()
	t, err := FromSentencePiece(f, LayoutXLMR)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", p, err)
	}
	return t, nil
}

// wrap puts the special ids prefix and suffix around toks, dropping tokens
// from the end so that at most maxLen ids remain (maxLen <= 0: no limit).
// Prefix ids get an empty span at the start, suffix ids one at the end of
// the last token.
func wrap(toks []Token, prefix, suffix []int64, maxLen int) Encoding {
	extra := len(prefix) + len(suffix)
	var enc Encoding
	if maxLen > 0 && len(toks)+extra > maxLen {
		keep := max(maxLen-extra, 0)
		enc.Truncated = len(toks) > keep
		toks = toks[:keep]
	}
	n := len(toks) + extra
	enc.IDs = make([]int64, 0, n)
	enc.Offsets = make([][2]int, 0, n)
	for _, id := range prefix {
		enc.IDs = append(enc.IDs, id)
		enc.Offsets = append(enc.Offsets, [2]int{0, 0})
	}
	for _, tk := range toks {
		enc.IDs = append(enc.IDs, tk.ID)
		enc.Offsets = append(enc.Offsets, [2]int{tk.Start, tk.End})
	}
	for _, id := range suffix {
		enc.IDs = append(enc.IDs, id)
		enc.Offsets = append(enc.Offsets, endSpan(toks))
	}
	return enc
}

// splitSpecials cuts text at the verbatim special tokens in it: segment
// tokenizes each stretch in between (byte range [start, end) of text) and
// emit receives each special token where it stands, in order.
func splitSpecials(text string, specials []special, segment func(start, end int), emit func(Token)) {
	pos := 0
	for pos < len(text) {
		sp, at := nextSpecial(specials, text, pos)
		end := len(text)
		if sp != nil {
			end = at
		}
		segment(pos, end)
		if sp == nil {
			break
		}
		emit(Token{ID: sp.id, Start: at, End: at + len(sp.text)})
		pos = at + len(sp.text)
	}
}

// nextSpecial finds the earliest special token at or after pos, the
// longest one where several start there.
func nextSpecial(specials []special, text string, pos int) (*special, int) {
	var best *special
	bestAt := -1
	for i := range specials {
		s := &specials[i]
		j := strings.Index(text[pos:], s.text)
		if j < 0 {
			continue
		}
		j += pos
		if best == nil || j < bestAt || (j == bestAt && len(s.text) > len(best.text)) {
			best, bestAt = s, j
		}
	}
	return best, bestAt
}
