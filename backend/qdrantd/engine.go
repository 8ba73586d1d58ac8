package qdrantd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/quarry-search/quarry/backend/qdrant/standin"
)

// Kind names the vector engine in use.
type Kind string

// Vector engines, as the UI names them.
const (
	External Kind = "external" // a Qdrant the user runs (one node or a cluster)
	Managed  Kind = "managed"  // the Qdrant sidecar Quarry supervises
	Embedded Kind = "embedded" // the in-process stand-in, loaded from PostgreSQL
)

// Engine tells the UI plainly which vector engine serves searches.
type Engine struct {
	Kind        Kind
	Description string
	Endpoint    Endpoint
	// Binary and Source are set for the managed sidecar.
	Binary string
	Source Source
}

// Service is a long-running engine under the app's supervisor.
type Service interface {
	Serve(ctx context.Context) error
}

// Config selects an engine.
type Config struct {
	// ExternalURL and ExternalAPIKey point at a Qdrant Quarry does not run.
	ExternalURL    string
	ExternalAPIKey string
	Locate         Locate
	Sidecar        Options // Binary is filled in by Choose
	Logger         *slog.Logger
}

// Choose picks the engine: external when configured, else the managed
// sidecar when a binary resolves, else the embedded stand-in. The returned
// Service (nil for external) must be run by the caller; its Endpoint is
// valid at once (for the sidecar, usable after Ready).
func Choose(cfg Config) (Engine, Service, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ExternalURL != "" {
		return Engine{
			Kind:        External,
			Description: "External Qdrant at " + cfg.ExternalURL,
			Endpoint:    Endpoint{URL: cfg.ExternalURL, APIKey: cfg.ExternalAPIKey},
		}, nil, nil
	}
	bin, src, err := Resolve(cfg.Locate)
	if err == nil {
		opts := cfg.Sidecar
		opts.Binary = bin
		if opts.Logger == nil {
			opts.Logger = log
		}
		sc, err := NewSidecar(opts)
		if err != nil {
			return Engine{}, nil, fmt.Errorf("choose vector engine: %w", err)
		}
		return Engine{
			Kind:        Managed,
			Description: fmt.Sprintf("Qdrant (%s binary %s), managed by Quarry", src, bin),
			Endpoint:    sc.Endpoint(),
			Binary:      bin,
			Source:      src,
		}, sc, nil
	}
	if !errors.Is(err, ErrNoBinary) {
		return Engine{}, nil, fmt.Errorf("choose vector engine: %w", err)
	}
	log.Warn("no qdrant binary; using the embedded vector engine", "err", err)
	emb, err := NewEmbeddedEngine(log)
	if err != nil {
		return Engine{}, nil, fmt.Errorf("choose vector engine: %w", err)
	}
	return Engine{
		Kind: Embedded,
		Description: "Built-in vector engine (Qdrant is not installed): exact search in memory, " +
			"loaded from the embeddings stored in PostgreSQL",
		Endpoint: emb.Endpoint(),
	}, emb, nil
}

// EmbeddedEngine serves the stand-in on a loopback port inside the app.
type EmbeddedEngine struct {
	lis    net.Listener
	apiKey string
	srv    *standin.Server
}

// NewEmbeddedEngine binds a loopback port now, so the endpoint is known
// before Serve runs.
func NewEmbeddedEngine(log *slog.Logger) (*EmbeddedEngine, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for embedded vector engine: %w", err)
	}
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		lis.Close()
		return nil, fmt.Errorf("embedded vector engine api key: %w", err)
	}
	apiKey := hex.EncodeToString(key)
	return &EmbeddedEngine{
		lis:    lis,
		apiKey: apiKey,
		srv:    standin.New(standin.Options{APIKey: apiKey, Logger: log}),
	}, nil
}

// Endpoint is where the embedded engine serves gRPC.
func (e *EmbeddedEngine) Endpoint() Endpoint {
	return Endpoint{URL: "http://" + e.lis.Addr().String(), APIKey: e.apiKey}
}

// Serve serves until ctx is cancelled.
func (e *EmbeddedEngine) Serve(ctx context.Context) error {
	return e.srv.Serve(ctx, e.lis)
}
