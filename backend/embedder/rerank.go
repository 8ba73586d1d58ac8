package embedder

import (
	"context"
	"fmt"
	"math"

	"github.com/quarry-search/quarry/backend/tokenizer"
)

// Score returns, for each passage, how likely the reranker judges it to
// answer query, between 0 and 1: the sigmoid of a one-label
// cross-encoder's logit, or the softmax probability of the last label of
// a multi-label one. Scoring runs ahead of queued indexing work.
func (s *Service) Score(ctx context.Context, query string, passages []string) ([]float64, error) {
	select {
	case <-s.close:
		return nil, ErrClosed
	default:
	}
	e, ok := s.eng.(*onnxEngine)
	if s.pair == nil || !ok {
		return nil, fmt.Errorf("score with %s: %w", s.info.Model, ErrNotReranker)
	}
	if len(passages) == 0 {
		return []float64{}, nil
	}
	encs := make([]tokenizer.Encoding, len(passages))
	for i, p := range passages {
		encs[i] = s.pair.EncodePair(query, p, e.maxLen)
	}
	rows, err := e.runAll(ctx, encs, s.gate, true)
	if err != nil {
		return nil, fmt.Errorf("score %d passages: %w", len(passages), err)
	}
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = relevance(r)
	}
	return out, nil
}

// relevance turns a cross-encoder's logits into a probability.
func relevance(logits []float32) float64 {
	switch len(logits) {
	case 0:
		return 0
	case 1:
		return 1 / (1 + math.Exp(-float64(logits[0])))
	}
	top := float64(logits[0])
	for _, l := range logits {
		top = max(top, float64(l))
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - top)
	}
	return math.Exp(float64(logits[len(logits)-1])-top) / sum
}
