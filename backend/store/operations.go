package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Operation statuses.
const (
	OpPending    = "pending"
	OpProcessing = "processing"
	OpCompleted  = "completed"
	OpFailed     = "failed"
	OpCancelled  = "cancelled"
	OpPaused     = "paused"
)

// Operation types.
const (
	OpIndex        = "index"
	OpAppend       = "append"
	OpReindex      = "reindex"
	OpRemoveSource = "remove_source"
	OpDelete       = "delete"
)

// OpConfig is what an operation is asked to do; which fields apply
// depends on its type.
type OpConfig struct {
	// SourceID limits index/append to one source and names the source of
	// remove_source; 0 means every source.
	SourceID int64 `json:"source_id,omitempty"`
	// EmbedOnly skips looking at folders: the operation only embeds text
	// that is waiting for its model.
	EmbedOnly bool `json:"embed_only,omitempty"`
	// Paths limits an append to these files and folders (absolute, inside
	// the collection's sources), as a watch reports them; a path that no
	// longer exists leaves the collection. Empty: the whole sources.
	Paths []string `json:"paths,omitempty"`
	// Reason says why the operation was queued ("model ready", "retry").
	Reason string `json:"reason,omitempty"`
	// Reindex is what a reindex changes to.
	Reindex *ReindexTarget `json:"reindex,omitempty"`
}

// ReindexTarget is the settings a reindex builds the collection anew
// with, and the vector collection it builds them in.
type ReindexTarget struct {
	Model        string `json:"model"`
	Dims         int    `json:"dims"`
	Quantization string `json:"quantization"`
	ChunkSize    int    `json:"chunk_size"`
	ChunkOverlap int    `json:"chunk_overlap"`
	Staging      string `json:"staging"`
}

// ReasonWatch marks work a folder's watch queued; "watch: …" says more.
const ReasonWatch = "watch"

func watchReason(r string) bool { return r == ReasonWatch || strings.HasPrefix(r, ReasonWatch+":") }

// MaxOpPaths is how many paths one append lists; more widen it to a scan
// of its sources, which costs about as much and stays one operation.
const MaxOpPaths = 5000

// scansAll reports whether an index/append walks its whole sources.
func (c OpConfig) scansAll() bool { return !c.EmbedOnly && len(c.Paths) == 0 }

// merge widens c to cover what o asks for too.
func (c OpConfig) merge(o OpConfig) OpConfig {
	switch {
	case c.scansAll() || o.scansAll():
		c.Paths = nil
	default:
		seen := make(map[string]bool, len(c.Paths))
		for _, p := range c.Paths {
			seen[p] = true
		}
		for _, p := range o.Paths {
			if !seen[p] {
				seen[p] = true
				c.Paths = append(c.Paths, p)
			}
		}
		if len(c.Paths) > MaxOpPaths {
			c.Paths = nil
		}
	}
	if c.SourceID != o.SourceID {
		c.SourceID = 0
	}
	c.EmbedOnly = c.EmbedOnly && o.EmbedOnly
	switch {
	case c.Reason == o.Reason:
	case watchReason(c.Reason) && watchReason(o.Reason):
		c.Reason = ReasonWatch
	default:
		c.Reason = ""
	}
	return c
}

// ErrNotPending means an operation could not be cancelled because it had
// already finished.
var ErrNotPending = errors.New("operation already finished")

// ErrReindexQueued means a collection already has a reindex waiting or
// running.
var ErrReindexQueued = errors.New("a reindex of the collection is already queued")

// Operation is a row of operations.
type Operation struct {
	ID           string
	CollectionID string
	Type         string
	Status       string
	Config       OpConfig
	Progress     map[string]any
	ErrorMessage string
	Attempts     int
	CreatedAt    time.Time
	StartedAt    *time.Time
	CompletedAt  *time.Time
}

const opColumns = `id::text, collection_id::text, type::text, status::text, config, progress,
	error_message, attempts, created_at, started_at, completed_at`

