package evaluate

import (
	"math"
	"testing"
)

func TestMetrics(t *testing.T) {
	rel := map[string]int{"a": 2, "b": 1, "c": 1}
	ranked := []string{"x", "a", "y", "b"}
	// DCG = 2/log2(3) + 1/log2(5); IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4).
	dcg := 2/math.Log2(3) + 1/math.Log2(5)
	idcg := 2.0 + 1/math.Log2(3) + 0.5
	if got, want := NDCG(ranked, rel, 10), dcg/idcg; math.Abs(got-want) > 1e-12 {
		t.Errorf("NDCG = %v, want %v", got, want)
	}
	if got := Recall(ranked, rel, 100); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("Recall = %v, want 2/3", got)
	}
	if got := MRR(ranked, rel, 10); got != 0.5 {
		t.Errorf("MRR = %v, want 0.5", got)
	}
	if got := MRR(ranked, rel, 1); got != 0 {
		t.Errorf("MRR@1 = %v, want 0", got)
	}
	if got := NDCG(nil, map[string]int{}, 10); got != 0 {
		t.Errorf("NDCG with no judgements = %v, want 0", got)
	}
}
