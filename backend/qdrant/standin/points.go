package standin

import (
	"context"
	"slices"
	"sync/atomic"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
)

// pointsService serves qdrant.Points: upsert, delete, get, query, scroll,
// count and payload indexes.
type pointsService struct {
	pb.UnimplementedPointsServer
	s *Server
}

var operationID atomic.Uint64

func done(start time.Time) *pb.PointsOperationResponse {
	id := operationID.Add(1)
	return &pb.PointsOperationResponse{
		Result: &pb.UpdateResult{OperationId: &id, Status: pb.UpdateStatus_Completed},
		Time:   time.Since(start).Seconds(),
	}
}

func (ps pointsService) Upsert(_ context.Context, req *pb.UpsertPoints) (*pb.PointsOperationResponse, error) {
	start := time.Now()
	if req.GetUpdateFilter() != nil || req.GetShardKeySelector() != nil {
		return nil, unimplementedf("conditional or sharded upserts are not supported by the stand-in")
	}
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if err := c.upsert(req.GetPoints()); err != nil {
		return nil, err
	}
	return done(start), nil
}

func (ps pointsService) Delete(_ context.Context, req *pb.DeletePoints) (*pb.PointsOperationResponse, error) {
	start := time.Now()
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	switch sel := req.GetPoints().GetPointsSelectorOneOf().(type) {
	case *pb.PointsSelector_Points:
		err = c.deleteIDs(sel.Points.GetIds())
	case *pb.PointsSelector_Filter:
		err = c.deleteFilter(sel.Filter)
	default:
		err = invalidf("Wrong input: points selector is missing")
	}
	if err != nil {
		return nil, err
	}
	return done(start), nil
}

func (ps pointsService) CreateFieldIndex(_ context.Context, req *pb.CreateFieldIndexCollection) (*pb.PointsOperationResponse, error) {
	start := time.Now()
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	var schema pb.PayloadSchemaType
	switch req.GetFieldType() {
	case pb.FieldType_FieldTypeKeyword:
		schema = pb.PayloadSchemaType_Keyword
	case pb.FieldType_FieldTypeInteger:
		schema = pb.PayloadSchemaType_Integer
	default:
		return nil, unimplementedf("field index type %s is not supported by the stand-in", req.GetFieldType())
	}
	if req.GetFieldName() == "" {
		return nil, invalidf("Wrong input: field name is empty")
	}
	c.createIndex(req.GetFieldName(), schema)
	return done(start), nil
}

func (ps pointsService) Get(_ context.Context, req *pb.GetPoints) (*pb.GetResponse, error) {
	start := time.Now()
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	out := make([]*pb.RetrievedPoint, 0, len(req.GetIds()))
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, id := range req.GetIds() {
		k, err := keyOf(id)
		if err != nil {
			return nil, err
		}
		if s, ok := c.slotOf[k]; ok {
			out = append(out, c.retrieved(s, req.GetWithPayload(), req.GetWithVectors()))
		}
	}
	return &pb.GetResponse{Result: out, Time: time.Since(start).Seconds()}, nil
}

func (ps pointsService) Count(_ context.Context, req *pb.CountPoints) (*pb.CountResponse, error) {
	start := time.Now()
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	match, err := compileFilter(c, req.GetFilter())
	if err != nil {
		return nil, err
	}
	n := c.count
	if match != nil {
		n = 0
		for s, live := range c.live {
			if live && match(int32(s)) {
				n++
			}
		}
	}
	return &pb.CountResponse{Result: &pb.CountResult{Count: uint64(n)}, Time: time.Since(start).Seconds()}, nil
}

