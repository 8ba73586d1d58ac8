package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
)

// Embedders opens each model once and shares it between collections and
// searches. Models live in their own folder under the models directory.
//
// Nothing here ever downloads behind a caller's back: Get opens an
// installed model or fails at once; Request starts a download in the
// background (indexing asks for one, a search never does); Install
// downloads and waits, for an explicit request. Each model has its own
// lock, so a model being loaded or downloaded holds up nobody else.
type Embedders struct {
	dir        string
	cacheDir   string
	device     string
	log        *slog.Logger
	downloader *models.Downloader
	// OnDownload receives download progress.
	OnDownload func(models.Progress)
	// OnInstalled is told when a model becomes usable after a download
	// (or after Announce): work waiting for it can go on.
	OnInstalled func(name string)
	// RetryAfter is how long a failed download or load is remembered
	// before it is tried again (default 5 minutes).
	RetryAfter time.Duration

	mu          sync.Mutex
	entries     map[string]*modelEntry
	batchers    map[string]*batcher // by model fingerprint
	threads     int
	concurrency int
	ctx         context.Context
	stop        context.CancelFunc
	wg          sync.WaitGroup
}

// modelEntry is one model's state.
type modelEntry struct {
	load sync.Mutex // held while the model opens

	// guarded by Embedders.mu
	svc       *embedder.Service
	loadErr   error
	loadErrAt time.Time
	dl        *download
}

// download is a model download running in the background, or its outcome.
type download struct {
	done     chan struct{}
	err      error // set before done closes
	at       time.Time
	progress models.Progress
	percent  float64
}

// Model states, as ModelState reports them.
const (
	ModelReady        = "ready"
	ModelInstalled    = "installed"
	ModelNotInstalled = "not_installed"
	ModelDownloading  = "downloading"
	ModelFailed       = "failed"
)

// ModelState is where a model stands on this machine.
type ModelState struct {
	State string `json:"state"`
	// Percent of a running download.
	Percent float64 `json:"percent,omitempty"`
	// Error says why the last download or load failed.
	Error string `json:"error,omitempty"`
}

// SetMirror fetches models from another server that serves the same
// {repo}/resolve/{revision}/{path} layout (an internal mirror).
func (e *Embedders) SetMirror(baseURL string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.downloader.BaseURL = baseURL
}

// Tune sets the threads a model uses (0 sizes them to the machine; taken
// when a model is next loaded) and how many batches may run at once
// (applied at once to loaded models).
func (e *Embedders) Tune(threads, concurrency int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.threads, e.concurrency = threads, max(concurrency, 1)
	for _, ent := range e.entries {
		if ent.svc != nil {
			ent.svc.SetConcurrency(e.concurrency)
		}
	}
}

// NewEmbedders serves models from dir; device is "auto", "cpu", "cuda"…
func NewEmbedders(dir, cacheDir, device string, logger *slog.Logger) *Embedders {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Embedders{
		dir: dir, cacheDir: cacheDir, device: device, log: logger, RetryAfter: 5 * time.Minute,
		downloader: &models.Downloader{Logger: logger}, entries: map[string]*modelEntry{}, ctx: ctx, stop: stop,
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

func (e *Embedders) entry(name string) *modelEntry {
	ent := e.entries[name]
	if ent == nil {
		ent = &modelEntry{}
		e.entries[name] = ent
	}
	return ent
}

// Get returns the open embedder of an installed model, opening it if
// needed. A model that is not installed fails at once with an error that
// matches ErrModelMissing and says where its download stands.
func (e *Embedders) Get(ctx context.Context, name string) (*embedder.Service, error) {
	m, ok := models.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("model %q is not registered", name)
	}
	e.mu.Lock()
	ent := e.entry(name)
	if s := ent.svc; s != nil {
		e.mu.Unlock()
		return s, nil
	}
	if ent.loadErr != nil && time.Since(ent.loadErrAt) < e.RetryAfter {
		err := ent.loadErr
		e.mu.Unlock()
		return nil, err
	}
	e.mu.Unlock()
	if !e.Installed(name) {
		return nil, e.missing(m)
	}
	ent.load.Lock()
	defer ent.load.Unlock()
	e.mu.Lock()
	if s := ent.svc; s != nil {
		e.mu.Unlock()
		return s, nil
	}
	threads, conc := e.threads, e.concurrency
	e.mu.Unlock()
	s, err := embedder.Open(ctx, embedder.Config{Model: m, Dir: e.Dir(name), Device: e.device, CacheDir: e.cacheDir,
		Threads: threads, Concurrency: conc, Logger: e.log})
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			ent.loadErr, ent.loadErrAt = fmt.Errorf("%s could not be loaded: %w", m.DisplayName, err), time.Now()
			return nil, ent.loadErr
		}
		return nil, err
	}
	ent.svc, ent.loadErr = s, nil
	return s, nil
}

// missing describes why m cannot be used now.
func (e *Embedders) missing(m models.Model) error {
	st := e.State(m.Name)
	switch st.State {
	case ModelDownloading:
		return fmt.Errorf("%w: %s is downloading (%.0f %%)", ErrModelMissing, m.DisplayName, st.Percent)
	case ModelFailed:
		return fmt.Errorf("%w: %s could not be downloaded: %s", ErrModelMissing, m.DisplayName, st.Error)
	}
	if m.Kind == models.KindStatic {
		return fmt.Errorf("%w: %s is not installed: import it from a folder with quarry import-model", ErrModelMissing, m.DisplayName)
	}
	return fmt.Errorf("%w: %s is not installed yet: it downloads when a collection has text to embed, or import it with quarry import-model", ErrModelMissing, m.DisplayName)
}

