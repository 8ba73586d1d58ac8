package standin

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
)

type hit struct {
	slot  int32
	score float32
}

// topK keeps the k best hits in a min-heap on score.
type topK struct {
	k int
	h []hit
}

func (t *topK) push(slot int32, score float32) {
	if len(t.h) < t.k {
		t.h = append(t.h, hit{slot, score})
		t.up(len(t.h) - 1)
		return
	}
	if score <= t.h[0].score {
		return
	}
	t.h[0] = hit{slot, score}
	t.down(0)
}

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if t.h[p].score <= t.h[i].score {
			return
		}
		t.h[p], t.h[i] = t.h[i], t.h[p]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && t.h[r].score < t.h[l].score {
			m = r
		}
		if t.h[i].score <= t.h[m].score {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// parallelMin is the collection size from which a search fans out over
// cores; below it the goroutine handoff costs more than it saves.
const parallelMin = 4096

// search scores every live point that passes match and returns the best k,
// best first. Callers hold at least the read lock.
func (c *collection) search(q []float32, k int, match predicate, threshold *float32) []hit {
	if k <= 0 {
		return nil
	}
	n := len(c.keys)
	workers := runtime.GOMAXPROCS(0)
	if n < parallelMin || workers < 2 {
		workers = 1
	}
	parts := make([]topK, workers)
	var wg sync.WaitGroup
	span := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*span, min((w+1)*span, n)
		parts[w].k = k
		scan := func() { c.scan(q, lo, hi, match, threshold, &parts[w]) }
		if w == workers-1 {
			scan()
			continue
		}
		wg.Go(scan)
	}
	wg.Wait()
	var all []hit
	for _, p := range parts {
		all = append(all, p.h...)
	}
	slices.SortFunc(all, func(a, b hit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return compareKeys(c.keys[a.slot], c.keys[b.slot])
	})
	if len(all) > k {
		all = all[:k]
	}
	return all
}

func (c *collection) scan(q []float32, lo, hi int, match predicate, threshold *float32, out *topK) {
	d := c.dims
	for s := lo; s < hi; s++ {
		if !c.live[s] || (match != nil && !match(int32(s))) {
			continue
		}
		score := dot(q, c.vecs[s*d:(s+1)*d])
		if threshold != nil && score < *threshold {
			continue
		}
		out.push(int32(s), score)
	}
}

// dot is an eight-way unrolled dot product; the independent accumulators let
// the CPU overlap the multiply-adds, and reslicing keeps bounds checks out of
// the loop.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for len(a) >= 8 && len(b) >= 8 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		s4 += a[4] * b[4]
		s5 += a[5] * b[5]
		s6 += a[6] * b[6]
		s7 += a[7] * b[7]
		a, b = a[8:], b[8:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}
