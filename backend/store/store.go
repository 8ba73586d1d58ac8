// Package store is Quarry's PostgreSQL repository layer: collections,
// sources, documents, chunks and operations, and the accounts, sessions,
// API keys and grants of LAN sharing, with an audit entry written in the
// same transaction as every change.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // pgx5:// driver
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/quarry-search/quarry/migrations"
)

// Sentinel errors callers test with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrNameTaken    = errors.New("name already in use")
	ErrSourceExists = errors.New("source already added")
	ErrOverlap      = errors.New("source overlaps another source")
	// ErrTokenReused means a refresh token was presented after it had
	// been spent or revoked; its whole family is revoked.
	ErrTokenReused = errors.New("refresh token already used")
	// ErrLocalUser means a change would lock the desktop's own user out.
	ErrLocalUser = errors.New("the local owner cannot be changed this way")
)

// OverlapError says which existing source a new one collides with.
type OverlapError struct {
	Existing string
	// Inside is true when the new path lies inside Existing, false when
	// it contains it.
	Inside bool
}

func (e *OverlapError) Error() string {
	if e.Inside {
		return fmt.Sprintf("path is inside source %s", e.Existing)
	}
	return fmt.Sprintf("path contains source %s", e.Existing)
}

func (e *OverlapError) Unwrap() error { return ErrOverlap }

// Store holds the connection pool.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

// Open connects to PostgreSQL at url and checks the connection.
func Open(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, logger: logger}, nil
}

// Close releases every connection.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool to packages that own other tables.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ServerVersion reports PostgreSQL's version string, e.g. "18.4".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("query server version: %w", err)
	}
	v, _, _ = strings.Cut(v, " ")
	return v, nil
}

func newMigrate(url string) (*migrate.Migrate, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("open migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, migrateURL(url))
	if err != nil {
		return nil, fmt.Errorf("connect migrator: %w", err)
	}
	return m, nil
}

// Migrate brings the schema up to date.
func Migrate(url string) error {
	m, err := newMigrate(url)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown reverts every migration. Only tests and tooling use it.
func MigrateDown(url string) error {
	m, err := newMigrate(url)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Down(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// SchemaVersion reports the applied migration version.
func SchemaVersion(url string) (uint, bool, error) {
	m, err := newMigrate(url)
	if err != nil {
		return 0, false, err
	}
	defer m.Close()
	v, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, dirty, err
}

func migrateURL(url string) string {
	for _, p := range []string{"postgresql://", "postgres://"} {
		if rest, ok := strings.CutPrefix(url, p); ok {
			return "pgx5://" + rest
		}
	}
	return url
}

// LocalUserID returns the desktop's own user.
func (s *Store) LocalUserID(ctx context.Context) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, "SELECT id FROM users WHERE is_local").Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("find local user: %w", err)
	}
	return id, nil
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
