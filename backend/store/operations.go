package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
)

// ErrNotPending means an operation could not be cancelled because it had
// already finished.
var ErrNotPending = errors.New("operation already finished")

// Operation is a row of operations.
type Operation struct {
	ID           string
	CollectionID string
	Type         string
	Status       string
	Config       map[string]any
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

// CreateOperation queues an operation.
func (s *Store) CreateOperation(ctx context.Context, collectionID, typ string, config map[string]any, actor int64) (Operation, error) {
	if uuid.Validate(collectionID) != nil {
		return Operation{}, fmt.Errorf("queue %s: collection %q: %w", typ, collectionID, ErrNotFound)
	}
	if config == nil {
		config = map[string]any{}
	}
	raw, err := json.Marshal(config)
	if err != nil {
		return Operation{}, fmt.Errorf("queue %s: %w", typ, err)
	}
	var out Operation
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var uid any
		if actor != 0 {
			uid = actor
		}
		o, err := scanOp(tx.QueryRow(ctx, `
			INSERT INTO operations (collection_id, type, config, created_by)
			SELECT id, $2, $3, $4 FROM collections WHERE id = $1
			RETURNING `+opColumns, collectionID, typ, raw, uid))
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

// ClaimOperation moves the collection's oldest pending operation to
// processing and returns it; ok is false when there is none.
func (s *Store) ClaimOperation(ctx context.Context, collectionID string) (op Operation, ok bool, err error) {
	op, err = scanOp(s.pool.QueryRow(ctx, `
		UPDATE operations SET status = 'processing', started_at = coalesce(started_at, now()),
			heartbeat_at = now(), attempts = attempts + 1
		WHERE id = (
			SELECT id FROM operations WHERE collection_id = $1 AND status = 'pending'
			ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
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

// SaveProgress records progress and proves the worker is alive. It reports
// whether the operation has been cancelled meanwhile.
func (s *Store) SaveProgress(ctx context.Context, id string, progress map[string]any) (cancelled bool, err error) {
	raw, err := json.Marshal(progress)
	if err != nil {
		return false, fmt.Errorf("save progress: %w", err)
	}
	var status string
	err = s.pool.QueryRow(ctx, `UPDATE operations SET progress = $2, heartbeat_at = now() WHERE id = $1 RETURNING status::text`,
		id, raw).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("save progress of %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("save progress of %s: %w", id, err)
	}
	return status == OpCancelled, nil
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
		if o.Status != OpPending && o.Status != OpProcessing {
			return ErrNotPending
		}
		out, err = scanOp(tx.QueryRow(ctx, `UPDATE operations SET status = 'cancelled',
			completed_at = CASE WHEN status = 'pending' THEN now() ELSE completed_at END
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
