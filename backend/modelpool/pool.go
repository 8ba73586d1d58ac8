// Package modelpool opens each embedding model once and shares it between
// indexing and search; it downloads models in the background when asked,
// and says where each stands. The composition root builds one pool and
// hands it to the indexer, the search engine and the service.
package modelpool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/models"
)

// Pool opens each model once and shares it between collections and
// searches. Models live in their own folder under the models directory.
//
// Nothing here ever downloads behind a caller's back: Get opens an
// installed model or fails at once; Request starts a download in the
// background (indexing asks for one, a search never does); Install
// downloads and waits, for an explicit request. Each model has its own
// lock, so a model being loaded or downloaded holds up nobody else.
type Pool struct {
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
	threads     int
	concurrency int
	ctx         context.Context
	stop        context.CancelFunc
	wg          sync.WaitGroup
}

// modelEntry is one model's state.
type modelEntry struct {
	load sync.Mutex // held while the model opens

	// guarded by Pool.mu
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
	cancel   context.CancelCauseFunc
}

// Why a download stopped on a person's request.
var (
	errDownloadPaused    = errors.New("download paused")
	errDownloadCancelled = errors.New("download cancelled")
)

// Model states, as State reports them.
const (
	Ready        = "ready"
	Paused       = "paused"
	Installed    = "installed"
	NotInstalled = "not_installed"
	Downloading  = "downloading"
	Failed       = "failed"
)

// State is where a model stands on this machine.
type State struct {
	State string `json:"state"`
	// Percent of a running download.
	Percent float64 `json:"percent,omitempty"`
	// Error says why the last download or load failed.
	Error string `json:"error,omitempty"`
}

// SetStallTimeout is how long a download may receive nothing before it
// fails (default one minute).
func (e *Pool) SetStallTimeout(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.downloader.StallTimeout = d
}

// SetMirror fetches models from another server that serves the same
// {repo}/resolve/{revision}/{path} layout (an internal mirror).
func (e *Pool) SetMirror(baseURL string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.downloader.BaseURL = baseURL
}

// Tune sets the threads a model uses (0 sizes them to the machine; taken
// when a model is next loaded) and how many batches may run at once
// (applied at once to loaded models).
func (e *Pool) Tune(threads, concurrency int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.threads, e.concurrency = threads, max(concurrency, 1)
	for _, ent := range e.entries {
		if ent.svc != nil {
			ent.svc.SetConcurrency(e.concurrency)
		}
	}
}

// New serves models from dir; device is "auto", "cpu", "cuda"…
func New(dir, cacheDir, device string, logger *slog.Logger) *Pool {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Pool{
		dir: dir, cacheDir: cacheDir, device: device, log: logger, RetryAfter: 5 * time.Minute,
		downloader: &models.Downloader{Logger: logger}, entries: map[string]*modelEntry{}, ctx: ctx, stop: stop,
	}
}

// ErrMissing means a model is neither installed nor downloadable now.
var ErrMissing = models.ErrNotInstalled

// Dir is where a model's files are kept.
func (e *Pool) Dir(name string) string { return filepath.Join(e.dir, name) }

// Root is the folder every model's folder is in.
func (e *Pool) Root() string { return e.dir }

// Installed reports whether a model's files are present.
func (e *Pool) Installed(name string) bool {
	_, err := models.ReadManifest(e.Dir(name))
	return err == nil
}

func (e *Pool) entry(name string) *modelEntry {
	ent := e.entries[name]
	if ent == nil {
		ent = &modelEntry{}
		e.entries[name] = ent
	}
	return ent
}

