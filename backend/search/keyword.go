package search

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/quarry-search/quarry/backend/store"
)

// BM25 parameters: Robertson's k1 (term-frequency saturation) and b
// (length normalization), at the values Lucene and Anserini default to.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

type posting struct {
	chunk uint32
	tf    uint16
}

// kdoc is a live document of the keyword index.
type kdoc struct {
	meta   store.SearchDoc
	chunks []uint32 // slots of its chunks
}

// kchunk is one slot of the keyword index; doc is nil once removed.
type kchunk struct {
	doc    *kdoc
	index  int32
	length uint32
}

// keywordIndex is an in-memory BM25 index of one collection's chunks.
// Postings are appended as chunks arrive; removed chunks become dead
// slots that scoring skips until a compaction drops them. Document
// frequencies count live postings only, so statistics stay exact.
type keywordIndex struct {
	an *Analyzer

	mu       sync.RWMutex
	terms    map[string]uint32
	postings [][]posting
	chunks   []kchunk
	docs     map[string]*kdoc
	deleted  map[string]bool // soft-deleted documents, excluded everywhere
	live     int
	dead     int
	totalLen int64

	// refresh serializes applying changes read from PostgreSQL, so an
	// older read never overwrites a newer one.
	refresh sync.Mutex
}

func newKeywordIndex(an *Analyzer) *keywordIndex {
	return &keywordIndex{an: an, terms: map[string]uint32{}, docs: map[string]*kdoc{}, deleted: map[string]bool{}}
}

// put replaces a document and its chunks. The caller holds mu.
func (x *keywordIndex) put(meta store.SearchDoc, chunks []store.SearchChunk) {
	x.remove(meta.ID)
	if meta.Deleted {
		x.deleted[meta.ID] = true
		return
	}
	delete(x.deleted, meta.ID)
	d := &kdoc{meta: meta}
	x.docs[meta.ID] = d
	tf := map[string]int{}
	for _, c := range chunks {
		clear(tf)
		n := 0
		scan(c.Text, func(w string, _, _ int) {
			if t := x.an.term(w); t != "" {
				tf[t]++
				n++
			}
		})
		slot := uint32(len(x.chunks))
		x.chunks = append(x.chunks, kchunk{doc: d, index: int32(c.Index), length: uint32(n)})
		d.chunks = append(d.chunks, slot)
		for t, f := range tf {
			id, ok := x.terms[t]
			if !ok {
				id = uint32(len(x.postings))
				x.terms[t] = id
				x.postings = append(x.postings, nil)
			}
			x.postings[id] = append(x.postings[id], posting{chunk: slot, tf: uint16(min(f, math.MaxUint16))})
		}
		x.live++
		x.totalLen += int64(n)
	}
}

// remove forgets a document. The caller holds mu.
func (x *keywordIndex) remove(docID string) {
	delete(x.deleted, docID)
	d, ok := x.docs[docID]
	if !ok {
		return
	}
	for _, s := range d.chunks {
		x.chunks[s].doc = nil
		x.live--
		x.dead++
		x.totalLen -= int64(x.chunks[s].length)
	}
	delete(x.docs, docID)
}

// maybeCompact drops dead slots once they are a third of the index. The
// caller holds mu.
func (x *keywordIndex) maybeCompact() {
	if x.dead < 1024 || x.dead*3 < len(x.chunks) {
		return
	}
	remap := make([]uint32, len(x.chunks))
	kept := make([]kchunk, 0, x.live)
	for i, c := range x.chunks {
		if c.doc == nil {
			remap[i] = math.MaxUint32
			continue
		}
		remap[i] = uint32(len(kept))
		kept = append(kept, c)
	}
	for id, list := range x.postings {
		out := list[:0]
		for _, p := range list {
			if n := remap[p.chunk]; n != math.MaxUint32 {
				out = append(out, posting{chunk: n, tf: p.tf})
			}
		}
		x.postings[id] = out
	}
	for _, d := range x.docs {
		for i, s := range d.chunks {
			d.chunks[i] = remap[s]
		}
	}
	x.chunks, x.dead = kept, 0
}

// load reads documents (all when ids is nil) and their chunks from
// PostgreSQL and applies them.
func (x *keywordIndex) load(ctx context.Context, st *store.Store, collectionID string, ids []string) error {
	metas := map[string]store.SearchDoc{}
	if err := st.ForEachSearchDoc(ctx, collectionID, ids, func(d store.SearchDoc) error {
		metas[d.ID] = d
		return nil
	}); err != nil {
		return err
	}
	chunks := map[string][]store.SearchChunk{}
	if err := st.ForEachSearchChunk(ctx, collectionID, ids, func(c store.SearchChunk) error {
		chunks[c.DocumentID] = append(chunks[c.DocumentID], c)
		return nil
	}); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if _, ok := metas[id]; !ok {
			x.remove(id) // purged
		}
	}
	for id, m := range metas {
		x.put(m, chunks[id])
	}
	x.maybeCompact()
	return nil
}

