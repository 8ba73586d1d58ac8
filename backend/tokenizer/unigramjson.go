package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// unigramJSON is the subset of a Hugging Face tokenizer.json for a
// SentencePiece Unigram model that we read.
type unigramJSON struct {
	AddedTokens []struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    *hfComponent `json:"normalizer"`
	PreTokenizer  *hfComponent `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type   string `json:"type"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int64 `json:"ids"`
		} `json:"special_tokens"`
		Cls []json.RawMessage `json:"cls"`
		Sep []json.RawMessage `json:"sep"`
	} `json:"post_processor"`
	Padding *struct {
		PadID int64 `json:"pad_id"`
	} `json:"padding"`
	Model struct {
		UnkID        *int64       `json:"unk_id"`
		ByteFallback bool         `json:"byte_fallback"`
		Vocab        []vocabEntry `json:"vocab"`
	} `json:"model"`
}

// hfComponent is a normalizer or pre-tokenizer, possibly a Sequence.
type hfComponent struct {
	Type          string         `json:"type"`
	Normalizers   []*hfComponent `json:"normalizers"`
	PreTokenizers []*hfComponent `json:"pretokenizers"`
	// Precompiled
	Charsmap []byte `json:"precompiled_charsmap"`
	// Replace
	Pattern struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	} `json:"pattern"`
	// Metaspace
	Replacement    string `json:"replacement"`
	AddPrefixSpace *bool  `json:"add_prefix_space"`
	PrependScheme  string `json:"prepend_scheme"`
}

// vocabEntry is one [piece, score] pair.
type vocabEntry struct {
	piece string
	score float64
}

func (v *vocabEntry) UnmarshalJSON(b []byte) error {
	var pair [2]json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if err := json.Unmarshal(pair[0], &v.piece); err != nil {
		return err
	}
	f, err := strconv.ParseFloat(string(pair[1]), 64)
	if err != nil {
		return fmt.Errorf("score of %q: %w", v.piece, err)
	}
	v.score = f
	return nil
}

// unigramFromJSON builds a Unigram from a tokenizer.json made from a
// SentencePiece model (transformers' converters). It applies
// SentencePiece's semantics: the pipeline's pieces are read only for the
// settings they stand for, so the ids are those of the .model the file
// was converted from.
func unigramFromJSON(b []byte) (*Unigram, error) {
	var tj unigramJSON
	if err := json.Unmarshal(b, &tj); err != nil {
		return nil, fmt.Errorf("decode tokenizer.json: %w", err)
	}
	vocab := tj.Model.Vocab
	if len(vocab) == 0 {
		return nil, errors.New("unigram tokenizer.json: empty vocabulary")
	}
	if tj.Model.UnkID == nil || *tj.Model.UnkID < 0 || *tj.Model.UnkID >= int64(len(vocab)) {
		return nil, errors.New("unigram tokenizer.json: no unknown piece")
	}
	s := unigramSpec{
		pieces:       make([]spPiece, len(vocab)),
		inv:          make([]string, len(vocab)),
		byteFallback: tj.Model.ByteFallback,
		norm:         normSpec{escapeWS: true},
	}
	for i, v := range vocab {
		s.pieces[i] = spPiece{text: v.piece, score: float32(v.score), typ: pieceNormal}
		s.inv[i] = v.piece
		if s.byteFallback && isBytePiece(v.piece) {
			s.pieces[i].typ = pieceByte
		}
	}
	s.pieces[*tj.Model.UnkID].typ = pieceUnknown
	for _, at := range tj.AddedTokens {
		if at.ID < 0 || at.Content == "" {
			continue
		}
		for at.ID >= int64(len(s.inv)) {
			s.inv = append(s.inv, "")
		}
		s.inv[at.ID] = at.Content
		if at.Special {
			s.specials = append(s.specials, special{text: at.Content, id: at.ID})
		}
		if at.ID >= int64(len(s.pieces)) || s.pieces[at.ID].typ == pieceUnknown {
			continue
		}
		if at.Special {
			s.pieces[at.ID].typ = pieceControl
		} else {
			s.pieces[at.ID].typ = pieceUserDefined
		}
	}
	if err := readNormalizer(tj.Normalizer, &s.norm); err != nil {
		return nil, err
	}
	metaspace := false
	if err := readPreTokenizer(tj.PreTokenizer, &s.norm, &metaspace); err != nil {
		return nil, err
	}
	if !metaspace {
		return nil, fmt.Errorf("unigram tokenizer.json without a Metaspace pre-tokenizer: %w", ErrUnsupported)
	}
	if err := readPostProcessor(&tj, &s); err != nil {
		return nil, err
	}
	s.pad = *tj.Model.UnkID
	if tj.Padding != nil {
		s.pad = tj.Padding.PadID
	} else {
		for i, tok := range s.inv {
			if tok == "<pad>" {
				s.pad = int64(i)
				break
			}
		}
	}
	t, err := newUnigram(s)
	if err != nil {
		return nil, fmt.Errorf("unigram tokenizer.json: %w", err)
	}
	return t, nil
}

