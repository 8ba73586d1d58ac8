package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Collection is a row of collections with its live counts.
type Collection struct {
	ID               string
	OwnerID          int64
	Name             string
	Description      string
	ModelName        string
	ModelFingerprint string
	EmbeddingDims    int
	Quantization     string
	ChunkSize        int
	ChunkOverlap     int
	VectorCollection string
	// VectorCollections are every vector collection the collection owns
	// (the live one and a reindex's staging one); Staging is the one a
	// reindex is building, empty when none is.
	VectorCollections []string
	Staging           string
	Status            string
	StatusMessage     string
	SourceCount       int
	DocumentCount     int
	VectorCount       int64
	// ChunkCount counts every chunk, embedded or not: keyword search
	// covers all of them, semantic search VectorCount of them.
	ChunkCount     int64
	TotalSizeBytes int64
	// Deleted is set once deletion was asked for; the delete operation
	// then purges the collection.
	Deleted bool
	// IsPublic lets every signed-in user of the LAN read the collection.
	IsPublic bool
	// OwnerName is the owner's username.
	OwnerName string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewCollection is what CreateCollection needs; the caller validates it.
type NewCollection struct {
	// ID may be preset (the vector collection name derives from it);
	// empty means generate.
	ID            string
	OwnerID       int64
	Name          string
	Description   string
	ModelName     string
	EmbeddingDims int
	Quantization  string
	ChunkSize     int
	ChunkOverlap  int
	// VectorCollection is the vector index's physical collection name.
	VectorCollection string
}

// CollectionUpdate changes the fields that are set.
type CollectionUpdate struct {
	Name        *string
	Description *string
	IsPublic    *bool
}

const collectionColumns = `
	c.id::text, c.owner_id, c.name, c.description, c.model_name, c.model_fingerprint,
	c.embedding_dims, c.quantization::text, c.chunk_size, c.chunk_overlap,
	c.vector_collection, c.qdrant_collections, c.qdrant_staging, c.status::text, c.status_message,
	(SELECT count(*) FROM collection_sources s WHERE s.collection_id = c.id),
	(SELECT count(*) FROM documents d WHERE d.collection_id = c.id AND d.deleted_at IS NULL),
	(SELECT count(*) FROM chunks k WHERE k.collection_id = c.id AND k.embedding IS NOT NULL),
	(SELECT count(*) FROM chunks k WHERE k.collection_id = c.id),
	(SELECT coalesce(sum(d.file_size), 0) FROM documents d WHERE d.collection_id = c.id AND d.deleted_at IS NULL),
	c.deleted_at IS NOT NULL, c.is_public,
	coalesce((SELECT u.username FROM users u WHERE u.id = c.owner_id), ''),
	c.created_at, c.updated_at`

func scanCollection(row pgx.Row) (Collection, error) {
	var c Collection
	err := row.Scan(&c.ID, &c.OwnerID, &c.Name, &c.Description, &c.ModelName, &c.ModelFingerprint,
		&c.EmbeddingDims, &c.Quantization, &c.ChunkSize, &c.ChunkOverlap,
		&c.VectorCollection, &c.VectorCollections, &c.Staging, &c.Status, &c.StatusMessage,
		&c.SourceCount, &c.DocumentCount, &c.VectorCount, &c.ChunkCount, &c.TotalSizeBytes,
		&c.Deleted, &c.IsPublic, &c.OwnerName, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// CreateCollection inserts a collection and its audit entry.
func (s *Store) CreateCollection(ctx context.Context, nc NewCollection, actor int64) (Collection, error) {
	if nc.ID == "" {
		nc.ID = uuid.NewString()
	}
	var out Collection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO collections (id, owner_id, name, description, model_name, embedding_dims,
				quantization, chunk_size, chunk_overlap, vector_collection, qdrant_collections)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, array_remove(ARRAY[$10::text], ''))`,
			nc.ID, nc.OwnerID, nc.Name, nc.Description, nc.ModelName, nc.EmbeddingDims,
			nc.Quantization, nc.ChunkSize, nc.ChunkOverlap, nc.VectorCollection)
		if isUniqueViolation(err, "collections_name_key") {
			return ErrNameTaken
		}
		if err != nil {
			return fmt.Errorf("insert collection: %w", err)
		}
		if err := audit(ctx, tx, nc.ID, actor, "collection.created", map[string]any{
			"name": nc.Name, "model": nc.ModelName, "quantization": nc.Quantization,
			"chunk_size": nc.ChunkSize, "chunk_overlap": nc.ChunkOverlap,
		}); err != nil {
			return err
		}
		out, err = scanCollection(tx.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections c WHERE c.id = $1`, nc.ID))
		return err
	})
	if err != nil {
		return Collection{}, fmt.Errorf("create collection %q: %w", nc.Name, err)
	}
	return out, nil
}

// GetCollection returns one collection; one being deleted is not found.
func (s *Store) GetCollection(ctx context.Context, id string) (Collection, error) {
	return s.getCollection(ctx, id, false)
}