// sync applies the changes PostgreSQL logged since the last call.
func (x *keywordIndex) sync(ctx context.Context, st *store.Store, collectionID string) error {
	x.refresh.Lock()
	defer x.refresh.Unlock()
	ids, err := st.ConsumeSearchChanges(ctx, collectionID)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := x.load(ctx, st, collectionID, ids); err != nil {
		return fmt.Errorf("update keyword index of %s: %w", collectionID, err)
	}
	return nil
}

// idf is BM25's inverse document frequency in Lucene's non-negative form.
func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// kwScores holds one query's BM25 scores over the index's slots.
type kwScores struct {
	score   []float32 // by slot; valid for slots in touched
	touched []uint32
	// max is the highest score any chunk could reach for this query:
	// every term present at saturating frequency.
	max float64
}

var scorePool = sync.Pool{New: func() any { return &kwScores{} }}

func (s *kwScores) release() {
	s.reset()
	s.touched = s.touched[:0]
	scorePool.Put(s)
}

// score computes BM25 for every chunk holding a query term. The caller
// holds mu for reading until it is done with the result.
func (x *keywordIndex) score(terms []string) *kwScores {
	out := scorePool.Get().(*kwScores)
	if cap(out.score) < len(x.chunks) {
		out.score = make([]float32, len(x.chunks))
	}
	out.score = out.score[:len(x.chunks)]
	out.max = 0
	if x.live == 0 {
		return out
	}
	qtf := map[string]int{}
	var order []string
	for _, t := range terms {
		if qtf[t] == 0 {
			order = append(order, t)
		}
		qtf[t]++
	}
	avgdl := float64(x.totalLen) / float64(x.live)
	if avgdl == 0 {
		avgdl = 1
	}
	for _, t := range order {
		id, ok := x.terms[t]
		if !ok {
			continue
		}
		list := x.postings[id]
		df := len(list)
		if x.dead > 0 {
			df = 0
			for _, p := range list {
				if x.chunks[p.chunk].doc != nil {
					df++
				}
			}
		}
		if df == 0 {
			continue
		}
		w := idf(x.live, df) * float64(qtf[t])
		out.max += w * (bm25K1 + 1)
		for _, p := range list {
			c := &x.chunks[p.chunk]
			if c.doc == nil {
				continue
			}
			tf := float64(p.tf)
			norm := bm25K1 * (1 - bm25B + bm25B*float64(c.length)/avgdl)
			v := float32(w * tf * (bm25K1 + 1) / (tf + norm))
			if out.score[p.chunk] == 0 {
				out.touched = append(out.touched, p.chunk)
				out.score[p.chunk] = v
			} else {
				out.score[p.chunk] += v
			}
		}
	}
	return out
}

// reset zeroes the touched slots so the buffer can be reused.
func (s *kwScores) reset() {
	for _, c := range s.touched {
		s.score[c] = 0
	}
}

// top returns the k best slots whose document passes keep, best first.
func (s *kwScores) top(x *keywordIndex, k int, keep func(*kdoc) bool) []uint32 {
	if k <= 0 {
		return nil
	}
	h := &slotHeap{score: s.score}
	for _, c := range s.touched {
		v := s.score[c]
		if h.Len() == k && v <= s.score[h.slots[0]] {
			continue
		}
		if keep != nil && !keep(x.chunks[c].doc) {
			continue
		}
		if h.Len() < k {
			heap.Push(h, c)
		} else {
			h.slots[0] = c
			heap.Fix(h, 0)
		}
	}
	out := make([]uint32, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(uint32)
	}
	return out
}

// slotHeap is a min-heap of slots by score.
type slotHeap struct {
	slots []uint32
	score []float32
}

func (h *slotHeap) Len() int           { return len(h.slots) }
func (h *slotHeap) Less(i, j int) bool { return h.score[h.slots[i]] < h.score[h.slots[j]] }
func (h *slotHeap) Swap(i, j int)      { h.slots[i], h.slots[j] = h.slots[j], h.slots[i] }
func (h *slotHeap) Push(v any)         { h.slots = append(h.slots, v.(uint32)) }
func (h *slotHeap) Pop() any {
	v := h.slots[len(h.slots)-1]
	h.slots = h.slots[:len(h.slots)-1]
	return v
}

// slotOf finds a document's chunk slot by chunk index.
func (d *kdoc) slotOf(x *keywordIndex, index int) (uint32, bool) {
	for _, s := range d.chunks {
		if int(x.chunks[s].index) == index {
			return s, true
		}
	}
	return 0, false
}

// liveDocs counts the documents keyword search can find; x.mu is held.
func (x *keywordIndex) liveDocs() int {
	n := 0
	for id, d := range x.docs {
		if len(d.chunks) > 0 && !x.deleted[id] {
			n++
		}
	}
	return n
}
