package service

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
)

// ReindexRequest asks to build a collection anew with other settings;
// fields left out keep the collection's.
type ReindexRequest struct {
	Model        *string `json:"model,omitempty"`
	Quantization *string `json:"quantization,omitempty"`
	ChunkSize    *int    `json:"chunk_size,omitempty"`
	ChunkOverlap *int    `json:"chunk_overlap,omitempty"`
}

// ReindexPlan says what a reindex would recompute and roughly how long it
// takes, before anything is queued.
type ReindexPlan struct {
	// Kind is reencode (stored vectors re-encoded, no model call),
	// reembed (stored chunk text embedded again) or rechunk (stored
	// extracted text cut anew and embedded).
	Kind         string `json:"kind"`
	Model        string `json:"model"`
	Quantization string `json:"quantization"`
	ChunkSize    int    `json:"chunk_size"`
	ChunkOverlap int    `json:"chunk_overlap"`
	Documents    int64  `json:"documents"`
	Chunks       int64  `json:"chunks"`
	// ModelCalls is false when no model runs at all.
	ModelCalls bool `json:"model_calls"`
	// ModelInstalled is false when the model is downloaded first.
	ModelInstalled   bool    `json:"model_installed"`
	EstimatedSeconds float64 `json:"estimated_seconds"`
	// Summary says it in sentences a person reads before confirming.
	Summary string `json:"summary"`
}

// PlanReindex validates a reindex request and says what it would do;
// nothing changes.
func (s *Service) PlanReindex(ctx context.Context, id string, req ReindexRequest) (ReindexPlan, error) {
	if err := s.need(ctx, id, LevelAdmin); err != nil {
		return ReindexPlan{}, err
	}
	c, err := s.store.GetCollection(ctx, id)
	if err != nil {
		return ReindexPlan{}, s.storeError("plan reindex", err, "collection "+id)
	}
	t, m, err := reindexTarget(c, req)
	if err != nil {
		return ReindexPlan{}, err
	}
	work, err := s.store.CountReindexWork(ctx, c.ID)
	if err != nil {
		return ReindexPlan{}, s.internal("plan reindex", err)
	}
	return s.plan(c, t, m, work), nil
}

// ReindexCollection queues a reindex and returns its operation. The
// collection keeps answering searches with its current index until the
// new one is complete; its settings change only then.
func (s *Service) ReindexCollection(ctx context.Context, id string, req ReindexRequest) (Operation, error) {
	if err := s.need(ctx, id, LevelAdmin); err != nil {
		return Operation{}, err
	}
	c, err := s.store.GetCollection(ctx, id)
	if err != nil {
		return Operation{}, s.storeError("reindex", err, "collection "+id)
	}
	t, m, err := reindexTarget(c, req)
	if err != nil {
		return Operation{}, err
	}
	if err := s.needModelOrAdmin(ctx, m.Name, m.DisplayName); err != nil {
		return Operation{}, err
	}
	op, err := s.enqueue(ctx, c.ID, store.OpReindex, store.OpConfig{Reindex: &t})
	if errors.Is(err, store.ErrReindexQueued) {
		return Operation{}, apperr.New(apperr.Conflict,
			"%s is already being reindexed; wait for that operation to finish, or cancel it first.", c.Name)
	}
	if err != nil {
		return Operation{}, err
	}
	s.logger.Info("reindex queued", "collection", c.ID, "model", t.Model, "quantization", t.Quantization,
		"chunk_size", t.ChunkSize, "chunk_overlap", t.ChunkOverlap, "kind", indexer.ReindexKind(c, t))
	return opFromStore(op), nil
}

