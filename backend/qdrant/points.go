package qdrant

import (
	"context"
	"fmt"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
)

// Payload is what Quarry stores beside each vector: enough to filter and to
// find the chunk in PostgreSQL, never the chunk text.
type Payload struct {
	DocumentID string
	SourceID   string
	ChunkIndex int
	Path       string
	MimeType   string
	Modified   time.Time
}

func (p Payload) values() map[string]*pb.Value {
	m := map[string]*pb.Value{
		FieldDocumentID: pb.NewValueString(p.DocumentID),
		FieldChunkIndex: pb.NewValueInt(int64(p.ChunkIndex)),
	}
	if p.SourceID != "" {
		m[FieldSourceID] = pb.NewValueString(p.SourceID)
	}
	if p.Path != "" {
		m[FieldPath] = pb.NewValueString(p.Path)
	}
	if p.MimeType != "" {
		m[FieldMimeType] = pb.NewValueString(p.MimeType)
	}
	if !p.Modified.IsZero() {
		m[FieldModified] = pb.NewValueInt(p.Modified.Unix())
	}
	return m
}

func payloadFrom(m map[string]*pb.Value) Payload {
	p := Payload{
		DocumentID: m[FieldDocumentID].GetStringValue(),
		SourceID:   m[FieldSourceID].GetStringValue(),
		ChunkIndex: int(m[FieldChunkIndex].GetIntegerValue()),
		Path:       m[FieldPath].GetStringValue(),
		MimeType:   m[FieldMimeType].GetStringValue(),
	}
	if v, ok := m[FieldModified]; ok {
		p.Modified = time.Unix(v.GetIntegerValue(), 0).UTC()
	}
	return p
}

// Point is one chunk's vector. An empty ID is derived with PointID from the
// payload's document id and chunk index.
type Point struct {
	ID      string
	Vector  []float32
	Payload Payload
}

