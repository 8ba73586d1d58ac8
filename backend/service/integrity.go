package service

import (
	"context"
	"slices"
	"strings"

	"github.com/quarry-search/quarry/backend/vecindex"
)

// Integrity compares what PostgreSQL holds with what the vector engine
// holds, collection by collection: the answer to "is my index sound?"
// after a crash, and what the crash tests check.
type Integrity struct {
	Collections []CollectionIntegrity `json:"collections"`
	// Orphans are vector collections no collection owns (a deletion or
	// reindex that did not finish cleaning up).
	Orphans []string `json:"orphans"`
	// Consistent is set when every collection is and nothing is orphaned.
	Consistent bool `json:"consistent"`
}

// CollectionIntegrity is one collection's side of Integrity.
type CollectionIntegrity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Documents and Chunks are PostgreSQL's; Embedded counts the chunks
	// with vectors, Points the points of the live build in the engine.
	Documents int   `json:"documents"`
	Chunks    int64 `json:"chunks"`
	Embedded  int64 `json:"embedded"`
	Points    int64 `json:"points"`
	// Build is the live vector collection, Staging a reindex's (or ""),
	// Builds every vector collection the engine holds for it.
	Build      string   `json:"build"`
	Staging    string   `json:"staging"`
	Builds     []string `json:"builds"`
	Loading    bool     `json:"loading"`
	Consistent bool     `json:"consistent"`
}

// CheckIntegrity counts both sides of every collection. While a
// collection's vectors are still loading at start-up it is reported as
// loading, not inconsistent.
func (s *Service) CheckIntegrity(ctx context.Context) (Integrity, error) {
	if err := s.needAdmin(ctx); err != nil {
		return Integrity{}, err
	}
	out := Integrity{Collections: []CollectionIntegrity{}, Orphans: []string{}, Consistent: true}
	list, err := s.store.ListCollections(ctx)
	if err != nil {
		return Integrity{}, s.internal("check integrity", err)
	}
	var all []string
	if s.index != nil {
		if all, err = s.index.AllBuilds(ctx); err != nil {
			return Integrity{}, s.internal("check integrity", err)
		}
	}
	owned := map[string]bool{}
	for _, c := range list {
		ci := CollectionIntegrity{ID: c.ID, Name: c.Name, Documents: c.DocumentCount, Chunks: c.ChunkCount,
			Embedded: c.VectorCount, Staging: c.Staging, Builds: []string{}}
		if t, err := vecindex.TargetOf(c); err == nil {
			ci.Build = t.Physical
		}
		for _, n := range all {
			if strings.HasPrefix(n, c.ID+"_") {
				ci.Builds = append(ci.Builds, n)
				owned[n] = true
			}
		}
		if s.index != nil {
			ci.Loading, _ = s.index.Loading(c.ID)
			if slices.Contains(ci.Builds, ci.Build) {
				n, err := s.index.CountBuild(ctx, ci.Build)
				if err != nil {
					return Integrity{}, s.internal("check integrity", err)
				}
				ci.Points = int64(n)
			}
		}
		extra := len(ci.Builds) > 1 && !(len(ci.Builds) == 2 && ci.Staging != "" && slices.Contains(ci.Builds, ci.Staging))
		ci.Consistent = ci.Loading || (ci.Points == ci.Embedded && !extra && (ci.Embedded == 0 || slices.Contains(ci.Builds, ci.Build)))
		out.Consistent = out.Consistent && ci.Consistent
		out.Collections = append(out.Collections, ci)
	}
	for _, n := range all {
		if !owned[n] {
			out.Orphans = append(out.Orphans, n)
		}
	}
	out.Consistent = out.Consistent && len(out.Orphans) == 0
	return out, nil
}
