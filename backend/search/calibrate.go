package search

import (
	"context"
	"fmt"
	"slices"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/store"
)

// unrelated are short texts on distinct topics. How similar a model finds
// them to each other is its floor: what "no relation" scores.
var unrelated = []string{
	"How do I bake sourdough bread at home?",
	"The quarterly tax return is due at the end of April.",
	"Volcanic eruptions release sulfur dioxide into the atmosphere.",
	"She practised the violin concerto every evening.",
	"Replace the brake pads when they are thinner than three millimetres.",
	"The football match ended in a goalless draw.",
	"Migratory birds navigate using the Earth's magnetic field.",
	"Install the package and restart the server.",
	"The museum's collection includes medieval manuscripts.",
	"Children should drink water rather than sugary soda.",
	"The ferry to the island leaves every two hours.",
	"Interest rates rose for the third month in a row.",
}

// floor returns the model's cosine floor: the median of the
// similarity between a query and an unrelated passage. Semantic scores
// are rescaled so the floor maps to 0, which makes them comparable with
// the keyword side and a threshold mean "more related than unrelated
// text" for any model.
func (e *Engine) floor(ctx context.Context, model string, svc *embedder.Service) float64 {
	e.mu.Lock()
	f, ok := e.floors[model]
	e.mu.Unlock()
	if ok {
		return f
	}
	qs, err := svc.Embed(ctx, unrelated, embedder.Query)
	if err != nil {
		return 0
	}
	ds, err := svc.Embed(ctx, unrelated, embedder.Document)
	if err != nil {
		return 0
	}
	var sims []float64
	for i := range qs {
		for j := range ds {
			if i != j {
				sims = append(sims, cosine(qs[i], ds[j]))
			}
		}
	}
	slices.Sort(sims)
	f = max(0, sims[len(sims)/2])
	e.mu.Lock()
	e.floors[model] = f
	e.mu.Unlock()
	e.log.Info("semantic score floor measured", "model", model, "floor", f)
	return f
}

// embedderFor opens the collection's model for queries.
func (e *Engine) embedderFor(ctx context.Context, c store.Collection) (*embedder.Service, error) {
	if e.vec == nil || e.emb == nil {
		return nil, fmt.Errorf("semantic search is not available here")
	}
	svc, err := e.emb.Get(ctx, c.ModelName)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", c.ModelName, err)
	}
	if svc.Info().Dims != c.EmbeddingDims {
		return nil, fmt.Errorf("model %s gives %d dimensions, the collection holds %d", c.ModelName, svc.Info().Dims, c.EmbeddingDims)
	}
	return svc, nil
}
