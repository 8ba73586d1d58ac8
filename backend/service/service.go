// Package service is Quarry's one service layer: every capability the
// desktop bindings and the HTTP API offer is a method here, with the same
// request and response types for both.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"strings"
	"sync"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/search"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/vecindex"
	"github.com/quarry-search/quarry/backend/watch"
)

// Info is what the service reports about the installation it runs in.
type Info struct {
	Version      string
	Database     string
	VectorEngine string
	DataDir      string
	Desktop      bool
}

// Service implements Quarry's use cases over the store.
type Service struct {
	store  *store.Store
	index  *vecindex.Index
	queue  Queue
	models *modelpool.Pool
	search *search.Engine
	watch  *watch.Supervisor

	settingsMu   sync.Mutex
	settings     Settings
	settingsPath string

	bus       *events.Bus
	logger    *slog.Logger
	info      Info
	localUser int64

	// ownerName is what colleagues see as the desktop owner's name.
	ownerName string
	accounts  *accounts
	sharingMu sync.Mutex
	sharer    Sharer
}

// Deps are the parts the service drives. Index and Queue may be nil where
// no vector engine or indexer runs (repository-level tests).
type Deps struct {
	Store *store.Store
	Index *vecindex.Index
	Queue Queue
	// Models is the model pool: installed models, downloads, where each
	// stands, and the threads they use. Nil where no model runs.
	Models *modelpool.Pool
	Bus    *events.Bus
	// Search answers queries; when nil, one is built over Store, Index
	// and Models.
	Search *search.Engine
	// Watch runs the watches of directory sources; nil where nothing
	// watches (repository-level tests).
	Watch *watch.Supervisor
	// SettingsPath is where settings are kept (empty: defaults, not
	// saved).
	SettingsPath string
	// SharingDir keeps the sign-in key and the sharing choice (empty: a
	// key for this run only, nothing remembered).
	SharingDir string
	Logger     *slog.Logger
}

// New builds the service. The store must be migrated.
func New(ctx context.Context, info Info, d Deps) (*Service, error) {
	logger, st := d.Logger, d.Store
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if d.Bus == nil {
		d.Bus = events.New()
	}
	settings := DefaultSettings()
	if d.SettingsPath != "" {
		var err error
		if settings, err = loadSettings(d.SettingsPath); err != nil {
			logger.Warn("settings", "err", err)
		}
	}
	if d.Models != nil {
		d.Models.Tune(settings.EmbedThreads, settings.EmbedConcurrency)
	}
	uid, err := st.LocalUserID(ctx)
	if err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	if d.Search == nil {
		opts := search.Options{Store: st, Index: d.Index, Logger: logger}
		if d.Models != nil {
			opts.Embedders, opts.Rerankers = d.Models, d.Models
		}
		d.Search = search.New(opts)
	}
	return &Service{search: d.Search, watch: d.Watch, store: st, index: d.Index, queue: d.Queue, models: d.Models, settings: settings, settingsPath: d.SettingsPath, bus: d.Bus, logger: logger, info: info, localUser: uid,
		accounts: newAccounts(d.SharingDir), ownerName: ownerName(ctx, st, uid)}, nil
}

// ownerName is the local owner's display name when one was set, else the
// name of the person logged in to this machine: colleagues read "shared
// with you by Ada Lovelace", not the built-in account's name.
func ownerName(ctx context.Context, st *store.Store, uid int64) string {
	if u, err := st.GetUser(ctx, uid); err == nil && u.DisplayName != "" && u.DisplayName != "Local user" {
		return u.DisplayName
	}
	if u, err := user.Current(); err == nil {
		if n := strings.TrimSpace(strings.Split(u.Name, ",")[0]); n != "" {
			return n
		}
		if u.Username != "" {
			return u.Username
		}
	}
	return "the owner"
}

type actorKey struct{}

// WithActor returns a context whose changes are attributed to user id.
func WithActor(ctx context.Context, userID int64) context.Context {
	return context.WithValue(ctx, actorKey{}, userID)
}

func (s *Service) actor(ctx context.Context) int64 {
	if id, ok := ctx.Value(actorKey{}).(int64); ok && id != 0 {
		return id
	}
	return s.localUser
}

// Status describes the running installation.
type Status struct {
	Version      string `json:"version"`
	Database     string `json:"database"`
	VectorEngine string `json:"vector_engine"`
	DataDir      string `json:"data_dir"`
	Desktop      bool   `json:"desktop"`
	// Embedders lists the loaded models with the device (CPU, CUDA…)
	// each runs on, and why a faster one was not used.
	Embedders []embedder.Info `json:"embedders"`
}

// Status reports versions and engines in use.
func (s *Service) Status(ctx context.Context) (Status, error) {
	st := Status{
		Version:      s.info.Version,
		Database:     s.info.Database,
		VectorEngine: s.info.VectorEngine,
		DataDir:      s.info.DataDir,
		Desktop:      s.info.Desktop,
		Embedders:    s.embedderInfos(),
	}
	if _, ok := PrincipalFrom(ctx); ok {
		// Over the LAN this is never the desktop window, and where the
		// owner keeps the data is not a colleague's business.
		st.Desktop = false
		if !s.IsAdmin(ctx) {
			st.DataDir = ""
		}
	}
	return st, nil
}

func (s *Service) embedderInfos() []embedder.Info {
	if s.models == nil {
		return []embedder.Info{}
	}
	return s.models.Infos()
}

// internal logs an unexpected error and hides its details from clients.
func (s *Service) internal(op string, err error) error {
	if ae := (*apperr.Error)(nil); errors.As(err, &ae) {
		return ae
	}
	s.logger.Error(op+" failed", "err", err)
	return apperr.From(fmt.Errorf("%s: %w", op, err))
}
