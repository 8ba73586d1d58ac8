package standin

import (
	"context"
	"fmt"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// snapshotsService records snapshot requests. The stand-in keeps no files:
// a snapshot is a named record of the collection's size at that moment, so
// the client path is exercised; Quarry's durable copy is PostgreSQL.
type snapshotsService struct {
	pb.UnimplementedSnapshotsServer
	s *Server
}

func (ss snapshotsService) Create(_ context.Context, req *pb.CreateSnapshotRequest) (*pb.CreateSnapshotResponse, error) {
	start := time.Now()
	c, err := ss.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	size := int64(c.count) * int64(c.dims) * 4
	c.mu.RUnlock()
	now := time.Now().UTC()
	d := &pb.SnapshotDescription{
		Name:         fmt.Sprintf("%s-%s.snapshot", c.name, now.Format("2006-01-02-15-04-05.000000")),
		CreationTime: timestamppb.New(now),
		Size:         size,
	}
	ss.s.mu.Lock()
	ss.s.snapshots[c.name] = append(ss.s.snapshots[c.name], d)
	ss.s.mu.Unlock()
	return &pb.CreateSnapshotResponse{SnapshotDescription: d, Time: time.Since(start).Seconds()}, nil
}

func (ss snapshotsService) List(_ context.Context, req *pb.ListSnapshotsRequest) (*pb.ListSnapshotsResponse, error) {
	start := time.Now()
	c, err := ss.s.lookup(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	ss.s.mu.RLock()
	list := append([]*pb.SnapshotDescription(nil), ss.s.snapshots[c.name]...)
	ss.s.mu.RUnlock()
	return &pb.ListSnapshotsResponse{SnapshotDescriptions: list, Time: time.Since(start).Seconds()}, nil
}
