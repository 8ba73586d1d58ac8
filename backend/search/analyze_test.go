package search

import (
	"slices"
	"testing"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"ascii", "Hello, World! 42 times", []string{"hello", "world", "42", "times"}},
		{"accents fold", "Café Ärger naïve façade", []string{"cafe", "arger", "naive", "facade"}},
		{"decomposed accents", "Cafe\u0301 re\u0301sume\u0301", []string{"cafe", "resume"}},
		{"cyrillic", "Привет, Мир! ёлка", []string{"привет", "мир", "елка"}},
		{"greek", "Καλημέρα κόσμε", []string{"καλημερα", "κοσμε"}},
		{"chinese bigrams", "北京大学", []string{"北京", "京大", "大学"}},
		{"single han", "猫 dog", []string{"猫", "dog"}},
		{"japanese mixed", "東京タワー tower", []string{"東京", "京タ", "タワ", "ワー", "tower"}},
		{"ligature and full width", "ﬁle ＡＢＣ", []string{"file", "abc"}},
		{"apostrophe splits", "don't", []string{"don", "t"}},
		{"empty", " \n\t ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			scan(tt.in, func(term string, start, end int) {
				got = append(got, term)
				if start < 0 || end > len(tt.in) || start >= end {
					t.Errorf("term %q has range [%d,%d) in %d bytes", term, start, end, len(tt.in))
				}
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("scan(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScanOffsets(t *testing.T) {
	in := "Ça va, 北京!"
	var got []string
	scan(in, func(_ string, start, end int) { got = append(got, in[start:end]) })
	if want := []string{"Ça", "va", "北京"}; !slices.Equal(got, want) {
		t.Errorf("token texts = %q, want %q", got, want)
	}
}

func TestAnalyzerTerms(t *testing.T) {
	an := NewAnalyzer()
	got := an.Terms("The running dogs and the Runner's statistics")
	want := []string{"run", "dog", "runner", "s", "statist"}
	if !slices.Equal(got, want) {
		t.Errorf("Terms = %q, want %q", got, want)
	}
	// Queries and documents meet on the same stems.
	if a, b := an.Terms("connections"), an.Terms("connected"); !slices.Equal(a, b) {
		t.Errorf("connections → %q, connected → %q; want the same stem", a, b)
	}
	// Non-English words are folded but not stemmed.
	if got := an.Terms("Данные"); !slices.Equal(got, []string{"данные"}) {
		t.Errorf("Terms(Данные) = %q", got)
	}
}