func scanOp(row pgx.Row) (Operation, error) {
	var o Operation
	err := row.Scan(&o.ID, &o.CollectionID, &o.Type, &o.Status, &o.Config, &o.Progress,
		&o.ErrorMessage, &o.Attempts, &o.CreatedAt, &o.StartedAt, &o.CompletedAt)
	return o, err
}

// CreateOperation queues an operation. An append asked for while an
// index or append of the collection waits (pending or paused) merges into
// that one, which is returned: a burst of requests is one operation.
func (s *Store) CreateOperation(ctx context.Context, collectionID, typ string, config OpConfig, actor int64) (Operation, error) {
	if uuid.Validate(collectionID) != nil {
		return Operation{}, fmt.Errorf("queue %s: collection %q: %w", typ, collectionID, ErrNotFound)
	}
	var out Operation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var uid any
		if actor != 0 {
			uid = actor
		}
		var deleted bool
		err := tx.QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM collections WHERE id = $1 FOR UPDATE`, collectionID).Scan(&deleted)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && deleted && typ != OpDelete) {
			return fmt.Errorf("collection %s: %w", collectionID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if typ == OpReindex {
			var busy bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM operations WHERE collection_id = $1
				AND type = 'reindex' AND status IN ('pending', 'processing', 'paused'))`, collectionID).Scan(&busy); err != nil {
				return err
			}
			if busy {
				return ErrReindexQueued
			}
		}
		if typ == OpAppend {
			w, err := scanOp(tx.QueryRow(ctx, `SELECT `+opColumns+` FROM operations
				WHERE collection_id = $1 AND status IN ('pending', 'paused') AND type IN ('index', 'append')
				ORDER BY created_at DESC, id LIMIT 1`, collectionID))
			switch {
			case err == nil:
				merged := w.Config.merge(config)
				raw, err := json.Marshal(merged)
				if err != nil {
					return err
				}
				if out, err = scanOp(tx.QueryRow(ctx, `UPDATE operations SET config = $2 WHERE id = $1 RETURNING `+opColumns, w.ID, raw)); err != nil {
					return err
				}
				return nil
			case !errors.Is(err, pgx.ErrNoRows):
				return err
			}
		}
		if len(config.Paths) > MaxOpPaths {
			config.Paths = nil
		}
		raw, err := json.Marshal(config)
		if err != nil {
			return err
		}
		o, err := scanOp(tx.QueryRow(ctx, `
			INSERT INTO operations (collection_id, type, config, created_by)
			VALUES ($1, $2, $3, $4) RETURNING `+opColumns, collectionID, typ, raw, uid))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("collection %s: %w", collectionID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		out = o
		return auditOp(ctx, tx, collectionID, o.ID, actor, "operation.queued", map[string]any{"type": typ, "config": config})
	})
	if err != nil {
		return Operation{}, fmt.Errorf("queue %s: %w", typ, err)
	}
	return out, nil
}

