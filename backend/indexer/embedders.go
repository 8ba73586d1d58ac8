package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
)

// Embedders opens each model once and shares it between collections and
// searches. Models live in their own folder under the models directory; a
// missing model is downloaded (pinned, verified) on first use.
type Embedders struct {
	dir        string
	cacheDir   string
	device     string
	log        *slog.Logger
	downloader *models.Downloader
	// OnDownload receives download progress.
	OnDownload func(models.Progress)

	mu          sync.Mutex
	open        map[string]*embedder.Service
	threads     int
	concurrency int
}

// Tune sets the threads a model uses (0 sizes them to the machine; taken
// when a model is next loaded) and how many batches may run at once
// (applied at once to loaded models).
func (e *Embedders) Tune(threads, concurrency int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.threads, e.concurrency = threads, max(concurrency, 1)
	for _, s := range e.open {
		s.SetConcurrency(e.concurrency)
	}
}

// NewEmbedders serves models from dir; device is "auto", "cpu", "cuda"…
func NewEmbedders(dir, cacheDir, device string, logger *slog.Logger) *Embedders {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Embedders{
		dir: dir, cacheDir: cacheDir, device: device, log: logger,
		downloader: &models.Downloader{Logger: logger}, open: map[string]*embedder.Service{},
	}
}

// ErrModelMissing means a model is neither installed nor downloadable now.
var ErrModelMissing = models.ErrNotInstalled

// Dir is where a model's files are kept.
func (e *Embedders) Dir(name string) string { return filepath.Join(e.dir, name) }

// Installed reports whether a model's files are present.
func (e *Embedders) Installed(name string) bool {
	_, err := models.ReadManifest(e.Dir(name))
	return err == nil
}

// Get returns the open embedder of a registered model.
func (e *Embedders) Get(ctx context.Context, name string) (*embedder.Service, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.open[name]; ok {
		return s, nil
	}
	m, ok := models.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("model %q is not registered", name)
	}
	if err := e.install(ctx, m, ""); err != nil {
		return nil, err
	}
	s, err := embedder.Open(ctx, embedder.Config{Model: m, Dir: e.Dir(name), Device: e.device, CacheDir: e.cacheDir,
		Threads: e.threads, Concurrency: e.concurrency, Logger: e.log})
	if err != nil {
		return nil, err
	}
	e.open[name] = s
	return s, nil
}

// Install downloads a registered model's pinned files now (verified and
// resumable, with progress through OnDownload), unless it is installed.
func (e *Embedders) Install(ctx context.Context, name, variant string) error {
	m, ok := models.Lookup(name)
	if !ok {
		return fmt.Errorf("model %q is not registered", name)
	}
	return e.install(ctx, m, variant)
}

// install downloads m's files unless they are installed.
func (e *Embedders) install(ctx context.Context, m models.Model, variant string) error {
	if e.Installed(m.Name) {
		return nil
	}
	if m.Kind == models.KindStatic {
		return fmt.Errorf("%w: %s is imported from a folder, not downloaded", ErrModelMissing, m.DisplayName)
	}
	e.log.Info("downloading model", "model", m.Name, "variant", variant)
	if _, err := e.downloader.Download(ctx, m, variant, e.Dir(m.Name), e.OnDownload); err != nil {
		return fmt.Errorf("%w: %s could not be downloaded (%v); import it from a folder instead", ErrModelMissing, m.DisplayName, err)
	}
	return nil
}

// Reranker returns the open cross-encoder: the first registered reranker
// whose files are installed. Rerankers are installed by the user, never
// downloaded by a search.
func (e *Embedders) Reranker(ctx context.Context) (*embedder.Service, error) {
	for _, m := range models.List() {
		if m.Kind == models.KindReranker && e.Installed(m.Name) {
			return e.Get(ctx, m.Name)
		}
	}
	return nil, fmt.Errorf("%w: no reranker is installed", ErrModelMissing)
}

// Infos describes the open models and the devices they run on.
func (e *Embedders) Infos() []embedder.Info {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]embedder.Info, 0, len(e.open))
	for _, s := range e.open {
		out = append(out, s.Info())
	}
	slices.SortFunc(out, func(a, b embedder.Info) int { return strings.Compare(a.Model, b.Model) })
	return out
}

// Close releases every open model.
func (e *Embedders) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for name, s := range e.open {
		errs = append(errs, s.Close())
		delete(e.open, name)
	}
	return errors.Join(errs...)
}
