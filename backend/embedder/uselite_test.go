package embedder

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/tokenizer"
)

type useGolden struct {
	Text      string    `json:"text"`
	IDs       []int64   `json:"ids"`
	Embedding []float64 `json:"embedding"`
}

func loadUSEGolden(tb testing.TB) []useGolden {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(sharedModel(tb, "use-lite"), "golden.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var g struct {
		Cases []useGolden `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatal(err)
	}
	return g.Cases
}

// TestUSELiteGolden runs the imported Universal Sentence Encoder lite
// end to end (Go tokenizer, converted graph, ONNX Runtime) on texts whose
// ids and embeddings the original TF.js graph computed.
func TestUSELiteGolden(t *testing.T) {
	needRuntime(t)
	cases := loadUSEGolden(t)
	m, dir := useLiteDir(t)
	s := openTB(t, Config{Model: m, Dir: dir, Device: DeviceCPU, Threads: 2})
	info := s.Info()
	if info.Dims != 512 || info.MaxSeqLen != 128 || info.Variant != "fp32" || !strings.HasPrefix(info.Fingerprint, "use-lite-en@0.2.0;") {
		t.Errorf("Info = %+v", info)
	}
	if _, ok := s.Tokenizer().(*tokenizer.USELite); !ok {
		t.Fatalf("Tokenizer() is %T, want the USE-lite tokenizer", s.Tokenizer())
	}
	texts := make([]string, len(cases))
	for i, c := range cases {
		texts[i] = c.Text
		got := s.Tokenizer().Encode(c.Text, info.MaxSeqLen).IDs
		if want := c.IDs[:min(len(c.IDs), 128)]; !slices.Equal(got, want) {
			t.Errorf("ids of %q\n got %v\nwant %v", c.Text, got, want)
		}
	}
	// One call with every text exercises length batching and padding; one
	// call per text, batches of one.
	all, err := s.Embed(t.Context(), texts, Document)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, c := range cases {
		one, err := s.Embed(t.Context(), []string{c.Text}, Query)
		if err != nil {
			t.Fatalf("embed %q alone: %v", c.Text, err)
		}
		for name, v := range map[string][]float32{"batched": all[i], "single": one[0]} {
			if len(v) != 512 {
				t.Fatalf("%s %q: %d dims", name, c.Text, len(v))
			}
			if c.Embedding == nil {
				// No tokens at all: a zero vector, which matches nothing.
				if slices.ContainsFunc(v, func(x float32) bool { return x != 0 }) {
					t.Errorf("%s %q: want a zero vector", name, c.Text)
				}
				continue
			}
			d := maxDiff(v, c.Embedding)
			worst = max(worst, d)
			if d > 1e-4 {
				t.Errorf("%s %q: max abs error %.3g", name, c.Text, d)
			}
		}
	}
	t.Logf("max abs error against the TF.js graph over %d texts, batched and single: %.3g", len(cases), worst)
}

// paraphrases is a small retrieval toy: each query has one paraphrase
// that shares few of its words, among distractors that share many of
// them but mean something else.
var paraphrases = []struct{ query, answer, distractor string }{
	{"How do I reset my password?", "I forgot my login credentials and need new ones.", "My password manager keeps every password I reset."},
	{"Is it going to rain tomorrow?", "Tomorrow's forecast calls for showers.", "Going out in the rain tomorrow is a bad idea for my shoes."},
	{"Where can I buy cheap train tickets?", "Looking for inexpensive rail fares.", "Cheap tickets are sold where the train museum is."},
	{"My laptop will not turn on.", "The computer doesn't start when I press the power button.", "I will turn my laptop on later."},
	{"How many calories are in an apple?", "Nutritional energy content of this fruit.", "An apple a day: how many are in the basket?"},
	{"Who wrote Pride and Prejudice?", "The author of that novel was Jane Austen.", "Pride and prejudice in politics, an essay on who votes."},
	{"The doctor prescribed antibiotics.", "The physician gave me medication for the infection.", "Antibiotics resistance worries every doctor."},
	{"How can I lose weight quickly?", "Fast ways to shed pounds.", "I quickly lost the weight plates at the gym."},
	{"The flight was delayed by two hours.", "Our plane took off much later than scheduled.", "Two hours of flight training before the delayed exam."},
	{"What time does the store close?", "When does the shop shut for the night?", "The store is close to my house, what a time saver."},
	{"I am feeling very sad today.", "I'm quite depressed at the moment.", "Today the news was very sad for many people."},
	{"Can you recommend a good book?", "Any suggestions for something worth reading?", "A good recommendation letter can book you a job."},
}

// paraphraseTop1 counts the queries whose nearest text is their
// paraphrase, among the paraphrases alone and with the distractors.
func paraphraseTop1(t *testing.T, s *Service) (plain, hard int) {
	t.Helper()
	var qs, ds []string
	for _, p := range paraphrases {
		qs, ds = append(qs, p.query), append(ds, p.answer)
	}
	for _, p := range paraphrases {
		ds = append(ds, p.distractor)
	}
	qv, err := s.Embed(t.Context(), qs, Query)
	if err != nil {
		t.Fatal(err)
	}
	dv, err := s.Embed(t.Context(), ds, Document)
	if err != nil {
		t.Fatal(err)
	}
	nearest := func(q []float32, n int) int {
		best, bestAt := math.Inf(-1), -1
		for j, d := range dv[:n] {
			if c := useDot(q, d); c > best {
				best, bestAt = c, j
			}
		}
		return bestAt
	}
	for i, q := range qv {
		if nearest(q, len(paraphrases)) == i {
			plain++
		}
		if j := nearest(q, len(ds)); j == i {
			hard++
		} else {
			t.Logf("%s: %q found %q", s.Info().Model, qs[i], ds[j])
		}
	}
	return plain, hard
}

// TestUSELiteParaphrase checks that the vectors carry meaning beyond
// shared words, against averaged GloVe vectors on the same toy.
func TestUSELiteParaphrase(t *testing.T) {
	needRuntime(t)
	m, dir := useLiteDir(t)
	use, useHard := paraphraseTop1(t, openTB(t, Config{Model: m, Dir: dir, Device: DeviceCPU, Threads: 2}))
	glove, gloveHard := paraphraseTop1(t, openTB(t, Config{Model: staticModel(), Dir: sharedModel(t, "glove-6b-100d-top100k")}))
	t.Logf("paraphrase top-1 of %d: use-lite %d (%d with distractors), glove %d (%d with distractors)",
		len(paraphrases), use, useHard, glove, gloveHard)
	if use < len(paraphrases)-1 || useHard < len(paraphrases)/2 || useHard < gloveHard+4 {
		t.Errorf("use-lite finds %d of %d paraphrases, %d with distractors (glove %d, %d)", use, len(paraphrases), useHard, glove, gloveHard)
	}
}

func useDot(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
