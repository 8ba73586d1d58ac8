package tokenizer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Options configures a WordPiece tokenizer. The zero value is not useful;
// start from DefaultOptions.
type Options struct {
	Lowercase bool
	// StripAccents removes combining marks after NFD decomposition. BERT
	// tokenizers strip accents whenever they lowercase unless told
	// otherwise.
	StripAccents bool
	// ChineseChars puts every CJK ideograph in a word of its own.
	ChineseChars bool
	// CleanText drops control characters and maps all whitespace to a
	// separator.
	CleanText bool

	UnkToken, ClsToken, SepToken, PadToken string
	// Prefix marks a piece that continues a word ("##").
	Prefix string
	// MaxWordChars turns longer words into a single unknown token.
	MaxWordChars int
	// Specials are strings matched verbatim in the input and mapped to
	// their own id before any normalization ("[CLS]", "[MASK]", ...).
	Specials []string
}

// DefaultOptions are those of bert-base-uncased and its descendants.
func DefaultOptions() Options {
	return Options{
		Lowercase: true, StripAccents: true, ChineseChars: true, CleanText: true,
		UnkToken: "[UNK]", ClsToken: "[CLS]", SepToken: "[SEP]", PadToken: "[PAD]",
		Prefix: "##", MaxWordChars: 100,
		Specials: []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"},
	}
}

// WordPiece is a BERT tokenizer: basic pre-tokenization followed by
// greedy longest-match-first subword splitting. It is safe for concurrent
// use.
type WordPiece struct {
	opts  Options
	start map[string]int32 // pieces that may begin a word
	cont  map[string]int32 // continuation pieces, stored without Prefix
	inv   []string
	unk   int64
	cls   int64
	sep   int64
	pad   int64
	// clsIDs and sepIDs wrap every encoding.
	clsIDs, sepIDs []int64
	// specials maps verbatim special strings to ids.
	specials []special
}

type special struct {
	text string
	id   int64
}

// FromVocab builds a tokenizer from a vocab.txt stream: one token per
// line, line number = id.
func FromVocab(r io.Reader, opts Options) (*WordPiece, error) {
	var vocab []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		vocab = append(vocab, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read vocab: %w", err)
	}
	m := make(map[string]int32, len(vocab))
	for i, tok := range vocab {
		if _, dup := m[tok]; !dup {
			m[tok] = int32(i)
		}
	}
	return newWordPiece(m, opts)
}

func newWordPiece(vocab map[string]int32, opts Options) (*WordPiece, error) {
	if len(vocab) == 0 {
		return nil, errors.New("empty vocabulary")
	}
	if opts.MaxWordChars <= 0 {
		opts.MaxWordChars = 100
	}
	t := &WordPiece{
		opts:  opts,
		start: make(map[string]int32, len(vocab)),
		cont:  make(map[string]int32, len(vocab)/4),
	}
	maxID := int32(0)
	for tok, id := range vocab {
		maxID = max(maxID, id)
		if opts.Prefix != "" && strings.HasPrefix(tok, opts.Prefix) && len(tok) > len(opts.Prefix) {
			t.cont[tok[len(opts.Prefix):]] = id
		}
		t.start[tok] = id
	}
	t.inv = make([]string, maxID+1)
	for tok, id := range vocab {
		t.inv[id] = tok
	}
	lookup := func(name, tok string) (int64, error) {
		id, ok := vocab[tok]
		if !ok {
			return 0, fmt.Errorf("%s token %q not in vocabulary", name, tok)
		}
		return int64(id), nil
	}
	var err error
	if t.unk, err = lookup("unknown", opts.UnkToken); err != nil {
		return nil, err
	}
	if t.cls, err = lookup("class", opts.ClsToken); err != nil {
		return nil, err
	}
	if t.sep, err = lookup("separator", opts.SepToken); err != nil {
		return nil, err
	}
	t.clsIDs, t.sepIDs = []int64{t.cls}, []int64{t.sep}
	if t.pad, err = lookup("padding", opts.PadToken); err != nil {
		return nil, err
	}
	for _, s := range opts.Specials {
		if id, ok := vocab[s]; ok && s != "" {
			t.specials = append(t.specials, special{text: s, id: int64(id)})
		}
	}
	return t, nil
}