// reindexTarget validates a request against the collection: the target
// settings and the vector collection the new build goes to.
func reindexTarget(c store.Collection, req ReindexRequest) (store.ReindexTarget, models.Model, error) {
	m, ok := models.Lookup(c.ModelName)
	if req.Model != nil && *req.Model != c.ModelName {
		if m, ok = models.Lookup(*req.Model); !ok {
			return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.ModelUnknown, "model",
				"Quarry does not know a model called %q.", truncate(*req.Model, 80))
		}
	}
	if !ok {
		return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.ModelUnknown, "model",
			"This collection's model %q is not known to this version of Quarry; choose another model.", truncate(c.ModelName, 80))
	}
	if !m.Embeds() {
		return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.InvalidArgument, "model",
			"%s is a reranker: it re-orders search results and cannot embed a collection.", m.DisplayName)
	}
	if !m.Runnable() {
		return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.ModelUnavailable, "model",
			"%s cannot be used yet: %s", m.DisplayName, m.Unavailable)
	}
	t := store.ReindexTarget{Model: m.Name, Dims: m.Dims, Quantization: c.Quantization, ChunkSize: c.ChunkSize, ChunkOverlap: c.ChunkOverlap}
	if req.Quantization != nil {
		if !slices.Contains(Quantizations, *req.Quantization) {
			return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.InvalidArgument, "quantization",
				"Quantization must be one of %s.", strings.Join(Quantizations, ", "))
		}
		t.Quantization = *req.Quantization
	}
	if m.Name != c.ModelName && req.ChunkSize == nil && t.ChunkSize > m.MaxSeqLen {
		// The current chunks do not fit the new model: take its own.
		t.ChunkSize, t.ChunkOverlap = m.DefaultChunkSize, m.DefaultChunkOverlap
	}
	if req.ChunkSize != nil {
		t.ChunkSize = *req.ChunkSize
	}
	if req.ChunkOverlap != nil {
		t.ChunkOverlap = *req.ChunkOverlap
	} else if t.ChunkOverlap > t.ChunkSize/2 {
		t.ChunkOverlap = t.ChunkSize / 2
	}
	if t.ChunkSize < models.MinChunkSize || t.ChunkSize > m.MaxSeqLen {
		return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.InvalidArgument, "chunk_size",
			"Chunk size must be between %d and %d tokens for %s.", models.MinChunkSize, m.MaxSeqLen, m.DisplayName)
	}
	if t.ChunkOverlap < 0 || t.ChunkOverlap > t.ChunkSize/2 {
		return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.InvalidArgument, "chunk_overlap",
			"Chunk overlap must be between 0 and %d tokens (half the chunk size).", t.ChunkSize/2)
	}
	if t.Model == c.ModelName && t.Quantization == c.Quantization && t.ChunkSize == c.ChunkSize && t.ChunkOverlap == c.ChunkOverlap {
		return store.ReindexTarget{}, models.Model{}, apperr.New(apperr.InvalidArgument,
			"Nothing to change: %s already uses %s, %s, chunks of %d tokens with %d overlap.",
			c.Name, m.DisplayName, t.Quantization, t.ChunkSize, t.ChunkOverlap)
	}
	q, err := qdrant.ParseQuantization(t.Quantization)
	if err != nil {
		return store.ReindexTarget{}, models.Model{}, apperr.Field(apperr.InvalidArgument, "quantization", "Unknown quantization.")
	}
	for g := 0; ; g++ {
		name := qdrant.PhysicalName(c.ID, m.ShortName, q, g)
		if name != c.VectorCollection && !slices.Contains(c.VectorCollections, name) {
			t.Staging = name
			break
		}
	}
	return t, m, nil
}

// plan describes a validated reindex.
func (s *Service) plan(c store.Collection, t store.ReindexTarget, m models.Model, work store.ReindexWork) ReindexPlan {
	p := ReindexPlan{
		Kind: indexer.ReindexKind(c, t), Model: t.Model, Quantization: t.Quantization, ChunkSize: t.ChunkSize,
		ChunkOverlap: t.ChunkOverlap, Documents: work.Documents, Chunks: work.Chunks, ModelInstalled: true,
	}
	if s.models != nil {
		p.ModelInstalled = s.models.Installed(t.Model)
	}
	var b strings.Builder
	switch p.Kind {
	case indexer.ReindexReencode:
		// Re-encoding runs at database speed.
		p.EstimatedSeconds = 1 + float64(work.Embedded)/20000
		fmt.Fprintf(&b, "Re-encodes the %d stored vectors as %s: no model runs and no file is opened.", work.Embedded, t.Quantization)
	default:
		p.ModelCalls = true
		perSec := 25.0 * float64(runtime.NumCPU())
		if m.Kind == models.KindStatic {
			perSec = 3000
		}
		p.EstimatedSeconds = 2 + float64(work.Chunks)/perSec
		if !p.ModelInstalled {
			fmt.Fprintf(&b, "%s is not installed: it is downloaded first (or import it). ", m.DisplayName)
		}
		if p.Kind == indexer.ReindexRechunk {
			fmt.Fprintf(&b, "Cuts the stored text of %d documents into chunks of %d tokens (%d overlap) and embeds them with %s",
				work.Documents, t.ChunkSize, t.ChunkOverlap, m.DisplayName)
		} else {
			fmt.Fprintf(&b, "Embeds the %d stored chunks of %d documents again with %s", work.Chunks, work.Documents, m.DisplayName)
			if t.Model == c.ModelName {
				fmt.Fprintf(&b, " (the stored %s vectors cannot give %s precision back)", c.Quantization, t.Quantization)
			}
		}
		b.WriteString(": files are not opened again.")
	}
	fmt.Fprintf(&b, " About %s. Search keeps using the current index until the new one is complete; if the reindex fails or is cancelled, nothing changes.",
		durationText(p.EstimatedSeconds))
	p.Summary = b.String()
	return p
}

// durationText rounds a duration for a person.
func durationText(secs float64) string {
	d := time.Duration(secs * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(1, int(d.Seconds()+0.5)))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	}
	return fmt.Sprintf("%.1f h", d.Hours())
}

// needModelOrAdmin lets only an administrator start a model download: a
// colleague may reindex onto a model that is already installed.
func (s *Service) needModelOrAdmin(ctx context.Context, name, display string) error {
	if s.needAdmin(ctx) == nil || s.models == nil || s.models.Installed(name) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "%s is not installed here; ask a Quarry administrator to install it first.", display)
}
