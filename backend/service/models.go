package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/store"
)

// ModelInfo is what clients see of a registered model.
type ModelInfo struct {
	Name                string `json:"name"`
	ShortName           string `json:"short_name"`
	DisplayName         string `json:"display_name"`
	Description         string `json:"description"`
	Kind                string `json:"kind"`
	Dims                int    `json:"dims"`
	MaxSeqLen           int    `json:"max_seq_len"`
	DefaultChunkSize    int    `json:"default_chunk_size"`
	DefaultChunkOverlap int    `json:"default_chunk_overlap"`
	// Default marks the model a new collection gets now: the registry's
	// default once installed, until then the bundled one.
	Default bool `json:"default"`
	// Bundled models ship with the app and work with no network.
	Bundled   bool   `json:"bundled,omitempty"`
	Languages string `json:"languages,omitempty"`
	License   string `json:"license,omitempty"`
	Repo      string `json:"repo,omitempty"`
	Revision  string `json:"revision,omitempty"`
	// Unavailable, when set, says why the model cannot run yet.
	Unavailable string `json:"unavailable,omitempty"`
	// Installed reports that the model's files are on this machine.
	Installed bool `json:"installed"`
	// State is where the model stands: ready (loaded), installed,
	// not_installed, downloading, paused or failed.
	State           string  `json:"state,omitempty"`
	DownloadPercent float64 `json:"download_percent,omitempty"`
	Error           string  `json:"error,omitempty"`
	// SizeBytes is what its files take on disk.
	SizeBytes int64 `json:"size_bytes"`
	// Device is what it runs on once loaded (CPU, CUDA…).
	Device string `json:"device,omitempty"`
	// Collections use the model: it cannot be deleted while any does.
	Collections []ModelUse `json:"collections"`
	// Hybrid is how hybrid search blends this model with keyword search,
	// and the evidence for it.
	Hybrid models.Fusion `json:"hybrid"`
}

// ModelUse names a collection that uses a model.
type ModelUse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func modelInfo(m models.Model, installed bool) ModelInfo {
	return ModelInfo{Collections: []ModelUse{}, Hybrid: m.HybridFusion(),
		Name: m.Name, ShortName: m.ShortName, DisplayName: m.DisplayName, Description: m.Description,
		Kind: string(m.Kind), Dims: m.Dims, MaxSeqLen: m.MaxSeqLen, DefaultChunkSize: m.DefaultChunkSize,
		DefaultChunkOverlap: m.DefaultChunkOverlap, Default: m.Default, Bundled: m.Bundled, Languages: m.Languages, License: m.License,
		Repo: m.Repo, Revision: m.Revision, Unavailable: m.Unavailable, Installed: installed,
	}
}

// ListModels returns the registered models: embedding models, which
// collections use, and rerankers (kind "reranker"), which searches may use.
func (s *Service) ListModels(ctx context.Context) ([]ModelInfo, error) {
	uses, err := s.modelUses(ctx)
	if err != nil {
		return nil, err
	}
	levels, all, err := s.levels(ctx)
	if err != nil {
		return nil, err
	}
	if !all {
		// Colleagues learn which of their collections use a model, never
		// the names of the others.
		for name, u := range uses {
			uses[name] = slices.DeleteFunc(u, func(x ModelUse) bool { return levels[x.ID] == "" })
		}
	}
	list := models.List()
	out := make([]ModelInfo, len(list))
	def := s.defaultModel().Name
	for i, m := range list {
		out[i] = s.describeModel(m, uses)
		// The model a new collection gets now.
		out[i].Default = m.Name == def
	}
	return out, nil
}

