package extract

import (
	"context"
	"fmt"
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
// F1 and logs every file's score, worst first. PDFs whose reference has
// fewer than minReferenceWords words are scored and logged too, but kept
// out of the median (a two-word file says little); PDFs pdftotext cannot
// read at all are listed with poppler's complaint.
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
	small := make(map[string]bool)
	for _, f := range files {
		text, why := referenceText(b, pdftotext, f)
		words := fidelityWords(text)
		switch {
		case why != "":
			b.Logf("skipped %s: pdftotext: %s", filepath.ToSlash(mustRel(root, f)), why)
		case len(words) == 0:
			b.Logf("skipped %s: pdftotext finds no text", filepath.ToSlash(mustRel(root, f)))
		default:
			refs[f] = words
			small[f] = len(words) < minReferenceWords
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
		small         bool
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
			s := score{file: filepath.ToSlash(mustRel(root, f)), refer: len(ref), small: small[f]}
			doc, err := Extract(context.Background(), f, Options{})
			if err != nil {
				s.note = " extract failed: " + err.Error()
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
	var f1s []float64
	nSmall := 0
	for _, s := range scores {
		if s.small {
			nSmall++
			s.note += fmt.Sprintf(" (under %d reference words: not in the median)", minReferenceWords)
		} else {
			f1s = append(f1s, s.f1)
		}
		b.Logf("F1 %.4f  P %.4f  R %.4f  words %d/%d  %s%s", s.f1, s.p, s.r, s.quarry, s.refer, s.file, s.note)
	}
	med := median(f1s)
	b.Logf("median F1 %.4f over %d PDFs with a text layer (%d smaller ones logged)", med, len(f1s), nSmall)
	b.ReportMetric(med, "medianF1")
	b.ReportMetric(float64(len(f1s)), "pdfs")
}

// referenceText is pdftotext's text of file; why says why there is none
// (encrypted or broken for poppler too).
func referenceText(tb testing.TB, pdftotext, file string) (text, why string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, pdftotext, "-enc", "UTF-8", file, "-")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" {
			msg = err.Error()
		}
		return "", msg
	}
	return string(out), ""
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

// BenchmarkExtractPDF measures PDF extraction throughput over every PDF
// of the mixed dataset, whatever the outcome of each.
//
//	go test ./backend/extract -run '^$' -bench ExtractPDF -benchtime 5x
func BenchmarkExtractPDF(b *testing.B) {
	root := mixedDir(b)
	var files []string
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".pdf") {
			if fi, err := d.Info(); err == nil {
				files = append(files, p)
				total += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	for b.Loop() {
		for _, p := range files {
			_, _ = Extract(b.Context(), p, Options{})
		}
	}
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
