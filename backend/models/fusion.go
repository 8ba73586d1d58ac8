package models

// Hybrid search blends keyword (BM25) and semantic scores as
// w·semantic + (1−w)·keyword; how much to trust the semantic side depends
// on the model. Each weight here states its evidence: a sweep with
// `quarry eval` where the model runs on the development machines, a
// published result where it cannot (docs/BENCHMARKS.md has both).

// Fusion is a model's hybrid weight and why it is what it is.
type Fusion struct {
	// Weight is the semantic side's share, 0–1.
	Weight float64 `json:"weight"`
	// Evidence says where the weight comes from.
	Evidence string `json:"evidence"`
	// Measured is set when the weight was swept here, not taken from a
	// published result.
	Measured bool `json:"measured"`
}

// DefaultHybridWeight is used for a model with no entry below.
const DefaultHybridWeight = 0.3

// Published BEIR nDCG@10 on NFCorpus, the set Quarry is evaluated on:
// BM25 0.325, all-MiniLM-L6-v2 0.316, bge-small-en-v1.5 0.343 (MTEB
// leaderboard). Two rankers of about equal strength are blended evenly;
// a stronger dense side gets more.
var fusions = map[string]Fusion{
	"glove-6b-100d": {Weight: 0.1, Measured: true,
		Evidence: "quarry eval -split dev -sweep on NFCorpus: 0.1 is best (hybrid 0.329 vs keyword 0.322 and semantic 0.087 on the test split)"},
	"all-MiniLM-L6-v2": {Weight: 0.5,
		Evidence: "published NFCorpus nDCG@10: MiniLM 0.316 vs BM25 0.325, about equal, so an even blend; the real weights cannot be downloaded where Quarry is developed, so not swept here"},
	"bge-small-en-v1.5": {Weight: 0.6,
		Evidence: "published NFCorpus nDCG@10: bge-small 0.343 vs BM25 0.325, the dense side is stronger; not swept here (weights cannot be downloaded where Quarry is developed)"},
	"e5-small-v2": {Weight: 0.5,
		Evidence: "published BEIR averages put e5-small-v2 close to BM25 on NFCorpus-like sets; an even blend, not swept here"},
	"gte-small": {Weight: 0.6,
		Evidence: "published BEIR averages put gte-small with bge-small, above BM25; not swept here"},
	"multilingual-e5-small": {Weight: 0.5,
		Evidence: "published results put it near BM25 on English sets and far above it across languages (where BM25's English analysis is weaker); an even blend, not swept here"},
}

// HybridFusion is the model's hybrid weight with its evidence.
func (m Model) HybridFusion() Fusion {
	if f, ok := fusions[m.Name]; ok {
		return f
	}
	return Fusion{Weight: DefaultHybridWeight, Evidence: "no measurement or published result for this model: a cautious default"}
}

// SetHybridFusion records a model's weight (for models registered after
// this file, with their own evidence).
func SetHybridFusion(name string, f Fusion) { fusions[name] = f }