// modelUses lists, by model, the collections that use it (a reindex's
// target included).
func (s *Service) modelUses(ctx context.Context) (map[string][]ModelUse, error) {
	cols, err := s.store.ListCollections(ctx)
	if err != nil {
		return nil, s.internal("list models", err)
	}
	out := map[string][]ModelUse{}
	for _, c := range cols {
		out[c.ModelName] = append(out[c.ModelName], ModelUse{ID: c.ID, Name: c.Name})
	}
	ops, err := s.store.ListOperations(ctx, "", 200)
	if err != nil {
		return nil, s.internal("list models", err)
	}
	for _, o := range ops {
		if o.Type == store.OpReindex && o.Config.Reindex != nil && (o.Status == store.OpPending || o.Status == store.OpProcessing || o.Status == store.OpPaused) {
			if !slices.ContainsFunc(out[o.Config.Reindex.Model], func(u ModelUse) bool { return u.ID == o.CollectionID }) {
				name := o.CollectionID
				for _, c := range cols {
					if c.ID == o.CollectionID {
						name = c.Name
					}
				}
				out[o.Config.Reindex.Model] = append(out[o.Config.Reindex.Model], ModelUse{ID: o.CollectionID, Name: name + " (reindexing to it)"})
			}
		}
	}
	return out, nil
}

// describeModel is a model as the Models page shows it.
func (s *Service) describeModel(m models.Model, uses map[string][]ModelUse) ModelInfo {
	info := modelInfo(m, false)
	if u := uses[m.Name]; u != nil {
		info.Collections = u
	}
	if s.models == nil {
		return info
	}
	info.Installed = s.models.Installed(m.Name)
	st := s.models.State(m.Name)
	info.State, info.DownloadPercent, info.Error = st.State, st.Percent, st.Error
	if info.Installed {
		info.SizeBytes = s.models.DiskSize(m.Name)
	}
	for _, e := range s.models.Infos() {
		if e.Model == m.Name {
			info.Device = e.Device
		}
	}
	return info
}

// ModelAction names a model to download, pause, cancel or delete.
func (s *Service) model(ctx context.Context, name string) (models.Model, ModelInfo, error) {
	m, err := s.installable(name)
	if err != nil {
		return models.Model{}, ModelInfo{}, err
	}
	uses, err := s.modelUses(ctx)
	if err != nil {
		return models.Model{}, ModelInfo{}, err
	}
	return m, s.describeModel(m, uses), nil
}

// DownloadModel starts (or resumes) a model's download in the background;
// progress arrives on the model:download event and in ListModels.
func (s *Service) DownloadModel(ctx context.Context, name string) (ModelInfo, error) {
	if err := s.needAdmin(ctx); err != nil {
		return ModelInfo{}, err
	}
	m, _, err := s.model(ctx, name)
	if err != nil {
		return ModelInfo{}, err
	}
	if !m.Runnable() {
		return ModelInfo{}, apperr.Field(apperr.ModelUnavailable, "model", "%s cannot be used yet: %s", m.DisplayName, m.Unavailable)
	}
	if m.Kind == models.KindStatic {
		return ModelInfo{}, apperr.Field(apperr.InvalidArgument, "model",
			"%s is not downloaded by Quarry: import it from a folder that holds its files.", m.DisplayName)
	}
	if err := s.models.Download(m.Name, ""); err != nil {
		return ModelInfo{}, apperr.Wrap(err, apperr.Unavailable, "%v", err)
	}
	s.logger.Info("model download requested", "model", m.Name)
	_, info, err := s.model(ctx, name)
	return info, err
}

// PauseModelDownload pauses a running download, keeping what it fetched.
func (s *Service) PauseModelDownload(ctx context.Context, name string) (ModelInfo, error) {
	if err := s.needAdmin(ctx); err != nil {
		return ModelInfo{}, err
	}
	if _, _, err := s.model(ctx, name); err != nil {
		return ModelInfo{}, err
	}
	if !s.models.PauseDownload(name) {
		return ModelInfo{}, apperr.New(apperr.Conflict, "%s is not downloading.", name)
	}
	_, info, err := s.model(ctx, name)
	return info, err
}

// CancelModelDownload stops a download and removes what it fetched.
func (s *Service) CancelModelDownload(ctx context.Context, name string) (ModelInfo, error) {
	if err := s.needAdmin(ctx); err != nil {
		return ModelInfo{}, err
	}
	if _, _, err := s.model(ctx, name); err != nil {
		return ModelInfo{}, err
	}
	if !s.models.CancelDownload(name) {
		return ModelInfo{}, apperr.New(apperr.Conflict, "%s is not downloading.", name)
	}
	_, info, err := s.model(ctx, name)
	return info, err
}

