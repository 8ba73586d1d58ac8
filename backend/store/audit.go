package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is a row of collection_audit_log.
type AuditEntry struct {
	ID           int64
	CollectionID *string
	UserID       *int64
	Action       string
	Details      map[string]any
	CreatedAt    time.Time
}

// audit writes one entry inside tx. An empty collectionID records an
// entry no longer tied to a collection (it was deleted); an empty opID one
// no operation made; actor 0 one no user made.
func audit(ctx context.Context, tx pgx.Tx, collectionID string, actor int64, action string, details map[string]any) error {
	return auditOp(ctx, tx, collectionID, "", actor, action, details)
}

func auditOp(ctx context.Context, tx pgx.Tx, collectionID, opID string, actor int64, action string, details map[string]any) error {
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO collection_audit_log (collection_id, operation_id, user_id, action, details)
		VALUES ($1, $2, $3, $4, $5)`, nullIf(collectionID, ""), nullIf(opID, ""), nullIf(actor, 0), action, raw); err != nil {
		return fmt.Errorf("write audit entry %s: %w", action, err)
	}
	return nil
}

// nullIf turns a zero value into SQL NULL.
func nullIf[T comparable](v, zero T) any {
	if v == zero {
		return nil
	}
	return v
}

// AuditLog returns the newest entries, all of them or one collection's.
func (s *Store) AuditLog(ctx context.Context, collectionID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, collection_id::text, user_id, action, details, created_at
		FROM collection_audit_log
		WHERE $1 = '' OR collection_id::text = $1
		ORDER BY id DESC LIMIT $2`, collectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.CollectionID, &e.UserID, &e.Action, &e.Details, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
