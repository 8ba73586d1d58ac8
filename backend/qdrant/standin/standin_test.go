package standin

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	pb "github.com/qdrant/go-client/qdrant"
)

func TestFloat16Rounding(t *testing.T) {
	cases := []struct {
		in, want float32
	}{
		{0, 0},
		{1, 1},
		{-2.5, -2.5},
		{0.1, 0.0999755859375},
		{65504, 65504},
		{1e6, float32(math.Inf(1))},
		{6.103515625e-05, 6.103515625e-05}, // smallest normal
		{5.960464477539063e-08, 5.960464477539063e-08}, // smallest subnormal
		{1e-9, 0},
		{1.0009765625, 1.0009765625}, // 1 + 2^-10, exact
		{1.00048828125, 1},           // halfway, rounds to even
		{1.00146484375, 1.001953125}, // halfway, rounds to even (up)
	}
	for _, tc := range cases {
		if got := roundFloat16(tc.in); got != tc.want {
			t.Errorf("roundFloat16(%g) = %g; want %g", tc.in, got, tc.want)
		}
	}
}

// newTestCollection fills a collection with n random points whose payload
// "group" cycles through 0..9 and whose "tag" is sometimes a list.
func newTestCollection(tb testing.TB, n, dims int) (*collection, [][]float32) {
	tb.Helper()
	params := &pb.VectorParams{Size: uint64(dims), Distance: pb.Distance_Cosine}
	c := newCollection(&pb.CreateCollection{CollectionName: "t"}, "", params)
	c.createIndex("group", pb.PayloadSchemaType_Keyword)
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([][]float32, n)
	pts := make([]*pb.PointStruct, n)
	for i := range n {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		raw[i] = v
		group := pb.NewValueString(string(rune('a' + i%10)))
		if i%7 == 0 {
			group = pb.NewValueFromList(pb.NewValueString("x"), pb.NewValueString(string(rune('a'+i%10))))
		}
		pts[i] = &pb.PointStruct{Id: pb.NewIDNum(uint64(i)), Vectors: pb.NewVectorsDense(v), Payload: map[string]*pb.Value{"group": group}}
	}
	if err := c.upsert(pts); err != nil {
		tb.Fatalf("upsert: %v", err)
	}
	return c, raw
}

func TestSearchMatchesExhaustiveCosine(t *testing.T) {
	const n, dims, k = parallelMin*2 + 17, 32, 10
	c, raw := newTestCollection(t, n, dims)
	q := raw[123]
	match, err := compileFilter(c, &pb.Filter{Must: []*pb.Condition{pb.NewMatchKeywords("group", "c", "x")}})
	if err != nil {
		t.Fatalf("compileFilter: %v", err)
	}
	type ref struct {
		id    int
		score float64
	}
	var want []ref
	for i, v := range raw {
		if i%10 != 2 && i%7 != 0 {
			continue
		}
		var dot, nq, nv float64
		for j := range v {
			dot += float64(q[j]) * float64(v[j])
			nq += float64(q[j]) * float64(q[j])
			nv += float64(v[j]) * float64(v[j])
		}
		want = append(want, ref{i, dot / math.Sqrt(nq*nv)})
	}
	slices.SortFunc(want, func(a, b ref) int {
		if a.score > b.score {
			return -1
		}
		return 1
	})
	qn, err := c.prepare(q)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	got := c.search(qn, k, match, nil)
	if len(got) != k {
		t.Fatalf("got %d hits; want %d", len(got), k)
	}
	for i, h := range got {
		if id := int(c.keys[h.slot].num); id != want[i].id || math.Abs(float64(h.score)-want[i].score) > 1e-5 {
			t.Errorf("hit %d = %d (%.6f); want %d (%.6f)", i, id, h.score, want[i].id, want[i].score)
		}
	}
}

func TestSlotReuseKeepsIndexesRight(t *testing.T) {
	c, _ := newTestCollection(t, 100, 4)
	if err := c.deleteIDs([]*pb.PointId{pb.NewIDNum(2), pb.NewIDNum(12)}); err != nil {
		t.Fatalf("deleteIDs: %v", err)
	}
	// Reuses a freed slot with another group.
	err := c.upsert([]*pb.PointStruct{{Id: pb.NewIDNum(1000), Vectors: pb.NewVectorsDense([]float32{1, 0, 0, 0}), Payload: map[string]*pb.Value{"group": pb.NewValueString("z")}}})
	if err != nil {
		t.Fatalf("upsert: %v", err)
	}
	count := func(word string) int {
		match, err := compileFilter(c, &pb.Filter{Must: []*pb.Condition{pb.NewMatchKeyword("group", word)}})
		if err != nil {
			t.Fatalf("compileFilter: %v", err)
		}
		n := 0
		for s, live := range c.live {
			if live && match(int32(s)) {
				n++
			}
		}
		return n
	}
	if got := count("c"); got != 8 {
		t.Errorf("group c = %d points; want 8", got)
	}
	if got := count("z"); got != 1 {
		t.Errorf("group z = %d points; want 1", got)
	}
	if c.count != 99 || len(c.keys) != 100 {
		t.Errorf("count %d, slots %d; want 99 points in 100 slots", c.count, len(c.keys))
	}
}