// Upsert writes points in batches of Config.BatchSize, waiting for each to
// be applied. Ids are deterministic, so a retried or repeated upsert
// overwrites rather than duplicates.
func (c *Client) Upsert(ctx context.Context, collection string, points []Point) error {
	for start := 0; start < len(points); start += c.batch {
		batch := points[start:min(start+c.batch, len(points))]
		structs := make([]*pb.PointStruct, len(batch))
		for i, p := range batch {
			id := p.ID
			if id == "" {
				id = PointID(p.Payload.DocumentID, p.Payload.ChunkIndex)
			}
			structs[i] = &pb.PointStruct{
				Id:      pb.NewID(id),
				Vectors: pb.NewVectorsMap(map[string]*pb.Vector{VectorName: pb.NewVectorDense(p.Vector)}),
				Payload: p.Payload.values(),
			}
		}
		req := &pb.UpsertPoints{CollectionName: collection, Points: structs, Wait: pb.PtrOf(true)}
		err := c.do(ctx, fmt.Sprintf("upsert %d points into %s", len(batch), collection), func(ctx context.Context) error {
			_, err := c.raw.Upsert(ctx, req)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// DeletePoints removes points by id; missing ids are ignored.
func (c *Client) DeletePoints(ctx context.Context, collection string, ids []string) error {
	for start := 0; start < len(ids); start += c.batch {
		chunk := ids[start:min(start+c.batch, len(ids))]
		pids := make([]*pb.PointId, len(chunk))
		for i, id := range chunk {
			pids[i] = pb.NewID(id)
		}
		req := &pb.DeletePoints{CollectionName: collection, Points: pb.NewPointsSelectorIDs(pids), Wait: pb.PtrOf(true)}
		err := c.do(ctx, fmt.Sprintf("delete %d points from %s", len(chunk), collection), func(ctx context.Context) error {
			_, err := c.raw.Delete(ctx, req)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteWhere removes every point matching f. An empty filter is refused:
// dropping a whole collection is DeleteCollection's job.
func (c *Client) DeleteWhere(ctx context.Context, collection string, f Filter) error {
	pf := f.proto()
	if pf == nil {
		return fmt.Errorf("delete from %s: empty filter: %w", collection, ErrInvalid)
	}
	req := &pb.DeletePoints{CollectionName: collection, Points: pb.NewPointsSelectorFilter(pf), Wait: pb.PtrOf(true)}
	return c.do(ctx, "delete by filter from "+collection, func(ctx context.Context) error {
		_, err := c.raw.Delete(ctx, req)
		return err
	})
}

// Query is a nearest-neighbour search.
type Query struct {
	Vector []float32
	Limit  int // default 10
	Offset int
	Filter Filter
	// MinScore, when set, drops hits scoring below it.
	MinScore *float32
}

// Hit is one search result; Score is the cosine similarity.
type Hit struct {
	ID      string
	Score   float32
	Payload Payload
}

// Search returns the points nearest to q.Vector that match q.Filter, best
// first.
func (c *Client) Search(ctx context.Context, collection string, q Query) ([]Hit, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	req := &pb.QueryPoints{
		CollectionName: collection,
		Query:          pb.NewQueryDense(q.Vector),
		Using:          pb.PtrOf(VectorName),
		Filter:         q.Filter.proto(),
		Limit:          pb.PtrOf(uint64(limit)),
		WithPayload:    pb.NewWithPayload(true),
		ScoreThreshold: q.MinScore,
	}
	if q.Offset > 0 {
		req.Offset = pb.PtrOf(uint64(q.Offset))
	}
	var res []*pb.ScoredPoint
	err := c.do(ctx, "search "+collection, func(ctx context.Context) error {
		var err error
		res, err = c.raw.Query(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(res))
	for i, r := range res {
		hits[i] = Hit{ID: idString(r.GetId()), Score: r.GetScore(), Payload: payloadFrom(r.GetPayload())}
	}
	return hits, nil
}

// Count returns the exact number of points matching f.
func (c *Client) Count(ctx context.Context, collection string, f Filter) (uint64, error) {
	req := &pb.CountPoints{CollectionName: collection, Filter: f.proto(), Exact: pb.PtrOf(true)}
	var n uint64
	err := c.do(ctx, "count "+collection, func(ctx context.Context) error {
		var err error
		n, err = c.raw.Count(ctx, req)
		return err
	})
	return n, err
}

// ScrollPage is one page of points in id order.
type ScrollPage struct {
	Points []Point
	// Next is the offset of the next page; empty on the last page.
	Next string
}

// Scroll reads one page of up to limit points starting at offset ("" for
// the first page), with payloads; withVectors adds the stored vectors
// (normalized, as Qdrant keeps them for cosine).
func (c *Client) Scroll(ctx context.Context, collection string, f Filter, offset string, limit int, withVectors bool) (ScrollPage, error) {
	if limit <= 0 {
		limit = 256
	}
	req := &pb.ScrollPoints{
		CollectionName: collection,
		Filter:         f.proto(),
		Limit:          pb.PtrOf(uint32(limit)),
		WithPayload:    pb.NewWithPayload(true),
		WithVectors:    pb.NewWithVectors(withVectors),
	}
	if offset != "" {
		req.Offset = pb.NewID(offset)
	}
	var (
		res  []*pb.RetrievedPoint
		next *pb.PointId
	)
	err := c.do(ctx, "scroll "+collection, func(ctx context.Context) error {
		var err error
		res, next, err = c.raw.ScrollAndOffset(ctx, req)
		return err
	})
	if err != nil {
		return ScrollPage{}, err
	}
	page := ScrollPage{Points: make([]Point, len(res))}
	for i, r := range res {
		p := Point{ID: idString(r.GetId()), Payload: payloadFrom(r.GetPayload())}
		if withVectors {
			vs := r.GetVectors()
			if named := vs.GetVectors().GetVectors(); named != nil {
				p.Vector = named[VectorName].GetDenseVector().GetData()
			} else {
				p.Vector = vs.GetVector().GetDenseVector().GetData()
			}
		}
		page.Points[i] = p
	}
	if next != nil {
		page.Next = idString(next)
	}
	return page, nil
}

// ForEachID calls fn with every point id in the collection, page by page
// in id order, without payloads or vectors.
func (c *Client) ForEachID(ctx context.Context, collection string, pageSize int, fn func(ids []string) error) error {
	if pageSize <= 0 {
		pageSize = 1024
	}
	var offset *pb.PointId
	for {
		req := &pb.ScrollPoints{
			CollectionName: collection,
			Limit:          pb.PtrOf(uint32(pageSize)),
			Offset:         offset,
			WithPayload:    pb.NewWithPayload(false),
			WithVectors:    pb.NewWithVectors(false),
		}
		var (
			res  []*pb.RetrievedPoint
			next *pb.PointId
		)
		err := c.do(ctx, "scroll ids of "+collection, func(ctx context.Context) error {
			var err error
			res, next, err = c.raw.ScrollAndOffset(ctx, req)
			return err
		})
		if err != nil {
			return err
		}
		ids := make([]string, len(res))
		for i, r := range res {
			ids[i] = idString(r.GetId())
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		offset = next
	}
}

func idString(id *pb.PointId) string {
	if u := id.GetUuid(); u != "" {
		return u
	}
	return fmt.Sprint(id.GetNum())
}
