// Package quarry is the composition root: it starts Quarry's parts in
// order (database, store, service), hands the service to the adapters, and
// stops everything in reverse order.
package quarry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/httpapi"
	"github.com/quarry-search/quarry/backend/indexer"
	"github.com/quarry-search/quarry/backend/lan"
	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/qdrantd"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/supervise"
	"github.com/quarry-search/quarry/backend/vecindex"
	"github.com/quarry-search/quarry/backend/watch"
)

// Environment variables the composition root reads through main.
const (
	// EnvDatabaseURL points Quarry at an external PostgreSQL instead of
	// the embedded one.
	EnvDatabaseURL = "QUARRY_DATABASE_URL"
	// EnvQdrantURL and EnvQdrantAPIKey point Quarry at a Qdrant it does
	// not run (one node or a cluster).
	EnvQdrantURL    = "QUARRY_QDRANT_URL"
	EnvQdrantAPIKey = "QUARRY_QDRANT_API_KEY"
	// EnvQdrantBinary names a Qdrant executable for the managed sidecar.
	EnvQdrantBinary = "QUARRY_QDRANT_BINARY"
)

// Options configure one running Quarry.
type Options struct {
	Locations locations.Locations
	// DatabaseURL selects an external PostgreSQL; empty runs the embedded one.
	DatabaseURL string
	// PGBinaries is a configured PostgreSQL installation for the embedded
	// server; empty searches the usual places.
	PGBinaries string
	// QdrantURL and QdrantAPIKey select an external Qdrant; QdrantBinary a
	// binary for the managed sidecar. With neither, a Qdrant found next to
	// the app, on PATH or downloaded earlier is managed; failing that the
	// built-in engine serves vectors.
	QdrantURL    string
	QdrantAPIKey string
	QdrantBinary string
	// Device runs embedding models: "auto" (default), "cpu", "cuda"…
	Device string
	// OCR reads scanned PDFs and images with tesseract when installed.
	OCR     bool
	Version string
	Desktop bool
	Logger  *slog.Logger
	// LAN shares Quarry over HTTPS on this address for this run (--lan);
	// empty follows the choice made in Settings.
	LAN string
	// LANCert and LANKey are a certificate the owner provides; empty
	// makes a self-signed one on first use.
	LANCert, LANKey string
	// UI is the built frontend that sharing serves.
	UI fs.FS
}

// Quarry is a started instance.
type Quarry struct {
	opts   Options
	logger *slog.Logger
	pg     *pgserver.Server
	pgLog  io.Closer
	store  *store.Store
	svc    *service.Service
	// sup runs the engines (vector sidecar); workers the work on top of
	// them, which stops first.
	sup     *supervise.Supervisor
	workers *supervise.Supervisor
	engine  qdrantd.Engine
	qc      *qdrant.Client
	index   *vecindex.Index
	bus     *events.Bus
	// vectorsToLoad are the collections whose vectors load after start.
	vectorsToLoad []store.Collection

	embedders *modelpool.Pool
	indexer   *indexer.Manager
	watch     *watch.Supervisor
	lan       *lan.Server
}

