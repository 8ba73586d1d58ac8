package standin

import (
	"slices"
	"sync"

	pb "github.com/qdrant/go-client/qdrant"
)

// collection holds one collection's points. Vectors live in one contiguous
// slice, already normalized for cosine (and rounded for Float16), so a search
// is a tight loop of dot products. Deleted slots are reused.
type collection struct {
	name       string
	dims       int
	vectorName string // "" when the collection has a single unnamed vector
	distance   pb.Distance
	datatype   pb.Datatype
	config     *pb.CreateCollection

	mu       sync.RWMutex
	keys     []pointKey
	vecs     []float32
	payloads []map[string]*pb.Value
	live     []bool
	slotOf   map[pointKey]int32
	free     []int32
	count    int
	indexes  map[string]*fieldIndex
	version  uint64
	order    []int32 // live slots sorted by key; nil when stale
}

func newCollection(req *pb.CreateCollection, vectorName string, params *pb.VectorParams) *collection {
	dt := params.GetDatatype()
	if dt == pb.Datatype_Default {
		dt = pb.Datatype_Float32
	}
	return &collection{
		name:       req.GetCollectionName(),
		dims:       int(params.GetSize()),
		vectorName: vectorName,
		distance:   params.GetDistance(),
		datatype:   dt,
		config:     req,
		slotOf:     make(map[pointKey]int32),
		indexes:    make(map[string]*fieldIndex),
	}
}

// prepare validates and converts one input vector into its stored form.
func (c *collection) prepare(v []float32) ([]float32, error) {
	if len(v) != c.dims {
		return nil, invalidf("Wrong input: Vector dimension error: expected dim: %d, got %d", c.dims, len(v))
	}
	out := slices.Clone(v)
	if c.distance == pb.Distance_Cosine {
		normalize(out)
	}
	if c.datatype == pb.Datatype_Float16 {
		for i, x := range out {
			out[i] = roundFloat16(x)
		}
	}
	return out, nil
}

// vectorFrom picks this collection's vector out of a point's vectors.
func (c *collection) vectorFrom(vs *pb.Vectors) ([]float32, error) {
	var v *pb.Vector
	switch o := vs.GetVectorsOptions().(type) {
	case *pb.Vectors_Vector:
		if c.vectorName != "" {
			return nil, invalidf("Wrong input: Not existing vector name error: ")
		}
		v = o.Vector
	case *pb.Vectors_Vectors:
		named := o.Vectors.GetVectors()
		for name := range named {
			if name != c.vectorName {
				return nil, invalidf("Wrong input: Not existing vector name error: %s", name)
			}
		}
		v = named[c.vectorName]
	}
	d, ok := denseOf(v)
	if !ok {
		return nil, invalidf("Wrong input: point has no dense vector %q", c.vectorName)
	}
	return c.prepare(d)
}

type pendingPoint struct {
	key     pointKey
	vec     []float32
	payload map[string]*pb.Value
}

// upsert stores validated points; the whole batch is checked before any
// point is written, so a bad point leaves the collection unchanged.
func (c *collection) upsert(points []*pb.PointStruct) error {
	batch := make([]pendingPoint, 0, len(points))
	for _, p := range points {
		k, err := keyOf(p.GetId())
		if err != nil {
			return err
		}
		v, err := c.vectorFrom(p.GetVectors())
		if err != nil {
			return err
		}
		batch = append(batch, pendingPoint{key: k, vec: v, payload: p.GetPayload()})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range batch {
		slot, ok := c.slotOf[p.key]
		if ok {
			c.unindex(slot)
		} else {
			slot = c.allocate(p.key)
		}
		copy(c.vecs[int(slot)*c.dims:], p.vec)
		c.payloads[slot] = p.payload
		c.index(slot)
	}
	c.changed()
	return nil
}

func (c *collection) allocate(k pointKey) int32 {
	var slot int32
	if n := len(c.free); n > 0 {
		slot = c.free[n-1]
		c.free = c.free[:n-1]
		c.keys[slot] = k
		c.live[slot] = true
	} else {
		slot = int32(len(c.keys))
		c.keys = append(c.keys, k)
		c.vecs = append(c.vecs, make([]float32, c.dims)...)
		c.payloads = append(c.payloads, nil)
		c.live = append(c.live, true)
	}
	c.slotOf[k] = slot
	c.count++
	return slot
}

// remove deletes the given slots; callers hold the write lock.
func (c *collection) remove(slots []int32) int {
	n := 0
	for _, s := range slots {
		if !c.live[s] {
			continue
		}
		c.unindex(s)
		delete(c.slotOf, c.keys[s])
		c.live[s] = false
		c.payloads[s] = nil
		c.free = append(c.free, s)
		c.count--
		n++
	}
	if n > 0 {
		c.changed()
	}
	return n
}

func (c *collection) changed() {
	c.version++
	c.order = nil
}

func (c *collection) deleteIDs(ids []*pb.PointId) error {
	keys := make([]pointKey, 0, len(ids))
	for _, id := range ids {
		k, err := keyOf(id)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	slots := make([]int32, 0, len(keys))
	for _, k := range keys {
		if s, ok := c.slotOf[k]; ok {
			slots = append(slots, s)
		}
	}
	c.remove(slots)
	return nil
}

func (c *collection) deleteFilter(f *pb.Filter) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	match, err := compileFilter(c, f)
	if err != nil {
		return err
	}
	var slots []int32
	for s := range c.keys {
		if c.live[s] && match(int32(s)) {
			slots = append(slots, int32(s))
		}
	}
	c.remove(slots)
	return nil
}

// sortedSlots returns live slots in id order, caching the result until the
// next write. Callers hold the write lock.
func (c *collection) sortedSlots() []int32 {
	if c.order != nil {
		return c.order
	}
	order := make([]int32, 0, c.count)
	for s := range c.keys {
		if c.live[s] {
			order = append(order, int32(s))
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return compareKeys(c.keys[a], c.keys[b]) })
	c.order = order
	return order
}

func (c *collection) vector(slot int32) []float32 {
	o := int(slot) * c.dims
	return c.vecs[o : o+c.dims : o+c.dims]
}