// tokenizerJSON is the subset of a Hugging Face tokenizer.json we read.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	PreTokenizer *struct {
		Type string `json:"type"`
	} `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type          string                     `json:"type"`
		Cls           []json.RawMessage          `json:"cls"`
		Sep           []json.RawMessage          `json:"sep"`
		SpecialTokens map[string]json.RawMessage `json:"special_tokens"`
	} `json:"post_processor"`
	Model struct {
		Type                    string          `json:"type"`
		UnkToken                string          `json:"unk_token"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int             `json:"max_input_chars_per_word"`
		Vocab                   json.RawMessage `json:"vocab"`
	} `json:"model"`
}

// FromTokenizerJSON builds a tokenizer from a Hugging Face tokenizer.json
// describing a BERT WordPiece pipeline or a SentencePiece Unigram one.
func FromTokenizerJSON(r io.Reader) (Tokenizer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read tokenizer.json: %w", err)
	}
	var peek struct {
		Model struct {
			Type string `json:"type"`
		} `json:"model"`
	}
	if err := json.Unmarshal(b, &peek); err != nil {
		return nil, fmt.Errorf("decode tokenizer.json: %w", err)
	}
	var t Tokenizer
	if peek.Model.Type == "Unigram" {
		t, err = unigramFromJSON(b)
	} else {
		t, err = wordPieceFromJSON(b)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func wordPieceFromJSON(b []byte) (*WordPiece, error) {
	var tj tokenizerJSON
	if err := json.Unmarshal(b, &tj); err != nil {
		return nil, fmt.Errorf("decode tokenizer.json: %w", err)
	}
	if tj.Model.Type != "WordPiece" {
		return nil, fmt.Errorf("model type %q: %w", tj.Model.Type, ErrUnsupported)
	}
	if tj.PreTokenizer != nil && tj.PreTokenizer.Type != "BertPreTokenizer" {
		return nil, fmt.Errorf("pre-tokenizer %q: %w", tj.PreTokenizer.Type, ErrUnsupported)
	}
	opts := DefaultOptions()
	opts.Specials = nil
	if n := tj.Normalizer; n != nil {
		if n.Type != "BertNormalizer" {
			return nil, fmt.Errorf("normalizer %q: %w", n.Type, ErrUnsupported)
		}
		setBool(&opts.CleanText, n.CleanText)
		setBool(&opts.ChineseChars, n.HandleChineseChars)
		setBool(&opts.Lowercase, n.Lowercase)
		opts.StripAccents = opts.Lowercase
		setBool(&opts.StripAccents, n.StripAccents)
	}
	if tj.Model.UnkToken != "" {
		opts.UnkToken = tj.Model.UnkToken
	}
	if p := tj.Model.ContinuingSubwordPrefix; p != nil {
		opts.Prefix = *p
	}
	if tj.Model.MaxInputCharsPerWord > 0 {
		opts.MaxWordChars = tj.Model.MaxInputCharsPerWord
	}
	if pp := tj.PostProcessor; pp != nil {
		switch pp.Type {
		case "TemplateProcessing":
			// Single-sequence template is [CLS] $A [SEP] for every BERT
			// model we register; the names may differ.
			for name := range pp.SpecialTokens {
				switch {
				case strings.Contains(strings.ToLower(name), "cls"):
					opts.ClsToken = name
				case strings.Contains(strings.ToLower(name), "sep"):
					opts.SepToken = name
				}
			}
		case "BertProcessing":
			if len(pp.Cls) > 0 {
				_ = json.Unmarshal(pp.Cls[0], &opts.ClsToken)
			}
			if len(pp.Sep) > 0 {
				_ = json.Unmarshal(pp.Sep[0], &opts.SepToken)
			}
		}
	}
	vocab := make(map[string]int32)
	if err := json.Unmarshal(tj.Model.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("decode vocabulary: %w", err)
	}
	for _, at := range tj.AddedTokens {
		vocab[at.Content] = int32(at.ID)
		if at.Special {
			opts.Specials = append(opts.Specials, at.Content)
		}
	}
	return newWordPiece(vocab, opts)
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// readTokenizerConfig applies tokenizer_config.json next to a vocab.txt;
// a missing file leaves the defaults.
func readTokenizerConfig(path string, opts *Options) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read tokenizer config: %w", err)
	}
	var c struct {
		DoLowerCase          *bool   `json:"do_lower_case"`
		StripAccents         *bool   `json:"strip_accents"`
		TokenizeChineseChars *bool   `json:"tokenize_chinese_chars"`
		UnkToken             *string `json:"unk_token"`
		ClsToken             *string `json:"cls_token"`
		SepToken             *string `json:"sep_token"`
		PadToken             *string `json:"pad_token"`
		TokenizerClass       string  `json:"tokenizer_class"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	if c.TokenizerClass != "" && !strings.HasPrefix(c.TokenizerClass, "Bert") {
		return fmt.Errorf("tokenizer class %q: %w", c.TokenizerClass, ErrUnsupported)
	}
	setBool(&opts.Lowercase, c.DoLowerCase)
	opts.StripAccents = opts.Lowercase
	setBool(&opts.StripAccents, c.StripAccents)
	setBool(&opts.ChineseChars, c.TokenizeChineseChars)
	for _, p := range []struct {
		dst *string
		src *string
	}{{&opts.UnkToken, c.UnkToken}, {&opts.ClsToken, c.ClsToken}, {&opts.SepToken, c.SepToken}, {&opts.PadToken, c.PadToken}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return nil
}

// PadID implements Tokenizer.
func (t *WordPiece) PadID() int64 { return t.pad }

// VocabSize implements Tokenizer.
func (t *WordPiece) VocabSize() int { return len(t.inv) }

// TokenString implements Tokenizer.
func (t *WordPiece) TokenString(id int64) string {
	if id < 0 || id >= int64(len(t.inv)) {
		return ""
	}
	return t.inv[id]
}

// Encode implements Tokenizer.
func (t *WordPiece) Encode(text string, maxLen int) Encoding {
	return wrap(t.Split(text), t.clsIDs, t.sepIDs, maxLen)
}

// Count implements Tokenizer.
func (t *WordPiece) Count(text string) int {
	n := 0
	t.walk(text, func(Token) { n++ })
	return n
}

// Split implements Tokenizer.
func (t *WordPiece) Split(text string) []Token {
	out := make([]Token, 0, len(text)/4+1)
	t.walk(text, func(tk Token) { out = append(out, tk) })
	return out
}

func (t *WordPiece) walk(text string, emit func(Token)) {
	var w wordBuf
	splitSpecials(text, t.specials, func(start, end int) {
		t.basic(text, start, end, &w, func(w *wordBuf) { t.wordPieces(w, emit) })
	}, emit)
}

// wordPieces splits one normalized word greedily, longest match first. A
// word with any unmatched remainder becomes a single unknown token, as in
// the reference implementation.
func (t *WordPiece) wordPieces(w *wordBuf, emit func(Token)) {
	word := string(w.text)
	if utf8.RuneCountInString(word) > t.opts.MaxWordChars {
		emit(Token{ID: t.unk, Start: w.start[0], End: w.end[len(w.end)-1]})
		return
	}
	// Collect first; on failure the whole word is one unknown token.
	var buf [32]Token
	pieces := buf[:0]
	for s := 0; s < len(word); {
		e := len(word)
		id := int32(-1)
		for e > s {
			var ok bool
			if s == 0 {
				id, ok = t.start[word[s:e]]
			} else {
				id, ok = t.cont[word[s:e]]
			}
			if ok {
				break
			}
			id = -1
			_, size := utf8.DecodeLastRuneInString(word[s:e])
			e -= size
		}
		if id < 0 {
			emit(Token{ID: t.unk, Start: w.start[0], End: w.end[len(w.end)-1]})
			return
		}
		pieces = append(pieces, Token{ID: int64(id), Start: w.start[s], End: w.end[e-1]})
		s = e
	}
	for _, p := range pieces {
		emit(p)
	}
}