// Start brings every part up. On error, whatever started is stopped.
func Start(ctx context.Context, opts Options) (_ *Quarry, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Quarry{opts: opts, logger: opts.Logger}
	defer func() {
		if err != nil {
			q.Close()
		}
	}()
	if err := opts.Locations.Ensure(); err != nil {
		return nil, fmt.Errorf("prepare data directory: %w", err)
	}
	url, dbDesc := opts.DatabaseURL, ""
	if url == "" {
		if url, err = q.startEmbeddedPostgres(); err != nil {
			return nil, err
		}
		dbDesc = "embedded PostgreSQL " + q.pg.Version()
	}
	t0 := time.Now()
	if err := store.Migrate(url); err != nil {
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	if q.store, err = store.Open(ctx, url, q.logger.With("component", "store")); err != nil {
		return nil, err
	}
	if dbDesc == "" {
		v, err := q.store.ServerVersion(ctx)
		if err != nil {
			return nil, err
		}
		dbDesc = "external PostgreSQL " + v
	}
	q.logger.Info("database ready", "database", dbDesc, "took", time.Since(t0).Round(time.Millisecond))
	q.sup = supervise.New(q.logger.With("component", "supervisor"))
	if err := q.startVectors(ctx); err != nil {
		return nil, err
	}
	q.bus = events.New()
	q.embedders = modelpool.New(opts.Locations.Models, opts.Locations.Cache, opts.Device, q.logger)
	q.embedders.OnDownload = throttled(250*time.Millisecond, func(p models.Progress) {
		q.bus.Publish(events.Event{Topic: events.ModelDownload, Data: p})
	})
	// Archives and e-mails are unpacked here while their members are
	// indexed; what a crash left behind goes now.
	unpackDir := filepath.Join(opts.Locations.Cache, "unpack")
	for _, dir := range []string{unpackDir, filepath.Join(opts.Locations.Cache, "opened")} {
		if err := os.RemoveAll(dir); err != nil {
			q.logger.Warn("clear a folder of unpacked files", "path", dir, "err", err)
		}
	}
	q.indexer = indexer.New(indexer.Config{
		Store: q.store, Index: q.index, Bus: q.bus, Embedders: q.embedders,
		Logger: q.logger.With("component", "indexer"), OCR: opts.OCR, UnpackDir: unpackDir,
		OnDeleted: func(id string) {
			if q.svc != nil {
				q.svc.ForgetSearchIndex(id)
			}
		},
		OnReindexed: func(id string) {
			if q.svc == nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := q.svc.RefreshSearchIndex(ctx, id); err != nil {
				q.logger.Warn("refresh keyword index after reindex", "collection", id, "err", err)
			}
		},
	})
	// A model that arrives (download, import) embeds the text waiting for
	// it, with no user action.
	q.embedders.OnInstalled = func(name string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		q.indexer.ModelInstalled(ctx, name)
		q.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: ""})
	}
	q.watch = watch.NewSupervisor(watch.SupervisorConfig{Store: q.store, Queue: q.indexer, Bus: q.bus,
		Options: q.indexer.ScanRules(), Logger: q.logger})
	q.svc, err = service.New(ctx, service.Info{
		Version:      opts.Version,
		Database:     dbDesc,
		VectorEngine: q.engine.Description,
		DataDir:      opts.Locations.Base,
		Desktop:      opts.Desktop,
	}, service.Deps{Store: q.store, Index: q.index, Queue: q.indexer, Models: q.embedders, Bus: q.bus, Watch: q.watch,
		Search: search.New(search.Options{Store: q.store, Index: q.index, Embedders: q.embedders, Rerankers: q.embedders,
			Logger: q.logger}),
		SettingsPath: opts.Locations.Settings(), SharingDir: opts.Locations.Sharing(), Logger: q.logger.With("component", "service")})
	if err != nil {
		return nil, err
	}
	if err := q.startSharing(); err != nil {
		return nil, err
	}
	q.workers = supervise.New(q.logger.With("component", "supervisor"))
	// Vectors load in the background: the app is ready, and keyword
	// search answers, at once; semantic search says how much is loaded.
	q.workers.Add("vector load", supervise.Func(func(ctx context.Context) error {
		t0 := time.Now()
		if err := q.index.Sync(ctx, q.vectorsToLoad, q.engine.Kind == qdrantd.Embedded); err != nil {
			// Search over a collection that failed to load is incomplete,
			// not broken; the log says which and why.
			q.logger.Error("vector index not fully in step with PostgreSQL", "err", err)
		}
		q.logger.Info("vectors in step with PostgreSQL", "engine", q.engine.Kind, "took", time.Since(t0).Round(time.Millisecond))
		return nil
	}))
	// Models shipped with the app are installed from beside it, in the
	// background: a first run works with no network.
	q.workers.Add("bundled models", supervise.Func(func(ctx context.Context) error {
		q.svc.InstallBundledModels(ctx, locations.BundledModels())
		return nil
	}))
	q.workers.Add("indexer", q.indexer)
	// Watched folders: what changed while Quarry was closed is caught up
	// at once, what changes from now on within seconds.
	q.workers.Add("folder watch", q.watch)
	// Keyword indexes load in the background; a search before they are
	// ready builds what it needs itself.
	q.workers.Add("search warm-up", supervise.Func(func(ctx context.Context) error {
		_ = q.svc.WarmSearch(ctx)
		return nil
	}))
	return q, nil
}

