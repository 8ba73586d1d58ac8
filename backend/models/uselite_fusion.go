package models

// The Universal Sentence Encoder lite runs where Quarry is developed, so
// its hybrid weight was swept like GloVe's (docs/BENCHMARKS.md, "Bundled
// offline model: USE-lite vs GloVe").
func init() {
	SetHybridFusion("use-lite-en", Fusion{Weight: 0.4, Measured: true,
		Evidence: "quarry eval -split dev -sweep on NFCorpus: 0.4 is best (dev hybrid 0.306 vs keyword 0.289); " +
			"on the test split hybrid 0.338 vs keyword 0.322 and semantic 0.144, with 0.3-0.5 within 0.002"})
}
