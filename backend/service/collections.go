package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/quarry-search/quarry/backend/apperr"
	"github.com/quarry-search/quarry/backend/events"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
)

// Limits on collection fields.
const (
	MaxNameLength        = 128
	MaxDescriptionLength = 2000
)

// Quantizations a collection may store its vectors in.
var Quantizations = []string{"float32", "float16", "int8"}

// Collection is a collection as clients see it.
type Collection struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Model          string    `json:"model"`
	Quantization   string    `json:"quantization"`
	ChunkSize      int       `json:"chunk_size"`
	ChunkOverlap   int       `json:"chunk_overlap"`
	Status         string    `json:"status"`
	StatusMessage  string    `json:"status_message"`
	SourceCount    int       `json:"source_count"`
	DocumentCount  int       `json:"document_count"`
	VectorCount    int64     `json:"vector_count"`
	TotalSizeBytes int64     `json:"total_size_bytes"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Readiness says what can be searched now, and what waits for what.
	Readiness Readiness `json:"readiness"`
	// IsPublic collections are readable by every signed-in user of a
	// shared Quarry.
	IsPublic bool `json:"is_public"`
	// Permission is the caller's: read, write or admin.
	Permission string `json:"permission"`
	// Owner is the owner's user name.
	Owner string `json:"owner"`
}

// Readiness is how far a collection's search is: keyword search works as
// soon as text is stored; semantic search needs the model and vectors.
type Readiness struct {
	// Keyword is "ready" or "empty" (nothing indexed yet).
	Keyword string `json:"keyword"`
	// Semantic is "ready", "partial" (some chunks have vectors), "waiting"
	// (for the model), "loading" (vectors, at start-up) or "empty".
	Semantic       string `json:"semantic"`
	Chunks         int64  `json:"chunks"`
	EmbeddedChunks int64  `json:"embedded_chunks"`
	// ModelState is the collection's model's: ready, installed,
	// not_installed, downloading or failed.
	ModelState      string  `json:"model_state"`
	DownloadPercent float64 `json:"download_percent,omitempty"`
	ModelError      string  `json:"model_error,omitempty"`
	// VectorsLoaded is how much of the vector index start-up has loaded
	// (0–100).
	VectorsLoaded float64 `json:"vectors_loaded"`
	// Message says it in a sentence: "keyword search ready · semantic
	// search waiting for BGE small (downloading 45 %)".
	Message string `json:"message"`
}

// collection turns a stored collection into what clients see, with its
// readiness computed now.
func (s *Service) collection(c store.Collection) Collection {
	out := fromStore(c)
	if c.OwnerID == s.localUser {
		out.Owner = s.ownerName
	}
	r := Readiness{Keyword: "ready", Semantic: "ready", Chunks: c.ChunkCount, EmbeddedChunks: c.VectorCount, VectorsLoaded: 100}
	name := c.ModelName
	if m, ok := models.Lookup(c.ModelName); ok && m.DisplayName != "" {
		name = m.DisplayName
	}
	if s.models != nil {
		st := s.models.State(c.ModelName)
		r.ModelState, r.ModelError = st.State, st.Error
		if st.State == modelpool.Downloading {
			r.DownloadPercent = st.Percent
		}
	}
	loading, pct := false, 100.0
	if s.index != nil {
		loading, pct = s.index.Loading(c.ID)
	}
	r.VectorsLoaded = pct
	usable := r.ModelState == modelpool.Ready || r.ModelState == modelpool.Installed || r.ModelState == ""
	switch {
	case c.ChunkCount == 0:
		r.Keyword, r.Semantic = "empty", "empty"
	case loading:
		r.Semantic = "loading"
		r.Message = fmt.Sprintf("keyword search ready · semantic search loading (%.0f %%)", pct)
	case c.VectorCount >= c.ChunkCount:
		r.Message = "keyword and semantic search ready"
	case !usable:
		r.Semantic = "waiting"
		if c.VectorCount > 0 {
			r.Semantic = "partial"
		}
		switch r.ModelState {
		case modelpool.Downloading:
			r.Message = fmt.Sprintf("keyword search ready · semantic search waiting for %s (downloading %.0f %%)", name, r.DownloadPercent)
		case modelpool.Failed:
			r.Message = fmt.Sprintf("keyword search ready · semantic search waiting for %s (%s)", name, r.ModelError)
		default:
			r.Message = fmt.Sprintf("keyword search ready · semantic search waiting for %s (not installed: import it with quarry import-model)", name)
		}
	default:
		r.Semantic = "partial"
		r.Message = fmt.Sprintf("keyword search ready · semantic search covers %.0f %%", 100*float64(c.VectorCount)/float64(c.ChunkCount))
	}
	out.Readiness = r
	return out
}

// CreateCollectionRequest asks for a new collection. Zero values take the
// defaults: the default model, float32, and the model's chunking.
type CreateCollectionRequest struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	Model        string `json:"model"`
	Quantization string `json:"quantization"`
	ChunkSize    int    `json:"chunk_size"`
	ChunkOverlap int    `json:"chunk_overlap"`
}

// UpdateCollectionRequest changes the fields that are present.
type UpdateCollectionRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	// IsPublic shares the collection, read-only, with every signed-in user.
	IsPublic *bool `json:"is_public,omitempty"`
}

func fromStore(c store.Collection) Collection {
	return Collection{
		ID: c.ID, Name: c.Name, Description: c.Description, Model: c.ModelName,
		Quantization: c.Quantization, ChunkSize: c.ChunkSize, ChunkOverlap: c.ChunkOverlap,
		Status: c.Status, StatusMessage: c.StatusMessage, SourceCount: c.SourceCount,
		DocumentCount: c.DocumentCount, VectorCount: c.VectorCount, TotalSizeBytes: c.TotalSizeBytes,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, IsPublic: c.IsPublic, Owner: c.OwnerName,
		Permission: LevelAdmin,
	}
}

// ListCollections returns every collection the caller can see, with its
// counts.
func (s *Service) ListCollections(ctx context.Context) ([]Collection, error) {
	levels, all, err := s.levels(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListCollections(ctx)
	if err != nil {
		return nil, s.internal("list collections", err)
	}
	out := make([]Collection, 0, len(list))
	for _, c := range list {
		if all {
			out = append(out, s.collection(c))
		} else if l := levels[c.ID]; l != "" {
			cc := s.collection(c)
			cc.Permission = l
			cc.Readiness.Message, cc.Readiness.ModelError = s.forCaller(ctx, cc.Readiness.Message), s.forCaller(ctx, cc.Readiness.ModelError)
			cc.StatusMessage = s.forCaller(ctx, cc.StatusMessage)
			out = append(out, cc)
		}
	}
	return out, nil
}

// GetCollection returns one collection.
func (s *Service) GetCollection(ctx context.Context, id string) (Collection, error) {
	l, err := s.level(ctx, id)
	if err != nil {
		return Collection{}, err
	}
	if l == "" {
		return Collection{}, s.need(ctx, id, LevelRead)
	}
	c, err := s.store.GetCollection(ctx, id)
	if err != nil {
		return Collection{}, s.storeError("get collection", err, "collection "+id)
	}
	out := s.collection(c)
	out.Permission = l
	out.Readiness.Message, out.Readiness.ModelError = s.forCaller(ctx, out.Readiness.Message), s.forCaller(ctx, out.Readiness.ModelError)
	out.StatusMessage = s.forCaller(ctx, out.StatusMessage)
	return out, nil
}

// CreateCollection validates and creates a collection.
func (s *Service) CreateCollection(ctx context.Context, req CreateCollectionRequest) (Collection, error) {
	if err := s.needAdmin(ctx); err != nil {
		return Collection{}, err
	}
	nc, err := s.validateCreate(req)
	if err != nil {
		return Collection{}, err
	}
	nc.OwnerID = s.actor(ctx)
	c, err := s.store.CreateCollection(ctx, nc, s.actor(ctx))
	if err != nil {
		return Collection{}, s.storeError("create collection", err, nc.Name)
	}
	if s.index != nil {
		if err := s.index.Ensure(ctx, c); err != nil {
			// The collection is usable; its vectors are created again
			// before the first write.
			s.logger.Warn("create vector collection", "collection", c.ID, "err", err)
		}
	}
	if m, ok := models.Lookup(c.ModelName); ok && m.Bundled && s.models != nil {
		// The bundled model stands in (chosen, or given when none was
		// named); the stronger default downloads in the background, and
		// the app offers to switch when it is ready.
		s.models.Request(models.Default().Name)
	}
	s.logger.Info("collection created", "collection", c.ID, "name", c.Name, "model", c.ModelName)
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: c.ID})
	return s.collection(c), nil
}

// defaultModel is what a new collection uses when none is named: the
// registry's default once it is installed, else an installed bundled
// model (it works offline, at once), else the default (its text is
// indexed while it downloads).
func (s *Service) defaultModel() models.Model {
	def := models.Default()
	if s.models == nil || s.models.Installed(def.Name) {
		return def
	}
	for _, m := range models.Bundled() {
		if s.models.Installed(m.Name) {
			return m
		}
	}
	return def
}

func (s *Service) validateCreate(req CreateCollectionRequest) (store.NewCollection, error) {
	name, err := cleanName(req.Name)
	if err != nil {
		return store.NewCollection{}, err
	}
	desc, err := cleanDescription(req.Description)
	if err != nil {
		return store.NewCollection{}, err
	}
	m := s.defaultModel()
	if req.Model != "" {
		var ok bool
		if m, ok = models.Lookup(req.Model); !ok {
			return store.NewCollection{}, apperr.Field(apperr.ModelUnknown, "model",
				"Quarry does not know a model called %q.", truncate(req.Model, 80))
		}
	}
	if !m.Embeds() {
		return store.NewCollection{}, apperr.Field(apperr.InvalidArgument, "model",
			"%s is a reranker: it re-orders search results and cannot embed a collection.", m.DisplayName)
	}
	if !m.Runnable() {
		return store.NewCollection{}, apperr.Field(apperr.ModelUnavailable, "model",
			"%s cannot be used yet: %s", m.DisplayName, m.Unavailable)
	}
	q := req.Quantization
	if q == "" {
		q = "float32"
	}
	if !slices.Contains(Quantizations, q) {
		return store.NewCollection{}, apperr.Field(apperr.InvalidArgument, "quantization",
			"Quantization must be one of %s.", strings.Join(Quantizations, ", "))
	}
	size, overlap := req.ChunkSize, req.ChunkOverlap
	if size == 0 {
		size, overlap = m.DefaultChunkSize, m.DefaultChunkOverlap
	}
	if size < models.MinChunkSize || size > m.MaxSeqLen {
		return store.NewCollection{}, apperr.Field(apperr.InvalidArgument, "chunk_size",
			"Chunk size must be between %d and %d tokens for %s.", models.MinChunkSize, m.MaxSeqLen, m.DisplayName)
	}
	if overlap < 0 || overlap > size/2 {
		return store.NewCollection{}, apperr.Field(apperr.InvalidArgument, "chunk_overlap",
			"Chunk overlap must be between 0 and %d tokens (half the chunk size).", size/2)
	}
	id := uuid.NewString()
	return store.NewCollection{
		ID: id, OwnerID: s.localUser, Name: name, Description: desc, ModelName: m.Name,
		EmbeddingDims: m.Dims, Quantization: q, ChunkSize: size, ChunkOverlap: overlap,
		VectorCollection: qdrant.PhysicalName(id, m.ShortName, qdrant.Quantization(q), 0),
	}, nil
}

// UpdateCollection renames a collection or changes its description.
func (s *Service) UpdateCollection(ctx context.Context, id string, req UpdateCollectionRequest) (Collection, error) {
	if err := s.need(ctx, id, LevelAdmin); err != nil {
		return Collection{}, err
	}
	upd := store.CollectionUpdate{IsPublic: req.IsPublic}
	if req.Name != nil {
		name, err := cleanName(*req.Name)
		if err != nil {
			return Collection{}, err
		}
		upd.Name = &name
	}
	if req.Description != nil {
		desc, err := cleanDescription(*req.Description)
		if err != nil {
			return Collection{}, err
		}
		upd.Description = &desc
	}
	c, err := s.store.UpdateCollection(ctx, id, upd, s.actor(ctx))
	if err != nil {
		key := id
		if upd.Name != nil {
			key = *upd.Name
		}
		return Collection{}, s.storeError("update collection", err, key)
	}
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: c.ID})
	return s.collection(c), nil
}

// DeleteCollection deletes a collection: it leaves every list and search
// at once, and a delete operation (returned) removes its vectors, keyword
// index and rows, resuming after a crash.
func (s *Service) DeleteCollection(ctx context.Context, id string) (Operation, error) {
	if err := s.need(ctx, id, LevelAdmin); err != nil {
		return Operation{}, err
	}
	if s.queue != nil {
		s.queue.StopCollection(id)
	}
	op, err := s.store.RequestDelete(ctx, id, s.actor(ctx))
	if err != nil {
		return Operation{}, s.storeError("delete collection", err, id)
	}
	if s.queue != nil {
		s.queue.Wake()
	} else {
		// No worker runs here (repository-level use): purge now.
		if err := s.store.DeleteCollection(ctx, id, s.actor(ctx)); err != nil {
			return Operation{}, s.storeError("delete collection", err, id)
		}
	}
	s.search.Forget(id)
	s.refreshWatches()
	s.logger.Info("collection deletion queued", "collection", id, "operation", op.ID)
	s.bus.Publish(events.Event{Topic: events.CollectionChanged, Data: id})
	return opFromStore(op), nil
}

func (s *Service) storeError(op string, err error, subject string) error {
	var oe *store.OverlapError
	switch {
	case errors.Is(err, store.ErrNameTaken):
		return apperr.Field(apperr.NameTaken, "name", "A collection named %q already exists.", truncate(subject, 80))
	case errors.Is(err, store.ErrNotFound):
		return apperr.New(apperr.NotFound, "Not found: %s.", truncate(subject, 80))
	case errors.Is(err, store.ErrSourceExists):
		return apperr.Field(apperr.SourceExists, "path", "%s is already a source of this collection.", subject)
	case errors.As(err, &oe):
		if oe.Inside {
			return apperr.Field(apperr.SourceOverlap, "path", "%s is inside %s, which is already a source of this collection.", subject, oe.Existing)
		}
		return apperr.Field(apperr.SourceOverlap, "path", "%s contains %s, which is already a source of this collection; remove that source first.", subject, oe.Existing)
	}
	return s.internal(op, err)
}

func cleanName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		return "", apperr.Field(apperr.InvalidArgument, "name", "A collection needs a name.")
	case !utf8.ValidString(name):
		return "", apperr.Field(apperr.InvalidArgument, "name", "The name is not valid UTF-8 text.")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", apperr.Field(apperr.InvalidArgument, "name", "The name is %d characters long; at most %d are allowed.",
			utf8.RuneCountInString(name), MaxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", apperr.Field(apperr.InvalidArgument, "name", "The name must not contain control characters such as tabs or line breaks.")
	}
	return name, nil
}

func cleanDescription(raw string) (string, error) {
	desc := strings.TrimSpace(raw)
	switch {
	case !utf8.ValidString(desc):
		return "", apperr.Field(apperr.InvalidArgument, "description", "The description is not valid UTF-8 text.")
	case utf8.RuneCountInString(desc) > MaxDescriptionLength:
		return "", apperr.Field(apperr.InvalidArgument, "description", "The description is %d characters long; at most %d are allowed.",
			utf8.RuneCountInString(desc), MaxDescriptionLength)
	case strings.ContainsRune(desc, 0):
		return "", apperr.Field(apperr.InvalidArgument, "description", "The description must not contain NUL characters.")
	}
	return desc, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