// ClaimOperation moves the collection's oldest waiting operation to
// processing and returns it; ok is false when there is none, or when the
// oldest is paused: operations run in order, and a paused one holds the
// ones behind it (a delete excepted, which never waits).
func (s *Store) ClaimOperation(ctx context.Context, collectionID string) (op Operation, ok bool, err error) {
	op, err = scanOp(s.pool.QueryRow(ctx, `
		UPDATE operations SET status = 'processing', started_at = coalesce(started_at, now()),
			heartbeat_at = now(), attempts = attempts + 1
		WHERE id = (
			SELECT id FROM operations WHERE collection_id = $1 AND status IN ('pending', 'paused')
			ORDER BY (type = 'delete') DESC, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		AND status = 'pending'
		RETURNING `+opColumns, collectionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Operation{}, false, nil
	}
	if err != nil {
		return Operation{}, false, fmt.Errorf("claim operation of %s: %w", collectionID, err)
	}
	return op, true, nil
}

// CollectionsWithPendingWork lists collections that have pending operations.
func (s *Store) CollectionsWithPendingWork(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT collection_id::text FROM operations WHERE status = 'pending'`)
	if err != nil {
		return nil, fmt.Errorf("find pending work: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find pending work: %w", err)
	}
	return ids, nil
}

// RequeueInterrupted returns operations left processing by a crash to
// pending, so that they resume. Run it before any worker starts.
func (s *Store) RequeueInterrupted(ctx context.Context) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE operations SET status = 'pending' WHERE status = 'processing'`)
	if err != nil {
		return 0, fmt.Errorf("requeue interrupted operations: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RequeueDeletes queues the delete operation again for collections whose
// deletion was asked for but whose operation failed or was lost.
func (s *Store) RequeueDeletes(ctx context.Context) (int, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO operations (collection_id, type)
		SELECT c.id, 'delete' FROM collections c WHERE c.deleted_at IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.collection_id = c.id AND o.type = 'delete'
			AND o.status IN ('pending', 'processing'))`)
	if err != nil {
		return 0, fmt.Errorf("requeue deletions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// SaveProgress records progress and proves the worker is alive. It returns
// the operation's status, which a pause or cancel may have changed.
func (s *Store) SaveProgress(ctx context.Context, id string, progress map[string]any) (status string, err error) {
	raw, err := json.Marshal(progress)
	if err != nil {
		return "", fmt.Errorf("save progress: %w", err)
	}
	err = s.pool.QueryRow(ctx, `UPDATE operations SET progress = $2, heartbeat_at = now() WHERE id = $1 RETURNING status::text`,
		id, raw).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("save progress of %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("save progress of %s: %w", id, err)
	}
	return status, nil
}

// PauseOperation pauses a waiting or running operation: a running one
// stops at its next progress save and continues where it was when
// resumed. A paused operation stays paused across restarts.
func (s *Store) PauseOperation(ctx context.Context, id string, actor int64) (Operation, error) {
	return s.setOpStatus(ctx, id, actor, "pause", []string{OpPending, OpProcessing}, OpPaused)
}

// ResumeOperation lets a paused operation run again.
func (s *Store) ResumeOperation(ctx context.Context, id string, actor int64) (Operation, error) {
	return s.setOpStatus(ctx, id, actor, "resume", []string{OpPaused}, OpPending)
}

// ErrWrongState means an operation is not in a state the change applies to.
var ErrWrongState = errors.New("operation is not in a state that allows this")

func (s *Store) setOpStatus(ctx context.Context, id string, actor int64, verb string, from []string, to string) (Operation, error) {
	if uuid.Validate(id) != nil {
		return Operation{}, fmt.Errorf("%s operation %q: %w", verb, id, ErrNotFound)
	}
	var out Operation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		o, err := scanOp(tx.QueryRow(ctx, `SELECT `+opColumns+` FROM operations WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if !slices.Contains(from, o.Status) || o.Type == OpDelete {
			return fmt.Errorf("%w (it is %s)", ErrWrongState, o.Status)
		}
		if out, err = scanOp(tx.QueryRow(ctx, `UPDATE operations SET status = $2 WHERE id = $1 RETURNING `+opColumns, id, to)); err != nil {
			return err
		}
		return auditOp(ctx, tx, o.CollectionID, id, actor, "operation."+verb, map[string]any{"type": o.Type})
	})
	if err != nil {
		return Operation{}, fmt.Errorf("%s operation %s: %w", verb, id, err)
	}
	return out, nil
}

// FinishOperation records the outcome of a processing operation. A
// cancelled operation stays cancelled.
func (s *Store) FinishOperation(ctx context.Context, id, status, errMsg string, progress map[string]any) error {
	raw, err := json.Marshal(progress)
	if err != nil {
		return fmt.Errorf("finish operation: %w", err)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var collectionID, typ, final string
		err := tx.QueryRow(ctx, `
			UPDATE operations SET
				status = CASE WHEN status = 'cancelled' THEN status ELSE $2::operation_status END,
				error_message = $3, progress = $4, completed_at = now(), heartbeat_at = now()
			WHERE id = $1 RETURNING collection_id::text, type::text, status::text`, id, status, errMsg, raw).Scan(&collectionID, &typ, &final)
		if errors.Is(err, pgx.ErrNoRows) {
			// The collection, and with it the operation, was deleted.
			return nil
		}
		if err != nil {
			return fmt.Errorf("finish operation %s: %w", id, err)
		}
		details := map[string]any{"type": typ, "status": final}
		if errMsg != "" {
			details["error"] = errMsg
		}
		return auditOp(ctx, tx, collectionID, id, 0, "operation."+final, details)
	})
}

