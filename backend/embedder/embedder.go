// Package embedder turns text into vectors on the user's machine. It runs
// transformer models through ONNX Runtime (CPU by default, GPU providers
// when present) with an exact pure-Go tokenizer, and static word-vector
// models as a fast fallback. One Service serves both indexing and search;
// queries get priority over bulk indexing work.
package embedder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/tokenizer"
)

// ErrClosed is returned by Embed after Close.
var ErrClosed = errors.New("embedder closed")

// ErrUnavailable is returned when opening a registered model that cannot
// run yet.
var ErrUnavailable = errors.New("model not runnable")

// Kind says what a text is for; models may prefix each differently.
type Kind int

const (
	// Document is text being indexed.
	Document Kind = iota
	// Query is a search query; it is served before pending documents.
	Query
)

func (k Kind) String() string {
	if k == Query {
		return "query"
	}
	return "document"
}

// Device names an execution provider choice.
const (
	DeviceAuto     = "auto"
	DeviceCPU      = "cpu"
	DeviceCUDA     = "cuda"
	DeviceCoreML   = "coreml"
	DeviceDirectML = "directml"
)

// Config says which model to open and how to run it.
type Config struct {
	// Model is the registry entry (or an ad-hoc description for an
	// imported folder).
	Model models.Model
	// Dir holds the model files.
	Dir string
	// TokenizerDir holds the tokenizer files when they are not in Dir.
	TokenizerDir string
	// Variant picks the weights: "fp32", "int8", or "" for what is there.
	Variant string
	// Device is "auto" (default), "cpu", "cuda", "coreml" or "directml".
	// Anything but "cpu" falls back to the CPU when unavailable.
	Device string
	// LibraryPath is the configured ONNX Runtime library (file or folder);
	// empty means $QUARRY_ORT_LIB.
	LibraryPath string
	// Threads is the ONNX Runtime intra-op thread count; 0 sizes it to the
	// machine.
	Threads int
	// Concurrency is how many batches may run at once; 0 means 1.
	Concurrency int
	// BatchSize caps texts per model call; 0 means 32.
	BatchSize int
	// BatchTokens caps padded tokens per model call; 0 means 8192.
	BatchTokens int
	// Spin lets idle runtime threads busy-wait between calls: slightly
	// faster, but it keeps cores hot while indexing.
	Spin bool
	// CacheDir holds converted static vector tables.
	CacheDir string
	Logger   *slog.Logger
}

// Info describes an open embedder for logs and the UI.
type Info struct {
	Model     string         `json:"model"`
	Kind      models.Kind    `json:"kind"`
	Variant   string         `json:"variant,omitempty"`
	Dims      int            `json:"dims"`
	MaxSeqLen int            `json:"max_seq_len"`
	Pooling   models.Pooling `json:"pooling"`
	Normalize bool           `json:"normalize"`
	// Device is the execution provider in use: "cpu", "cuda", ...
	Device string `json:"device"`
	// DeviceNote says why a requested device was not used.
	DeviceNote     string        `json:"device_note,omitempty"`
	Threads        int           `json:"threads"`
	Concurrency    int           `json:"concurrency"`
	Fingerprint    string        `json:"fingerprint"`
	Library        string        `json:"library,omitempty"`
	RuntimeVersion string        `json:"runtime_version,omitempty"`
	LoadTime       time.Duration `json:"load_time"`
}

// engine embeds a batch of already-prefixed texts.
type engine interface {
	embed(ctx context.Context, texts []string, g *gate, prio bool) ([][]float32, error)
	close() error
}

// Service embeds texts with one model. It is safe for concurrent use.
type Service struct {
	eng  engine
	gate *gate
	info Info
	qpre string
	dpre string
	tok  tokenizer.Tokenizer
	// pair is set for rerankers: Score reads query and passage together.
	pair  tokenizer.PairEncoder
	log   *slog.Logger
	close chan struct{}
}

// DefaultThreads sizes intra-op threads to the machine, leaving a core
// for the UI on machines that have one to spare.
func DefaultThreads() int {
	n := runtime.NumCPU()
	if n >= 4 {
		n--
	}
	return min(n, 8)
}

// Open loads the model described by cfg.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	start := time.Now()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	log := cfg.Logger.With("component", "embedder", "model", cfg.Model.Name)
	if !cfg.Model.Runnable() {
		return nil, fmt.Errorf("open %s: %w: %s", cfg.Model.Name, ErrUnavailable, cfg.Model.Unavailable)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Threads <= 0 {
		cfg.Threads = DefaultThreads()
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 32
	}
	if cfg.BatchTokens <= 0 {
		cfg.BatchTokens = 8192
	}
	if cfg.Device == "" {
		cfg.Device = DeviceAuto
	}
	s := &Service{gate: newGate(cfg.Concurrency), log: log, close: make(chan struct{})}
	var err error
	switch cfg.Model.Kind {
	case models.KindStatic:
		err = s.openStatic(ctx, cfg)
	case models.KindTransformer, models.KindReranker, "":
		err = s.openONNX(ctx, cfg)
	default:
		err = fmt.Errorf("unknown model kind %q", cfg.Model.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.Model.Name, err)
	}
	s.info.Concurrency = cfg.Concurrency
	s.info.LoadTime = time.Since(start)
	log.Info("embedder ready", "device", s.info.Device, "threads", s.info.Threads,
		"dims", s.info.Dims, "load_ms", s.info.LoadTime.Milliseconds(), "fingerprint", s.info.Fingerprint)
	return s, nil
}

// Info describes the open model and where it runs.
func (s *Service) Info() Info {
	i := s.info
	i.Concurrency = s.gate.limit()
	return i
}

// Tokenizer returns the model's tokenizer (nil for static models), for
// chunkers that cut text by token count.
func (s *Service) Tokenizer() tokenizer.Tokenizer { return s.tok }

// SetConcurrency changes how many batches may run at once; lowering it
// keeps the machine responsive while indexing.
func (s *Service) SetConcurrency(n int) { s.gate.setLimit(max(n, 1)) }

// ErrNotReranker is returned by Score on a model that embeds, and by
// Embed on a reranker.
var ErrNotReranker = errors.New("not a reranker")

// Embed returns one vector per text, in order. Queries are prefixed as the
// model expects and jump ahead of queued document batches.
func (s *Service) Embed(ctx context.Context, texts []string, kind Kind) ([][]float32, error) {
	select {
	case <-s.close:
		return nil, ErrClosed
	default:
	}
	if s.pair != nil {
		return nil, fmt.Errorf("embed with %s: a reranker scores pairs and makes no vectors", s.info.Model)
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	pre := s.dpre
	if kind == Query {
		pre = s.qpre
	}
	in := texts
	if pre != "" {
		in = make([]string, len(texts))
		for i, t := range texts {
			in[i] = pre + t
		}
	}
	out, err := s.eng.embed(ctx, in, s.gate, kind == Query)
	if err != nil {
		return nil, fmt.Errorf("embed %d %ss: %w", len(texts), kind, err)
	}
	return out, nil
}

// Close releases the model. Calls to Embed in flight finish first.
func (s *Service) Close() error {
	select {
	case <-s.close:
		return nil
	default:
	}
	close(s.close)
	s.gate.drain()
	return s.eng.close()
}