// State reports where a model stands.
func (e *Embedders) State(name string) ModelState {
	e.mu.Lock()
	ent := e.entries[name]
	var st ModelState
	switch {
	case ent != nil && ent.svc != nil:
		st.State = ModelReady
	case ent != nil && ent.dl != nil && !closed(ent.dl.done):
		st.State, st.Percent = ModelDownloading, ent.dl.percent
	case ent != nil && ent.loadErr != nil:
		st.State, st.Error = ModelFailed, ent.loadErr.Error()
	}
	var dlErr error
	if ent != nil && ent.dl != nil && closed(ent.dl.done) {
		dlErr = ent.dl.err
	}
	e.mu.Unlock()
	if st.State != "" {
		return st
	}
	if e.Installed(name) {
		return ModelState{State: ModelInstalled}
	}
	if dlErr != nil {
		return ModelState{State: ModelFailed, Error: downloadProblem(dlErr, e.RetryAfter)}
	}
	return ModelState{State: ModelNotInstalled}
}

// minutes renders a retry interval: "5 min", "30 s".
func minutes(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f min", d.Minutes())
}

// downloadProblem says why a download failed in words a person can act
// on; the log keeps the full error.
func downloadProblem(err error, retry time.Duration) string {
	var dns *net.DNSError
	var op *net.OpError
	var ue *url.Error
	switch {
	case errors.As(err, &dns), errors.As(err, &op), errors.As(err, &ue):
		return fmt.Sprintf("no connection to the model server; Quarry tries again every %s, or import the model with quarry import-model", minutes(retry))
	case errors.Is(err, models.ErrChecksum):
		return "the downloaded files did not match their pinned digests; they were discarded"
	case errors.Is(err, context.DeadlineExceeded):
		return "the download timed out; Quarry tries again later"
	}
	return err.Error()
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Request starts downloading a model in the background unless it is
// installed, downloading, not downloadable (imported models), or failed
// recently. It never waits.
func (e *Embedders) Request(name string) {
	m, ok := models.Lookup(name)
	if !ok || m.Kind == models.KindStatic || e.Installed(name) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.entry(name)
	if d := ent.dl; d != nil && (!closed(d.done) || (d.err != nil && time.Since(d.at) < e.RetryAfter)) {
		return
	}
	e.startDownload(m, ent, "")
}

// startDownload runs m's download in the background; e.mu is held.
func (e *Embedders) startDownload(m models.Model, ent *modelEntry, variant string) *download {
	d := &download{done: make(chan struct{})}
	ent.dl = d
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.log.Info("downloading model", "model", m.Name, "variant", variant)
		_, err := e.downloader.Download(e.ctx, m, variant, e.Dir(m.Name), func(p models.Progress) {
			e.mu.Lock()
			d.progress = p
			if p.Files > 0 {
				part := 0.0
				if p.Total > 0 {
					part = float64(p.Done) / float64(p.Total)
				}
				d.percent = 100 * (float64(p.FileIndex) + part) / float64(p.Files)
			}
			e.mu.Unlock()
			if e.OnDownload != nil {
				e.OnDownload(p)
			}
		})
		e.mu.Lock()
		d.err, d.at = err, time.Now()
		if err == nil {
			ent.loadErr = nil
		}
		close(d.done)
		e.mu.Unlock()
		if err != nil {
			if e.ctx.Err() == nil {
				e.log.Warn("model download failed", "model", m.Name, "err", err)
			}
			return
		}
		e.log.Info("model downloaded", "model", m.Name)
		if e.OnInstalled != nil {
			e.OnInstalled(m.Name)
		}
	}()
	return d
}

// Install downloads a registered model's pinned files now (verified and
// resumable, with progress through OnDownload) and waits for them, unless
// it is installed; a download already running is joined.
func (e *Embedders) Install(ctx context.Context, name, variant string) error {
	m, ok := models.Lookup(name)
	if !ok {
		return fmt.Errorf("model %q is not registered", name)
	}
	if e.Installed(name) {
		return nil
	}
	if m.Kind == models.KindStatic {
		return fmt.Errorf("%w: %s is not installed: import it from a folder with quarry import-model", ErrModelMissing, m.DisplayName)
	}
	e.mu.Lock()
	ent := e.entry(name)
	d := ent.dl
	if d == nil || closed(d.done) {
		d = e.startDownload(m, ent, variant)
	}
	e.mu.Unlock()
	select {
	case <-d.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if d.err != nil {
		return fmt.Errorf("%w: %s could not be downloaded (%v); import it from a folder instead", ErrModelMissing, m.DisplayName, d.err)
	}
	return nil
}

// Announce tells the pool that a model's files were put in place by other
// means (an import): a remembered failure is forgotten and OnInstalled
// runs.
func (e *Embedders) Announce(name string) {
	e.mu.Lock()
	if ent := e.entries[name]; ent != nil {
		ent.loadErr = nil
		if ent.dl != nil && closed(ent.dl.done) {
			ent.dl = nil
		}
	}
	e.mu.Unlock()
	if e.OnInstalled != nil && e.Installed(name) {
		e.OnInstalled(name)
	}
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
	out := make([]embedder.Info, 0, len(e.entries))
	for _, ent := range e.entries {
		if ent.svc != nil {
			out = append(out, ent.svc.Info())
		}
	}
	slices.SortFunc(out, func(a, b embedder.Info) int { return strings.Compare(a.Model, b.Model) })
	return out
}

// Close stops downloads, waits for them, and releases every open model.
func (e *Embedders) Close() error {
	e.stop()
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for _, ent := range e.entries {
		if ent.svc != nil {
			errs = append(errs, ent.svc.Close())
			ent.svc = nil
		}
	}
	return errors.Join(errs...)
}