// DeleteModel removes an installed model's files; it is refused while a
// collection uses the model.
func (s *Service) DeleteModel(ctx context.Context, name string) (ModelInfo, error) {
	if err := s.needAdmin(ctx); err != nil {
		return ModelInfo{}, err
	}
	m, info, err := s.model(ctx, name)
	if err != nil {
		return ModelInfo{}, err
	}
	if len(info.Collections) > 0 {
		names := make([]string, len(info.Collections))
		for i, u := range info.Collections {
			names[i] = u.Name
		}
		return ModelInfo{}, apperr.New(apperr.Conflict, "%s is used by %s: delete those collections, or reindex them with another model, first.",
			m.DisplayName, strings.Join(names, ", "))
	}
	if !info.Installed && info.State != modelpool.Paused && info.State != modelpool.Downloading {
		return ModelInfo{}, apperr.New(apperr.NotFound, "%s is not installed.", m.DisplayName)
	}
	if err := s.models.Remove(m.Name); err != nil {
		return ModelInfo{}, s.internal("delete model", err)
	}
	s.logger.Info("model deleted", "model", m.Name)
	_, info, err = s.model(ctx, name)
	return info, err
}

// ImportModelRequest installs a model from folders already on this
// machine, with no network.
type ImportModelRequest struct {
	Model string `json:"model"`
	// Variant is "fp32" or "int8"; empty means fp32.
	Variant string `json:"variant"`
	// Paths are folders holding the model's files (tokenizer, config and
	// weights may come from different folders).
	Paths []string `json:"paths"`
	// AllowUnverified accepts files that differ from the registry's pins
	// (a custom export or fine-tune). Their own digests are recorded, so
	// the collection fingerprint still tells them apart.
	AllowUnverified bool `json:"allow_unverified"`
}

// installable finds the registered model a request names to install, in a
// Quarry that has a model folder.
func (s *Service) installable(name string) (models.Model, error) {
	if s.models == nil {
		return models.Model{}, apperr.New(apperr.Unavailable, "Models cannot be installed in this Quarry.")
	}
	m, ok := models.Lookup(name)
	if !ok {
		return models.Model{}, apperr.Field(apperr.ModelUnknown, "model", "Quarry does not know a model called %q.", truncate(name, 80))
	}
	return m, nil
}

// ImportModel copies a model's files into Quarry's model folder; work
// waiting for the model goes on at once.
func (s *Service) ImportModel(ctx context.Context, req ImportModelRequest) (ModelInfo, error) {
	if err := s.needAdmin(ctx); err != nil {
		return ModelInfo{}, err
	}
	if s.models == nil {
		return ModelInfo{}, apperr.New(apperr.Unavailable, "Models cannot be installed in this Quarry.")
	}
	info, err := ImportModelFiles(ctx, s.models.Root(), req)
	if err != nil {
		return ModelInfo{}, err
	}
	s.logger.Info("model imported", "model", info.Name, "variant", req.Variant, "unverified", req.AllowUnverified)
	s.models.Announce(info.Name)
	// What the Models page shows: state, size and the collections using it.
	_, full, err := s.model(ctx, info.Name)
	if err != nil {
		return info, nil
	}
	return full, nil
}

