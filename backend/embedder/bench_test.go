package embedder

import (
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/models"
)

// For the comparison with a bare runtime session, see cmd/embedbench.

func benchService(b *testing.B) *Service {
	cfg := tinyConfig(b)
	cfg.Model = models.Model{Name: "synthetic-minilm-l6-int8", Kind: models.KindTransformer,
		MaxSeqLen: 256, Pooling: models.PoolingMean, Normalize: true}
	cfg.Dir = sharedModel(b, "synthetic-minilm-l6-int8")
	cfg.Threads = 0
	return openTB(b, cfg)
}

func BenchmarkEmbedSentence(b *testing.B) {
	s := benchService(b)
	texts := []string{"Where did I save the tax receipts?"}
	for b.Loop() {
		if _, err := s.Embed(b.Context(), texts, Query); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmbedChunks8(b *testing.B) {
	s := benchService(b)
	texts := make([]string, 8)
	for i := range texts {
		texts[i] = strings.Repeat("local semantic search on a laptop ", 60)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Embed(b.Context(), texts, Document); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "chunks/s")
}

func BenchmarkStaticEmbed(b *testing.B) {
	s := openTB(b, Config{Model: staticModel(), Dir: sharedModel(b, "glove-6b-100d-top100k")})
	texts := []string{strings.Repeat("The patient was examined by a doctor at the hospital. ", 20)}
	for b.Loop() {
		if _, err := s.Embed(b.Context(), texts, Document); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUSELiteChunks8 embeds chunks of the model's full 128 tokens
// with the Universal Sentence Encoder lite; compare its chunks/s with
// BenchmarkEmbedChunks8 (MiniLM-L6 shape, 256 tokens) in the same run.
func BenchmarkUSELiteChunks8(b *testing.B) {
	needRuntime(b)
	m, dir := useLiteDir(b)
	s := openTB(b, Config{Model: m, Dir: dir})
	texts := make([]string, 8)
	for i := range texts {
		texts[i] = strings.Repeat("local semantic search on a laptop ", 60)
	}
	if n := len(s.Tokenizer().Encode(texts[0], m.MaxSeqLen).IDs); n != m.MaxSeqLen {
		b.Fatalf("chunk is %d tokens, want %d", n, m.MaxSeqLen)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Embed(b.Context(), texts, Document); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "chunks/s")
}
