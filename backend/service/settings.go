package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/atomicfile"
)

// Settings are the preferences a person can change while Quarry runs.
type Settings struct {
	// EmbedThreads is how many CPU threads a model uses; 0 sizes them to
	// the machine. It applies when a model is next loaded.
	EmbedThreads int `json:"embed_threads"`
	// EmbedConcurrency is how many batches a model runs at once (at least
	// 1). Searches always go before indexing batches; fewer threads and
	// batches keep the machine responsive while a large folder indexes.
	EmbedConcurrency int `json:"embed_concurrency"`
}

// DefaultSettings are used until the person changes something.
func DefaultSettings() Settings { return Settings{EmbedThreads: 0, EmbedConcurrency: 1} }

// loadSettings reads settings from path; a missing file gives defaults.
func loadSettings(path string) (Settings, error) {
	st := DefaultSettings()
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return DefaultSettings(), fmt.Errorf("settings file %s is not valid JSON (%v); using defaults", path, err)
	}
	if validateSettings(st) != nil {
		return DefaultSettings(), fmt.Errorf("settings file %s holds values out of range; using defaults", path)
	}
	return st, nil
}

func validateSettings(st Settings) error {
	maxThreads := 4 * runtime.NumCPU()
	switch {
	case st.EmbedThreads < 0 || st.EmbedThreads > maxThreads:
		return apperr.Field(apperr.InvalidArgument, "embed_threads", "Threads must be between 0 (automatic) and %d.", maxThreads)
	case st.EmbedConcurrency < 1 || st.EmbedConcurrency > 16:
		return apperr.Field(apperr.InvalidArgument, "embed_concurrency", "Concurrent batches must be between 1 and 16.")
	}
	return nil
}

// GetSettings returns the current settings.
func (s *Service) GetSettings(ctx context.Context) (Settings, error) {
	if err := s.needAdmin(ctx); err != nil {
		return Settings{}, err
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	return s.settings, nil
}

// UpdateSettings validates, applies and saves new settings.
func (s *Service) UpdateSettings(ctx context.Context, st Settings) (Settings, error) {
	if err := s.needAdmin(ctx); err != nil {
		return Settings{}, err
	}
	if err := validateSettings(st); err != nil {
		return Settings{}, err
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if s.settingsPath != "" {
		raw, _ := json.MarshalIndent(st, "", "  ")
		if err := atomicfile.Write(s.settingsPath, raw, 0o644); err != nil {
			return Settings{}, s.internal("save settings", err)
		}
	}
	s.settings = st
	if s.models != nil {
		s.models.Tune(st.EmbedThreads, st.EmbedConcurrency)
	}
	return st, nil
}