// InstallBundledModels installs every model that ships with the app and
// is not installed yet, from the first of dirs that holds it (a folder
// named after the model); work waiting for it goes on at once. A bundled
// model that is not there, or fails to install, is logged and skipped:
// the app works without it, by keyword.
func (s *Service) InstallBundledModels(ctx context.Context, dirs []string) {
	if s.models == nil {
		return
	}
	for _, m := range models.Bundled() {
		if s.models.Installed(m.Name) {
			continue
		}
		found := false
		for _, d := range dirs {
			src := filepath.Join(d, m.Name)
			if st, err := os.Stat(src); err != nil || !st.IsDir() {
				continue
			}
			found = true
			t0 := time.Now()
			if _, err := s.ImportModel(ctx, ImportModelRequest{Model: m.Name, Paths: []string{src}}); err != nil {
				s.logger.Warn("bundled model not installed", "model", m.Name, "from", src, "err", err)
				continue
			}
			s.logger.Info("bundled model installed", "model", m.Name, "from", src, "took", time.Since(t0).Round(time.Millisecond))
			break
		}
		if !found {
			s.logger.Info("bundled model not shipped with this build", "model", m.Name, "looked_in", dirs)
		}
	}
}

// ImportModelFiles validates an import request and installs the model
// into modelsDir: what the service and `quarry import-model` both run, so
// the command line gets the same checks and the same messages.
func ImportModelFiles(ctx context.Context, modelsDir string, req ImportModelRequest) (ModelInfo, error) {
	m, ok := models.Lookup(req.Model)
	if !ok {
		return ModelInfo{}, apperr.Field(apperr.ModelUnknown, "model", "Quarry does not know a model called %q.", truncate(req.Model, 80))
	}
	if len(req.Paths) == 0 {
		return ModelInfo{}, apperr.Field(apperr.InvalidArgument, "paths", "Give the folder that holds the model's files.")
	}
	for _, p := range req.Paths {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return ModelInfo{}, apperr.Field(apperr.PathNotFound, "paths", "%s is not a folder.", p)
		}
	}
	if _, err := models.ImportFolders(ctx, m, req.Variant, req.Paths, filepath.Join(modelsDir, m.Name), req.AllowUnverified, nil); err != nil {
		return ModelInfo{}, importError(m, err)
	}
	return modelInfo(m, true), nil
}

// InstallModelRequest asks to download a registered model now.
type InstallModelRequest struct {
	Model string `json:"model"`
	// Variant is "fp32" or "int8"; empty picks what the registry prefers.
	Variant string `json:"variant,omitempty"`
}

// InstallModel downloads a model's pinned files and verifies them, with
// progress on the model:download event. It returns when the model is
// installed; a model installed already returns at once.
func (s *Service) InstallModel(ctx context.Context, req InstallModelRequest) (ModelInfo, error) {
	if err := s.needAdmin(ctx); err != nil {
		return ModelInfo{}, err
	}
	m, err := s.installable(req.Model)
	if err != nil {
		return ModelInfo{}, err
	}
	switch req.Variant {
	case "", models.VariantFP32, models.VariantInt8:
	default:
		return ModelInfo{}, apperr.Field(apperr.InvalidArgument, "variant", "The variant must be %q or %q.", models.VariantFP32, models.VariantInt8)
	}
	if !m.Runnable() {
		return ModelInfo{}, apperr.Field(apperr.ModelUnavailable, "model", "%s cannot be used yet: %s", m.DisplayName, m.Unavailable)
	}
	if err := s.models.Install(ctx, m.Name, req.Variant); err != nil {
		return ModelInfo{}, apperr.Wrap(err, apperr.Unavailable, "%v", err)
	}
	s.logger.Info("model installed", "model", m.Name, "variant", req.Variant)
	return modelInfo(m, true), nil
}

// importError says what to do about a refused import. Nothing installed
// has changed when it is returned.
func importError(m models.Model, err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	switch {
	case errors.Is(err, models.ErrFileMissing):
		return apperr.Wrap(err, apperr.InvalidArgument, "The folder does not hold %s: missing %s. Choose the folder with the model's files; nothing was changed.", m.DisplayName, msg)
	case errors.Is(err, models.ErrChecksum):
		return apperr.Wrap(err, apperr.InvalidArgument, "The files are not the pinned %s (%s). If this is your own export, import it with \"allow unverified\"; nothing was changed.", m.DisplayName, msg)
	case errors.Is(err, context.Canceled):
		return err
	}
	return apperr.Wrap(err, apperr.InvalidArgument, "%s could not be imported: %v. Nothing was changed.", m.DisplayName, err)
}
