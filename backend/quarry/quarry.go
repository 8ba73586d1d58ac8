// Package quarry is the composition root: it starts Quarry's parts in
// order (database, store, service), hands the service to the adapters, and
// stops everything in reverse order.
package quarry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/quarry-search/quarry/backend/locations"
	"github.com/quarry-search/quarry/backend/pgserver"
	"github.com/quarry-search/quarry/backend/service"
	"github.com/quarry-search/quarry/backend/store"
)

// EnvDatabaseURL points Quarry at an external PostgreSQL instead of the
// embedded one.
const EnvDatabaseURL = "QUARRY_DATABASE_URL"

// Options configure one running Quarry.
type Options struct {
	Locations locations.Locations
	// DatabaseURL selects an external PostgreSQL; empty runs the embedded one.
	DatabaseURL string
	// PGBinaries is a configured PostgreSQL installation for the embedded
	// server; empty searches the usual places.
	PGBinaries string
	Version    string
	Desktop    bool
	Logger     *slog.Logger
}

// Quarry is a started instance.
type Quarry struct {
	opts   Options
	logger *slog.Logger
	pg     *pgserver.Server
	pgLog  io.Closer
	store  *store.Store
	svc    *service.Service
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
	q.svc, err = service.New(ctx, q.store, service.Info{
		Version:      opts.Version,
		Database:     dbDesc,
		VectorEngine: "not configured yet",
		DataDir:      opts.Locations.Base,
		Desktop:      opts.Desktop,
	}, q.logger.With("component", "service"))
	if err != nil {
		return nil, err
	}
	return q, nil
}

func (q *Quarry) startEmbeddedPostgres() (string, error) {
	bin, err := pgserver.ResolveBinaries(q.opts.PGBinaries)
	if err != nil {
		return "", err
	}
	logPath := filepath.Join(q.opts.Locations.Logs, "postgres.log")
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

// rotate keeps one previous generation of a log that grew past max bytes.
func rotate(path string, max int64) {
	if st, err := os.Stat(path); err == nil && st.Size() > max {
		_ = os.Rename(path, path+".1")
	}
}
