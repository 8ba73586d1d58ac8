package standin

import (
	"math"
	"slices"

	pb "github.com/qdrant/go-client/qdrant"
)

// fieldIndex is a column over one indexed payload field, so filters on
// indexed fields cost a slice read per point instead of a map lookup. A slot
// whose value is a list or of another type is marked mixed and falls back to
// evaluating the payload itself.
type fieldIndex struct {
	schema pb.PayloadSchemaType
	// keyword
	ids    []int32 // interned value, or absent / mixed
	intern map[string]int32
	// integer
	ints  []int64
	state []uint8 // absent / single / mixed, for integers
}

const (
	absent int32 = -1
	mixed  int32 = -2
)

const (
	stAbsent uint8 = iota
	stSingle
	stMixed
)

func newFieldIndex(schema pb.PayloadSchemaType) *fieldIndex {
	return &fieldIndex{schema: schema, intern: make(map[string]int32)}
}

func (ix *fieldIndex) grow(n int) {
	for len(ix.ids) < n {
		ix.ids = append(ix.ids, absent)
		ix.ints = append(ix.ints, 0)
		ix.state = append(ix.state, stAbsent)
	}
}

func (ix *fieldIndex) set(slot int32, v *pb.Value) {
	ix.grow(int(slot) + 1)
	ix.ids[slot], ix.state[slot] = absent, stAbsent
	if v == nil {
		return
	}
	switch ix.schema {
	case pb.PayloadSchemaType_Keyword:
		s, ok := v.GetKind().(*pb.Value_StringValue)
		if !ok {
			ix.ids[slot] = mixed
			return
		}
		id, ok := ix.intern[s.StringValue]
		if !ok {
			id = int32(len(ix.intern))
			ix.intern[s.StringValue] = id
		}
		ix.ids[slot] = id
	case pb.PayloadSchemaType_Integer:
		n, ok := v.GetKind().(*pb.Value_IntegerValue)
		if !ok {
			ix.state[slot] = stMixed
			return
		}
		ix.ints[slot], ix.state[slot] = n.IntegerValue, stSingle
	}
}

func (c *collection) index(slot int32) {
	for field, ix := range c.indexes {
		ix.set(slot, c.payloads[slot][field])
	}
}

func (c *collection) unindex(slot int32) {
	for _, ix := range c.indexes {
		ix.set(slot, nil)
	}
}

func (c *collection) createIndex(field string, schema pb.PayloadSchemaType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ix := newFieldIndex(schema)
	ix.grow(len(c.keys))
	for s := range c.keys {
		if c.live[s] {
			ix.set(int32(s), c.payloads[s][field])
		}
	}
	c.indexes[field] = ix
}

type predicate func(slot int32) bool

