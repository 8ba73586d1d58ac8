// Package search answers queries over Quarry's collections: BM25 keyword
// search over an in-memory index built from the chunk text PostgreSQL
// keeps (and kept in step with it through a change log), semantic search
// through the vector index, and a tuned hybrid of the two, with filters,
// results grouped by document, highlighted snippets, and calibrated 0–1
// scores.
package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// Errors callers test with errors.Is.
var (
	ErrInvalid  = errors.New("invalid search request")
	ErrNotFound = errors.New("collection not found")
	// ErrSuperseded means a newer request with the same Supersedes key
	// replaced this one.
	ErrSuperseded = errors.New("search superseded by a newer one")
	// ErrNoReranker means reranking was asked for and no reranker model
	// can be used: none is installed (the error also matches
	// models.ErrNotInstalled) or it failed to load.
	ErrNoReranker = errors.New("no reranker available")
)

// Embedders opens a collection's model for query embedding; the indexer's
// embedder pool implements it.
type Embedders interface {
	Get(ctx context.Context, model string) (*embedder.Service, error)
}

// Rerankers opens the installed cross-encoder; the embedder pool
// implements it. With none installed, Reranker's error matches
// models.ErrNotInstalled.
type Rerankers interface {
	Reranker(ctx context.Context) (*embedder.Service, error)
}

// Options are the parts an Engine uses. Index and Embedders may be nil:
// search is then keyword-only. Without Rerankers, requests that ask for
// reranking fail with ErrNoReranker.
type Options struct {
	Store     *store.Store
	Index     *vecindex.Index
	Embedders Embedders
	Rerankers Rerankers
	// Fusion overrides DefaultFusion.
	Fusion *Fusion
	Logger *slog.Logger
}

// Engine runs searches. It is safe for concurrent use.
type Engine struct {
	st     *store.Store
	vec    *vecindex.Index
	emb    Embedders
	rr     Rerankers
	fusion Fusion
	// fixedFusion applies fusion to every collection instead of each
	// model's own weight.
	fixedFusion bool
	an          *Analyzer
	log         *slog.Logger

	mu      sync.Mutex
	indexes map[string]*kwEntry
	floors  map[string]float64
	running map[string]*inflight
}

// inflight is a running request that a newer one may supersede.
type inflight struct{ cancel context.CancelCauseFunc }

type kwEntry struct {
	once sync.Once
	x    *keywordIndex
	err  error
}

// New returns an engine; keyword indexes are built on first use (or by
// Warm).
func New(o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	f, fixed := DefaultFusion, false
	if o.Fusion != nil {
		f, fixed = *o.Fusion, true
	}
	return &Engine{
		st: o.Store, vec: o.Index, emb: o.Embedders, rr: o.Rerankers, fusion: f, fixedFusion: fixed, an: NewAnalyzer(),
		log:     o.Logger.With("component", "search"),
		indexes: map[string]*kwEntry{}, floors: map[string]float64{}, running: map[string]*inflight{},
	}
}