// Get returns the open embedder of an installed model, opening it if
// needed. A model that is not installed fails at once with an error that
// matches ErrMissing and says where its download stands.
func (e *Pool) Get(ctx context.Context, name string) (*embedder.Service, error) {
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
func (e *Pool) missing(m models.Model) error {
	st := e.State(m.Name)
	switch st.State {
	case Downloading:
		return fmt.Errorf("%w: %s is downloading (%.0f %%)", ErrMissing, m.DisplayName, st.Percent)
	case Paused:
		return fmt.Errorf("%w: the download of %s is paused (%.0f %%): resume it on the Models page", ErrMissing, m.DisplayName, st.Percent)
	case Failed:
		return fmt.Errorf("%w: %s could not be downloaded: %s", ErrMissing, m.DisplayName, st.Error)
	}
	if m.Kind == models.KindStatic {
		return fmt.Errorf("%w: %s is not installed: import it from a folder with quarry import-model", ErrMissing, m.DisplayName)
	}
	return fmt.Errorf("%w: %s is not installed yet: it downloads when a collection has text to embed, or import it with quarry import-model", ErrMissing, m.DisplayName)
}

// State reports where a model stands.
func (e *Pool) State(name string) State {
	e.mu.Lock()
	ent := e.entries[name]
	var st State
	switch {
	case ent != nil && ent.svc != nil:
		st.State = Ready
	case ent != nil && ent.dl != nil && !closed(ent.dl.done):
		st.State, st.Percent = Downloading, ent.dl.percent
	case ent != nil && ent.dl != nil && errors.Is(ent.dl.err, errDownloadPaused):
		st.State, st.Percent = Paused, ent.dl.percent
	case ent != nil && ent.loadErr != nil:
		st.State, st.Error = Failed, ent.loadErr.Error()
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
		return State{State: Installed}
	}
	if dlErr != nil {
		return State{State: Failed, Error: downloadProblem(dlErr, e.RetryAfter)}
	}
	return State{State: NotInstalled}
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
	case errors.Is(err, models.ErrStalled):
		return fmt.Sprintf("the model server stopped sending data; Quarry tries again every %s, or import the model with quarry import-model", minutes(retry))
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
func (e *Pool) Request(name string) {
	m, ok := models.Lookup(name)
	if !ok || m.Kind == models.KindStatic || e.Installed(name) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.entry(name)
	if d := ent.dl; d != nil && (!closed(d.done) || errors.Is(d.err, errDownloadPaused) ||
		(d.err != nil && time.Since(d.at) < e.RetryAfter)) {
		// Running, paused by the person, or failed recently.
		return
	}
	e.startDownload(m, ent, "")
}

// Download starts (or resumes) a model's download in the background on a
// person's request: a paused download or a recent failure does not hold
// it back. It returns at once.
func (e *Pool) Download(name, variant string) error {
	m, ok := models.Lookup(name)
	if !ok {
		return fmt.Errorf("model %q is not registered", name)
	}
	if m.Kind == models.KindStatic {
		return fmt.Errorf("%w: %s cannot be downloaded: import it from a folder", ErrMissing, m.DisplayName)
	}
	if e.Installed(name) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ent := e.entry(name)
	if d := ent.dl; d != nil && !closed(d.done) {
		return nil
	}
	ent.loadErr = nil
	e.startDownload(m, ent, variant)
	return nil
}

// PauseDownload stops a running download, keeping what it fetched: the
// next Download resumes it. Indexing does not restart a paused download.
func (e *Pool) PauseDownload(name string) bool { return e.stopDownload(name, errDownloadPaused) }

// CancelDownload stops a running or paused download and removes what it
// fetched.
func (e *Pool) CancelDownload(name string) bool {
	stopped := e.stopDownload(name, errDownloadCancelled)
	e.mu.Lock()
	ent := e.entries[name]
	paused := ent != nil && ent.dl != nil && errors.Is(ent.dl.err, errDownloadPaused)
	if paused {
		ent.dl = nil
	}
	e.mu.Unlock()
	if (stopped || paused) && !e.Installed(name) {
		_ = os.RemoveAll(e.Dir(name))
	}
	return stopped || paused
}

// stopDownload cancels a running download with cause and waits for it.
func (e *Pool) stopDownload(name string, cause error) bool {
	e.mu.Lock()
	ent := e.entries[name]
	if ent == nil || ent.dl == nil || closed(ent.dl.done) {
		e.mu.Unlock()
		return false
	}
	d := ent.dl
	e.mu.Unlock()
	d.cancel(cause)
	<-d.done
	if errors.Is(cause, errDownloadCancelled) {
		e.mu.Lock()
		if ent.dl == d {
			ent.dl = nil
		}
		e.mu.Unlock()
	}
	return true
}

// Remove closes a model and deletes its files; the caller makes sure no
// collection uses it.
func (e *Pool) Remove(name string) error {
	e.CancelDownload(name)
	e.mu.Lock()
	ent := e.entries[name]
	var svc *embedder.Service
	if ent != nil {
		svc, ent.svc, ent.loadErr = ent.svc, nil, nil
	}
	e.mu.Unlock()
	if svc != nil {
		if err := svc.Close(); err != nil {
			e.log.Warn("close removed model", "model", name, "err", err)
		}
	}
	if err := os.RemoveAll(e.Dir(name)); err != nil {
		return fmt.Errorf("remove model %s: %w", name, err)
	}
	return nil
}

// DiskSize is how many bytes a model's folder holds.
func (e *Pool) DiskSize(name string) int64 {
	var n int64
	_ = filepath.WalkDir(e.Dir(name), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// startDownload runs m's download in the background; e.mu is held.
func (e *Pool) startDownload(m models.Model, ent *modelEntry, variant string) *download {
	ctx, cancel := context.WithCancelCause(e.ctx)
	d := &download{done: make(chan struct{}), cancel: cancel}
	if prev := ent.dl; prev != nil {
		d.percent = prev.percent // a resumed download starts where it was
	}
	ent.dl = d
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.log.Info("downloading model", "model", m.Name, "variant", variant)
		defer cancel(nil)
		_, err := e.downloader.Download(ctx, m, variant, e.Dir(m.Name), func(p models.Progress) {
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
		if cause := context.Cause(ctx); err != nil && (errors.Is(cause, errDownloadPaused) || errors.Is(cause, errDownloadCancelled)) {
			err = cause
		}
		e.mu.Lock()
		d.err, d.at = err, time.Now()
		if err == nil {
			ent.loadErr = nil
		}
		close(d.done)
		e.mu.Unlock()
		if errors.Is(err, errDownloadPaused) || errors.Is(err, errDownloadCancelled) {
			e.log.Info("model download stopped", "model", m.Name, "why", err)
			return
		}
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
func (e *Pool) Install(ctx context.Context, name, variant string) error {
	m, ok := models.Lookup(name)
	if !ok {
		return fmt.Errorf("model %q is not registered", name)
	}
	if e.Installed(name) {
		return nil
	}
	if m.Kind == models.KindStatic {
		return fmt.Errorf("%w: %s is not installed: import it from a folder with quarry import-model", ErrMissing, m.DisplayName)
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
		return fmt.Errorf("%w: %s could not be downloaded (%v); import it from a folder instead", ErrMissing, m.DisplayName, d.err)
	}
	return nil
}

// Announce tells the pool that a model's files were put in place by other
// means (an import): a remembered failure is forgotten and OnInstalled
// runs.
func (e *Pool) Announce(name string) {
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
func (e *Pool) Reranker(ctx context.Context) (*embedder.Service, error) {
	for _, m := range models.List() {
		if m.Kind == models.KindReranker && e.Installed(m.Name) {
			return e.Get(ctx, m.Name)
		}
	}
	return nil, fmt.Errorf("%w: no reranker is installed", ErrMissing)
}

// Infos describes the open models and the devices they run on.
func (e *Pool) Infos() []embedder.Info {
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
func (e *Pool) Close() error {
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
