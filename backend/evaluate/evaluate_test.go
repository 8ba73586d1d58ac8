package evaluate

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/fixtures/crossencoder"
)

// TestRunWithReranker runs `quarry eval` on NFCorpus (a few queries) with
// the GloVe model and a cross-encoder built from the synthetic tiny BERT:
// every mode, the reranked one included, is scored end to end.
func TestRunWithReranker(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	shared := fixtures.Dir(t)
	dataset := fixtures.Need(t, filepath.Join(shared, "datasets", "beir", "nfcorpus"))
	dir := filepath.Join(t.TempDir(), "cross")
	if err := crossencoder.Build(dir, fixtures.Need(t, filepath.Join(shared, "models", "synthetic-bert-tiny", "model.onnx")),
		fixtures.Need(t, filepath.Join(shared, "models", "all-MiniLM-L6-v2")), 1); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	args := []string{"-dataset", dataset, "-max-queries", "5", "-reranker-dir", dir, "-rerank-depth", "5", "-format", "json"}
	if code := Run(t.Context(), args, &out); code != 0 {
		t.Fatalf("quarry eval %v exited %d", args, code)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if rep.Reranker != "ms-marco-MiniLM-L-6-v2" || rep.Docs < 3000 {
		t.Errorf("reranker %q, %d documents", rep.Reranker, rep.Docs)
	}
	var modes []string
	for _, m := range rep.Modes {
		modes = append(modes, string(m.Mode))
		if m.Queries != 5 || m.NDCG10 < 0 || m.NDCG10 > 1 || m.Recall100 < 0 || m.Recall100 > 1 {
			t.Errorf("%s: %+v", m.Mode, m.Scores)
		}
	}
	if got, want := strings.Join(modes, " "), "keyword semantic hybrid hybrid+rerank"; got != want {
		t.Errorf("modes %s, want %s", got, want)
	}
	// Reranking only re-orders the first documents: recall at 100 is the
	// hybrid one.
	if h, r := rep.Modes[2], rep.Modes[3]; h.Recall100 != r.Recall100 {
		t.Errorf("recall@100: hybrid %v, reranked %v", h.Recall100, r.Recall100)
	}
}