// CollectionForWork returns a collection for its worker, one being deleted
// included (Deleted set).
func (s *Store) CollectionForWork(ctx context.Context, id string) (Collection, error) {
	return s.getCollection(ctx, id, true)
}

func (s *Store) getCollection(ctx context.Context, id string, deleted bool) (Collection, error) {
	if uuid.Validate(id) != nil {
		return Collection{}, fmt.Errorf("get collection %q: %w", id, ErrNotFound)
	}
	c, err := scanCollection(s.pool.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections c
		WHERE c.id = $1 AND ($2 OR c.deleted_at IS NULL)`, id, deleted))
	if errors.Is(err, pgx.ErrNoRows) {
		return Collection{}, fmt.Errorf("get collection %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Collection{}, fmt.Errorf("get collection %s: %w", id, err)
	}
	return c, nil
}

// ListCollections returns every collection, by name.
func (s *Store) ListCollections(ctx context.Context) ([]Collection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+collectionColumns+` FROM collections c
		WHERE c.deleted_at IS NULL ORDER BY lower(c.name), c.id`)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Collection, error) { return scanCollection(r) })
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	return out, nil
}

// UpdateCollection renames a collection, changes its description or
// shares it with the LAN (IsPublic).
func (s *Store) UpdateCollection(ctx context.Context, id string, upd CollectionUpdate, actor int64) (Collection, error) {
	if uuid.Validate(id) != nil {
		return Collection{}, fmt.Errorf("update collection %q: %w", id, ErrNotFound)
	}
	var out Collection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var oldName, oldDesc string
		var oldPublic bool
		err := tx.QueryRow(ctx, `SELECT name, description, is_public FROM collections
			WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, id).Scan(&oldName, &oldDesc, &oldPublic)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		details := map[string]any{}
		if upd.Name != nil && *upd.Name != oldName {
			details["old_name"], details["new_name"] = oldName, *upd.Name
		}
		if upd.Description != nil && *upd.Description != oldDesc {
			details["description_changed"] = true
		}
		_, err = tx.Exec(ctx, `
			UPDATE collections SET name = coalesce($2, name), description = coalesce($3, description),
				is_public = coalesce($4, is_public), updated_at = now()
			WHERE id = $1`, id, upd.Name, upd.Description, upd.IsPublic)
		if isUniqueViolation(err, "collections_name_key") {
			return ErrNameTaken
		}
		if err != nil {
			return err
		}
		if len(details) > 0 {
			if err := audit(ctx, tx, id, actor, "collection.updated", details); err != nil {
				return err
			}
		}
		if upd.IsPublic != nil && *upd.IsPublic != oldPublic {
			if err := audit(ctx, tx, id, actor, "collection.share", map[string]any{"is_public": *upd.IsPublic}); err != nil {
				return err
			}
		}
		out, err = scanCollection(tx.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections c WHERE c.id = $1`, id))
		return err
	})
	if err != nil {
		return Collection{}, fmt.Errorf("update collection %s: %w", id, err)
	}
	return out, nil
}

// RequestDelete hides a collection from every list and search at once,
// cancels its other operations and queues the delete operation that purges
// it, all in one transaction. A collection already being deleted is not
// found.
func (s *Store) RequestDelete(ctx context.Context, id string, actor int64) (Operation, error) {
	if uuid.Validate(id) != nil {
		return Operation{}, fmt.Errorf("delete collection %q: %w", id, ErrNotFound)
	}
	var out Operation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `UPDATE collections SET deleted_at = now(), status = 'pending',
			status_message = 'being deleted' WHERE id = $1 AND deleted_at IS NULL RETURNING name`, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE operations SET status = 'cancelled', completed_at = coalesce(completed_at, now()),
			error_message = 'the collection is being deleted'
			WHERE collection_id = $1 AND status IN ('pending', 'processing', 'paused')`, id); err != nil {
			return err
		}
		var uid any
		if actor != 0 {
			uid = actor
		}
		if out, err = scanOp(tx.QueryRow(ctx, `INSERT INTO operations (collection_id, type, created_by)
			VALUES ($1, 'delete', $2) RETURNING `+opColumns, id, uid)); err != nil {
			return err
		}
		return auditOp(ctx, tx, id, out.ID, actor, "collection.delete_requested", map[string]any{"name": name})
	})
	if err != nil {
		return Operation{}, fmt.Errorf("delete collection %s: %w", id, err)
	}
	return out, nil
}

// DeleteCollection removes a collection and, by cascade, everything in it.
// Its audit trail stays, naming the collection.
func (s *Store) DeleteCollection(ctx context.Context, id string, actor int64) error {
	if uuid.Validate(id) != nil {
		return fmt.Errorf("delete collection %q: %w", id, ErrNotFound)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM collections WHERE id = $1 RETURNING name`, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		// Written after the delete, so the foreign key points at nothing:
		// the entry keeps the id and name in its details instead.
		return audit(ctx, tx, "", actor, "collection.deleted", map[string]any{"collection_id": id, "name": name})
	})
	if err != nil {
		return fmt.Errorf("delete collection %s: %w", id, err)
	}
	return nil
}