// startVectors chooses and starts the vector engine, connects to it, and
// brings it in line with PostgreSQL.
func (q *Quarry) startVectors(ctx context.Context) error {
	bundle := ""
	if exe, err := os.Executable(); err == nil {
		bundle = filepath.Dir(exe)
	}
	log := q.logger.With("component", "vectors")
	engine, svc, err := qdrantd.Choose(qdrantd.Config{
		ExternalURL:    q.opts.QdrantURL,
		ExternalAPIKey: q.opts.QdrantAPIKey,
		Locate: qdrantd.Locate{
			BundleDir:   bundle,
			Configured:  q.opts.QdrantBinary,
			DownloadDir: q.opts.Locations.QdrantBin(),
		},
		Sidecar: qdrantd.Options{
			StorageDir:   q.opts.Locations.QdrantStorage(),
			SnapshotsDir: q.opts.Locations.QdrantSnapshots(),
			RunDir:       q.opts.Locations.Logs,
		},
		Logger: log,
	})
	if err != nil {
		return err
	}
	q.engine = engine
	if svc != nil {
		q.sup.Add("vector engine", svc)
		if sc, ok := svc.(*qdrantd.Sidecar); ok {
			select {
			case <-sc.Ready():
			case <-time.After(90 * time.Second):
				return fmt.Errorf("qdrant did not become ready: %+v", sc.State())
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	q.qc, err = qdrant.New(qdrant.Config{URL: engine.Endpoint.URL, APIKey: engine.Endpoint.APIKey, Logger: log})
	if err != nil {
		return fmt.Errorf("connect to vector engine: %w", err)
	}
	if _, err := q.qc.Health(ctx); err != nil {
		return fmt.Errorf("vector engine: %w", err)
	}
	q.index = vecindex.New(q.qc, q.store, log)
	if q.vectorsToLoad, err = q.index.BeginSync(ctx); err != nil {
		return err
	}
	log.Info("vector engine ready", "engine", engine.Kind, "collections to load", len(q.vectorsToLoad))
	return nil
}

func (q *Quarry) startEmbeddedPostgres() (string, error) {
	bin, err := pgserver.ResolveBinaries(q.opts.PGBinaries)
	if err != nil {
		return "", err
	}
	logPath := q.opts.Locations.PostgresLog()
	rotate(logPath, 5<<20)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("open postgres log: %w", err)
	}
	q.pgLog = f
	srv, err := pgserver.New(pgserver.Config{
		Binaries:     bin,
		Dir:          q.opts.Locations.Postgres,
		StartTimeout: 60 * time.Second,
		Output:       f,
		Logger:       q.logger.With("component", "postgres"),
	})
	if err != nil {
		return "", err
	}
	if err := srv.Start(); err != nil {
		return "", err
	}
	q.pg = srv
	return srv.URL(), nil
}

// Service is the one service layer both adapters use.
func (q *Quarry) Service() *service.Service { return q.svc }

// Close stops everything, last started first. It is safe to call twice.
func (q *Quarry) Close() error {
	var errs []error
	if q.lan != nil {
		// Colleagues first: nothing new arrives while the rest stops.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := q.lan.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		q.lan = nil
	}
	if q.workers != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := q.workers.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		q.workers = nil
	}
	if q.qc != nil {
		_ = q.qc.Close()
		q.qc = nil
	}
	if q.sup != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if err := q.sup.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		q.sup = nil
	}
	if q.embedders != nil {
		if err := q.embedders.Close(); err != nil {
			errs = append(errs, err)
		}
		q.embedders = nil
	}
	if q.store != nil {
		q.store.Close()
		q.store = nil
	}
	if q.pg != nil {
		if err := q.pg.Stop(); err != nil {
			errs = append(errs, err)
		}
		q.pg = nil
	}
	if q.pgLog != nil {
		_ = q.pgLog.Close()
		q.pgLog = nil
	}
	return errors.Join(errs...)
}

