package extract

import (
	"context"
	"io/fs"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// minReferenceWords is how many words pdftotext must find for a PDF to
// count as having a text layer.
const minReferenceWords = 20

// BenchmarkPDFFidelity compares the text Quarry extracts from every PDF
// of the mixed dataset that has a text layer with poppler's pdftotext,
// as a word-level F1 over bags of words (NFKC, lower case, split on
// anything that is not a letter, mark or digit). It reports the median
// F1 and logs every file's score, worst first.
//
//	go test ./backend/extract -run '^$' -bench PDFFidelity -benchtime 1x -v
func BenchmarkPDFFidelity(b *testing.B) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		b.Skip("pdftotext (poppler-utils) not installed")
	}
	root := mixedDir(b)
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".pdf") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	sort.Strings(files)

	// The reference does not change between iterations.
	refs := make(map[string][]string)
	for _, f := range files {
		words := fidelityWords(referenceText(b, pdftotext, f))
		if len(words) >= minReferenceWords {
			refs[f] = words
		}
	}
	if len(refs) == 0 {
		b.Skip("no PDF with a text layer in the mixed dataset")
	}

	type score struct {
		file          string
		f1, p, r      float64
		quarry, refer int
		note          string
	}
	var scores []score
	b.ResetTimer()
	for b.Loop() {
		scores = scores[:0]
		for _, f := range files {
			ref, ok := refs[f]
			if !ok {
				continue
			}
			s := score{file: filepath.ToSlash(mustRel(root, f)), refer: len(ref)}
			doc, err := Extract(context.Background(), f, Options{})
			if err != nil {
				s.note = "extract failed: " + err.Error()
			} else {
				got := fidelityWords(doc.Text())
				s.quarry = len(got)
				s.f1, s.p, s.r = bagF1(got, ref)
			}
			scores = append(scores, s)
		}
	}
	b.StopTimer()

	sort.SliceStable(scores, func(i, j int) bool { return scores[i].f1 < scores[j].f1 })
	f1s := make([]float64, len(scores))
	for i, s := range scores {
		f1s[i] = s.f1
		b.Logf("F1 %.4f  P %.4f  R %.4f  words %d/%d  %s %s", s.f1, s.p, s.r, s.quarry, s.refer, s.file, s.note)
	}
	med := median(f1s)
	b.Logf("median F1 %.4f over %d PDFs with a text layer", med, len(scores))
	b.ReportMetric(med, "medianF1")
	b.ReportMetric(float64(len(scores)), "pdfs")
}

func referenceText(tb testing.TB, pdftotext, file string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, pdftotext, "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		// Encrypted or broken for poppler too: no reference.
		return ""
	}
	return string(out)
}

// fidelityWords normalises text to NFKC, lower case and splits it into
// words of letters, marks and digits.
func fidelityWords(s string) []string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

// bagF1 is the word-level F1 of got against ref, as multisets.
func bagF1(got, ref []string) (f1, precision, recall float64) {
	if len(got) == 0 || len(ref) == 0 {
		return 0, 0, 0
	}
	counts := make(map[string]int, len(ref))
	for _, w := range ref {
		counts[w]++
	}
	common := 0
	for _, w := range got {
		if counts[w] > 0 {
			counts[w]--
			common++
		}
	}
	if common == 0 {
		return 0, 0, 0
	}
	precision = float64(common) / float64(len(got))
	recall = float64(common) / float64(len(ref))
	return 2 * precision * recall / (precision + recall), precision, recall
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func mustRel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}
