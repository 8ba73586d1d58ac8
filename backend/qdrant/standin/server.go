// Package standin is an in-process server of the subset of Qdrant's gRPC API
// that Quarry's client layer uses. It is built on go-client's generated
// server interfaces, so the real client talks to it over real gRPC.
//
// It serves two purposes: the contract tests run against it on machines
// without a Qdrant binary, and the app runs it as its embedded vector engine
// when no Qdrant can be resolved. It keeps everything in memory: its source
// of truth is PostgreSQL, from which collections are rebuilt at start-up
// without re-embedding. Search is exact (brute force over contiguous,
// pre-normalized vectors), which is fast enough at desktop scale.
//
// Semantics follow Qdrant where Quarry depends on them: cosine scores on
// normalized vectors, keyword/integer/range/has-id filters with must, should
// and must_not, id-ordered scroll pages, aliases switched atomically, and
// NotFound / InvalidArgument errors with Qdrant's messages. Requests outside
// the subset are answered with codes.Unimplemented.
package standin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Version is the Qdrant version the stand-in reports; it matches the client
// so go-client's compatibility check passes.
const Version = "1.17.1"

// Options configure a Server.
type Options struct {
	// APIKey, when set, is required in the "api-key" metadata of every call
	// except the health check, as Qdrant does.
	APIKey string
	Logger *slog.Logger
}

// Server is the stand-in's state: collections, aliases and snapshot records.
type Server struct {
	apiKey string
	log    *slog.Logger

	mu          sync.RWMutex
	collections map[string]*collection
	aliases     map[string]string
	snapshots   map[string][]*pb.SnapshotDescription
}

// New returns an empty stand-in.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		apiKey:      opts.APIKey,
		log:         log,
		collections: make(map[string]*collection),
		aliases:     make(map[string]string),
		snapshots:   make(map[string][]*pb.SnapshotDescription),
	}
}

// Register adds the stand-in's services to g. Use it to serve the stand-in
// from a grpc.Server you configure yourself (interceptors in tests).
func (s *Server) Register(g *grpc.Server) {
	pb.RegisterQdrantServer(g, health{})
	pb.RegisterCollectionsServer(g, collectionsService{s: s})
	pb.RegisterPointsServer(g, pointsService{s: s})
	pb.RegisterSnapshotsServer(g, snapshotsService{s: s})
}

// GRPCServer returns a grpc.Server with the stand-in registered and API key
// checking installed. Extra options (interceptors) come after it.
func (s *Server) GRPCServer(opts ...grpc.ServerOption) *grpc.Server {
	all := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.authenticate),
		grpc.MaxRecvMsgSize(64 << 20),
		// The Qdrant client pings every 10 s, idle or not, as Qdrant
		// allows; grpc-go's default policy would answer with GOAWAY
		// ("too_many_pings") and drop the connection.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}, opts...)
	g := grpc.NewServer(all...)
	s.Register(g)
	return g
}

// Serve serves gRPC on lis until ctx is cancelled, then stops gracefully.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	g := s.GRPCServer()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			g.GracefulStop()
		case <-done:
		}
	})
	err := g.Serve(lis)
	close(done)
	wg.Wait()
	if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serve stand-in grpc: %w", err)
	}
	return nil
}

func (s *Server) authenticate(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if s.apiKey == "" || info.FullMethod == pb.Qdrant_HealthCheck_FullMethodName {
		return next(ctx, req)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	got := md.Get("api-key")
	if len(got) != 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(s.apiKey)) != 1 {
		return nil, status.Error(codes.Unauthenticated, "Invalid api-key")
	}
	return next(ctx, req)
}

// lookup resolves an alias or collection name, as Qdrant does for point
// operations and collection info.
func (s *Server) lookup(name string) (*collection, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if real, ok := s.aliases[name]; ok {
		name = real
	}
	c, ok := s.collections[name]
	if !ok {
		return nil, notFoundf("Not found: Collection `%s` doesn't exist!", name)
	}
	return c, nil
}

func invalidf(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func notFoundf(format string, args ...any) error {
	return status.Errorf(codes.NotFound, format, args...)
}

func unimplementedf(format string, args ...any) error {
	return status.Errorf(codes.Unimplemented, format, args...)
}

type health struct {
	pb.UnimplementedQdrantServer
}

func (health) HealthCheck(context.Context, *pb.HealthCheckRequest) (*pb.HealthCheckReply, error) {
	commit := "quarry-standin"
	return &pb.HealthCheckReply{Title: "qdrant - vector search engine (quarry stand-in)", Version: Version, Commit: &commit}, nil
}