// Scroll pages through points in id order. The offset is the first id of
// the page (inclusive) and next_page_offset the first id of the next one.
func (ps pointsService) Scroll(_ context.Context, req *pb.ScrollPoints) (*pb.ScrollResponse, error) {
	start := time.Now()
	if req.GetOrderBy() != nil {
		return nil, unimplementedf("order_by is not supported by the stand-in")
	}
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	limit := int(req.GetLimit())
	if req.Limit == nil {
		limit = 10
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	match, err := compileFilter(c, req.GetFilter())
	if err != nil {
		return nil, err
	}
	order := c.sortedSlots()
	i := 0
	if req.GetOffset() != nil {
		from, err := keyOf(req.GetOffset())
		if err != nil {
			return nil, err
		}
		i, _ = slices.BinarySearchFunc(order, from, func(s int32, k pointKey) int { return compareKeys(c.keys[s], k) })
	}
	resp := &pb.ScrollResponse{}
	for ; i < len(order); i++ {
		s := order[i]
		if match != nil && !match(s) {
			continue
		}
		if len(resp.Result) == limit {
			resp.NextPageOffset = c.keys[s].proto()
			break
		}
		resp.Result = append(resp.Result, c.retrieved(s, req.GetWithPayload(), req.GetWithVectors()))
	}
	resp.Time = time.Since(start).Seconds()
	return resp, nil
}

// Query answers nearest-neighbour queries on the dense vector, with filter,
// limit, offset and score threshold. Other query kinds are not supported.
func (ps pointsService) Query(_ context.Context, req *pb.QueryPoints) (*pb.QueryResponse, error) {
	start := time.Now()
	if len(req.GetPrefetch()) > 0 || req.GetLookupFrom() != nil {
		return nil, unimplementedf("prefetch and lookup_from are not supported by the stand-in")
	}
	c, err := ps.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if req.GetUsing() != c.vectorName {
		return nil, invalidf("Wrong input: Not existing vector name error: %s", req.GetUsing())
	}
	near, ok := req.GetQuery().GetVariant().(*pb.Query_Nearest)
	if !ok {
		return nil, unimplementedf("only nearest queries are supported by the stand-in")
	}
	dense, ok := near.Nearest.GetVariant().(*pb.VectorInput_Dense)
	if !ok {
		return nil, unimplementedf("only dense query vectors are supported by the stand-in")
	}
	q, err := c.prepare(dense.Dense.GetData())
	if err != nil {
		return nil, err
	}
	limit := int(req.GetLimit())
	if req.Limit == nil {
		limit = 10
	}
	offset := int(req.GetOffset())
	c.mu.RLock()
	defer c.mu.RUnlock()
	match, err := compileFilter(c, req.GetFilter())
	if err != nil {
		return nil, err
	}
	hits := c.search(q, limit+offset, match, req.ScoreThreshold)
	if offset >= len(hits) {
		hits = nil
	} else {
		hits = hits[offset:]
	}
	out := make([]*pb.ScoredPoint, 0, len(hits))
	for _, h := range hits {
		r := c.retrieved(h.slot, req.GetWithPayload(), req.GetWithVectors())
		out = append(out, &pb.ScoredPoint{Id: r.Id, Payload: r.Payload, Vectors: r.Vectors, Score: h.score})
	}
	return &pb.QueryResponse{Result: out, Time: time.Since(start).Seconds()}, nil
}

// retrieved renders one point with the selected payload and vectors.
func (c *collection) retrieved(s int32, wp *pb.WithPayloadSelector, wv *pb.WithVectorsSelector) *pb.RetrievedPoint {
	r := &pb.RetrievedPoint{Id: c.keys[s].proto()}
	switch sel := wp.GetSelectorOptions().(type) {
	case *pb.WithPayloadSelector_Enable:
		if sel.Enable {
			r.Payload = c.payloads[s]
		}
	case *pb.WithPayloadSelector_Include:
		r.Payload = make(map[string]*pb.Value)
		for _, f := range sel.Include.GetFields() {
			if v, ok := c.payloads[s][f]; ok {
				r.Payload[f] = v
			}
		}
	case *pb.WithPayloadSelector_Exclude:
		r.Payload = make(map[string]*pb.Value)
		for k, v := range c.payloads[s] {
			if !slices.Contains(sel.Exclude.GetFields(), k) {
				r.Payload[k] = v
			}
		}
	}
	want := false
	switch sel := wv.GetSelectorOptions().(type) {
	case *pb.WithVectorsSelector_Enable:
		want = sel.Enable
	case *pb.WithVectorsSelector_Include:
		want = slices.Contains(sel.Include.GetNames(), c.vectorName)
	}
	if want {
		v := &pb.VectorOutput{Vector: &pb.VectorOutput_Dense{Dense: &pb.DenseVector{Data: slices.Clone(c.vector(s))}}}
		if c.vectorName == "" {
			r.Vectors = &pb.VectorsOutput{VectorsOptions: &pb.VectorsOutput_Vector{Vector: v}}
		} else {
			r.Vectors = &pb.VectorsOutput{VectorsOptions: &pb.VectorsOutput_Vectors{
				Vectors: &pb.NamedVectorsOutput{Vectors: map[string]*pb.VectorOutput{c.vectorName: v}},
			}}
		}
	}
	return r
}