// CancelOperation cancels a pending or running operation; a running one
// notices at its next progress save.
func (s *Store) CancelOperation(ctx context.Context, id string, actor int64) (Operation, error) {
	if uuid.Validate(id) != nil {
		return Operation{}, fmt.Errorf("cancel operation %q: %w", id, ErrNotFound)
	}
	var out Operation
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		o, err := scanOp(tx.QueryRow(ctx, `SELECT `+opColumns+` FROM operations WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if o.Status != OpPending && o.Status != OpProcessing && o.Status != OpPaused {
			return ErrNotPending
		}
		if o.Type == OpDelete {
			return fmt.Errorf("%w: a deletion cannot be cancelled", ErrWrongState)
		}
		out, err = scanOp(tx.QueryRow(ctx, `UPDATE operations SET status = 'cancelled',
			completed_at = CASE WHEN status = 'processing' THEN completed_at ELSE now() END
			WHERE id = $1 RETURNING `+opColumns, id))
		if err != nil {
			return err
		}
		return auditOp(ctx, tx, o.CollectionID, id, actor, "operation.cancel_requested", map[string]any{"type": o.Type})
	})
	if err != nil {
		return Operation{}, fmt.Errorf("cancel operation %s: %w", id, err)
	}
	return out, nil
}

// GetOperation returns one operation.
func (s *Store) GetOperation(ctx context.Context, id string) (Operation, error) {
	if uuid.Validate(id) != nil {
		return Operation{}, fmt.Errorf("get operation %q: %w", id, ErrNotFound)
	}
	o, err := scanOp(s.pool.QueryRow(ctx, `SELECT `+opColumns+` FROM operations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Operation{}, fmt.Errorf("get operation %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Operation{}, fmt.Errorf("get operation %s: %w", id, err)
	}
	return o, nil
}

// ListOperations returns a collection's newest operations, or everyone's
// when collectionID is empty.
func (s *Store) ListOperations(ctx context.Context, collectionID string, limit int) ([]Operation, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT `+opColumns+` FROM operations
		WHERE $1 = '' OR collection_id::text = $1 ORDER BY created_at DESC, id LIMIT $2`, collectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("list operations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Operation, error) { return scanOp(r) })
	if err != nil {
		return nil, fmt.Errorf("list operations: %w", err)
	}
	return out, nil
}

// SetCollectionStatus records a collection's state and a reason.
func (s *Store) SetCollectionStatus(ctx context.Context, id, status, message string) error {
	_, err := s.pool.Exec(ctx, `UPDATE collections SET status = $2, status_message = $3, updated_at = now() WHERE id = $1`,
		id, status, message)
	if err != nil {
		return fmt.Errorf("set status of %s: %w", id, err)
	}
	return nil
}

// SetModelFingerprint records the fingerprint of the model that wrote the
// collection's vectors. It refuses to change a recorded one: vectors of two
// models must never mix.
func (s *Store) SetModelFingerprint(ctx context.Context, id, fingerprint string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE collections SET model_fingerprint = $2
		WHERE id = $1 AND (model_fingerprint = '' OR model_fingerprint = $2)`, id, fingerprint)
	if err != nil {
		return fmt.Errorf("set model fingerprint of %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set model fingerprint of %s: %w", id, ErrFingerprintMismatch)
	}
	return nil
}

// ErrFingerprintMismatch means a collection's vectors were made by another
// model (or another build of it) than the one at hand.
var ErrFingerprintMismatch = errors.New("collection was embedded with a different model")
