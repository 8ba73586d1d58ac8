package search

import (
	"math"
	"slices"

	"github.com/quarry-search/quarry/backend/models"
)

// Fusion methods.
const (
	// FuseConvex blends the calibrated scores: w·semantic + (1−w)·keyword.
	FuseConvex = "convex"
	// FuseMinMax blends scores min–max normalized over each query's
	// candidates (kept for comparison; its scores are not calibrated).
	FuseMinMax = "minmax"
	// FuseRRF is weighted reciprocal rank fusion (for comparison).
	FuseRRF = "rrf"
)

// Fusion says how hybrid mode combines the two rankings.
type Fusion struct {
	Method string `json:"method"`
	// Weight is the semantic side's share, 0–1.
	Weight float64 `json:"weight"`
	// RRFK is reciprocal rank fusion's k (default 60).
	RRFK float64 `json:"rrf_k,omitempty"`
}

// DefaultFusion is the method hybrid search uses; the weight is each
// collection's model's own (models.Model.HybridFusion, with its evidence),
// this one only where no model is known.
var DefaultFusion = Fusion{Method: FuseConvex, Weight: models.DefaultHybridWeight}

// candidate is one chunk considered for a query.
type candidate struct {
	slot    uint32
	doc     *kdoc
	index   int
	keyword float64 // calibrated, 0–1
	// semantic is the calibrated cosine before clamping: below 0 for
	// texts less related than the model's floor, so ranking keeps the
	// order among them.
	semantic float64
	hasSem   bool
	score    float64 // ranks; shown clamped to 0–1
}

// calibrateCosine maps a cosine so that floor (what unrelated texts score)
// becomes 0 and 1 stays 1; it is not clamped (see candidate.semantic).
func calibrateCosine(cos, floor float64) float64 {
	if floor >= 1 {
		floor = 0
	}
	return (cos - floor) / (1 - floor)
}

// clamp01 is how scores are shown.
func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// fuse sets each candidate's score for the mode.
func (f Fusion) fuse(mode Mode, cs []candidate) {
	switch mode {
	case Keyword:
		for i := range cs {
			cs[i].score = cs[i].keyword
		}
		return
	case Semantic:
		for i := range cs {
			cs[i].score = cs[i].semantic
		}
		return
	}
	w := math.Max(0, math.Min(1, f.Weight))
	switch f.Method {
	case FuseMinMax:
		kmin, kmax := bounds(cs, func(c candidate) float64 { return c.keyword })
		smin, smax := bounds(cs, func(c candidate) float64 { return c.semantic })
		for i := range cs {
			cs[i].score = w*unit(cs[i].semantic, smin, smax) + (1-w)*unit(cs[i].keyword, kmin, kmax)
		}
	case FuseRRF:
		k := f.RRFK
		if k <= 0 {
			k = 60
		}
		kr := ranks(cs, func(c candidate) float64 { return c.keyword })
		sr := ranks(cs, func(c candidate) float64 { return c.semantic })
		for i := range cs {
			var v float64
			if cs[i].keyword > 0 {
				v += (1 - w) / (k + float64(kr[i]))
			}
			if cs[i].hasSem {
				v += w / (k + float64(sr[i]))
			}
			cs[i].score = v
		}
	default:
		for i := range cs {
			cs[i].score = w*cs[i].semantic + (1-w)*cs[i].keyword
		}
	}
}

func bounds(cs []candidate, v func(candidate) float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, c := range cs {
		lo, hi = math.Min(lo, v(c)), math.Max(hi, v(c))
	}
	return lo, hi
}

func unit(v, lo, hi float64) float64 {
	if hi <= lo {
		return 0
	}
	return (v - lo) / (hi - lo)
}

// ranks returns each candidate's 1-based rank by v, best first.
func ranks(cs []candidate, v func(candidate) float64) []int {
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		va, vb := v(cs[a]), v(cs[b])
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	out := make([]int, len(cs))
	for r, i := range order {
		out[i] = r + 1
	}
	return out
}