// AddUser makes an account with only the database running: `quarry user
// add` on a headless machine, while Quarry itself is stopped.
func AddUser(ctx context.Context, opts Options, req service.CreateUserRequest) (service.User, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	q := &Quarry{opts: opts, logger: opts.Logger}
	defer q.Close()
	if err := opts.Locations.Ensure(); err != nil {
		return service.User{}, fmt.Errorf("prepare data directory: %w", err)
	}
	url := opts.DatabaseURL
	if url == "" {
		var err error
		if url, err = q.startEmbeddedPostgres(); err != nil {
			return service.User{}, fmt.Errorf("open the database (if Quarry is running, stop it first, or add the user under Sharing → Users in the app): %w", err)
		}
	}
	if err := store.Migrate(url); err != nil {
		return service.User{}, fmt.Errorf("migrate database: %w", err)
	}
	st, err := store.Open(ctx, url, q.logger)
	if err != nil {
		return service.User{}, err
	}
	q.store = st
	svc, err := service.New(ctx, service.Info{Version: opts.Version}, service.Deps{Store: st, Logger: q.logger})
	if err != nil {
		return service.User{}, err
	}
	return svc.CreateUser(ctx, req)
}

// startSharing prepares the LAN listener, which Settings turns on and off,
// and starts it when --lan asks (an error then stops the start: the
// owner asked for it) or when sharing was left on (an error is shown in
// Settings, and Quarry runs unshared).
func (q *Quarry) startSharing() error {
	q.lan = lan.New(lan.Options{
		Handler:  httpapi.NewLAN(q.svc, q.opts.UI, q.logger.With("component", "lan")),
		Logger:   q.logger.With("component", "lan"),
		CertDir:  q.opts.Locations.Sharing(),
		CertFile: q.opts.LANCert,
		KeyFile:  q.opts.LANKey,
		Stdout:   os.Stdout,
	})
	q.svc.SetSharer(q.lan)
	if q.opts.LAN != "" {
		if err := q.lan.Start(q.opts.LAN); err != nil {
			return fmt.Errorf("share on %s: %w", q.opts.LAN, err)
		}
		return nil
	}
	if on, addr := q.svc.SharingConfig(); on {
		if err := q.lan.Start(addr); err != nil {
			q.logger.Error("sharing was left on but cannot start; Quarry runs unshared", "address", addr, "err", err)
		}
	}
	return nil
}

// LANAddr is where sharing listens, or nil when it does not.
func (q *Quarry) LANAddr() net.Addr {
	if q.lan == nil {
		return nil
	}
	return q.lan.Addr()
}

// throttled passes on at most one download report per interval, and
// always the one that completes a file.
func throttled(every time.Duration, fn func(models.Progress)) func(models.Progress) {
	var last time.Time
	return func(p models.Progress) {
		if done := p.Total > 0 && p.Done >= p.Total; done || time.Since(last) >= every {
			last = time.Now()
			fn(p)
		}
	}
}

// rotate keeps one previous generation of a log that grew past max bytes.
func rotate(path string, max int64) {
	if st, err := os.Stat(path); err == nil && st.Size() > max {
		_ = os.Rename(path, path+".1")
	}
}
