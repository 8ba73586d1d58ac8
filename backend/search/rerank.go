package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/store"
)

func (e *Engine) reranker(ctx context.Context) (*embedder.Service, error) {
	if e.rr == nil {
		return nil, fmt.Errorf("%w: %w: this Quarry has no models", ErrNoReranker, models.ErrNotInstalled)
	}
	rr, err := e.rr.Reranker(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoReranker, err)
	}
	return rr, nil
}

// rerank re-scores the shown passages of the first req.RerankDepth
// documents with the cross-encoder and orders those documents by their
// best passage; later documents follow unchanged. Passages the reranker
// scores below req.MinScore are dropped, and documents left with none. It
// returns the documents and how many of the first were re-scored. The
// passages it reads are kept in rows.
func (e *Engine) rerank(ctx context.Context, rr *embedder.Service, rs []Result, req Request, rows map[string]store.Passage) ([]Result, int, error) {
	head := rs[:min(req.RerankDepth, len(rs))]
	if err := e.passages(ctx, head, rows); err != nil {
		return nil, 0, err
	}
	var batch []string
	for _, r := range head {
		for _, p := range r.Passages {
			batch = append(batch, rows[passageKey(r.DocumentID, p.ChunkIndex)].Text)
		}
	}
	scores, err := rr.Score(ctx, req.Query, batch)
	if err != nil {
		return nil, 0, fmt.Errorf("rerank: %w", err)
	}
	out := make([]Result, 0, len(rs))
	k := 0
	for _, r := range head {
		kept := r.Passages[:0:0]
		for _, p := range r.Passages {
			s := scores[k]
			k++
			if req.MinScore > 0 && s < req.MinScore {
				continue
			}
			p.Score, p.RerankScore = s, &s
			kept = append(kept, p)
		}
		if len(kept) == 0 {
			continue
		}
		slices.SortStableFunc(kept, func(a, b Passage) int { return cmp.Compare(b.Score, a.Score) })
		r.Passages, r.Score = kept, kept[0].Score
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Result) int { return cmp.Compare(b.Score, a.Score) })
	for _, r := range rs[len(head):] {
		kept := r.Passages[:0:0]
		for _, p := range r.Passages {
			if p.Score >= req.MinScore {
				kept = append(kept, p)
			}
		}
		if len(kept) > 0 {
			r.Passages = kept
			out = append(out, r)
		}
	}
	return out, len(head), nil
}