// Warm builds the keyword index of every collection, so the first search
// does not pay for it.
func (e *Engine) Warm(ctx context.Context) error {
	if err := e.st.PruneSearchChanges(ctx); err != nil {
		return err
	}
	list, err := e.st.SearchCollections(ctx, nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list {
		if _, err := e.keyword(ctx, c.ID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Forget drops a collection's keyword index (after the collection is
// deleted).
func (e *Engine) Forget(collectionID string) {
	e.mu.Lock()
	delete(e.indexes, collectionID)
	e.mu.Unlock()
}

// Refresh brings a collection's keyword index up to date now (after a
// reindex re-cut its chunks), so that no search pays for it.
func (e *Engine) Refresh(ctx context.Context, collectionID string) error {
	_, err := e.keyword(ctx, collectionID)
	return err
}

// keyword returns the collection's keyword index, up to date with
// PostgreSQL.
func (e *Engine) keyword(ctx context.Context, collectionID string) (*keywordIndex, error) {
	e.mu.Lock()
	ent, ok := e.indexes[collectionID]
	if !ok {
		ent = &kwEntry{}
		e.indexes[collectionID] = ent
	}
	e.mu.Unlock()
	built := false
	ent.once.Do(func() {
		built = true
		t0 := time.Now()
		x := newKeywordIndex(e.an)
		x.refresh.Lock()
		defer x.refresh.Unlock()
		// Changes logged before the snapshot are in it.
		if _, err := e.st.ConsumeSearchChanges(ctx, collectionID); err != nil {
			ent.err = err
			return
		}
		if err := x.load(ctx, e.st, collectionID, nil); err != nil {
			ent.err = fmt.Errorf("build keyword index of %s: %w", collectionID, err)
			return
		}
		ent.x = x
		e.log.Info("keyword index built", "collection", collectionID, "chunks", x.live, "terms", len(x.terms),
			"took", time.Since(t0).Round(time.Millisecond))
	})
	if ent.err != nil {
		// A failed build (a cancelled first search, say) is retried.
		e.mu.Lock()
		if e.indexes[collectionID] == ent {
			delete(e.indexes, collectionID)
		}
		e.mu.Unlock()
		return nil, ent.err
	}
	if !built {
		if err := ent.x.sync(ctx, e.st, collectionID); err != nil {
			return nil, err
		}
	}
	return ent.x, nil
}

// Nothing answers req over no collection at all (a caller with none to
// search), checking the request as Search does.
func (e *Engine) Nothing(req Request) (Response, error) {
	req, err := normalize(req)
	if err != nil {
		return Response{}, err
	}
	return Response{Query: req.Query, Mode: req.Mode, Results: []Result{}}, nil
}

// Search runs a request.
func (e *Engine) Search(ctx context.Context, req Request) (Response, error) {
	t0 := time.Now()
	req, err := normalize(req)
	if err != nil {
		return Response{}, err
	}
	if req.Supersedes != "" {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		me := &inflight{cancel: cancel}
		e.mu.Lock()
		if prev := e.running[req.Supersedes]; prev != nil {
			prev.cancel(ErrSuperseded)
		}
		e.running[req.Supersedes] = me
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			if e.running[req.Supersedes] == me {
				delete(e.running, req.Supersedes)
			}
			e.mu.Unlock()
			cancel(nil)
		}()
	}
	cols, err := e.collections(ctx, req.CollectionIDs)
	if err != nil {
		return Response{}, err
	}
	resp := Response{Query: req.Query, Mode: req.Mode, Results: []Result{}}
	var rr *embedder.Service
	ranking := req
	if req.Rerank {
		if rr, err = e.reranker(ctx); err != nil {
			return Response{}, err
		}
		// The reranker's scores decide what MinScore drops.
		ranking.MinScore = 0
	}
	need := max(req.Offset+req.Limit, req.RerankDepth) + 1
	lists := make([][]Result, 0, len(cols))
	for _, c := range cols {
		rs, cov, warn, err := e.searchCollection(ctx, c, ranking, need)
		if err != nil {
			if errors.Is(context.Cause(ctx), ErrSuperseded) {
				return Response{}, ErrSuperseded
			}
			if ctx.Err() != nil {
				return Response{}, ctx.Err()
			}
			// One collection that cannot be searched fails alone.
			e.log.Error("search collection", "collection", c.ID, "err", err)
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("%s could not be searched: %v", c.Name, err))
			continue
		}
		if warn != "" {
			resp.Warnings = append(resp.Warnings, warn)
		}
		if cov != nil {
			resp.Coverage = append(resp.Coverage, *cov)
		}
		lists = append(lists, rs)
	}
	merged := mergeByRank(lists)
	// Passages read for reranking are not read again for the page.
	rows := map[string]store.Passage{}
	if rr != nil {
		var n int
		if merged, n, err = e.rerank(ctx, rr, merged, req, rows); err != nil {
			if errors.Is(context.Cause(ctx), ErrSuperseded) {
				return Response{}, ErrSuperseded
			}
			return Response{}, err
		}
		resp.Reranker = rr.Info().Model
		resp.Reranked = n
	}
	if len(merged) > req.Offset+req.Limit {
		resp.HasMore = true
	}
	page := merged[min(req.Offset, len(merged)):min(req.Offset+req.Limit, len(merged))]
	if err := e.hydrate(ctx, page, req, rows); err != nil {
		return Response{}, err
	}
	resp.Results = page
	resp.TookMS = float64(time.Since(t0).Microseconds()) / 1000
	return resp, nil
}

func normalize(req Request) (Request, error) {
	req.Query = strings.TrimSpace(req.Query)
	switch {
	case req.Query == "":
		return req, fmt.Errorf("%w: the query is empty", ErrInvalid)
	case len([]rune(req.Query)) > MaxQueryLength:
		return req, fmt.Errorf("%w: the query is longer than %d characters", ErrInvalid, MaxQueryLength)
	}
	switch req.Mode {
	case "":
		req.Mode = Hybrid
	case Hybrid, Semantic, Keyword:
	default:
		return req, fmt.Errorf("%w: unknown mode %q", ErrInvalid, req.Mode)
	}
	if req.Limit <= 0 {
		req.Limit = DefaultLimit
	}
	if req.Offset < 0 || req.Limit > MaxLimit || req.Offset+req.Limit > MaxLimit {
		return req, fmt.Errorf("%w: offset + limit must stay within %d", ErrInvalid, MaxLimit)
	}
	if req.Passages <= 0 {
		req.Passages = DefaultPassages
	}
	req.Passages = min(req.Passages, MaxPassagesPerHit)
	switch {
	case req.RerankDepth < 0 || req.RerankDepth > MaxRerankDepth:
		return req, fmt.Errorf("%w: rerank_depth must be between 1 and %d", ErrInvalid, MaxRerankDepth)
	case req.RerankDepth == 0 && req.Rerank:
		req.RerankDepth = DefaultRerankDepth
	case !req.Rerank:
		req.RerankDepth = 0
	}
	ids := make([]string, len(req.CollectionIDs))
	for i, id := range req.CollectionIDs {
		u, err := uuid.Parse(id)
		if err != nil {
			return req, fmt.Errorf("%w: %q", ErrNotFound, id)
		}
		ids[i] = u.String()
	}
	req.CollectionIDs = ids
	return req, nil
}

func (e *Engine) collections(ctx context.Context, ids []string) ([]store.Collection, error) {
	if len(ids) == 0 {
		return e.st.SearchCollections(ctx, nil)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	out, err := e.st.SearchCollections(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(out) != len(ids) {
		for _, id := range ids {
			if !slices.ContainsFunc(out, func(c store.Collection) bool { return c.ID == id }) {
				return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
			}
		}
	}
	return out, nil
}

// mergeByRank interleaves per-collection rankings by reciprocal rank:
// collections embedded with different models have incomparable raw
// scores, while ranks compare.
func mergeByRank(lists [][]Result) []Result {
	if len(lists) == 1 {
		return lists[0]
	}
	type ranked struct {
		r    Result
		rrf  float64
		list int
	}
	var all []ranked
	for li, l := range lists {
		for i, r := range l {
			all = append(all, ranked{r: r, rrf: 1 / (60 + float64(i+1)), list: li})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].rrf != all[j].rrf {
			return all[i].rrf > all[j].rrf
		}
		return all[i].r.Score > all[j].r.Score
	})
	out := make([]Result, len(all))
	for i, a := range all {
		out[i] = a.r
	}
	return out
}

// searchCollection ranks one collection's documents; passages carry
// scores but no text yet.
func (e *Engine) searchCollection(ctx context.Context, c store.Collection, req Request, need int) ([]Result, *Coverage, string, error) {
	x, err := e.keyword(ctx, c.ID)
	if err != nil {
		return nil, nil, "", err
	}
	mode, warn := req.Mode, ""
	var cov *Coverage
	var svc *embedder.Service
	if mode != Keyword {
		cov = &Coverage{CollectionID: c.ID, Name: c.Name, VectorsLoaded: 100}
		svc, err = e.embedderFor(ctx, c)
		if err != nil {
			// A collection whose model cannot be used now is searched by
			// keyword, in every mode: never a failed request.
			mode = Keyword
			warn = modelWarning(c, err)
		} else if warn, err = e.coverage(ctx, c, x, cov); err != nil {
			return nil, nil, "", err
		}
		cov.Semantic = mode != Keyword
	}
	m := req.Filters.compile()
	k := min(max(100, 3*need), maxCandidateChunks)

	var hits []qdrant.Hit
	var floor float64
	var qv []float32
	if mode != Keyword {
		vs, err := svc.Embed(ctx, []string{req.Query}, embedder.Query)
		if err != nil {
			return nil, nil, "", fmt.Errorf("embed query: %w", err)
		}
		qv = vs[0]
		floor = e.floor(ctx, c.ModelName, svc)
		hits, err = e.vectorSearch(ctx, x, c, qv, m, k)
		if err != nil {
			return nil, nil, "", err
		}
	}

	terms := e.an.Terms(req.Query)
	x.mu.RLock()
	var cs []candidate
	bySlot := map[uint32]int{}
	add := func(slot uint32) *candidate {
		if i, ok := bySlot[slot]; ok {
			return &cs[i]
		}
		ch := x.chunks[slot]
		bySlot[slot] = len(cs)
		cs = append(cs, candidate{slot: slot, doc: ch.doc, index: int(ch.index)})
		return &cs[len(cs)-1]
	}
	var scores *kwScores
	if mode != Semantic {
		scores = x.score(terms)
		for _, s := range scores.top(x, k, m.keep) {
			add(s)
		}
	}
	for _, h := range hits {
		d := x.docs[h.Payload.DocumentID]
		if d == nil || !m.keep(d) {
			continue // soft-deleted, purged, or filtered out
		}
		s, ok := d.slotOf(x, h.Payload.ChunkIndex)
		if !ok {
			continue
		}
		cand := add(s)
		cand.semantic, cand.hasSem = calibrateCosine(float64(h.Score), floor), true
	}
	if scores != nil {
		if scores.max > 0 {
			for i := range cs {
				cs[i].keyword = float64(scores.score[cs[i].slot]) / scores.max
			}
		}
		scores.release()
	}
	x.mu.RUnlock()

	if mode == Hybrid {
		if err := e.fillSemantic(ctx, c, cs, qv, floor); err != nil {
			return nil, nil, "", err
		}
	}
	e.fusionFor(c).fuse(mode, cs)
	return group(c.ID, mode, cs, req), cov, warn, nil
}

// fusionFor is how hybrid search blends a collection's two rankings: the
// engine's fixed fusion when it was given one (quarry eval), otherwise
// the collection's model's own weight.
func (e *Engine) fusionFor(c store.Collection) Fusion {
	if e.fixedFusion {
		return e.fusion
	}
	f := e.fusion
	if m, ok := models.Lookup(c.ModelName); ok {
		f.Weight = m.HybridFusion().Weight
	}
	return f
}

// coverage fills in how much of a collection semantic search sees and
// returns a warning when that is not all of it.
func (e *Engine) coverage(ctx context.Context, c store.Collection, x *keywordIndex, cov *Coverage) (string, error) {
	waiting, err := e.st.CountUnembedded(ctx, c.ID)
	if err != nil {
		return "", err
	}
	x.mu.RLock()
	cov.Documents = x.liveDocs()
	x.mu.RUnlock()
	cov.Embedded = max(0, cov.Documents-waiting)
	var warns []string
	if waiting > 0 && cov.Documents > 0 {
		warns = append(warns, fmt.Sprintf("semantic search covers %d of %d documents so far (the rest are found by keyword)", cov.Embedded, cov.Documents))
	}
	if loading, pct := e.vec.Loading(c.ID); loading {
		cov.VectorsLoaded = pct
		warns = append(warns, fmt.Sprintf("vectors are still loading (%.0f %%), so semantic results are partial", pct))
	}
	if len(warns) == 0 {
		return "", nil
	}
	return c.Name + ": " + strings.Join(warns, "; "), nil
}

// vectorSearch asks the vector index for the k nearest chunks that pass
// the filter. Filters the index cannot express (folders, statuses, a
// document reachable at several paths) become a document-id list when
// short, or a wider search checked afterwards.
func (e *Engine) vectorSearch(ctx context.Context, x *keywordIndex, c store.Collection, qv []float32, m *matcher, k int) ([]qdrant.Hit, error) {
	const maxIDs = 2048
	var f qdrant.Filter
	limit := k
	x.mu.RLock()
	if m != nil {
		var allowed, denied []string
		for id, d := range x.docs {
			if m.keep(d) {
				if len(allowed) <= maxIDs {
					allowed = append(allowed, id)
				}
			} else if len(denied) <= maxIDs {
				denied = append(denied, id)
			}
		}
		switch {
		case len(allowed) == 0:
			x.mu.RUnlock()
			return nil, nil
		case len(allowed) <= maxIDs:
			f.DocumentIDs = allowed
		case len(denied) <= maxIDs:
			f.ExcludeDocumentIDs = denied
		default:
			limit = min(k*4, maxCandidateChunks)
		}
	}
	if f.DocumentIDs == nil && len(x.deleted) > 0 {
		if len(f.ExcludeDocumentIDs)+len(x.deleted) <= 2*maxIDs {
			for id := range x.deleted {
				f.ExcludeDocumentIDs = append(f.ExcludeDocumentIDs, id)
			}
		} else {
			limit = min(k*4, maxCandidateChunks)
		}
	}
	x.mu.RUnlock()
	hits, err := e.vec.Search(ctx, c, qdrant.Query{Vector: qv, Limit: limit, Filter: f})
	if err != nil {
		return nil, fmt.Errorf("vector search in %s: %w", c.ID, err)
	}
	return hits, nil
}

// fillSemantic computes the exact similarity of keyword-only candidates
// from the embeddings PostgreSQL keeps.
func (e *Engine) fillSemantic(ctx context.Context, c store.Collection, cs []candidate, qv []float32, floor float64) error {
	var docs []string
	var idx []int
	want := map[string]int{}
	for i := range cs {
		if !cs[i].hasSem {
			key := passageKey(cs[i].doc.meta.ID, cs[i].index)
			want[key] = i
			docs, idx = append(docs, cs[i].doc.meta.ID), append(idx, cs[i].index)
		}
	}
	if len(docs) == 0 {
		return nil
	}
	rows, err := e.st.StoredChunksByKey(ctx, c.ID, docs, idx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		i, ok := want[passageKey(r.DocumentID, r.Index)]
		if !ok {
			continue
		}
		v, err := embedder.Precision(r.Format).Decode(r.Embedding, c.EmbeddingDims)
		if err != nil {
			continue
		}
		cs[i].semantic, cs[i].hasSem = calibrateCosine(cosine(qv, v), floor), true
	}
	return nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// group turns scored chunks into documents, best passage first.
func group(collectionID string, mode Mode, cs []candidate, req Request) []Result {
	slices.SortFunc(cs, func(a, b candidate) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		if c := strings.Compare(a.doc.meta.ID, b.doc.meta.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})
	var out []Result
	at := map[*kdoc]int{}
	for _, c := range cs {
		shown := clamp01(c.score)
		if (mode == Keyword && c.keyword <= 0) || (req.MinScore > 0 && shown < req.MinScore) {
			continue
		}
		i, ok := at[c.doc]
		if !ok {
			i = len(out)
			at[c.doc] = i
			meta := c.doc.meta
			out = append(out, Result{
				CollectionID: collectionID, DocumentID: meta.ID, Path: meta.Path, FileName: extract.MemberBase(meta.Path),
				MimeType: meta.MimeType, Modified: meta.Modified, Score: shown,
			})
		}
		r := &out[i]
		if len(r.Passages) < req.Passages {
			r.Passages = append(r.Passages, Passage{ChunkIndex: c.index, Score: shown, KeywordScore: c.keyword, SemanticScore: clamp01(c.semantic)})
		} else {
			r.MoreMatches++
		}
	}
	return out
}

// hydrate fills in the passages' text, pages and snippets.
func (e *Engine) hydrate(ctx context.Context, page []Result, req Request, rows map[string]store.Passage) error {
	query := map[string]bool{}
	for _, t := range e.an.Terms(req.Query) {
		query[t] = true
	}
	if err := e.passages(ctx, page, rows); err != nil {
		return err
	}
	for i := range page {
		for j := range page[i].Passages {
			p := &page[i].Passages[j]
			row, ok := rows[passageKey(page[i].DocumentID, p.ChunkIndex)]
			if !ok {
				p.Snippet = Snippet{Highlights: []Span{}}
				continue // removed since the index was read
			}
			p.Page, p.PageEnd, p.Heading = row.PageStart, row.PageEnd, row.Heading
			p.Snippet = makeSnippet(e.an, row.Text, query)
		}
	}
	return nil
}

// passages reads the stored passages of rs that rows lacks into rows,
// keyed by passageKey; passages of deleted documents stay absent.
func (e *Engine) passages(ctx context.Context, rs []Result, rows map[string]store.Passage) error {
	type want struct {
		docs []string
		idx  []int
	}
	byCollection := map[string]*want{}
	for _, r := range rs {
		for _, p := range r.Passages {
			if _, ok := rows[passageKey(r.DocumentID, p.ChunkIndex)]; ok {
				continue
			}
			w := byCollection[r.CollectionID]
			if w == nil {
				w = &want{}
				byCollection[r.CollectionID] = w
			}
			w.docs, w.idx = append(w.docs, r.DocumentID), append(w.idx, p.ChunkIndex)
		}
	}
	for cid, w := range byCollection {
		got, err := e.st.Passages(ctx, cid, w.docs, w.idx)
		if err != nil {
			return err
		}
		for _, p := range got {
			rows[passageKey(p.DocumentID, p.Index)] = p
		}
	}
	return nil
}

// passageKey names a chunk of a document in maps.
func passageKey(documentID string, index int) string {
	return documentID + "/" + strconv.Itoa(index)
}

// modelWarning says, in a sentence a person can act on, why a collection
// was searched by keyword only.
func modelWarning(c store.Collection, err error) string {
	why := err.Error()
	if i := strings.Index(why, models.ErrNotInstalled.Error()+": "); i >= 0 {
		why = why[i+len(models.ErrNotInstalled.Error())+2:]
	}
	return fmt.Sprintf("%s was searched by keyword only: %s.", c.Name, strings.TrimSuffix(why, "."))
}
