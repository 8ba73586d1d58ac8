package search

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"golang.org/x/text/unicode/norm"
)

// maxTermRunes drops longer "words" (hashes, base64) from the index.
const maxTermRunes = 48

// stopwords are Lucene's English stop set: frequent words that carry no
// matching signal and would only cost posting-list scans.
var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be but by for if in into is it no not of on or
		such that the their then there these they this to was will with`) {
		stopwords[w] = true
	}
}

// foldTable caches the folded form of every rune below foldLimit
// (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic…): the
// compatibility decomposition (NFKD, which also splits ligatures and
// maps full-width forms) with combining marks removed, lower-cased.
const foldLimit = 0x3000

var (
	foldOnce  sync.Once
	foldTable []string
)

func foldSlow(r rune) string {
	var b strings.Builder
	for _, c := range norm.NFKD.String(string(r)) {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			continue // combining marks, and the odd space NFKD yields
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// fold returns r's folded form: "" for a rune that is not part of a word.
func fold(r rune) string {
	if r < utf8.RuneSelf {
		return "" // ASCII is handled inline by the scanner.
	}
	if r < foldLimit {
		foldOnce.Do(func() {
			foldTable = make([]string, foldLimit)
			for c := rune(0x80); c < foldLimit; c++ {
				if unicode.IsLetter(c) || unicode.IsDigit(c) {
					foldTable[c] = foldSlow(c)
				}
			}
		})
		return foldTable[r]
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return foldSlow(r)
	}
	return ""
}

// unspaced reports whether r belongs to a script written without spaces
// between words (Chinese, Japanese, Korean, Thai, Lao, Khmer, Myanmar);
// such runs are indexed as overlapping character bigrams, the approach
// of Lucene's CJK analyzer, which needs no dictionary.
func unspaced(r rune) bool {
	if r < 0x0E00 {
		return false
	}
	if (r >= 0x3040 && r <= 0x30FF) || r == 0x3005 {
		return true // kana, the prolonged sound mark, the iteration mark
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// token is one term with its byte range in the original text.
type token struct {
	term       string
	start, end int
}

// scan splits text into folded words and bigrams of unspaced scripts and
// calls fn for each, with byte offsets into text. Words are maximal runs
// of letters and digits after folding (accents removed, lower-cased), so
// "Café" and "cafe" match; apostrophes and other punctuation split.
func scan(text string, fn func(term string, start, end int)) {
	var word []byte
	wordStart, wordRunes := -1, 0
	flushWord := func(end int) {
		if wordStart >= 0 && wordRunes <= maxTermRunes {
			fn(string(word), wordStart, end)
		}
		word, wordStart, wordRunes = word[:0], -1, 0
	}
	// run holds the unspaced-script run: rune starts and folded runes.
	var runStarts []int
	var runRunes []rune
	flushRun := func(end int) {
		switch len(runRunes) {
		case 0:
			return
		case 1:
			fn(string(runRunes), runStarts[0], end)
		default:
			for i := 0; i+1 < len(runRunes); i++ {
				e := end
				if i+2 < len(runStarts) {
					e = runStarts[i+2]
				}
				fn(string(runRunes[i:i+2]), runStarts[i], e)
			}
		}
		runStarts, runRunes = runStarts[:0], runRunes[:0]
	}
	for i, r := range text {
		if r < utf8.RuneSelf {
			flushRun(i)
			c := byte(r)
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			default:
				flushWord(i)
				continue
			}
			if wordStart < 0 {
				wordStart = i
			}
			word = append(word, c)
			wordRunes++
			continue
		}
		if unspaced(r) {
			flushWord(i)
			runStarts = append(runStarts, i)
			runRunes = append(runRunes, unicode.ToLower(r))
			continue
		}
		f := fold(r)
		if f == "" && wordStart >= 0 && unicode.Is(unicode.M, r) {
			// Marks inside a word: accents (Mn) are dropped; spacing
			// vowel signs of Indic scripts (Mc) are part of the word.
			if unicode.Is(unicode.Mc, r) {
				word = utf8.AppendRune(word, r)
			}
			continue
		}
		if f == "" {
			flushRun(i)
			flushWord(i)
			continue
		}
		flushRun(i)
		if wordStart < 0 {
			wordStart = i
		}
		word = append(word, f...)
		wordRunes++
	}
	flushRun(len(text))
	flushWord(len(text))
}

// Analyzer turns text into index terms: scan, drop English stop words,
// and stem plain a–z words with the Snowball (Porter2) English stemmer.
// Stems are cached: vocabularies are far smaller than texts.
type Analyzer struct {
	mu    sync.RWMutex
	stems map[string]string
}

// NewAnalyzer returns the analyzer used for both documents and queries.
func NewAnalyzer() *Analyzer { return &Analyzer{stems: map[string]string{}} }

// term maps a scanned word to its index term, or "" to skip it.
func (a *Analyzer) term(w string) string {
	if stopwords[w] {
		return ""
	}
	if len(w) < 3 || !isLowerASCII(w) {
		return w
	}
	a.mu.RLock()
	s, ok := a.stems[w]
	a.mu.RUnlock()
	if ok {
		return s
	}
	s = english.Stem(w, false)
	if s == "" {
		s = w
	}
	a.mu.Lock()
	if len(a.stems) < 1<<20 {
		a.stems[w] = s
	}
	a.mu.Unlock()
	return s
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// Tokens returns the index terms of text with their byte ranges.
func (a *Analyzer) Tokens(text string) []token {
	var out []token
	scan(text, func(w string, start, end int) {
		if t := a.term(w); t != "" {
			out = append(out, token{term: t, start: start, end: end})
		}
	})
	return out
}

// Terms returns the index terms of text, in order, repeats kept.
func (a *Analyzer) Terms(text string) []string {
	var out []string
	scan(text, func(w string, _, _ int) {
		if t := a.term(w); t != "" {
			out = append(out, t)
		}
	})
	return out
}
