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
	// CollectionName is the collection's current name, nil once it is
	// gone (a deleted collection's entries keep its name in Details).
	CollectionName *string
	UserID         *int64
	// Username is the actor's name when the entry was written; it
	// outlives the account.
	Username string
	// Address is the network address the action came from, empty for the
	// desktop itself and for background work.
	Address   string
	Action    string
	Details   map[string]any
	CreatedAt time.Time
}

type auditSourceKey struct{}

type auditSource struct{ address, username string }

// WithAuditSource marks ctx as carrying a request from address made by
// username: every audit entry written under it records both. The LAN API
// sets it per request; the desktop leaves it unset.
func WithAuditSource(ctx context.Context, address, username string) context.Context {
	return context.WithValue(ctx, auditSourceKey{}, auditSource{address: address, username: username})
}

func auditSourceFrom(ctx context.Context) auditSource {
	src, _ := ctx.Value(auditSourceKey{}).(auditSource)
	return src
}

// Audit writes one entry on its own. An empty collectionID records an
// entry tied to no collection; actor 0 one no user made.
func (s *Store) Audit(ctx context.Context, collectionID string, actor int64, action string, details map[string]any) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return audit(ctx, tx, collectionID, actor, action, details)
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// audit writes one entry inside tx. An empty collectionID records an
// entry no longer tied to a collection (it was deleted); an empty opID one
// no operation made; actor 0 one no user made.
func audit(ctx context.Context, tx pgx.Tx, collectionID string, actor int64, action string, details map[string]any) error {
	return auditOp(ctx, tx, collectionID, "", actor, action, details)
}

func auditOp(ctx context.Context, tx pgx.Tx, collectionID, opID string, actor int64, action string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	src := auditSourceFrom(ctx)
	// The name is copied, not joined, so the entry still says who acted
	// once the account is removed.
	if _, err := tx.Exec(ctx, `INSERT INTO collection_audit_log (collection_id, operation_id, user_id, action, details, address, username)
		VALUES ($1, $2, $3, $4, $5, $6,
			coalesce(nullif($7::text, ''), (SELECT u.username FROM users u WHERE u.id = $3::bigint), ''))`,
		nullIf(collectionID, ""), nullIf(opID, ""), nullIf(actor, 0), action, raw, src.address, src.username); err != nil {
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
		SELECT l.id, l.collection_id::text, c.name, l.user_id, l.username, l.address, l.action, l.details, l.created_at
		FROM collection_audit_log l LEFT JOIN collections c ON c.id = l.collection_id
		WHERE $1 = '' OR l.collection_id::text = $1
		ORDER BY l.id DESC LIMIT $2`, collectionID, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.CollectionID, &e.CollectionName, &e.UserID, &e.Username, &e.Address,
			&e.Action, &e.Details, &e.CreatedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
