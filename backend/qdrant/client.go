// Package qdrant is Quarry's vector index client: a small layer over
// qdrant/go-client (gRPC) with just the operations Quarry needs. The same
// code talks to the managed sidecar, to an external Qdrant (one node or a
// cluster) and to the in-process stand-in (package standin).
//
// Each Quarry collection maps to a physical Qdrant collection named by
// PhysicalName and is reached through an alias named after the Quarry
// collection id, so a reindex builds a staging collection and switches the
// alias atomically while searches continue. Points carry deterministic ids
// (PointID) so retried upserts never duplicate. Calls are retried with
// backoff on transient errors only (unavailable, overloaded, aborted).
package qdrant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	pb "github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Config says how to reach Qdrant.
type Config struct {
	// URL is the gRPC endpoint, e.g. "http://127.0.0.1:6334" or
	// "https://xyz.cloud.qdrant.io:6334". https turns on TLS. A bare
	// "host:port" is accepted. The port defaults to 6334.
	URL    string
	APIKey string
	Logger *slog.Logger
	// BatchSize is the number of points per upsert request (default 256).
	BatchSize int
	// PoolSize is the number of gRPC connections (default 1; more helps a
	// remote cluster under concurrent load).
	PoolSize uint
	// Retry bounds retries of transient failures.
	Retry Retry
}

// Retry is an exponential backoff policy with full jitter.
type Retry struct {
	Attempts int           // total attempts, default 5
	Base     time.Duration // first delay, default 100ms
	Max      time.Duration // delay cap, default 3s
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 5
	}
	if r.Base <= 0 {
		r.Base = 100 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 3 * time.Second
	}
	return r
}

func (r Retry) delay(attempt int) time.Duration {
	d := r.Base << min(attempt, 20)
	if d > r.Max || d <= 0 {
		d = r.Max
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

// Client is a connection to one Qdrant deployment. It is safe for
// concurrent use.
type Client struct {
	raw   *pb.Client
	log   *slog.Logger
	batch int
	retry Retry
	addr  string
}

// Endpoint splits a Qdrant gRPC URL into host, port and whether to use TLS.
func Endpoint(raw string) (host string, port int, useTLS bool, err error) {
	if raw == "" {
		return "", 0, false, fmt.Errorf("parse qdrant url: empty: %w", ErrInvalid)
	}
	hostport := raw
	if strings.Contains(raw, "://") {
		u, perr := url.Parse(raw)
		if perr != nil || u.Host == "" {
			return "", 0, false, fmt.Errorf("parse qdrant url %q: %w", raw, ErrInvalid)
		}
		switch u.Scheme {
		case "http", "grpc":
		case "https", "grpcs":
			useTLS = true
		default:
			return "", 0, false, fmt.Errorf("parse qdrant url %q: scheme %q: %w", raw, u.Scheme, ErrInvalid)
		}
		hostport = u.Host
		if u.Port() == "" {
			hostport = net.JoinHostPort(u.Hostname(), "6334")
		}
	}
	host, p, serr := net.SplitHostPort(hostport)
	if serr != nil {
		host, p = hostport, "6334"
	}
	port, err = strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 || host == "" {
		return "", 0, false, fmt.Errorf("parse qdrant url %q: bad host or port: %w", raw, ErrInvalid)
	}
	return host, port, useTLS, nil
}

// New connects lazily to Qdrant; call Health to check it is there.
func New(cfg Config) (*Client, error) {
	host, port, useTLS, err := Endpoint(cfg.URL)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool := cfg.PoolSize
	if pool == 0 {
		pool = 1
	}
	var opts []grpc.DialOption
	if cfg.APIKey != "" {
		// Sent by our own interceptor: go-client's warns on every connect
		// without TLS, which is the normal case on loopback.
		if !useTLS && !isLoopback(host) {
			log.Warn("qdrant api key sent without tls", "host", host)
		}
		opts = append(opts, grpc.WithChainUnaryInterceptor(apiKey(cfg.APIKey)))
	}
	raw, err := pb.NewClient(&pb.Config{
		Host:        host,
		Port:        port,
		UseTLS:      useTLS,
		GrpcOptions: opts,
		// Our own Health call checks the server; the built-in check blocks
		// for up to a minute when the server is not up yet.
		SkipCompatibilityCheck: true,
		PoolSize:               pool,
	})
	if err != nil {
		return nil, fmt.Errorf("connect qdrant %s: %w", cfg.URL, err)
	}
	batch := cfg.BatchSize
	if batch <= 0 {
		batch = 256
	}
	return &Client{
		raw:   raw,
		log:   log.With("component", "qdrant", "addr", net.JoinHostPort(host, strconv.Itoa(port))),
		batch: batch,
		retry: cfg.Retry.withDefaults(),
		addr:  net.JoinHostPort(host, strconv.Itoa(port)),
	}, nil
}

func apiKey(key string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(metadata.AppendToOutgoingContext(ctx, "api-key", key), method, req, reply, cc, opts...)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close releases the connections.
func (c *Client) Close() error {
	if err := c.raw.Close(); err != nil {
		return fmt.Errorf("close qdrant client: %w", err)
	}
	return nil
}

// Addr is the host:port the client talks to.
func (c *Client) Addr() string { return c.addr }

// Health asks the server for its version; it is not retried, so it doubles
// as a readiness probe.
func (c *Client) Health(ctx context.Context) (version string, err error) {
	r, err := c.raw.HealthCheck(ctx)
	if err != nil {
		return "", fmt.Errorf("qdrant health check: %w", classify(err))
	}
	return r.GetVersion(), nil
}

// do runs fn, retrying transient failures with backoff. Errors come back
// classified onto the package sentinels.
func (c *Client) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	var err error
	for attempt := range c.retry.Attempts {
		err = fn(ctx)
		if err == nil || !transient(err) || ctx.Err() != nil {
			break
		}
		if attempt == c.retry.Attempts-1 {
			break
		}
		d := c.retry.delay(attempt)
		c.log.Debug("retrying transient qdrant error", "op", op, "attempt", attempt+1, "delay", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", op, errors.Join(ctx.Err(), classify(err)))
		case <-t.C:
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, classify(err))
	}
	return nil
}