func isBytePiece(p string) bool {
	const hex = "0123456789ABCDEF"
	return len(p) == 6 && p[:3] == "<0x" && p[5] == '>' &&
		strings.IndexByte(hex, p[3]) >= 0 && strings.IndexByte(hex, p[4]) >= 0
}

// readNormalizer maps the normalizers transformers writes for a
// SentencePiece model back to its NormalizerSpec: Precompiled carries
// the charsmap, and Strip or collapsing runs of spaces stand for
// remove_extra_whitespaces.
func readNormalizer(c *hfComponent, n *normSpec) error {
	if c == nil {
		return nil
	}
	switch c.Type {
	case "Sequence":
		for _, sub := range c.Normalizers {
			if err := readNormalizer(sub, n); err != nil {
				return err
			}
		}
	case "Precompiled":
		n.charsmap = c.Charsmap
	case "Strip":
		n.removeExtra = true
	case "Replace":
		p := c.Pattern.Regex
		if p == nil {
			p = c.Pattern.String
		}
		if p == nil || (*p != " {2,}" && *p != "  ") {
			return fmt.Errorf("normalizer Replace: %w", ErrUnsupported)
		}
		n.removeExtra = true
	default:
		return fmt.Errorf("normalizer %q: %w", c.Type, ErrUnsupported)
	}
	return nil
}

func readPreTokenizer(c *hfComponent, n *normSpec, metaspace *bool) error {
	if c == nil {
		return nil
	}
	switch c.Type {
	case "Sequence":
		for _, sub := range c.PreTokenizers {
			if err := readPreTokenizer(sub, n, metaspace); err != nil {
				return err
			}
		}
	case "WhitespaceSplit":
		n.removeExtra = true
	case "Metaspace":
		if c.Replacement != spaceSymbol {
			return fmt.Errorf("metaspace replacement %q: %w", c.Replacement, ErrUnsupported)
		}
		*metaspace = true
		switch {
		case c.PrependScheme != "":
			n.dummyPrefix = c.PrependScheme != "never"
		case c.AddPrefixSpace != nil:
			n.dummyPrefix = *c.AddPrefixSpace
		default:
			n.dummyPrefix = true
		}
	default:
		return fmt.Errorf("pre-tokenizer %q: %w", c.Type, ErrUnsupported)
	}
	return nil
}

// readPostProcessor finds the special tokens put before and after a
// single text.
func readPostProcessor(tj *unigramJSON, s *unigramSpec) error {
	pp := tj.PostProcessor
	if pp == nil {
		return nil
	}
	switch pp.Type {
	case "TemplateProcessing":
		dst := &s.prefix
		for _, item := range pp.Single {
			if item.SpecialToken == nil {
				dst = &s.suffix
				continue
			}
			st, ok := pp.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return fmt.Errorf("post-processor: special token %q not defined", item.SpecialToken.ID)
			}
			*dst = append(*dst, st.IDs...)
		}
	case "RobertaProcessing", "BertProcessing":
		var cls, sep int64
		if len(pp.Cls) != 2 || len(pp.Sep) != 2 ||
			json.Unmarshal(pp.Cls[1], &cls) != nil || json.Unmarshal(pp.Sep[1], &sep) != nil {
			return fmt.Errorf("post-processor %s: malformed cls/sep", pp.Type)
		}
		s.prefix, s.suffix = []int64{cls}, []int64{sep}
	default:
		return fmt.Errorf("post-processor %q: %w", pp.Type, ErrUnsupported)
	}
	return nil
}