// compileFilter turns a Qdrant filter into a predicate over slots. Only the
// conditions Quarry's client layer sends are supported; anything else is
// refused rather than silently misread.
func compileFilter(c *collection, f *pb.Filter) (predicate, error) {
	if f == nil {
		return nil, nil
	}
	if f.GetMinShould() != nil {
		return nil, unimplementedf("min_should is not supported by the stand-in")
	}
	compile := func(conds []*pb.Condition) ([]predicate, error) {
		out := make([]predicate, 0, len(conds))
		for _, cond := range conds {
			p, err := compileCondition(c, cond)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	must, err := compile(f.GetMust())
	if err != nil {
		return nil, err
	}
	should, err := compile(f.GetShould())
	if err != nil {
		return nil, err
	}
	mustNot, err := compile(f.GetMustNot())
	if err != nil {
		return nil, err
	}
	if len(must) == 1 && len(should) == 0 && len(mustNot) == 0 {
		return must[0], nil
	}
	return func(s int32) bool {
		for _, p := range must {
			if !p(s) {
				return false
			}
		}
		for _, p := range mustNot {
			if p(s) {
				return false
			}
		}
		if len(should) == 0 {
			return true
		}
		for _, p := range should {
			if p(s) {
				return true
			}
		}
		return false
	}, nil
}

func compileCondition(c *collection, cond *pb.Condition) (predicate, error) {
	switch v := cond.GetConditionOneOf().(type) {
	case *pb.Condition_Filter:
		p, err := compileFilter(c, v.Filter)
		if p == nil && err == nil {
			return func(int32) bool { return true }, nil
		}
		return p, err
	case *pb.Condition_HasId:
		set := make(map[pointKey]struct{}, len(v.HasId.GetHasId()))
		for _, id := range v.HasId.GetHasId() {
			k, err := keyOf(id)
			if err != nil {
				return nil, err
			}
			set[k] = struct{}{}
		}
		return func(s int32) bool { _, ok := set[c.keys[s]]; return ok }, nil
	case *pb.Condition_Field:
		return compileField(c, v.Field)
	default:
		return nil, unimplementedf("filter condition %T is not supported by the stand-in", v)
	}
}

func compileField(c *collection, fc *pb.FieldCondition) (predicate, error) {
	key := fc.GetKey()
	var preds []predicate
	if m := fc.GetMatch(); m != nil {
		p, err := compileMatch(c, key, m)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	if r := fc.GetRange(); r != nil {
		preds = append(preds, compileRange(c, key, r))
	}
	if fc.GetGeoBoundingBox() != nil || fc.GetGeoRadius() != nil || fc.GetGeoPolygon() != nil ||
		fc.GetValuesCount() != nil || fc.GetDatetimeRange() != nil || fc.IsEmpty != nil || fc.IsNull != nil {
		return nil, unimplementedf("field condition on %q uses a clause the stand-in does not support", key)
	}
	switch len(preds) {
	case 0:
		return nil, invalidf("Wrong input: field condition on %q has no clause", key)
	case 1:
		return preds[0], nil
	}
	return func(s int32) bool { return preds[0](s) && preds[1](s) }, nil
}

// values returns the payload value(s) of key for slot: a list yields its
// elements, as Qdrant matches any element of an array.
func values(c *collection, key string, s int32) []*pb.Value {
	v := c.payloads[s][key]
	if v == nil {
		return nil
	}
	if l, ok := v.GetKind().(*pb.Value_ListValue); ok {
		return l.ListValue.GetValues()
	}
	return []*pb.Value{v}
}

func compileMatch(c *collection, key string, m *pb.Match) (predicate, error) {
	var words []string
	var ints []int64
	switch v := m.GetMatchValue().(type) {
	case *pb.Match_Keyword:
		words = []string{v.Keyword}
	case *pb.Match_Keywords:
		words = v.Keywords.GetStrings()
	case *pb.Match_Integer:
		ints = []int64{v.Integer}
	case *pb.Match_Integers:
		ints = v.Integers.GetIntegers()
	default:
		return nil, unimplementedf("match %T is not supported by the stand-in", v)
	}
	if words != nil {
		want := make(map[string]struct{}, len(words))
		for _, w := range words {
			want[w] = struct{}{}
		}
		slow := func(s int32) bool {
			for _, v := range values(c, key, s) {
				if sv, ok := v.GetKind().(*pb.Value_StringValue); ok {
					if _, hit := want[sv.StringValue]; hit {
						return true
					}
				}
			}
			return false
		}
		ix := c.indexes[key]
		if ix == nil || ix.schema != pb.PayloadSchemaType_Keyword {
			return slow, nil
		}
		ids := make([]int32, 0, len(words))
		for _, w := range words {
			if id, ok := ix.intern[w]; ok {
				ids = append(ids, id)
			}
		}
		if len(ids) == 1 {
			one := ids[0]
			return func(s int32) bool {
				id := ix.ids[s]
				return id == one || (id == mixed && slow(s))
			}, nil
		}
		return func(s int32) bool {
			id := ix.ids[s]
			if id == mixed {
				return slow(s)
			}
			return id >= 0 && slices.Contains(ids, id)
		}, nil
	}
	want := make(map[int64]struct{}, len(ints))
	for _, n := range ints {
		want[n] = struct{}{}
	}
	return func(s int32) bool {
		for _, v := range values(c, key, s) {
			if iv, ok := v.GetKind().(*pb.Value_IntegerValue); ok {
				if _, hit := want[iv.IntegerValue]; hit {
					return true
				}
			}
		}
		return false
	}, nil
}

func compileRange(c *collection, key string, r *pb.Range) predicate {
	lo, hi := math.Inf(-1), math.Inf(1)
	loIncl, hiIncl := true, true
	if r.Gte != nil {
		lo = r.GetGte()
	}
	if r.Gt != nil && r.GetGt() >= lo {
		lo, loIncl = r.GetGt(), false
	}
	if r.Lte != nil {
		hi = r.GetLte()
	}
	if r.Lt != nil && r.GetLt() <= hi {
		hi, hiIncl = r.GetLt(), false
	}
	in := func(x float64) bool {
		if x < lo || (x == lo && !loIncl) {
			return false
		}
		return x < hi || (x == hi && hiIncl)
	}
	slow := func(s int32) bool {
		for _, v := range values(c, key, s) {
			switch n := v.GetKind().(type) {
			case *pb.Value_IntegerValue:
				if in(float64(n.IntegerValue)) {
					return true
				}
			case *pb.Value_DoubleValue:
				if in(n.DoubleValue) {
					return true
				}
			}
		}
		return false
	}
	ix := c.indexes[key]
	if ix == nil || ix.schema != pb.PayloadSchemaType_Integer {
		return slow
	}
	return func(s int32) bool {
		switch ix.state[s] {
		case stSingle:
			return in(float64(ix.ints[s]))
		case stMixed:
			return slow(s)
		}
		return false
	}
}
