package qdrant_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	pb "github.com/qdrant/go-client/qdrant"
	"github.com/quarry-search/quarry/backend/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestEndpoint(t *testing.T) {
	cases := []struct {
		in      string
		host    string
		port    int
		tls     bool
		wantErr bool
	}{
		{in: "http://127.0.0.1:6334", host: "127.0.0.1", port: 6334},
		{in: "https://xyz.cloud.qdrant.io:6334", host: "xyz.cloud.qdrant.io", port: 6334, tls: true},
		{in: "https://xyz.cloud.qdrant.io", host: "xyz.cloud.qdrant.io", port: 6334, tls: true},
		{in: "localhost:7000", host: "localhost", port: 7000},
		{in: "http://[::1]:6334", host: "::1", port: 6334},
		{in: "http://[::1]", host: "::1", port: 6334},
		{in: "", wantErr: true},
		{in: "ftp://host:1", wantErr: true},
		{in: "http://host:notaport", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			host, port, useTLS, err := qdrant.Endpoint(tc.in)
			if tc.wantErr {
				if !errors.Is(err, qdrant.ErrInvalid) {
					t.Errorf("Endpoint(%q) err = %v; want ErrInvalid", tc.in, err)
				}
				return
			}
			if err != nil || host != tc.host || port != tc.port || useTLS != tc.tls {
				t.Errorf("Endpoint(%q) = %q, %d, %v, %v; want %q, %d, %v", tc.in, host, port, useTLS, err, tc.host, tc.port, tc.tls)
			}
		})
	}
}

func TestNames(t *testing.T) {
	a, b := qdrant.PointID("doc-1", 0), qdrant.PointID("doc-1", 0)
	if a != b {
		t.Errorf("PointID not deterministic: %s != %s", a, b)
	}
	for _, other := range []string{qdrant.PointID("doc-1", 1), qdrant.PointID("doc-10", 0), qdrant.PointID("doc-", 10)} {
		if other == a {
			t.Errorf("PointID collision: %s", a)
		}
	}
	cases := []struct {
		q    qdrant.Quantization
		gen  int
		want string
	}{
		{qdrant.Int8, 0, "550e8400-e29b-41d4-a716-446655440000_bgesmall_i8"},
		{qdrant.Float16, 0, "550e8400-e29b-41d4-a716-446655440000_bgesmall_f16"},
		{qdrant.Float32, 2, "550e8400-e29b-41d4-a716-446655440000_bgesmall_f32_g2"},
	}
	for _, tc := range cases {
		if got := qdrant.PhysicalName("550e8400-e29b-41d4-a716-446655440000", "bgesmall", tc.q, tc.gen); got != tc.want {
			t.Errorf("PhysicalName(%s, %d) = %q; want %q", tc.q, tc.gen, got, tc.want)
		}
	}
	if _, err := qdrant.ParseQuantization("int4"); !errors.Is(err, qdrant.ErrInvalid) {
		t.Errorf("ParseQuantization(int4) err = %v; want ErrInvalid", err)
	}
}

// failFirst fails the first n calls to method with code.
func failFirst(method string, n int32, code codes.Code, calls *atomic.Int32) grpc.ServerOption {
	return grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if info.FullMethod != method {
			return next(ctx, req)
		}
		if calls.Add(1) <= n {
			return nil, status.Error(code, "injected failure")
		}
		return next(ctx, req)
	})
}

func TestRetryTransientOnly(t *testing.T) {
	cases := []struct {
		name      string
		code      codes.Code
		failures  int32
		wantCalls int32
		wantErr   error
	}{
		{"unavailable recovers", codes.Unavailable, 3, 4, nil},
		{"overloaded recovers", codes.ResourceExhausted, 1, 2, nil},
		{"unavailable gives up", codes.Unavailable, 10, 5, qdrant.ErrUnavailable},
		{"bad input is not retried", codes.InvalidArgument, 1, 1, qdrant.ErrInvalid},
		{"not found is not retried", codes.NotFound, 1, 1, qdrant.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			cfg := startStandin(t, "", failFirst(pb.Points_Upsert_FullMethodName, tc.failures, tc.code, &calls))
			c := connect(t, cfg)
			name := tempCollection(t, c, qdrant.Spec{Dims: 16})
			err := c.Upsert(t.Context(), name, fixture(16))
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("Upsert err = %v; want %v", err, tc.wantErr)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("upsert calls = %d; want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestAPIKey(t *testing.T) {
	cfg := startStandin(t, "right")
	cases := []struct {
		key     string
		wantErr error
	}{{"right", nil}, {"wrong", qdrant.ErrUnauthorized}, {"", qdrant.ErrUnauthorized}}
	for _, tc := range cases {
		t.Run("key="+tc.key, func(t *testing.T) {
			cfg.APIKey = tc.key
			c := connect(t, cfg)
			_, err := c.ListCollections(t.Context())
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("ListCollections err = %v; want %v", err, tc.wantErr)
			}
			if _, err := c.Health(t.Context()); err != nil {
				t.Errorf("Health needs no key, got %v", err)
			}
		})
	}
}
